//! Kustomize's builtin transformers over rendered objects, and what they share: the
//! field specs that say which kinds a transformer writes where.

pub(crate) mod labels;
pub(crate) mod names;
pub(crate) mod namespace;

use super::node::{Node, Value};
use crate::origin::Origin;

/// The group and version of an `apiVersion` (`apps/v1` -> `apps`, `v1`; `v1` -> ``, `v1`).
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Kustomize's built-in list of the kinds that are certainly cluster-scoped, by exact
/// `apiVersion` and `kind`: every other object, a custom resource included, gets the
/// kustomization's namespace.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    (
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicy",
    ),
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition"),
    ("apiregistration.k8s.io/v1", "APIService"),
    ("apiregistration.k8s.io/v1beta1", "APIService"),
    ("certificates.k8s.io/v1", "CertificateSigningRequest"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io/v1", "IngressClass"),
    ("networking.k8s.io/v1beta1", "IngressClass"),
    ("node.k8s.io/v1", "RuntimeClass"),
    ("node.k8s.io/v1beta1", "RuntimeClass"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass"),
    ("storage.k8s.io/v1", "CSIDriver"),
    ("storage.k8s.io/v1", "CSINode"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("storage.k8s.io/v1", "VolumeAttachment"),
    ("storage.k8s.io/v1beta1", "CSIDriver"),
    ("storage.k8s.io/v1beta1", "CSINode"),
    ("storage.k8s.io/v1beta1", "StorageClass"),
    ("storage.k8s.io/v1beta1", "VolumeAttachment"),
    ("v1", "ComponentStatus"),
    ("v1", "Namespace"),
    ("v1", "Node"),
    ("v1", "PersistentVolume"),
];

pub(crate) fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&(api_version, kind))
}

/// Where a transformer writes in objects of some kinds: an empty group, version or
/// kind selects any.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldSpec {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    /// `/`-separated keys; sequences on the way are entered item by item.
    pub path: &'static str,
    /// Whether missing maps on the way (and the target) are created.
    pub create: bool,
}

impl FieldSpec {
    pub fn selects(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = group_version(api_version);
        (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
            && (self.kind.is_empty() || self.kind == kind)
    }
}

/// Calls `leaf(parent, key)` for every mapping that holds the last key of `path`
/// under `node`, entering every item of a sequence on the way. Missing (or null) maps
/// on the way are created with origin `created` if given, else the walk stops there.
pub(crate) fn walk(
    node: &mut Node,
    path: &[&str],
    created: Option<Origin>,
    leaf: &mut dyn FnMut(&mut Node, &str),
) {
    if let Value::Seq(items) = &mut node.value {
        for item in items {
            walk(item, path, created, leaf);
        }
        return;
    }
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if node.as_map().is_none() {
        return;
    }
    if rest.is_empty() {
        leaf(node, first);
        return;
    }
    let missing = node.get(first).is_none_or(Node::is_null);
    if missing {
        let Some(at) = created else { return };
        node.set(first, at, Node::new(Value::Map(Vec::new()), at));
    }
    if let Some(next) = node.get_mut(first) {
        walk(next, rest, created, leaf);
    }
}

/// Splits a field spec path into its keys (`a/b[]/c` -> `a`, `b`, `c`).
pub(crate) fn keys(path: &str) -> Vec<&str> {
    path.split('/').map(|k| k.trim_end_matches("[]")).collect()
}
