//! Strategic merge patches, merged as Kustomize v5 merges them (its kyaml merge walk,
//! which is not the API server's strategic merge): mappings merge key by key, a null
//! value deletes a key, `$patch: delete|replace|merge` acts on mappings and lists, and
//! the lists the Kubernetes schema marks as merged (see `merge_keys`) merge item by
//! item, the patch's new items first. Every other list is replaced whole.
//!
//! Kustomize reproduced here where it differs from the API server (the oracle is
//! `kubectl kustomize`): `$retainKeys`, `$setElementOrder/...` and
//! `$deleteFromPrimitiveList/...` are not directives but copied into the object like
//! any field; an item's `$patch: replace` keeps the object's item when the list has it;
//! an item without its merge key (a container without `name`) makes the merge drop
//! the items that have one; a key whose value is an empty null (`key:`) is dropped.
//!
//! Origins: what the merge keeps keeps its origin, every value it takes from the
//! patch keeps the patch's, and a key it adds has the origin of the patch's key.

use compact_str::CompactString;

use super::merge_keys::{self, Schema};
use super::{NodeKind, PatchError};
use crate::kustomize::node::{Entry, Node, Scalar, Value};
use crate::yaml::{Style, Tag};

/// What a merge did to the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merged {
    /// The object was merged with the patch (possibly unchanged).
    Patched,
    /// The patch deleted the whole object (`$patch: delete` at its top).
    Deleted,
}

/// A `patches` entry's `options`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `allowNameChange`: the patch's `metadata.name` renames the object.
    pub allow_name_change: bool,
    /// `allowKindChange`: the patch's `kind` changes the object's kind.
    pub allow_kind_change: bool,
}

/// Merges `patch` into `target` as Kustomize applies a strategic merge patch to an
/// object: the object keeps its `apiVersion`, kind, name and namespace whatever the
/// patch says. On `Deleted`, `target` is left as it was and the caller drops it.
pub fn merge(target: &mut Node, patch: &Node) -> Result<Merged, PatchError> {
    merge_with(target, patch, Options::default())
}

/// [`merge`] with a `patches` entry's options.
pub fn merge_with(target: &mut Node, patch: &Node, options: Options) -> Result<Merged, PatchError> {
    if patch.as_map().is_none() {
        return Err(PatchError::NotAPatch { at: patch.at });
    }
    let identity = Identity::of(target);
    let mut patch = patch.clone();
    // Kustomize gives the patch the target's apiVersion before merging.
    patch.remove("apiVersion");
    let merged = walk(Some(target.clone()), Src::Node(patch), None)?;
    let Out::Node { node, .. } = merged else {
        return Ok(Merged::Deleted);
    };
    *target = node;
    if target.as_map().is_some_and(|entries| !entries.is_empty()) {
        identity.restore(target, options);
    }
    Ok(Merged::Patched)
}

/// The entries a merge must not change: `kind`, `metadata.name`,
/// `metadata.namespace`, kept with their origins.
struct Identity {
    kind: Option<Entry>,
    name: Option<Entry>,
    namespace: Option<Entry>,
}

impl Identity {
    fn of(object: &Node) -> Identity {
        let metadata = object.get("metadata");
        Identity {
            kind: object.entry("kind").cloned(),
            name: metadata.and_then(|m| m.entry("name")).cloned(),
            namespace: metadata.and_then(|m| m.entry("namespace")).cloned(),
        }
    }

    fn restore(self, object: &mut Node, options: Options) {
        if !options.allow_kind_change
            && let Some(kind) = self.kind
        {
            object.set("kind", kind.key_at, kind.value);
        }
        if !options.allow_name_change
            && let Some(name) = self.name
        {
            if object.get("metadata").is_none_or(|m| m.as_map().is_none()) {
                let metadata = Node::new(Value::Map(Vec::new()), name.key_at);
                object.set("metadata", name.key_at, metadata);
            }
            if let Some(metadata) = object.get_mut("metadata") {
                metadata.set("name", name.key_at, name.value);
            }
        }
        let Some(metadata) = object.get_mut("metadata") else {
            return;
        };
        match self.namespace {
            Some(namespace) => {
                metadata.set("namespace", namespace.key_at, namespace.value);
            }
            None => {
                metadata.remove("namespace");
            }
        }
    }
}

/// The patch side of a merge step.
enum Src {
    /// The patch has nothing here.
    Missing,
    Node(Node),
    /// The patch is the destination itself: below a value the merge took from the
    /// patch, the walk goes on merging that value with itself (which is how nested
    /// directives of new values are carried out).
    Dest,
}

/// The result of a merge step.
enum Out {
    /// The key or item is removed.
    Clear,
    Node {
        node: Node,
        /// The value is the destination's own, merged in place.
        from_dest: bool,
        /// A null the object wrote that no patch touched: kept, not cleared.
        keep_null: bool,
    },
}

