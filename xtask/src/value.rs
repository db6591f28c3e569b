//! A tiny document model for generated manifests, written out as Helm-style YAML or as
//! kubectl-style JSON.

use std::fmt::Write as _;

/// One node of a generated manifest.
#[derive(Clone, Debug)]
pub enum V {
    /// A string, quoted in YAML only where a plain scalar would not read as a string.
    Str(String),
    /// A string that is always double-quoted in YAML (Helm's `{{ .Values.x | quote }}`).
    Quoted(String),
    /// A plain YAML scalar written as is (`yes`, `0644`): a string in JSON unless it is a
    /// JSON literal.
    Plain(String),
    Int(i64),
    Bool(bool),
    /// A literal block scalar (`|`) in YAML, a string with `\n` in JSON.
    Block(String),
    Map(Vec<(String, V)>),
    Seq(Vec<V>),
    /// A sequence of short scalars written in flow style (`["ALL"]`) in YAML.
    Flow(Vec<V>),
}

pub fn s(text: impl Into<String>) -> V {
    V::Str(text.into())
}

pub fn q(text: impl Into<String>) -> V {
    V::Quoted(text.into())
}

pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, V)>) -> V {
    V::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// How a generated YAML file is laid out, varied per file like real repositories.
#[derive(Clone, Copy, Debug)]
pub struct YamlStyle {
    /// Sequences under a key indented by two more spaces (Helm) or not (kubectl).
    pub indent_sequences: bool,
}

impl V {
    /// Appends this node as the root of a YAML document.
    pub fn write_yaml(&self, style: YamlStyle, out: &mut String) {
        match self {
            V::Map(entries) => write_map(entries, 0, style, out),
            V::Seq(items) => write_seq(items, 0, style, out),
            other => {
                write_scalar(other, 0, out);
                out.push('\n');
            }
        }
    }

    /// Appends this node as JSON, indented by four spaces like `kubectl get -o json`.
    pub fn write_json(&self, indent: usize, out: &mut String) {
        match self {
            V::Map(entries) if entries.is_empty() => out.push_str("{}"),
            V::Map(entries) => {
                out.push_str("{\n");
                for (i, (k, v)) in entries.iter().enumerate() {
                    pad(out, indent + 4);
                    json_string(k, out);
                    out.push_str(": ");
                    v.write_json(indent + 4, out);
                    out.push_str(if i + 1 < entries.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
            V::Seq(items) | V::Flow(items) if items.is_empty() => out.push_str("[]"),
            V::Seq(items) | V::Flow(items) => {
                out.push_str("[\n");
                for (i, v) in items.iter().enumerate() {
                    pad(out, indent + 4);
                    v.write_json(indent + 4, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            V::Str(t) | V::Quoted(t) | V::Block(t) => json_string(t, out),
            V::Plain(t) if is_json_literal(t) => out.push_str(t),
            V::Plain(t) => json_string(t, out),
            V::Int(n) => {
                let _ = write!(out, "{n}");
            }
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        }
    }
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn is_scalar(v: &V) -> bool {
    !matches!(v, V::Map(_) | V::Seq(_) | V::Flow(_))
}

fn write_map(entries: &[(String, V)], indent: usize, style: YamlStyle, out: &mut String) {
    for (k, v) in entries {
        pad(out, indent);
        write_entry(k, v, indent, style, out);
    }
}

/// `key: value` at the current position (indentation already written).
fn write_entry(k: &str, v: &V, indent: usize, style: YamlStyle, out: &mut String) {
    out.push_str(k);
    out.push(':');
    match v {
        V::Map(e) if e.is_empty() => out.push_str(" {}\n"),
        V::Seq(i) | V::Flow(i) if i.is_empty() => out.push_str(" []\n"),
        V::Map(e) => {
            out.push('\n');
            write_map(e, indent + 2, style, out);
        }
        V::Seq(items) => {
            out.push('\n');
            let at = if style.indent_sequences {
                indent + 2
            } else {
                indent
            };
            write_seq(items, at, style, out);
        }
        V::Flow(items) => {
            out.push_str(" [");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_scalar(item, indent, out);
            }
            out.push_str("]\n");
        }
        V::Block(text) => {
            out.push_str(" |\n");
            for line in text.lines() {
                if !line.is_empty() {
                    pad(out, indent + 2);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        scalar => {
            out.push(' ');
            write_scalar(scalar, indent, out);
            out.push('\n');
        }
    }
}

fn write_seq(items: &[V], indent: usize, style: YamlStyle, out: &mut String) {
    for item in items {
        pad(out, indent);
        out.push_str("- ");
        match item {
            V::Map(entries) if !entries.is_empty() => {
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        pad(out, indent + 2);
                    }
                    write_entry(k, v, indent + 2, style, out);
                }
            }
            V::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, indent + 2, style, out);
            }
            other if is_scalar(other) => {
                write_scalar(other, indent, out);
                out.push('\n');
            }
            V::Map(_) => out.push_str("{}\n"),
            _ => out.push_str("[]\n"),
        }
    }
}

fn write_scalar(v: &V, _indent: usize, out: &mut String) {
    match v {
        V::Str(t) if needs_quotes(t) => json_string(t, out),
        V::Str(t) | V::Plain(t) => out.push_str(t),
        V::Quoted(t) | V::Block(t) => json_string(t, out),
        V::Int(n) => {
            let _ = write!(out, "{n}");
        }
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        V::Map(_) | V::Seq(_) | V::Flow(_) => unreachable!("not a scalar"),
    }
}

/// Whether a plain scalar would not read back as this string under YAML 1.1.
fn needs_quotes(t: &str) -> bool {
    if t.is_empty() || t.trim() != t {
        return true;
    }
    const SPECIAL_WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~",
    ];
    if SPECIAL_WORDS.contains(&t) {
        return true;
    }
    let first = t.as_bytes()[0];
    if b"-?:,[]{}#&*!|>'\"%@`".contains(&first) && t != "-" {
        return true;
    }
    if first.is_ascii_digit() || first == b'.' || first == b'+' {
        // Numbers, versions, times: quote anything that starts like a number.
        return true;
    }
    t.contains(": ") || t.contains(" #") || t.ends_with(':') || t.contains('\n')
}

/// A JSON string; also a YAML double-quoted scalar, since YAML's double-quoted escapes
/// include JSON's.
fn json_string(t: &str, out: &mut String) {
    out.push('"');
    for c in t.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn is_json_literal(t: &str) -> bool {
    t == "true" || t == "false" || t == "null" || t.parse::<i64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_layouts() {
        let doc = map([
            ("apiVersion", s("v1")),
            (
                "data",
                map([
                    ("version", s("1.2")),
                    ("file", V::Block("a: 1\n\nb: 2".into())),
                ]),
            ),
            (
                "items",
                V::Seq(vec![map([
                    ("name", s("x")),
                    ("on", V::Plain("yes".into())),
                ])]),
            ),
            ("drop", V::Flow(vec![q("ALL")])),
            ("empty", map::<&str>([])),
        ]);
        let mut yaml = String::new();
        doc.write_yaml(
            YamlStyle {
                indent_sequences: true,
            },
            &mut yaml,
        );
        assert_eq!(
            yaml,
            "apiVersion: v1\ndata:\n  version: \"1.2\"\n  file: |\n    a: 1\n\n    b: 2\nitems:\n  - name: x\n    on: yes\ndrop: [\"ALL\"]\nempty: {}\n"
        );
        let mut json = String::new();
        map([("a", V::Plain("yes".into())), ("b", V::Int(3))]).write_json(0, &mut json);
        assert_eq!(json, "{\n    \"a\": \"yes\",\n    \"b\": 3\n}");
    }
}
