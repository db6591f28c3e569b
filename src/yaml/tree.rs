//! A compact, read-only YAML tree: one arena of nodes per file, children stored in
//! flat side tables, scalar text in one string buffer. Aliases point at the anchored
//! node (a DAG), so a document full of aliases costs no more memory than its text.

use std::fmt;

use crate::files::FileId;
use crate::origin::Origin;

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

/// All documents of one file, or the objects of one rendered Kustomize root.
#[derive(Debug, Default)]
pub struct Tree {
    pub(super) nodes: Vec<Node>,
    pub(super) items: Vec<NodeId>,
    pub(super) entries: Vec<Entry>,
    pub(super) text: String,
    /// The file the nodes were written in.
    file: FileId,
    /// Per node, its file, for a rendered tree whose nodes come from several files;
    /// empty when every node is in `file`, so a parsed file pays nothing for it.
    node_files: Vec<FileId>,
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
            file: FileId::default(),
            node_files: Vec::new(),
        }
    }

    /// Names the file a parsed tree was read from: every node's origin is in it.
    pub fn set_file(&mut self, file: FileId) {
        self.file = file;
    }

    /// The file a parsed tree was read from; for a rendered tree, that of the nodes the
    /// per-node table does not place elsewhere.
    pub fn file(&self) -> FileId {
        self.file
    }

    /// The file node `id` was written in.
    fn file_of(&self, id: NodeId) -> FileId {
        self.node_files
            .get(id.index())
            .copied()
            .unwrap_or(self.file)
    }

    pub fn node(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { tree: self, id }
    }

    pub(super) fn push(&mut self, kind: Kind, span: Span) -> NodeId {
        let id = NodeId(u32::try_from(self.nodes.len()).unwrap_or(u32::MAX));
        self.nodes.push(Node { kind, span });
        id
    }

    /// Adds a node written in `at.file`, filling the per-node file table once a node
    /// comes from another file than the tree's own.
    fn push_at(&mut self, kind: Kind, at: Origin) -> NodeId {
        if at.file != self.file && self.node_files.is_empty() {
            self.node_files = vec![self.file; self.nodes.len()];
        }
        if !self.node_files.is_empty() {
            self.node_files.push(at.file);
        }
        self.push(kind, at.span)
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

    /// Where the node was written: its file and span.
    pub fn origin(&self) -> Origin {
        Origin::new(self.tree.file_of(self.id), self.raw().span)
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

/// Builds a tree node by node, each with its own origin: how a rendered Kustomize
/// object, whose fields come from several files, becomes a tree the model reads like a
/// parsed file. Children are added before their parent.
#[derive(Debug)]
pub struct TreeBuilder {
    tree: Tree,
}

impl TreeBuilder {
    /// A builder whose nodes are in `file` unless their origin says otherwise.
    pub fn new(file: FileId) -> TreeBuilder {
        let mut tree = Tree::default();
        tree.set_file(file);
        TreeBuilder { tree }
    }

    pub fn scalar(&mut self, text: &str, style: Style, tag: Tag, at: Origin) -> NodeId {
        let start = offset(self.tree.text.len());
        self.tree.text.push_str(text);
        let text = (start, offset(self.tree.text.len()));
        self.tree.push_at(Kind::Scalar { text, style, tag }, at)
    }

    pub fn seq(&mut self, items: &[NodeId], at: Origin) -> NodeId {
        let start = offset(self.tree.items.len());
        self.tree.items.extend_from_slice(items);
        let items = (start, offset(self.tree.items.len()));
        self.tree.push_at(Kind::Seq { items }, at)
    }

    /// A mapping of (key, value) nodes; keys are expected to be distinct scalars.
    pub fn map(&mut self, entries: &[(NodeId, NodeId)], at: Origin) -> NodeId {
        let start = offset(self.tree.entries.len());
        let entries = entries.iter().map(|&(key, value)| Entry { key, value });
        self.tree.entries.extend(entries);
        let entries = (start, offset(self.tree.entries.len()));
        self.tree.push_at(Kind::Map { entries }, at)
    }

    pub fn finish(self) -> Tree {
        self.tree
    }
}

/// A table offset as the tree stores it. A rendered tree is built from parsed files
/// whose size the limits bound far below 4 GiB; past that, ranges would be clipped,
/// never read out of bounds (`range` slices are checked).
fn offset(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(file: u32, line: u32) -> Origin {
        let start = Pos { line, col: 1 };
        Origin::new(FileId(file), Span { start, end: start })
    }

    #[test]
    fn a_parsed_tree_has_no_file_table_and_every_node_is_in_its_file() {
        let mut stream = super::super::parse("a: [b]\n", &super::super::Limits::default());
        stream.tree.set_file(FileId(4));
        assert!(stream.tree.node_files.is_empty());
        let root = stream.tree.node(stream.documents[0].root);
        let item = root.get("a").and_then(|a| a.items().next()).expect("b");
        assert_eq!(item.origin().file, FileId(4));
        assert_eq!(item.origin().span.start, Pos { line: 1, col: 5 });
    }

    #[test]
    fn a_built_tree_keeps_each_nodes_file_and_reads_like_a_parsed_one() {
        let mut builder = TreeBuilder::new(FileId(1));
        let key = builder.scalar("name", Style::Plain, Tag::None, origin(1, 2));
        let value = builder.scalar("api", Style::Plain, Tag::None, origin(7, 9));
        let item = builder.scalar("x", Style::DoubleQuoted, Tag::None, origin(1, 3));
        let list_key = builder.scalar("list", Style::Plain, Tag::None, origin(1, 3));
        let list = builder.seq(&[item], origin(1, 3));
        let root = builder.map(&[(key, value), (list_key, list)], origin(1, 1));
        let tree = builder.finish();
        let root = tree.node(root);
        let (key, value) = root.entry("name").expect("name");
        assert_eq!((key.origin(), value.origin()), (origin(1, 2), origin(7, 9)));
        assert_eq!(value.as_str(), Some("api"));
        let items: Vec<_> = root.get("list").expect("list").items().collect();
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].scalar().map(|s| s.style),
            Some(Style::DoubleQuoted)
        );
        assert_eq!(root.origin(), origin(1, 1));
    }

    #[test]
    fn a_built_tree_in_one_file_has_no_file_table() {
        let mut builder = TreeBuilder::new(FileId(2));
        let key = builder.scalar("a", Style::Plain, Tag::None, origin(2, 1));
        let value = builder.scalar("b", Style::Plain, Tag::None, origin(2, 1));
        builder.map(&[(key, value)], origin(2, 1));
        assert!(builder.finish().node_files.is_empty());
    }
}
