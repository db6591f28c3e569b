//! Keys written twice in one mapping of an object (TG015): kubectl keeps the last value.

use super::object::ObjectMeta;
use crate::k8s::kinds::Kind;
use crate::origin::Origin;
use crate::yaml::{self, NodeId, Tree};

#[derive(Clone, Debug)]
pub struct DuplicateKey {
    /// The key as JSON names it, shortened for messages.
    pub key: String,
    /// The repeated key, whose value kubectl and tokenguard use (with that value when it
    /// is a scalar).
    pub at: Origin,
    /// The key's first occurrence in the same mapping, likewise.
    pub first: Origin,
    /// The innermost object the mapping is in; `None` for the keys of a `List` itself.
    pub object: Option<ObjectMeta>,
}

impl DuplicateKey {
    /// Each repeat `found` in a parsed file, with the object (one of `roots`, which are
    /// in text order and do not overlap: a `List` is not one, its items are) it is in.
    /// The parser finds repeats, so they are all in the tree's own file.
    pub fn read_all(
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
                        Some(ObjectMeta::read(root, Kind::of(kind)))
                    });
                DuplicateKey {
                    key: d.key.clone(),
                    at: Origin::new(tree.file(), d.at),
                    first: Origin::new(tree.file(), d.first),
                    object,
                }
            })
            .collect()
    }
}
