//! saphyr-parser events -> [`Tree`], with merge keys resolved, duplicate keys kept as
//! kubectl keeps them (the last value wins, each repeat recorded), and bounds on nesting
//! depth and alias expansion.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as EventSpan};

use super::scalar::{self, Value};
use super::tree::{Entry, Kind, NodeId, Pos, Span, Style, Tag, Tree};
use super::{DuplicateKey, KEY_SHOWN_CHARS, Limits, ParseError, ParseErrorKind};

/// The documents of one stream; `error` is set when parsing stopped early, and the
/// documents completed before it are kept.
#[derive(Debug, Default)]
pub struct Stream {
    pub tree: Tree,
    pub documents: Vec<Document>,
    pub error: Option<ParseError>,
    /// Keys written more than once in one mapping, in the order their repeats end.
    pub duplicates: Vec<DuplicateKey>,
    /// Nodes that aliases added on top of those written in the text: the work that
    /// [`Limits::max_alias_expansion`] bounds.
    pub alias_expansion: u64,
    /// Bytes of scalar text that aliases added ([`Limits::max_alias_text_bytes`]).
    pub alias_text_bytes: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct Document {
    pub root: NodeId,
}

/// saphyr-parser's message when flow collections nest deeper than its 8-bit counter.
const SCANNER_DEPTH_MESSAGE: &str = "recursion limit exceeded";

/// One pass of the parser over `text`. When it stops at an error, the second value holds
/// where each collection still open there starts, outermost first.
pub(super) fn parse_once(text: &str, limits: &Limits) -> (Stream, Vec<Pos>) {
    let mut builder = Builder {
        tree: Tree::with_capacity_for(text.len()),
        input: text,
        input_chars: None,
        limits,
        stack: Vec::new(),
        children: Vec::new(),
        anchors: HashMap::new(),
        expanded: Vec::new(),
        duplicates: Vec::new(),
        root: None,
        documents: 0,
        alias_expansion: 0,
        alias_text_bytes: 0,
    };
    let mut stream = Stream::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let step = match next {
            Ok((event, span)) => builder.event(event, span),
            Err(e) => Err(ParseError {
                pos: Pos {
                    line: count(e.marker().line()),
                    col: count(e.marker().col() + 1),
                },
                kind: if e.info() == SCANNER_DEPTH_MESSAGE {
                    ParseErrorKind::TooDeep(limits.max_depth)
                } else {
                    ParseErrorKind::Syntax(e.info().to_owned())
                },
            }),
        };
        match step {
            Ok(Some(root)) => stream.documents.push(Document { root }),
            Ok(None) => {}
            Err(error) => {
                stream.error = Some(error);
                break;
            }
        }
    }
    let open = match stream.error {
        Some(_) => builder.stack.iter().map(|frame| frame.start).collect(),
        None => Vec::new(),
    };
    stream.tree = builder.tree;
    stream.duplicates = builder.duplicates;
    stream.alias_expansion = builder.alias_expansion;
    stream.alias_text_bytes = builder.alias_text_bytes;
    (stream, open)
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn pos(m: saphyr_parser::Marker) -> Pos {
    Pos {
        line: count(m.line()),
        col: count(m.col() + 1),
    }
}

fn span(s: EventSpan) -> Span {
    Span {
        start: pos(s.start),
        end: pos(s.end),
    }
}

struct Frame {
    is_map: bool,
    anchor: usize,
    start: Pos,
    /// Where this collection's children start in [`Builder::children`].
    first_child: usize,
}

struct Builder<'l> {
    tree: Tree,
    /// The text parsed, and its length in characters once a block scalar needs it.
    input: &'l str,
    input_chars: Option<usize>,
    limits: &'l Limits,
    stack: Vec<Frame>,
    /// The children of every open collection, innermost last: one buffer for the whole
    /// stream instead of a vector per collection.
    children: Vec<NodeId>,
    anchors: HashMap<usize, NodeId>,
    /// Per node: what it stands for once every alias in it is expanded.
    expanded: Vec<Weight>,
    duplicates: Vec<DuplicateKey>,
    root: Option<NodeId>,
    /// Documents started so far.
    documents: usize,
    /// The sum, over every alias so far, of the nodes it stands for.
    alias_expansion: u64,
    /// The same for the bytes of scalar text: models copy names and values out of the
    /// tree per object, so a huge scalar repeated by aliases must be paid for too.
    alias_text_bytes: u64,
}

