//! SARIF 2.1.0 for GitHub code scanning and GitLab (SPEC 8.1), as small serde structs.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::pretty::{Array, Object};
use super::{ReportOptions, Sink, escape};
use crate::finding::{BaselineState, Finding, Level, Location, SuppressionKind};
use crate::rules::{self, RuleMeta};
use crate::{Scanned, SourceFile};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";
/// The key of our entry in `partialFingerprints`; bump the version if the recipe changes.
const FINGERPRINT_KEY: &str = "tokenguard/v1";

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    name: &'a str,
    short_description: Text,
    full_description: Text,
    help: Help<'a>,
    help_uri: &'a str,
    default_configuration: Configuration,
    properties: DescriptorProperties<'a>,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    #[serde(skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    level: Option<&'static str>,
}

#[derive(Serialize)]
struct DescriptorProperties<'a> {
    tags: &'a [&'a str],
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rule_configuration_overrides: Vec<Override>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
    properties: InvocationProperties,
}

#[derive(Serialize)]
struct InvocationProperties {
    /// The config file the scan used, relative to the root; `null` when none was found.
    config: Option<String>,
}

#[derive(Serialize)]
struct Override {
    descriptor: DescriptorRef,
    configuration: Configuration,
}

#[derive(Serialize)]
struct DescriptorRef {
    id: &'static str,
    index: usize,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<NotificationLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
struct AutomationDetails {
    id: String,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    /// Set for results; a notification points at a position only.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [ResultLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    /// `new` or `unchanged` when the scan had a baseline (SPEC 8.6).
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation {
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: PhysicalLocation,
    message: Text,
}

/// Writes the log as findings come: everything but the results first, then each batch
/// of results, then the closing brackets.
pub struct Writer<'a> {
    options: ReportOptions,
    out: io::BufWriter<Box<dyn Write + Send + 'a>>,
    open: Option<Open>,
}

/// What is open while results are written: the log, its runs, the run and its results.
struct Open {
    log: Object,
    runs: Array,
    run: Object,
    results: Array,
}

impl<'a> Writer<'a> {
    pub fn new(options: ReportOptions, out: Box<dyn Write + Send + 'a>) -> Self {
        Writer {
            options,
            // serde_json writes in many small pieces: buffer them where the writer's
            // type is known instead of calling through `dyn Write` for each.
            out: io::BufWriter::with_capacity(1 << 16, out),
            open: None,
        }
    }
}

/// Findings whose results are built in parallel at a time: memory holds one chunk of
/// SARIF results, never one for every finding.
const RESULTS_PER_CHUNK: usize = 4096;

impl Sink for Writer<'_> {
    fn start(&mut self, scanned: &Scanned) -> io::Result<()> {
        let out = &mut self.out;
        let mut log = Object::open(out, 0)?;
        log.field(out, "$schema", &SCHEMA)?;
        log.field(out, "version", &"2.1.0")?;
        let mut runs = log.array(out, "runs")?;
        let mut run = runs.object(out)?;
        let driver = Driver {
            name: "tokenguard",
            version: env!("CARGO_PKG_VERSION"),
            semantic_version: env!("CARGO_PKG_VERSION"),
            information_uri: env!("CARGO_PKG_REPOSITORY"),
            rules: rules::ALL.iter().map(|r| descriptor(&r.meta)).collect(),
        };
        run.field(out, "tool", &Tool { driver })?;
        run.field(out, "invocations", &[invocation(scanned)])?;
        let base = ArtifactLocation {
            uri: root_uri(&scanned.root),
            uri_base_id: None,
        };
        run.field(
            out,
            "originalUriBaseIds",
            &BTreeMap::from([(SRCROOT, base)]),
        )?;
        let automation = AutomationDetails {
            id: self.options.category.clone(),
        };
        run.field(out, "automationDetails", &automation)?;
        run.field(out, "columnKind", &"unicodeCodePoints")?;
        let results = run.array(out, "results")?;
        self.open = Some(Open {
            log,
            runs,
            run,
            results,
        });
        Ok(())
    }

