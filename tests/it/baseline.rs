//! SPEC 8.6: `tokenguard baseline` accepts today's findings; a scan with the baseline
//! fails only on new ones, marks each SARIF result `new` or `unchanged`, annotates only
//! new ones, and counts entries it no longer finds as fixed.

use std::path::Path;

use crate::common::{Output, copy_tree, fixture, output, strip_time, tokenguard};
use serde_json::Value;

/// A copy of the demo repository (with its config) to change.
fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("demo"), dir.path());
    dir
}

/// `tokenguard ARGS... --root DIR DIR` run in `dir`.
fn tg(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = tokenguard();
    cmd.current_dir(dir)
        .args(args)
        .args(["--today", "2026-12-04", "--root"])
        .arg(dir)
        .arg(dir);
    output(&mut cmd)
}

const NEW_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: shop\nspec:\n  containers:\n    - name: shell\n      image: busybox:1.36\n";

/// (ruleId, uri, startLine, baselineState) of each SARIF result.
fn states(sarif: &str) -> Vec<(String, String, u64, String)> {
    let sarif: Value = serde_json::from_str(sarif).expect("SARIF");
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                loc["region"]["startLine"].as_u64().unwrap(),
                r["baselineState"].as_str().unwrap_or("(none)").to_owned(),
            )
        })
        .collect()
}

