//! Compiler-style text (SPEC 8.2): `path:line:col: level[ID]: message`, the source line
//! with a caret, then a summary. Everything from manifests is escaped so that no
//! control character reaches the terminal and no line reads as a CI command
//! ([`super::escape`]); source lines are read again with bounded memory.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::sync::Arc;

use compact_str::CompactString;

use super::{ReportOptions, Sink, escape};
use crate::finding::{Finding, KustomizeRoot, Level, Related, RuleId, SuppressionKind};
use crate::model::object::IGNORE_ANNOTATION_PREFIX;
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
    tally: Tally,
    /// The last line written is not empty: the summary is set apart by an empty line.
    needs_gap: bool,
    /// The entry of a rendered object's finding, held until a finding that it does not
    /// fold arrives.
    fold: Option<Fold>,
    /// Entries that folded findings of several roots, and how many findings they hold.
    folded: Folded,
}

/// One entry for the same finding at the same location across Kustomize roots (SPEC
/// 3.4): a base deployed by 18 overlays is one entry that lists the roots, not 18.
struct Fold {
    /// The first finding, which the entry shows.
    finding: Finding,
    /// Its message without its root, which the others' must equal.
    message: String,
    roots: Vec<Arc<KustomizeRoot>>,
}

#[derive(Default)]
struct Folded {
    entries: usize,
    findings: usize,
}

/// How many roots a folded entry names before `and N more`.
const ROOTS_NAMED: usize = 3;

/// The message a finding about a rendered object shows, without the words that name its
/// root: what the same finding from another root has in common with it.
fn without_root(finding: &Finding, root: &KustomizeRoot) -> String {
    finding.message.replacen(&root.rendered_by(), "", 1)
}

impl Fold {
    fn new(finding: &Finding, root: &Arc<KustomizeRoot>) -> Fold {
        Fold {
            message: without_root(finding, root),
            finding: finding.clone(),
            roots: vec![root.clone()],
        }
    }

    /// Adds `finding` to the entry if it is the same finding from another root: the same
    /// rule, level, place, notes and state, and the same message apart from the root.
    fn take(&mut self, finding: &Finding) -> bool {
        let first = &self.finding;
        let Some(root) = finding.root() else {
            return false;
        };
        let same = finding.rule == first.rule
            && finding.level == first.level
            && finding.location == first.location
            && finding.related == first.related
            && finding.suppression == first.suppression
            && finding.baseline == first.baseline
            && without_root(finding, root) == self.message;
        if same {
            self.roots.push(root.clone());
        }
        same
    }

    /// The entry's message: the first finding's, naming every root.
    fn message(&self) -> String {
        let message = &self.finding.message;
        let [first, _, ..] = self.roots.as_slice() else {
            return message.to_string();
        };
        let mut names: Vec<String> = self
            .roots
            .iter()
            .take(ROOTS_NAMED)
            .map(|root| format!("`{}`", root.dir))
            .collect();
        let listed = match self.roots.len() - names.len() {
            0 => {
                let last = names.pop().unwrap_or_default();
                format!("{} and {last}", names.join(", "))
            }
            more => format!("{} and {more} more", names.join(", ")),
        };
        let roots = format!("rendered by {} roots: {listed}", self.roots.len());
        message.replacen(&first.rendered_by(), &roots, 1)
    }

    /// The note that names every root, when the message does not: `the 4 roots: ...`.
    fn every_root(&self) -> Option<String> {
        if self.roots.len() <= ROOTS_NAMED {
            return None;
        }
        let names: Vec<String> = self
            .roots
            .iter()
            .map(|root| format!("`{}`", escape(&root.dir)))
            .collect();
        Some(format!("the {} roots: {}", names.len(), names.join(", ")))
    }
}

