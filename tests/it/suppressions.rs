//! SPEC 7: annotations on the object or its pod template suppress with their reason; an
//! empty reason does not; config exemptions apply until `expires` (compared with an
//! injected date), after which TG012 reports them; unused trust entries are TG013.

use crate::common::{fixture, scan_sarif_output, tokenguard};
use serde_json::Value;

fn sarif(today: &str) -> (Value, i32) {
    let out = scan_sarif_output(&fixture("suppress"), &["--today", today]);
    assert_eq!(out.stderr, "");
    (serde_json::from_str(&out.stdout).unwrap(), out.code)
}

/// (ruleId, uri, startLine, startColumn, suppression kind, justification) per result.
fn rows(sarif: &Value) -> Vec<(String, String, u64, u64, String, String)> {
    sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let suppression = &r["suppressions"][0];
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                loc["region"]["startLine"].as_u64().unwrap(),
                loc["region"]["startColumn"].as_u64().unwrap(),
                suppression["kind"].as_str().unwrap_or("").to_owned(),
                suppression["justification"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect()
}

fn row(
    rule: &str,
    uri: &str,
    line: u64,
    col: u64,
    kind: &str,
    why: &str,
) -> (String, String, u64, u64, String, String) {
    (rule.into(), uri.into(), line, col, kind.into(), why.into())
}

#[test]
fn annotations_and_exemptions_before_expiry() {
    let (sarif, code) = sarif("2027-01-31");
    assert_eq!(
        rows(&sarif),
        vec![
            row("TG013", ".tokenguard.yaml", 2, 5, "", ""),
            row("TG012", ".tokenguard.yaml", 9, 5, "", ""),
            row(
                "TG001",
                "workloads.yaml",
                12,
                5,
                "inSource",
                "talks to the API to read its own leader-election lease"
            ),
            row(
                "TG001",
                "workloads.yaml",
                25,
                5,
                "inSource",
                "chart exposes only podAnnotations; reviewed in SEC-7"
            ),
            row("TG001", "workloads.yaml", 37, 5, "", ""),
            row(
                "TG001",
                "workloads.yaml",
                47,
                5,
                "external",
                "OPS-123 moves it to a projected token"
            ),
            row("TG001", "workloads.yaml", 57, 5, "", ""),
        ]
    );
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let empty_reason = results[4]["message"]["text"].as_str().unwrap();
    assert!(
        empty_reason.ends_with("(The tokenguard.dev/ignore-TG001 annotation has no reason, so it does not suppress this finding.)"),
        "{empty_reason}"
    );
    let expired = results[1]["message"]["text"].as_str().unwrap();
    assert!(
        expired.starts_with("The exemption for * on legacy/Deployment/old-* expired on 2026-06-30"),
        "{expired}"
    );
    assert_eq!(code, 1, "search and old-frontend are unsuppressed errors");
}

#[test]
fn an_exemption_stops_applying_the_day_after_it_expires() {
    let (sarif, _) = sarif("2027-02-01");
    let rows = rows(&sarif);
    assert_eq!(rows[1], row("TG012", ".tokenguard.yaml", 5, 5, "", ""));
    assert_eq!(rows[6], row("TG001", "workloads.yaml", 47, 5, "", ""));
}

#[test]
fn suppressed_findings_do_not_fail_the_job_and_are_hidden_from_text() {
    let dir = fixture("suppress");
    let scan = |extra: &[&str]| {
        let out = crate::common::output(
            tokenguard()
                .arg("scan")
                .arg("--root")
                .arg(&dir)
                .arg(&dir)
                .args(["--today", "2026-01-01", "--color", "never"])
                .args(extra),
        );
        (out.stdout, out.code)
    };
    let (text, code) = scan(&["--exclude", "workloads.yaml"]);
    assert_eq!(code, 0, "{text}");
    let (text, _) = scan(&[]);
    assert!(!text.contains("shop/api mounts"), "{text}");
    assert!(
        text.contains("1 error, 0 warnings, 1 note (4 suppressed) in 1 file"),
        "{text}"
    );
    // Listed on request, marked first, with who suppressed them and why.
    let (text, _) = scan(&["--show-suppressed"]);
    assert!(
        text.contains(
            "\n[suppressed] workloads.yaml:12:5: error[TG001]: Deployment shop/api mounts"
        ),
        "{text}"
    );
    let (text, _) = scan(&["--show-suppressed", "--compact"]);
    let marked: Vec<(&str, &str)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("[suppressed] "))
        .map(|l| {
            let (head, _) = l.split_once(": error[TG001]: ").unwrap();
            let (_, why) = l.rsplit_once(" (").unwrap();
            (head, why)
        })
        .collect();
    assert_eq!(
        marked,
        [
            (
                "workloads.yaml:12:5",
                "annotation tokenguard.dev/ignore-TG001: talks to the API to read its own leader-election lease)"
            ),
            (
                "workloads.yaml:25:5",
                "annotation tokenguard.dev/ignore-TG001: chart exposes only podAnnotations; reviewed in SEC-7)"
            ),
            (
                "workloads.yaml:47:5",
                "exemption: OPS-123 moves it to a projected token)"
            ),
            (
                "workloads.yaml:57:5",
                "exemption: OPS-99 decommissions the old stack)"
            ),
        ]
    );
    // The findings that count are not marked.
    assert!(
        text.lines()
            .any(|l| l.starts_with("workloads.yaml:37:5: error[TG001]: Deployment shop/search")),
        "{text}"
    );
}

