//! Rendered objects printed as `kubectl kustomize` prints them. Kustomize re-types
//! every scalar as YAML 1.2 (only `true`/`false` are booleans), converts each object
//! to JSON and back, and prints it with go-yaml v2's emitter: keys sorted in its
//! natural order, sequences not indented under their key, strings plain where YAML
//! would read them back as the same string, long lines folded at 80 columns.

use std::cmp::Ordering;

use super::node::{Node, Scalar, Value};
use crate::files::FileId;
use crate::yaml::{self, Style, Tag};

/// go-yaml's preferred line width: plain and quoted strings fold past it.
const WIDTH: usize = 80;

/// The YAML stream of `objects`, documents separated by `---`. With `origin`, each
/// scalar is followed by a `# file:line:col` comment naming where it was written.
pub fn to_yaml(objects: &[Node], origin: Option<&dyn Fn(FileId) -> String>) -> String {
    let mut out = Printer {
        text: String::new(),
        column: 0,
        origin,
    };
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.put("---\n");
        }
        match &object.value {
            Value::Map(entries) if !entries.is_empty() => out.map(object, 0),
            _ => {
                out.value_inline(object, 0);
                out.newline();
            }
        }
    }
    out.text
}

/// A scalar as Kustomize's JSON holds it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Typed<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

fn typed(s: &Scalar) -> Typed<'_> {
    let text = s.text.as_str();
    let scalar = yaml::Scalar {
        text,
        style: s.style,
        tag: s.tag,
    };
    // Most scalars are names and words: a look at the first character settles them
    // (the 1.2 numbers below start with a digit, a sign or a point too).
    if !yaml::scalar::may_be_typed(scalar) {
        return Typed::Str(text);
    }
    let as_1_1 = yaml::scalar::resolve(scalar);
    match as_1_1 {
        yaml::scalar::Value::Null => Typed::Null,
        yaml::scalar::Value::Bool(b)
            if s.tag == Tag::Bool || yaml::scalar::is_canonical_bool(text) =>
        {
            Typed::Bool(b)
        }
        yaml::scalar::Value::Bool(_) => Typed::Str(text),
        yaml::scalar::Value::Int(i) => Typed::Int(i),
        yaml::scalar::Value::Float(f) => Typed::Float(f),
        yaml::scalar::Value::Str(text) if s.style == Style::Plain && s.tag == Tag::None => {
            // Numbers YAML 1.2 reads that the 1.1 typing does not: `0o` octals,
            // exponents without a point, integers too large for 64 bits.
            if let Some(Ok(i)) = text.strip_prefix("0o").map(|d| i64::from_str_radix(d, 8)) {
                Typed::Int(i)
            } else if let Some(f) = is_decimal(text).then(|| text.parse().ok()).flatten() {
                Typed::Float(f)
            } else {
                Typed::Str(text)
            }
        }
        yaml::scalar::Value::Str(text) => Typed::Str(text),
    }
}

/// A float as Go prints it after a JSON round trip: integral values as integers,
/// others in `strconv.FormatFloat(f, 'g', -1, 64)` form.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    if f.fract() == 0.0 && f.abs() < 1e18 {
        return format!("{}", f as i64);
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..6).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    format!("{f}")
}

/// Whether go-yaml v2 would read `text`, unquoted, as something else than this string
/// (YAML 1.1: `yes`, `~`, `1e3`, `0o17`, `1:20`, dates...).
fn reads_as_other(text: &str) -> bool {
    let plain = yaml::Scalar {
        text,
        style: Style::Plain,
        tag: Tag::None,
    };
    // Every form below starts with a digit, a sign or a point, which this lets through.
    if !yaml::scalar::may_be_typed(plain) {
        return false;
    }
    if !matches!(yaml::scalar::resolve(plain), yaml::scalar::Value::Str(_)) {
        return true;
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let bytes = body.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    // Numbers go-yaml reads that the 1.1 typing above does not: exponents without a
    // point, `0o` octals, sexagesimal numbers.
    if is_decimal(text) {
        return true;
    }
    if body
        .strip_prefix("0o")
        .is_some_and(|d| !d.is_empty() && d.chars().all(|c| matches!(c, '0'..='7')))
    {
        return true;
    }
    if bytes[0].is_ascii_digit()
        && body.contains(':')
        && body.split(':').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
        })
    {
        return true;
    }
    is_timestamp(text)
}

/// go-yaml's float syntax: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_decimal(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = !mantissa.is_empty()
        && mantissa != "."
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.matches('.').count() <= 1;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

/// `YYYY-M-D` at the start, as go-yaml's timestamp formats begin.
fn is_timestamp(text: &str) -> bool {
    let mut parts = text.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = &rest[day.len()..];
    year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&month.len())
        && month.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&day.len())
        && (after.is_empty() || after.starts_with(['T', 't', ' ', '\t']))
}

