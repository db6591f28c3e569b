//! What every Kubernetes object has: kind, name, namespace and ignore annotations, each
//! where it is written.

use super::field::key_value_origin;
use crate::k8s::kinds::Kind;
use crate::origin::Located;
use crate::yaml::{NodeRef, scalar};
use compact_str::CompactString;

#[derive(Clone, Debug)]
pub struct ObjectMeta {
    pub kind: Kind,
    /// `metadata.name`, at its key (with its value), else at the `kind` key: where a
    /// finding about the object as a whole points.
    pub name: Located<CompactString>,
    /// `metadata.namespace` as written; the default namespace applies when `None`.
    pub namespace: Option<Located<CompactString>>,
    /// `tokenguard.dev/ignore-<RULE>` annotations (SPEC 7), on the object and, for
    /// workloads, on the pod template.
    pub ignores: Ignores,
    /// Which objects it is judged with: plain files', or one rendered root's.
    pub scope: Scope,
}

/// What an object is judged with (SPEC 3.4): the objects of plain files, or those and
/// the objects of one rendered Kustomize root. Two roots are two deployments, often to
/// two clusters, so no object of one sees an object of the other.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope(u32);

impl Scope {
    /// The plain files' objects, which every scope sees.
    pub const PLAIN: Scope = Scope(0);

    /// The scope of the rendered root at `index` of the scan's roots.
    pub fn root(index: usize) -> Scope {
        Scope(u32::try_from(index + 1).unwrap_or(u32::MAX))
    }

    /// The index of its root among the scan's roots; `None` for plain files.
    pub fn root_index(self) -> Option<usize> {
        (self.0 as usize).checked_sub(1)
    }

    /// Whether an object of scope `self` sees one of scope `other`: its own, and the
    /// plain files'.
    pub fn sees(self, other: Scope) -> bool {
        other == Scope::PLAIN || other == self
    }
}

/// The annotation prefix that suppresses a rule for one object.
pub const IGNORE_ANNOTATION_PREFIX: &str = "tokenguard.dev/ignore-";

/// The ignore annotations of an object. Most objects have none, and every object of a
/// large scan is kept to its end, so an empty list costs one pointer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ignores(Option<Box<Box<[Located<Ignore>]>>>);

impl Ignores {
    pub fn iter(&self) -> std::slice::Iter<'_, Located<Ignore>> {
        self.0.as_deref().map_or(&[][..], |list| &list[..]).iter()
    }

    /// These and `more`.
    pub fn with(self, more: Vec<Located<Ignore>>) -> Ignores {
        let mut all = self.0.map(|list| list.into_vec()).unwrap_or_default();
        all.extend(more);
        Ignores::from(all)
    }
}

impl From<Vec<Located<Ignore>>> for Ignores {
    fn from(list: Vec<Located<Ignore>>) -> Ignores {
        Ignores((!list.is_empty()).then(|| Box::new(list.into_boxed_slice())))
    }
}

/// A `tokenguard.dev/ignore-<RULE>: "<reason>"` annotation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ignore {
    pub rule: CompactString,
    pub reason: CompactString,
}

/// The ignore annotations in the `metadata` mapping of an object or pod template.
pub fn read_ignores(metadata: Option<NodeRef<'_>>) -> Vec<Located<Ignore>> {
    metadata
        .and_then(|m| m.get("annotations"))
        .into_iter()
        .flat_map(|a| a.entries())
        .filter_map(|(k, v)| {
            let rule = k.scalar()?.text.strip_prefix(IGNORE_ANNOTATION_PREFIX)?;
            let ignore = Ignore {
                rule: CompactString::from(rule).to_ascii_uppercase(),
                reason: v.scalar().map(|s| s.text.trim().into()).unwrap_or_default(),
            };
            Some(Located::new(ignore, key_value_origin(k, v)))
        })
        .collect()
}

impl ObjectMeta {
    pub fn read(root: NodeRef<'_>, kind: Kind) -> ObjectMeta {
        let metadata = root.get("metadata");
        let name_entry = metadata.and_then(|m| m.entry("name"));
        let name_at = name_entry
            .or_else(|| root.entry("kind"))
            .map_or_else(|| root.origin(), |(k, v)| key_value_origin(k, v));
        let name = name_entry.and_then(|(_, v)| text(v)).unwrap_or_default();
        let namespace = metadata
            .and_then(|m| m.entry("namespace"))
            .and_then(|(k, v)| Some(Located::new(text(v)?, key_value_origin(k, v))))
            .filter(|ns| !ns.is_empty());
        ObjectMeta {
            kind,
            name: Located::new(name, name_at),
            namespace,
            ignores: Ignores::from(read_ignores(metadata)),
            scope: Scope::PLAIN,
        }
    }

    /// The object's namespace: `metadata.namespace`, else the default namespace, and
    /// empty for cluster-scoped kinds.
    pub fn namespace_or<'a>(&'a self, default_namespace: &'a str) -> &'a str {
        if self.is_cluster_scoped() {
            return "";
        }
        self.namespace
            .as_ref()
            .map_or(default_namespace, |ns| ns.as_str())
    }

    /// Kinds without a namespace (those tokenguard reports on or resolves).
    pub fn is_cluster_scoped(&self) -> bool {
        self.kind.is_cluster_scoped()
    }
}

/// A scalar's text; `None` for a null (`~`, `null`, nothing), which kubectl sends as
/// an unset field.
fn text(node: NodeRef<'_>) -> Option<CompactString> {
    node.scalar()
        .filter(|s| !matches!(scalar::resolve(*s), scalar::Value::Null))
        .map(|s| s.text.into())
}
