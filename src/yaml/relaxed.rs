//! What saphyr-parser refuses and kubectl reads. kubectl's YAML reader (go-yaml v2, a
//! port of libyaml) accepts a few inputs that saphyr-parser 0.3.4 stops at: a multi-line
//! flow collection or quoted scalar continued at or left of its key's column (saphyr
//! issue 55), tabs indenting the lines of a flow collection (pasted JSON), a tab after
//! `key:`, a lone `-` in a flow collection and a comment glued to a flow or quoted token.
//!
//! When the parser stops at one of these, a copy of the text is changed only where it
//! stopped (spaces added at the start of lines inside the flow collection or quoted
//! scalar, tabs made spaces, a space put before the `#`, the `-` stood in for) and parsed
//! again. Every change leaves the values as they were, and positions in the result are
//! mapped back to the original text, so every finding points where the user wrote it.
//! Files without these inputs are parsed once, as before.

use std::collections::HashMap;

use super::build::{Stream, parse_once};
use super::tree::{Kind, Pos, Span};
use super::{Limits, ParseErrorKind};

/// How much text the retries may parse in all: a few times the file, so that a file
/// crafted with many such places costs a bounded amount of work.
const RETRY_BYTES_PER_BYTE: usize = 4;
const RETRY_BYTES_EXTRA: usize = 1 << 20;

/// What stands in for a lone `-` in a flow collection while the text is parsed: a plain
/// scalar of the same length, turned back into `-` in the tree.
const DASH_STAND_IN: char = 'X';

/// A JSON text, parsed as it is: kubectl reads JSON with `encoding/json`, which accepts
/// none of the inputs [`parse`] retries (a comment, a lone `-`).
pub fn parse_json(text: &str, limits: &Limits) -> Stream {
    parse_once(text, limits).0
}

/// A YAML stream, read as kubectl reads it (see the module's documentation).
pub fn parse(text: &str, limits: &Limits) -> Stream {
    let (mut stream, mut open) = parse_once(text, limits);
    if stream.error.is_none() {
        return stream;
    }
    let budget = text
        .len()
        .saturating_mul(RETRY_BYTES_PER_BYTE)
        .saturating_add(RETRY_BYTES_EXTRA);
    let mut spent = 0usize;
    let mut shifts = Shifts::default();
    let mut stand_ins: Vec<Pos> = Vec::new();
    let mut current: Option<String> = None;
    while let Some(error) = &stream.error {
        let ParseErrorKind::Syntax(message) = &error.kind else {
            break;
        };
        let source = current.as_deref().unwrap_or(text);
        let lines = Lines::new(source);
        let Some(edits) = repair(&lines, error.pos, message, &open) else {
            break;
        };
        spent = spent.saturating_add(source.len());
        if spent > budget {
            break;
        }
        let repaired = apply(&lines, &edits, &mut shifts, &mut stand_ins);
        (stream, open) = parse_once(&repaired, limits);
        current = Some(repaired);
    }
    // A stand-in read as a key equal to another (`{-, X}`) made a duplicate the text does
    // not have, and the tree kept only one of the two: the repair does not hold, and the
    // file is reported where the parser first stopped.
    let stand_in_key = |span: Span| stand_ins.contains(&span.start);
    if stream
        .duplicates
        .iter()
        .any(|d| stand_in_key(d.at) || stand_in_key(d.first))
    {
        return parse_once(text, limits).0;
    }
    if current.is_some() {
        restore(&mut stream, &shifts, &stand_ins);
    }
    stream
}

/// One change to the text, at a line and a column as the parser counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Edit {
    /// Spaces inserted before the column.
    Insert { at: Pos, spaces: u32 },
    /// The character at the position replaced by another of the same length.
    Replace { at: Pos, with: char },
}

