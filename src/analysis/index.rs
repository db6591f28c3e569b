//! Cross-object facts, built once after every file is loaded: service accounts by
//! namespace and name, and which RBAC bindings give which service account what.

use std::borrow::Cow;
use std::collections::HashMap;

use super::workload::ServiceAccountBindings;
use crate::k8s::identity::{ServiceAccountGroup, service_account_group};
use crate::k8s::rbac::{self, Grant};
use crate::model::rbac::{Binding, PolicyRule, Role, Subject};
use crate::model::{Model, ObjectMeta, Runs, Scope, ServiceAccount};

/// Every lookup is made from a [`Scope`] and sees only the objects that scope sees: a
/// rendered root's objects see their own and the plain files', never another root's.
///
/// The tables are vectors sorted by the key they are looked up by, searched by bisection:
/// a large scan's index holds an entry per object, and a hash map of vectors would take
/// three to five times the bytes.
pub struct Index<'m> {
    /// Every ServiceAccount by (scope, namespace, name); one name's in file order.
    service_accounts: Vec<&'m ServiceAccount>,
    /// Every Role by (scope, namespace, name); one name's in file order.
    roles: Vec<&'m Role>,
    /// Every ClusterRole by (scope, name); one name's in file order.
    cluster_roles: Vec<&'m Role>,
    bindings: &'m Runs<Binding>,
    default_namespace: &'m str,
    by_subject: SubjectBindings<'m>,
    /// (role, binding) for each binding that hands out the role's rules, directly or by
    /// aggregation, by the role's [`RoleKey`], then binding.
    by_role: Vec<(&'m Role, u32)>,
    /// Per binding: the powerful grants of its role, sorted.
    binding_grants: Vec<Box<[Grant]>>,
}

/// A role as the API server identifies it in a scope: (scope, cluster-scoped,
/// namespace, name). Copies of one role in several files share their bindings.
type RoleKey<'m> = (Scope, bool, &'m str, &'m str);

/// Bindings by the service accounts their subjects cover.
#[derive(Default)]
struct SubjectBindings<'m> {
    /// (namespace, name, binding) per ServiceAccount subject (or `system:serviceaccount:`
    /// user), sorted.
    service_account: Vec<(&'m str, &'m str, u32)>,
    /// `system:serviceaccounts:NS`.
    namespace: HashMap<&'m str, Vec<u32>>,
    /// `system:serviceaccounts` and `system:authenticated`.
    everyone: Vec<u32>,
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
        // Stable sorts: the definitions of one name stay in file order.
        let mut service_accounts: Vec<&ServiceAccount> = model.service_accounts.iter().collect();
        service_accounts.sort_by(|a, b| {
            object_key(&a.meta, default_namespace).cmp(&object_key(&b.meta, default_namespace))
        });
        let (mut cluster_roles, mut roles): (Vec<&Role>, Vec<&Role>) =
            model.roles.iter().partition(|role| role.cluster);
        roles.sort_by(|a, b| {
            object_key(&a.meta, default_namespace).cmp(&object_key(&b.meta, default_namespace))
        });
        cluster_roles.sort_by(|a, b| cluster_role_key(a).cmp(&cluster_role_key(b)));
        let mut index = Index {
            service_accounts,
            roles,
            cluster_roles,
            bindings: &model.bindings,
            default_namespace,
            by_subject: SubjectBindings::default(),
            by_role: Vec::with_capacity(model.bindings.len()),
            binding_grants: Vec::with_capacity(model.bindings.len()),
        };
        for (i, binding) in model.bindings.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for subject in &binding.subjects {
                index.by_subject.add(&subject.value, i);
            }
            let grants = index.grants_of(binding);
            index.binding_grants.push(grants.into_boxed_slice());
            if let RoleTarget::Scanned(role) = index.role_of(binding) {
                index.by_role.push((role, i));
                let members = index.aggregated(role).map(|member| (member, i));
                index.by_role.extend(members.collect::<Vec<_>>());
            }
        }
        let key = |role: &&'m Role| identity(role, default_namespace);
        index
            .by_role
            .sort_by(|(a, i), (b, j)| (key(a), i).cmp(&(key(b), j)));
        index
            .by_role
            .dedup_by(|(a, i), (b, j)| i == j && key(a) == key(b));
        index.by_role.shrink_to_fit();
        index.by_subject.service_account.sort_unstable();
        index.by_subject.service_account.shrink_to_fit();
        index
    }

    /// Every definition of the service account that `scope` sees, in file order. The
    /// plain scope's (most lookups) is borrowed: its definitions are stored in file order.
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

    /// The definitions of the service account in one scope, in model order.
    fn defined_in(&self, scope: Scope, namespace: &str, name: &str) -> &[&'m ServiceAccount] {
        equal_range(&self.service_accounts, (scope, namespace, name), |sa| {
            object_key(&sa.meta, self.default_namespace)
        })
    }

    /// The role a binding refers to, as the binding's scope sees it: its own scope's
    /// first, then the plain files'.
    pub fn role_of(&self, binding: &Binding) -> RoleTarget<'m> {
        let namespace = binding.meta.namespace_or(self.default_namespace);
        let name = binding.role_name.as_str();
        let mut scopes = visible(binding.meta.scope);
        let scanned = match binding.role_kind.as_str() {
            "Role" if !binding.cluster => scopes.find_map(|s| {
                let found = equal_range(&self.roles, (s, namespace, name), |role| {
                    object_key(&role.meta, self.default_namespace)
                });
                found.first().copied()
            }),
            "ClusterRole" => scopes.find_map(|s| {
                let found = equal_range(&self.cluster_roles, (s, name), |role| {
                    cluster_role_key(role)
                });
                found.first().copied()
            }),
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
        identity(role, self.default_namespace)
    }

    /// The ClusterRoles whose rules an aggregated ClusterRole collects, among those its
    /// scope sees (of a name defined twice, the first definition).
    fn aggregated(&self, role: &'m Role) -> impl Iterator<Item = &'m Role> + '_ {
        // Asked for every binding and role: most aggregate nothing, and need not look.
        let candidates: &[&Role] = match role.cluster && !role.aggregation.is_empty() {
            true => &self.cluster_roles,
            false => &[],
        };
        let first_definitions = (candidates.iter().enumerate())
            .filter(|&(i, member)| {
                i == 0 || cluster_role_key(candidates[i - 1]) != cluster_role_key(member)
            })
            .map(|(_, member)| *member);
        first_definitions.filter(move |member| {
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
        equal_range(&self.by_role, self.key(role), |(target, _)| {
            self.key(target)
        })
        .iter()
        .map(|&(_, i)| &self.bindings[i as usize])
        .filter(|b| role.meta.scope.sees(b.meta.scope))
        .collect()
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
                grants: self.binding_grants[i].to_vec(),
            })
            .collect();
        ServiceAccountBindings {
            all: found.iter().map(|&i| &self.bindings[i]).collect(),
            powerful,
        }
    }

    fn binding_indexes(&self, scope: Scope, namespace: &str, name: &str) -> Vec<usize> {
        let subjects = &self.by_subject;
        let named = equal_range(
            &subjects.service_account,
            (namespace, name),
            |&(ns, n, _)| (ns, n),
        );
        let mut found: Vec<usize> = (named.iter().map(|&(_, _, i)| i))
            .chain(
                subjects
                    .namespace
                    .get(namespace)
                    .into_iter()
                    .flatten()
                    .copied(),
            )
            .chain(subjects.everyone.iter().copied())
            .map(|i| i as usize)
            .filter(|&i| scope.sees(self.bindings[i].meta.scope))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

impl<'m> SubjectBindings<'m> {
    fn add(&mut self, subject: &'m Subject, binding: u32) {
        match subject {
            Subject::Group(group) => match service_account_group(group) {
                Some(ServiceAccountGroup::Every) => self.everyone.push(binding),
                Some(ServiceAccountGroup::Namespace(namespace)) => {
                    self.namespace.entry(namespace).or_default().push(binding)
                }
                None => {}
            },
            _ => {
                if let Some((namespace, name)) = subject.as_service_account() {
                    self.service_account.push((namespace, name, binding));
                }
            }
        }
    }
}

/// The items of `sorted`, sorted by `key_of`, whose key is `key`.
fn equal_range<T, K: Ord>(sorted: &[T], key: K, key_of: impl Fn(&T) -> K) -> &[T] {
    let start = sorted.partition_point(|item| key_of(item) < key);
    let len = sorted[start..].partition_point(|item| key_of(item) == key);
    &sorted[start..start + len]
}

/// What a namespaced object is looked up by: (scope, namespace, name).
fn object_key<'a>(meta: &'a ObjectMeta, default_namespace: &'a str) -> (Scope, &'a str, &'a str) {
    (
        meta.scope,
        meta.namespace_or(default_namespace),
        meta.name.as_str(),
    )
}