impl<'a> Writer<'a> {
    pub fn new(options: ReportOptions, out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            paint: Paint { on: options.color },
            options,
            out,
            sources: Sources { current: None },
            buf: String::new(),
            tally: Tally::default(),
            needs_gap: false,
            fold: None,
            folded: Folded::default(),
        }
    }

    /// Writes one entry: a finding, with `message` as it shows and `roots`, if any, as
    /// its last note.
    fn entry(
        &mut self,
        scanned: &Scanned,
        finding: &Finding,
        message: &str,
        roots: Option<&str>,
    ) -> io::Result<()> {
        diagnostic(
            scanned,
            finding,
            (message, roots),
            &self.paint,
            self.options.compact,
            &mut self.sources,
            &mut self.buf,
        );
        write_lines(&mut self.out, &self.buf)?;
        self.buf.clear();
        self.needs_gap = self.options.compact;
        Ok(())
    }

    /// Writes the held entry, if any.
    fn write_fold(&mut self, scanned: &Scanned) -> io::Result<()> {
        let Some(fold) = self.fold.take() else {
            return Ok(());
        };
        if fold.roots.len() > 1 {
            self.folded.entries += 1;
            self.folded.findings += fold.roots.len();
        }
        self.entry(
            scanned,
            &fold.finding,
            &fold.message(),
            fold.every_root().as_deref(),
        )
    }
}

impl Sink for Writer<'_> {
    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        for finding in findings {
            self.tally.add(finding);
            if self.options.quiet || !finding.counts() && !self.options.show_suppressed {
                continue;
            }
            if self.fold.as_mut().is_some_and(|fold| fold.take(finding)) {
                continue;
            }
            self.write_fold(scanned)?;
            match finding.root() {
                Some(root) => self.fold = Some(Fold::new(finding, root)),
                None => self.entry(scanned, finding, &finding.message, None)?,
            }
        }
        Ok(())
    }

    fn finish(&mut self, scanned: &Scanned) -> io::Result<()> {
        self.write_fold(scanned)?;
        if !self.options.quiet {
            for n in &scanned.notifications {
                if n.level == Level::Note && !self.options.verbose {
                    continue;
                }
                let path = match (&n.path, n.pos) {
                    (Some(p), Some(pos)) => format!("{}:{}:{}: ", escape(p), pos.line, pos.col),
                    (Some(p), None) => format!("{}: ", escape(p)),
                    (None, _) => String::new(),
                };
                let line = format!(
                    "{path}{}: {}\n",
                    self.paint.level(n.level),
                    escape(&n.message)
                );
                write_lines(&mut self.out, &line)?;
                self.needs_gap = true;
            }
        }
        if self.needs_gap {
            writeln!(self.out)?;
        }
        if self.folded.entries > 0 {
            let line = format!(
                "{} findings about rendered Kustomize objects are listed above as {} {}, each the same finding at one location from several roots; the counts below are per finding.\n\n",
                self.folded.findings,
                self.folded.entries,
                if self.folded.entries == 1 {
                    "entry"
                } else {
                    "entries"
                },
            );
            write_lines(&mut self.out, &line)?;
        }
        let tables = self.tally.tables(&self.paint, scanned.baseline.is_some());
        write_lines(&mut self.out, &tables)?;
        let config = match &scanned.config.source {
            Some(file) => format!("config: {}\n", escape(file)),
            None => "config: none found, nothing is trusted\n".to_owned(),
        };
        write_lines(&mut self.out, &config)?;
        writeln!(self.out, "{}", summary(scanned, &self.paint))?;
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

/// Writes a finding with `message` as it shows, and after its related notes one more,
/// `last_note`, if any.
fn diagnostic(
    scanned: &Scanned,
    finding: &Finding,
    (message, last_note): (&str, Option<&str>),
    paint: &Paint,
    compact: bool,
    sources: &mut Sources,
    out: &mut String,
) {
    let file = scanned.file(finding.location.file);
    let region = finding.location.region;
    // Marked first, so that a reader (or a problem matcher looking for `path:line:col:`)
    // never takes it for a finding that counts.
    let (marker, justification) = match finding.suppression.as_deref() {
        Some(s) => {
            let by = match s.kind {
                SuppressionKind::InSource => {
                    format!("annotation {IGNORE_ANNOTATION_PREFIX}{}", finding.rule)
                }
                SuppressionKind::External => "exemption".to_owned(),
            };
            (
                format!("{} ", paint.wrap("1", "[suppressed]")),
                format!(" ({by}: {})", escape(&s.justification)),
            )
        }
        None if finding.is_baselined() => (
            format!("{} ", paint.wrap("1", "[baselined]")),
            " (in the baseline)".to_owned(),
        ),
        None => (String::new(), String::new()),
    };
    let _ = writeln!(
        out,
        "{marker}{}: {}: {}{justification}",
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
        escape(message),
    );
    if compact {
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
    for note in fold_related(scanned, &finding.related) {
        let more = match note.more {
            0 => String::new(),
            1 => " and 1 more location".to_owned(),
            n => format!(" and {n} more locations"),
        };
        let _ = writeln!(
            out,
            "  = note: {} ({}{more})",
            escape(note.message),
            note.first
        );
    }
    if let Some(note) = last_note {
        let _ = writeln!(out, "  = note: {note}");
    }
    out.push('\n');
}

/// A related note as text shows it: notes with the same message (the same object
/// defined in many files) are one note, at the first location, with a count of the others.
struct Note<'f> {
    message: &'f str,
    /// `path:line:col` of the first location.
    first: String,
    more: usize,
}

fn fold_related<'f>(scanned: &Scanned, related: &'f [Related]) -> Vec<Note<'f>> {
    let mut notes: Vec<Note<'f>> = Vec::new();
    // A repository can hold hundreds of copies of one object.
    let mut index: HashMap<&str, usize> = HashMap::new();
    for r in related {
        if let Some(&i) = index.get(&*r.message) {
            notes[i].more += 1;
            continue;
        }
        index.insert(&r.message, notes.len());
        let start = r.location.region.start;
        notes.push(Note {
            message: &r.message,
            first: format!(
                "{}:{}:{}",
                escape(scanned.file(r.location.file).path),
                start.line,
                start.col
            ),
            more: 0,
        });
    }
    notes
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

