//! `--format json` (SPEC 8.5): findings with their suppression state and the scan's
//! statistics, for scripts. The shape is versioned by `version`; fields are only added
//! within a version, never renamed or removed. The findings are written as the scan
//! finds them, so `notifications` and `stats` (which counts them) follow them.

use std::io::{self, Write};

use serde::Serialize;

use super::Sink;
use super::pretty;
use crate::finding::{BaselineState, Finding, Level, Location, SuppressionKind};
use crate::{FileStatus, Scanned};

/// Bump when a field changes meaning or disappears.
pub const VERSION: u32 = 1;

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
    /// Findings the baseline holds (and that are not suppressed).
    baselined: usize,
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
    /// The directory of the Kustomize root that rendered the object, relative to the
    /// scan root; only on findings about rendered objects.
    #[serde(skip_serializing_if = "Option::is_none")]
    kustomization: Option<&'a str>,
    fingerprint: String,
    suppression: Option<Suppression<'a>>,
    /// `new` or `unchanged` with a baseline, else `null`.
    baseline_state: Option<&'static str>,
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

/// The baseline the findings were compared with.
#[derive(Serialize)]
struct JsonBaseline<'a> {
    file: &'a str,
    /// Its entries.
    entries: usize,
    /// Its entries no finding matched any more.
    fixed: usize,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    path: Option<&'a str>,
    line: Option<u32>,
    column: Option<u32>,
    message: &'a str,
}

pub struct Writer<'a> {
    out: io::BufWriter<Box<dyn Write + Send + 'a>>,
    /// The output object and its findings, open while findings are written.
    open: Option<(pretty::Object, pretty::Array)>,
}

impl<'a> Writer<'a> {
    pub fn new(out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            // serde_json writes in many small pieces: buffer them where the writer's
            // type is known instead of calling through `dyn Write` for each.
            out: io::BufWriter::with_capacity(1 << 16, out),
            open: None,
        }
    }
}

impl Sink for Writer<'_> {
    fn start(&mut self, _scanned: &Scanned) -> io::Result<()> {
        let out = &mut self.out;
        let mut output = pretty::Object::open(out, 0)?;
        output.field(out, "version", &VERSION)?;
        let tool = Tool {
            name: "tokenguard",
            version: env!("CARGO_PKG_VERSION"),
        };
        output.field(out, "tool", &tool)?;
        let findings = output.array(out, "findings")?;
        self.open = Some((output, findings));
        Ok(())
    }

    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        let Some((_, array)) = &mut self.open else {
            return Err(io::Error::other("JSON findings written before the output"));
        };
        for f in findings {
            array.push(&mut self.out, &finding(scanned, f))?;
        }
        Ok(())
    }

    fn finish(&mut self, scanned: &Scanned) -> io::Result<()> {
        let Some((mut output, findings)) = self.open.take() else {
            return Err(io::Error::other(
                "JSON output finished before it was started",
            ));
        };
        let out = &mut self.out;
        findings.close(out)?;
        let notifications: Vec<Notification<'_>> = scanned
            .notifications
            .iter()
            .map(|n| Notification {
                level: n.level.as_str(),
                path: n.path.as_deref(),
                line: n.pos.map(|p| p.line),
                column: n.pos.map(|p| p.col),
                message: &n.message,
            })
            .collect();
        output.field(out, "notifications", &notifications)?;
        let (s, totals) = (&scanned.stats, &scanned.totals);
        let stats = Stats {
            files: s.files,
            objects: s.objects,
            workloads: s.workloads,
            service_accounts: s.service_accounts,
            ignored_documents: s.ignored_documents,
            skipped_files: s.skipped_files,
            unreadable_files: s.unreadable_files,
            failed_files: scanned
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Failed)
                .count(),
            errors: totals.of(Level::Error),
            warnings: totals.of(Level::Warning),
            notes: totals.of(Level::Note),
            suppressed: totals.suppressed,
            baselined: totals.baselined,
        };
        output.field(out, "stats", &stats)?;
        let baseline = scanned.baseline.as_ref().map(|b| JsonBaseline {
            file: &b.shown,
            entries: b.entries,
            fixed: b.fixed,
        });
        output.field(out, "baseline", &baseline)?;
        output.close(out)?;
        writeln!(out)?;
        out.flush()
    }
}

fn location(scanned: &Scanned, location: Location) -> JsonLocation<'_> {
    let region = location.region;
    JsonLocation {
        path: scanned.files.path(location.file),
        line: region.start.line,
        column: region.start.col,
        end_line: region.end.line,
        end_column: region.end.col,
    }
}

fn finding<'a>(scanned: &'a Scanned, f: &'a Finding) -> JsonFinding<'a> {
    JsonFinding {
        rule: f.rule.code(),
        name: f.rule.name(),
        level: f.level.as_str(),
        message: &f.message,
        location: location(scanned, f.location),
        object: f.object.as_ref().map(|o| Object {
            namespace: &o.namespace,
            kind: &o.kind,
            name: &o.name,
        }),
        service_account: f.service_account.as_deref(),
        kustomization: f.root().map(|root| root.dir.as_str()),
        fingerprint: f.fingerprint.to_string(),
        suppression: f.suppression.as_ref().map(|s| Suppression {
            kind: match s.kind {
                SuppressionKind::InSource => "inSource",
                SuppressionKind::External => "external",
            },
            justification: &s.justification,
        }),
        baseline_state: f.baseline.map(BaselineState::as_str),
        related: f
            .related
            .iter()
            .map(|r| Related {
                location: location(scanned, r.location),
                message: &r.message,
            })
            .chain(f.root().map(|root| Related {
                location: location(scanned, super::kustomization_location(root)),
                message: super::RENDERED_BY_NOTE,
            }))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::report::Format;
    use crate::report::tests::{render, rendered_report};

    fn schema() -> jsonschema::Validator {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json-report.schema.json");
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    }

    #[test]
    fn a_rendered_objects_finding_names_its_root_and_points_at_its_kustomization() {
        let dir = tempfile::tempdir().unwrap();
        let report: Value =
            serde_json::from_str(&render(&rendered_report(dir.path()), Format::Json)).unwrap();
        let validator = schema();
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let findings = report["findings"].as_array().unwrap();
        let prod = &findings[4];
        assert_eq!(prod["kustomization"], "overlays/prod");
        assert_eq!(prod["path"], "base/deployment.yaml");
        assert_eq!((&prod["line"], &prod["column"]), (&json!(11), &json!(5)));
        assert_eq!(
            prod["object"],
            json!({"namespace": "prod", "kind": "Deployment", "name": "api"})
        );
        assert!(
            prod["message"]
                .as_str()
                .unwrap()
                .starts_with("Deployment prod/api, rendered by `overlays/prod`, mounts")
        );
        assert_eq!(
            prod["related"],
            json!([{
                "path": "overlays/prod/kustomization.yaml",
                "line": 1,
                "column": 1,
                "endLine": 1,
                "endColumn": 1,
                "message": "rendered by this kustomization"
            }])
        );
        // A plain file's finding has no such field, as before.
        let plain = &findings[6];
        assert!(plain.get("kustomization").is_none(), "{plain}");
        assert_eq!(plain["related"], json!([]));
        let mut broken = report.clone();
        broken["findings"][4]["kustomization"] = json!(3);
        assert!(!validator.is_valid(&broken), "the schema checks the field");
    }
}
