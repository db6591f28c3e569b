//! RBAC (SPEC 4.6, rules TG006, TG007, TG008, TG014): the API server's matching, bindings
//! to subjects, tokenCreators and trust, each finding at the exact key SPEC 6 names.

use crate::common::{Row, expect, fixture, results, rows, sarif_of, scan_sarif_output};
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
        .map(crate::common::message)
        .unwrap_or_else(|| panic!("no {rule} at line {line}"))
}

/// The related locations of the result of `rule` that starts on `line`:
/// `(uri, startLine, message)`.
fn related(sarif: &Value, rule: &str, line: u64) -> Vec<(String, u64, String)> {
    let result = results(sarif)
        .iter()
        .find(|r| {
            r["ruleId"] == rule
                && r["locations"][0]["physicalLocation"]["region"]["startLine"] == line
        })
        .unwrap_or_else(|| panic!("no {rule} at line {line}"));
    result["relatedLocations"]
        .as_array()
        .map(|locations| {
            locations
                .iter()
                .map(|l| {
                    let at = &l["physicalLocation"];
                    (
                        at["artifactLocation"]["uri"].as_str().unwrap().to_owned(),
                        at["region"]["startLine"].as_u64().unwrap(),
                        l["message"]["text"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn note(uri: &str, line: u64, message: &str) -> (String, u64, String) {
    (uri.to_owned(), line, message.to_owned())
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
    // The message names the subjects; the bindings are related locations.
    assert_eq!(
        message(&sarif, "TG006", 10),
        "ClusterRole token-minter rule 1 allows create on serviceaccounts/token, minting API tokens for any service account; it is bound to ServiceAccount:ci/pipeline, not in tokenCreators. Remove the permission or narrow it with resourceNames, or add the subjects to tokenCreators in .tokenguard.yaml with a reason."
    );
    assert_eq!(
        related(&sarif, "TG006", 10),
        [note(
            "bindings.yaml",
            4,
            "ClusterRoleBinding ci-mints-tokens binds it to ServiceAccount:ci/pipeline"
        )]
    );
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
    assert_eq!(
        message(&sarif, "TG007", 69),
        "Role shop/secret-reader rule 1 allows reading secrets, including long-lived service account token Secrets; it is bound to every service account of namespace shop (group system:serviceaccounts:shop), not trusted. Remove the permission or narrow it with resourceNames, or trust the service account in .tokenguard.yaml."
    );
    assert_eq!(
        related(&sarif, "TG007", 69),
        [note(
            "bindings.yaml",
            30,
            "RoleBinding shop/shop-secrets binds it to Group:system:serviceaccounts:shop"
        )]
    );
}

#[test]
fn privileged_automount_replaces_tg001_and_links_the_bindings() {
    let sarif = sarif();
    // The message names the bindings; what each grants is in its related location.
    assert_eq!(
        message(&sarif, "TG014", 13),
        "Deployment shop/api mounts an API token for service account shop/api, which is not trusted and is bound to powerful RBAC by RoleBinding shop/shop-secrets and RoleBinding shop/api-admin: the pod spec does not set automountServiceAccountToken, nor does the service account, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/api in .tokenguard.yaml."
    );
    assert_eq!(
        related(&sarif, "TG014", 13),
        [
            note(
                "workloads.yaml",
                19,
                "ServiceAccount shop/api does not set automountServiceAccountToken"
            ),
            note(
                "bindings.yaml",
                30,
                "RoleBinding shop/shop-secrets binds shop/api to Role secret-reader, which grants read secrets"
            ),
            note(
                "bindings.yaml",
                57,
                "RoleBinding shop/api-admin binds shop/api to ClusterRole cluster-admin, which grants everything (* on *)"
            ),
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
            .contains("is bound to powerful RBAC by ClusterRoleBinding agent-monitoring: ")
    );
    assert_eq!(
        related(&sarif, "TG014", 49),
        [note(
            "rbac.yaml",
            27,
            "ClusterRoleBinding agent-monitoring binds monitoring/agent to ClusterRole monitoring, which grants read secrets"
        )]
    );
    assert!(message(&sarif, "TG001", 57).contains(
        " Kubernetes defaults to true. It is also bound by RoleBinding docs/docs-view. Set "
    ));
    assert_eq!(
        related(&sarif, "TG001", 57),
        [note(
            "rbac.yaml",
            35,
            "RoleBinding docs/docs-view binds docs/default to ClusterRole view"
        )]
    );
}

#[test]
fn an_unused_token_creator_entry_is_tg013_and_a_used_one_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&fixture("rbac"), tmp.path());
    let config = tmp.path().join(".tokenguard.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text += "  - subject: Group:ci-brokers\n    reason: nothing binds this group\n";
    // Both spellings of the User subject system:serviceaccount:shop:api (bindings.yaml:61).
    text += "  - subject: ServiceAccount:shop/api\n    reason: bound as a user\n";
    text += "  - subject: User:system:serviceaccount:shop:*\n    reason: as written\n";
    std::fs::write(&config, text).unwrap();
    let sarif = crate::common::scan_sarif(tmp.path(), &[]);
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
