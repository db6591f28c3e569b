//! Bytes to positioned trees: saphyr-parser events, a compact node arena, kubectl's
//! scalar typing, and the limits that keep hostile input cheap.

mod build;
mod relaxed;
pub mod scalar;
mod tree;

pub use build::{Document, Stream};
pub use relaxed::{parse, parse_json};
pub use tree::{NodeId, NodeRef, Pos, Scalar, Span, Style, Tag, Tree, TreeBuilder};

/// Bounds on what a scan may read and on the work one file may cause (SPEC 10). Each
/// limit that a file reaches is reported as TG000 with its reason, and the scan goes on.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Larger files are not parsed (`--max-file-size`); at most this many bytes plus
    /// one are ever read from a file or from standard input.
    pub max_file_bytes: u64,
    /// Collections nested deeper than this stop the parse. Checked on the event stream,
    /// so nothing recurses over the input; flow collections (`[`, `{`) also stop at the
    /// parser's own limit of 255 levels, reported with the same reason.
    pub max_depth: usize,
    /// Nodes that aliases may add, in a whole file, on top of those written in it. Every
    /// alias counts the size of what it stands for once expanded, so a "billion laughs"
    /// document stops after this many nodes, and the tree keeps aliases as shared nodes.
    pub max_alias_expansion: u64,
    /// Bytes of scalar text that aliases may add in a whole file, likewise: a long
    /// value repeated by aliases would otherwise be copied once per object.
    pub max_alias_text_bytes: u64,
    /// Documents in one YAML stream (`---` separated), empty ones included.
    pub max_documents: usize,
    /// Whether symbolic links are followed (`--follow-symlinks`), including links that
    /// leave the root. Off by default: links are reported and never read.
    pub follow_symlinks: bool,
}

/// The largest `max_file_bytes` accepted: positions and offsets in the tree are 32-bit.
pub const MAX_FILE_BYTES_CEILING: u64 = 1 << 30;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 16 * 1024 * 1024,
            max_depth: 256,
            max_alias_expansion: 1_000_000,
            max_alias_text_bytes: 16 * 1024 * 1024,
            max_documents: 10_000,
            follow_symlinks: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub pos: Pos,
    pub kind: ParseErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("{0}")]
    Syntax(String),
    #[error("nesting is deeper than {0} levels")]
    TooDeep(usize),
    #[error("aliases expand to more than {0} nodes (a \"billion laughs\" document?)")]
    AliasExpansion(u64),
    #[error("aliases expand to more than {0} bytes of text (a \"billion laughs\" document?)")]
    AliasText(u64),
    #[error("more than {0} documents in one file (--max-documents)")]
    TooManyDocuments(usize),
}

/// A key written twice in one mapping. The tree keeps the later value, as kubectl does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The key as JSON names it, shortened to at most [`KEY_SHOWN_CHARS`] characters.
    pub key: String,
    /// The repeated key, whose value counts, with that value when it is a scalar.
    pub at: Span,
    /// The key's first occurrence in the mapping, likewise.
    pub first: Span,
}