/// The size of a node with its aliases expanded; saturating, as only sums up to the
/// limits matter.
#[derive(Clone, Copy, Debug)]
struct Weight {
    nodes: u32,
    bytes: u32,
}

impl Weight {
    fn add(self, other: Weight) -> Weight {
        Weight {
            nodes: self.nodes.saturating_add(other.nodes),
            bytes: self.bytes.saturating_add(other.bytes),
        }
    }
}

impl Builder<'_> {
    /// Feeds one event; returns a document's root when the document ends.
    fn event(&mut self, event: Event<'_>, at: EventSpan) -> Result<Option<NodeId>, ParseError> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > self.limits.max_documents {
                    return Err(ParseError {
                        pos: pos(at.start),
                        kind: ParseErrorKind::TooManyDocuments(self.limits.max_documents),
                    });
                }
                self.anchors.clear();
                self.root = None;
            }
            Event::DocumentEnd => return Ok(self.root.take()),
            Event::Scalar(mut text, style, anchor, tag) => {
                if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && saphyr_added_final_break(&text, at, || self.input_chars())
                {
                    text.to_mut().pop();
                }
                let start = count(self.tree.text.len());
                self.tree.text.push_str(&text);
                let kind = Kind::Scalar {
                    text: (start, count(self.tree.text.len())),
                    style: style_of(style),
                    tag: tag_of(tag.as_deref()),
                };
                let weight = Weight {
                    nodes: 1,
                    bytes: u32::try_from(text.len()).unwrap_or(u32::MAX),
                };
                let id = self.new_node(kind, span(at), weight);
                self.attach(id, anchor);
            }
            Event::Alias(anchor) => {
                let id = *self.anchors.get(&anchor).ok_or(ParseError {
                    pos: pos(at.start),
                    kind: ParseErrorKind::Syntax("alias to an unknown anchor".to_owned()),
                })?;
                // Counted before anything uses the alias (a merge key copies entries), so
                // the work and memory an alias causes are paid for up front.
                let weight = self.expanded[id.index()];
                self.alias_expansion = self.alias_expansion.saturating_add(weight.nodes.into());
                self.alias_text_bytes = self.alias_text_bytes.saturating_add(weight.bytes.into());
                if self.alias_expansion > self.limits.max_alias_expansion {
                    return Err(ParseError {
                        pos: pos(at.start),
                        kind: ParseErrorKind::AliasExpansion(self.limits.max_alias_expansion),
                    });
                }
                if self.alias_text_bytes > self.limits.max_alias_text_bytes {
                    return Err(ParseError {
                        pos: pos(at.start),
                        kind: ParseErrorKind::AliasText(self.limits.max_alias_text_bytes),
                    });
                }
                self.attach(id, 0);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= self.limits.max_depth {
                    return Err(ParseError {
                        pos: pos(at.start),
                        kind: ParseErrorKind::TooDeep(self.limits.max_depth),
                    });
                }
                self.stack.push(Frame {
                    is_map: matches!(event, Event::MappingStart(..)),
                    anchor,
                    start: pos(at.start),
                    first_child: self.children.len(),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(None);
                };
                let node_span = Span {
                    start: frame.start,
                    end: pos(at.end),
                };
                let children = &self.children[frame.first_child..];
                let expanded = children
                    .iter()
                    .map(|c| self.expanded[c.index()])
                    .fold(Weight { nodes: 1, bytes: 0 }, Weight::add);
                let kind = if frame.is_map {
                    let start = count(self.tree.entries.len());
                    map_entries(&mut self.tree, children, &mut self.duplicates)?;
                    Kind::Map {
                        entries: (start, count(self.tree.entries.len())),
                    }
                } else {
                    let start = count(self.tree.items.len());
                    self.tree.items.extend_from_slice(children);
                    Kind::Seq {
                        items: (start, count(self.tree.items.len())),
                    }
                };
                self.children.truncate(frame.first_child);
                let id = self.new_node(kind, node_span, expanded);
                self.attach(id, frame.anchor);
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(None)
    }

    fn input_chars(&mut self) -> usize {
        *self
            .input_chars
            .get_or_insert_with(|| self.input.chars().count())
    }

    fn new_node(&mut self, kind: Kind, at: Span, expanded: Weight) -> NodeId {
        self.expanded.push(expanded);
        self.tree.push(kind, at)
    }

    fn attach(&mut self, id: NodeId, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, id);
        }
        if self.stack.is_empty() {
            self.root = Some(id);
        } else {
            self.children.push(id);
        }
    }
}

