//! Escaping of text that comes from scanned files — object names, namespaces, annotation
//! values, keys, file names, parser messages — for each kind of output (SPEC 10). Every
//! output format runs such text through one of these functions; none of them ever
//! drops a character silently: what cannot be shown as is is written as `\u{...}`.
//!
//! - [`visible`]: terminals and CI logs. Control characters (C0, DEL, C1: ANSI/OSC
//!   sequences start with one), bidirectional and invisible formatting characters
//!   (Trojan Source), and line/paragraph separators become `\u{..}` escapes.
//! - [`ci_log_line`]: a whole line of text output, which CI systems read for commands:
//!   GitHub's runner treats a line starting with `::` (after blanks) as a workflow
//!   command and `##[` anywhere as a legacy one.
//! - [`sarif_message`]: SARIF `message.text`, a plain-text message in which `[text](target)`
//!   is an embedded link (SARIF 2.1.0, 3.11.6): brackets are escaped as `\[` and `\]`.
//! - [`github_data`] and [`github_property`]: GitHub workflow commands
//!   (`::error file=PROPERTY,...::DATA`), for the `github` format.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character is written as an escape in every output.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'                  // soft hyphen
            | '\u{061c}'                // Arabic letter mark
            | '\u{180e}'                // Mongolian vowel separator
            | '\u{200b}'..='\u{200f}'   // zero-width space/joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}'   // line and paragraph separators
            | '\u{202a}'..='\u{202e}'   // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'   // bidi isolates
            | '\u{feff}'                // zero-width no-break space (BOM)
            | '\u{fff9}'..='\u{fffb}' // interlinear annotations
        )
}

fn escape_into(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// Text safe to print on a terminal or in a CI log, on one line: every control,
/// bidirectional or invisible character is written as `\u{..}`. Tabs are kept only when
/// `keep_tabs` (source lines keep their indentation).
pub fn visible_with(text: &str, keep_tabs: bool) -> Cow<'_, str> {
    let escaped = |c: char| hidden(c) && !(keep_tabs && c == '\t');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if escaped(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`visible_with`], tabs kept.
pub fn visible(text: &str) -> Cow<'_, str> {
    visible_with(text, true)
}

/// A whole line of log output made inert for CI command parsers: `##[` anywhere becomes
/// `#\u{23}[`, and a `:` that would open the line with `::` becomes `\u{3a}`. Apply it
/// to lines whose parts already went through [`visible`].
pub fn ci_log_line(line: &str) -> Cow<'_, str> {
    let trimmed = line.trim_start();
    let starts_command = trimmed.starts_with("::");
    if !starts_command && !line.contains("##[") {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    let rest = if starts_command {
        out.push_str(&line[..line.len() - trimmed.len()]);
        out.push_str("\\u{3a}");
        &trimmed[1..]
    } else {
        line
    };
    out.push_str(&rest.replace("##[", "#\\u{23}["));
    Cow::Owned(out)
}

/// SARIF `message.text`: plain text without control characters, with `[` and `]`
/// escaped so that no name can form an embedded link (SARIF 3.11.6).
pub fn sarif_message(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if hidden(c) => escape_into(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// The data (message) part of a GitHub workflow command, after the second `::`. The
/// runner unescapes `%25`, `%0D` and `%0A` there, so those are written encoded and an
/// annotation stays one line that cannot start a second command; every other hidden
/// character is made visible (`\u{1b}`).
///
/// Note for the `github` format: every value from a manifest or a file name goes through
/// [`github_data`] (message) or [`github_property`] (`file=`, `title=`); a line that
/// starts with `::error` is parsed as that command, so [`ci_log_line`] is not needed
/// there, but any other line the format prints is.
pub fn github_data(text: &str) -> String {
    github(text, false)
}

/// A property value of a GitHub workflow command (`file=`, `title=`): as
/// [`github_data`], and `:` and `,` escaped so that a value cannot end the property list.
pub fn github_property(text: &str) -> String {
    github(text, true)
}

/// The runner's own encoding (`%25`, `%0D`, `%0A`, and in properties `%3A`, `%2C`), and
/// every other hidden character as `\u{..}`.
fn github(text: &str, property: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c if hidden(c) => escape_into(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_sequences_and_invisible_characters_become_visible() {
        assert_eq!(
            visible("a\x1b]8;;x\x07b\tc\u{9b}31m"),
            "a\\u{1b}]8;;x\\u{7}b\tc\\u{9b}31m"
        );
        assert_eq!(
            visible("ad\u{202e}min\u{2066}\u{200b}"),
            "ad\\u{202e}min\\u{2066}\\u{200b}"
        );
        assert_eq!(visible_with("a\tb\r\nc", false), "a\\u{9}b\\u{d}\\u{a}c");
        assert!(matches!(visible("plain näme"), Cow::Borrowed(_)));
    }

    #[test]
    fn ci_commands_cannot_start_a_line_or_hide_in_one() {
        assert_eq!(
            ci_log_line("::error::x.yaml:1:1"),
            "\\u{3a}:error::x.yaml:1:1"
        );
        assert_eq!(ci_log_line("  ::warning ::x"), "  \\u{3a}:warning ::x");
        assert_eq!(
            ci_log_line("a: Pod x##[add-mask]y"),
            "a: Pod x#\\u{23}[add-mask]y"
        );
        assert_eq!(ci_log_line("a::b"), "a::b");
    }

    #[test]
    fn sarif_messages_have_no_links_and_no_controls() {
        assert_eq!(
            sarif_message("Pod ns/[click](https://x.test)\n"),
            "Pod ns/\\[click\\](https://x.test)\\u{a}"
        );
    }

    #[test]
    fn github_workflow_command_escapes() {
        assert_eq!(github_data("100% a\nb\u{202e}"), "100%25 a%0Ab\\u{202e}");
        assert_eq!(github_property("a,b:c%::error"), "a%2Cb%3Ac%25%3A%3Aerror");
    }
}
