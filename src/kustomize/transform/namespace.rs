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

/// Fields besides `metadata.namespace` that hold the namespace.
const FIELDS: &[FieldSpec<'static>] = &[
    FieldSpec {
        group: "",
        version: "v1",
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

/// Moves `resources` to the namespace of `pair`; values written point at its value,
/// keys added at its key. Two objects that end up with the same id are Kustomize's
/// error, returned with the object.
pub(crate) fn apply(
    resources: &mut [Resource],
    pair: &Pair,
    at: impl Fn(Span) -> Origin,
) -> Result<(), String> {
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
        if matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding") {
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
        for spec in FIELDS.iter().filter(|s| s.selects(&api_version, &kind)) {
            walk(
                &mut resource.node,
                spec.path,
                spec.create.then_some(key_at),
                &mut |parent, key| {
                    if spec.create || parent.get(key).is_some() {
                        parent.set(key, key_at, value());
                    }
                },
            );
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
            return Err(describe(resource));
        }
    }
    Ok(())
}
