//! Keys written twice in one mapping of an object (TG015): kubectl keeps the last value.

use super::object::ObjectMeta;
use crate::FileId;
use crate::yaml::{self, NodeId, Span, Tree};

#[derive(Clone, Debug)]
pub struct DuplicateKey {
    pub file: FileId,
    /// The key as JSON names it, shortened for messages.
    pub key: String,
    /// The repeated key, whose value kubectl and tokenguard use (with that value when it
    /// is a scalar).
    pub at: Span,
    /// The key's first occurrence in the same mapping, likewise.
    pub first: Span,
    /// The innermost object the mapping is in; `None` for the keys of a `List` itself.
    pub object: Option<ObjectMeta>,
}

impl DuplicateKey {
    /// Each repeat `found` in a file, with the object (one of `roots`, which are in text
    /// order and do not overlap: a `List` is not one, its items are) it is in.
    pub fn read_all(
        file: FileId,
        tree: &Tree,
        roots: &[NodeId],
        found: &[yaml::DuplicateKey],
    ) -> Vec<DuplicateKey> {
        found
            .iter()
            .map(|d| {
                // The last object to start at or before the key, if the key lies in it.
                let before = roots.partition_point(|&r| tree.node(r).span().start <= d.at.start);
                let object = before
                    .checked_sub(1)
                    .map(|i| tree.node(roots[i]))
                    .filter(|root| d.at.start < root.span().end)
                    .and_then(|root| {
                        let (_, kind) = crate::load::type_meta(root)?;
                        Some(ObjectMeta::read(root, kind))
                    });
                DuplicateKey {
                    file,
                    key: d.key.clone(),
                    at: d.at,
                    first: d.first,
                    object,
                }
            })
            .collect()
    }
}
