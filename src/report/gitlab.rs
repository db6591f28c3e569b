//! GitLab Code Quality JSON (SPEC 8.4) for `artifacts:reports:codequality`, which every
//! GitLab tier shows in the merge-request widget.
//!
//! Severity follows the finding's level, and among errors the rule's security severity
//! (the number GitHub ranks alerts by), so that both dashboards order findings alike:
//!
//! | finding | GitLab severity |
//! |---|---|
//! | error, security severity >= 9.0 (GitHub "critical": TG014) | `blocker` |
//! | error, security severity 7.0-8.9 (GitHub "high": TG001, TG003, TG005, TG006) | `critical` |
//! | any other error (TG000, a rule raised to error in the config) | `major` |
//! | warning | `minor` |
//! | note | `info` |
//!
//! A rule lowered in the config is ranked by its new level: a TG001 set to `warning`
//! is `minor`. The fingerprint is the finding's own, as every format prints it
//! ([`crate::finding::Fingerprint`]: never the line, distinct per finding).

use std::io::{self, Write};

use serde::Serialize;

use super::Sink;
use super::pretty::Array;
use crate::Scanned;
use crate::finding::{Finding, Level};
use crate::rules;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    check_name: &'static str,
    description: String,
    categories: [&'static str; 1],
    severity: &'static str,
    fingerprint: String,
    location: IssueLocation<'a>,
    engine_name: &'static str,
}

#[derive(Serialize)]
struct IssueLocation<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

pub struct Writer<'a> {
    out: io::BufWriter<Box<dyn Write + Send + 'a>>,
    /// Open while findings are written.
    issues: Option<Array>,
}

impl<'a> Writer<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            out: io::BufWriter::with_capacity(1 << 16, out),
            issues: None,
        }
    }
}

impl Sink for Writer<'_> {
    fn start(&mut self, _scanned: &Scanned) -> io::Result<()> {
        self.issues = Some(Array::open(&mut self.out, 0)?);
        Ok(())
    }

    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        let Some(issues) = &mut self.issues else {
            return Err(io::Error::other(
                "Code Quality issues written before the list",
            ));
        };
        // Code Quality has no notion of suppression or baseline: accepted findings (a
        // suppression, the baseline) are left out.
        for finding in findings.iter().filter(|f| f.counts()) {
            let path = scanned.files.path(finding.location.file);
            let region = finding.location.region;
            let issue = Issue {
                kind: "issue",
                check_name: finding.rule.code(),
                description: format!(
                    "{} {}: {}",
                    finding.rule.code(),
                    finding.rule.name(),
                    finding.message.as_ref()
                ),
                categories: ["Security"],
                severity: severity(finding),
                fingerprint: finding.fingerprint.to_string(),
                location: IssueLocation {
                    path,
                    lines: Lines {
                        begin: region.start.line,
                        end: region.end.line.max(region.start.line),
                    },
                },
                engine_name: "tokenguard",
            };
            issues.push(&mut self.out, &issue)?;
        }
        Ok(())
    }

    fn finish(&mut self, _scanned: &Scanned) -> io::Result<()> {
        let Some(issues) = self.issues.take() else {
            return Err(io::Error::other(
                "Code Quality list finished before it was started",
            ));
        };
        issues.close(&mut self.out)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

/// The Code Quality severity of a finding; see the module documentation.
pub fn severity(finding: &Finding) -> &'static str {
    match finding.level {
        Level::Note => "info",
        Level::Warning => "minor",
        Level::Error => {
            let tenths = rules::meta(finding.rule).security_tenths();
            if tenths >= 90 {
                "blocker"
            } else if tenths >= 70 {
                "critical"
            } else {
                "major"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Format;
    use crate::report::tests::{render, scan_stdin};

    const TWO_WORKLOADS: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec:\n  containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x}\nspec:\n  serviceAccount: sa\n  containers: [{name: c, image: i}]\n---\n# the same Pod again: its findings must not share fingerprints with the first\napiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec:\n  containers: [{name: c, image: i}]\n";

    fn issues(text: &str) -> Vec<serde_json::Value> {
        let report = scan_stdin("pods.yaml", text);
        serde_json::from_str(&render(&report, Format::Gitlab)).expect("JSON")
    }

    #[test]
    fn fingerprints_are_distinct_and_stable() {
        let first = issues(TWO_WORKLOADS);
        assert!(first.len() >= 5, "{first:#?}");
        let prints: Vec<&str> = first
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        let mut unique = prints.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), prints.len(), "{prints:?}");
        assert_eq!(first, issues(TWO_WORKLOADS), "byte-for-byte the same again");
        // Lines moving (a comment added on top) change no fingerprint.
        let moved = issues(&format!("# moved\n\n{TWO_WORKLOADS}"));
        let moved_prints: Vec<&str> = moved
            .iter()
            .map(|i| i["fingerprint"].as_str().unwrap())
            .collect();
        assert_eq!(prints, moved_prints);
    }

    #[test]
    fn issues_have_the_fields_gitlab_reads() {
        let all = issues(TWO_WORKLOADS);
        let tg001 = all
            .iter()
            .find(|i| i["check_name"] == "TG001")
            .expect("TG001");
        assert_eq!(tg001["severity"], "critical");
        assert_eq!(tg001["location"]["path"], "pods.yaml");
        assert_eq!(tg001["location"]["lines"]["begin"], 4);
        assert!(
            tg001["description"]
                .as_str()
                .unwrap()
                .starts_with("TG001 token-automount-untrusted: Pod x/a mounts an API token")
        );
        let severities: Vec<(&str, &str)> = all
            .iter()
            .map(|i| {
                (
                    i["check_name"].as_str().unwrap(),
                    i["severity"].as_str().unwrap(),
                )
            })
            .collect();
        assert!(severities.contains(&("TG009", "info")), "{severities:?}");
        assert!(severities.contains(&("TG011", "minor")), "{severities:?}");
    }

    #[test]
    fn severity_follows_level_and_security_severity() {
        use crate::finding::{Location, RuleId};
        let at = Location {
            file: crate::FileId(0),
            region: Default::default(),
        };
        let tg001 = RuleId::TokenAutomountUntrusted;
        let tg000 = RuleId::ManifestUnreadable;
        let finding = |rule, level| Finding::new(rule, level, at, String::new());
        assert_eq!(severity(&finding(tg001, Level::Error)), "critical");
        assert_eq!(severity(&finding(tg001, Level::Warning)), "minor");
        assert_eq!(severity(&finding(tg000, Level::Error)), "major");
        assert_eq!(severity(&finding(tg000, Level::Note)), "info");
    }

    #[test]
    fn empty_report_is_an_empty_array() {
        assert!(issues("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").is_empty());
    }
}