/// What go-yaml's emitter found in a string: which styles may print it.
struct Analysis {
    plain: bool,
    single: bool,
    literal: bool,
    multiline: bool,
}

fn is_printable(c: char) -> bool {
    matches!(c, '\n' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn analyze(text: &str) -> Analysis {
    let mut block_indicators = text.starts_with("---") || text.starts_with("...");
    let (mut special, mut line_breaks) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut chars = text.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_whitespace = next.is_none_or(|n| n == ' ' || n == '\t' || is_break(n));
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = c == ' ' || c == '\t' || is_break(c);
        first = false;
    }
    let mut plain = !(leading_space || leading_break || trailing_space || trailing_break);
    let mut single = true;
    let mut literal = !trailing_space;
    if break_space {
        plain = false;
        single = false;
    }
    if space_break || special {
        plain = false;
        single = false;
        literal = false;
    }
    if line_breaks || block_indicators || text.is_empty() {
        plain = false;
    }
    Analysis {
        plain,
        single,
        literal,
        multiline: line_breaks,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Plain,
    Single,
    Double,
    Literal,
}

/// Whether `text` is one ASCII word of letters, digits and `-_./:` that [`analyze`]
/// finds plain (not `---`, `...`, `-` or ending in `:`): names, labels, images, paths.
fn is_plain_word(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':'))
        && !text.starts_with("---")
        && !text.starts_with("...")
        && text != "-"
        && !text.ends_with(':')
}

/// The style go-yaml v2 prints a string in; `key` for a mapping key.
fn style_of(text: &str, key: bool) -> Quote {
    // Most strings: no character to look at one by one.
    if is_plain_word(text) {
        return if reads_as_other(text) {
            Quote::Double
        } else {
            Quote::Plain
        };
    }
    analyzed_style(text, key)
}

/// [`style_of`] from go-yaml's analysis of each character.
fn analyzed_style(text: &str, key: bool) -> Quote {
    let analysis = analyze(text);
    let wanted = if reads_as_other(text) {
        Quote::Double
    } else if text.contains('\n') && !key {
        Quote::Literal
    } else {
        Quote::Plain
    };
    match wanted {
        Quote::Plain if analysis.plain && !(key && analysis.multiline) => Quote::Plain,
        Quote::Plain if analysis.single && !(key && analysis.multiline) => Quote::Single,
        Quote::Literal if analysis.literal => Quote::Literal,
        _ => Quote::Double,
    }
}

