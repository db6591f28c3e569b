//! Typed reading of a kustomization's fields as Kustomize decodes them (YAML 1.1
//! typing, then strict JSON into Go types): a number or a boolean where a string is
//! expected is an error, a null is the field left out.

use crate::kustomize::node::{Entry, Node, Scalar};
use crate::origin::Origin;
use crate::yaml::scalar::Value as Typed;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` must be {expected}")]
pub struct FieldError {
    pub at: Origin,
    pub field: String,
    pub expected: &'static str,
}

fn typed(node: &Node) -> Option<Typed<'_>> {
    node.as_scalar().map(Scalar::typed)
}

fn wrong(node: &Node, field: &str, expected: &'static str) -> FieldError {
    FieldError {
        at: node.at,
        field: field.to_owned(),
        expected,
    }
}

/// A string, or `None` for a null.
pub fn string<'a>(node: &'a Node, field: &str) -> Result<Option<&'a str>, FieldError> {
    match typed(node) {
        Some(Typed::Str(text)) => Ok(Some(text)),
        Some(Typed::Null) => Ok(None),
        _ => Err(wrong(node, field, "a string")),
    }
}

/// The entry that sets the field `key` of a mapping as Go's JSON decoder (which reads a
/// kustomization) finds it: its keys match in any case, and the last match wins.
pub fn entry<'a>(map: &'a Node, key: &str) -> Option<&'a Entry> {
    map.as_map()?
        .iter()
        .rev()
        .find(|e| e.key.eq_ignore_ascii_case(key))
}

/// The value of the field `key` of a mapping (see [`entry`]).
pub fn get<'a>(map: &'a Node, key: &str) -> Option<&'a Node> {
    entry(map, key).map(|e| &e.value)
}

/// The string value of `key` in `map`, with its entry; `None` when absent or null.
pub fn string_entry<'a>(
    map: &'a Node,
    key: &str,
) -> Result<Option<(&'a str, &'a Entry)>, FieldError> {
    let Some(entry) = entry(map, key) else {
        return Ok(None);
    };
    Ok(string(&entry.value, key)?.map(|text| (text, entry)))
}

/// A boolean (YAML 1.1 spellings, as Kustomize's decoder reads them); null is false.
pub fn boolean(node: &Node, field: &str) -> Result<bool, FieldError> {
    match typed(node) {
        Some(Typed::Bool(b)) => Ok(b),
        Some(Typed::Null) => Ok(false),
        _ => Err(wrong(node, field, "a boolean")),
    }
}

/// The items of a sequence of strings, each with its node; a null is no items.
pub fn strings<'a>(node: &'a Node, field: &str) -> Result<Vec<(&'a str, &'a Node)>, FieldError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(wrong(node, field, "a list of strings"));
    };
    items
        .iter()
        .map(|item| match typed(item) {
            Some(Typed::Str(text)) => Ok((text, item)),
            _ => Err(wrong(item, field, "a list of strings")),
        })
        .collect()
}

/// The entries of a mapping of strings to strings (a null value is the empty string,
/// as Go decodes it); a null mapping is no entries.
pub fn string_map<'a>(
    node: &'a Node,
    field: &str,
) -> Result<Vec<(&'a Entry, &'a str)>, FieldError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Some(entries) = node.as_map() else {
        return Err(wrong(node, field, "a mapping of strings"));
    };
    entries
        .iter()
        .map(|entry| Ok((entry, string(&entry.value, field)?.unwrap_or(""))))
        .collect()
}

/// A mapping, or `None` for a null.
pub fn mapping<'a>(node: &'a Node, field: &str) -> Result<Option<&'a [Entry]>, FieldError> {
    if node.is_null() {
        return Ok(None);
    }
    node.as_map()
        .map(Some)
        .ok_or_else(|| wrong(node, field, "a mapping"))
}

/// The first key of `map` that is not in `known` in any case: Kustomize rejects
/// unknown fields.
pub fn unknown_key<'a>(map: &'a [Entry], known: &[&str]) -> Option<&'a Entry> {
    map.iter()
        .find(|e| !known.iter().any(|k| k.eq_ignore_ascii_case(&e.key)))
}
