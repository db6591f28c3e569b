//! SPEC 8.1: every SARIF tokenguard writes is valid against the official OASIS SARIF 2.1.0
//! schema (vendored in tests/schemas, draft-04, checked offline with format checks on) and
//! has the structure GitHub code scanning relies on.

use std::collections::HashSet;
use std::path::Path;

use crate::common::{
    FIXTURE_ROOTS, copy_tree, expect, fixture, related, result, results, rows, sarif_of, scan_sarif,
};
use serde_json::{Value, json};

fn schema() -> Value {
    let text =
        std::fs::read_to_string(crate::common::repo().join("tests/schemas/sarif-2.1.0.json"))
            .expect("the vendored schema");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("the OASIS schema compiles")
}

/// Every schema violation, one line each.
fn violations(validator: &jsonschema::Validator, sarif: &Value) -> Vec<String> {
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// RFC 3986 percent-encoding of a path, everything but unreserved characters and `/`.
fn percent_encode(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn root_uri(dir: &Path) -> String {
    format!("file://{}/", percent_encode(dir.to_str().unwrap()))
}

#[test]
fn the_vendored_schema_is_the_oasis_draft_04_schema() {
    let schema = schema();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-04/schema#");
    assert_eq!(
        schema["id"],
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    );
    assert_eq!(schema["properties"]["version"]["enum"], json!(["2.1.0"]));
}

/// Turns valid SARIF into invalid SARIF.
type Breakage = fn(&mut Value);

#[test]
fn the_validator_rejects_broken_sarif() {
    let validator = validator();
    let good = sarif_of("demo");
    assert_eq!(violations(&validator, &good), Vec::<String>::new());

    let broken: [(&str, Breakage); 9] = [
        ("no version", |s| {
            s.as_object_mut().unwrap().remove("version");
        }),
        ("wrong version", |s| s["version"] = json!("2.0.0")),
        ("unknown top-level property", |s| s["extra"] = json!(true)),
        ("unknown level", |s| {
            s["runs"][0]["results"][0]["level"] = json!("fatal")
        }),
        ("line 0", |s| {
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                json!(0)
        }),
        ("message without text", |s| {
            s["runs"][0]["results"][0]["message"] = json!({})
        }),
        ("tool without driver", |s| s["runs"][0]["tool"] = json!({})),
        ("informationUri that is not a URI (format check)", |s| {
            s["runs"][0]["tool"]["driver"]["informationUri"] = json!("not a uri")
        }),
        ("rules not an array", |s| {
            s["runs"][0]["tool"]["driver"]["rules"] = json!({})
        }),
    ];
    for (what, break_it) in broken {
        let mut sarif = good.clone();
        break_it(&mut sarif);
        assert!(
            !violations(&validator, &sarif).is_empty(),
            "the validator accepted SARIF with {what}"
        );
    }
}

#[test]
fn every_sarif_from_every_fixture_is_valid() {
    let validator = validator();
    let mut checked = 0;
    for rel in FIXTURE_ROOTS {
        let sarif = sarif_of(rel);
        assert_eq!(
            violations(&validator, &sarif),
            Vec::<String>::new(),
            "{rel}"
        );
        checked += 1;
    }
    // The whole fixtures tree as one repository, and runs with flags that change output.
    let all = scan_sarif(&fixture(""), &[]);
    assert_eq!(violations(&validator, &all), Vec::<String>::new());
    for (rel, extra) in [
        ("demo", &["--category", "tokenguard/demo"][..]),
        (
            "semantics/default-namespace",
            &["--default-namespace", "tools"],
        ),
        ("cli/discovery", &["--include", "**/*.txt"]),
    ] {
        let sarif = scan_sarif(&fixture(rel), extra);
        assert_eq!(
            violations(&validator, &sarif),
            Vec::<String>::new(),
            "{rel} {extra:?}"
        );
    }
    // Standard input, and a file outside the root (an absolute file: URI).
    let tmp = tempfile::tempdir().unwrap();
    let outside = fixture("rules/tg001/fires/checkout/checkout.yaml");
    let out = crate::common::output(
        crate::common::tokenguard()
            .args(["scan", "--format", "sarif", "--root"])
            .arg(tmp.path())
            .arg(&outside)
            .arg("-")
            .write_stdin(std::fs::read(&outside).unwrap()),
    );
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(violations(&validator, &sarif), Vec::<String>::new());
    let uris: Vec<String> = rows(&sarif).into_iter().map(|r| r.1).collect();
    assert_eq!(
        uris,
        [
            format!("file://{}", percent_encode(outside.to_str().unwrap())),
            "%3Cstdin%3E".to_owned(),
        ]
    );
    assert!(
        results(&sarif)[0]["locations"][0]["physicalLocation"]["artifactLocation"]
            .get("uriBaseId")
            .is_none()
    );
    assert_eq!(checked, FIXTURE_ROOTS.len());
}

#[test]
fn driver_and_rule_descriptors_carry_what_github_needs() {
    let sarif = sarif_of("demo");
    assert!(
        [
            "https://json.schemastore.org/sarif-2.1.0.json",
            "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        ]
        .contains(&sarif["$schema"].as_str().unwrap()),
        "{}",
        sarif["$schema"]
    );
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "tokenguard");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert_eq!(run["automationDetails"]["id"], "tokenguard/");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "TG000", "TG001", "TG002", "TG003", "TG004", "TG005", "TG006", "TG007", "TG008",
            "TG009", "TG010", "TG011", "TG012", "TG013", "TG014", "TG015"
        ]
    );
    let severities: Vec<&str> = rules
        .iter()
        .map(|r| r["properties"]["security-severity"].as_str().unwrap())
        .collect();
    // SPEC 6: TG014 9.5, TG006 8.5, TG005 8.0, TG001 and TG003 7.5, TG007 6.5, TG000 5.0,
    // the others 4.0 or less.
    let severity = |id: &str| severities[ids.iter().position(|i| *i == id).unwrap()];
    for (id, want) in [
        ("TG014", "9.5"),
        ("TG006", "8.5"),
        ("TG005", "8.0"),
        ("TG001", "7.5"),
        ("TG003", "7.5"),
        ("TG007", "6.5"),
        ("TG000", "5.0"),
    ] {
        assert_eq!(severity(id), want, "{id}");
    }
    for id in [
        "TG002", "TG004", "TG008", "TG009", "TG010", "TG011", "TG012", "TG013", "TG015",
    ] {
        assert!(severity(id).parse::<f64>().unwrap() <= 4.0, "{id}");
    }
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(rule["name"].as_str().is_some_and(|n| !n.is_empty()), "{id}");
        for description in ["shortDescription", "fullDescription"] {
            let text = rule[description]["text"].as_str().unwrap();
            assert!(!text.is_empty(), "{id} {description}");
            assert!(text.chars().count() <= 1024, "{id} {description}");
        }
        let markdown = rule["help"]["markdown"].as_str().unwrap();
        assert!(markdown.starts_with(&format!("## {id} ")), "{id}");
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(
            rule["helpUri"].as_str().unwrap().starts_with("https://"),
            "{id}"
        );
        assert!(
            ["error", "warning", "note"]
                .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap()),
            "{id}"
        );
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.len() <= 10, "{id}: {tags:?}");
        assert!(
            tags.contains(&"security") && tags.contains(&"kubernetes"),
            "{id}: {tags:?}"
        );
        assert!(rule["properties"]["precision"].is_string(), "{id}");
        let severity = rule["properties"]["security-severity"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: security-severity must be a string"));
        let score: f64 = severity
            .parse()
            .unwrap_or_else(|_| panic!("{id}: {severity} is not numeric"));
        assert!(score > 0.0 && score <= 10.0, "{id}: {score}");
    }
}

