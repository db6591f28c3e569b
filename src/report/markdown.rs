//! A Markdown summary of a scan, for GitHub job summaries (`$GITHUB_STEP_SUMMARY`, as
//! the GitHub Action writes it) and merge-request comments: a table of findings by rule
//! and level, then the most severe findings with links to their lines.
//!
//! Links are `{link_base}{path}#L{line}` when `--link-base` is given (the Action passes
//! `https://github.com/OWNER/REPO/blob/SHA/`), plain `path:line` otherwise. Every text
//! from a manifest is escaped, so that a name can neither break the table nor inject
//! links, HTML or mentions.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::ReportOptions;
use super::sarif::percent_encode;
use crate::Report;
use crate::finding::{Finding, Level};

/// How many findings the summary lists one by one.
pub const TOP: usize = 20;

pub fn write(report: &Report, options: &ReportOptions, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(render(report, options).as_bytes())
}

fn render(report: &Report, options: &ReportOptions) -> String {
    let mut md = String::new();
    let count = |level| {
        report
            .active_findings()
            .filter(|f| f.level == level)
            .count()
    };
    let suppressed = report.findings.len() - report.active_findings().count();
    let (errors, warnings, notes) = (
        count(Level::Error),
        count(Level::Warning),
        count(Level::Note),
    );
    let s = &report.stats;
    let mut verdict = if report.active_findings().next().is_none() {
        "no findings".to_owned()
    } else {
        format!(
            "{}, {}, {}",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings"),
            plural(notes, "note", "notes")
        )
    };
    if suppressed > 0 {
        verdict += &format!(" ({suppressed} suppressed)");
    }
    let _ = writeln!(md, "## tokenguard: {verdict}\n");
    let _ = writeln!(
        md,
        "Scanned {} ({}, {}, {}).\n",
        plural(s.files, "file", "files"),
        plural(s.objects, "object", "objects"),
        plural(s.workloads, "workload", "workloads"),
        plural(s.service_accounts, "service account", "service accounts"),
    );
    if report.active_findings().next().is_none() {
        return md;
    }

    // Findings by rule and level, in rule id order.
    let mut by_rule: BTreeMap<&str, (&str, [usize; 3])> = BTreeMap::new();
    for f in report.active_findings() {
        let row = by_rule.entry(f.rule.id).or_insert((f.rule.name, [0; 3]));
        row.1[column(f.level)] += 1;
    }
    md.push_str("| Rule | | Error | Warning | Note |\n|---|---|--:|--:|--:|\n");
    for (id, (name, [e, w, n])) in &by_rule {
        let _ = writeln!(md, "| {id} | {name} | {e} | {w} | {n} |");
    }
    let _ = writeln!(
        md,
        "| **Total** | | **{errors}** | **{warnings}** | **{notes}** |\n"
    );

    // The most severe findings: level, then the rule's security severity, then the
    // report's own order (path, position).
    let mut top: Vec<&Finding> = report.active_findings().collect();
    top.sort_by_key(|f| (Reverse(f.level), Reverse(security_severity(f))));
    let shown = top.len().min(TOP);
    let _ = writeln!(
        md,
        "### {}\n",
        if shown < top.len() {
            format!("Top {shown} of {} findings", top.len())
        } else {
            "Findings".to_owned()
        }
    );
    md.push_str("| Level | Rule | Location | Message |\n|---|---|---|---|\n");
    for f in &top[..shown] {
        let path = &report.file(f.location.file).path;
        let line = f.location.region.start.line;
        let label = escape(&format!("{path}:{line}"));
        let location = match &options.link_base {
            Some(base) if !path.starts_with('/') => {
                format!("[{label}]({base}{}#L{line})", percent_encode(path))
            }
            _ => label,
        };
        let _ = writeln!(
            md,
            "| {} | {} | {location} | {} |",
            f.level,
            f.rule.id,
            escape(&f.message)
        );
    }
    if shown < top.len() {
        let _ = writeln!(
            md,
            "\n{} more: see the workflow annotations, the code scanning alerts or `tokenguard scan` locally.",
            top.len() - shown
        );
    }
    md
}

fn column(level: Level) -> usize {
    match level {
        Level::Error => 0,
        Level::Warning => 1,
        Level::Note => 2,
    }
}

/// The rule's security severity in tenths, for sorting.
fn security_severity(f: &Finding) -> u32 {
    f.rule
        .security_severity
        .parse::<f32>()
        .map_or(0, |s| (s * 10.0).round() as u32)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Escapes text for one table cell: Markdown punctuation with a backslash, HTML's
/// `<`, `>` and `&` as entities, line breaks as spaces, other control characters made
/// visible.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '|' | '~' | '#' | '!' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Format;
    use crate::report::tests::{options, render_with, scan_stdin};

    #[test]
    fn escapes_markdown_html_and_line_breaks() {
        assert_eq!(
            escape("a|b [x](javascript:y) <img src=x> @team\n*b*"),
            "a\\|b \\[x\\]\\(javascript:y\\) &lt;img src=x&gt; \\@team \\*b\\*"
        );
    }

    #[test]
    fn table_by_rule_and_level_and_linked_top_findings() {
        let report = scan_stdin(
            "k8s/app.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: \"a|b\", namespace: x}\nspec:\n  serviceAccount: sa\n  containers: [{name: c, image: i}]\n",
        );
        let mut opts = options();
        opts.link_base = Some("https://github.com/o/r/blob/abc/".to_owned());
        let md = render_with(&report, Format::Markdown, &opts);
        assert!(
            md.starts_with("## tokenguard: 1 error, 1 warning, 1 note\n"),
            "{md}"
        );
        assert!(
            md.contains("| TG001 | token-automount-untrusted | 1 | 0 | 0 |"),
            "{md}"
        );
        assert!(
            md.contains("| **Total** | | **1** | **1** | **1** |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| error | TG001 | [k8s/app.yaml:5](https://github.com/o/r/blob/abc/k8s/app.yaml#L5) | Pod x/a\\|b mounts"
            ),
            "{md}"
        );
        // Errors come first, whatever their position.
        let error = md.find("| error |").unwrap();
        let note = md.find("| note |").unwrap();
        assert!(error < note, "{md}");
    }

    #[test]
    fn clean_scan_says_so() {
        let report = scan_stdin(
            "a.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
        );
        let md = render_with(&report, Format::Markdown, &options());
        assert!(md.starts_with("## tokenguard: no findings\n"), "{md}");
        assert!(!md.contains('|'), "{md}");
    }
}
