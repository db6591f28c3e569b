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

use super::sarif::percent_encode;
use super::{ReportOptions, Sink};
use crate::Scanned;
use crate::finding::{Finding, Level};
use crate::rules;

/// How many findings the summary lists one by one.
pub const TOP: usize = 20;

pub struct Writer<'a> {
    options: ReportOptions,
    out: Box<dyn Write + Send + 'a>,
    /// Findings that count by rule (id, then name and counts per level).
    by_rule: BTreeMap<&'static str, (&'static str, [usize; 3])>,
    /// The most severe findings so far, most severe first, at most [`TOP`].
    top: Vec<(Rank, Finding)>,
}

/// Level, then the rule's security severity: lower ranks are shown first, and equal
/// ranks in the report's own order (path, position).
type Rank = (Reverse<Level>, Reverse<u32>);

impl<'a> Writer<'a> {
    pub fn new(options: ReportOptions, out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            options,
            out,
            by_rule: BTreeMap::new(),
            top: Vec::with_capacity(TOP + 1),
        }
    }
}

impl Sink for Writer<'_> {
    fn findings(&mut self, _scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        for f in findings.iter().filter(|f| f.counts()) {
            let row = self
                .by_rule
                .entry(f.rule.code())
                .or_insert((f.rule.name(), [0; 3]));
            row.1[column(f.level)] += 1;
            let rank = (
                Reverse(f.level),
                Reverse(rules::meta(f.rule).security_tenths()),
            );
            let at = self.top.partition_point(|(r, _)| *r <= rank);
            if at < TOP {
                self.top.insert(at, (rank, f.clone()));
                self.top.truncate(TOP);
            }
        }
        Ok(())
    }

    fn finish(&mut self, scanned: &Scanned) -> io::Result<()> {
        let md = render(scanned, &self.options, &self.by_rule, &self.top);
        self.out.write_all(md.as_bytes())?;
        self.out.flush()
    }
}

fn render(
    scanned: &Scanned,
    options: &ReportOptions,
    by_rule: &BTreeMap<&str, (&str, [usize; 3])>,
    top: &[(Rank, Finding)],
) -> String {
    let mut md = String::new();
    let totals = &scanned.totals;
    let (errors, warnings, notes) = (
        totals.of(Level::Error),
        totals.of(Level::Warning),
        totals.of(Level::Note),
    );
    let active = errors + warnings + notes;
    let s = &scanned.stats;
    let mut verdict = if active == 0 {
        let new = if scanned.baseline.is_some() {
            "new "
        } else {
            ""
        };
        format!("no {new}findings")
    } else {
        format!(
            "{}, {}, {}",
            plural(errors, "error", "errors"),
            plural(warnings, "warning", "warnings"),
            plural(notes, "note", "notes")
        )
    };
    let accepted = super::accepted(scanned);
    if !accepted.is_empty() {
        verdict += &format!(" ({})", accepted.join(", "));
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
    if active == 0 {
        return md;
    }

    // Findings by rule and level, in rule id order.
    md.push_str("| Rule | | Error | Warning | Note |\n|---|---|--:|--:|--:|\n");
    for (id, (name, [e, w, n])) in by_rule {
        let _ = writeln!(md, "| {id} | {name} | {e} | {w} | {n} |");
    }
    let _ = writeln!(
        md,
        "| **Total** | | **{errors}** | **{warnings}** | **{notes}** |\n"
    );

    // The most severe findings: level, then the rule's security severity, then the
    // report's own order (path, position).
    let shown = top.len();
    let _ = writeln!(
        md,
        "### {}\n",
        if shown < active {
            format!("Top {shown} of {active} findings")
        } else {
            "Findings".to_owned()
        }
    );
    md.push_str("| Level | Rule | Location | Message |\n|---|---|---|---|\n");
    for (_, f) in top {
        let path = &scanned.file(f.location.file).path;
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
            f.rule.code(),
            escape(&f.message)
        );
    }
    if shown < active {
        let _ = writeln!(
            md,
            "\n{} more: see the workflow annotations, the code scanning alerts or `tokenguard scan` locally.",
            active - shown
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
    fn the_top_findings_are_the_same_whatever_the_batches() {
        let manifest: String = (0..25)
            .map(|i| format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i:02}, namespace: x}}\nspec:\n  serviceAccountName: sa{i:02}\n  containers: [{{name: c, image: i}}]\n"))
            .collect();
        let report = scan_stdin("pods.yaml", &manifest);
        let whole = render_with(&report, Format::Markdown, &options());
        let mut batched = Vec::new();
        {
            let mut writer = Writer::new(options(), Box::new(&mut batched));
            for batch in report.findings.chunks(3) {
                writer.findings(&report.scanned, batch).unwrap();
            }
            writer.finish(&report.scanned).unwrap();
        }
        assert_eq!(String::from_utf8(batched).unwrap(), whole);
        assert!(whole.contains("### Top 20 of 50 findings\n"), "{whole}");
        assert!(whole.contains("\n30 more: "), "{whole}");
        // The 25 errors (TG001) outrank the 25 notes (TG009); equals keep report order.
        let shown: Vec<&str> = whole
            .lines()
            .filter(|l| l.starts_with("| error |") || l.starts_with("| note |"))
            .map(|l| l.split(" mounts").next().unwrap())
            .collect();
        let want: Vec<String> = (0..20)
            .map(|i| format!("| error | TG001 | pods.yaml:{} | Pod x/p{i:02}", i * 7 + 6))
            .collect();
        assert_eq!(shown, want);
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