#[test]
fn round_trip_scan_baseline_add_a_violation_remove_it() {
    let repo = demo();
    let dir = repo.path();
    // The demo fails as it is.
    assert_eq!(tg(dir, &["scan"]).code, 1);

    let written = tg(dir, &["baseline"]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert!(
        written
            .stderr
            .contains(".tokenguard-baseline.json with 10 finding(s)"),
        "{}",
        written.stderr
    );
    let baseline = std::fs::read_to_string(dir.join(".tokenguard-baseline.json")).unwrap();
    // Written again, it is the same bytes.
    assert_eq!(tg(dir, &["baseline"]).code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.join(".tokenguard-baseline.json")).unwrap(),
        baseline
    );

    let accepted = tg(dir, &["scan", "--baseline", ".tokenguard-baseline.json"]);
    assert_eq!(accepted.code, 0, "{}", accepted.stdout);
    assert_eq!(
        strip_time(accepted.stdout.lines().last().unwrap()),
        "0 errors, 0 warnings, 0 notes (10 in the baseline) in 8 files (10 objects, 5 workloads, 3 service accounts), 1 invalid"
    );

    std::fs::write(dir.join("apps/debug.yaml"), NEW_POD).unwrap();
    let sarif = tg(
        dir,
        &[
            "scan",
            "--baseline",
            ".tokenguard-baseline.json",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(sarif.code, 1, "the new Pod fails the scan");
    let new: Vec<_> = states(&sarif.stdout)
        .into_iter()
        .filter(|s| s.3 != "unchanged")
        .collect();
    assert_eq!(
        new,
        [(
            "TG001".to_owned(),
            "apps/debug.yaml".to_owned(),
            6,
            "new".to_owned()
        )]
    );
    let annotations = tg(
        dir,
        &[
            "scan",
            "--baseline",
            ".tokenguard-baseline.json",
            "--format",
            "github",
        ],
    );
    let errors: Vec<&str> = annotations
        .stdout
        .lines()
        .filter(|l| {
            l.starts_with("::error") || l.starts_with("::warning") || l.starts_with("::notice")
        })
        .filter(|l| l.contains("title=TG"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", annotations.stdout);
    assert!(
        errors[0].starts_with("::error file=apps/debug.yaml,line=6,endLine=6,col=1,"),
        "{}",
        errors[0]
    );

    std::fs::remove_file(dir.join("apps/debug.yaml")).unwrap();
    assert_eq!(
        tg(dir, &["scan", "--baseline", ".tokenguard-baseline.json"]).code,
        0
    );
}

#[test]
fn baselined_findings_survive_lines_moving_and_fixed_ones_are_counted() {
    let repo = demo();
    let dir = repo.path();
    assert_eq!(tg(dir, &["baseline"]).code, 0);
    // Lines move above every finding of apps/api.yaml ...
    let api = std::fs::read_to_string(dir.join("apps/api.yaml")).unwrap();
    std::fs::write(dir.join("apps/api.yaml"), format!("# moved\n# down\n{api}")).unwrap();
    // ... and the worker's findings are fixed by deleting it.
    std::fs::remove_file(dir.join("apps/worker.yaml")).unwrap();
    let sarif = tg(
        dir,
        &[
            "scan",
            "--baseline",
            ".tokenguard-baseline.json",
            "--format",
            "sarif",
        ],
    );
    assert_eq!(sarif.code, 0, "{}", sarif.stderr);
    let states = states(&sarif.stdout);
    assert!(states.iter().all(|s| s.3 == "unchanged"), "{states:?}");
    assert!(
        states.iter().any(|s| s.1 == "apps/api.yaml" && s.2 == 22),
        "{states:?}"
    );
    let json = tg(
        dir,
        &[
            "scan",
            "--baseline",
            ".tokenguard-baseline.json",
            "--format",
            "json",
        ],
    );
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    // The worker's one finding (TG010: its ServiceAccount's `automountServiceAccountToken: no`)
    // is the one fixed.
    assert_eq!(
        report["baseline"],
        serde_json::json!({"file": ".tokenguard-baseline.json", "entries": 10, "fixed": 1})
    );
    assert_eq!(report["stats"]["baselined"], 9);
    let text = tg(dir, &["scan", "--baseline", ".tokenguard-baseline.json"]);
    assert!(
        text.stdout.lines().last().unwrap().starts_with(
            "0 errors, 0 warnings, 0 notes (9 in the baseline, 1 fixed since the baseline) in 7 files"
        ),
        "{}",
        text.stdout
    );
}

#[test]
fn the_config_names_the_baseline_and_show_suppressed_lists_its_findings() {
    let repo = demo();
    let dir = repo.path();
    std::fs::create_dir(dir.join("security")).unwrap();
    let config = std::fs::read_to_string(dir.join(".tokenguard.yaml")).unwrap();
    std::fs::write(
        dir.join(".tokenguard.yaml"),
        format!("{config}\nbaseline: security/accepted.json\n"),
    )
    .unwrap();
    // `baseline` writes where the config says, and `scan` reads it from there.
    assert_eq!(tg(dir, &["baseline"]).code, 0);
    assert!(dir.join("security/accepted.json").is_file());
    let quiet = tg(dir, &["scan"]);
    assert_eq!(quiet.code, 0, "{}", quiet.stdout);
    assert!(!quiet.stdout.contains("[baselined]"), "{}", quiet.stdout);
    let shown = tg(dir, &["scan", "--show-suppressed"]);
    assert_eq!(
        shown
            .stdout
            .lines()
            .filter(|l| l.starts_with("[baselined] ") && l.ends_with(" (in the baseline)"))
            .count(),
        10,
        "{}",
        shown.stdout
    );
}

#[test]
fn a_missing_or_broken_baseline_is_exit_2_with_where() {
    let repo = demo();
    let dir = repo.path();
    let missing = tg(dir, &["scan", "--baseline", "nope.json"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing
            .stderr
            .starts_with("tokenguard: error: nope.json: cannot read the baseline: "),
        "{}",
        missing.stderr
    );
    std::fs::write(
        dir.join("bad.json"),
        "{\n  \"version\": 1,\n  \"findings\": {}\n}\n",
    )
    .unwrap();
    let broken = tg(dir, &["scan", "--baseline", "bad.json"]);
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.starts_with(
            "tokenguard: error: bad.json:3:15: not a tokenguard baseline: invalid type: map"
        ),
        "{}",
        broken.stderr
    );
}

/// With a baseline, SARIF (`baselineState`) and JSON (`baselineState`, `baseline`,
/// `stats.baselined`) still validate against their schemas.
#[test]
fn reports_with_a_baseline_validate_against_their_schemas() {
    let repo = demo();
    let dir = repo.path();
    assert_eq!(tg(dir, &["baseline"]).code, 0);
    std::fs::write(dir.join("apps/debug.yaml"), NEW_POD).unwrap();
    let schema = |rel: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(crate::common::repo().join(rel)).unwrap())
            .unwrap()
    };
    let sarif_schema = jsonschema::draft4::options()
        .build(&schema("tests/schemas/sarif-2.1.0.json"))
        .unwrap();
    let json_schema = jsonschema::validator_for(&schema("docs/json-report.schema.json")).unwrap();
    for (format, validator) in [("sarif", &sarif_schema), ("json", &json_schema)] {
        let out = tg(
            dir,
            &[
                "scan",
                "--baseline",
                ".tokenguard-baseline.json",
                "--format",
                format,
            ],
        );
        let report: Value = serde_json::from_str(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{format}: {errors:#?}");
    }
}

/// With a baseline, the summary's table by rule splits new and baselined findings, and
/// the namespaces and service accounts count only the new ones.
#[test]
fn the_summary_table_splits_new_and_baselined_findings() {
    let repo = demo();
    let dir = repo.path();
    assert_eq!(tg(dir, &["baseline"]).code, 0);
    std::fs::write(dir.join("apps/debug.yaml"), NEW_POD).unwrap();
    let out = tg(
        dir,
        &[
            "scan",
            "--baseline",
            ".tokenguard-baseline.json",
            "--quiet",
            "--color",
            "never",
        ],
    );
    assert_eq!(out.code, 1);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let (totals, tables) = lines.split_last().unwrap();
    assert_eq!(
        tables.join("\n"),
        "rule   name                                  new  baselined
TG000  manifest-unreadable                     0          1
TG001  token-automount-untrusted               1          2
TG002  service-account-automount-enabled       0          1
TG005  legacy-token-secret                     0          1
TG009  unknown-service-account                 0          1
TG010  ambiguous-automount-value               0          2
TG011  deprecated-service-account-field        0          1
TG014  privileged-token-automount-untrusted    0          1

namespace  findings
shop              1

service account  findings
shop/default            1

config: .tokenguard.yaml"
    );
    assert_eq!(
        strip_time(totals),
        "1 error, 0 warnings, 0 notes (10 in the baseline) in 9 files (11 objects, 6 workloads, 3 service accounts), 1 invalid"
    );
}

/// Through the library: a scan with a baseline of its own findings has none that count,
/// and `active_findings` agrees with the totals.
#[test]
fn the_library_counts_no_baselined_finding_as_active() {
    let demo = fixture("demo");
    let scan = |baseline| {
        let mut options = tokenguard::ScanOptions::new(
            vec![demo.clone()],
            demo.clone(),
            jiff::civil::date(2026, 12, 4),
        );
        options.baseline = baseline;
        tokenguard::scan(options).unwrap()
    };
    let first = scan(None);
    let entries = first
        .active_findings()
        .map(|f| tokenguard::baseline::Entry::of(f, first.file(f.location.file).path))
        .collect();
    let text = tokenguard::baseline::render(entries);
    let baseline = tokenguard::baseline::Baseline::parse(&text, "b.json").unwrap();
    let again = scan(Some(baseline));
    // Without the demo's config (the library reads none by itself): 12 findings.
    assert_eq!(first.active_findings().count(), 12);
    assert_eq!(again.findings.len(), first.findings.len());
    assert_eq!(again.active_findings().count(), 0);
    assert_eq!(again.scanned.totals.baselined, 12);
    assert_eq!(again.worst_level(), None);
}