/// How many of a rule's findings there are, as a row of the summary's table: those
/// that count (new, with a baseline) and those the baseline holds.
#[derive(Default)]
struct RuleRow {
    findings: usize,
    baselined: usize,
}

/// What the summary's tables count, as the findings go by: the findings that are not
/// suppressed; the namespaces and service accounts only those that count, like the
/// totals line.
#[derive(Default)]
struct Tally {
    /// By rule id, which sorts the table.
    rules: BTreeMap<RuleId, RuleRow>,
    namespaces: HashMap<CompactString, usize>,
    service_accounts: HashMap<CompactString, usize>,
}

/// How many namespaces and service accounts the summary names.
const TOP: usize = 5;

impl Tally {
    fn add(&mut self, finding: &Finding) {
        if finding.is_suppressed() {
            return;
        }
        let row = self.rules.entry(finding.rule).or_default();
        if finding.is_baselined() {
            row.baselined += 1;
            return;
        }
        row.findings += 1;
        // Cluster-scoped objects and unreadable files have no namespace.
        if let Some(object) = finding.object.as_ref().filter(|o| !o.namespace.is_empty()) {
            count(&mut self.namespaces, &object.namespace);
        }
        if let Some(account) = &finding.service_account {
            count(&mut self.service_accounts, account);
        }
    }

    /// The by-rule table (with a baseline: new and baselined findings), then the
    /// namespaces and service accounts with most findings, each followed by an empty
    /// line; nothing when no finding is left to show.
    fn tables(&self, paint: &Paint, baseline: bool) -> String {
        let mut out = String::new();
        if self.rules.is_empty() {
            return out;
        }
        let rows = self.rules.iter().map(|(rule, row)| {
            let mut cells = vec![
                rule.code().to_owned(),
                rule.name().to_owned(),
                row.findings.to_string(),
            ];
            if baseline {
                cells.push(row.baselined.to_string());
            }
            cells
        });
        let header: &[&str] = if baseline {
            &["rule", "name", "new", "baselined"]
        } else {
            &["rule", "name", "findings"]
        };
        table(&mut out, paint, header, 2, rows.collect());
        for (header, counts) in [
            ("namespace", &self.namespaces),
            ("service account", &self.service_accounts),
        ] {
            if counts.is_empty() {
                continue;
            }
            let rows = top(counts)
                .into_iter()
                .map(|(name, n)| vec![escape(name), n.to_string()]);
            table(&mut out, paint, &[header, "findings"], 1, rows.collect());
        }
        out
    }
}

