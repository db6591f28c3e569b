//! What identifies an object when Kustomize compares objects: a patch with its target,
//! a replacement or var with its selector, a name reference with its referent. The
//! kinds Kustomize knows to be cluster-scoped live here too: they have no namespace to
//! compare, and the namespace transformer passes them by.

use crate::kustomize::node::Node;

/// An object's identity as Kustomize compares them: group, version and kind (from
/// `apiVersion` and `kind`), name and namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResId {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub name: String,
    /// As written: empty when the object sets none.
    pub namespace: String,
}

/// What Kustomize puts in place of a cluster-scoped object's namespace.
const NOT_NAMESPACED: &str = "_non_namespaceable_";

impl ResId {
    /// The identity an object (or a strategic merge patch) names.
    pub fn of(object: &Node) -> ResId {
        let text = |path: &[&str]| {
            object
                .get_path(path)
                .and_then(Node::as_scalar)
                .map_or_else(String::new, |s| s.text.to_string())
        };
        let api_version = text(&["apiVersion"]);
        let (group, version) = match api_version.split_once('/') {
            Some((group, version)) => (group.to_owned(), version.to_owned()),
            None => (String::new(), api_version),
        };
        ResId {
            group,
            version,
            kind: text(&["kind"]),
            name: text(&["metadata", "name"]),
            namespace: text(&["metadata", "namespace"]),
        }
    }

    /// The namespace Kustomize compares: `default` for none, a fixed marker for a
    /// kind that has no namespace.
    pub fn effective_namespace(&self) -> &str {
        if is_cluster_scoped(&self.group, &self.version, &self.kind) {
            NOT_NAMESPACED
        } else {
            effective_namespace(&self.namespace)
        }
    }

    /// Whether two identities name the same object: the same group, version, kind
    /// and name, and the same effective namespace. A strategic merge patch without a
    /// target applies to the one object whose current or a previous identity is the
    /// patch's (none or several is an error in Kustomize).
    pub fn same(&self, other: &ResId) -> bool {
        self.group == other.group
            && self.version == other.version
            && self.kind == other.kind
            && self.name == other.name
            && self.effective_namespace() == other.effective_namespace()
    }

    /// Whether every field the selector sets is equal (an empty namespace and
    /// `default` being the same).
    pub fn is_selected_by(&self, selector: &ResId) -> bool {
        (selector.name.is_empty() || selector.name == self.name)
            && (selector.namespace.is_empty()
                || effective_namespace(&selector.namespace) == effective_namespace(&self.namespace))
            && (selector.group.is_empty() || selector.group == self.group)
            && (selector.version.is_empty() || selector.version == self.version)
            && (selector.kind.is_empty() || selector.kind == self.kind)
    }
}

/// Kustomize compares namespaces with an unset one standing for `default`.
pub(crate) fn effective_namespace(namespace: &str) -> &str {
    if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

/// The kinds without a namespace that Kustomize knows (its precomputed table of the
/// Kubernetes API): everything else, custom resources included, is namespaced.
pub fn is_cluster_scoped(group: &str, version: &str, kind: &str) -> bool {
    CLUSTER_SCOPED
        .iter()
        .any(|(g, versions, k)| *g == group && *k == kind && versions.contains(&version))
}

const CLUSTER_SCOPED: &[(&str, &[&str], &str)] = &[
    ("", &["v1"], "ComponentStatus"),
    ("", &["v1"], "Namespace"),
    ("", &["v1"], "Node"),
    ("", &["v1"], "NodeProxyOptions"),
    ("", &["v1"], "PersistentVolume"),
    (
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        &["v1", "v1beta1"],
        "ValidatingWebhookConfiguration",
    ),
    (
        "apiextensions.k8s.io",
        &["v1", "v1beta1"],
        "CustomResourceDefinition",
    ),
    ("apiregistration.k8s.io", &["v1", "v1beta1"], "APIService"),
    (
        "certificates.k8s.io",
        &["v1", "v1beta1"],
        "CertificateSigningRequest",
    ),
    ("flowcontrol.apiserver.k8s.io", &["v1beta1"], "FlowSchema"),
    (
        "flowcontrol.apiserver.k8s.io",
        &["v1beta1"],
        "PriorityLevelConfiguration",
    ),
    ("networking.k8s.io", &["v1", "v1beta1"], "IngressClass"),
    ("node.k8s.io", &["v1", "v1beta1"], "RuntimeClass"),
    ("policy", &["v1beta1"], "PodSecurityPolicy"),
    (
        "rbac.authorization.k8s.io",
        &["v1", "v1beta1"],
        "ClusterRole",
    ),
    (
        "rbac.authorization.k8s.io",
        &["v1", "v1beta1"],
        "ClusterRoleBinding",
    ),
    ("scheduling.k8s.io", &["v1", "v1beta1"], "PriorityClass"),
    ("storage.k8s.io", &["v1", "v1beta1"], "CSIDriver"),
    ("storage.k8s.io", &["v1", "v1beta1"], "CSINode"),
    ("storage.k8s.io", &["v1", "v1beta1"], "StorageClass"),
    ("storage.k8s.io", &["v1", "v1beta1"], "VolumeAttachment"),
];
