//! Output formats, one file each. Reports only present what the scan decided.

pub mod escape;
pub mod sarif;
pub mod text;

use std::io::{self, Write};

use crate::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Sarif,
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
    }
}