#[test]
fn results_reference_their_rule_and_the_source_root() {
    for rel in FIXTURE_ROOTS {
        let dir = fixture(rel);
        let sarif = scan_sarif(&dir, &[]);
        let run = &sarif["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"]["%SRCROOT%"],
            json!({"uri": root_uri(&dir)}),
            "{rel}"
        );
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let mut fingerprints = HashSet::new();
        for r in results(&sarif) {
            let id = r["ruleId"].as_str().unwrap();
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], id, "{rel}");
            assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
            let locations = r["locations"].as_array().unwrap();
            assert_eq!(locations.len(), 1, "{rel}");
            let artifact = &locations[0]["physicalLocation"]["artifactLocation"];
            assert_eq!(artifact["uriBaseId"], "%SRCROOT%", "{rel}");
            let uri = artifact["uri"].as_str().unwrap();
            assert!(!uri.starts_with('/') && !uri.contains('\\'), "{rel}: {uri}");
            let region = &locations[0]["physicalLocation"]["region"];
            for key in ["startLine", "startColumn", "endLine", "endColumn"] {
                assert!(region[key].as_u64().unwrap() >= 1, "{rel} {key}");
            }
            let start = (region["startLine"].as_u64(), region["startColumn"].as_u64());
            let end = (region["endLine"].as_u64(), region["endColumn"].as_u64());
            assert!(end > start, "{rel}: an empty region");

            let fingerprint = r["partialFingerprints"]["tokenguard/v1"]
                .as_str()
                .unwrap_or_else(|| panic!("{rel}: no partialFingerprints"));
            assert!(!fingerprint.is_empty());
            assert!(
                fingerprints.insert(fingerprint.to_owned()),
                "{rel}: fingerprint {fingerprint} is not unique"
            );

            // Findings about a file or a config entry are about no Kubernetes object.
            if ["TG000", "TG012", "TG013"].contains(&id) {
                assert!(locations[0]["logicalLocations"].is_null(), "{rel}");
                continue;
            }
            let logical = &locations[0]["logicalLocations"];
            assert_eq!(logical.as_array().unwrap().len(), 1, "{rel}");
            let props = &r["properties"];
            let fqn = format!(
                "{}/{}/{}",
                props["namespace"].as_str().unwrap(),
                props["kind"].as_str().unwrap(),
                props["name"].as_str().unwrap()
            );
            assert_eq!(logical[0]["fullyQualifiedName"], fqn.as_str(), "{rel}");
            assert_eq!(logical[0]["name"], props["name"], "{rel}");
            if ["TG001", "TG002", "TG003", "TG009", "TG014"].contains(&id) {
                let sa = props["serviceAccount"].as_str().unwrap();
                assert_eq!(sa.split('/').count(), 2, "{rel}: {sa}");
                assert!(r["message"]["text"].as_str().unwrap().contains(sa));
            }
        }
    }
}

