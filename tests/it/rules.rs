//! Each rule fires at the exact position SPEC 6 names, with the level and message it
//! documents, and stays silent on its near misses. The cases under `fixtures/rules` are
//! found by glob and checked against their `# expect:` lines; the tests before them look
//! closer at some of those cases (whole messages, end positions, counts).

use std::path::{Path, PathBuf};

use crate::common::{
    expect, fixture, message, output, result, results, rows, strip_time, summary, tokenguard,
};
use serde_json::Value;

/// The SARIF of one case of `fixtures/rules` (see [`scan_case`]).
fn sarif_of_case(rel: &str) -> Value {
    scan_case(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text summary of one case file, scanned with its folder as the root.
fn case_summary(rel: &str) -> String {
    let case = fixture(rel);
    let root = case.parent().expect("a case file has a folder");
    let out = output(
        tokenguard()
            .args(["scan", "--color", "never", "--root"])
            .arg(root)
            .arg(&case),
    );
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    strip_time(out.stdout.lines().last().expect("a summary line"))
}

#[test]
fn tg000_reports_each_broken_file_at_the_parse_error_and_keeps_other_findings() {
    let sarif = sarif_of_case("rules/tg000/fires/broken-files");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG000", "broken.json", 4, 3, 4, 4, "error"),
            ("TG000", "broken.yaml", 6, 14, 6, 15, "error"),
            ("TG002", "healthy.yaml", 5, 3, 5, 16, "warning"),
            ("TG000", "latin1.yaml", 5, 12, 5, 13, "error"),
            ("TG002", "partial.yaml", 6, 3, 6, 14, "warning"),
            ("TG000", "partial.yaml", 15, 32, 15, 33, "error"),
        ])
    );
    let messages: Vec<String> = results(&sarif).iter().map(message).collect();
    let loaded = |reason: &str| {
        format!(
            "This file could not be loaded ({reason}); the objects in it from the document with the error on are not scanned. Fix the file, or exclude it in .tokenguard.yaml if it is not a manifest."
        )
    };
    assert_eq!(
        messages[0],
        loaded("invalid JSON: while parsing a flow mapping, did not find expected ',' or '}'")
    );
    assert_eq!(
        messages[1],
        loaded("invalid YAML: mapping values are not allowed in this context")
    );
    assert_eq!(messages[3], loaded("not valid UTF-8 (byte 0xE9)"));
    assert_eq!(
        messages[5],
        loaded("invalid YAML: mapping values are not allowed in this context")
    );
    // TG000 is about a file, not an object: no logical location.
    for r in results(&sarif).iter().filter(|r| r["ruleId"] == "TG000") {
        assert!(r["locations"][0].get("logicalLocations").is_none(), "{r}");
    }
    // The broken files are counted as files, their objects are not.
    assert_eq!(
        summary(&fixture("rules/tg000/fires/broken-files"), &[]),
        "4 errors, 2 warnings, 0 notes in 5 files (2 objects, 0 workloads, 2 service accounts), 4 invalid"
    );
}

#[test]
fn tg000_near_miss_comments_empty_documents_and_document_ends_are_valid() {
    let sarif = sarif_of_case("rules/tg000/near-miss/comments-and-empty-documents.yaml");
    assert_eq!(rows(&sarif), expect(&[]));
    assert_eq!(
        case_summary("rules/tg000/near-miss/comments-and-empty-documents.yaml"),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 0 workloads, 1 service account)"
    );
}

#[test]
fn tg001_fires_on_the_pod_spec_key_when_nothing_disables_automounting() {
    let sarif = sarif_of_case("rules/tg001/fires/checkout");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "checkout.yaml", 14, 5, 14, 9, "error")])
    );
    assert_eq!(
        message(result(&sarif, "TG001", "shop/Deployment/checkout")),
        "Deployment shop/checkout mounts an API token for service account shop/default, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/default in .tokenguard.yaml."
    );
}

#[test]
fn tg001_near_miss_pod_spec_turns_automounting_off() {
    assert_eq!(
        rows(&sarif_of_case("rules/tg001/near-miss/checkout.yaml")),
        expect(&[])
    );
    assert_eq!(
        case_summary("rules/tg001/near-miss/checkout.yaml"),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 1 workload, 0 service accounts)"
    );
}

