//! Compiler-style text (SPEC 8.2): `path:line:col: level[ID]: message`, the source line
//! with a caret, then a summary. Everything from manifests is escaped so that no
//! control character reaches the terminal and no line reads as a CI command
//! ([`super::escape`]); source lines are read again with bounded memory.

use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

use super::{ReportOptions, Sink, escape};
use crate::finding::{Finding, Level};
use crate::{Scanned, SourceFile};

struct Paint {
    on: bool,
}

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn level(&self, level: Level) -> String {
        let code = match level {
            Level::Error => "1;31",
            Level::Warning => "1;33",
            Level::Note => "1;36",
        };
        self.wrap(code, level.as_str())
    }
}

pub struct Writer<'a> {
    options: ReportOptions,
    paint: Paint,
    out: Box<dyn Write + Send + 'a>,
    sources: Sources,
    buf: String,
}

impl<'a> Writer<'a> {
    pub fn new(options: ReportOptions, out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            paint: Paint { on: options.color },
            options,
            out,
            sources: Sources { current: None },
            buf: String::new(),
        }
    }
}

impl Sink for Writer<'_> {
    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        for finding in findings {
            if !finding.counts() && !self.options.show_suppressed {
                continue;
            }
            diagnostic(
                scanned,
                finding,
                &self.paint,
                self.options.quiet,
                &mut self.sources,
                &mut self.buf,
            );
            write_lines(&mut self.out, &self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    fn finish(&mut self, scanned: &Scanned) -> io::Result<()> {
        if !self.options.quiet {
            for n in &scanned.notifications {
                if n.level == Level::Note && !self.options.verbose {
                    continue;
                }
                let path = n
                    .path
                    .as_deref()
                    .map(|p| format!("{}: ", escape(p)))
                    .unwrap_or_default();
                let line = format!(
                    "{path}{}: {}\n",
                    self.paint.level(n.level),
                    escape(&n.message)
                );
                write_lines(&mut self.out, &line)?;
            }
            writeln!(self.out, "{}", summary(scanned, &self.paint))?;
        }
        self.out.flush()
    }
}

/// Writes text whose parts are already escaped, each line made inert for CI command
/// parsers.
fn write_lines(out: &mut dyn Write, text: &str) -> io::Result<()> {
    for line in text.split_inclusive('\n') {
        out.write_all(escape::ci_log_line(line).as_bytes())?;
    }
    Ok(())
}

fn diagnostic(
    scanned: &Scanned,
    finding: &Finding,
    paint: &Paint,
    quiet: bool,
    sources: &mut Sources,
    out: &mut String,
) {
    let file = scanned.file(finding.location.file);
    let region = finding.location.region;
    let suppressed = match &finding.suppression {
        Some(s) => format!(" [suppressed: {}]", s.justification),
        None if finding.is_baselined() => " [in the baseline]".to_owned(),
        None => String::new(),
    };
    let _ = writeln!(
        out,
        "{}: {}: {}{}",
        paint.wrap(
            "1",
            &format!(
                "{}:{}:{}",
                escape(file.path),
                region.start.line,
                region.start.col
            )
        ),
        paint.wrap(
            "1",
            &format!("{}[{}]", paint.level(finding.level), finding.rule.code())
        ),
        escape(&finding.message),
        escape(&suppressed)
    );
    if quiet {
        return;
    }
    if let Some(line) = sources.line(&scanned.root, file, region.start.line) {
        let number = region.start.line.to_string();
        let gutter = " ".repeat(number.len());
        let start = region.start.col.saturating_sub(1) as usize;
        let end = if region.end.line == region.start.line {
            (region.end.col.saturating_sub(1) as usize).max(start + 1)
        } else {
            usize::MAX
        };
        if let Some(snippet) = Snippet::new(&line, start, end) {
            let bar = paint.wrap("1;34", "|");
            let _ = writeln!(out, "{gutter} {bar}");
            let _ = writeln!(
                out,
                "{} {bar} {}",
                paint.wrap("1;34", &number),
                snippet.text
            );
            let caret = paint.wrap(level_color(finding.level), &"^".repeat(snippet.caret));
            let _ = writeln!(out, "{gutter} {bar} {}{caret}", snippet.indent);
        }
    }
    for related in &finding.related {
        let path = &scanned.file(related.location.file).path;
        let start = related.location.region.start;
        let _ = writeln!(
            out,
            "  = note: {} ({}:{}:{})",
            escape(&related.message),
            escape(path),
            start.line,
            start.col
        );
    }
    out.push('\n');
}

fn level_color(level: Level) -> &'static str {
    match level {
        Level::Error => "1;31",
        Level::Warning => "1;33",
        Level::Note => "1;36",
    }
}

