//! `--format json` (SPEC 8.5): findings with their suppression state and the scan's
//! statistics, for scripts. The shape is versioned by `version`; fields are only added
//! within a version, never renamed or removed.

use std::io::{self, Write};

use serde::Serialize;

use super::ReportOptions;
use crate::finding::{Finding, Level, Location, SuppressionKind};
use crate::{FileStatus, Report};

/// Bump when a field changes meaning or disappears.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output<'a> {
    version: u32,
    tool: Tool,
    stats: Stats,
    findings: Vec<JsonFinding<'a>>,
    notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    files: usize,
    objects: usize,
    workloads: usize,
    service_accounts: usize,
    ignored_documents: usize,
    skipped_files: usize,
    unreadable_files: usize,
    failed_files: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonFinding<'a> {
    rule: &'static str,
    name: &'static str,
    level: &'static str,
    message: &'a str,
    #[serde(flatten)]
    location: JsonLocation<'a>,
    object: Option<Object<'a>>,
    service_account: Option<&'a str>,
    fingerprint: String,
    suppression: Option<Suppression<'a>>,
    related: Vec<Related<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonLocation<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct Object<'a> {
    namespace: &'a str,
    kind: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct Suppression<'a> {
    kind: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
struct Related<'a> {
    #[serde(flatten)]
    location: JsonLocation<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    path: Option<&'a str>,
    message: &'a str,
}

pub fn write(report: &Report, _options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let count = |level: Level| {
        report
            .findings
            .iter()
            .filter(|f| f.level == level && !f.is_suppressed())
            .count()
    };
    let s = &report.stats;
    let output = Output {
        version: VERSION,
        tool: Tool {
            name: "tokenguard",
            version: env!("CARGO_PKG_VERSION"),
        },
        stats: Stats {
            files: s.files,
            objects: s.objects,
            workloads: s.workloads,
            service_accounts: s.service_accounts,
            ignored_documents: s.ignored_documents,
            skipped_files: s.skipped_files,
            unreadable_files: s.unreadable_files,
            failed_files: report
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Failed)
                .count(),
            errors: count(Level::Error),
            warnings: count(Level::Warning),
            notes: count(Level::Note),
            suppressed: report.findings.iter().filter(|f| f.is_suppressed()).count(),
        },
        findings: report.findings.iter().map(|f| finding(report, f)).collect(),
        notifications: report
            .notifications
            .iter()
            .map(|n| Notification {
                level: n.level.as_str(),
                path: n.path.as_deref(),
                message: &n.message,
            })
            .collect(),
    };
    // serde_json writes in many small pieces: buffer them where the writer's type is
    // known instead of calling through `dyn Write` for each.
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    serde_json::to_writer_pretty(&mut out, &output)?;
    writeln!(out)?;
    out.flush()
}

fn location(report: &Report, location: Location) -> JsonLocation<'_> {
    let region = location.region;
    JsonLocation {
        path: &report.file(location.file).path,
        line: region.start.line,
        column: region.start.col,
        end_line: region.end.line,
        end_column: region.end.col,
    }
}

fn finding<'a>(report: &'a Report, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.id,
        name: f.rule.name,
        level: f.level.as_str(),
        message: &f.message,
        location: location(report, f.location),
        object: f.object.as_ref().map(|o| Object {
            namespace: &o.namespace,
            kind: &o.kind,
            name: &o.name,
        }),
        service_account: f.service_account.as_deref(),
        fingerprint: f.fingerprint(&report.file(f.location.file).path),
        suppression: f.suppression.as_ref().map(|s| Suppression {
            kind: match s.kind {
                SuppressionKind::InSource => "inSource",
                SuppressionKind::External => "external",
            },
            justification: &s.justification,
        }),
        related: f
            .related
            .iter()
            .map(|r| Related {
                location: location(report, r.location),
                message: &r.message,
            })
            .collect(),
    }
}