impl Out {
    fn taken(node: Node, from_dest: bool) -> Out {
        Out::Node {
            node,
            from_dest,
            keep_null: false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Directive {
    Merge,
    Replace,
    Delete,
}

/// Whether a node is a null (`~`, `null`, nothing, `!!null`): what `Node::is_null`
/// says, without typing the scalar as a whole (the merge asks for every node).
fn is_null(node: &Node) -> bool {
    node.as_scalar().is_some_and(|s| match s.tag {
        Tag::Null => true,
        Tag::None => {
            s.style == Style::Plain
                && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
        }
        _ => false,
    })
}

fn missing_or_null(node: Option<&Node>) -> bool {
    node.is_none_or(is_null)
}

fn is_empty_map(node: &Node) -> bool {
    node.as_map().is_some_and(<[Entry]>::is_empty)
}

/// A node's text as Kustomize compares merge keys: a scalar's text as written,
/// nothing for a collection.
fn text(node: &Node) -> &str {
    node.as_scalar().map_or("", |s| s.text.as_str())
}

/// The value of `key` in a mapping, the last one if it is written twice (as the
/// merge reads it).
fn field<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.as_map()?
        .iter()
        .rev()
        .find(|e| e.key == key)
        .map(|e| &e.value)
}

/// The schema of an object from its own `apiVersion` and `kind`, for a value the
/// schema does not cover (an object embedded in a custom resource).
fn schema_of(node: Option<&Node>) -> Option<Schema> {
    let node = node.filter(|n| !is_null(n))?;
    let api_version = node.get("apiVersion").map(text)?;
    let kind = node.get("kind").map(text)?;
    if api_version.is_empty() || kind.is_empty() {
        return None;
    }
    merge_keys::for_kind(api_version, kind)
}

fn walk(dest: Option<Node>, src: Src, schema: Option<Schema>) -> Result<Out, PatchError> {
    let src_node = match &src {
        Src::Node(node) => Some(node),
        Src::Missing | Src::Dest => None,
    };
    let schema = schema
        .or_else(|| schema_of(dest.as_ref()))
        .or_else(|| schema_of(src_node));
    let dest_kind = dest.as_ref().filter(|d| !is_null(d)).map(NodeKind::of);
    let src_kind = src_node.filter(|s| !is_null(s)).map(NodeKind::of);
    if let (Some(expected), Some(found), Some(patch)) = (dest_kind, src_kind, src_node)
        && expected != found
    {
        return Err(PatchError::WrongKind {
            at: patch.at,
            expected,
            found,
        });
    }
    match dest_kind.or(src_kind) {
        None | Some(NodeKind::Mapping) => walk_map(dest, src, schema),
        Some(NodeKind::Sequence) => match schema {
            Some(Schema::MergeList { keys, .. }) => walk_merge_list(dest, src, schema, keys),
            _ => Ok(take_patch(dest, src)),
        },
        Some(NodeKind::Scalar) => Ok(take_patch(dest, src)),
    }
}

/// A scalar or a list replaced whole: the patch's value if it has one.
fn take_patch(dest: Option<Node>, src: Src) -> Out {
    match (src, dest) {
        (Src::Node(node), _) => Out::taken(node, false),
        (Src::Dest | Src::Missing, Some(node)) => Out::taken(node, true),
        (Src::Dest | Src::Missing, None) => Out::Clear,
    }
}

/// Reads and removes a mapping's `$patch`.
fn map_directive(node: &mut Node) -> Result<Directive, PatchError> {
    let Some(value) = field(node, "$patch") else {
        return Ok(Directive::Merge);
    };
    let directive = match text(value) {
        "merge" => Directive::Merge,
        "replace" => Directive::Replace,
        "delete" => Directive::Delete,
        other => {
            return Err(PatchError::UnknownDirective {
                at: value.at,
                value: other.to_owned(),
            });
        }
    };
    if let Some(entries) = node.as_map_mut() {
        entries.retain(|e| e.key != "$patch");
    }
    Ok(directive)
}

/// Reads and removes a list's `$patch` item (a mapping holding only `$patch`).
fn list_directive(node: &mut Node) -> Result<Directive, PatchError> {
    let Some(items) = node.as_seq() else {
        return Ok(Directive::Merge);
    };
    let Some(item) = items.iter().find(|i| field(i, "$patch").is_some()) else {
        return Ok(Directive::Merge);
    };
    if item.as_map().is_some_and(|entries| entries.len() > 1) {
        return Ok(Directive::Merge);
    }
    let Some(value) = field(item, "$patch") else {
        return Ok(Directive::Merge);
    };
    let word = text(value).to_owned();
    let directive = match word.as_str() {
        "merge" => Directive::Merge,
        "replace" => Directive::Replace,
        "delete" => Directive::Delete,
        _ => {
            return Err(PatchError::UnknownDirective {
                at: value.at,
                value: word,
            });
        }
    };
    if let Some(items) = node.as_seq_mut() {
        set_element(items, None, &["$patch"], &[word])?;
    }
    Ok(directive)
}

fn directive(node: &mut Node) -> Result<Directive, PatchError> {
    match node.value {
        Value::Map(_) => map_directive(node),
        Value::Seq(_) => list_directive(node),
        Value::Scalar(_) => Err(PatchError::UnknownDirective {
            at: node.at,
            value: text(node).to_owned(),
        }),
    }
}

fn walk_map(dest: Option<Node>, src: Src, schema: Option<Schema>) -> Result<Out, PatchError> {
    let (mut dest, src, from_dest) = if missing_or_null(dest.as_ref()) {
        match src {
            Src::Node(mut node) => {
                // Here Kustomize ignores a directive it cannot read, and keeps it.
                if matches!(directive(&mut node), Ok(Directive::Delete)) {
                    return Ok(Out::Clear);
                }
                (node, Src::Dest, false)
            }
            Src::Missing => {
                return Ok(match dest {
                    Some(null) if !text(&null).is_empty() => Out::Node {
                        node: null,
                        from_dest: true,
                        keep_null: true,
                    },
                    _ => Out::Clear,
                });
            }
            Src::Dest => match dest {
                Some(null) => return Ok(Out::taken(null, false)),
                None => return Ok(Out::Clear),
            },
        }
    } else {
        let Some(mut dest) = dest else {
            return Ok(Out::Clear);
        };
        match src {
            Src::Node(node) if is_null(&node) => return Ok(Out::Clear),
            Src::Node(mut node) => match directive(&mut node)? {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace => (node, Src::Dest, false),
                Directive::Merge => (dest, Src::Node(node), true),
            },
            Src::Dest => match directive(&mut dest)? {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace | Directive::Merge => (dest, Src::Dest, true),
            },
            Src::Missing => (dest, Src::Missing, true),
        }
    };
    if dest.as_map().is_none() {
        return Ok(Out::taken(dest, from_dest));
    }
    let mut keys: Vec<CompactString> = dest
        .as_map()
        .into_iter()
        .flatten()
        .map(|e| e.key.clone())
        .collect();
    if let Src::Node(patch) = &src {
        keys.extend(patch.as_map().into_iter().flatten().map(|e| e.key.clone()));
    }
    keys.sort_unstable();
    keys.dedup();
    for key in keys {
        let child_dest = take_field(&mut dest, &key);
        let (child_src, patch_key_at) = match &src {
            Src::Node(patch) => match patch
                .as_map()
                .and_then(|m| m.iter().rev().find(|e| e.key == key))
            {
                Some(entry) => (Src::Node(entry.value.clone()), Some(entry.key_at)),
                None => (Src::Missing, None),
            },
            Src::Dest => (Src::Dest, None),
            Src::Missing => (Src::Missing, None),
        };
        let child_schema = schema.map(|s| s.field(&key));
        match walk(child_dest, child_src, child_schema)? {
            Out::Node {
                node, keep_null, ..
            } if keep_null || !is_null(&node) => set_field(&mut dest, &key, patch_key_at, node),
            _ => {
                if let Some(entries) = dest.as_map_mut() {
                    entries.retain(|e| e.key != key);
                }
            }
        }
    }
    Ok(Out::taken(dest, from_dest))
}

/// Moves the value of `key` (its last entry, the one the merge reads) out of a
/// mapping, leaving a placeholder that the merge's result then replaces or removes.
fn take_field(map: &mut Node, key: &str) -> Option<Node> {
    let entry = map.as_map_mut()?.iter_mut().rev().find(|e| e.key == key)?;
    let placeholder = Node::new(Value::Seq(Vec::new()), entry.value.at);
    Some(std::mem::replace(&mut entry.value, placeholder))
}

/// Sets the last entry of `key` (the one the merge read), or adds it with the patch
/// key's origin.
fn set_field(map: &mut Node, key: &str, patch_key_at: Option<crate::origin::Origin>, value: Node) {
    let Some(entries) = map.as_map_mut() else {
        return;
    };
    if let Some(entry) = entries.iter_mut().rev().find(|e| e.key == key) {
        entry.value = value;
        return;
    }
    let key_at = patch_key_at.unwrap_or(value.at);
    entries.push(Entry {
        key: key.into(),
        key_at,
        value,
    });
}

fn walk_merge_list(
    dest: Option<Node>,
    src: Src,
    schema: Option<Schema>,
    keys: &'static [&'static str],
) -> Result<Out, PatchError> {
    let (mut dest, src) = if missing_or_null(dest.as_ref()) {
        match src {
            Src::Node(node) => (node, Src::Dest),
            Src::Missing | Src::Dest => return Ok(Out::Clear),
        }
    } else {
        let Some(mut dest) = dest else {
            return Ok(Out::Clear);
        };
        match src {
            Src::Node(node) if is_null(&node) => return Ok(Out::Clear),
            Src::Node(mut node) => match directive(&mut node)? {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace => (node, Src::Dest),
                Directive::Merge => (dest, Src::Node(node)),
            },
            Src::Dest => match directive(&mut dest)? {
                Directive::Delete => return Ok(Out::Clear),
                Directive::Replace | Directive::Merge => (dest, Src::Dest),
            },
            Src::Missing => (dest, Src::Missing),
        }
    };
    let item_schema = schema.map(Schema::items);
    let patch_items: &[Node] = match &src {
        Src::Node(node) => node.as_seq().unwrap_or_default(),
        Src::Dest | Src::Missing => &[],
    };
    let aliased = matches!(src, Src::Dest);
    let Some(dest_items) = dest.as_seq_mut() else {
        return Ok(Out::taken(dest, true));
    };
    if matches!(src, Src::Missing) && distinctly_keyed(dest_items, keys) {
        // A list the patch does not touch, whose items all have distinct keys: the
        // merge below would give back the same items in the same order, each merged
        // with nothing, in quadratic time.
        for item in dest_items.iter_mut() {
            let placeholder = Node::new(Value::Seq(Vec::new()), item.at);
            let taken = std::mem::replace(item, placeholder);
            if let Out::Node { node, .. } = walk(Some(taken), Src::Missing, item_schema)? {
                *item = node;
            }
        }
        return Ok(Out::taken(dest, true));
    }
    let merged = if keys.is_empty() {
        let values = primitive_values(dest_items, patch_items);
        merge_items(dest_items, patch_items, aliased, values, &[""], item_schema)?
    } else {
        let values = keyed_values(dest_items, patch_items, keys);
        merge_items(dest_items, patch_items, aliased, values, keys, item_schema)?
    };
    if let Some(merged) = merged {
        *dest_items = merged;
    }
    Ok(Out::taken(dest, true))
}

/// Whether every item has its own non-empty key values (a non-null scalar of its
/// own text, for a list of scalars): the lists the merge's quirks leave alone.
fn distinctly_keyed(items: &[Node], keys: &[&str]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    items.iter().all(|item| {
        let values: Option<Vec<&str>> = if keys.is_empty() {
            (item.as_scalar().is_some() && !is_null(item)).then(|| vec![text(item)])
        } else {
            item.as_map()
                .is_some_and(|entries| !entries.is_empty())
                .then_some(())
                .and_then(|()| {
                    keys.iter()
                        .map(|key| field(item, key).filter(|v| !is_nil_or_empty(v)).map(text))
                        .collect()
                })
        };
        values.is_some_and(|v| v.iter().all(|s| !s.is_empty()) && seen.insert(v))
    })
}

/// The merge-key values of every item of the patch, then of the object, each once.
fn keyed_values(dest_items: &[Node], patch_items: &[Node], keys: &[&str]) -> Vec<Vec<String>> {
    let mut values: Vec<Vec<String>> = Vec::new();
    for item in patch_items.iter().chain(dest_items) {
        let item_values: Vec<String> = keys
            .iter()
            .map(|key| match item.as_map().and_then(|_| field(item, key)) {
                Some(value) if !is_nil_or_empty(value) => text(value).to_owned(),
                _ => String::new(),
            })
            .collect();
        if !values.contains(&item_values) {
            values.push(item_values);
        }
    }
    values
}

/// The scalars of a list of scalars, the patch's first, each once.
fn primitive_values(dest_items: &[Node], patch_items: &[Node]) -> Vec<Vec<String>> {
    let mut values: Vec<Vec<String>> = Vec::new();
    for item in patch_items.iter().chain(dest_items) {
        let value = vec![text(item).to_owned()];
        if !values.contains(&value) {
            values.push(value);
        }
    }
    values
}

fn is_nil_or_empty(node: &Node) -> bool {
    match &node.value {
        Value::Map(entries) => entries.is_empty(),
        Value::Seq(items) => items.is_empty(),
        Value::Scalar(_) => is_null(node),
    }
}

/// Merges the items of a merged list, one item per distinct key value: the merged
/// items in the order of `values` (the patch's first), then the object's items that
/// replace or follow them. `None` when there was nothing to merge.
fn merge_items(
    dest_items: &mut Vec<Node>,
    patch_items: &[Node],
    aliased: bool,
    mut values: Vec<Vec<String>>,
    keys: &[&str],
    item_schema: Option<Schema>,
) -> Result<Option<Vec<Node>>, PatchError> {
    if keys.len() > 1 {
        merge_partial_values(&mut values);
    }
    let mut added: Vec<Node> = Vec::new();
    let mut last_keys: Vec<&str> = keys.to_vec();
    for item_values in &values {
        if item_values.is_empty() {
            continue;
        }
        let (valid_keys, valid_values) = usable_keys(&values, item_values, keys);
        let (match_keys, match_values) = usable_keys(
            std::slice::from_ref(&valid_values),
            &valid_values,
            &valid_keys,
        );
        let dest_index = element_index(dest_items, &match_keys, &match_values);
        let dest_item = dest_index.map(|i| dest_items[i].clone());
        let src_item = if aliased {
            if dest_index.is_some() {
                Src::Dest
            } else {
                Src::Missing
            }
        } else {
            match element_index(patch_items, &match_keys, &match_values) {
                Some(i) => Src::Node(patch_items[i].clone()),
                None => Src::Missing,
            }
        };
        last_keys.clone_from(&valid_keys);
        let out = walk(dest_item, src_item, item_schema)?;
        let (mut node, from_dest) = match out {
            Out::Node {
                node, from_dest, ..
            } if !is_null(&node) && !is_empty_map(&node) => (node, from_dest),
            Out::Node {
                node, from_dest, ..
            } => {
                if let (true, Some(i)) = (from_dest, dest_index) {
                    dest_items[i] = node;
                }
                set_element(dest_items, None, &valid_keys, &valid_values)?;
                continue;
            }
            Out::Clear => {
                set_element(dest_items, None, &valid_keys, &valid_values)?;
                continue;
            }
        };
        for (key, value) in valid_keys.iter().zip(&valid_values) {
            if !key.is_empty()
                && !value.is_empty()
                && node.as_map().is_some()
                && field(&node, key).is_none()
            {
                let at = node.at;
                node.set(
                    key,
                    at,
                    Node::new(Value::Scalar(Scalar::plain(value.as_str())), at),
                );
            }
        }
        if let (true, Some(i)) = (from_dest, dest_index) {
            dest_items[i] = node.clone();
        }
        set_element(&mut added, Some(node), &valid_keys, &valid_values)?;
    }
    if values.is_empty() {
        return Ok(None);
    }
    for item in dest_items.drain(..) {
        append_item(&mut added, item, &last_keys)?;
    }
    Ok(Some(added))
}

/// Items whose key values agree where both have one (a port with and one without a
/// protocol) are one item: both take the fuller values.
fn merge_partial_values(values: &mut [Vec<String>]) {
    for i in 0..values.len() {
        let first = values[i].clone();
        for j in 0..values.len() {
            if let Some(merged) = agree(&first, &values[j]) {
                values[i].clone_from(&merged);
                values[j] = merged;
            }
        }
    }
}

fn agree(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut merged = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            merged.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if x.is_empty() {
            merged.push(y.clone());
        } else {
            merged.push(x.clone());
        }
    }
    common.then_some(merged)
}

