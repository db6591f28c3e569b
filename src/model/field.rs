//! Field values that keep where they were written.

use crate::origin::{Located, Origin};
use crate::yaml::{NodeRef, Style, scalar};
use compact_str::CompactString;

/// Where a finding about a `key: value` points: the key, extended over the value
/// when the value is a scalar. In a rendered object whose value was set in another
/// file than its key (a patch), the value alone, since that is where it was chosen.
pub fn key_value_origin(key: NodeRef<'_>, value: NodeRef<'_>) -> Origin {
    let (key_at, value_at) = (key.origin(), value.origin());
    match value.scalar() {
        Some(_) if value_at.file != key_at.file => value_at,
        Some(_) if value_at.span.end > key_at.span.end => {
            Origin::new(key_at.file, key_at.span.to(value_at.span))
        }
        _ => key_at,
    }
}

/// A string field such as `serviceAccountName`: the scalar's text, empty for a null or
/// non-scalar value.
pub fn read_str(key: NodeRef<'_>, value: NodeRef<'_>) -> Located<CompactString> {
    let text = match value.scalar() {
        Some(s) if !matches!(scalar::resolve(s), scalar::Value::Null) => s.text,
        _ => "",
    };
    Located::new(text.into(), key_value_origin(key, value))
}

/// `automountServiceAccountToken` as kubectl reads it.
#[derive(Clone, Debug)]
pub struct BoolValue {
    /// The boolean kubectl sends to the API server; `None` when the field counts as unset.
    pub kubectl: Option<bool>,
    /// Set when the value is not written as a canonical boolean (TG010).
    pub ambiguity: Option<Box<Ambiguity>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ambiguity {
    /// `yes`, `on`, `n`...: a boolean for kubectl (YAML 1.1), a string for Kustomize.
    Yaml11Only { text: String, value: bool },
    /// `"false"`: a string, not a boolean.
    Quoted { text: String },
    /// Anything else that is not a boolean (`0`, a list...).
    NotBoolean { text: String },
}

impl BoolValue {
    pub fn read(key: NodeRef<'_>, value: NodeRef<'_>) -> Located<BoolValue> {
        let at = key_value_origin(key, value);
        let Some(s) = value.scalar() else {
            let text = if value.is_seq() {
                "a list"
            } else {
                "a mapping"
            };
            let ambiguity = Ambiguity::NotBoolean {
                text: text.to_owned(),
            };
            return Located::new(
                BoolValue {
                    kubectl: None,
                    ambiguity: Some(Box::new(ambiguity)),
                },
                at,
            );
        };
        let (kubectl, ambiguity) = match scalar::resolve(s) {
            scalar::Value::Bool(b)
                if s.style == Style::Plain && scalar::is_canonical_bool(s.text) =>
            {
                (Some(b), None)
            }
            scalar::Value::Bool(b) => (
                Some(b),
                Some(Ambiguity::Yaml11Only {
                    text: s.text.to_owned(),
                    value: b,
                }),
            ),
            scalar::Value::Null => (None, None),
            scalar::Value::Str(text) if s.style != Style::Plain => (
                None,
                Some(Ambiguity::Quoted {
                    text: text.to_owned(),
                }),
            ),
            _ => (
                None,
                Some(Ambiguity::NotBoolean {
                    text: s.text.to_owned(),
                }),
            ),
        };
        let value = BoolValue {
            kubectl,
            ambiguity: ambiguity.map(Box::new),
        };
        Located::new(value, at)
    }
}