fn summary(scanned: &Scanned, paint: &Paint) -> String {
    let count = |level| scanned.totals.of(level);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let findings = [
        (Level::Error, plural(count(Level::Error), "error", "errors")),
        (
            Level::Warning,
            plural(count(Level::Warning), "warning", "warnings"),
        ),
        (Level::Note, plural(count(Level::Note), "note", "notes")),
    ]
    .map(|(level, text)| {
        if count(level) > 0 {
            paint.level_text(level, &text)
        } else {
            text
        }
    })
    .join(", ");
    let s = &scanned.stats;
    let mut files = format!(
        "{} ({}, {}, {})",
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
        plural(s.workloads, "workload", "workloads"),
        plural(s.service_accounts, "service account", "service accounts"),
    );
    if s.skipped_files > 0 {
        let _ = write!(files, ", {} skipped", s.skipped_files);
    }
    if s.unreadable_files > 0 {
        let _ = write!(files, ", {} unreadable", s.unreadable_files);
    }
    if s.invalid_files > 0 {
        let _ = write!(files, ", {} invalid", s.invalid_files);
    }
    let accepted = super::accepted(scanned);
    let accepted = if accepted.is_empty() {
        String::new()
    } else {
        format!(" ({})", accepted.join(", "))
    };
    format!(
        "{findings}{accepted} in {files}; {:.2}s",
        s.elapsed.as_secs_f64()
    )
}

impl Paint {
    fn level_text(&self, level: Level, text: &str) -> String {
        self.wrap(level_color(level), text)
    }
}

/// How much of a source line is shown around the finding, in characters.
const SNIPPET_CHARS: usize = 200;
/// How much of a source line is kept while reading it, in bytes: a 50 MB line costs no
/// more than this.
const LINE_BYTES_KEPT: usize = 64 * 1024;

/// One source line prepared for display: escaped, cut to a window around the region
/// when long, with the caret's indentation and width.
struct Snippet {
    text: String,
    indent: String,
    caret: usize,
}

impl Snippet {
    /// `start..end` are 0-based character columns; `None` if `start` is past the line.
    fn new(line: &str, start: usize, end: usize) -> Option<Snippet> {
        let total = line.chars().count();
        if start > total {
            return None;
        }
        let from = if total <= SNIPPET_CHARS {
            0
        } else {
            start.saturating_sub(SNIPPET_CHARS / 4)
        };
        let to = (from + SNIPPET_CHARS).min(total);
        let chars: Vec<char> = line.chars().skip(from).take(to - from).collect();
        let shown =
            |range: &[char]| escape::visible(&range.iter().collect::<String>()).into_owned();
        let s = start - from;
        let e = (end.min(to).max(start + 1) - from).clamp(s, chars.len());
        let before = shown(&chars[..s]);
        let marked = shown(&chars[s..e]);
        let mut text = shown(&chars);
        let mut indent: String = before
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        if from > 0 {
            text.insert_str(0, "... ");
            indent.insert_str(0, "    ");
        }
        if to < total {
            text.push_str(" ...");
        }
        Some(Snippet {
            text,
            indent,
            caret: marked.chars().count().max(1),
        })
    }
}

/// Source lines, read again from disk (or kept standard input) only for files with
/// findings, one line at a time: findings come sorted by file and line, so a file is
/// read once, forward, and only as far as its last finding.
struct Sources {
    current: Option<Cursor>,
}

struct Cursor {
    path: String,
    reader: Box<dyn BufRead + Send>,
    /// The number of the next line the reader will return.
    next: u32,
    last: Option<(u32, String)>,
}