/// The text split into lines, with a column-to-offset conversion as the parser counts
/// columns (characters; a byte order mark at the start is not one).
struct Lines<'t> {
    text: &'t str,
    /// Byte offset where each line starts; line 1 is index 0.
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![usize::from(text.starts_with('\u{feff}')) * 3];
        let bytes = text.as_bytes();
        for (i, &b) in bytes.iter().enumerate() {
            let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
            if b == b'\n' || (b == b'\r' && !crlf) {
                starts.push(i + 1);
            }
        }
        Lines { text, starts }
    }

    /// The text of line `line` (1-based) without its line break.
    fn line(&self, line: u32) -> Option<&'t str> {
        let index = usize::try_from(line).ok()?.checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let end = self
            .starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len());
        Some(self.text[start..end].trim_end_matches(['\n', '\r']))
    }

    /// The byte offset of a position.
    fn offset(&self, at: Pos) -> Option<usize> {
        let line = self.line(at.line)?;
        let start = self.starts[at.line as usize - 1];
        let col = usize::try_from(at.col).ok()?.checked_sub(1)?;
        let within = line
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(line.len()))
            .nth(col)?;
        Some(start + within)
    }

    fn char_at(&self, at: Pos) -> Option<char> {
        self.text[self.offset(at)?..].chars().next()
    }
}

/// The changes that get the parser past `message` at `at`, if it is one kubectl reads.
fn repair(lines: &Lines<'_>, at: Pos, message: &str, open: &[Pos]) -> Option<Vec<Edit>> {
    match message {
        "':' must be followed by a valid YAML whitespace" => tab_after_colon(lines, at),
        "comments must be separated from other tokens by whitespace" => {
            let before = Pos {
                line: at.line,
                col: at.col.checked_sub(1)?,
            };
            let glued_to_token = matches!(lines.char_at(before)?, ']' | '}' | '"' | '\'');
            (lines.char_at(at)? == '#' && glued_to_token)
                .then(|| vec![Edit::Insert { at, spaces: 1 }])
        }
        "plain scalar cannot start with '-' followed by ,[]{}" => {
            (lines.char_at(at)? == '-').then(|| {
                vec![Edit::Replace {
                    at,
                    with: DASH_STAND_IN,
                }]
            })
        }
        "invalid indentation"
        | "invalid indentation in flow construct"
        | "tabs disallowed within this context (block indentation)" => {
            // Only inside a flow collection: in block context kubectl needs the
            // indentation too.
            let innermost = *open.last()?;
            if !matches!(lines.char_at(innermost)?, '[' | '{') {
                return None;
            }
            let last = flow_end(lines, at.line);
            indent_lines(lines, at.line..=last, block_column(lines, open)? + 1, true)
        }
        "invalid indentation in quoted scalar" => {
            let quote = lines.char_at(at)?;
            if !matches!(quote, '"' | '\'') {
                return None;
            }
            let last = quoted_end(lines, at, quote)?;
            let column = owner_column(lines.line(at.line)?, at.col) + 1;
            indent_lines(lines, at.line + 1..=last, column, false)
        }
        _ => None,
    }
}

/// `key:<TAB>value`: the tabs between the `:` and the value become spaces.
fn tab_after_colon(lines: &Lines<'_>, at: Pos) -> Option<Vec<Edit>> {
    let line = lines.line(at.line)?;
    let before: Vec<char> = line
        .chars()
        .take(usize::try_from(at.col).ok()?.checked_sub(1)?)
        .collect();
    let blanks = before
        .iter()
        .rev()
        .take_while(|c| matches!(c, ' ' | '\t'))
        .count();
    let colon = before.len().checked_sub(blanks + 1)?;
    if before[colon] != ':' {
        return None;
    }
    let edits: Vec<Edit> = (colon + 1..before.len())
        .filter(|&i| before[i] == '\t')
        .map(|i| Edit::Replace {
            at: Pos {
                line: at.line,
                col: u32::try_from(i + 1).unwrap_or(u32::MAX),
            },
            with: ' ',
        })
        .collect();
    (!edits.is_empty()).then_some(edits)
}

/// The column of the innermost open block collection: the column that the lines of a
/// flow collection or quoted scalar inside it must stay right of.
fn block_column(lines: &Lines<'_>, open: &[Pos]) -> Option<u32> {
    open.iter()
        .rev()
        .find(|start| !matches!(lines.char_at(**start), Some('[' | '{')))
        .map(|start| start.col)
}

/// The column of the block collection whose value is the scalar quoted at `quote` on
/// `line`: its key's (`key: "...`), else its sequence entry's (`- "...`), else 0 (the
/// document's root).
fn owner_column(line: &str, quote: u32) -> u32 {
    let mut column = 0;
    let mut entry = 0;
    for (i, c) in line.chars().enumerate() {
        let col = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match c {
            ' ' | '\t' => {}
            '-' if line
                .chars()
                .nth(i + 1)
                .is_none_or(|n| n == ' ' || n == '\t') =>
            {
                entry = col
            }
            _ => {
                column = col;
                break;
            }
        }
    }
    if column != 0 && column < quote {
        column
    } else {
        entry
    }
}

