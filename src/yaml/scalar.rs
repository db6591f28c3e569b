//! kubectl's typing of scalars. kubectl converts YAML to JSON with go-yaml's YAML 1.1
//! rules, so `yes`/`on` are booleans and `0644` is octal; no Rust YAML crate does this,
//! so it is done here from the scalar's text, style and tag.

use super::tree::{Scalar, Style, Tag};

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

const TRUE_1_1: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
];
const FALSE_1_1: &[&str] = &[
    "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
];
/// The spellings YAML 1.2 (and so Kustomize) also reads as booleans.
const CANONICAL_BOOLS: &[&str] = &["true", "True", "TRUE", "false", "False", "FALSE"];

pub fn resolve(scalar: Scalar<'_>) -> Value<'_> {
    let text = scalar.text;
    match scalar.tag {
        Tag::Str | Tag::Other => return Value::Str(text),
        Tag::Bool => return bool_1_1(text).map_or(Value::Str(text), Value::Bool),
        Tag::Null => return Value::Null,
        Tag::Int => return int_1_1(text).map_or(Value::Str(text), Value::Int),
        Tag::Float => return float_1_1(text).map_or(Value::Str(text), Value::Float),
        Tag::None => {}
    }
    if scalar.style != Style::Plain {
        return Value::Str(text);
    }
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Value::Null;
    }
    if let Some(b) = bool_1_1(text) {
        return Value::Bool(b);
    }
    if let Some(i) = int_1_1(text) {
        return Value::Int(i);
    }
    if let Some(f) = float_1_1(text) {
        return Value::Float(f);
    }
    Value::Str(text)
}

/// Whether YAML 1.1 could read a scalar as anything but a string: a quick test on its
/// first character, so that most keys (`name`, `spec`) skip the typing. It agrees with
/// [`resolve`]: whatever this says no to, `resolve` reads as a string.
pub fn may_be_typed(s: Scalar<'_>) -> bool {
    match s.tag {
        Tag::None if s.style == Style::Plain => {}
        Tag::None | Tag::Str | Tag::Other => return false,
        Tag::Bool | Tag::Int | Tag::Float | Tag::Null => return true,
    }
    match s.text.as_bytes().first() {
        None => true,
        // Numbers, `.inf`, `~`.
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'~') => true,
        // The booleans and nulls spelled out.
        Some(b'y' | b'Y' | b'n' | b'N' | b'o' | b'O' | b't' | b'T' | b'f' | b'F') => {
            bool_1_1(s.text).is_some() || matches!(s.text, "null" | "Null" | "NULL")
        }
        Some(_) => false,
    }
}

/// Whether a plain boolean is spelled the same way in YAML 1.1 and 1.2.
pub fn is_canonical_bool(text: &str) -> bool {
    CANONICAL_BOOLS.contains(&text)
}

fn bool_1_1(text: &str) -> Option<bool> {
    if TRUE_1_1.contains(&text) {
        Some(true)
    } else if FALSE_1_1.contains(&text) {
        Some(false)
    } else {
        None
    }
}

/// YAML 1.1 integers: decimal, `0` octal, `0x` hex, `0b` binary, `_` separators.
fn int_1_1(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    // Checked before the copy below: most plain scalars (names, keys) are not numbers.
    if !body.as_bytes().first()?.is_ascii_digit() {
        return None;
    }
    let digits: String = body.chars().filter(|&c| c != '_').collect();
    let (radix, digits) = if let Some(hex) = digits.strip_prefix("0x") {
        (16, hex)
    } else if let Some(bin) = digits.strip_prefix("0b") {
        (2, bin)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits.as_str())
    };
    if digits.is_empty() {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

fn float_1_1(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = text.trim_start_matches(['-', '+']);
    if !body.contains('.') || !body.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    text.replace('_', "").parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Value<'_> {
        resolve(Scalar {
            text,
            style: Style::Plain,
            tag: Tag::None,
        })
    }

    /// `may_be_typed` is only a shortcut: every scalar it passes over (the boolean and
    /// null spellings among the samples must not be) resolves to the string it is.
    #[test]
    fn may_be_typed_passes_over_only_strings() {
        let samples = TRUE_1_1.iter().chain(FALSE_1_1).copied().chain([
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "1",
            "0x1",
            "-1",
            ".5",
            ".inf",
            "name",
            "spec",
            "yesterday",
            "nope",
            "truth",
            "onion",
            "Falsy",
            "ok",
            "Y2K",
        ]);
        for text in samples {
            let scalar = Scalar {
                text,
                style: Style::Plain,
                tag: Tag::None,
            };
            if !may_be_typed(scalar) {
                assert_eq!(resolve(scalar), Value::Str(text), "{text:?}");
            }
        }
    }

    #[test]
    fn yaml_1_1_booleans() {
        for t in TRUE_1_1 {
            assert_eq!(plain(t), Value::Bool(true), "{t}");
        }
        for f in FALSE_1_1 {
            assert_eq!(plain(f), Value::Bool(false), "{f}");
        }
        assert_eq!(plain("yEs"), Value::Str("yEs"));
        assert!(is_canonical_bool("False"));
        assert!(!is_canonical_bool("no"));
    }

    #[test]
    fn quoted_and_tagged_scalars_are_strings() {
        let quoted = Scalar {
            text: "false",
            style: Style::DoubleQuoted,
            tag: Tag::None,
        };
        assert_eq!(resolve(quoted), Value::Str("false"));
        let tagged = Scalar {
            text: "true",
            style: Style::Plain,
            tag: Tag::Str,
        };
        assert_eq!(resolve(tagged), Value::Str("true"));
    }

    #[test]
    fn yaml_1_1_numbers_and_null() {
        assert_eq!(plain("0644"), Value::Int(420));
        assert_eq!(plain("0x1F"), Value::Int(31));
        assert_eq!(plain("0b101"), Value::Int(5));
        assert_eq!(plain("-1_000"), Value::Int(-1000));
        assert_eq!(plain("3600"), Value::Int(3600));
        assert_eq!(plain("1.5"), Value::Float(1.5));
        assert_eq!(plain("~"), Value::Null);
        assert_eq!(plain(""), Value::Null);
        assert_eq!(plain("v1"), Value::Str("v1"));
        assert_eq!(plain("1.2.3"), Value::Str("1.2.3"));
    }
}
