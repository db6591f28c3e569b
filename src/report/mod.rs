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
use crate::finding::{Finding, KustomizeRoot, Location};
use crate::yaml::{Pos, Span};
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

/// The related location outputs add to a finding about a rendered object: the start of
/// its root's kustomization file.
fn kustomization_location(root: &KustomizeRoot) -> Location {
    let start = Pos { line: 1, col: 1 };
    Location {
        file: root.kustomization,
        region: Span { start, end: start },
    }
}

/// The message of [`kustomization_location`].
const RENDERED_BY_NOTE: &str = "rendered by this kustomization";

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
    use std::path::Path;
    use std::sync::Arc;

    use super::{Format, ReportOptions, github};
    use crate::config::Config;
    use crate::files::{FileStatus, Files, Registration, Source};
    use crate::finding::{Finding, Fingerprinter, KustomizeRoot, Level, Location, ObjectRef};
    use crate::rule_id::RuleId;
    use crate::yaml::{Pos, Span};
    use crate::{FileId, Report, ScanOptions, Scanned, Stats, Stdin, Totals};

    const BASE: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: api:1\n";
    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tools\n  namespace: ops\nspec:\n  containers:\n    - name: tools\n      image: tools:1\n";

    /// The Kustomize roots of [`rendered_report`], in plan order, and the namespace
    /// each deploys the base to.
    pub(crate) const ROOTS: [(&str, &str); 6] = [
        ("clusters/eu-1", "default"),
        ("clusters/eu-2", "default"),
        ("clusters/eu-3", "default"),
        ("clusters/eu-4", "default"),
        ("overlays/prod", "prod"),
        ("overlays/staging", "staging"),
    ];

    /// What a TG001 about the base Deployment says, as a rule writes it for a rendered
    /// object.
    pub(crate) fn rendered_message(object: &ObjectRef, root: &KustomizeRoot) -> String {
        format!(
            "{} mounts an API token for service account {}/default, which is not trusted: automountServiceAccountToken is set on neither the pod spec nor the service account, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust {}/default in .tokenguard.yaml.",
            object.describe_rendered(root),
            object.namespace,
            object.namespace
        )
    }

    /// A repository written under `dir`: one base Deployment (`base/`) deployed by the
    /// six [`ROOTS`], four of which leave its namespace alone, and a plain Pod. Its
    /// findings are built by hand as the engine will emit them once it renders: a TG001
    /// per root at the base's pod spec key, then the plain Pod's TG001, fingerprinted
    /// and counted in report order.
    pub(crate) fn rendered_report(dir: &Path) -> Report {
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write("base/deployment.yaml", BASE);
        write("base/kustomization.yaml", "resources: [deployment.yaml]\n");
        for (root, namespace) in ROOTS {
            let namespace = match namespace {
                "default" => String::new(),
                namespace => format!("namespace: {namespace}\n"),
            };
            write(
                &format!("{root}/kustomization.yaml"),
                &format!(
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{namespace}resources:\n  - ../../base\n"
                ),
            );
        }
        write("plain/pod.yaml", POD);
        let mut registrations = vec![
            ("base/deployment.yaml", FileStatus::Scanned),
            ("base/kustomization.yaml", FileStatus::Kustomization),
            ("plain/pod.yaml", FileStatus::Scanned),
        ];
        let kustomizations: Vec<String> = ROOTS
            .iter()
            .map(|(root, _)| format!("{root}/kustomization.yaml"))
            .collect();
        registrations.extend(
            kustomizations
                .iter()
                .map(|path| (path.as_str(), FileStatus::Kustomization)),
        );
        let files = Files::register(
            registrations
                .into_iter()
                .map(|(path, status)| Registration {
                    path: path.to_owned(),
                    source: Source::UnderRoot,
                    status,
                })
                .collect(),
        );
        let id = |path: &str| {
            FileId(
                files
                    .iter()
                    .position(|f| f.path == path)
                    .expect("registered") as u32,
            )
        };
        let at = |file, line, col, end| Location {
            file,
            region: Span {
                start: Pos { line, col },
                end: Pos { line, col: end },
            },
        };
        let object = |namespace: &str, kind: &str, name: &str| ObjectRef {
            namespace: namespace.into(),
            kind: kind.into(),
            name: name.into(),
            ignores: Default::default(),
            root: None,
        };
        let mut findings: Vec<Finding> = ROOTS
            .iter()
            .map(|(dir, namespace)| {
                let root = Arc::new(KustomizeRoot::of(
                    id(&format!("{dir}/kustomization.yaml")),
                    &files,
                ));
                let deployment = object(namespace, "Deployment", "api");
                Finding::new(
                    RuleId::TokenAutomountUntrusted,
                    Level::Error,
                    at(id("base/deployment.yaml"), 11, 5, 9),
                    rendered_message(&deployment, &root),
                )
                .object(deployment)
                .service_account(format!("{namespace}/default"))
                .rendered_by(root)
            })
            .collect();
        findings.push(
            Finding::new(
                RuleId::TokenAutomountUntrusted,
                Level::Error,
                at(id("plain/pod.yaml"), 6, 1, 5),
                "Pod ops/tools mounts an API token for service account ops/default, which is not trusted.".to_owned(),
            )
            .object(object("ops", "Pod", "tools"))
            .service_account("ops/default"),
        );
        let mut fingerprinter = Fingerprinter::default();
        let mut totals = Totals::default();
        for finding in &mut findings {
            fingerprinter.assign(finding, &files);
            totals.add(finding);
        }
        Report {
            scanned: Scanned {
                root: dir.to_path_buf(),
                files,
                notifications: Vec::new(),
                stats: Stats::default(),
                config: Config::default(),
                totals,
                baseline: None,
            },
            findings,
        }
    }

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

    /// Every output that prints messages names the root of a rendered object's finding:
    /// in the message where the rule wrote the object first, else after it.
    #[test]
    fn every_format_names_the_root_of_a_rendered_objects_finding() {
        let dir = tempfile::tempdir().unwrap();
        let mut report = rendered_report(dir.path());
        let said = report.findings[5].message.clone();
        let prod = report.findings[4].clone();
        assert!(
            prod.message
                .starts_with("Deployment prod/api, rendered by `overlays/prod`, mounts"),
            "{}",
            prod.message
        );
        // A rule's message that opens with its object but does not name the root: the
        // root follows the object.
        let staging = report.findings[5].clone();
        let object = staging.object.clone().expect("an object");
        let opens_with_it = Finding::new(
            staging.rule,
            staging.level,
            staging.location,
            "Deployment staging/api mounts an API token.".to_owned(),
        )
        .object(object.clone());
        assert_eq!(
            opens_with_it.message.as_ref(),
            "Deployment staging/api, rendered by `overlays/staging`, mounts an API token."
        );
        // One that does not open with it: the root follows the message.
        report.findings[5] = Finding::new(
            staging.rule,
            staging.level,
            staging.location,
            "It mounts an API token.".to_owned(),
        )
        .object(object);
        assert_eq!(
            report.findings[5].message.as_ref(),
            "It mounts an API token. (rendered by `overlays/staging`)"
        );
        let gitlab: serde_json::Value =
            serde_json::from_str(&render(&report, Format::Gitlab)).unwrap();
        assert_eq!(
            gitlab[4]["description"],
            format!("TG001 token-automount-untrusted: {}", prod.message)
        );
        assert_eq!(
            gitlab[5]["description"],
            "TG001 token-automount-untrusted: It mounts an API token. (rendered by `overlays/staging`)"
        );
        assert_eq!(gitlab[5]["location"]["path"], "base/deployment.yaml");
        let github = render(&report, Format::Github);
        let lines: Vec<&str> = github.lines().collect();
        assert_eq!(
            lines[5],
            "::error file=base/deployment.yaml,line=11,endLine=11,col=5,endColumn=8,title=TG001 token-automount-untrusted::It mounts an API token. (rendered by `overlays/staging`)"
        );
        assert!(
            lines[4].ends_with(&format!("::{}", github::data(&prod.message))),
            "{github}"
        );
        let markdown = render(&report, Format::Markdown);
        assert!(
            markdown.contains(
                "| error | TG001 | base/deployment.yaml:11 | It mounts an API token. \\(rendered by \\`overlays/staging\\`\\) |"
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("| error | TG001 | base/deployment.yaml:11 | Deployment prod/api, rendered by \\`overlays/prod\\`, mounts"),
            "{markdown}"
        );
        assert!(said.contains("rendered by `overlays/staging`"));
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