#[test]
fn tg002_fires_on_metadata_name_or_on_the_automount_key() {
    let sarif = sarif_of_case("rules/tg002/fires/service-accounts");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "service-accounts.yaml", 6, 3, 6, 15, "warning"),
            ("TG002", "service-accounts.yaml", 14, 1, 14, 35, "warning"),
        ])
    );
    assert_eq!(
        message(result(&sarif, "TG002", "shop/ServiceAccount/orders")),
        "ServiceAccount shop/orders is not trusted and does not set automountServiceAccountToken: false, so every pod that runs as it gets an API token unless its pod spec opts out. Set automountServiceAccountToken: false on the ServiceAccount, or trust shop/orders in .tokenguard.yaml."
    );
    assert_eq!(
        message(result(&sarif, "TG002", "shop/ServiceAccount/payments")),
        "ServiceAccount shop/payments is not trusted and sets automountServiceAccountToken: true, so every pod that runs as it gets an API token unless its pod spec opts out. Set automountServiceAccountToken: false on the ServiceAccount, or trust shop/payments in .tokenguard.yaml."
    );
}

#[test]
fn tg002_near_miss_service_account_turns_automounting_off() {
    assert_eq!(
        rows(&sarif_of_case(
            "rules/tg002/near-miss/service-accounts.yaml"
        )),
        expect(&[])
    );
    assert_eq!(
        case_summary("rules/tg002/near-miss/service-accounts.yaml"),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 0 workloads, 1 service account)"
    );
}

#[test]
fn tg009_fires_on_service_account_name_of_an_undefined_account() {
    let sarif = sarif_of_case("rules/tg009/fires/builder");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG009", "builder.yaml", 11, 7, 11, 34, "note")])
    );
    assert_eq!(
        message(result(&sarif, "TG009", "ci/Job/build")),
        "Job ci/build runs as service account ci/builder, which no scanned manifest defines in namespace ci, so its automountServiceAccountToken setting is unknown and the pod spec's own automountServiceAccountToken decides. Include the ServiceAccount's manifest in the scan, or correct the name."
    );
}

#[test]
fn tg009_near_miss_defined_account_and_the_default_account() {
    assert_eq!(
        rows(&sarif_of_case("rules/tg009/near-miss/builder.yaml")),
        expect(&[])
    );
    assert_eq!(
        case_summary("rules/tg009/near-miss/builder.yaml"),
        "0 errors, 0 warnings, 0 notes in 1 file (3 objects, 2 workloads, 1 service account)"
    );
}

#[test]
fn tg010_fires_on_a_yaml_1_1_only_boolean() {
    let sarif = sarif_of_case("rules/tg010/fires/exporter.yaml");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG010", "exporter.yaml", 8, 3, 8, 36, "warning")])
    );
    assert_eq!(
        message(result(&sarif, "TG010", "monitoring/Pod/exporter")),
        "Pod monitoring/exporter: automountServiceAccountToken in the pod spec is ambiguous; `off` is a YAML 1.1-only boolean: kubectl reads it as false, but Kustomize and other YAML 1.2 tools keep it as the string \"off\", which the API server rejects. Write false."
    );
}

#[test]
fn tg010_near_miss_canonical_boolean() {
    assert_eq!(
        rows(&sarif_of_case("rules/tg010/near-miss/exporter.yaml")),
        expect(&[])
    );
    assert_eq!(
        case_summary("rules/tg010/near-miss/exporter.yaml"),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 1 workload, 0 service accounts)"
    );
}

#[test]
fn tg011_fires_on_the_deprecated_service_account_field() {
    let sarif = sarif_of_case("rules/tg011/fires/reporter.yaml");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG011", "reporter.yaml", 21, 11, 21, 35, "warning"),
            ("TG011", "reporter.yaml", 38, 7, 38, 38, "warning"),
        ])
    );
    assert_eq!(
        message(result(&sarif, "TG011", "ci/CronJob/nightly-report")),
        "CronJob ci/nightly-report uses the deprecated pod spec field serviceAccount (`reporter`); Kustomize does not rename it. Use serviceAccountName instead."
    );
    assert_eq!(
        message(result(&sarif, "TG011", "ci/Job/backfill")),
        "Job ci/backfill uses the deprecated pod spec field serviceAccount (`legacy-reporter`); it disagrees with serviceAccountName `reporter`, which Kubernetes uses. Use serviceAccountName instead."
    );
}