/// Leading tabs of each line of `range` become spaces, and lines whose content starts
/// left of `column` get spaces to start at it. Inside a flow collection or a quoted
/// scalar, leading white space is not part of any value. With `plain_ends_at_tab`,
/// libyaml's one refusal is kept: a tab left of `column` on the line after a plain
/// scalar that ends its line ("a tab character that violates indentation").
fn indent_lines(
    lines: &Lines<'_>,
    range: std::ops::RangeInclusive<u32>,
    column: u32,
    plain_ends_at_tab: bool,
) -> Option<Vec<Edit>> {
    let mut edits = Vec::new();
    let mut previous = range
        .start()
        .checked_sub(1)
        .and_then(|n| lines.line(n))
        .unwrap_or("");
    for number in range {
        let Some(line) = lines.line(number) else {
            break;
        };
        let blanks: Vec<char> = line
            .chars()
            .take_while(|c| matches!(c, ' ' | '\t'))
            .collect();
        if blanks.len() == line.chars().count() {
            continue;
        }
        let tab_left_of_column = blanks
            .iter()
            .take(column.saturating_sub(1) as usize)
            .any(|&c| c == '\t');
        if plain_ends_at_tab && tab_left_of_column && ends_with_plain_scalar(previous) {
            return None;
        }
        previous = line;
        for (i, _) in blanks.iter().enumerate().filter(|(_, c)| **c == '\t') {
            edits.push(Edit::Replace {
                at: Pos {
                    line: number,
                    col: u32::try_from(i + 1).unwrap_or(u32::MAX),
                },
                with: ' ',
            });
        }
        let content = u32::try_from(blanks.len() + 1).unwrap_or(u32::MAX);
        if content < column {
            edits.push(Edit::Insert {
                at: Pos {
                    line: number,
                    col: 1,
                },
                spaces: column - content,
            });
        }
    }
    (!edits.is_empty()).then_some(edits)
}

/// Whether a line of flow content ends with a plain scalar, which libyaml then reads on
/// into the next line.
fn ends_with_plain_scalar(line: &str) -> bool {
    // A comment ends a plain scalar before the line does.
    let commented = line.contains(" #") || line.contains("\t#");
    !commented
        && line
            .trim_end()
            .chars()
            .last()
            .is_some_and(|c| !matches!(c, ',' | '[' | ']' | '{' | '}' | '"' | '\'' | ':'))
}

/// The last line of the flow collections open at the start of line `first`: where the
/// brackets opened before it are closed, skipping quoted scalars and comments. At least
/// one collection is open there; if more are, this stops early, and the next retry goes
/// on from where the parser stops again.
fn flow_end(lines: &Lines<'_>, first: u32) -> u32 {
    let start = Pos {
        line: first,
        col: 1,
    };
    scan(lines, start, None).unwrap_or(first)
}

/// The last line of the quoted scalar that opens with `quote` at `at`.
fn quoted_end(lines: &Lines<'_>, at: Pos, quote: char) -> Option<u32> {
    let after = Pos {
        line: at.line,
        col: at.col + 1,
    };
    scan(lines, after, Some(quote))
}

/// Reads flow content from `from` (inside a quoted scalar opened by `quote`, if set)
/// and returns the line where the scalar, else the enclosing flow collection, ends.
fn scan(lines: &Lines<'_>, from: Pos, quote: Option<char>) -> Option<u32> {
    let in_scalar_only = quote.is_some();
    let mut quote = quote;
    let mut depth = 1u32;
    let mut line = from.line;
    let mut previous = ' ';
    let mut chars = lines.text[lines.offset(from)?..].chars().peekable();
    while let Some(c) = chars.next() {
        let crlf = c == '\r' && chars.peek() == Some(&'\n');
        if c == '\n' || (c == '\r' && !crlf) {
            line += 1;
            previous = ' ';
            continue;
        }
        match quote {
            Some('"') => match c {
                // An escaped line break ends the line all the same.
                '\\' if chars.peek() == Some(&'\n') => {}
                '\\' => {
                    chars.next();
                }
                '"' if in_scalar_only => return Some(line),
                '"' => quote = None,
                _ => {}
            },
            Some(_) if c == '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else if in_scalar_only {
                    return Some(line);
                } else {
                    quote = None;
                }
            }
            Some(_) => {}
            None => match c {
                // A quote opens a scalar only where a token starts: `don't` is plain.
                '"' | '\''
                    if previous.is_whitespace() || matches!(previous, '[' | '{' | ',' | ':') =>
                {
                    quote = Some(c)
                }
                '[' | '{' => depth += 1,
                ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(line);
                    }
                }
                '#' if previous.is_whitespace() || matches!(previous, ']' | '}' | '"' | '\'') => {
                    while chars.next_if(|&n| n != '\n' && n != '\r').is_some() {}
                }
                _ => {}
            },
        }
        previous = c;
    }
    (!in_scalar_only).then_some(line)
}

