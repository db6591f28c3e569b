//! Cross-object facts, built once after every file is loaded: service accounts by
//! namespace and name, and which RBAC bindings give which service account what.

use std::borrow::Cow;
use std::collections::HashMap;

use super::workload::ServiceAccountBindings;
use crate::k8s::identity::{ServiceAccountGroup, service_account_group};
use crate::k8s::rbac::{self, Grant};
use crate::model::rbac::{Binding, PolicyRule, Role, Subject};
use crate::model::{Model, Runs, Scope, ServiceAccount};

/// Every lookup is made from a [`Scope`] and sees only the objects that scope sees: a
/// rendered root's objects see their own and the plain files', never another root's.
pub struct Index<'m> {
    /// (scope, namespace) -> name -> definitions.
    service_accounts: HashMap<(Scope, &'m str), HashMap<&'m str, Vec<&'m ServiceAccount>>>,
    /// (scope, namespace) -> name -> Role.
    roles: HashMap<(Scope, &'m str), HashMap<&'m str, &'m Role>>,
    /// (scope, name) -> ClusterRole.
    cluster_roles: HashMap<(Scope, &'m str), &'m Role>,
    bindings: &'m Runs<Binding>,
    default_namespace: &'m str,
    /// Indexes into `bindings`, built once so lookups do not scan every binding.
    by_subject: SubjectBindings<'m>,
    /// Role identity -> bindings that hand out its rules, directly or by aggregation.
    by_role: HashMap<RoleKey<'m>, Vec<usize>>,
    /// Per binding: the powerful grants of its role, sorted.
    binding_grants: Vec<Vec<Grant>>,
}

/// A role as the API server identifies it in a scope: (scope, cluster-scoped,
/// namespace, name). Copies of one role in several files share their bindings.
type RoleKey<'m> = (Scope, bool, &'m str, &'m str);

/// Bindings by the service accounts their subjects cover.
#[derive(Default)]
struct SubjectBindings<'m> {
    /// (namespace, name) of a ServiceAccount subject (or `system:serviceaccount:` user).
    service_account: HashMap<(&'m str, &'m str), Vec<usize>>,
    /// `system:serviceaccounts:NS`.
    namespace: HashMap<&'m str, Vec<usize>>,
    /// `system:serviceaccounts` and `system:authenticated`.
    everyone: Vec<usize>,
}

/// What a binding's `roleRef` points at.
pub enum RoleTarget<'m> {
    Scanned(&'m Role),
    /// A built-in ClusterRole the scan does not define.
    BuiltIn(&'static [Grant]),
    Missing,
}

/// One binding that gives a service account powerful grants.
pub struct BoundGrants<'m> {
    pub binding: &'m Binding,
    pub grants: Vec<Grant>,
}

impl<'m> Index<'m> {
    pub fn build(model: &'m Model, default_namespace: &'m str) -> Self {
        let mut service_accounts: HashMap<_, HashMap<&str, Vec<&ServiceAccount>>> = HashMap::new();
        for sa in &model.service_accounts {
            service_accounts
                .entry((sa.meta.scope, sa.meta.namespace_or(default_namespace)))
                .or_default()
                .entry(sa.meta.name.as_str())
                .or_default()
                .push(sa);
        }
        let mut roles: HashMap<_, HashMap<&str, &Role>> = HashMap::new();
        let mut cluster_roles = HashMap::new();
        for role in &model.roles {
            let scope = role.meta.scope;
            if role.cluster {
                cluster_roles
                    .entry((scope, role.meta.name.as_str()))
                    .or_insert(role);
            } else {
                roles
                    .entry((scope, role.meta.namespace_or(default_namespace)))
                    .or_default()
                    .entry(role.meta.name.as_str())
                    .or_insert(role);
            }
        }
        let mut index = Index {
            service_accounts,
            roles,
            cluster_roles,
            bindings: &model.bindings,
            default_namespace,
            // Sized up front: a table that doubles as it fills holds both copies for a
            // moment, the peak of a large scan's index.
            by_subject: SubjectBindings {
                service_account: HashMap::with_capacity(model.bindings.len()),
                ..SubjectBindings::default()
            },
            by_role: HashMap::with_capacity(model.bindings.len()),
            binding_grants: Vec::with_capacity(model.bindings.len()),
        };
        for (i, binding) in model.bindings.iter().enumerate() {
            for subject in &binding.subjects {
                index.by_subject.add(&subject.value, i);
            }
            let grants = index.grants_of(binding);
            index.binding_grants.push(grants);
            if let RoleTarget::Scanned(role) = index.role_of(binding) {
                let mut targets = vec![index.key(role)];
                targets.extend(index.aggregated(role).map(|member| index.key(member)));
                for target in targets {
                    let list = index.by_role.entry(target).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        index.shrink();
        index
    }

    /// Lists here mostly hold one item, and a vector grows room for four: the index
    /// lives as long as the checks.
    fn shrink(&mut self) {
        let subjects = &mut self.by_subject;
        let lists = (subjects.service_account.values_mut())
            .chain(subjects.namespace.values_mut())
            .chain(self.by_role.values_mut());
        for list in lists {
            list.shrink_to_fit();
        }
        for definitions in self
            .service_accounts
            .values_mut()
            .flat_map(|n| n.values_mut())
        {
            definitions.shrink_to_fit();
        }
    }

    /// Every definition of the service account that `scope` sees, in file order. The
    /// plain scope's (most lookups) is borrowed: its list is stored in file order.
    pub fn service_account<'a>(
        &'a self,
        scope: Scope,
        namespace: &'a str,
        name: &str,
    ) -> Cow<'a, [&'m ServiceAccount]> {
        if scope == Scope::PLAIN {
            return Cow::Borrowed(self.defined_in(scope, namespace, name));
        }
        // A rendered root's objects are in render order; merged with the plain files'.
        let mut found: Vec<&ServiceAccount> = visible(scope)
            .flat_map(|s| self.defined_in(s, namespace, name))
            .copied()
            .collect();
        found.sort_by_key(|sa| sa.meta.name.at);
        Cow::Owned(found)
    }

    /// The definitions of the service account in one scope, in model order. The key's
    /// namespace must outlive the answer: a map is looked up with a key of its own type.
    fn defined_in<'a>(
        &'a self,
        scope: Scope,
        namespace: &'a str,
        name: &str,
    ) -> &'a [&'m ServiceAccount] {
        self.service_accounts
            .get(&(scope, namespace))
            .and_then(|names| names.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// The role a binding refers to, as the binding's scope sees it: its own scope's
    /// first, then the plain files'.
    pub fn role_of(&self, binding: &Binding) -> RoleTarget<'m> {
        let namespace = binding.meta.namespace_or(self.default_namespace);
        let name = binding.role_name.as_str();
        let mut scopes = visible(binding.meta.scope);
        let scanned = match binding.role_kind.as_str() {
            "Role" if !binding.cluster => scopes.find_map(|s| {
                self.roles
                    .get(&(s, namespace))
                    .and_then(|names| names.get(name))
                    .copied()
            }),
            "ClusterRole" => scopes.find_map(|s| self.cluster_roles.get(&(s, name)).copied()),
            _ => None,
        };
        match scanned {
            Some(role) => RoleTarget::Scanned(role),
            None if binding.role_kind == "ClusterRole" => {
                rbac::built_in_cluster_role(&binding.role_name)
                    .map_or(RoleTarget::Missing, RoleTarget::BuiltIn)
            }
            None => RoleTarget::Missing,
        }
    }

    fn key(&self, role: &'m Role) -> RoleKey<'m> {
        (
            role.meta.scope,
            role.cluster,
            role.meta.namespace_or(self.default_namespace),
            role.meta.name.as_str(),
        )
    }

    /// The ClusterRoles whose rules an aggregated ClusterRole collects, among those its
    /// scope sees.
    fn aggregated(&self, role: &'m Role) -> impl Iterator<Item = &'m Role> + '_ {
        self.cluster_roles.values().copied().filter(move |member| {
            !std::ptr::eq(*member, role)
                && role.meta.scope.sees(member.meta.scope)
                && aggregates(role, member)
        })
    }

    /// A role's rules, with those of the ClusterRoles it aggregates.
    pub fn effective_rules(&self, role: &'m Role) -> Vec<&'m PolicyRule> {
        let mut rules: Vec<&PolicyRule> = role.rules.iter().collect();
        let mut members: Vec<&Role> = self.aggregated(role).collect();
        members.sort_by(|a, b| a.meta.name.cmp(&b.meta.name));
        for member in members {
            rules.extend(member.rules.iter());
        }
        rules
    }

    /// Bindings that hand out a role's rules: those that reference it, and those that
    /// reference a ClusterRole aggregating it; in file order. Only those the role's
    /// scope sees: a plain role is judged with the plain files' bindings.
    pub fn bindings_of(&self, role: &'m Role) -> Vec<&'m Binding> {
        self.by_role
            .get(&self.key(role))
            .map_or_else(Vec::new, |list| {
                list.iter()
                    .map(|&i| &self.bindings[i])
                    .filter(|b| role.meta.scope.sees(b.meta.scope))
                    .collect()
            })
    }

    /// What a binding's role grants that makes a token powerful.
    fn grants_of(&self, binding: &Binding) -> Vec<Grant> {
        let mut grants: Vec<Grant> = match self.role_of(binding) {
            RoleTarget::Scanned(role) => self
                .effective_rules(role)
                .into_iter()
                .flat_map(rbac::grants)
                .collect(),
            RoleTarget::BuiltIn(grants) => grants.to_vec(),
            RoleTarget::Missing => Vec::new(),
        };
        grants.sort();
        grants.dedup();
        grants
    }

    /// Every binding `scope` sees with a subject that covers the service account, and
    /// those of them that give it powerful grants, in file order.
    pub fn service_account_bindings(
        &self,
        scope: Scope,
        namespace: &str,
        name: &str,
    ) -> ServiceAccountBindings<'m> {
        let found = self.binding_indexes(scope, namespace, name);
        let powerful = found
            .iter()
            .filter(|&&i| !self.binding_grants[i].is_empty())
            .map(|&i| BoundGrants {
                binding: &self.bindings[i],
                grants: self.binding_grants[i].clone(),
            })
            .collect();
        ServiceAccountBindings {
            all: found.iter().map(|&i| &self.bindings[i]).collect(),
            powerful,
        }
    }

    fn binding_indexes(&self, scope: Scope, namespace: &str, name: &str) -> Vec<usize> {
        let subjects = &self.by_subject;
        let mut found: Vec<usize> = subjects
            .service_account
            .get(&(namespace, name))
            .into_iter()
            .chain(subjects.namespace.get(namespace))
            .flatten()
            .chain(&subjects.everyone)
            .copied()
            .filter(|&i| scope.sees(self.bindings[i].meta.scope))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

impl<'m> SubjectBindings<'m> {
    fn add(&mut self, subject: &'m Subject, binding: usize) {
        match subject {
            Subject::Group(group) => match service_account_group(group) {
                Some(ServiceAccountGroup::Every) => self.everyone.push(binding),
                Some(ServiceAccountGroup::Namespace(namespace)) => {
                    self.namespace.entry(namespace).or_default().push(binding)
                }
                None => {}
            },
            _ => {
                if let Some(identity) = subject.as_service_account() {
                    self.service_account
                        .entry(identity)
                        .or_default()
                        .push(binding);
                }
            }
        }
    }
}

/// The scopes `scope` sees: its own, then the plain files'.
fn visible(scope: Scope) -> impl Iterator<Item = Scope> {
    std::iter::once(scope).chain((scope != Scope::PLAIN).then_some(Scope::PLAIN))
}

fn aggregates(aggregator: &Role, member: &Role) -> bool {
    aggregator.cluster
        && member.cluster
        && rbac::aggregates(&aggregator.aggregation, &member.labels)
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::Index;
    use crate::k8s::kinds::WorkloadKinds;
    use crate::model::{FileModel, Model, Scope, ServiceAccount};
    use crate::yaml::{self, Limits};

    const MANIFESTS: &str = "
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
";

    /// The first document is a plain file's, the second a rendered root's: the root sees
    /// both in file order (its own is looked up first), another root only the plain one.
    #[test]
    fn a_lookup_sees_its_own_scope_and_the_plain_files_in_file_order() {
        let stream = yaml::parse(MANIFESTS, &Limits::default());
        let kinds = WorkloadKinds::with_extra(Vec::new());
        let read = |document: usize| {
            let root = [stream.documents[document].root];
            FileModel::read(&stream.tree, &root, &kinds, "default")
        };
        let mut model = Model::default();
        model.push(read(0));
        let mut rendered = read(1);
        rendered.set_scope(Scope::root(0));
        model.push(rendered);
        let index = Index::build(&model, "default");
        let lines = |found: &[&ServiceAccount]| -> Vec<u32> {
            found
                .iter()
                .map(|sa| sa.meta.name.at.span.start.line)
                .collect()
        };

        let plain = index.service_account(Scope::PLAIN, "shop", "api");
        assert!(matches!(plain, Cow::Borrowed(_)), "the plain scope copies");
        assert_eq!(lines(&plain), [4]);
        assert_eq!(
            lines(&index.service_account(Scope::root(0), "shop", "api")),
            [4, 8]
        );
        assert_eq!(
            lines(&index.service_account(Scope::root(1), "shop", "api")),
            [4]
        );
        assert!(
            index
                .service_account(Scope::root(0), "shop", "web")
                .is_empty()
        );
    }
}