/// How much of a key a duplicate-key message quotes.
pub const KEY_SHOWN_CHARS: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Stream {
        parse(text, &Limits::default())
    }

    #[test]
    fn positions_are_one_based_characters_with_bom_and_crlf() {
        let s = doc("\u{feff}a: 1\r\nb:\r\n  c: \"x\"\r\n");
        assert!(s.error.is_none());
        let root = s.tree.node(s.documents[0].root);
        let (k, v) = root.get("b").unwrap().entry("c").unwrap();
        assert_eq!(k.span().start, Pos { line: 3, col: 3 });
        assert_eq!(v.span().end, Pos { line: 3, col: 9 });
        assert_eq!(v.as_str(), Some("x"));
    }

    #[test]
    fn merge_keys_and_aliases_resolve_explicit_keys_first() {
        let s = doc("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = s.tree.node(s.documents[0].root).get("m").unwrap();
        let keys: Vec<_> = m
            .entries()
            .map(|(k, v)| (k.scalar().unwrap().text, v.scalar().unwrap().text))
            .collect();
        assert_eq!(keys, vec![("y", "3"), ("x", "1")]);
    }

    fn keys_and_values(node: NodeRef<'_>) -> Vec<(String, String)> {
        node.entries()
            .map(|(k, v)| {
                let text =
                    |n: NodeRef<'_>| n.scalar().map_or("?".to_owned(), |s| s.text.to_owned());
                (text(k), text(v))
            })
            .collect()
    }

    #[test]
    fn duplicate_keys_keep_the_last_value_and_are_recorded_with_both_positions() {
        let s = doc("a: 1\nb: 2\na: 3\n");
        assert!(s.error.is_none());
        let root = s.tree.node(s.documents[0].root);
        assert_eq!(
            keys_and_values(root),
            [("b".into(), "2".into()), ("a".into(), "3".into())]
        );
        assert_eq!(root.get("a").unwrap().span().start, Pos { line: 3, col: 4 });
        assert_eq!(
            s.duplicates,
            [DuplicateKey {
                key: "a".into(),
                at: Span {
                    start: Pos { line: 3, col: 1 },
                    end: Pos { line: 3, col: 5 }
                },
                first: Span {
                    start: Pos { line: 1, col: 1 },
                    end: Pos { line: 1, col: 5 }
                },
            }]
        );
    }

    #[test]
    fn keys_compare_as_json_names_them() {
        // `1`, `0x1` and `"1"` are all the JSON key "1"; `yes` and `"true"` are "true".
        let s = doc("1: a\n\"1\": b\n0x1: c\nyes: d\n\"true\": e\nx: f\n");
        let root = s.tree.node(s.documents[0].root);
        assert_eq!(
            keys_and_values(root),
            [
                ("0x1".into(), "c".into()),
                ("true".into(), "e".into()),
                ("x".into(), "f".into())
            ]
        );
        let repeats: Vec<_> = s
            .duplicates
            .iter()
            .map(|d| (d.key.as_str(), d.at.start.line, d.first.start.line))
            .collect();
        assert_eq!(repeats, [("1", 2, 1), ("1", 3, 1), ("true", 5, 4)]);
    }

    #[test]
    fn large_maps_and_merges_keep_the_last_of_the_explicit_keys() {
        // More keys than the pairwise check handles, a repeat, and a merge source whose
        // `k0` loses to the explicit one.
        let mut text = String::from("base: &b {k0: merged, extra: 1}\nm:\n  <<: *b\n");
        for i in 0..20 {
            text += &format!("  k{i}: v{i}\n");
        }
        text += "  k3: last\n  k3: final\n";
        let s = doc(&text);
        let m = s.tree.node(s.documents[0].root).get("m").unwrap();
        assert_eq!(m.get("k3").unwrap().scalar().unwrap().text, "final");
        assert_eq!(m.get("k0").unwrap().scalar().unwrap().text, "v0");
        assert_eq!(m.get("extra").unwrap().scalar().unwrap().text, "1");
        assert_eq!(m.entries().count(), 21);
        let repeats: Vec<_> = s
            .duplicates
            .iter()
            .map(|d| (d.key.as_str(), d.at.start.line, d.first.start.line))
            .collect();
        assert_eq!(repeats, [("k3", 24, 7), ("k3", 25, 7)]);
    }

    #[test]
    fn depth_is_bounded() {
        let text = "- ".repeat(300) + "x";
        let e = doc(&text).error.unwrap();
        assert_eq!(e.kind, ParseErrorKind::TooDeep(256));
        assert_eq!(e.pos, Pos { line: 1, col: 513 });
    }

    #[test]
    fn alias_bombs_stop_early() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            text += &format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            );
        }
        let e = doc(&text).error.unwrap();
        assert_eq!(e.kind, ParseErrorKind::AliasExpansion(1_000_000));
        assert_eq!(e.pos.line, 6);
    }

    #[test]
    fn a_block_scalar_ending_the_file_without_a_line_break_reads_as_libyaml_reads_it() {
        // go-yaml (a libyaml port) ends such a scalar's value with its last line, where
        // saphyr-parser adds a line break; a trailing line of spaces counts only where
        // it reaches beyond the scalar's indentation. Values checked with libyaml.
        let cases = [
            ("a: |\n  x\n  y", "x\ny"),
            ("a: |+\n  x\n  y", "x\ny"),
            ("a: >\n  x\n  y", "x y"),
            ("a: |-\n  x\n  y", "x\ny"),
            ("a: |\n\n  x", "\nx"),
            ("a: |\n  x\n  ", "x\n"),
            ("a: |\n  x\n ", "x\n"),
            ("a: |\n  x\n   ", "x\n "),
            ("a: |+\n  x\n  ", "x\n"),
            ("a: |+\n  ", ""),
            ("a: |+\n\n  ", "\n"),
            ("a: |\n  ", ""),
            ("a: |2\n    x\n   y", "  x\n y"),
            ("a: |\r\n  x\r\n  y", "x\ny"),
            ("\u{feff}a: |\n  é\n  y", "é\ny"),
            ("a: |\n  x\n  y\n", "x\ny\n"),
            ("a: |\n  x\nb: |\n  y", "y"),
        ];
        for (text, value) in cases {
            let s = doc(text);
            assert!(s.error.is_none(), "{text:?}");
            let root = s.tree.node(s.documents[0].root);
            let last = root
                .entries()
                .last()
                .map(|(_, v)| v.scalar().map(|s| s.text));
            assert_eq!(last, Some(Some(value)), "{text:?}");
        }
        let list = doc("- |\n  x\n  y");
        let item = list.tree.node(list.documents[0].root).items().next();
        assert_eq!(item.and_then(|i| i.scalar()).map(|s| s.text), Some("x\ny"));
    }

    #[test]
    fn documents_before_an_error_are_kept() {
        let s = doc("a: 1\n---\nb: [\n");
        assert_eq!(s.documents.len(), 1);
        assert!(s.error.is_some());
    }
}