/// The text with `edits` made, each shift of a column recorded in `shifts` and each stand-
/// in's position in `stand_ins`, in the coordinates of the text returned.
fn apply(
    lines: &Lines<'_>,
    edits: &[Edit],
    shifts: &mut Shifts,
    stand_ins: &mut Vec<Pos>,
) -> String {
    let mut located: Vec<(usize, Edit)> = edits
        .iter()
        .filter_map(|&edit| {
            let at = match edit {
                Edit::Insert { at, .. } | Edit::Replace { at, .. } => at,
            };
            Some((lines.offset(at)?, edit))
        })
        .collect();
    located.sort();
    let mut out = String::with_capacity(lines.text.len() + edits.len() * 4);
    let mut copied = 0;
    for &(offset, edit) in &located {
        out.push_str(&lines.text[copied..offset]);
        copied = offset;
        match edit {
            Edit::Insert { spaces, .. } => {
                out.extend(std::iter::repeat_n(' ', spaces as usize));
            }
            Edit::Replace { with, .. } => {
                out.push(with);
                copied += lines.text[offset..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
            }
        }
    }
    out.push_str(&lines.text[copied..]);
    // Columns move right of each insertion, later ones first so that each column is
    // still in the coordinates the edits were made in.
    for &(_, edit) in located.iter().rev() {
        match edit {
            Edit::Insert { at, spaces } => {
                shifts.insert(at, spaces);
                for stand_in in stand_ins.iter_mut() {
                    if stand_in.line == at.line && stand_in.col >= at.col {
                        stand_in.col += spaces;
                    }
                }
            }
            Edit::Replace { at, with } if with == DASH_STAND_IN => stand_ins.push(at),
            Edit::Replace { .. } => {}
        }
    }
    out
}

/// Spaces inserted into lines: per line, the column of each run of inserted spaces in the
/// latest text and its length, in column order.
#[derive(Default)]
struct Shifts {
    lines: HashMap<u32, Vec<(u32, u32)>>,
}

impl Shifts {
    fn insert(&mut self, at: Pos, spaces: u32) {
        let runs = self.lines.entry(at.line).or_default();
        for run in runs.iter_mut().filter(|run| run.0 >= at.col) {
            run.0 += spaces;
        }
        runs.push((at.col, spaces));
        runs.sort_unstable();
    }

    /// Where a position of the latest text was in the original one.
    fn original(&self, at: Pos) -> Pos {
        let Some(runs) = self.lines.get(&at.line) else {
            return at;
        };
        let mut removed = 0;
        for &(col, spaces) in runs {
            if at.col >= col + spaces {
                removed += spaces;
            } else if at.col >= col {
                // Inside inserted spaces: where they were inserted.
                return Pos {
                    line: at.line,
                    col: col.saturating_sub(removed),
                };
            } else {
                break;
            }
        }
        Pos {
            line: at.line,
            col: at.col.saturating_sub(removed),
        }
    }

    fn span(&self, span: Span) -> Span {
        Span {
            start: self.original(span.start),
            end: self.original(span.end),
        }
    }
}

/// Puts the stand-ins' `-` back and every position where the original text has it.
fn restore(stream: &mut Stream, shifts: &Shifts, stand_ins: &[Pos]) {
    let tree = &mut stream.tree;
    for node in &tree.nodes {
        if let Kind::Scalar { text, .. } = node.kind
            && stand_ins.contains(&node.span.start)
        {
            let range = text.0 as usize..text.1 as usize;
            if tree.text.get(range.clone()) == Some(DASH_STAND_IN.encode_utf8(&mut [0; 4])) {
                tree.text.replace_range(range, "-");
            }
        }
    }
    if shifts.lines.is_empty() {
        return;
    }
    for node in &mut tree.nodes {
        node.span = shifts.span(node.span);
    }
    for duplicate in &mut stream.duplicates {
        duplicate.at = shifts.span(duplicate.at);
        duplicate.first = shifts.span(duplicate.first);
    }
    if let Some(error) = &mut stream.error {
        error.pos = shifts.original(error.pos);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree::{NodeRef, Style};
    use super::*;

    fn load(text: &str) -> Stream {
        let stream = parse(text, &Limits::default());
        assert_eq!(stream.error, None, "{text:?}");
        stream
    }

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    fn texts(node: NodeRef<'_>) -> Vec<(&str, Pos)> {
        node.items()
            .map(|item| (item.scalar().unwrap().text, item.span().start))
            .collect()
    }

    #[test]
    fn a_flow_sequence_closed_at_its_keys_column_loads_with_exact_positions() {
        let s = load(
            "containers:\n  - name: driver\n    args: [\n        \"-workload-api-socket-dir\", \"/spire-agent-socket\",\n    ]\n    image: spire\n",
        );
        let container = s.tree.node(s.documents[0].root).get("containers").unwrap();
        let container = container.items().next().unwrap();
        let args = container.get("args").unwrap();
        assert_eq!(
            texts(args),
            [
                ("-workload-api-socket-dir", at(4, 9)),
                ("/spire-agent-socket", at(4, 37)),
            ]
        );
        // The closing bracket's line was shifted to parse it, and maps back.
        assert_eq!(
            args.span(),
            Span {
                start: at(3, 11),
                end: at(5, 6)
            }
        );
        assert_eq!(container.entry("image").unwrap().0.span().start, at(6, 5));
    }

    #[test]
    fn a_flow_mapping_closed_at_its_keys_column_loads_with_exact_positions() {
        let s = load("metadata:\n  annotations: {\n    \"a\": \"b\"\n  }\n  name: x\n");
        let metadata = s.tree.node(s.documents[0].root).get("metadata").unwrap();
        let (key, value) = metadata.get("annotations").unwrap().entry("a").unwrap();
        assert_eq!(
            (key.span().start, value.scalar().unwrap().text),
            (at(3, 5), "b")
        );
        assert_eq!(metadata.get("annotations").unwrap().span().end, at(4, 4));
        assert_eq!(metadata.entry("name").unwrap().0.span().start, at(5, 3));
    }

    #[test]
    fn flow_entries_and_quoted_lines_left_of_the_key_load() {
        let s = load("a: [\n1, 2]\nb: \"x\ny\"\nc: 1\n");
        let root = s.tree.node(s.documents[0].root);
        assert_eq!(
            texts(root.get("a").unwrap()),
            [("1", at(2, 1)), ("2", at(2, 4))]
        );
        let b = root.get("b").unwrap();
        assert_eq!(b.scalar().unwrap().text, "x y");
        assert_eq!(
            b.span(),
            Span {
                start: at(3, 4),
                end: at(4, 3)
            }
        );
        assert_eq!(root.entry("c").unwrap().0.span().start, at(5, 1));
        // Nested: the quoted value's lines must stay right of `b`, not of `a`.
        let s = load("a:\n  b: \"x\ny\n  z\"\n  c: 1\n");
        let a = s.tree.node(s.documents[0].root).get("a").unwrap();
        assert_eq!(a.get("b").unwrap().scalar().unwrap().text, "x y z");
        assert_eq!(a.entry("c").unwrap().0.span().start, at(5, 3));
    }

    #[test]
    fn tabs_after_a_colon_and_in_pasted_json_load() {
        let s = load("a:\tb\nc: 1\n");
        let root = s.tree.node(s.documents[0].root);
        assert_eq!(root.get("a").unwrap().span().start, at(1, 4));
        assert_eq!(root.get("a").unwrap().scalar().unwrap().text, "b");
        let s = load("a: {\n\t\"b\": {\n\t\t\"c\": [1,\n\t\t2]\n\t}\n}\nd: 2\n");
        let root = s.tree.node(s.documents[0].root);
        let (key, _) = root.get("a").unwrap().entry("b").unwrap();
        assert_eq!(key.span().start, at(2, 2));
        let c = root.get("a").unwrap().get("b").unwrap().get("c").unwrap();
        assert_eq!(texts(c), [("1", at(3, 9)), ("2", at(4, 3))]);
        assert_eq!(root.entry("d").unwrap().0.span().start, at(7, 1));
        // A tab at the key's column is fine after a quoted scalar or a comment: only a
        // plain scalar reads on into the next line.
        for text in ["a: {\n\t\"b\": \"x\"\n\t}\n", "a: {\n\t\"b\": 1 # c\n\t}\n"] {
            let s = load(text);
            let (key, _) = s
                .tree
                .node(s.documents[0].root)
                .get("a")
                .unwrap()
                .entry("b")
                .unwrap();
            assert_eq!(key.span().start, at(2, 2));
        }
    }

    /// libyaml reads `{-, X}` as the keys `-` and `X`; read with a stand-in for the `-`,
    /// they would look like one key written twice and lose one. Such a repair is not
    /// kept: the file fails where the parser first stopped, as without the retries.
    #[test]
    fn a_stand_in_that_equals_another_key_undoes_the_repair() {
        let s = parse("a: {-, X}\n", &Limits::default());
        assert!(s.duplicates.is_empty(), "{:?}", s.duplicates);
        let error = s.error.expect("the first parse's error");
        assert_eq!(
            error,
            parse_once("a: {-, X}\n", &Limits::default())
                .0
                .error
                .unwrap()
        );
        // Without a key equal to the stand-in, the same repair holds.
        let s = load("a: {-, Y}\n");
        let a = s.tree.node(s.documents[0].root).get("a").unwrap();
        let keys: Vec<&str> = a.entries().map(|(k, _)| k.scalar().unwrap().text).collect();
        assert_eq!(keys, ["-", "Y"]);
    }

    #[test]
    fn a_lone_dash_and_glued_comments_in_flow_load_as_libyaml_reads_them() {
        let s = load("a: [-, x]\nb: {k: -}\nc: [1]#c\nd: \"x\"#c\n");
        let root = s.tree.node(s.documents[0].root);
        let a = root.get("a").unwrap();
        assert_eq!(texts(a), [("-", at(1, 5)), ("x", at(1, 8))]);
        assert_eq!(
            a.items().next().unwrap().scalar().unwrap().style,
            Style::Plain
        );
        assert_eq!(
            root.get("b")
                .unwrap()
                .get("k")
                .unwrap()
                .scalar()
                .unwrap()
                .text,
            "-"
        );
        assert_eq!(texts(root.get("c").unwrap()), [("1", at(3, 5))]);
        assert_eq!(root.get("d").unwrap().scalar().unwrap().text, "x");
    }

    #[test]
    fn what_libyaml_refuses_stays_an_error() {
        for text in [
            // A tab indenting block content.
            "a:\n\tb: 1\n",
            // A tab at the key's column after a plain scalar that ends its line.
            "a: {\n\t\"b\": 1\n\t}\n",
            // An unclosed flow collection.
            "a: [\n1, 2\n",
        ] {
            assert!(parse(text, &Limits::default()).error.is_some(), "{text:?}");
        }
        // JSON has no comments and no lone `-`: encoding/json refuses both.
        for text in ["{\"a\": [1]}#c", "{\"a\": [-]}"] {
            assert!(parse(text, &Limits::default()).error.is_none(), "{text:?}");
            assert!(
                parse_json(text, &Limits::default()).error.is_some(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn retries_are_bounded_by_the_text_they_parse() {
        // Every entry needs its own retry (each opens a new flow collection at the
        // key's column); the budget stops them long before the end, at an error.
        let text = "a: [\n0]\n".repeat(200_000);
        let s = parse(&text, &Limits::default());
        let error = s.error.expect("stopped");
        // 1.6 MB of text: a budget of 4 x 1.6 MB + 1 MiB pays for four whole retries, so
        // the collections opened on lines 1, 3, 5 and 7 are repaired and the parse stops
        // at the fifth one's closing line.
        assert_eq!(error.pos, Pos { line: 10, col: 1 }, "{error:?}");
        assert_eq!(text.len(), 1_600_000);
    }
}
