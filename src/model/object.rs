//! What every Kubernetes object has: type, name, namespace and where they are written.

use crate::yaml::{NodeRef, Span, scalar};

#[derive(Clone, Debug)]
pub struct ObjectMeta {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// `metadata.namespace` as written; the default namespace applies when `None`.
    pub namespace: Option<String>,
    /// The `metadata.name` key (with its value), else the `kind` key.
    pub name_region: Span,
}

impl ObjectMeta {
    pub fn read(root: NodeRef<'_>, api_version: &str, kind: &str) -> ObjectMeta {
        let metadata = root.get("metadata");
        let name_entry = metadata.and_then(|m| m.entry("name"));
        let kind_region = root
            .entry("kind")
            .map(|(k, v)| super::field::key_value_region(k, v))
            .unwrap_or_else(|| root.span());
        ObjectMeta {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: name_entry.and_then(|(_, v)| text(v)).unwrap_or_default(),
            namespace: metadata
                .and_then(|m| m.get("namespace"))
                .and_then(text)
                .filter(|ns| !ns.is_empty()),
            name_region: name_entry
                .map(|(k, v)| super::field::key_value_region(k, v))
                .unwrap_or(kind_region),
        }
    }

    pub fn namespace_or<'a>(&'a self, default_namespace: &'a str) -> &'a str {
        self.namespace.as_deref().unwrap_or(default_namespace)
    }

    /// The API group: the part of `apiVersion` before `/`, empty for the core group.
    pub fn group(&self) -> &str {
        self.api_version
            .split_once('/')
            .map_or("", |(group, _)| group)
    }
}

/// A scalar's text; `None` for a null (`~`, `null`, nothing), which kubectl sends as
/// an unset field.
fn text(node: NodeRef<'_>) -> Option<String> {
    node.scalar()
        .filter(|s| !matches!(scalar::resolve(*s), scalar::Value::Null))
        .map(|s| s.text.to_owned())
}
