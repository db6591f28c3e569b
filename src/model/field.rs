//! Field values that keep where they were written.

use crate::yaml::{NodeRef, Span, Style, scalar};
use compact_str::CompactString;

/// Where a finding about a `key: value` points: the key, extended over the value
/// when the value is a scalar.
pub fn key_value_region(key: NodeRef<'_>, value: NodeRef<'_>) -> Span {
    match value.scalar() {
        Some(_) if value.span().end > key.span().end => key.span().to(value.span()),
        _ => key.span(),
    }
}

/// A string field such as `serviceAccountName`.
#[derive(Clone, Debug)]
pub struct StrField {
    pub region: Span,
    /// The scalar's text; empty for a null or non-scalar value.
    pub value: CompactString,
}

impl StrField {
    pub fn read(key: NodeRef<'_>, value: NodeRef<'_>) -> StrField {
        let text = match value.scalar() {
            Some(s) if !matches!(scalar::resolve(s), scalar::Value::Null) => s.text,
            _ => "",
        };
        StrField {
            region: key_value_region(key, value),
            value: text.into(),
        }
    }
}

/// `automountServiceAccountToken` as kubectl reads it.
#[derive(Clone, Debug)]
pub struct BoolField {
    pub region: Span,
    /// The boolean kubectl sends to the API server; `None` when the field counts as unset.
    pub value: Option<bool>,
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

impl BoolField {
    pub fn read(key: NodeRef<'_>, value: NodeRef<'_>) -> BoolField {
        let region = key_value_region(key, value);
        let Some(s) = value.scalar() else {
            return BoolField {
                region,
                value: None,
                ambiguity: Some(Box::new(Ambiguity::NotBoolean {
                    text: if value.is_seq() {
                        "a list"
                    } else {
                        "a mapping"
                    }
                    .to_owned(),
                })),
            };
        };
        let (value, ambiguity) = match scalar::resolve(s) {
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
        BoolField {
            region,
            value,
            ambiguity: ambiguity.map(Box::new),
        }
    }
}
