//! A compact, read-only YAML tree: one arena of nodes per file, children stored in
//! flat side tables, scalar text in one string buffer. Aliases point at the anchored
//! node (a DAG), so a document full of aliases costs no more memory than its text.

use std::fmt;

/// A 1-based line and column, columns counted in characters as an editor shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const START: Pos = Pos { line: 1, col: 1 };
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A region of a file; `end` is one past the last character.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    /// A span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start,
            end: other.end,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeId(u32);

impl NodeId {
    pub(super) fn index(self) -> usize {
        self.0 as usize
    }
}

/// How a scalar was written; kubectl's typing of a scalar depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// An explicit core-schema tag on a scalar (`!!str`, `!!bool`, ...); other tags are
/// kept as `Other` and leave the scalar a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    None,
    Str,
    Bool,
    Int,
    Float,
    Null,
    Other,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    Scalar {
        text: (u32, u32),
        style: Style,
        tag: Tag,
    },
    Seq {
        items: (u32, u32),
    },
    Map {
        entries: (u32, u32),
    },
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) span: Span,
}

#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

/// All documents of one file.
#[derive(Debug, Default)]
pub struct Tree {
    pub(super) nodes: Vec<Node>,
    pub(super) items: Vec<NodeId>,
    pub(super) entries: Vec<Entry>,
    pub(super) text: String,
}

impl Tree {
    /// An empty tree with room for what a text of `len` bytes typically holds (about one
    /// node per 32 bytes of manifest), so that building it rarely has to grow and copy.
    pub(super) fn with_capacity_for(len: usize) -> Tree {
        Tree {
            nodes: Vec::with_capacity(len / 32),
            items: Vec::with_capacity(len / 256),
            entries: Vec::with_capacity(len / 64),
            text: String::with_capacity(len / 2),
        }
    }

    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { tree: self, id }
    }

    pub(super) fn push(&mut self, kind: Kind, span: Span) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(Node { kind, span });
        id
    }

    /// Nodes stored: those written in the text (an alias adds none).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Mapping entries stored, including those copied in by merge keys.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
    }
}

fn range(r: (u32, u32)) -> std::ops::Range<usize> {
    r.0 as usize..r.1 as usize
}

/// A borrowed view of one node with the navigation the models need.
#[derive(Clone, Copy)]
pub struct NodeRef<'t> {
    tree: &'t Tree,
    id: NodeId,
}

/// A scalar's text as written (after YAML unescaping), with its style and tag.
#[derive(Clone, Copy, Debug)]
pub struct Scalar<'t> {
    pub text: &'t str,
    pub style: Style,
    pub tag: Tag,
}

impl<'t> NodeRef<'t> {
    fn raw(&self) -> &'t Node {
        &self.tree.nodes[self.id.index()]
    }

    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn span(&self) -> Span {
        self.raw().span
    }

    pub fn scalar(&self) -> Option<Scalar<'t>> {
        match self.raw().kind {
            Kind::Scalar { text, style, tag } => Some(Scalar {
                text: &self.tree.text[range(text)],
                style,
                tag,
            }),
            _ => None,
        }
    }

    /// The value as a string the way kubectl types it: a quoted scalar, or a plain one
    /// that YAML 1.1 does not read as null, bool or number.
    pub fn as_str(&self) -> Option<&'t str> {
        self.scalar().and_then(|s| match super::scalar::resolve(s) {
            super::scalar::Value::Str(s) => Some(s),
            _ => None,
        })
    }

    pub fn is_map(&self) -> bool {
        matches!(self.raw().kind, Kind::Map { .. })
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.raw().kind, Kind::Seq { .. })
    }

    /// The entries of a mapping (merge keys already resolved); empty for other nodes.
    pub fn entries(self) -> impl Iterator<Item = (NodeRef<'t>, NodeRef<'t>)> + 't {
        let tree = self.tree;
        let slice: &'t [Entry] = match self.raw().kind {
            Kind::Map { entries } => &tree.entries[range(entries)],
            _ => &[],
        };
        slice
            .iter()
            .map(move |e| (tree.node(e.key), tree.node(e.value)))
    }

    /// The items of a sequence; empty for other nodes.
    pub fn items(self) -> impl Iterator<Item = NodeRef<'t>> + 't {
        let tree = self.tree;
        let slice: &'t [NodeId] = match self.raw().kind {
            Kind::Seq { items } => &tree.items[range(items)],
            _ => &[],
        };
        slice.iter().map(move |&id| tree.node(id))
    }

    /// The key and value of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(NodeRef<'t>, NodeRef<'t>)> {
        self.entries()
            .find(|(k, _)| k.scalar().is_some_and(|s| s.text == key))
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<NodeRef<'t>> {
        self.entry(key).map(|(_, v)| v)
    }
}
