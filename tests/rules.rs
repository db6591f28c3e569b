//! Each implemented rule fires at the exact position SPEC 6 names, with the level and
//! message it documents, and stays silent on a near miss. Every test compares the whole
//! result list, so an extra or a missing finding fails it.

mod common;

use common::{expect, message, result, results, rows, sarif_of, summary};

#[test]
fn tg000_reports_each_broken_file_at_the_parse_error_and_keeps_other_findings() {
    let sarif = sarif_of("rules/tg000/fires");
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
        summary(&common::fixture("rules/tg000/fires"), &[]),
        "4 errors, 2 warnings, 0 notes in 5 files (2 objects, 0 workloads, 2 service accounts), 4 invalid"
    );
}

#[test]
fn tg000_near_miss_comments_empty_documents_and_document_ends_are_valid() {
    let sarif = sarif_of("rules/tg000/near-miss");
    assert_eq!(rows(&sarif), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg000/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 0 workloads, 1 service account)"
    );
}

#[test]
fn tg001_fires_on_the_pod_spec_key_when_nothing_disables_automounting() {
    let sarif = sarif_of("rules/tg001/fires");
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
    assert_eq!(rows(&sarif_of("rules/tg001/near-miss")), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg001/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 1 workload, 0 service accounts)"
    );
}

#[test]
fn tg002_fires_on_metadata_name_or_on_the_automount_key() {
    let sarif = sarif_of("rules/tg002/fires");
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
    assert_eq!(rows(&sarif_of("rules/tg002/near-miss")), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg002/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 0 workloads, 1 service account)"
    );
}

#[test]
fn tg009_fires_on_service_account_name_of_an_undefined_account() {
    let sarif = sarif_of("rules/tg009/fires");
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
    assert_eq!(rows(&sarif_of("rules/tg009/near-miss")), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg009/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (3 objects, 2 workloads, 1 service account)"
    );
}

#[test]
fn tg010_fires_on_a_yaml_1_1_only_boolean() {
    let sarif = sarif_of("rules/tg010/fires");
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
    assert_eq!(rows(&sarif_of("rules/tg010/near-miss")), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg010/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 1 workload, 0 service accounts)"
    );
}

#[test]
fn tg011_fires_on_the_deprecated_service_account_field() {
    let sarif = sarif_of("rules/tg011/fires");
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
    assert_eq!(rows(&sarif_of("rules/tg011/near-miss")), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg011/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (2 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn tg015_fires_on_the_repeated_key_and_the_object_is_scanned_with_the_last_value() {
    let sarif = sarif_of("rules/tg015/fires");
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
        summary(&common::fixture("rules/tg015/fires"), &[]),
        "0 errors, 5 warnings, 0 notes in 3 files (3 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn tg015_near_miss_distinct_keys_merge_keys_and_documents_that_are_no_objects() {
    assert_eq!(rows(&sarif_of("rules/tg015/near-miss")), expect(&[]));
    assert_eq!(
        summary(&common::fixture("rules/tg015/near-miss"), &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (1 object, 0 workloads, 0 service accounts)"
    );
}

#[test]
fn the_demo_repository_reports_what_its_readme_shows() {
    let sarif = sarif_of("demo");
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
    assert!(
        message(result(&sarif, "TG014", "shop/Deployment/api")).contains(
            "is bound to powerful RBAC (RoleBinding shop/api-edit (apps/api-rbac.yaml:4) grants read secrets, create pods or workloads, pods/exec, pods/attach, impersonate)"
        )
    );
    // monitoring/prometheus is trusted by the demo's .tokenguard.yaml: nothing about it.
    assert!(results(&sarif).iter().all(|r| {
        !r["message"]["text"]
            .as_str()
            .unwrap()
            .contains("prometheus")
    }));
}