/// Maps with at most this many keys are checked for duplicates by comparing keys pairwise,
/// which is cheaper than hashing for the small maps manifests are made of.
const PAIRWISE_KEYS: usize = 16;

/// Pairs up a mapping's children into `tree.entries` and applies `<<` merge keys
/// (explicit keys win, then earlier merge sources). A key written twice keeps its last
/// value, as kubectl's reader does (go-yaml v2 and `encoding/json` are not strict); each
/// repeat is recorded in `duplicates` with the key's first occurrence.
fn map_entries(
    tree: &mut Tree,
    children: &[NodeId],
    duplicates: &mut Vec<DuplicateKey>,
) -> Result<(), ParseError> {
    let start = tree.entries.len();
    let mut merged = Vec::new();
    for pair in children.chunks_exact(2) {
        let (key, value) = (pair[0], pair[1]);
        if tree.node(key).scalar().is_none() {
            // go-yaml cannot turn a mapping or list key into JSON; kubectl fails too.
            return Err(ParseError {
                pos: tree.node(key).span().start,
                kind: ParseErrorKind::Syntax("a mapping key must be a scalar".to_owned()),
            });
        }
        if is_merge_key(tree, key) {
            let value_ref = tree.node(value);
            if value_ref.is_seq() {
                for source in value_ref.items() {
                    merge_source(tree, source.id(), key, &mut merged)?;
                }
            } else {
                merge_source(tree, value, key, &mut merged)?;
            }
        } else {
            tree.entries.push(Entry { key, value });
        }
    }
    let explicit = tree.entries.len() - start;
    let mut superseded = Vec::new();
    let mut kept = Vec::new();
    {
        let entries = &tree.entries[start..];
        if explicit <= PAIRWISE_KEYS && merged.is_empty() {
            // This runs for nearly every mapping of a scan: each key is named once, on
            // the stack (borrowed as written unless it may be typed), and the names are
            // compared pairwise.
            let mut names: [Cow<'_, str>; PAIRWISE_KEYS] = Default::default();
            for (name, entry) in names.iter_mut().zip(entries) {
                *name = json_key(tree, entry.key);
            }
            let names = &names[..explicit];
            for (j, key) in names.iter().enumerate().skip(1) {
                if let Some(first) = names[..j].iter().position(|n| n == key) {
                    duplicates.push(duplicate(tree, entries[j], entries[first]));
                    let latest = names[..j].iter().rposition(|n| n == key);
                    superseded.push(latest.unwrap_or(first));
                }
            }
        } else {
            let keys: Vec<Cow<'_, str>> = entries.iter().map(|e| json_key(tree, e.key)).collect();
            // Per key: its first occurrence and its latest one so far.
            let mut seen: HashMap<&str, (usize, usize)> =
                HashMap::with_capacity(explicit + merged.len());
            for (j, key) in keys.iter().enumerate() {
                match seen.get_mut(key.as_ref()) {
                    Some((first, latest)) => {
                        duplicates.push(duplicate(tree, entries[j], entries[*first]));
                        superseded.push(*latest);
                        *latest = j;
                    }
                    None => {
                        seen.insert(key, (j, j));
                    }
                }
            }
            let merged_keys: Vec<Cow<'_, str>> =
                merged.iter().map(|e| json_key(tree, e.key)).collect();
            let mut taken: HashMap<&str, ()> = HashMap::with_capacity(merged.len());
            for (entry, key) in merged.iter().zip(&merged_keys) {
                if !seen.contains_key(key.as_ref()) && taken.insert(key, ()).is_none() {
                    kept.push(*entry);
                }
            }
        }
    }
    if !superseded.is_empty() {
        superseded.sort_unstable();
        let last_values: Vec<Entry> = tree
            .entries
            .drain(start..)
            .enumerate()
            .filter(|(i, _)| superseded.binary_search(i).is_err())
            .map(|(_, entry)| entry)
            .collect();
        tree.entries.extend(last_values);
    }
    tree.entries.extend(kept);
    Ok(())
}

/// A key as kubectl names it once the object is JSON: a plain `1`, `0x1` and a quoted
/// `"1"` are one key, as are `yes`, `true` and `"true"`.
fn json_key(tree: &Tree, key: NodeId) -> Cow<'_, str> {
    match tree.node(key).scalar() {
        Some(s) if !scalar::may_be_typed(s) => Cow::Borrowed(s.text),
        Some(s) => match scalar::resolve(s) {
            Value::Str(text) => Cow::Borrowed(text),
            Value::Null => Cow::Borrowed("null"),
            Value::Bool(b) => Cow::Borrowed(if b { "true" } else { "false" }),
            Value::Int(i) => Cow::Owned(i.to_string()),
            Value::Float(f) => Cow::Owned(f.to_string()),
        },
        None => Cow::Borrowed(""),
    }
}

