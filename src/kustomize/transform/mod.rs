//! Kustomize's builtin transformers over rendered objects, and what they share: the
//! field specs that say which kinds a transformer writes where.

pub(crate) mod build_metadata;
pub(crate) mod config;
pub(crate) mod images;
pub(crate) mod labels;
pub(crate) mod names;
pub(crate) mod namespace;
pub(crate) mod replicas;

use super::node::{Node, Value};
use super::resid;
use crate::origin::Origin;

/// The group and version of an `apiVersion` (`apps/v1` -> `apps`, `v1`; `v1` -> ``, `v1`).
pub(crate) fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Whether Kustomize knows the kind of this `apiVersion` to be cluster-scoped.
pub(crate) fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    let (group, version) = group_version(api_version);
    resid::is_cluster_scoped(group, version, kind)
}

/// Where a transformer writes in objects of some kinds: an empty group, version or
/// kind selects any. Kustomize's own are `'static`; a kustomization's own
/// (`labels[].fields`) borrow from it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldSpec<'a> {
    pub group: &'a str,
    pub version: &'a str,
    pub kind: &'a str,
    /// `/`-separated keys; sequences on the way are entered item by item.
    pub path: &'a str,
    /// Whether missing maps on the way (and the target) are created.
    pub create: bool,
}

impl<'a> FieldSpec<'a> {
    /// A kustomization's field spec.
    pub fn of(field: &'a crate::kustomize::file::LabelField) -> FieldSpec<'a> {
        FieldSpec {
            group: &field.group,
            version: &field.version,
            kind: &field.kind,
            path: &field.path,
            create: field.create,
        }
    }

    pub fn selects(&self, api_version: &str, kind: &str) -> bool {
        let (group, version) = group_version(api_version);
        (self.group.is_empty() || self.group == group)
            && (self.version.is_empty() || self.version == version)
            && (self.kind.is_empty() || self.kind == kind)
    }

    /// Whether every group, version and kind `other` names is this one's (Kustomize's
    /// `Gvk.IsSelected`, by which it merges field specs).
    pub fn selected_by(&self, other: &FieldSpec<'_>) -> bool {
        (other.group.is_empty() || other.group == self.group)
            && (other.version.is_empty() || other.version == self.version)
            && (other.kind.is_empty() || other.kind == self.kind)
    }
}

/// Calls `leaf(parent, key)` for every mapping that holds the last key of `path` (a
/// field spec path, `a/b[]/c`) under `node`, entering every item of a sequence on the
/// way. Missing (or null) maps on the way are created with origin `created` if given,
/// else the walk stops there. A key marked `[]` names a list, which is never created:
/// the walk stops where it is missing, and a null there becomes an empty list, as
/// Kustomize's field spec filter leaves them. The path is split as it is walked:
/// transformers walk every object, and a split per object would allocate for each.
pub(crate) fn walk(
    node: &mut Node,
    path: &str,
    created: Option<Origin>,
    leaf: &mut dyn FnMut(&mut Node, &str),
) {
    if let Value::Seq(items) = &mut node.value {
        for item in items {
            walk(item, path, created, leaf);
        }
        return;
    }
    if node.as_map().is_none() {
        return;
    }
    let (first, rest) = match path.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (path, None),
    };
    let (first, is_list) = match first.strip_suffix("[]") {
        Some(list) => (list, true),
        None => (first, false),
    };
    let Some(rest) = rest else {
        leaf(node, first);
        return;
    };
    if is_list {
        let Some(list) = node.get_mut(first) else {
            return;
        };
        if list.is_null() {
            list.value = Value::Seq(Vec::new());
        }
        walk(list, rest, created, leaf);
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