    fn findings(&mut self, scanned: &Scanned, findings: &[Finding]) -> io::Result<()> {
        let Some(open) = &mut self.open else {
            return Err(io::Error::other("SARIF results written before the log"));
        };
        for chunk in findings.chunks(RESULTS_PER_CHUNK) {
            let built: Vec<SarifResult> = chunk.par_iter().map(|f| result(scanned, f)).collect();
            for result in &built {
                open.results.push(&mut self.out, result)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, _scanned: &Scanned) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Err(io::Error::other("SARIF log finished before it was started"));
        };
        let out = &mut self.out;
        open.results.close(out)?;
        open.run.close(out)?;
        open.runs.close(out)?;
        open.log.close(out)?;
        writeln!(out)?;
        out.flush()
    }
}

fn descriptor(meta: &'static RuleMeta) -> Descriptor<'static> {
    Descriptor {
        id: meta.id.code(),
        name: meta.name(),
        short_description: Text {
            text: meta.summary.to_owned(),
        },
        full_description: Text {
            text: meta.description.to_owned(),
        },
        help: Help {
            text: meta.help,
            markdown: meta.help,
        },
        help_uri: meta.help_uri,
        default_configuration: Configuration {
            enabled: None,
            level: Some(meta.level.as_str()),
        },
        properties: DescriptorProperties {
            tags: meta.tags,
            precision: "very-high",
            security_severity: meta.security_severity,
        },
    }
}

fn invocation(scanned: &Scanned) -> Invocation {
    let rule_configuration_overrides = scanned
        .config
        .rule_levels
        .iter()
        .map(|(id, level)| Override {
            descriptor: DescriptorRef {
                id: id.code(),
                index: id.index(),
            },
            configuration: Configuration {
                enabled: Some(level.is_some()),
                level: level.map(Level::as_str),
            },
        })
        .collect();
    let tool_execution_notifications = scanned
        .notifications
        .iter()
        .map(|n| Notification {
            level: n.level.as_str(),
            message: Text {
                text: escape::sarif_message(&match &n.path {
                    Some(path) => format!("{path}: {}", n.message),
                    None => n.message.clone(),
                }),
            },
            locations: n
                .path
                .iter()
                .map(|path| NotificationLocation {
                    physical_location: PhysicalLocation {
                        artifact_location: artifact(path),
                        region: n.pos.map(|pos| Region {
                            start_line: pos.line,
                            start_column: pos.col,
                            end_line: None,
                            end_column: None,
                        }),
                    },
                })
                .collect(),
        })
        .collect();
    Invocation {
        execution_successful: true,
        rule_configuration_overrides,
        tool_execution_notifications,
        properties: InvocationProperties {
            config: scanned.config.source.clone(),
        },
    }
}

fn result(scanned: &Scanned, finding: &Finding) -> SarifResult {
    let mut properties = BTreeMap::new();
    let mut logical_locations = Vec::new();
    if let Some(object) = &finding.object {
        properties.insert("namespace", object.namespace.to_string());
        properties.insert("kind", object.kind.to_string());
        properties.insert("name", object.name.to_string());
        logical_locations.push(LogicalLocation {
            name: object.name.to_string(),
            fully_qualified_name: object.to_string(),
            kind: "resource",
        });
    }
    if let Some(sa) = &finding.service_account {
        properties.insert("serviceAccount", sa.to_string());
    }
    let mut related_locations: Vec<RelatedLocation> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| RelatedLocation {
            id: i + 1,
            physical_location: physical(scanned, r.location),
            message: Text {
                text: escape::sarif_message(&r.message),
            },
        })
        .collect();
    if let Some(root) = finding.root() {
        properties.insert("kustomization", root.dir.to_string());
        let location = super::kustomization_location(root);
        related_locations.push(RelatedLocation {
            id: related_locations.len() + 1,
            physical_location: PhysicalLocation {
                artifact_location: artifact(scanned.files.path(location.file)),
                // A place in the file, not a region of it.
                region: Some(Region {
                    start_line: location.region.start.line,
                    start_column: location.region.start.col,
                    end_line: None,
                    end_column: None,
                }),
            },
            message: Text {
                text: super::RENDERED_BY_NOTE.to_owned(),
            },
        });
    }
    SarifResult {
        rule_id: finding.rule.code(),
        rule_index: finding.rule.index(),
        level: finding.level.as_str(),
        message: Text {
            text: escape::sarif_message(&finding.message),
        },
        locations: [ResultLocation {
            physical_location: physical(scanned, finding.location),
            logical_locations,
        }],
        related_locations,
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, finding.fingerprint.to_string())]),
        properties,
        suppressions: finding
            .suppression
            .iter()
            .map(|s| SarifSuppression {
                kind: match s.kind {
                    SuppressionKind::InSource => "inSource",
                    SuppressionKind::External => "external",
                },
                justification: escape::visible_with(&s.justification, false).into_owned(),
            })
            .collect(),
        baseline_state: finding.baseline.map(BaselineState::as_str),
    }
}