#[test]
fn tg011_near_miss_service_account_name() {
    assert_eq!(
        rows(&sarif_of_case("rules/tg011/near-miss/reporter.yaml")),
        expect(&[])
    );
    assert_eq!(
        case_summary("rules/tg011/near-miss/reporter.yaml"),
        "0 errors, 0 warnings, 0 notes in 1 file (2 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn tg015_fires_on_the_repeated_key_and_the_object_is_scanned_with_the_last_value() {
    let sarif = crate::common::sarif_of("rules/tg015/fires");
    let tg015: Vec<_> = rows(&sarif)
        .into_iter()
        .filter(|row| row.0 == "TG015")
        .collect();
    assert_eq!(
        tg015,
        expect(&[
            ("TG015", "deployment.yaml", 12, 3, 12, 11, "warning"),
            ("TG015", "deployment.yaml", 26, 13, 26, 21, "warning"),
            ("TG015", "duplicate-key.yaml", 8, 3, 8, 15, "warning"),
            ("TG015", "json-keys.yaml", 10, 3, 10, 14, "warning"),
            ("TG015", "json-keys.yaml", 13, 3, 13, 12, "warning"),
        ])
    );
    // The last `name` wins, as kubectl applies it: the object is shop/api-v2.
    let service_account = result(&sarif, "TG015", "shop/ServiceAccount/api-v2");
    assert_eq!(
        message(service_account),
        "ServiceAccount shop/api-v2 defines the key `name` twice in one mapping (first at line 6); kubectl keeps the last value, which tokenguard judges, and drops the first. Remove one of the two keys."
    );
    // The first key is the related location.
    let related = &service_account["relatedLocations"];
    assert_eq!(related.as_array().map(Vec::len), Some(1));
    let region = &related[0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(6), Some(3))
    );
    assert_eq!(
        related[0]["message"]["text"],
        "the first `name`, whose value is dropped"
    );
    // A file with a repeated key is loaded, not a TG000: its objects are all counted.
    assert_eq!(
        summary(&crate::common::fixture("rules/tg015/fires"), &[]),
        "0 errors, 5 warnings, 0 notes in 3 files (3 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn tg015_near_miss_distinct_keys_merge_keys_and_documents_that_are_no_objects() {
    assert_eq!(
        rows(&crate::common::sarif_of("rules/tg015/near-miss")),
        expect(&[])
    );
    assert_eq!(
        summary(&crate::common::fixture("rules/tg015/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 0 workloads, 0 service accounts)"
    );
}

#[test]
fn the_demo_repository_reports_what_its_readme_shows() {
    let sarif = crate::common::sarif_of("demo");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "apps/api.yaml", 4, 3, 4, 12, "warning"),
            // shop/api is bound to the built-in `edit` ClusterRole: TG014, not TG001
            ("TG014", "apps/api.yaml", 20, 7, 20, 30, "error"),
            ("TG001", "apps/frontend.yaml", 13, 7, 13, 44, "error"),
            ("TG010", "apps/frontend.yaml", 13, 7, 13, 44, "warning"),
            ("TG010", "apps/worker.yaml", 25, 1, 25, 33, "warning"),
            ("TG001", "ci/nightly-report.yaml", 12, 11, 12, 35, "error"),
            ("TG009", "ci/nightly-report.yaml", 12, 11, 12, 35, "note"),
            ("TG011", "ci/nightly-report.yaml", 12, 11, 12, 35, "warning"),
            ("TG000", "platform/broken.yaml", 5, 14, 5, 15, "error"),
            ("TG005", "platform/ci-token.yaml", 8, 1, 8, 42, "error"),
        ])
    );
    // The message names the binding; what it grants is its related location's message.
    let api = result(&sarif, "TG014", "shop/Deployment/api");
    assert_eq!(
        message(api),
        "Deployment shop/api mounts an API token for service account shop/api, which is not trusted and is bound to powerful RBAC by RoleBinding shop/api-edit: the pod spec does not set automountServiceAccountToken, nor does the service account, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/api in .tokenguard.yaml."
    );
    assert_eq!(
        api["relatedLocations"][1]["message"]["text"],
        "RoleBinding shop/api-edit binds shop/api to ClusterRole edit, which grants read secrets, create pods or workloads, pods/exec, pods/attach, impersonate"
    );
    // monitoring/prometheus is trusted by the demo's .tokenguard.yaml: nothing about it.
    assert!(results(&sarif).iter().all(|r| {
        !r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("prometheus")
    }));
}

// ---- every rule's cases, found by glob ---------------------------------------------
//
// `fixtures/rules/<tgNNN>/fires/` and `fixtures/rules/<tgNNN>/near-miss/` hold the cases
// of each rule: a manifest file, or a directory scanned as a repository root (its
// `.tokenguard.yaml` is its config). Comment lines `# expect: TG001 error 14:5 shop/default`
// in any file of a case name the findings of the folder's rule in that file: rule, level,
// line:col of the primary location, and a substring of the message. A `fires` case must
// produce exactly those findings of the folder's rule; a `near-miss` case none. Findings
// of other rules are ignored, but outside `tg000/` a case must load (no TG000).

