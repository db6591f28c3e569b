//! `namespace:`: every namespaced object moves to it, and the fields that name the
//! object's own namespace follow (Kustomize's NamespaceTransformer).

use std::collections::HashSet;

use super::{FieldSpec, is_cluster_scoped, walk};
use crate::kustomize::file::Pair;
use crate::kustomize::node::{Node, Scalar, Value};
use crate::kustomize::render::{Resource, describe};
use crate::kustomize::resid::effective_namespace;
use crate::origin::Origin;
use crate::yaml::Span;

/// Kustomize's own field specs besides `metadata.namespace` that hold the namespace.
pub(crate) const FIELD_SPECS: &[FieldSpec<'static>] = &[
    FieldSpec {
        group: "",
        version: "",
        kind: "Namespace",
        path: "metadata/name",
        create: true,
    },
    FieldSpec {
        group: "apiregistration.k8s.io",
        version: "",
        kind: "APIService",
        path: "spec/service/namespace",
        create: true,
    },
    FieldSpec {
        group: "apiextensions.k8s.io",
        version: "",
        kind: "CustomResourceDefinition",
        path: "spec/conversion/webhook/clientConfig/service/namespace",
        create: false,
    },
];

/// Why the namespace cannot be set as Kustomize sets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NamespaceError {
    /// Two objects with this id.
    Collision(String),
    /// A field spec found a value that is not a string.
    NotAString(String),
}

/// Whether Kustomize's namespace filter leaves out `spec` for an object: it sets
/// `metadata/namespace` itself, a `metadata/name` only of a `v1` object, and binding
/// subjects by its own rule.
fn left_out(spec: &FieldSpec<'_>, api_version: &str, binding: bool) -> bool {
    spec.path == "metadata/namespace"
        || (spec.path == "metadata/name" && api_version != "v1")
        || (binding
            && matches!(spec.kind, "RoleBinding" | "ClusterRoleBinding")
            && spec.path == "subjects/namespace")
}

/// Moves `resources` to the namespace of `pair`; values written point at its value,
/// keys added at its key; `configured` replaces Kustomize's own field specs where
/// `configurations` changed them. Two objects that end up with the same id, or a field
/// spec that finds a value that is not a string, are Kustomize's errors.
pub(crate) fn apply(
    resources: &mut [Resource],
    pair: &Pair,
    configured: Option<&[FieldSpec<'_>]>,
    at: impl Fn(Span) -> Origin,
) -> Result<(), NamespaceError> {
    let specs = configured.unwrap_or(FIELD_SPECS);
    let (key_at, value_at) = (at(pair.key.at), at(pair.value.at));
    let namespace = pair.value.text.as_str();
    let value = || Node::new(Value::Scalar(Scalar::string(namespace)), value_at);
    for resource in resources.iter_mut() {
        if resource.node.as_map().is_none_or(<[_]>::is_empty) {
            continue;
        }
        resource.store_previous();
        let api_version = resource.api_version().to_owned();
        let kind = resource.kind().to_owned();
        if !is_cluster_scoped(&api_version, &kind) {
            walk(
                &mut resource.node,
                "metadata/namespace",
                Some(key_at),
                &mut |parent, key| {
                    parent.set(key, key_at, value());
                },
            );
        }
        let binding = matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding");
        if binding {
            // Kustomize's default: only subjects named `default` get the namespace
            // here; the others follow their ServiceAccount when references are fixed.
            if let Some(subjects) = resource.node.get_mut("subjects").and_then(Node::as_seq_mut) {
                for subject in subjects {
                    if subject.get("name").and_then(Node::as_str) == Some("default") {
                        subject.set("namespace", key_at, value());
                    }
                }
            }
        }
        let mut refused = None;
        for spec in specs.iter().filter(|s| s.selects(&api_version, &kind)) {
            if left_out(spec, &api_version, binding) {
                continue;
            }
            walk(
                &mut resource.node,
                spec.path,
                spec.create.then_some(key_at),
                &mut |parent, key| match parent.get(key) {
                    Some(field) if field.as_map().is_some() || field.as_seq().is_some() => {
                        refused.get_or_insert(spec.path);
                    }
                    Some(_) => {
                        parent.set(key, key_at, value());
                    }
                    None if spec.create => {
                        parent.set(key, key_at, value());
                    }
                    None => {}
                },
            );
        }
        if let Some(path) = refused {
            return Err(NamespaceError::NotAString(format!(
                "`{path}` of {} is not a string, which Kustomize's namespace refuses to set",
                describe(resource)
            )));
        }
    }
    let mut ids = HashSet::new();
    for resource in resources.iter() {
        let id = (
            resource.api_version(),
            resource.kind(),
            effective_namespace(resource.namespace()),
            resource.name(),
        );
        if !ids.insert(id) {
            return Err(NamespaceError::Collision(describe(resource)));
        }
    }
    Ok(())
}