fn identity<'a>(role: &'a Role, default_namespace: &'a str) -> RoleKey<'a> {
    let meta = &role.meta;
    (
        meta.scope,
        role.cluster,
        meta.namespace_or(default_namespace),
        meta.name.as_str(),
    )
}

fn cluster_role_key(role: &Role) -> (Scope, &str) {
    (role.meta.scope, role.meta.name.as_str())
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
    use crate::files::FileId;
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

    const AGGREGATION: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: aggregate}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {aggregate: 'yes'}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: member, labels: {aggregate: 'yes'}}
rules: [{apiGroups: [''], resources: [serviceaccounts/token], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: member, labels: {aggregate: 'yes'}}
rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: to-aggregate}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: aggregate}
subjects: [{kind: ServiceAccount, name: api, namespace: shop}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: to-member}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: member}
subjects: [{kind: ServiceAccount, name: api, namespace: shop}, {kind: Group, name: 'system:serviceaccounts:shop'}]
";

    /// Of a ClusterRole defined twice, the first definition is the one bound and
    /// aggregated; a binding is listed once per role however it reaches it.
    #[test]
    fn the_first_definition_of_a_role_is_bound_and_aggregated() {
        let mut model = Model::default();
        model.push(FileModel::of_text(AGGREGATION, FileId(0)));
        let index = Index::build(&model, "default");
        let aggregate = &model.roles[0];
        let member = &model.roles[1];
        let verbs: Vec<String> = index
            .effective_rules(aggregate)
            .iter()
            .map(|rule| rule.verbs.join(","))
            .collect();
        assert_eq!(verbs, ["create"], "only the first `member` is aggregated");
        let names = |bindings: Vec<&crate::model::rbac::Binding>| -> Vec<String> {
            bindings.iter().map(|b| b.meta.name.to_string()).collect()
        };
        assert_eq!(
            names(index.bindings_of(member)),
            ["to-aggregate", "to-member"]
        );
        assert_eq!(names(index.bindings_of(aggregate)), ["to-aggregate"]);
        let bound = index.service_account_bindings(Scope::PLAIN, "shop", "api");
        assert_eq!(names(bound.all), ["to-aggregate", "to-member"]);
        assert_eq!(bound.powerful.len(), 2);
        let other = index.service_account_bindings(Scope::PLAIN, "shop", "web");
        assert_eq!(names(other.all), ["to-member"], "by the namespace's group");
    }
}