/// The date every case is scanned on, so that exemptions expire (TG012) the same way
/// every day. A case's config names it where it matters.
const CASES_TODAY: &str = "2026-06-30";

const KINDS: [&str; 2] = ["fires", "near-miss"];

/// One `# expect:` line.
#[derive(Debug)]
struct Expected {
    rule: String,
    level: String,
    uri: String,
    line: u64,
    column: u64,
    substring: String,
}

/// One finding of a case, as its SARIF says.
#[derive(Debug)]
struct Actual {
    rule: String,
    level: String,
    uri: String,
    line: u64,
    column: u64,
    message: String,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}:{}:{} containing {:?}",
            self.rule, self.level, self.uri, self.line, self.column, self.substring
        )
    }
}

impl std::fmt::Display for Actual {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}:{}:{} {:?}",
            self.rule, self.level, self.uri, self.line, self.column, self.message
        )
    }
}

/// Sorted entries of a directory.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut list: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    list.sort();
    list
}

/// Every file under `dir`, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in entries(dir) {
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// The `# expect:` lines of `file`, whose findings are reported under `uri`.
fn expectations(file: &Path, uri: &str) -> Result<Vec<Expected>, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix("# expect:") else {
            continue;
        };
        let bad = |why: &str| format!("{}:{}: {why}: {line:?}", file.display(), index + 1);
        let mut words = rest.trim().splitn(4, ' ');
        let (Some(rule), Some(level), Some(position), Some(substring)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(bad("want `# expect: RULE LEVEL LINE:COL SUBSTRING`"));
        };
        if !["error", "warning", "note"].contains(&level) {
            return Err(bad("the level is not error, warning or note"));
        }
        let (line_no, column) = position
            .split_once(':')
            .and_then(|(l, c)| Some((l.parse().ok()?, c.parse().ok()?)))
            .ok_or_else(|| bad("the position is not LINE:COL"))?;
        found.push(Expected {
            rule: rule.to_owned(),
            level: level.to_owned(),
            uri: uri.to_owned(),
            line: line_no,
            column,
            substring: substring.trim().to_owned(),
        });
    }
    Ok(found)
}

/// Scans one case: a file with its folder as the root, or a directory as the root (so
/// its `.tokenguard.yaml` is the config).
fn scan_case(case: &Path) -> Result<Value, String> {
    let root = if case.is_dir() {
        case
    } else {
        case.parent().expect("a case file has a folder")
    };
    let mut cmd = tokenguard();
    cmd.current_dir(root)
        .args(["scan", "--format", "sarif", "--fail-on", "never"])
        .args(["--today", CASES_TODAY, "--root"])
        .arg(root)
        .arg(case);
    let out = output(&mut cmd);
    if out.code != 0 || !out.stderr.is_empty() {
        return Err(format!("exit {}: {}", out.code, out.stderr));
    }
    serde_json::from_str(&out.stdout).map_err(|e| format!("stdout is not JSON: {e}"))
}

/// The findings of `rule` in a case's SARIF.
fn actual_findings(sarif: &Value, rule: &str) -> Vec<Actual> {
    results(sarif)
        .iter()
        .filter(|r| r["ruleId"] == rule)
        .map(|r| {
            let physical = &r["locations"][0]["physicalLocation"];
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            Actual {
                rule: text(&r["ruleId"]),
                level: text(&r["level"]),
                uri: text(&physical["artifactLocation"]["uri"]),
                line: physical["region"]["startLine"].as_u64().unwrap_or(0),
                column: physical["region"]["startColumn"].as_u64().unwrap_or(0),
                message: text(&r["message"]["text"]),
            }
        })
        .collect()
}

