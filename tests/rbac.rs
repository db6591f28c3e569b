//! RBAC (SPEC 4.6, rules TG006, TG007, TG008, TG014): the API server's matching, bindings
//! to subjects, tokenCreators and trust, each finding at the exact key SPEC 6 names.

mod common;

use common::{Row, expect, fixture, results, rows, sarif_of, scan_sarif_output};
use serde_json::Value;

fn sarif() -> Value {
    assert_eq!(scan_sarif_output(&fixture("rbac"), &[]).code, 1);
    sarif_of("rbac")
}

fn row(rule: &str, uri: &str, line: u64, col: u64, end: u64, level: &str) -> Row {
    expect(&[(rule, uri, line, col, line, end, level)]).remove(0)
}

/// The message of the result of `rule` that starts on `line`.
fn message(sarif: &Value, rule: &str, line: u64) -> String {
    results(sarif)
        .iter()
        .find(|r| {
            r["ruleId"] == rule
                && r["locations"][0]["physicalLocation"]["region"]["startLine"] == line
        })
        .map(common::message)
        .unwrap_or_else(|| panic!("no {rule} at line {line}"))
}

#[test]
fn every_rbac_finding_and_no_other() {
    let sarif = sarif();
    assert_eq!(
        rows(&sarif),
        vec![
            // bound to ci/pipeline, which is not a tokenCreator
            row("TG006", "roles.yaml", 10, 5, 10, "error"),
            // vault-token-minter (line 19) is bound only to the tokenCreator vault/vault: no finding
            // unbound, and limited by resourceNames
            row("TG006", "roles.yaml", 30, 5, 10, "warning"),
            // the CIS-style example names a resource that does not exist, and serviceaccounts/*
            row("TG008", "roles.yaml", 39, 5, 14, "warning"),
            row("TG008", "roles.yaml", 42, 5, 14, "warning"),
            // near-misses (apps/*, get on serviceaccounts/token, configmaps) grant nothing
            // secret-reader is bound to every service account of shop
            row("TG007", "roles.yaml", 69, 5, 10, "warning"),
            // backup reads secrets but only the trusted platform/backup is bound: no TG007
            row("TG014", "workloads.yaml", 13, 7, 30, "error"),
            row("TG002", "workloads.yaml", 19, 3, 12, "warning"),
            row("TG014", "workloads.yaml", 29, 5, 9, "error"),
            row("TG001", "workloads.yaml", 37, 1, 5, "error"),
        ]
    );
}

#[test]
fn token_minting_messages_name_subjects_scope_and_bindings() {
    let sarif = sarif();
    let bound = message(&sarif, "TG006", 10);
    assert!(bound.starts_with("ClusterRole token-minter rule 1 allows create on serviceaccounts/token, minting API tokens for any service account; it is bound to ServiceAccount:ci/pipeline through ClusterRoleBinding ci-mints-tokens (bindings.yaml:4), not in tokenCreators."), "{bound}");
    let scoped = message(&sarif, "TG006", 30);
    assert!(
        scoped.contains("only for service account(s) deployer; nothing in the scan binds it"),
        "{scoped}"
    );
    let related = &results(&sarif)[0]["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "bindings.yaml"
    );
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 4);
}

#[test]
fn lookalike_resources_say_why_they_grant_nothing() {
    let sarif = sarif();
    assert!(
        message(&sarif, "TG008", 39)
            .contains("`serviceaccounttokens`, which is not a Kubernetes resource")
    );
    assert!(message(&sarif, "TG008", 42).contains("`serviceaccounts/*`, which is not a wildcard"));
}

#[test]
fn secret_reading_through_a_service_account_group() {
    let sarif = sarif();
    let text = message(&sarif, "TG007", 69);
    assert!(text.contains("bound to every service account of namespace shop (group system:serviceaccounts:shop) through RoleBinding shop/shop-secrets (bindings.yaml:30)"), "{text}");
}

#[test]
fn privileged_automount_replaces_tg001_and_links_the_bindings() {
    let sarif = sarif();
    let text = message(&sarif, "TG014", 13);
    assert!(text.starts_with("Deployment shop/api mounts an API token for service account shop/api, which is not trusted and is bound to powerful RBAC (RoleBinding shop/shop-secrets (bindings.yaml:30) grants read secrets; RoleBinding shop/api-admin (bindings.yaml:57) grants everything (* on *)):"), "{text}");
    let api = results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "TG014")
        .unwrap();
    let related: Vec<(String, u64)> = api["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                l["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        related,
        vec![
            ("workloads.yaml".to_owned(), 19),
            ("bindings.yaml".to_owned(), 30),
            ("bindings.yaml".to_owned(), 57)
        ]
    );
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let tg014 = rules.iter().find(|r| r["id"] == "TG014").unwrap();
    assert_eq!(tg014["properties"]["security-severity"], "9.5");
}

#[test]
fn aggregated_cluster_roles_and_built_in_view() {
    let sarif = sarif_of("rbac-aggregation");
    assert_eq!(
        rows(&sarif),
        vec![
            // the member's rule reaches monitoring/agent through the aggregating ClusterRole
            row("TG007", "rbac.yaml", 22, 5, 10, "warning"),
            row("TG009", "rbac.yaml", 49, 7, 32, "note"),
            row("TG014", "rbac.yaml", 49, 7, 32, "error"),
            // `view` is not powerful: TG001, which mentions the binding
            row("TG001", "rbac.yaml", 57, 1, 5, "error"),
        ]
    );
    assert!(
        message(&sarif, "TG014", 49)
            .contains("(ClusterRoleBinding agent-monitoring (rbac.yaml:27) grants read secrets)")
    );
    assert!(
        message(&sarif, "TG001", 57)
            .contains("It is also bound by RoleBinding docs/docs-view (rbac.yaml:35).")
    );
}

#[test]
fn an_unused_token_creator_entry_is_tg013_and_a_used_one_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    common::copy_tree(&fixture("rbac"), tmp.path());
    let config = tmp.path().join(".tokenguard.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text += "  - subject: Group:ci-brokers\n    reason: nothing binds this group\n";
    // Both spellings of the User subject system:serviceaccount:shop:api (bindings.yaml:61).
    text += "  - subject: ServiceAccount:shop/api\n    reason: bound as a user\n";
    text += "  - subject: User:system:serviceaccount:shop:*\n    reason: as written\n";
    std::fs::write(&config, text).unwrap();
    let sarif = common::scan_sarif(tmp.path(), &[]);
    let tg013: Vec<_> = rows(&sarif)
        .into_iter()
        .filter(|r| r.0 == "TG013")
        .collect();
    // ServiceAccount:vault/vault (line 5) is a subject of vault-mints-tokens, and the
    // last two entries match a User subject: none of them is reported.
    assert_eq!(
        tg013,
        vec![row("TG013", ".tokenguard.yaml", 7, 5, 12, "note")]
    );
    assert!(message(&sarif, "TG013", 7).starts_with(
        "The tokenCreators entry `Group:ci-brokers` matches no subject of any RoleBinding or ClusterRoleBinding"
    ));
}
