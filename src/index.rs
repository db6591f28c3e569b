//! Cross-object facts, built once after every file is loaded: service accounts by
//! namespace and name, and which RBAC bindings give which service account what.

use std::collections::HashMap;

use crate::model::rbac::{Binding, PolicyRule, Role, Subject};
use crate::model::{FileModel, ServiceAccount};
use crate::rbac::{self, Grant};

pub struct Index<'m> {
    /// namespace -> name -> definitions.
    service_accounts: HashMap<&'m str, HashMap<&'m str, Vec<&'m ServiceAccount>>>,
    /// namespace -> name -> Role.
    roles: HashMap<&'m str, HashMap<&'m str, &'m Role>>,
    cluster_roles: HashMap<&'m str, &'m Role>,
    bindings: &'m [Binding],
    default_namespace: &'m str,
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
    pub fn build(model: &'m FileModel, default_namespace: &'m str) -> Self {
        let mut service_accounts: HashMap<&str, HashMap<&str, Vec<&ServiceAccount>>> =
            HashMap::new();
        for sa in &model.service_accounts {
            service_accounts
                .entry(sa.meta.namespace_or(default_namespace))
                .or_default()
                .entry(sa.meta.name.as_str())
                .or_default()
                .push(sa);
        }
        let mut roles: HashMap<&str, HashMap<&str, &Role>> = HashMap::new();
        let mut cluster_roles = HashMap::new();
        for role in &model.roles {
            if role.cluster {
                cluster_roles.entry(role.meta.name.as_str()).or_insert(role);
            } else {
                roles
                    .entry(role.meta.namespace_or(default_namespace))
                    .or_default()
                    .entry(role.meta.name.as_str())
                    .or_insert(role);
            }
        }
        Index {
            service_accounts,
            roles,
            cluster_roles,
            bindings: &model.bindings,
            default_namespace,
        }
    }

    /// Every definition of the service account, in file order.
    pub fn service_account(&self, namespace: &str, name: &str) -> &[&'m ServiceAccount] {
        self.service_accounts
            .get(namespace)
            .and_then(|names| names.get(name))
            .map_or(&[], Vec::as_slice)
    }

    pub fn role_of(&self, binding: &Binding) -> RoleTarget<'m> {
        let scanned = match binding.role_kind.as_str() {
            "Role" if !binding.cluster => self
                .roles
                .get(binding.meta.namespace_or(self.default_namespace))
                .and_then(|names| names.get(binding.role_name.as_str()))
                .copied(),
            "ClusterRole" => self.cluster_roles.get(binding.role_name.as_str()).copied(),
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

    /// The ClusterRoles whose rules an aggregated ClusterRole collects.
    fn aggregated(&self, role: &'m Role) -> impl Iterator<Item = &'m Role> + '_ {
        self.cluster_roles
            .values()
            .copied()
            .filter(move |member| !std::ptr::eq(*member, role) && aggregates(role, member))
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
    /// reference a ClusterRole aggregating it.
    pub fn bindings_of(&self, role: &Role) -> Vec<&'m Binding> {
        self.bindings
            .iter()
            .filter(|b| match self.role_of(b) {
                RoleTarget::Scanned(target) => {
                    std::ptr::eq(target, role) || (role.cluster && aggregates(target, role))
                }
                _ => false,
            })
            .collect()
    }

    /// The bindings that give the service account powerful grants, in file order.
    pub fn powerful_grants(&self, namespace: &str, name: &str) -> Vec<BoundGrants<'m>> {
        self.bindings_of_service_account(namespace, name)
            .into_iter()
            .filter_map(|binding| {
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
                (!grants.is_empty()).then_some(BoundGrants { binding, grants })
            })
            .collect()
    }

    /// Every binding with a subject that covers the service account.
    pub fn bindings_of_service_account(&self, namespace: &str, name: &str) -> Vec<&'m Binding> {
        self.bindings
            .iter()
            .filter(|b| b.subjects.iter().any(|s| covers(s, namespace, name)))
            .collect()
    }
}

/// Whether an RBAC subject includes the service account `namespace/name`.
pub fn covers(subject: &Subject, namespace: &str, name: &str) -> bool {
    match subject {
        Subject::Group(group) => {
            group == "system:serviceaccounts"
                || group == "system:authenticated"
                || group.strip_prefix("system:serviceaccounts:") == Some(namespace)
        }
        _ => subject
            .as_service_account()
            .is_some_and(|(ns, n)| ns == namespace && n == name),
    }
}

fn aggregates(aggregator: &Role, member: &Role) -> bool {
    aggregator.cluster
        && member.cluster
        && aggregator.aggregation.iter().any(|selector| {
            !selector.is_empty() && selector.iter().all(|pair| member.labels.contains(pair))
        })
}
