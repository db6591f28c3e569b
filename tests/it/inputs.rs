//! SPEC 3.2: what is a manifest. Helm templates are skipped with a notification (never a
//! TG000), a valid manifest holding `{{` is scanned, Kustomize files and other YAML are
//! not objects.

use crate::common::{expect, fixture, notifications, result, rows, sarif_of, summary};

const HELM_NOTE: &str = "skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)";

#[test]
fn a_chart_templates_folder_is_skipped_with_notifications_not_tg000() {
    let sarif = sarif_of("inputs/helm-chart");
    assert_eq!(rows(&sarif), expect(&[]));
    assert_eq!(
        notifications(&sarif),
        [
            format!("templates/deployment.yaml: {HELM_NOTE}"),
            format!("templates/serviceaccount.yaml: {HELM_NOTE}"),
            format!("templates/tests/test-connection.yaml: {HELM_NOTE}"),
            // A scan that found nothing says why.
            "no Kubernetes objects in 5 files, 3 of them Helm chart templates; render the chart and scan that: helm template . | tokenguard scan -".to_owned(),
        ]
    );
    let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    for (note, uri) in notes.iter().zip([
        "templates/deployment.yaml",
        "templates/serviceaccount.yaml",
        "templates/tests/test-connection.yaml",
    ]) {
        assert_eq!(note["level"], "note");
        assert_eq!(
            note["locations"][0]["physicalLocation"]["artifactLocation"],
            serde_json::json!({"uri": uri, "uriBaseId": "%SRCROOT%"})
        );
    }
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        true
    );
    // Chart.yaml and values.yaml are YAML but not objects.
    assert_eq!(
        summary(&fixture("inputs/helm-chart"), &[]),
        "0 errors, 0 warnings, 0 notes in 5 files (0 objects, 0 workloads, 0 service accounts), 3 skipped"
    );
}

#[test]
fn a_templates_folder_without_chart_yaml_is_scanned() {
    assert_eq!(
        rows(&sarif_of("inputs/templates-without-chart")),
        expect(&[(
            "TG002",
            "templates/serviceaccount.yaml",
            5,
            3,
            5,
            20,
            "warning"
        )])
    );
}

#[test]
fn unparseable_text_with_template_actions_is_skipped_but_valid_yaml_with_braces_is_scanned() {
    let sarif = sarif_of("inputs/helm-template-text");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "alert-rules.yaml", 23, 5, 23, 9, "error")])
    );
    result(&sarif, "TG001", "alerting/Deployment/alertmanager-bot");
    assert_eq!(
        notifications(&sarif),
        [format!("rendered-later.yaml: {HELM_NOTE}")]
    );
    assert_eq!(
        summary(&fixture("inputs/helm-template-text"), &[]),
        "1 error, 0 warnings, 0 notes in 2 files (2 objects, 1 workload, 0 service accounts), 1 skipped"
    );
}

#[test]
fn kustomization_files_are_not_objects() {
    let sarif = sarif_of("inputs/kustomization");
    // Two roots render the one ServiceAccount: `.` into its namespace `shop`, and
    // `base` (which no kustomization lists) into the default namespace. Both point at
    // the key in the base file, and neither kustomization is an object.
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "base/service-account.yaml", 5, 3, 5, 13, "warning"),
            ("TG002", "base/service-account.yaml", 5, 3, 5, 13, "warning"),
        ])
    );
    result(&sarif, "TG002", "default/ServiceAccount/cart");
    result(&sarif, "TG002", "shop/ServiceAccount/cart");
    assert_eq!(notifications(&sarif), Vec::<String>::new());
    assert_eq!(
        summary(&fixture("inputs/kustomization"), &[]),
        "0 errors, 2 warnings, 0 notes in 4 files (2 objects, 0 workloads, 2 service accounts)"
    );
    // File by file, as before rendering: the namespace is not applied.
    assert_eq!(
        summary(&fixture("inputs/kustomization"), &["--no-kustomize"]),
        "0 errors, 1 warning, 0 notes in 4 files (1 object, 0 workloads, 1 service account)"
    );
}

#[test]
fn yaml_and_json_that_are_not_kubernetes_objects_are_ignored_silently() {
    let sarif = sarif_of("inputs/non-kubernetes");
    assert_eq!(rows(&sarif), expect(&[]));
    // No notification for each file, one for the scan that found no object.
    assert_eq!(
        notifications(&sarif),
        ["no Kubernetes objects in 4 files: no document has apiVersion and kind"]
    );
    assert_eq!(
        summary(&fixture("inputs/non-kubernetes"), &[]),
        "0 errors, 0 warnings, 0 notes in 4 files (0 objects, 0 workloads, 0 service accounts)"
    );
}

#[test]
fn yaml_that_kubectl_reads_and_saphyr_refuses_is_scanned_with_exact_positions() {
    // Flow collections closed at their key's column, pasted JSON indented with tabs, a tab
    // after `key:`, a quoted value continued left of its key and a glued comment: no
    // TG000, both workloads judged, each finding on its own key.
    let sarif = sarif_of("inputs/kubectl-reads");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG001", "daemonset.yaml", 21, 7, 21, 38, "error"),
            ("TG009", "daemonset.yaml", 21, 7, 21, 38, "note"),
            ("TG001", "deployment.yaml", 24, 7, 24, 30, "error"),
            ("TG009", "deployment.yaml", 24, 7, 24, 30, "note"),
        ])
    );
    result(&sarif, "TG001", "spire/DaemonSet/spire-agent");
    result(&sarif, "TG001", "shop/Deployment/web");
    assert_eq!(
        summary(&fixture("inputs/kubectl-reads"), &[]),
        "2 errors, 0 warnings, 2 notes in 2 files (2 objects, 2 workloads, 0 service accounts)"
    );
}