/// What is wrong with one case, if anything.
fn check_case(rule: &str, kind: &str, case: &Path) -> Result<(), String> {
    let (root, files) = if case.is_dir() {
        (case, files_under(case))
    } else {
        (
            case.parent().expect("a case file has a folder"),
            vec![case.to_path_buf()],
        )
    };
    let mut expected = Vec::new();
    for file in &files {
        let uri = file
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        expected.extend(expectations(file, &uri)?);
    }
    if let Some(other) = expected.iter().find(|e| e.rule != rule) {
        return Err(format!("expects {other}, not a finding of {rule}"));
    }
    match (kind, expected.is_empty()) {
        ("fires", true) => return Err("a `fires` case without `# expect:` lines".to_owned()),
        ("near-miss", false) => {
            return Err("a near miss expects nothing: it has `# expect:` lines".to_owned());
        }
        _ => {}
    }
    let sarif = scan_case(case)?;
    // A case that does not load would pass as a near miss for the wrong reason.
    if rule != "TG000"
        && let Some(broken) = actual_findings(&sarif, "TG000").first()
    {
        return Err(format!("the case does not load: {broken}"));
    }
    let actual = actual_findings(&sarif, rule);
    let mut unmatched: Vec<&Actual> = actual.iter().collect();
    let mut missing = Vec::new();
    for want in &expected {
        let found = unmatched.iter().position(|got| {
            (&got.rule, &got.level, &got.uri, got.line, got.column)
                == (&want.rule, &want.level, &want.uri, want.line, want.column)
                && got.message.contains(&want.substring)
        });
        match found {
            Some(i) => {
                unmatched.remove(i);
            }
            None => missing.push(want),
        }
    }
    if missing.is_empty() && unmatched.is_empty() {
        return Ok(());
    }
    let list = |items: Vec<String>| match items.is_empty() {
        true => " none".to_owned(),
        false => items
            .iter()
            .map(|i| format!("\n      {i}"))
            .collect::<String>(),
    };
    Err(format!(
        "\n    expected:{}\n    actual:{}\n    missing:{}\n    unexpected:{}",
        list(expected.iter().map(ToString::to_string).collect()),
        list(actual.iter().map(ToString::to_string).collect()),
        list(missing.iter().map(ToString::to_string).collect()),
        list(unmatched.iter().map(ToString::to_string).collect()),
    ))
}

/// Whether `path` is a case: a manifest, or a directory of them.
fn is_case(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    !name.starts_with('.')
        && (path.is_dir()
            || [".yaml", ".yml", ".json"]
                .iter()
                .any(|ext| name.ends_with(ext)))
}

/// What is wrong with the layout of `fixtures/rules`: a rule without a folder, a folder
/// without a rule, a folder without both kinds of cases, a file that is not a case.
fn layout_problems(base: &Path, ids: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    for id in ids {
        let folder = base.join(id.to_ascii_lowercase());
        for kind in KINDS {
            let dir = folder.join(kind);
            if !dir.is_dir() || !entries(&dir).iter().any(|p| is_case(p)) {
                problems.push(format!("{id}: no cases in {}", shown(base, &dir)));
            }
        }
    }
    for folder in entries(base) {
        let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !folder.is_dir() || !ids.iter().any(|id| id.eq_ignore_ascii_case(name)) {
            problems.push(format!("{}: no rule of that id", shown(base, &folder)));
            continue;
        }
        for inner in entries(&folder) {
            let kind = inner.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !inner.is_dir() || !KINDS.contains(&kind) {
                problems.push(format!(
                    "{}: only fires/ and near-miss/ belong here",
                    shown(base, &inner)
                ));
                continue;
            }
            for case in entries(&inner) {
                if !is_case(&case) {
                    problems.push(format!(
                        "{}: not a case (a .yaml, .yml or .json file, or a directory; a config belongs in a directory case)",
                        shown(base, &case)
                    ));
                }
            }
        }
    }
    problems
}

/// `rules/tg001/fires`: a path as the messages show it.
fn shown(base: &Path, path: &Path) -> String {
    let inner = path.strip_prefix(base).unwrap_or(path);
    format!("rules/{}", inner.display())
}

fn rule_ids() -> Vec<String> {
    tokenguard::rules::ALL
        .iter()
        .map(|rule| rule.meta.id.to_string())
        .collect()
}

#[test]
fn every_rule_has_cases_that_fire_and_near_misses() {
    let problems = layout_problems(&fixture("rules"), &rule_ids());
    assert!(
        problems.is_empty(),
        "fixtures/rules does not follow its convention:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn every_rule_case_gives_exactly_its_expected_findings() {
    let base = fixture("rules");
    let mut failures = Vec::new();
    let mut checked = 0;
    for id in rule_ids() {
        for kind in KINDS {
            let dir = base.join(id.to_ascii_lowercase()).join(kind);
            if !dir.is_dir() {
                continue; // every_rule_has_cases_that_fire_and_near_misses says so
            }
            for case in entries(&dir).into_iter().filter(|p| is_case(p)) {
                checked += 1;
                if let Err(problem) = check_case(&id, kind, &case) {
                    failures.push(format!("{}: {problem}", shown(&base, &case)));
                }
            }
        }
    }
    assert!(checked > 0, "no case found under {}", base.display());
    assert!(
        failures.is_empty(),
        "{} of {checked} rule cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
