//! Compiler-style text (SPEC 8.2): `path:line:col: level[ID]: message`, the source line
//! with a caret, then a summary. Everything from manifests is escaped so that no
//! control character reaches the terminal.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::ReportOptions;
use crate::finding::{Finding, Level};
use crate::{Report, SourceFile};

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

pub fn write(report: &Report, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    let paint = Paint { on: options.color };
    let mut sources = Sources::default();
    let mut buf = String::new();
    for finding in &report.findings {
        if finding.is_suppressed() && !options.show_suppressed {
            continue;
        }
        diagnostic(
            report,
            finding,
            &paint,
            options.quiet,
            &mut sources,
            &mut buf,
        );
        out.write_all(buf.as_bytes())?;
        buf.clear();
    }
    if options.quiet {
        return Ok(());
    }
    for n in &report.notifications {
        if n.level == Level::Note && !options.verbose {
            continue;
        }
        let path = n
            .path
            .as_deref()
            .map(|p| format!("{}: ", escape(p)))
            .unwrap_or_default();
        writeln!(
            out,
            "{path}{}: {}",
            paint.level(n.level),
            escape(&n.message)
        )?;
    }
    writeln!(out, "{}", summary(report, &paint))
}

fn diagnostic(
    report: &Report,
    finding: &Finding,
    paint: &Paint,
    quiet: bool,
    sources: &mut Sources,
    out: &mut String,
) {
    let file = report.file(finding.location.file);
    let region = finding.location.region;
    let suppressed = finding
        .suppression
        .as_ref()
        .map(|s| format!(" [suppressed: {}]", s.justification))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}: {}: {}{}",
        paint.wrap(
            "1",
            &format!(
                "{}:{}:{}",
                escape(&file.path),
                region.start.line,
                region.start.col
            )
        ),
        paint.wrap(
            "1",
            &format!("{}[{}]", paint.level(finding.level), finding.rule.id)
        ),
        escape(&finding.message),
        escape(&suppressed)
    );
    if quiet {
        return;
    }
    if let Some(line) = sources.line(file, region.start.line) {
        let number = region.start.line.to_string();
        let gutter = " ".repeat(number.len());
        let start = region.start.col.saturating_sub(1) as usize;
        let end = if region.end.line == region.start.line {
            (region.end.col.saturating_sub(1) as usize).max(start + 1)
        } else {
            line.chars().count().max(start + 1)
        };
        let indent: String = line
            .chars()
            .take(start)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let bar = paint.wrap("1;34", "|");
        let _ = writeln!(out, "{gutter} {bar}");
        let _ = writeln!(
            out,
            "{} {bar} {}",
            paint.wrap("1;34", &number),
            escape(&line)
        );
        let caret = paint.wrap(level_color(finding.level), &"^".repeat(end - start));
        let _ = writeln!(out, "{gutter} {bar} {indent}{caret}");
    }
    for related in &finding.related {
        let path = &report.file(related.location.file).path;
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

fn summary(report: &Report, paint: &Paint) -> String {
    let count = |level| {
        report
            .findings
            .iter()
            .filter(|f| f.level == level && !f.is_suppressed())
            .count()
    };
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
    let s = &report.stats;
    let mut scanned = format!(
        "{} ({}, {}, {})",
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
        plural(s.workloads, "workload", "workloads"),
        plural(s.service_accounts, "service account", "service accounts"),
    );
    if s.skipped_files > 0 {
        let _ = write!(scanned, ", {} skipped (Helm templates)", s.skipped_files);
    }
    if s.unreadable_files > 0 {
        let _ = write!(scanned, ", {} unreadable", s.unreadable_files);
    }
    let suppressed = report.findings.iter().filter(|f| f.is_suppressed()).count();
    let suppressed = if suppressed > 0 {
        format!(" ({suppressed} suppressed)")
    } else {
        String::new()
    };
    format!(
        "{findings}{suppressed} in {scanned}; {:.2}s",
        s.elapsed.as_secs_f64()
    )
}

impl Paint {
    fn level_text(&self, level: Level, text: &str) -> String {
        self.wrap(level_color(level), text)
    }
}

/// Source lines, read again from disk (or kept standard input) only for files with
/// findings.
#[derive(Default)]
struct Sources {
    cache: HashMap<String, Option<Vec<String>>>,
}

impl Sources {
    fn line(&mut self, file: &SourceFile, line: u32) -> Option<String> {
        let lines = self.cache.entry(file.path.clone()).or_insert_with(|| {
            let text = match (&file.stdin_text, &file.fs_path) {
                (Some(text), _) => text.to_string(),
                (None, Some(path)) => {
                    String::from_utf8_lossy(&std::fs::read(path).ok()?).into_owned()
                }
                (None, None) => return None,
            };
            Some(
                text.trim_start_matches('\u{feff}')
                    .split('\n')
                    .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
                    .collect(),
            )
        });
        lines.as_ref()?.get(line.checked_sub(1)? as usize).cloned()
    }
}

/// Makes control characters visible (`\u{1b}`), keeping tabs.
pub fn escape(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
}