#[test]
fn logical_locations_and_properties_name_the_object() {
    let sarif = sarif_of("demo");
    let tg001 = result(&sarif, "TG001", "ci/CronJob/nightly-report");
    assert_eq!(
        tg001["locations"][0]["logicalLocations"],
        json!([{"name": "nightly-report", "fullyQualifiedName": "ci/CronJob/nightly-report", "kind": "resource"}])
    );
    assert_eq!(
        tg001["properties"],
        json!({"namespace": "ci", "kind": "CronJob", "name": "nightly-report", "serviceAccount": "ci/reporter"})
    );
}

#[test]
fn tg001_related_locations_point_at_the_service_account_in_another_file() {
    let sarif = sarif_of("sarif/related");
    let tg001 = result(&sarif, "TG001", "related/Deployment/web");
    assert_eq!(
        tg001["relatedLocations"],
        json!([{
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "accounts/web.yaml", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 7, "startColumn": 1, "endLine": 7, "endColumn": 35}
            },
            "message": {"text": "ServiceAccount related/web sets automountServiceAccountToken: true"}
        }])
    );
    // Without the ServiceAccount in the scan there is nothing to relate.
    let lonely = scan_sarif(&fixture("rules/tg001/fires/checkout"), &[]);
    assert!(results(&lonely)[0].get("relatedLocations").is_none());
    assert_eq!(related(&results(&lonely)[0]), []);
}