/// One more for `name`, whose key is copied only the first time it is seen.
fn count(counts: &mut HashMap<CompactString, usize>, name: &CompactString) {
    match counts.get_mut(name) {
        Some(n) => *n += 1,
        None => {
            counts.insert(name.clone(), 1);
        }
    }
}

/// The [`TOP`] names with most findings: most first, then by name.
fn top(counts: &HashMap<CompactString, usize>) -> Vec<(&str, usize)> {
    let mut ranked: Vec<(&str, usize)> = counts.iter().map(|(k, &n)| (k.as_str(), n)).collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    ranked.truncate(TOP);
    ranked
}

/// Columns padded to their widest cell, then an empty line: the first `names` columns
/// aligned on their first letter, the counts after them on their last digit.
fn table(out: &mut String, paint: &Paint, header: &[&str], names: usize, rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for (i, row) in std::iter::once(header).chain(rows).enumerate() {
        let last = row.len() - 1;
        let mut line = String::new();
        for (column, (cell, width)) in row.iter().zip(&widths).enumerate() {
            let pad = " ".repeat(width - cell.chars().count());
            let gap = if column == last { "" } else { "  " };
            if column >= names {
                let _ = write!(line, "{pad}{cell}{gap}");
            } else {
                let _ = write!(line, "{cell}{pad}{gap}");
            }
        }
        let line = if i == 0 { paint.wrap("1", &line) } else { line };
        let _ = writeln!(out, "{line}");
    }
    out.push('\n');
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

#[cfg(test)]
mod rendered_tests {
    use super::{Fold, Writer};
    use crate::Report;
    use crate::finding::{Finding, Suppression, SuppressionKind};
    use crate::origin::Origin;
    use crate::report::tests::{options, rendered_report};
    use crate::report::{ReportOptions, Sink};

    /// The text of `report`, its findings given to the writer `at_a_time` per call.
    fn text(report: &Report, compact: bool, at_a_time: usize) -> String {
        let mut out = Vec::new();
        let mut writer = Writer::new(
            ReportOptions {
                compact,
                ..options()
            },
            Box::new(&mut out),
        );
        writer.start(&report.scanned).unwrap();
        for batch in report.findings.chunks(at_a_time) {
            writer.findings(&report.scanned, batch).unwrap();
        }
        writer.finish(&report.scanned).unwrap();
        drop(writer);
        String::from_utf8(out).unwrap()
    }

    const TAIL: &str = " mounts an API token for service account default/default, which is not trusted: automountServiceAccountToken is set on neither the pod spec nor the service account, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust default/default in .tokenguard.yaml.";

    #[test]
    fn the_same_finding_from_several_roots_is_one_entry_counted_per_finding() {
        let dir = tempfile::tempdir().unwrap();
        let report = rendered_report(dir.path());
        let text = text(&report, true, report.findings.len());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "base/deployment.yaml:11:5: error[TG001]: Deployment default/api, rendered by 4 roots: `clusters/eu-1`, `clusters/eu-2`, `clusters/eu-3` and 1 more,{TAIL}"
            )
        );
        // Another namespace is another object: its own entry, naming its root.
        assert!(
            lines[1].starts_with(
                "base/deployment.yaml:11:5: error[TG001]: Deployment prod/api, rendered by `overlays/prod`, mounts an API token for service account prod/default,"
            ),
            "{text}"
        );
        assert!(
            lines[2].starts_with(
                "base/deployment.yaml:11:5: error[TG001]: Deployment staging/api, rendered by `overlays/staging`, mounts"
            ),
            "{text}"
        );
        assert_eq!(
            lines[3],
            "plain/pod.yaml:6:1: error[TG001]: Pod ops/tools mounts an API token for service account ops/default, which is not trusted."
        );
        assert_eq!(lines[4], "");
        assert_eq!(
            lines[5],
            "4 findings about rendered Kustomize objects are listed above as 1 entry, each the same finding at one location from several roots; the counts below are per finding."
        );
        assert_eq!(lines[6], "");
        assert_eq!(lines[8], "TG001  token-automount-untrusted         7");
        assert!(text.contains("\ndefault           4\n"), "{text}");
        assert!(text.contains("\ndefault/default         4\n"), "{text}");
        assert!(lines[lines.len() - 1].starts_with("7 errors, 0 warnings, 0 notes"));
    }

    #[test]
    fn entries_fold_across_the_writers_calls() {
        let dir = tempfile::tempdir().unwrap();
        let report = rendered_report(dir.path());
        let whole = text(&report, false, report.findings.len());
        assert_eq!(text(&report, false, 1), whole);
        assert_eq!(text(&report, false, 3), whole);
        assert_eq!(whole.matches("error[TG001]").count(), 4, "{whole}");
        assert!(
            whole.contains("rendered by 4 roots: `clusters/eu-1`, `clusters/eu-2`, `clusters/eu-3` and 1 more, mounts an API token for service account default/default, which is not trusted: automountServiceAccountToken is set on neither the pod spec nor the service account, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust default/default in .tokenguard.yaml.\n   |\n11 |     spec:\n   |     ^^^^\n  = note: the 4 roots: `clusters/eu-1`, `clusters/eu-2`, `clusters/eu-3`, `clusters/eu-4`\n\n"),
            "{whole}"
        );
        // An entry whose message names every root has no such note.
        assert_eq!(whole.matches("= note:").count(), 1, "{whole}");
    }

    /// The entry of the first `n` clusters' findings.
    fn folded(report: &Report, n: usize) -> Fold {
        let first = &report.findings[0];
        let mut fold = Fold::new(first, first.root().unwrap());
        for finding in &report.findings[1..n] {
            assert!(fold.take(finding));
        }
        fold
    }

    #[test]
    fn an_entry_names_three_roots_then_counts_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let report = rendered_report(dir.path());
        let subject = |n| {
            let message = folded(&report, n).message();
            message[..message.find(TAIL).unwrap()].to_owned()
        };
        assert_eq!(
            subject(1),
            "Deployment default/api, rendered by `clusters/eu-1`,"
        );
        assert_eq!(
            subject(2),
            "Deployment default/api, rendered by 2 roots: `clusters/eu-1` and `clusters/eu-2`,"
        );
        assert_eq!(
            subject(3),
            "Deployment default/api, rendered by 3 roots: `clusters/eu-1`, `clusters/eu-2` and `clusters/eu-3`,"
        );
        assert_eq!(
            subject(4),
            "Deployment default/api, rendered by 4 roots: `clusters/eu-1`, `clusters/eu-2`, `clusters/eu-3` and 1 more,"
        );
        assert_eq!(folded(&report, 3).every_root(), None);
    }

    /// Only what would show the same folds: not another object, place, note, suppression
    /// or plain file.
    #[test]
    fn findings_that_would_show_differently_are_not_folded() {
        let dir = tempfile::tempdir().unwrap();
        let report = rendered_report(dir.path());
        let [eu1, eu2, _, _, prod, _, plain] = &report.findings[..] else {
            panic!("seven findings");
        };
        assert!(folded(&report, 1).take(eu2), "the same finding");
        assert!(!folded(&report, 1).take(prod), "another object");
        assert!(!folded(&report, 1).take(plain), "a plain file");
        let elsewhere = Finding {
            location: plain.location,
            ..eu2.clone()
        };
        assert!(!folded(&report, 1).take(&elsewhere), "another place");
        let noted = eu2.clone().related(
            Origin::new(eu1.location.file, eu1.location.region),
            "a note".to_owned(),
        );
        assert!(!folded(&report, 1).take(&noted), "other notes");
        let suppressed = Finding {
            suppression: Some(Box::new(Suppression {
                kind: SuppressionKind::External,
                justification: "accepted".to_owned(),
            })),
            ..eu2.clone()
        };
        assert!(!folded(&report, 1).take(&suppressed), "a suppression");
        let reworded = Finding {
            message: eu2.message.replace("mounts", "gets").into(),
            ..eu2.clone()
        };
        assert!(!folded(&report, 1).take(&reworded), "another message");
    }
}