/// The keys some item of the list has a value for (all keys if none has), and this
/// item's values for them.
fn usable_keys<'k>(
    all: &[Vec<String>],
    values: &[String],
    keys: &[&'k str],
) -> (Vec<&'k str>, Vec<String>) {
    let used: Vec<bool> = (0..keys.len())
        .map(|i| all.iter().any(|v| v.get(i).is_some_and(|s| !s.is_empty())))
        .collect();
    if !used.contains(&true) {
        return (keys.to_vec(), values.to_vec());
    }
    let valid_keys = keys
        .iter()
        .zip(&used)
        .filter(|(_, u)| **u)
        .map(|(k, _)| *k)
        .collect();
    let valid_values = values
        .iter()
        .enumerate()
        .filter(|(i, v)| !v.is_empty() || used.get(*i).copied().unwrap_or(false))
        .map(|(_, v)| v.clone())
        .collect();
    (valid_keys, valid_values)
}

/// The first item whose `keys` have exactly `values` (for a list of scalars, the
/// first item written as `values[0]`).
fn element_index(items: &[Node], keys: &[&str], values: &[String]) -> Option<usize> {
    let first_key = keys.first().copied().unwrap_or("");
    let first_value = values.first().map_or("", String::as_str);
    if first_key.is_empty() {
        return items.iter().position(|item| text(item) == first_value);
    }
    if keys.len() != values.len() {
        return None;
    }
    items.iter().position(|item| {
        item.as_map().is_some()
            && keys
                .iter()
                .zip(values)
                .all(|(key, value)| field(item, key).is_some_and(|f| text(f) == value))
    })
}

