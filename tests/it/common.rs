//! Helpers shared by the integration tests: run the real binary on a fixture folder and
//! read its SARIF back as data that whole-list `assert_eq!`s can compare.
#![allow(dead_code)] // each test crate uses a different part of this module

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// Every fixture folder that scans cleanly as a repository root (relative to
/// `fixtures/`). The schema and determinism tests run on all of them; the test
/// `every_fixture_file_belongs_to_a_listed_root` keeps this list complete.
pub const FIXTURE_ROOTS: &[&str] = &[
    "demo",
    // Every rule case at once; a case directory's own config is not read from here.
    "rules",
    "semantics/service-account-name",
    "semantics/workload-kinds",
    "semantics/workload-kinds-config",
    "semantics/namespaces",
    "semantics/default-namespace",
    "semantics/default-namespace-config",
    "semantics/automount",
    "semantics/mount-path",
    "semantics/booleans",
    "semantics/trusted",
    "semantics/rule-overrides",
    "locations/key-choice",
    "locations/multi-document",
    "locations/crlf",
    "locations/bom",
    "locations/json",
    "locations/list",
    "locations/anchors",
    "locations/unicode",
    "inputs/helm-chart",
    "inputs/templates-without-chart",
    "inputs/helm-template-text",
    "inputs/kustomization",
    "inputs/non-kubernetes",
    "inputs/kubectl-reads",
    "cli/clean",
    "cli/discovery",
    "config/explicit",
    "sarif/uri",
    "sarif/related",
    "suppress",
    "rbac",
    "rbac-aggregation",
    // Kustomize render cases: each folder's expected.yaml is `kubectl kustomize` of it.
    "kustomize",
    // Kustomize roots rendered in a scan: overlays of one base, a fallback, a plain file.
    "kustomize-scan",
];

/// Fixture folders whose `.tokenguard.yaml` is invalid on purpose (exit 2).
pub const CONFIG_ERROR_ROOTS: &[&str] = &[
    "config/unknown-key",
    "config/bad-glob",
    "config/missing-reason",
    "config/bad-date",
    "config/unknown-rule",
    "config/bad-level",
    "config/invalid-yaml",
    "config/duplicate-key",
];

/// One result as the whole-list comparisons see it:
/// `(ruleId, uri, startLine, startColumn, endLine, endColumn, level)`.
pub type Row = (String, String, u64, u64, u64, u64, String);

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("fixtures").join(rel)
}

/// The binary under test, with the caller's colour preferences removed.
pub fn tokenguard() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokenguard"));
    for name in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        cmd.env_remove(name);
    }
    cmd
}

/// What a finished run left behind.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary with `args` (in the repository, no standard input).
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    output(tokenguard().current_dir(repo()).args(args))
}

pub fn output(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("the binary runs");
    Output {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// `tokenguard scan --format sarif --root DIR EXTRA... DIR`, as raw output.
pub fn scan_sarif_output(dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = tokenguard();
    cmd.current_dir(dir)
        .args(["scan", "--format", "sarif", "--root"])
        .arg(dir)
        .args(extra)
        .arg(dir);
    output(&mut cmd)
}

/// Scans `dir` as the repository root (its `.tokenguard.yaml` applies) and returns the
/// parsed SARIF. A scan exits 0 or 1 and writes nothing to stderr.
pub fn scan_sarif(dir: &Path, extra: &[&str]) -> Value {
    let out = scan_sarif_output(dir, extra);
    assert!(
        out.code == 0 || out.code == 1,
        "exit {} for {}: {}",
        out.code,
        dir.display(),
        out.stderr
    );
    assert_eq!(out.stderr, "", "stderr of the scan of {}", dir.display());
    serde_json::from_str(&out.stdout).expect("stdout is JSON")
}

/// [`scan_sarif`] of `fixtures/REL`.
pub fn sarif_of(rel: &str) -> Value {
    scan_sarif(&fixture(rel), &[])
}

pub fn results(sarif: &Value) -> &Vec<Value> {
    sarif["runs"][0]["results"]
        .as_array()
        .expect("runs[0].results is an array")
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}

fn number(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// A location's row fields: uri and region.
fn region(physical: &Value) -> (String, u64, u64, u64, u64) {
    let r = &physical["region"];
    (
        text(&physical["artifactLocation"]["uri"]),
        number(&r["startLine"]),
        number(&r["startColumn"]),
        number(&r["endLine"]),
        number(&r["endColumn"]),
    )
}

/// Every result of the run, in output order.
pub fn rows(sarif: &Value) -> Vec<Row> {
    results(sarif)
        .iter()
        .map(|r| {
            let (uri, sl, sc, el, ec) = region(&r["locations"][0]["physicalLocation"]);
            (text(&r["ruleId"]), uri, sl, sc, el, ec, text(&r["level"]))
        })
        .collect()
}

/// Expected rows, written compactly.
pub fn expect(rows: &[(&str, &str, u64, u64, u64, u64, &str)]) -> Vec<Row> {
    rows.iter()
        .map(|&(rule, uri, sl, sc, el, ec, level)| {
            (
                rule.to_owned(),
                uri.to_owned(),
                sl,
                sc,
                el,
                ec,
                level.to_owned(),
            )
        })
        .collect()
}

/// `(uri, startLine, startColumn, endLine, endColumn, message)` of each related location.
pub fn related(result: &Value) -> Vec<(String, u64, u64, u64, u64, String)> {
    result["relatedLocations"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|r| {
                    let (uri, sl, sc, el, ec) = region(&r["physicalLocation"]);
                    (uri, sl, sc, el, ec, text(&r["message"]["text"]))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The one result of `rule` about `object` (its logical location, `NAMESPACE/KIND/NAME`).
pub fn result<'a>(sarif: &'a Value, rule: &str, object: &str) -> &'a Value {
    let found: Vec<&Value> = results(sarif)
        .iter()
        .filter(|r| {
            r["ruleId"] == rule
                && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == object
        })
        .collect();
    assert_eq!(found.len(), 1, "one {rule} result for {object}");
    found[0]
}

pub fn message(result: &Value) -> String {
    text(&result["message"]["text"])
}

/// The messages of the run's tool execution notifications.
pub fn notifications(sarif: &Value) -> Vec<String> {
    sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .map(|list| list.iter().map(|n| text(&n["message"]["text"])).collect())
        .unwrap_or_default()
}

/// The text output's summary line without its timing, e.g.
/// `1 error, 0 warnings, 0 notes in 1 file (1 object, 1 workload, 0 service accounts)`.
pub fn summary(dir: &Path, extra: &[&str]) -> String {
    let mut cmd = tokenguard();
    cmd.current_dir(dir)
        .args(["scan", "--color", "never", "--root"])
        .arg(dir)
        .args(extra)
        .arg(dir);
    let out = output(&mut cmd);
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let last = out
        .stdout
        .lines()
        .last()
        .expect("a summary line")
        .to_owned();
    strip_time(&last)
}

/// Drops the `; 0.01s` that ends a summary line, checking that it is there.
pub fn strip_time(line: &str) -> String {
    let (head, time) = line
        .rsplit_once("; ")
        .unwrap_or_else(|| panic!("no timing in {line:?}"));
    let seconds = time
        .strip_suffix('s')
        .unwrap_or_else(|| panic!("timing {time:?} does not end in s"));
    assert!(
        seconds.parse::<f64>().is_ok(),
        "timing {time:?} is not a number of seconds"
    );
    head.to_owned()
}

/// Copies a directory tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
