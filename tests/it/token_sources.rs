//! Token sources beside automounting: projected tokens (TG003, TG004) and legacy token
//! Secrets (TG005), each at the exact key SPEC 6 names, with their near misses.

use crate::common::{expect, fixture, message, result, rows, sarif_of, scan_sarif_output};

#[test]
fn projected_token_of_untrusted_service_account_is_tg003_whatever_automount_says() {
    let sarif = sarif_of("rules/tg003/fires/projected");
    // vault/vault-agent is trusted: its projected token (line 44) is fine.
    assert_eq!(
        rows(&sarif),
        expect(&[("TG003", "projected.yaml", 22, 17, 22, 36, "error")])
    );
    let text = message(result(&sarif, "TG003", "prod/Deployment/payments"));
    assert!(
        text.starts_with("Deployment prod/payments mounts a projected service account token (volume `vault-token`, audience `vault`, valid for 600 s) for service account prod/payments, which is not trusted; projected tokens are mounted whatever automountServiceAccountToken says."),
        "{text}"
    );
    assert_eq!(
        scan_sarif_output(&fixture("rules/tg003/fires/projected"), &[]).code,
        1
    );
}

#[test]
fn tg003_names_the_bindings_once_and_links_each_definition() {
    let tmp = tempfile::tempdir().unwrap();
    crate::common::copy_tree(&fixture("rules/tg003"), tmp.path());
    let binding = |name: &str| {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {name}\n  namespace: prod\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}}\nsubjects:\n  - {{kind: ServiceAccount, name: payments}}\n"
        )
    };
    // The same binding in two rendered bundles, and another one.
    std::fs::write(tmp.path().join("bundle-a.yaml"), binding("payments-config")).unwrap();
    std::fs::write(tmp.path().join("bundle-b.yaml"), binding("payments-config")).unwrap();
    std::fs::write(tmp.path().join("extra.yaml"), binding("payments-extra")).unwrap();
    let sarif = crate::common::scan_sarif(tmp.path(), &[]);
    let tg003 = result(&sarif, "TG003", "prod/Deployment/payments");
    assert!(
        message(tg003).ends_with(" It is bound by RoleBinding prod/payments-config and RoleBinding prod/payments-extra. Remove the serviceAccountToken source, or trust prod/payments in .tokenguard.yaml."),
        "{}",
        message(tg003)
    );
    let related: Vec<(&str, &str)> = tg003["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
                l["message"]["text"].as_str().unwrap(),
            )
        })
        .collect();
    let config = "RoleBinding prod/payments-config binds prod/payments to Role config-reader";
    assert_eq!(
        related,
        [
            ("bundle-a.yaml", config),
            ("bundle-b.yaml", config),
            (
                "extra.yaml",
                "RoleBinding prod/payments-extra binds prod/payments to Role config-reader"
            ),
        ]
    );
}

#[test]
fn projected_token_lifetime_above_the_configured_maximum_is_tg004() {
    let sarif = sarif_of("rules/tg004/fires/lifetimes");
    // 7200 (the maximum), the 3600 default and archiver's 600 do not fire; archiver's
    // second token does, though its first is within the maximum.
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG004", "lifetimes.yaml", 22, 19, 22, 46, "warning"),
            ("TG004", "lifetimes.yaml", 60, 19, 60, 44, "warning"),
        ])
    );
    let second = message(result(&sarif, "TG004", "batch/Job/archiver"));
    assert!(
        second.contains("(volume `week`) valid for 604800 s, more than the 7200 s allowed"),
        "{second}"
    );
    let text = message(result(&sarif, "TG004", "batch/Job/exporter"));
    assert!(
        text.contains("(volume `long`) valid for 31536000 s, more than the 7200 s allowed"),
        "{text}"
    );
    assert_eq!(
        scan_sarif_output(&fixture("rules/tg004/fires/lifetimes"), &[]).code,
        0,
        "a warning does not fail --fail-on error"
    );
}

#[test]
fn service_account_token_secrets_are_tg005_at_their_type_key() {
    let sarif = sarif_of("rules/tg005/fires/secrets");
    // the kubernetes.io/tls Secret does not fire
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG005", "secrets.yaml", 10, 1, 10, 42, "error"),
            ("TG005", "secrets.yaml", 16, 1, 16, 44, "error"),
        ])
    );
    let named = result(&sarif, "TG005", "ci/Secret/ci-deployer-token");
    assert!(message(named).contains("for service account ci/ci-deployer"));
    assert_eq!(named["properties"]["serviceAccount"], "ci/ci-deployer");
    let orphan = result(&sarif, "TG005", "default/Secret/orphan-token");
    assert!(message(orphan).contains("annotation is missing"));
}
