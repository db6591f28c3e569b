//! Kustomize's patches applied to the rendered tree (SPEC 3.4): strategic merge
//! patches as Kustomize v5 merges them, JSON 6902 operations, and the `target`
//! selectors that choose the objects a patch applies to. Pure functions over
//! [`Node`]: the driver reads the patch files, finds the targets and calls them.
//!
//! Every value a patch writes keeps the origin of the patch text that wrote it, so a
//! finding on a patched field points at the patch line.
//!
//! For each `patches` entry (and `patchesStrategicMerge`, `patchesJson6902`), the
//! driver parses the patch text (a file or inline) into documents and:
//! - [`PatchKind::of`] tells a JSON 6902 list from strategic merge objects;
//! - with a `target`, [`Selector::read`] it once, then for each object in the
//!   resource list, [`Selector::matches`] with the object's identity before any
//!   transformation (names and namespaces match the original or the current one);
//!   Kustomize allows only one strategic merge document with a target;
//! - without a target (strategic merge only; JSON 6902 needs one), each document
//!   patches the one object whose current or a previous [`ResId`](crate::kustomize::resid::ResId) is
//!   [`ResId::same`](crate::kustomize::resid::ResId::same) as the document's own (none or several: Kustomize's error);
//! - [`strategic::merge_with`] (the entry's `options`) or [`json6902::apply`] edits
//!   the object; [`strategic::Merged::Deleted`] drops it from the list.
//!
//! Any [`PatchError`] stops the root's rendering, with the error's origin.

pub mod json6902;
mod merge_keys;
pub mod selector;
pub mod strategic;

pub use selector::Selector;

use crate::kustomize::node::{Node, Value};
use crate::origin::Origin;

/// Why a patch could not be applied or read. Each error carries the origin of the
/// patch text at fault (the directive, the operation, the selector field).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("the patch writes a {found} where the object has a {expected}")]
    WrongKind {
        at: Origin,
        expected: NodeKind,
        found: NodeKind,
    },
    #[error("unknown `$patch` directive `{value}`: expected merge, replace or delete")]
    UnknownDirective { at: Origin, value: String },
    #[error("a patch must be a mapping (strategic merge) or a list of operations (JSON 6902)")]
    NotAPatch { at: Origin },
    #[error("JSON 6902 operation: {reason}")]
    BadOperation { at: Origin, reason: String },
    #[error("JSON 6902 {op} operation: the object has no {path}")]
    PathMissing {
        at: Origin,
        op: &'static str,
        path: String,
    },
    #[error("JSON 6902 test operation failed: {path} does not hold the tested value")]
    TestFailed { at: Origin, path: String },
    #[error("patch target: {reason}")]
    BadSelector { at: Origin, reason: String },
}

impl PatchError {
    /// Where the patch text at fault was written.
    pub fn at(&self) -> Origin {
        match self {
            PatchError::WrongKind { at, .. }
            | PatchError::UnknownDirective { at, .. }
            | PatchError::NotAPatch { at }
            | PatchError::BadOperation { at, .. }
            | PatchError::PathMissing { at, .. }
            | PatchError::TestFailed { at, .. }
            | PatchError::BadSelector { at, .. } => *at,
        }
    }
}

/// The shape of a YAML node, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Mapping,
    Sequence,
    Scalar,
}

impl NodeKind {
    pub fn of(node: &Node) -> NodeKind {
        match node.value {
            Value::Map(_) => NodeKind::Mapping,
            Value::Seq(_) => NodeKind::Sequence,
            Value::Scalar(_) => NodeKind::Scalar,
        }
    }
}

impl std::fmt::Display for NodeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NodeKind::Mapping => "mapping",
            NodeKind::Sequence => "list",
            NodeKind::Scalar => "scalar",
        })
    }
}

/// Which kind of patch a `patches` entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchKind {
    /// One or more objects to merge (each document a mapping).
    Strategic,
    /// One list of JSON 6902 operations.
    Json6902,
}

impl PatchKind {
    /// The kind of a patch from its parsed documents, as Kustomize decides it: a
    /// single list is JSON 6902 (YAML or JSON text alike), mappings are strategic
    /// merge patches, anything else is neither. Empty documents (a `---` with nothing
    /// after it) are skipped as Kustomize skips them.
    pub fn of(documents: &[Node]) -> Result<PatchKind, PatchError> {
        let mut present = documents.iter().filter(|d| !d.is_null());
        let Some(first) = present.next() else {
            return Err(PatchError::NotAPatch {
                at: documents.first().map_or_else(empty_origin, |d| d.at),
            });
        };
        match first.value {
            Value::Seq(_) => Ok(PatchKind::Json6902),
            Value::Map(_) => match present.find(|d| d.as_map().is_none()) {
                Some(other) => Err(PatchError::NotAPatch { at: other.at }),
                None => Ok(PatchKind::Strategic),
            },
            Value::Scalar(_) => Err(PatchError::NotAPatch { at: first.at }),
        }
    }
}

fn empty_origin() -> Origin {
    Origin::new(crate::files::FileId(0), crate::yaml::Span::default())
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the patch tests (parsing and origins as `file:line:col` are
    //! the renderer's [`testing`](crate::kustomize::testing)): their two files, and
    //! values compared without origins.

    use std::collections::BTreeMap;

    use crate::files::FileId;
    use crate::kustomize::node::{Node, Value};

    pub const BASE: FileId = FileId(1);
    pub const PATCH: FileId = FileId(2);

    /// A node's value without origins, styles or key order (`kubectl kustomize`
    /// sorts keys), to compare a patched object with kubectl's output.
    #[derive(Debug, PartialEq, Eq)]
    pub enum Plain {
        Scalar(String),
        Seq(Vec<Plain>),
        Map(BTreeMap<String, Plain>),
    }

    pub fn plain(node: &Node) -> Plain {
        match &node.value {
            Value::Scalar(s) => Plain::Scalar(s.text.to_string()),
            Value::Seq(items) => Plain::Seq(items.iter().map(plain).collect()),
            Value::Map(entries) => Plain::Map(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), plain(&e.value)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::PATCH;
    use super::*;
    use crate::kustomize::testing::{parse, parse_all};

    #[test]
    fn a_list_is_json_6902_and_mappings_are_strategic() {
        let ops = parse_all("- op: remove\n  path: /spec\n", PATCH);
        assert_eq!(PatchKind::of(&ops), Ok(PatchKind::Json6902));
        let json = parse_all("[{\"op\": \"remove\", \"path\": \"/spec\"}]\n", PATCH);
        assert_eq!(PatchKind::of(&json), Ok(PatchKind::Json6902));
        let objects = parse_all("kind: A\n---\nkind: B\n", PATCH);
        assert_eq!(PatchKind::of(&objects), Ok(PatchKind::Strategic));
    }

    #[test]
    fn a_scalar_or_a_mix_is_neither() {
        let scalar = parse("just text\n", PATCH);
        let err = PatchKind::of(std::slice::from_ref(&scalar)).expect_err("not a patch");
        assert_eq!(err.at(), scalar.at);
        let mixed = parse_all("kind: A\n---\n- op: remove\n", PATCH);
        let err = PatchKind::of(&mixed).expect_err("not a patch");
        assert_eq!(err.at().span.start.line, 3);
        assert!(PatchKind::of(&[]).is_err());
    }
}
