//! RBAC objects: Roles and ClusterRoles with their rules, RoleBindings and
//! ClusterRoleBindings with their subjects, each keeping the keys findings point at.

use super::field::key_value_origin;
use super::names::Names;
use super::object::ObjectMeta;
use crate::k8s::kinds::Kind;
use crate::k8s::{identity, rbac::PolicyRuleLists};
use crate::origin::{Located, Origin};
use crate::yaml::NodeRef;
use compact_str::CompactString;

/// Label pairs: a ClusterRole's labels, or the `matchLabels` of a selector.
pub type Labels = Box<[(CompactString, CompactString)]>;

/// A Role or ClusterRole.
#[derive(Clone, Debug)]
pub struct Role {
    pub meta: ObjectMeta,
    pub cluster: bool,
    pub labels: Labels,
    pub rules: Box<[PolicyRule]>,
    /// `aggregationRule.clusterRoleSelectors[].matchLabels`: this ClusterRole's rules are
    /// those of every ClusterRole whose labels match one of the selectors.
    pub aggregation: Box<[Labels]>,
}

/// One entry of `rules`.
#[derive(Clone, Debug, Default)]
pub struct PolicyRule {
    pub verbs: Names,
    pub api_groups: Names,
    pub resources: Names,
    pub resource_names: Names,
    /// Where `verbs` is written (TG006, TG007 point here), else the rule. An origin
    /// beside the list rather than a `Located` list: each would waste 4 bytes of padding
    /// in every rule a large scan keeps.
    pub verbs_at: Origin,
    /// Where `resources` is written (TG008 points here), else the rule.
    pub resources_at: Origin,
}

impl PolicyRuleLists for PolicyRule {
    fn verbs(&self) -> impl Iterator<Item = &str> {
        self.verbs.iter()
    }

    fn api_groups(&self) -> impl Iterator<Item = &str> {
        self.api_groups.iter()
    }

    fn resources(&self) -> impl Iterator<Item = &str> {
        self.resources.iter()
    }

    fn has_resource_names(&self) -> bool {
        !self.resource_names.is_empty()
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding {
    pub meta: ObjectMeta,
    pub cluster: bool,
    /// `Role` or `ClusterRole`.
    pub role_kind: CompactString,
    pub role_name: CompactString,
    pub subjects: Box<[Located<Subject>]>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// `namespace` is already defaulted to the binding's namespace where it is missing.
    ServiceAccount {
        namespace: CompactString,
        name: CompactString,
    },
    User(CompactString),
    Group(CompactString),
}

impl Subject {
    /// `ServiceAccount:NS/NAME`, `User:NAME` or `Group:NAME`, as `tokenCreators` names them.
    pub fn config_form(&self) -> String {
        match self {
            Subject::ServiceAccount { namespace, name } => {
                format!("ServiceAccount:{namespace}/{name}")
            }
            Subject::User(name) => format!("User:{name}"),
            Subject::Group(name) => format!("Group:{name}"),
        }
    }

    /// Whether it has a name, as a `tokenCreators` entry must (`User:` names nothing).
    pub fn is_named(&self) -> bool {
        match self {
            Subject::ServiceAccount { name, .. } | Subject::User(name) | Subject::Group(name) => {
                !name.is_empty()
            }
        }
    }

    /// The subject as a service account, if it is one under any of its spellings.
    pub fn as_service_account(&self) -> Option<(&str, &str)> {
        match self {
            Subject::ServiceAccount { namespace, name } => Some((namespace, name)),
            Subject::User(user) => identity::service_account_user(user),
            Subject::Group(_) => None,
        }
    }
}

// Vectors here are sized from the YAML node, not grown: a scan keeps every role and
// binding until the end, and growth would leave room for four items in each.

fn names(node: Option<NodeRef<'_>>) -> Names {
    node.into_iter()
        .flat_map(NodeRef::items)
        .filter_map(|i| i.scalar().map(|s| s.text))
        .collect()
}

fn labels(node: Option<NodeRef<'_>>) -> Labels {
    let Some(entries) = node.map(NodeRef::entries) else {
        return Box::default();
    };
    let mut out = Vec::with_capacity(entries.size_hint().0);
    out.extend(
        entries.filter_map(|(k, v)| Some((k.scalar()?.text.into(), v.scalar()?.text.into()))),
    );
    out.into_boxed_slice()
}

impl Role {
    pub fn read(meta: ObjectMeta, root: NodeRef<'_>) -> Option<Role> {
        let cluster = match meta.kind {
            Kind::ROLE => false,
            Kind::CLUSTER_ROLE => true,
            _ => return None,
        };
        let rule_nodes = root.get("rules").map(NodeRef::items);
        let mut rules = Vec::with_capacity(rule_nodes.as_ref().map_or(0, |r| r.size_hint().0));
        rules.extend(rule_nodes.into_iter().flatten().map(|rule| {
            let origin = |key: &str| {
                rule.entry(key)
                    .map_or_else(|| rule.origin(), |(k, v)| key_value_origin(k, v))
            };
            PolicyRule {
                verbs: names(rule.get("verbs")),
                api_groups: names(rule.get("apiGroups")),
                resources: names(rule.get("resources")),
                resource_names: names(rule.get("resourceNames")),
                verbs_at: origin("verbs"),
                resources_at: origin("resources"),
            }
        }));
        let aggregation = root
            .get("aggregationRule")
            .and_then(|a| a.get("clusterRoleSelectors"))
            .into_iter()
            .flat_map(|s| s.items())
            .map(|selector| labels(selector.get("matchLabels")))
            .collect();
        Some(Role {
            meta,
            cluster,
            rules: rules.into_boxed_slice(),
            // Only ClusterRoles are aggregated (by their labels).
            labels: match cluster {
                true => labels(root.get("metadata").and_then(|m| m.get("labels"))),
                false => Box::default(),
            },
            aggregation,
        })
    }
}

impl Binding {
    pub fn read(meta: ObjectMeta, root: NodeRef<'_>, default_namespace: &str) -> Option<Binding> {
        let cluster = match meta.kind {
            Kind::ROLE_BINDING => false,
            Kind::CLUSTER_ROLE_BINDING => true,
            _ => return None,
        };
        let role_ref = root.get("roleRef")?;
        let text = |node: NodeRef<'_>, key: &str| {
            node.get(key)
                .and_then(|v| v.scalar())
                .map(|s| CompactString::from(s.text))
        };
        let binding_namespace = meta.namespace_or(default_namespace);
        let subjects = root
            .get("subjects")
            .into_iter()
            .flat_map(|s| s.items())
            .filter_map(|s| {
                let name = text(s, "name")?;
                let subject = match text(s, "kind")?.as_str() {
                    "ServiceAccount" => Subject::ServiceAccount {
                        namespace: text(s, "namespace")
                            .filter(|ns| !ns.is_empty())
                            .unwrap_or_else(|| binding_namespace.into()),
                        name,
                    },
                    "User" => Subject::User(name),
                    "Group" => Subject::Group(name),
                    _ => return None,
                };
                Some(Located::new(subject, s.origin()))
            })
            .collect();
        Some(Binding {
            meta,
            cluster,
            role_kind: text(role_ref, "kind")?,
            role_name: text(role_ref, "name")?,
            subjects,
        })
    }
}
