//! Output formats, one file each. Reports only present what the scan decided.

pub mod escape;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod markdown;
mod pretty;
pub mod sarif;
pub mod text;

use std::io::{self, Write};
use std::sync::Arc;

use crate::diff::ChangedLines;
use crate::finding::Finding;
use crate::{Report, Scanned};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Sarif,
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// A Markdown summary (GitHub job summaries, merge-request notes).
    Markdown,
}

/// Options that shape outputs but not verdicts.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    pub color: bool,
    /// Text: only the summary (the tables and the totals), no diagnostics.
    pub quiet: bool,
    /// Text: one line per finding, without source lines or notes.
    pub compact: bool,
    /// Text: also list notes about skipped files.
    pub verbose: bool,
    /// Text: also list suppressed findings.
    pub show_suppressed: bool,
    /// SARIF `automationDetails.id`.
    pub category: String,
    /// Markdown: links point at `{link_base}{path}#L{line}`.
    pub link_base: Option<String>,
    /// GitHub: annotations for findings on these lines (a pull request's) come first.
    pub changed_lines: Option<Arc<ChangedLines>>,
}

/// Where a scan's findings go, in report order, as they are found (see
/// [`crate::scan_into`]).
pub trait Sink {
    /// Before the first findings: everything but the findings and their totals is known.
    fn start(&mut self, _scanned: &Scanned) -> io::Result<()> {
        Ok(())
    }

    /// The next findings in report order.
    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()>;

    /// After the last findings: `scanned.totals` and the elapsed time are final.
    fn finish(&mut self, _scanned: &Scanned) -> io::Result<()> {
        Ok(())
    }
}

/// A sink that writes `format` to `out`, flushing it at the end.
pub fn writer<'a>(
    format: Format,
    options: &ReportOptions,
    out: Box<dyn Write + Send + 'a>,
) -> Box<dyn Sink + Send + 'a> {
    let options = options.clone();
    match format {
        Format::Text => Box::new(text::Writer::new(options, out)),
        Format::Sarif => Box::new(sarif::Writer::new(options, out)),
        Format::Json => Box::new(json::Writer::new(out)),
        Format::Github => Box::new(github::Writer::new(options.changed_lines, out)),
        Format::Gitlab => Box::new(gitlab::Writer::new(out)),
        Format::Markdown => Box::new(markdown::Writer::new(options, out)),
    }
}

/// Writes a whole report in `format`.
pub fn write(
    format: Format,
    report: &Report,
    options: &ReportOptions,
    out: &mut (dyn Write + Send),
) -> io::Result<()> {
    let mut sink = writer(format, options, Box::new(out));
    sink.start(&report.scanned)?;
    sink.findings(&report.scanned, &report.findings)?;
    sink.finish(&report.scanned)
}

/// What the summaries say besides the findings that count: `3 suppressed`, `12 in the
/// baseline`, `2 fixed since the baseline`, those that are not zero.
fn accepted(scanned: &Scanned) -> Vec<String> {
    let totals = &scanned.totals;
    let fixed = scanned.baseline.as_ref().map_or(0, |b| b.fixed);
    [
        (totals.suppressed, "suppressed"),
        (totals.baselined, "in the baseline"),
        (fixed, "fixed since the baseline"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::{Format, ReportOptions};
    use crate::{Report, ScanOptions, Stdin};

    /// Scans `text` as standard input named `name`, with the default config.
    pub(crate) fn scan_stdin(name: &str, text: &str) -> Report {
        crate::scan(ScanOptions {
            stdin: Some(Stdin {
                name: name.to_owned(),
                bytes: text.as_bytes().to_vec(),
            }),
            ..ScanOptions::new(
                vec!["-".into()],
                std::env::temp_dir(),
                jiff::civil::date(2026, 1, 1),
            )
        })
        .expect("scan")
    }

    pub(crate) fn options() -> ReportOptions {
        ReportOptions {
            color: false,
            quiet: false,
            compact: false,
            verbose: false,
            show_suppressed: false,
            category: "tokenguard/".to_owned(),
            link_base: None,
            changed_lines: None,
        }
    }

    pub(crate) fn render(report: &Report, format: Format) -> String {
        render_with(report, format, &options())
    }

    pub(crate) fn render_with(report: &Report, format: Format, options: &ReportOptions) -> String {
        let mut out = Vec::new();
        super::write(format, report, options, &mut out).expect("write");
        String::from_utf8(out).expect("UTF-8")
    }

    /// The same Pod written twice in one file: each of its findings has a twin with the
    /// same rule, file, object and detail. Every format prints the one fingerprint each
    /// finding was given, so they agree, and twins differ (`-2`).
    #[test]
    fn every_format_prints_the_same_distinct_fingerprints() {
        const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec:\n  containers: [{name: c, image: i}]\n";
        let report = scan_stdin("pods.yaml", &format!("{POD}---\n{POD}"));
        let json = |format| -> serde_json::Value {
            serde_json::from_str(&render(&report, format)).expect("JSON")
        };
        let sarif = json(Format::Sarif);
        let sarif: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                r["partialFingerprints"]["tokenguard/v1"]
                    .as_str()
                    .expect("a fingerprint")
            })
            .collect();
        let report_json = json(Format::Json);
        let report_json: Vec<&str> = report_json["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["fingerprint"].as_str().expect("a fingerprint"))
            .collect();
        let gitlab = json(Format::Gitlab);
        let gitlab: Vec<&str> = gitlab
            .as_array()
            .expect("issues")
            .iter()
            .map(|i| i["fingerprint"].as_str().expect("a fingerprint"))
            .collect();
        let hash = report.findings[0].fingerprint.hash;
        let first = format!("{hash:016x}");
        let second = format!("{hash:016x}-2");
        assert_eq!(sarif, [first.as_str(), second.as_str()]);
        assert_eq!(report_json, sarif);
        assert_eq!(gitlab, sarif);
    }
}