/// Whether `item` is one a set of key values designates: it has each key (with that
/// value unless the value is empty); a scalar item, when the key is empty, is written
/// as the value.
fn designates(item: &Node, keys: &[&str], values: &[String]) -> Result<bool, PatchError> {
    if keys.is_empty() || values.is_empty() {
        return Ok(false);
    }
    for (key, value) in keys.iter().zip(values) {
        if is_null(item) {
            return Ok(false);
        }
        let found = if key.is_empty() {
            if item.as_scalar().is_none() {
                return Err(PatchError::WrongKind {
                    at: item.at,
                    expected: NodeKind::Scalar,
                    found: NodeKind::of(item),
                });
            }
            text(item) == value
        } else {
            if item.as_map().is_none() {
                return Err(PatchError::WrongKind {
                    at: item.at,
                    expected: NodeKind::Mapping,
                    found: NodeKind::of(item),
                });
            }
            field(item, key).is_some_and(|f| value.is_empty() || text(f) == value)
        };
        if !found {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Replaces the items `keys`/`values` designate by `element` (removes them for
/// `None`), or appends `element` if none is designated. Like Kustomize's, it drops
/// null and empty-mapping items on the way, and with no values it keeps nothing but
/// `element`.
fn set_element(
    items: &mut Vec<Node>,
    element: Option<Node>,
    keys: &[&str],
    values: &[String],
) -> Result<(), PatchError> {
    let keys: &[&str] = if keys.is_empty() { &[""] } else { keys };
    let matching_mappings = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
    let mut kept = Vec::with_capacity(items.len() + 1);
    let mut found = false;
    for item in items.drain(..) {
        if is_null(&item) || is_empty_map(&item) {
            continue;
        }
        if matching_mappings && item.as_map().is_none() {
            kept.push(item);
            continue;
        }
        if !designates(&item, keys, values)? {
            if !values.is_empty() {
                kept.push(item);
            }
            continue;
        }
        found = true;
        if let Some(element) = &element {
            kept.push(element.clone());
        }
    }
    *items = kept;
    if let (false, Some(element)) = (found, element)
        && !is_null(&element)
    {
        items.push(element);
    }
    Ok(())
}

/// Adds one of the object's items after the merged ones: it replaces the merged
/// item with its key values, or is appended.
fn append_item(added: &mut Vec<Node>, item: Node, keys: &[&str]) -> Result<(), PatchError> {
    if keys.first().is_none_or(|k| k.is_empty()) {
        let value = vec![text(&item).to_owned()];
        return set_element(added, Some(item), &[""], &value);
    }
    let mut values = Vec::with_capacity(keys.len());
    for key in keys {
        if is_null(&item) {
            added.push(item.clone());
            continue;
        }
        if item.as_map().is_none() {
            return Err(PatchError::WrongKind {
                at: item.at,
                expected: NodeKind::Mapping,
                found: NodeKind::of(&item),
            });
        }
        match field(&item, key) {
            Some(value) => values.push(text(value).to_owned()),
            None => added.push(item.clone()),
        }
    }
    if keys.len() > 1 {
        set_element(added, None, keys, &values)?;
    }
    set_element(added, Some(item), keys, &values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::patch::test_support::{BASE, PATCH, plain};
    use crate::kustomize::testing::{at, fixture, parse, parse_all, read_text};

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      serviceAccountName: base-sa
      containers:
      - name: app
        image: app:1
";

    fn pod_spec(object: &Node) -> &Node {
        object
            .get_path(&["spec", "template", "spec"])
            .expect("a pod template")
    }

    fn name_of(object: &Node) -> Option<&str> {
        object
            .get_path(&["metadata", "name"])
            .and_then(Node::as_str)
    }

    /// Applies each patch to the objects of its kind and name, as a `patches` entry
    /// without a target does, or to every object of its kind with `by_kind`.
    fn apply(mut objects: Vec<Node>, patches: &[Node], by_kind: bool) -> Vec<Node> {
        for patch in patches {
            objects.retain_mut(|object| {
                let kind = |n: &Node| n.get("kind").and_then(Node::as_str).map(str::to_owned);
                if kind(object) != kind(patch) || (!by_kind && name_of(object) != name_of(patch)) {
                    return true;
                }
                merge(object, patch).expect("the patch applies") == Merged::Patched
            });
        }
        objects
    }

    /// Patches a fixture case's base.yaml with its patch.yaml and compares the result
    /// with kubectl's expected.yaml.
    fn check_fixture(case: &str, by_kind: bool) {
        let text = |file: &str| read_text(&fixture(case).join(file));
        let rendered = apply(
            parse_all(&text("base.yaml"), BASE),
            &parse_all(&text("patch.yaml"), PATCH),
            by_kind,
        );
        let rendered: Vec<_> = rendered.iter().map(plain).collect();
        let expected: Vec<_> = parse_all(&text("expected.yaml"), BASE)
            .iter()
            .map(plain)
            .collect();
        assert_eq!(rendered, expected);
    }

    #[test]
    fn merged_lists_merge_by_key_new_items_first_as_kubectl_renders() {
        check_fixture("patch-strategic-merge-keys", false);
    }

    #[test]
    fn directives_nulls_and_unmerged_lists_as_kubectl_renders() {
        check_fixture("patch-strategic-directives", false);
    }

    #[test]
    fn kustomize_quirks_as_kubectl_renders() {
        check_fixture("patch-strategic-kustomize-quirks", false);
    }

    #[test]
    fn new_values_carry_out_their_directives_and_the_identity_stays_as_kubectl_renders() {
        check_fixture("patch-strategic-new-values", true);
    }

    #[test]
    fn values_the_patch_writes_point_at_the_patch_and_the_rest_at_the_base() {
        let mut object = parse(DEPLOYMENT, BASE);
        let patch = parse(
            "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      serviceAccountName: patched-sa
      automountServiceAccountToken: false
      containers:
      - name: sidecar
        image: sidecar:1
      - name: app
        volumeMounts:
        - name: token
          mountPath: /var/run/secrets/kubernetes.io/serviceaccount
",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let spec = pod_spec(&object);
        let sa = spec.entry("serviceAccountName").expect("kept");
        assert_eq!(sa.value.as_str(), Some("patched-sa"));
        assert_eq!(at(sa.key_at), (BASE, 8, 7));
        assert_eq!(at(sa.value.at), (PATCH, 8, 27));
        let automount = spec.entry("automountServiceAccountToken").expect("added");
        assert_eq!(at(automount.key_at), (PATCH, 9, 7));
        assert_eq!(at(automount.value.at), (PATCH, 9, 37));
        assert_eq!(
            at(spec.entry("containers").expect("kept").key_at),
            (BASE, 9, 7)
        );
        let containers = spec
            .get("containers")
            .and_then(Node::as_seq)
            .expect("a list");
        let names: Vec<_> = containers
            .iter()
            .filter_map(|c| c.get("name")?.as_str())
            .collect();
        assert_eq!(names, ["sidecar", "app"]);
        assert_eq!(at(containers[0].at), (PATCH, 11, 9));
        let app = &containers[1];
        assert_eq!(at(app.at), (BASE, 10, 9));
        assert_eq!(at(app.get("image").expect("kept").at), (BASE, 11, 16));
        let mounts = app.entry("volumeMounts").expect("added");
        assert_eq!(at(mounts.key_at), (PATCH, 14, 9));
        let mount = mounts
            .value
            .as_seq()
            .and_then(|m| m.first())
            .expect("one mount");
        assert_eq!(
            at(mount.get("mountPath").expect("written").at),
            (PATCH, 16, 22)
        );
    }

    #[test]
    fn a_key_the_patch_adds_inside_a_new_value_points_at_the_patch() {
        let mut object = parse(DEPLOYMENT, BASE);
        let patch = parse(
            "\
kind: Deployment
spec:
  template:
    metadata:
      annotations:
        tokenguard.dev/ignore-TG001: reviewed
",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let template = object.get_path(&["spec", "template"]).expect("a template");
        let metadata = template.entry("metadata").expect("added");
        assert_eq!(at(metadata.key_at), (PATCH, 4, 5));
        let note = metadata
            .value
            .get("annotations")
            .and_then(|a| a.entry("tokenguard.dev/ignore-TG001"));
        let note = note.expect("added");
        assert_eq!(
            (at(note.key_at), at(note.value.at)),
            ((PATCH, 6, 9), (PATCH, 6, 38))
        );
    }

    #[test]
    fn null_and_delete_remove_keys_and_replace_takes_the_patch_value() {
        let mut object = parse(
            "\
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: sa
  securityContext: {runAsUser: 1, fsGroup: 2}
  affinity: {nodeAffinity: {}}
",
            BASE,
        );
        let patch = parse(
            "\
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: null
  securityContext: {$patch: replace, runAsUser: 3}
  affinity: {$patch: delete}
",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let spec = object.get("spec").expect("spec");
        assert!(spec.get("serviceAccountName").is_none());
        assert!(spec.get("affinity").is_none());
        let security = spec.get("securityContext").expect("replaced");
        let keys: Vec<_> = security
            .as_map()
            .into_iter()
            .flatten()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["runAsUser"]);
        assert_eq!(at(security.at), (PATCH, 5, 20));
    }

    #[test]
    fn a_list_delete_or_replace_item_acts_on_the_whole_list() {
        let mut object = parse(DEPLOYMENT, BASE);
        let patch = parse(
            "\
kind: Deployment
spec:
  template:
    spec:
      containers:
      - $patch: replace
      - name: only
        image: only:1
",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let containers = pod_spec(&object)
            .get("containers")
            .and_then(Node::as_seq)
            .expect("list");
        assert_eq!(containers.len(), 1);
        assert_eq!(at(containers[0].at), (PATCH, 7, 9));
        let delete = parse(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - $patch: delete\n",
            PATCH,
        );
        assert_eq!(merge(&mut object, &delete), Ok(Merged::Patched));
        assert!(pod_spec(&object).get("containers").is_none());
    }

    #[test]
    fn the_api_server_directives_are_copied_as_kustomize_copies_them() {
        let mut object = parse(DEPLOYMENT, BASE);
        let patch = parse(
            "\
kind: Deployment
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: app}]
      volumes:
      - name: token
        $retainKeys: [name, projected]
        projected: {sources: []}
",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let spec = pod_spec(&object);
        let order = spec.entry("$setElementOrder/containers").expect("copied");
        assert_eq!(at(order.key_at), (PATCH, 5, 7));
        let volume = spec
            .get("volumes")
            .and_then(Node::as_seq)
            .and_then(|v| v.first());
        assert!(volume.and_then(|v| v.get("$retainKeys")).is_some());
    }

    #[test]
    fn the_object_keeps_its_kind_name_and_namespace_unless_the_options_allow() {
        let base = "kind: ServiceAccount\nmetadata:\n  name: a\n  namespace: prod\n";
        let patch = parse(
            "kind: Secret\nmetadata:\n  name: b\n  namespace: dev\n",
            PATCH,
        );
        let mut object = parse(base, BASE);
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        assert_eq!(
            object.get("kind").and_then(Node::as_str),
            Some("ServiceAccount")
        );
        assert_eq!(at(object.get("kind").expect("kind").at), (BASE, 1, 7));
        let name = object.get_path(&["metadata", "name"]).expect("name");
        assert_eq!((name.as_str(), at(name.at)), (Some("a"), (BASE, 3, 9)));
        let namespace = object
            .get_path(&["metadata", "namespace"])
            .and_then(Node::as_str);
        assert_eq!(namespace, Some("prod"));

        let mut renamed = parse(base, BASE);
        let options = Options {
            allow_name_change: true,
            allow_kind_change: true,
        };
        assert_eq!(
            merge_with(&mut renamed, &patch, options),
            Ok(Merged::Patched)
        );
        assert_eq!(renamed.get("kind").and_then(Node::as_str), Some("Secret"));
        let name = renamed.get_path(&["metadata", "name"]).expect("name");
        assert_eq!((name.as_str(), at(name.at)), (Some("b"), (PATCH, 3, 9)));
        let namespace = renamed
            .get_path(&["metadata", "namespace"])
            .and_then(Node::as_str);
        assert_eq!(namespace, Some("prod"));
    }

    #[test]
    fn a_list_the_patch_does_not_touch_is_still_merged_with_nothing() {
        // As kubectl renders it: the nameless container drops the named one even
        // though the patch only sets hostNetwork; the keyed volumes stay as they are.
        let base = parse(
            "\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: a}, {image: x}]
  volumes: [{name: v, emptyDir: {}}, {name: w, secret: {secretName: s}}]
",
            BASE,
        );
        let mut object = base.clone();
        let patch = parse(
            "kind: Pod\nmetadata: {name: p}\nspec: {hostNetwork: true}\n",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let spec = object.get("spec").expect("spec");
        let expected = parse(
            "containers: [{image: x}]\nvolumes: [{name: v, emptyDir: {}}, {name: w, secret: {secretName: s}}]\n",
            BASE,
        );
        for list in ["containers", "volumes"] {
            assert_eq!(
                spec.get(list).map(plain),
                expected.get(list).map(plain),
                "{list}"
            );
        }
        let volumes = spec.get("volumes").and_then(Node::as_seq).expect("volumes");
        let before = base
            .get_path(&["spec", "volumes"])
            .and_then(Node::as_seq)
            .expect("volumes");
        assert_eq!(volumes, before);
    }

    #[test]
    fn a_whole_object_delete_deletes_the_object() {
        let mut object = parse(DEPLOYMENT, BASE);
        let before = object.clone();
        let patch = parse(
            "kind: Deployment\nmetadata: {name: api}\n$patch: delete\n",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Deleted));
        assert_eq!(object, before);
    }

    #[test]
    fn a_custom_resource_list_is_replaced_whole() {
        let mut object = parse(
            "kind: Rollout\nspec:\n  containers: [{name: a}, {name: b}]\n",
            BASE,
        );
        let patch = parse(
            "kind: Rollout\nspec:\n  containers: [{name: b, image: x}]\n",
            PATCH,
        );
        assert_eq!(merge(&mut object, &patch), Ok(Merged::Patched));
        let containers = object.get_path(&["spec", "containers"]).expect("list");
        assert_eq!(at(containers.at), (PATCH, 3, 15));
        assert_eq!(containers.as_seq().map(<[Node]>::len), Some(1));
    }

    #[test]
    fn a_bad_directive_or_a_kind_clash_is_an_error_at_the_patch() {
        let mut object = parse(DEPLOYMENT, BASE);
        let bad = parse(
            "kind: Deployment\nspec:\n  template:\n    $patch: remove\n",
            PATCH,
        );
        let err = merge(&mut object, &bad).expect_err("unknown directive");
        assert_eq!(at(err.at()), (PATCH, 4, 13));
        assert!(err.to_string().contains("`remove`"), "{err}");

        let clash = parse("kind: Deployment\nspec:\n  template: [a]\n", PATCH);
        let err = merge(&mut object, &clash).expect_err("a list for a mapping");
        assert_eq!(at(err.at()), (PATCH, 3, 13));
        assert_eq!(
            err.to_string(),
            "the patch writes a list where the object has a mapping"
        );

        let scalar = parse("just text\n", PATCH);
        assert!(matches!(
            merge(&mut object, &scalar),
            Err(PatchError::NotAPatch { .. })
        ));
    }
}
