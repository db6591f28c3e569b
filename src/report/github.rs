//! GitHub Actions workflow commands (SPEC 8.3): one `::error`, `::warning` or `::notice`
//! line per finding, so that pull requests show annotations on the exact line even
//! without code scanning.
//!
//! Everything is escaped as the Actions runner unescapes it: in the message (the
//! command's "data") `%`, `\r` and `\n`; in properties (`file=`, `title=`) also `:` and
//! `,`. Any other control character is made visible, so that a name from a manifest can
//! neither start a new workflow command nor reach the log as a terminal escape.
//!
//! GitHub shows at most 10 annotations of each level per step and 50 per job; the job
//! summary (`--format markdown`) carries the complete picture. Given the lines a pull
//! request changes (`--diff`), the findings on them come first, each part in report
//! order, so that the annotations GitHub shows are the ones on the author's own lines.

use std::io::{self, Write};
use std::sync::Arc;

use super::Sink;
use crate::Scanned;
use crate::diff::ChangedLines;
use crate::finding::{Finding, Level};

pub struct Writer<'a> {
    out: Box<dyn Write + Send + 'a>,
    changed_lines: Option<Arc<ChangedLines>>,
    /// With `changed_lines`: the commands for findings elsewhere, written at the end.
    elsewhere: Vec<String>,
}

impl<'a> Writer<'a> {
    pub fn new(changed_lines: Option<Arc<ChangedLines>>, out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            out,
            changed_lines,
            elsewhere: Vec::new(),
        }
    }
}

impl Sink for Writer<'_> {
    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        // Suppressed and baselined findings were accepted: no annotation.
        for finding in findings.iter().filter(|f| f.counts()) {
            let line = command(scanned, finding);
            match &self.changed_lines {
                Some(changed) if !on_changed_lines(changed, scanned, finding) => {
                    self.elsewhere.push(line);
                }
                _ => writeln!(self.out, "{line}")?,
            }
        }
        Ok(())
    }

    fn finish(&mut self, scanned: &Scanned) -> io::Result<()> {
        for line in std::mem::take(&mut self.elsewhere) {
            writeln!(self.out, "{line}")?;
        }
        for n in &scanned.notifications {
            // Skipped Helm templates (notes) would only use up the annotation quota.
            if n.level < Level::Warning {
                continue;
            }
            let file = match (&n.path, n.pos) {
                (Some(p), Some(pos)) => {
                    format!("file={},line={},col={},", property(p), pos.line, pos.col)
                }
                (Some(p), None) => format!("file={},", property(p)),
                (None, _) => String::new(),
            };
            writeln!(
                self.out,
                "::{} {file}title=tokenguard::{}",
                command_name(n.level),
                data(&n.message)
            )?;
        }
        self.out.flush()
    }
}

/// Whether the lines a finding points at hold a changed line.
fn on_changed_lines(changed: &ChangedLines, scanned: &Scanned, finding: &Finding) -> bool {
    let path = &scanned.file(finding.location.file).path;
    let region = finding.location.region;
    changed.touches(
        path,
        region.start.line,
        region.end.line.max(region.start.line),
    )
}

/// One finding as a workflow command.
fn command(scanned: &Scanned, finding: &Finding) -> String {
    let path = &scanned.file(finding.location.file).path;
    let region = finding.location.region;
    let (start, end) = (region.start, region.end);
    // The runner drops columns unless the annotation stays on one line; its end column
    // is the last character, where ours (as SARIF's) is the one after it.
    let columns = if start.line == end.line {
        format!(
            ",col={},endColumn={}",
            start.col,
            end.col.saturating_sub(1).max(start.col)
        )
    } else {
        String::new()
    };
    format!(
        "::{} file={},line={},endLine={}{columns},title={}::{}",
        command_name(finding.level),
        property(path),
        start.line,
        end.line.max(start.line),
        property(&format!("{} {}", finding.rule.code(), finding.rule.name())),
        data(&finding.message),
    )
}

fn command_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    }
}

/// Escapes a command's message as the runner's `ActionCommand` unescapes it.
pub fn data(text: &str) -> String {
    super::escape::github_data(text)
}

/// Escapes a property value (`file=`, `title=`): as [`data`], plus `:` and `,`.
pub fn property(text: &str) -> String {
    super::escape::github_property(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{render, scan_stdin};

    #[test]
    fn data_and_properties_are_escaped_as_the_runner_expects() {
        assert_eq!(data("100% a:b,c\r\nd"), "100%25 a:b,c%0D%0Ad");
        assert_eq!(property("100% a:b,c\r\nd"), "100%25 a%3Ab%2Cc%0D%0Ad");
        // Already-escaped text is escaped again, so it round-trips.
        assert_eq!(data("%0A"), "%250A");
        // No raw control character survives: none can end the command early.
        assert_eq!(data("a\x1b[31mb\u{85}c"), "a\\u{1b}[31mb\\u{85}c");
    }

    #[test]
    fn one_command_per_finding_with_location_and_title() {
        let report = scan_stdin(
            "manifests/a,b:c%.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"web%0A::error::x\"\n  namespace: shop\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers: [{name: c, image: i}]\n",
        );
        let text = render(&report, super::super::Format::Github);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines.iter().all(|l| l.starts_with("::")),
            "every line is a command: {text}"
        );
        let tg001 = lines
            .iter()
            .find(|l| l.contains("title=TG001 token-automount-untrusted::"))
            .expect("a TG001 annotation");
        assert!(
            tg001.starts_with(
                "::error file=manifests/a%2Cb%3Ac%25.yaml,line=9,endLine=9,col=7,endColumn=29,title=TG001 token-automount-untrusted::Deployment shop/web%250A::error::x mounts"
            ),
            "{tg001}"
        );
        assert!(
            text.contains("::notice file=manifests/a%2Cb%3Ac%25.yaml,line=9"),
            "TG009 is a notice: {text}"
        );
    }
}