/// go-yaml v2's key order: runs of digits compare as numbers, letters before other
/// characters.
fn key_order(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    // Keys are nearly always ASCII: compared as bytes, without collecting characters.
    if a.is_ascii() && b.is_ascii() {
        return natural(a.as_bytes(), b.as_bytes());
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    natural(&a, &b)
}

/// [`key_order`] over characters (or ASCII bytes).
fn natural<T: Copy + Into<char>>(a: &[T], b: &[T]) -> Ordering {
    let char_at = |s: &[T], i: usize| -> char { s[i].into() };
    for i in 0..a.len().min(b.len()) {
        let (ac, bc) = (char_at(a, i), char_at(b, i));
        if ac == bc {
            continue;
        }
        let (a_letter, b_letter) = (ac.is_alphabetic(), bc.is_alphabetic());
        if a_letter && b_letter {
            return ac.cmp(&bc);
        }
        if a_letter || b_letter {
            return if b_letter {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        // A zero inside a number (after a non-zero digit) is no leading zero: go-yaml
        // then counts both numbers from 1.
        let start = i64::from(
            (ac == '0' || bc == '0')
                && (0..i)
                    .rev()
                    .take_while(|&j| char_at(a, j).is_ascii_digit())
                    .any(|j| char_at(a, j) != '0'),
        );
        let number = |s: &[T]| {
            let end = (i..s.len())
                .find(|&j| !char_at(s, j).is_ascii_digit())
                .unwrap_or(s.len());
            let value = (i..end).fold(start, |n, j| {
                let digit = char_at(s, j).to_digit(10).map_or(0, i64::from);
                n.wrapping_mul(10).wrapping_add(digit)
            });
            (value, end)
        };
        let ((an, ae), (bn, be)) = (number(a), number(b));
        if an != bn {
            return an.cmp(&bn);
        }
        if ae != be {
            return ae.cmp(&be);
        }
        return ac.cmp(&bc);
    }
    a.len().cmp(&b.len())
}

struct Printer<'a> {
    text: String,
    column: usize,
    origin: Option<&'a dyn Fn(FileId) -> String>,
}

impl Printer<'_> {
    fn put(&mut self, s: &str) {
        self.text.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.column = s[i + 1..].chars().count(),
            None => self.column += s.chars().count(),
        }
    }

    fn put_char(&mut self, c: char) {
        self.text.push(c);
        if c == '\n' {
            self.column = 0;
        } else {
            self.column += 1;
        }
    }

    fn newline(&mut self) {
        self.put_char('\n');
    }

    fn indent(&mut self, indent: usize) {
        self.newline();
        for _ in 0..indent {
            self.put_char(' ');
        }
    }

    fn pad(&mut self, indent: usize) {
        for _ in self.column..indent {
            self.put_char(' ');
        }
    }

    fn comment(&mut self, node: &Node) {
        if let Some(origin) = self.origin {
            let at = node.at.span.start;
            let text = format!(" # {}:{}:{}", origin(node.at.file), at.line, at.col);
            self.put(&text);
        }
    }

    /// A block mapping whose first key starts at the current position, the others at
    /// `indent`; ends after a line break.
    fn map(&mut self, node: &Node, indent: usize) {
        let Some(entries) = node.as_map() else { return };
        let mut sorted: Vec<_> = entries.iter().collect();
        sorted.sort_by(|a, b| key_order(&a.key, &b.key));
        for (i, entry) in sorted.into_iter().enumerate() {
            if i > 0 {
                self.pad(indent);
            }
            self.string(&entry.key, indent, true);
            self.put_char(':');
            self.value_after_key(&entry.value, indent);
        }
    }

    fn value_after_key(&mut self, value: &Node, indent: usize) {
        match &value.value {
            Value::Map(entries) if !entries.is_empty() => {
                self.indent(indent + 2);
                self.map(value, indent + 2);
            }
            Value::Seq(items) if !items.is_empty() => {
                self.newline();
                self.seq(value, indent);
            }
            _ => {
                self.put_char(' ');
                self.value_inline(value, indent + 2);
                self.newline();
            }
        }
    }

    /// A block sequence at `indent`, starting on a fresh line or after `- `.
    fn seq(&mut self, node: &Node, indent: usize) {
        let Some(items) = node.as_seq() else { return };
        for item in items {
            self.pad(indent);
            self.put("- ");
            match &item.value {
                Value::Map(entries) if !entries.is_empty() => self.map(item, indent + 2),
                Value::Seq(nested) if !nested.is_empty() => self.seq(item, indent + 2),
                _ => {
                    self.value_inline(item, indent + 2);
                    self.newline();
                }
            }
        }
    }

    /// A scalar or an empty collection, on the current line; `indent` is where folded
    /// lines continue.
    fn value_inline(&mut self, node: &Node, indent: usize) {
        match &node.value {
            Value::Map(_) => self.put("{}"),
            Value::Seq(_) => self.put("[]"),
            Value::Scalar(s) => match typed(s) {
                Typed::Null => self.put("null"),
                Typed::Bool(b) => self.put(if b { "true" } else { "false" }),
                Typed::Int(i) => self.put(&i.to_string()),
                Typed::Float(f) => self.put(&float_text(f)),
                Typed::Str(text) => match style_of(text, false) {
                    Quote::Literal => {
                        self.literal(text, indent, node);
                        return;
                    }
                    style => self.styled(text, style, indent, true),
                },
            },
        }
        self.comment(node);
    }

    fn string(&mut self, text: &str, indent: usize, key: bool) {
        self.styled(text, style_of(text, key), indent, !key);
    }

    /// `text` in `style`, folded past the width if `folds`. Literal blocks are
    /// [`Printer::literal`]'s (keys, which never get one, would be double-quoted).
    fn styled(&mut self, text: &str, style: Quote, indent: usize, folds: bool) {
        match style {
            Quote::Plain => self.folded(text, indent, folds, None),
            Quote::Single => {
                self.put_char('\'');
                self.folded(text, indent, folds, Some('\''));
                self.put_char('\'');
            }
            Quote::Double | Quote::Literal => self.double(text, indent, folds),
        }
    }

    /// Plain or single-quoted text, a space past the width becoming a line break.
    fn folded(&mut self, text: &str, indent: usize, folds: bool, quote: Option<char>) {
        // Most strings are one word: nothing to fold or to double.
        if !text.contains(' ') && quote.is_none_or(|q| !text.contains(q)) {
            self.put(text);
            return;
        }
        let mut spaces = false;
        let mut chars = text.chars().peekable();
        let mut first = true;
        while let Some(c) = chars.next() {
            if c == ' ' {
                let next = chars.peek().copied();
                let next_is_space = next == Some(' ');
                let inside = quote.is_none() || (!first && next.is_some());
                if folds && !spaces && self.column > WIDTH && inside && !next_is_space {
                    self.indent(indent);
                } else {
                    self.put_char(' ');
                }
                spaces = true;
            } else {
                if Some(c) == quote {
                    self.put_char(c);
                }
                self.put_char(c);
                spaces = false;
            }
            first = false;
        }
    }

    fn double(&mut self, text: &str, indent: usize, folds: bool) {
        self.put_char('"');
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            let escape = match c {
                '\0' => Some("\\0"),
                '\u{7}' => Some("\\a"),
                '\u{8}' => Some("\\b"),
                '\t' => Some("\\t"),
                '\n' => Some("\\n"),
                '\u{b}' => Some("\\v"),
                '\u{c}' => Some("\\f"),
                '\r' => Some("\\r"),
                '\u{1b}' => Some("\\e"),
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '\u{85}' => Some("\\N"),
                '\u{a0}' => Some("\\_"),
                '\u{2028}' => Some("\\L"),
                '\u{2029}' => Some("\\P"),
                _ => None,
            };
            if let Some(escape) = escape {
                self.put(escape);
                spaces = false;
            } else if !is_printable(c) || c == '\u{feff}' {
                let code = u32::from(c);
                let escaped = if code <= 0xff {
                    format!("\\x{code:02X}")
                } else if code <= 0xffff {
                    format!("\\u{code:04X}")
                } else {
                    format!("\\U{code:08X}")
                };
                self.put(&escaped);
                spaces = false;
            } else if c == ' ' {
                if folds && !spaces && self.column > WIDTH && i != 0 && i + 1 != chars.len() {
                    self.indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.put_char('\\');
                    }
                } else {
                    self.put_char(' ');
                }
                spaces = true;
            } else {
                self.put_char(c);
                spaces = false;
            }
        }
        self.put_char('"');
    }

    /// A literal block (`|`, `|-`, `|+`, with an indentation digit when the text
    /// starts with a space or a line break).
    fn literal(&mut self, text: &str, indent: usize, node: &Node) {
        self.put_char('|');
        if text.starts_with([' ', '\n']) {
            self.put_char('2');
        }
        let trailing = text.len() - text.trim_end_matches('\n').len();
        if trailing == 0 {
            self.put_char('-');
        } else if trailing > 1 || text == "\n" {
            self.put_char('+');
        }
        self.comment(node);
        let body = text.strip_suffix('\n').unwrap_or(text);
        for line in body.split('\n') {
            self.newline();
            if !line.is_empty() {
                for _ in 0..indent {
                    self.put_char(' ');
                }
                self.put(line);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_in_go_yaml_natural_order_ascii_or_not() {
        let mut keys = vec![
            "a10", "B", "a9", "_x", "a02", "a1", "x-1", "x_1", "xY", "é10", "é2",
        ];
        keys.sort_by(|a, b| key_order(a, b));
        assert_eq!(
            keys,
            [
                "_x", "B", "a1", "a02", "a9", "a10", "x-1", "x_1", "xY", "é2", "é10"
            ]
        );
    }

    #[test]
    fn strings_are_quoted_only_where_yaml_would_read_them_otherwise() {
        assert!(style_of("yes", false) == Quote::Double);
        assert!(style_of("1e3", false) == Quote::Double);
        assert!(style_of("2001-12-14", false) == Quote::Double);
        assert!(style_of("- x", false) == Quote::Single);
        assert!(style_of("a\tb", false) == Quote::Double);
        assert!(style_of("one\ntwo\n", false) == Quote::Literal);
        assert!(style_of("plain words", false) == Quote::Plain);
        assert!(style_of("quay.io/argoproj/argocd:v2.14", false) == Quote::Plain);
        assert!(style_of("a:", true) == Quote::Single);
        assert_eq!(float_text(1234567.5), "1.2345675e+06");
        assert_eq!(float_text(0.000012), "1.2e-05");
        assert_eq!(float_text(1.5), "1.5");
        assert_eq!(float_text(3.0), "3");
    }

    #[test]
    fn a_plain_word_is_styled_as_the_analysis_would() {
        let words = [
            "name",
            "app.kubernetes.io/name",
            "quay.io/argoproj/argocd:v2.14",
            "a:b",
            ":a",
            "_x",
            "x-",
            "10",
            "1e3",
            "0o17",
            "1:20",
            "2001-12-14",
            "yes",
            "No",
            "null",
            "true",
            ".5",
            ".inf",
            "-1",
            "0x1F",
            "1_000",
            "1.2.3",
            "v1",
            "a/b/c",
        ];
        for word in words {
            assert!(is_plain_word(word), "{word}");
            for key in [false, true] {
                assert!(
                    style_of(word, key) == analyzed_style(word, key),
                    "{word} (key: {key})"
                );
            }
        }
        for not_a_plain_word in [
            "", "-", "---", "...x", "a:", "+1", "a b", "a#b", "é", "a\tb",
        ] {
            assert!(!is_plain_word(not_a_plain_word), "{not_a_plain_word}");
        }
    }
}