#[test]
fn annotations_and_code_quality_leave_suppressed_findings_out() {
    let dir = fixture("suppress");
    let scan = |format: &str| {
        crate::common::output(
            tokenguard()
                .arg("scan")
                .arg("--root")
                .arg(&dir)
                .arg(&dir)
                .args(["--today", "2026-11-23", "--format", format]),
        )
        .stdout
    };
    let annotations = scan("github");
    let lines: Vec<&str> = annotations.lines().collect();
    assert_eq!(lines.len(), 4, "{annotations}");
    assert!(!annotations.contains("shop/api mounts"), "{annotations}");
    assert!(annotations.contains("shop/search mounts"), "{annotations}");
    let issues: Value = serde_json::from_str(&scan("gitlab")).unwrap();
    let names: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["check_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["TG013", "TG012", "TG001", "TG001"]);
}

/// Workloads are checked a run of files at a time: a trusted entry used only by a
/// workload in a late run is still in use, whatever the thread count.
#[test]
fn a_trusted_entry_used_only_by_a_workload_after_many_files_is_not_tg013() {
    let tmp = tempfile::tempdir().unwrap();
    for i in 0..1200 {
        std::fs::write(
            tmp.path().join(format!("app-{i:04}.yaml")),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-{i}\n"),
        )
        .unwrap();
    }
    std::fs::write(
        tmp.path().join("zz-runner.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nightly\n  namespace: jobs\nspec:\n  template:\n    spec:\n      serviceAccountName: runner\n      containers:\n        - name: run\n          image: example/runner:1\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join(".tokenguard.yaml"),
        "trusted:\n  - serviceAccount: jobs/runner\n    reason: the nightly runner\n  - serviceAccount: ghost/*\n    reason: left over\n",
    )
    .unwrap();
    for threads in ["1", "2"] {
        let out = scan_sarif_output(tmp.path(), &["--threads", threads]);
        let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
        let tg013: Vec<_> = rows(&sarif)
            .into_iter()
            .filter(|r| r.0 == "TG013")
            .collect();
        assert_eq!(
            tg013,
            [row("TG013", ".tokenguard.yaml", 4, 5, "", "")],
            "{threads} thread(s)"
        );
    }
}

/// A repository with a workload in each of namespaces `shop` and `argocd`, one folder
/// each, and the config `config`.
fn two_namespaces(config: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (folder, namespace, account) in [("shop", "shop", "api"), ("argocd", "argocd", "server")] {
        std::fs::create_dir(tmp.path().join(folder)).unwrap();
        std::fs::write(
            tmp.path().join(folder).join("app.yaml"),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: {namespace}\nspec:\n  template:\n    spec:\n      serviceAccountName: {account}\n      containers:\n        - name: app\n          image: example/app:1\n"),
        )
        .unwrap();
    }
    std::fs::write(tmp.path().join(".tokenguard.yaml"), config).unwrap();
    tmp
}

/// A TG013 result: line, column, message, and its related locations as (line, message).
type Unused = (u64, u64, String, Vec<(u64, String)>);

/// The TG013 results of a scan of `paths` (relative to `root`).
fn tg013(root: &std::path::Path, paths: &[&str]) -> Vec<Unused> {
    let out = crate::common::output(
        tokenguard()
            .current_dir(root)
            .args(["scan", "--format", "sarif", "--root", "."])
            .args(paths),
    );
    assert_eq!(out.stderr, "");
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    crate::common::results(&sarif)
        .iter()
        .filter(|r| r["ruleId"] == "TG013")
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            (
                region["startLine"].as_u64().unwrap(),
                region["startColumn"].as_u64().unwrap(),
                crate::common::message(r),
                crate::common::related(r)
                    .into_iter()
                    .map(|(uri, line, _, _, _, message)| {
                        assert_eq!(uri, ".tokenguard.yaml");
                        (line, message)
                    })
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn an_unused_entry_is_tg013_only_when_the_scan_covered_its_scope() {
    let repo = two_namespaces(
        "trusted:\n  - serviceAccount: shop/api\n    reason: used\n  - serviceAccount: argocd/server\n    reason: used when argocd/ is scanned\n  - serviceAccount: shop/old\n    reason: left over\n  - serviceAccount: gone/*\n    reason: a namespace nothing here is in\ntokenCreators:\n  - subject: User:alice\n    reason: no binding is scanned\n  - subject: ServiceAccount:shop/minter\n    reason: in a scanned namespace, but no binding names it\n",
    );
    let finding = |line, message: &str| (line, 5, message.to_owned(), vec![]);
    let trusted = |line, pattern: &str| {
        finding(
            line,
            &format!(
                "The trusted entry `{pattern}` matches no service account in the scanned manifests. Remove it, or correct the pattern (NAMESPACE/NAME; `*` does not cross `/`)."
            ),
        )
    };
    let creator = |line, pattern: &str| {
        finding(
            line,
            &format!(
                "The tokenCreators entry `{pattern}` matches no subject of any RoleBinding or ClusterRoleBinding in the scanned manifests. Remove it, or correct the pattern."
            ),
        )
    };
    // The whole repository: every entry is judged, and argocd/server is used.
    assert_eq!(
        tg013(repo.path(), &["."]),
        [
            trusted(6, "shop/old"),
            trusted(8, "gone/*"),
            creator(11, "User:alice"),
            creator(13, "ServiceAccount:shop/minter"),
        ]
    );
    // One folder, or the repository narrowed by a glob: only the entries for the
    // namespaces scanned (no binding is scanned, so User:alice is not judged).
    let in_shop = [
        trusted(6, "shop/old"),
        creator(13, "ServiceAccount:shop/minter"),
    ];
    assert_eq!(tg013(repo.path(), &["shop"]), in_shop);
    assert_eq!(
        tg013(repo.path(), &[".", "--exclude", "argocd/**"]),
        in_shop
    );
    assert_eq!(tg013(repo.path(), &["argocd"]), []);
    // The directory of the config is the repository it describes: all of it is judged.
    std::fs::copy(
        repo.path().join(".tokenguard.yaml"),
        repo.path().join("shop/.tokenguard.yaml"),
    )
    .unwrap();
    let lines: Vec<u64> = tg013(repo.path(), &["shop", "--config", "shop/.tokenguard.yaml"])
        .iter()
        .map(|f| f.0)
        .collect();
    assert_eq!(lines, [4, 6, 8, 11, 13]);
}

#[test]
fn many_unused_entries_are_one_tg013_that_lists_them() {
    let mut config = String::from("trusted:\n  - serviceAccount: shop/api\n    reason: used\n");
    for name in ["a", "b", "c", "d", "e"] {
        config += &format!("  - serviceAccount: shop/{name}\n    reason: left over\n");
    }
    config += "  - serviceAccount: argocd/*\n    reason: not judged when argocd/ is not scanned\n";
    let repo = two_namespaces(&config);
    let related = |line, name| {
        (
            line,
            format!("the trusted entry `shop/{name}` matches nothing"),
        )
    };
    assert_eq!(
        tg013(repo.path(), &["shop"]),
        [(
            4,
            5,
            "5 trusted entries match no service account in the scanned manifests: `shop/a`, `shop/b` and 3 more. Remove them, or correct their patterns (NAMESPACE/NAME; `*` does not cross `/`).".to_owned(),
            vec![related(6, "b"), related(8, "c"), related(10, "d"), related(12, "e")],
        )]
    );
    // Three are three findings.
    let config = config.replace("  - serviceAccount: shop/d\n    reason: left over\n  - serviceAccount: shop/e\n    reason: left over\n", "");
    let repo = two_namespaces(&config);
    let lines: Vec<u64> = tg013(repo.path(), &["shop"]).iter().map(|f| f.0).collect();
    assert_eq!(lines, [4, 6, 8]);
}

/// Rule ids are matched in any case, in exemptions as in `rules:` and annotations: an
/// exemption written `tg001` suppresses TG001 (it once validated and suppressed nothing).
#[test]
fn an_exemption_matches_its_rule_id_in_any_case() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: exporter\n  namespace: legacy\nspec:\n  containers:\n    - name: c\n      image: example/exporter:1\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join(".tokenguard.yaml"),
        "exemptions:\n  - rule: tg001\n    object: legacy/Pod/exporter\n    reason: OPS-123\n",
    )
    .unwrap();
    let out = scan_sarif_output(tmp.path(), &["--today", "2026-12-04"]);
    assert_eq!(out.code, 0, "every finding is exempted: {}", out.stdout);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        rows(&sarif),
        [row("TG001", "pod.yaml", 6, 1, "external", "OPS-123")]
    );
}

/// An ignore annotation written wrong suppresses nothing; each is a warning at its key.
#[test]
fn ignore_annotations_written_wrong_are_warnings_at_their_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("api.yaml"),
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations:
    tokenguard.io/ignore-TG001: "wrong domain"
    tokenguard.dev/ignore-TG999: "no such rule"
spec:
  template:
    metadata:
      annotations:
        tokenguard/ignore-TG001: "no domain"
        tokenguard.dev/ignore-TG011: "a real rule"
    spec:
      containers: [{name: api, image: api}]
"#,
    )
    .unwrap();
    let out = crate::common::output(
        tokenguard()
            .current_dir(dir.path())
            .args(["scan", "--root", ".", "."]),
    );
    assert_eq!(out.code, 1, "TG001 is not suppressed: {}", out.stdout);
    let lines: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("[TG001]") || l.contains("suppresses nothing"))
        .collect();
    assert_eq!(
        lines,
        [
            "api.yaml:15:5: error[TG001]: Deployment shop/api mounts an API token for service account shop/default, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/default in .tokenguard.yaml.",
            "api.yaml:7:5: warning: annotation `tokenguard.io/ignore-TG001` suppresses nothing: tokenguard reads tokenguard.dev/ignore-TG001",
            "api.yaml:8:5: warning: annotation `tokenguard.dev/ignore-TG999` suppresses nothing: `TG999` is not a rule id (`tokenguard rules` lists them)",
            "api.yaml:13:9: warning: annotation `tokenguard/ignore-TG001` suppresses nothing: tokenguard reads tokenguard.dev/ignore-TG001",
        ],
        "{}",
        out.stdout
    );
}