/// Standard input's text as a reader.
struct Shared(Arc<str>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Sources {
    /// Line `line` of `file`, whose path is relative to `root`.
    fn line(&mut self, root: &std::path::Path, file: SourceFile<'_>, line: u32) -> Option<String> {
        let reusable = self.current.as_ref().is_some_and(|c| {
            c.path == file.path
                && (c.next <= line || c.last.as_ref().is_some_and(|(n, _)| *n == line))
        });
        if !reusable {
            self.current = None;
            let reader: Box<dyn BufRead + Send> = match (&file.source, file.fs_path(root)) {
                (crate::Source::Stdin(text), _) => Box::new(io::Cursor::new(Shared(text.clone()))),
                (_, Some(path)) => {
                    // As the scan read it: never through a link in the last component
                    // (discovery resolved those), except a config file the user named.
                    let follow = file.status == crate::FileStatus::Config;
                    Box::new(io::BufReader::new(
                        crate::load::open_regular(&path, follow).ok()?,
                    ))
                }
                (_, None) => return None,
            };
            self.current = Some(Cursor {
                path: file.path.to_owned(),
                reader,
                next: 1,
                last: None,
            });
        }
        let cursor = self.current.as_mut()?;
        if let Some((n, text)) = &cursor.last
            && *n == line
        {
            return Some(text.clone());
        }
        while cursor.next < line {
            read_line(cursor.reader.as_mut(), None).ok()??;
            cursor.next += 1;
        }
        let mut text = String::new();
        read_line(cursor.reader.as_mut(), Some(&mut text)).ok()??;
        cursor.next += 1;
        if line == 1 {
            text = text.trim_start_matches('\u{feff}').to_owned();
        }
        cursor.last = Some((line, text.clone()));
        Some(text)
    }
}

/// Reads one line (ended by LF, CRLF or a lone CR, as YAML counts lines), keeping at
/// most [`LINE_BYTES_KEPT`] bytes of it in `keep`. `None` at the end of the input.
fn read_line(reader: &mut dyn BufRead, keep: Option<&mut String>) -> io::Result<Option<()>> {
    let mut bytes = Vec::new();
    let mut seen_any = false;
    let mut after_cr = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        if after_cr {
            if buf[0] == b'\n' {
                reader.consume(1);
            }
            break;
        }
        seen_any = true;
        match buf.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                let room = LINE_BYTES_KEPT.saturating_sub(bytes.len());
                bytes.extend_from_slice(&buf[..i.min(room)]);
                let cr = buf[i] == b'\r';
                reader.consume(i + 1);
                if !cr {
                    break;
                }
                after_cr = true;
            }
            None => {
                let n = buf.len();
                let room = LINE_BYTES_KEPT.saturating_sub(bytes.len());
                bytes.extend_from_slice(&buf[..n.min(room)]);
                reader.consume(n);
            }
        }
    }
    if !seen_any {
        return Ok(None);
    }
    if let Some(keep) = keep {
        *keep = String::from_utf8_lossy(&bytes).into_owned();
    }
    Ok(Some(()))
}

/// Makes control characters visible (`\u{1b}`), keeping tabs ([`escape::visible`]).
pub fn escape(text: &str) -> String {
    escape::visible(text).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_terminal_control_sequences() {
        assert_eq!(
            super::escape("a\x1b]8;;x\x07b\tc"),
            "a\\u{1b}]8;;x\\u{7}b\tc"
        );
    }

    #[test]
    fn lines_end_at_lf_crlf_and_lone_cr_and_are_kept_bounded() {
        let long = "x".repeat(super::LINE_BYTES_KEPT + 10);
        let text = format!("a\r\nb\rc\n{long}\nd");
        let mut reader = std::io::Cursor::new(text.into_bytes());
        let mut lines = Vec::new();
        let mut line = String::new();
        while super::read_line(&mut reader, Some(&mut line))
            .unwrap()
            .is_some()
        {
            lines.push(std::mem::take(&mut line));
        }
        assert_eq!(lines.len(), 5);
        assert_eq!(&lines[..3], ["a", "b", "c"]);
        assert_eq!(lines[3].len(), super::LINE_BYTES_KEPT);
        assert_eq!(lines[4], "d");
    }

    #[test]
    fn long_lines_show_a_window_with_the_caret_under_the_region() {
        let line = format!("{}key: value{}", "a".repeat(1000), "b".repeat(1000));
        let s = super::Snippet::new(&line, 1000, 1003).unwrap();
        assert!(s.text.starts_with("... ") && s.text.ends_with(" ..."));
        let caret_at = s.indent.chars().count();
        assert_eq!(&s.text[caret_at..caret_at + 3], "key");
        assert_eq!(s.caret, 3);
        let s = super::Snippet::new("name: \u{1b}[31mred", 6, 9).unwrap();
        assert_eq!(s.text, "name: \\u{1b}[31mred");
        assert_eq!((s.indent.len(), s.caret), (6, 8));
    }
}
