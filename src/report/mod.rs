//! Output formats, one file each. Reports only present what the scan decided.

pub mod escape;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod markdown;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

use crate::Report;

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
    /// Text: only the diagnostic lines, no snippets, notes or summary.
    pub quiet: bool,
    /// Text: also list notes about skipped files.
    pub verbose: bool,
    /// Text: also list suppressed findings.
    pub show_suppressed: bool,
    /// SARIF `automationDetails.id`.
    pub category: String,
    /// Markdown: links point at `{link_base}{path}#L{line}`.
    pub link_base: Option<String>,
}

pub fn write(
    format: Format,
    report: &Report,
    options: &ReportOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Text => text::write(report, options, out),
        Format::Sarif => sarif::write(report, options, out),
        Format::Json => json::write(report, options, out),
        Format::Github => github::write(report, options, out),
        Format::Gitlab => gitlab::write(report, options, out),
        Format::Markdown => markdown::write(report, options, out),
    }
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
            verbose: false,
            show_suppressed: false,
            category: "tokenguard/".to_owned(),
            link_base: None,
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
}
