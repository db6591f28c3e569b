//! Token sources beside automounting: projected tokens (TG003, TG004) and legacy token
//! Secrets (TG005), each at the exact key SPEC 6 names.

use assert_cmd::Command;
use serde_json::Value;

/// (ruleId, uri, startLine, startColumn, endLine, endColumn, level) of every result.
type Row = (String, String, u64, u64, u64, u64, String);

fn scan(fixture: &str) -> (Vec<Row>, Value, i32) {
    let dir = format!("fixtures/rules/{fixture}");
    let out = Command::cargo_bin("tokenguard")
        .unwrap()
        .args(["scan", "--root", &dir, &dir, "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let region = &loc["region"];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                region["startLine"].as_u64().unwrap(),
                region["startColumn"].as_u64().unwrap(),
                region["endLine"].as_u64().unwrap(),
                region["endColumn"].as_u64().unwrap(),
                r["level"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (rows, sarif, out.status.code().unwrap())
}

fn row(rule: &str, uri: &str, start: (u64, u64), end: (u64, u64), level: &str) -> Row {
    (
        rule.into(),
        uri.into(),
        start.0,
        start.1,
        end.0,
        end.1,
        level.into(),
    )
}

fn message(sarif: &Value, i: usize) -> &str {
    sarif["runs"][0]["results"][i]["message"]["text"]
        .as_str()
        .unwrap()
}

#[test]
fn projected_token_of_untrusted_service_account_is_tg003_whatever_automount_says() {
    let (rows, sarif, code) = scan("tg003");
    assert_eq!(
        rows,
        vec![row("TG003", "projected.yaml", (22, 17), (22, 36), "error")]
    );
    let text = message(&sarif, 0);
    assert!(text.starts_with("Deployment prod/payments mounts a projected service account token (volume `vault-token`, audience `vault`, valid for 600 s) for service account prod/payments, which is not trusted"), "{text}");
    assert_eq!(code, 1);
}

#[test]
fn projected_token_lifetime_above_the_configured_maximum_is_tg004() {
    let (rows, sarif, code) = scan("tg004");
    assert_eq!(
        rows,
        vec![row(
            "TG004",
            "lifetimes.yaml",
            (22, 19),
            (22, 46),
            "warning"
        )]
    );
    assert!(message(&sarif, 0).contains("valid for 31536000 s, more than the 7200 s allowed"));
    assert_eq!(code, 0, "a warning does not fail --fail-on error");
}

#[test]
fn service_account_token_secrets_are_tg005_at_their_type_key() {
    let (rows, sarif, _) = scan("tg005");
    assert_eq!(
        rows,
        vec![
            row("TG005", "secrets.yaml", (10, 1), (10, 42), "error"),
            row("TG005", "secrets.yaml", (16, 1), (16, 44), "error"),
        ]
    );
    assert!(message(&sarif, 0).contains("for service account ci/ci-deployer"));
    assert!(message(&sarif, 1).contains("annotation is missing"));
    assert_eq!(
        sarif["runs"][0]["results"][0]["properties"]["serviceAccount"],
        "ci/ci-deployer"
    );
}