#[test]
fn uris_are_percent_encoded_relative_paths() {
    let sarif = sarif_of("sarif/uri");
    assert_eq!(
        rows(&sarif),
        expect(&[(
            "TG002",
            "team%20a/100%25%20api.yaml",
            5,
            3,
            5,
            16,
            "warning"
        )])
    );
    // A root with a space is percent-encoded in originalUriBaseIds too.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("my repo");
    copy_tree(&fixture("sarif/uri"), &root);
    let sarif = scan_sarif(&root, &[]);
    let base = sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(base.starts_with("file:///"), "{base}");
    assert!(base.ends_with("/my%20repo/"), "{base}");
    assert!(!base.contains(' '));
    assert_eq!(base, root_uri(&root));
}

#[test]
fn fingerprints_survive_lines_moving_but_start_lines_do_not() {
    for rel in ["demo", "rules/tg000/fires", "semantics/automount"] {
        let tmp = tempfile::tempdir().unwrap();
        copy_tree(&fixture(rel), tmp.path());
        let mut moved_files = 0;
        for entry in walk(tmp.path()) {
            let is_manifest = entry
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
            let name = entry.file_name().unwrap().to_str().unwrap();
            if is_manifest && !name.starts_with('.') {
                let mut bytes = b"\n\n\n".to_vec();
                bytes.extend(std::fs::read(&entry).unwrap());
                std::fs::write(&entry, bytes).unwrap();
                moved_files += 1;
            }
        }
        assert!(moved_files > 0);
        let before = sarif_of(rel);
        let after = scan_sarif(tmp.path(), &[]);
        let fingerprints = |s: &Value| -> Vec<Value> {
            results(s)
                .iter()
                .map(|r| r["partialFingerprints"].clone())
                .collect()
        };
        assert_eq!(fingerprints(&before), fingerprints(&after), "{rel}");
        let lines = |s: &Value| -> Vec<u64> { rows(s).into_iter().map(|r| r.2).collect() };
        let shifted: Vec<u64> = lines(&before).into_iter().map(|l| l + 3).collect();
        assert_eq!(lines(&after), shifted, "{rel}");
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn skipped_files_are_tool_execution_notifications() {
    let sarif = sarif_of("inputs/helm-template-text");
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"],
        json!([{
            "level": "note",
            "message": {"text": "rendered-later.yaml: skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "rendered-later.yaml", "uriBaseId": "%SRCROOT%"}}}]
        }])
    );
}

#[test]
fn every_fixture_file_belongs_to_a_listed_root() {
    let base = fixture("");
    let roots: Vec<std::path::PathBuf> = FIXTURE_ROOTS
        .iter()
        .chain(crate::common::CONFIG_ERROR_ROOTS)
        .map(|r| base.join(r))
        .collect();
    for file in walk(&base) {
        if file.parent() == Some(base.as_path()) {
            continue; // fixtures/.gitattributes
        }
        assert!(
            roots.iter().any(|r| file.starts_with(r)),
            "{} is in no fixture root of tests/it/common.rs",
            file.display()
        );
    }
}

#[test]
fn the_sarif_of_the_shared_corpus_is_valid() {
    let corpus = crate::common::repo().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} does not exist", corpus.display());
        return;
    }
    let sarif = scan_sarif(&corpus, &[]);
    assert!(results(&sarif).len() > 100);
    assert_eq!(violations(&validator(), &sarif), Vec::<String>::new());
}
