//! `--format json` (SPEC 8.5): valid against the documented schema in
//! docs/json-report.schema.json, with suppression state, fingerprints equal to SARIF's,
//! and statistics that agree with the findings.

use serde_json::Value;

/// The report of `fixtures/REL` in `format`, with exemptions judged on a fixed date.
fn run(rel: &str, format: &str) -> Value {
    let dir = crate::common::fixture(rel);
    let out = crate::common::output(
        crate::common::tokenguard()
            .arg("scan")
            .arg("--root")
            .arg(&dir)
            .arg(&dir)
            .args(["--format", format, "--today", "2026-11-23"]),
    );
    assert_eq!(out.stderr, "");
    serde_json::from_str(&out.stdout).unwrap()
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(crate::common::repo().join("docs/json-report.schema.json"))
        .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

#[test]
fn json_reports_validate_against_the_documented_schema() {
    let validator = schema();
    for dir in crate::common::FIXTURE_ROOTS {
        let report = run(dir, "json");
        let errors: Vec<String> = validator
            .iter_errors(&report)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{dir}: {errors:?}");
    }
    let mut broken = run("demo", "json");
    broken["findings"][0]["line"] = Value::from(0);
    assert!(!validator.is_valid(&broken), "the schema rejects line 0");
}

#[test]
fn json_findings_carry_suppression_and_sarif_fingerprints() {
    let json = run("suppress", "json");
    let sarif = run("suppress", "sarif");
    let findings = json["findings"].as_array().unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(findings.len(), results.len());
    for (f, r) in findings.iter().zip(results) {
        assert_eq!(f["rule"], r["ruleId"]);
        assert_eq!(f["fingerprint"], r["partialFingerprints"]["tokenguard/v1"]);
    }
    let api = &findings[2];
    assert_eq!(api["path"], "workloads.yaml");
    assert_eq!(
        (api["line"].as_u64(), api["column"].as_u64()),
        (Some(12), Some(5))
    );
    assert_eq!(api["object"]["namespace"], "shop");
    assert_eq!(api["object"]["name"], "api");
    assert_eq!(api["serviceAccount"], "shop/default");
    assert_eq!(api["suppression"]["kind"], "inSource");
    assert_eq!(
        api["suppression"]["justification"],
        "talks to the API to read its own leader-election lease"
    );
    let stats = &json["stats"];
    assert_eq!(
        (
            stats["errors"].as_u64(),
            stats["warnings"].as_u64(),
            stats["notes"].as_u64(),
            stats["suppressed"].as_u64()
        ),
        (Some(2), Some(1), Some(1), Some(3))
    );
    assert_eq!(stats["workloads"], 5);
}