fn physical(scanned: &Scanned, location: Location) -> PhysicalLocation {
    let SourceFile { path, .. } = scanned.file(location.file);
    let region = location.region;
    PhysicalLocation {
        artifact_location: artifact(path),
        region: Some(Region {
            start_line: region.start.line,
            start_column: region.start.col,
            end_line: Some(region.end.line),
            end_column: Some(region.end.col),
        }),
    }
}

/// Paths under the root are relative to `%SRCROOT%`; others are absolute `file:` URIs.
fn artifact(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", percent_encode(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: percent_encode(path),
            uri_base_id: Some(SRCROOT),
        }
    }
}

fn root_uri(root: &Path) -> String {
    let mut path = crate::discover::absolute(root)
        .to_string_lossy()
        .replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("file://{}", percent_encode(&path))
}

/// Percent-encodes everything but unreserved characters and `/` (RFC 3986): spaces, `%`,
/// `#`, `?`, line breaks and every non-ASCII byte of the UTF-8 name.
pub fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            super::percent_encode("a b/100%#é.yaml"),
            "a%20b/100%25%23%C3%A9.yaml"
        );
        assert_eq!(
            super::percent_encode("x\n?y:\u{1b}[1m.yaml"),
            "x%0A%3Fy%3A%1B%5B1m.yaml"
        );
    }
}

#[cfg(test)]
mod rendered_tests {
    use serde_json::{Value, json};

    use crate::report::Format;
    use crate::report::tests::{ROOTS, render, rendered_report};

    /// The SARIF of [`rendered_report`], written with its repository under `dir`.
    fn sarif(dir: &std::path::Path) -> String {
        render(&rendered_report(dir), Format::Sarif)
    }

    #[test]
    fn a_rendered_objects_result_names_its_root_and_points_at_its_kustomization() {
        let dir = tempfile::tempdir().unwrap();
        let log: Value = serde_json::from_str(&sarif(dir.path())).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), ROOTS.len() + 1);
        for (result, (root, namespace)) in results.iter().zip(ROOTS) {
            assert_eq!(result["properties"]["kustomization"], root);
            assert_eq!(result["properties"]["namespace"], namespace);
            assert_eq!(
                result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
                format!("{namespace}/Deployment/api")
            );
            assert_eq!(
                result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                "base/deployment.yaml"
            );
            assert_eq!(
                result["relatedLocations"],
                json!([{
                    "id": 1,
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": format!("{root}/kustomization.yaml"),
                            "uriBaseId": "%SRCROOT%"
                        },
                        "region": {"startLine": 1, "startColumn": 1}
                    },
                    "message": {"text": "rendered by this kustomization"}
                }])
            );
            let text = result["message"]["text"].as_str().unwrap();
            assert!(
                text.starts_with(&format!(
                    "Deployment {namespace}/api, rendered by `{root}`, mounts"
                )),
                "{text}"
            );
        }
        let plain = &results[ROOTS.len()];
        assert!(plain["properties"].get("kustomization").is_none());
        assert!(plain.get("relatedLocations").is_none());
        let mut prints: Vec<&str> = results
            .iter()
            .map(|r| r["partialFingerprints"]["tokenguard/v1"].as_str().unwrap())
            .collect();
        prints.sort_unstable();
        prints.dedup();
        assert_eq!(
            prints.len(),
            results.len(),
            "one base, one fingerprint per root"
        );
    }

    /// Valid against the vendored OASIS schema (`.ci/run` also runs the validators on
    /// a real rendered scan, `fixtures/kustomize-scan`).
    #[test]
    fn rendered_sarif_is_valid() {
        let temporary = tempfile::tempdir().unwrap();
        let text = sarif(&temporary.path().join("repository"));
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/schemas/sarif-2.1.0.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let validator = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let log: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
}