fn duplicate(tree: &Tree, later: Entry, first: Entry) -> DuplicateKey {
    DuplicateKey {
        key: shorten(&json_key(tree, later.key)),
        at: key_and_scalar(tree, later),
        first: key_and_scalar(tree, first),
    }
}

/// Where an entry is shown: its key, and its value too when that is a scalar.
fn key_and_scalar(tree: &Tree, entry: Entry) -> Span {
    let (key, value) = (tree.node(entry.key), tree.node(entry.value));
    match value.scalar() {
        Some(_) if value.span().end > key.span().end => key.span().to(value.span()),
        _ => key.span(),
    }
}

fn merge_source(
    tree: &Tree,
    source: NodeId,
    key: NodeId,
    out: &mut Vec<Entry>,
) -> Result<(), ParseError> {
    let node = tree.node(source);
    if !node.is_map() {
        return Err(ParseError {
            pos: tree.node(key).span().start,
            kind: ParseErrorKind::Syntax(
                "merge key `<<` needs a mapping or a sequence of mappings".to_owned(),
            ),
        });
    }
    out.extend(node.entries().map(|(k, v)| Entry {
        key: k.id(),
        value: v.id(),
    }));
    Ok(())
}

fn is_merge_key(tree: &Tree, key: NodeId) -> bool {
    tree.node(key)
        .scalar()
        .is_some_and(|s| s.text == "<<" && s.style == Style::Plain && s.tag == Tag::None)
}

/// At most [`KEY_SHOWN_CHARS`] characters of a key, for messages.
fn shorten(key: &str) -> String {
    match key.char_indices().nth(KEY_SHOWN_CHARS) {
        Some((end, _)) => format!("{}...", &key[..end]),
        None => key.to_owned(),
    }
}

/// Whether saphyr-parser ended a block scalar's value with a line break that libyaml
/// (which go-yaml, kubectl's reader, ports) does not add: where the scalar's last line
/// ends the input without a line break, saphyr adds one (unless chomping is `-`) when
/// that line reaches the scalar's indentation, and a `|+` with no content line before
/// such a line of spaces reads as one line break. libyaml ends the value with the line.
/// `input_chars` is the input's length in characters (saphyr's marker index counts
/// characters).
fn saphyr_added_final_break(
    value: &str,
    at: EventSpan,
    input_chars: impl FnOnce() -> usize,
) -> bool {
    let (start, end) = (at.start, at.end);
    if end.col() == 0 || !value.ends_with('\n') {
        return false;
    }
    let added = if value.bytes().all(|b| b == b'\n') {
        // No content line: the span starts at the header, and only `|+` followed by
        // one line of spaces and the end of the input reads as a line break.
        value == "\n" && end.line() == start.line() + 1
    } else {
        // The span starts at the first content character, at the indentation.
        end.col() >= start.col().max(1)
    };
    added && end.index() == input_chars()
}

fn style_of(style: ScalarStyle) -> Style {
    match style {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    }
}

fn tag_of(tag: Option<&saphyr_parser::Tag>) -> Tag {
    let Some(tag) = tag else { return Tag::None };
    if !tag.is_yaml_core_schema() {
        return Tag::Other;
    }
    match tag.suffix.as_str() {
        "str" => Tag::Str,
        "bool" => Tag::Bool,
        "int" => Tag::Int,
        "float" => Tag::Float,
        "null" => Tag::Null,
        _ => Tag::Other,
    }
}
