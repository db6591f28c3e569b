//! SPEC 3.3 and the location column of SPEC 6: every finding points at the key an editor
//! shows, 1-based, in characters, and its end covers the key and a scalar value (one past
//! the last character), whatever the document layout, line endings or encoding.

use crate::common::{expect, fixture, message, related, result, rows, sarif_of};

#[test]
fn tg001_prefers_the_automount_key_then_the_service_account_keys_then_the_pod_spec_key() {
    let sarif = sarif_of("locations/key-choice");
    assert_eq!(
        rows(&sarif),
        expect(&[
            // automountServiceAccountToken wins over the serviceAccountName above it.
            ("TG001", "workloads.yaml", 10, 3, 10, 37, "error"),
            // serviceAccountName, written after the containers.
            ("TG001", "workloads.yaml", 20, 3, 20, 29, "error"),
            // the deprecated serviceAccount.
            ("TG001", "workloads.yaml", 29, 3, 29, 25, "error"),
            ("TG011", "workloads.yaml", 29, 3, 29, 25, "warning"),
            // nothing: the `spec` key of the Pod, without a value to cover.
            ("TG001", "workloads.yaml", 36, 1, 36, 5, "error"),
            // TG002 on metadata.name (after namespace), else on the automount key.
            ("TG002", "workloads.yaml", 44, 3, 44, 15, "warning"),
            ("TG002", "workloads.yaml", 49, 1, 49, 35, "warning"),
        ])
    );
    let runner = (
        "workloads.yaml".to_owned(),
        44,
        3,
        44,
        15,
        "ServiceAccount loc/runner does not set automountServiceAccountToken".to_owned(),
    );
    for pod in ["with-automount", "with-name", "with-deprecated-field"] {
        let tg001 = result(&sarif, "TG001", &format!("loc/Pod/{pod}"));
        assert_eq!(related(tg001), std::slice::from_ref(&runner), "{pod}");
    }
    assert_eq!(
        related(result(&sarif, "TG001", "loc/Pod/with-nothing")),
        [(
            "workloads.yaml".to_owned(),
            49,
            1,
            49,
            35,
            "ServiceAccount loc/default sets automountServiceAccountToken: true".to_owned()
        )]
    );
}

#[test]
fn positions_are_exact_in_every_document_of_a_stream() {
    assert_eq!(
        rows(&sarif_of("locations/multi-document")),
        expect(&[
            ("TG002", "stream.yaml", 7, 3, 7, 14, "warning"),
            ("TG001", "stream.yaml", 37, 7, 37, 40, "error"),
            ("TG010", "stream.yaml", 37, 7, 37, 40, "warning"),
            ("TG002", "stream.yaml", 43, 12, 43, 22, "warning"),
        ])
    );
}

#[test]
fn positions_ignore_carriage_returns_in_crlf_files() {
    let bytes = std::fs::read(fixture("locations/crlf/windows.yaml")).unwrap();
    assert_eq!(
        bytes.windows(2).filter(|w| w == b"\r\n").count(),
        bytes.iter().filter(|&&b| b == b'\n').count(),
        "the fixture must keep its CRLF line endings"
    );
    let sarif = sarif_of("locations/crlf");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "windows.yaml", 5, 3, 5, 15, "warning"),
            ("TG001", "windows.yaml", 21, 7, 21, 39, "error"),
            ("TG010", "windows.yaml", 21, 7, 21, 39, "warning"),
        ])
    );
    // No carriage return leaks into values read from the file.
    assert!(
        message(result(&sarif, "TG010", "win/Deployment/editor"))
            .contains("`on` is a YAML 1.1-only boolean: kubectl reads it as true")
    );
}

#[test]
fn a_byte_order_mark_takes_no_column() {
    for file in ["block.yaml", "minified.json"] {
        let bytes = std::fs::read(fixture("locations/bom").join(file)).unwrap();
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "{file} must keep its BOM"
        );
    }
    let sarif = sarif_of("locations/bom");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "block.yaml", 5, 3, 5, 18, "warning"),
            // `{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name"` puts the
            // `"name"` key at column 56 of line 1, the BOM not counted.
            ("TG002", "minified.json", 1, 56, 1, 73, "warning"),
        ])
    );
    result(&sarif, "TG002", "win/ServiceAccount/bom-json");
}

#[test]
fn json_keys_are_located_with_their_quotes_and_tabs_count_as_one_column() {
    let sarif = sarif_of("locations/json");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "service-account.json", 5, 5, 5, 41, "warning"),
            ("TG001", "tabbed.json", 13, 5, 13, 35, "error"),
        ])
    );
    let tg001 = result(&sarif, "TG001", "json/Deployment/tabbed");
    assert!(
        message(tg001).contains("the service account sets it to true"),
        "{}",
        message(tg001)
    );
    assert_eq!(
        related(tg001),
        [(
            "service-account.json".to_owned(),
            5,
            5,
            5,
            41,
            "ServiceAccount json/tabbed sets automountServiceAccountToken: true".to_owned()
        )]
    );
}

#[test]
fn list_items_are_objects_located_inside_the_list() {
    let sarif = sarif_of("locations/list");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "list.yaml", 10, 7, 10, 19, "warning"),
            ("TG001", "list.yaml", 22, 11, 22, 37, "error"),
            ("TG002", "typed-list.yaml", 8, 3, 8, 34, "warning"),
            ("TG010", "typed-list.yaml", 8, 3, 8, 34, "warning"),
        ])
    );
    // The List itself is not an object, its non-object item is ignored.
    assert_eq!(
        crate::common::summary(&fixture("locations/list"), &[]),
        "1 error, 3 warnings, 0 notes in 2 files (3 objects, 1 workload, 2 service accounts)"
    );
}

#[test]
fn anchors_aliases_and_merge_keys_resolve_and_point_where_the_key_is_written() {
    let sarif = sarif_of("locations/anchors");
    // blue, green (merged) and yellow (aliased) all get their automountServiceAccountToken
    // from the key written once, in blue's pod spec; red's own `false` wins over the
    // merged `true`. The ServiceAccount `green` merges `automountServiceAccountToken:
    // false` from `web`: no TG002 for either.
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG001", "anchors.yaml", 18, 11, 18, 45, "error"),
            ("TG001", "anchors.yaml", 18, 11, 18, 45, "error"),
            ("TG001", "anchors.yaml", 18, 11, 18, 45, "error"),
        ])
    );
    let web_sa = |name: &str| {
        (
            "anchors.yaml".to_owned(),
            62,
            5,
            62,
            40,
            format!("ServiceAccount colors/{name} sets automountServiceAccountToken: false"),
        )
    };
    let blue = result(&sarif, "TG001", "colors/Deployment/blue");
    assert!(message(blue).contains("service account colors/web, which is not trusted: the pod spec sets automountServiceAccountToken: true."));
    assert_eq!(related(blue), [web_sa("web")]);
    // green's explicit serviceAccountName wins over the merged one.
    let green = result(&sarif, "TG001", "colors/Deployment/green");
    assert!(message(green).contains("service account colors/green, which is not trusted: the pod spec sets automountServiceAccountToken: true."));
    assert_eq!(related(green), [web_sa("green")]);
    let yellow = result(&sarif, "TG001", "colors/PodTemplate/yellow");
    assert_eq!(related(yellow), [web_sa("web")]);
    assert_eq!(
        crate::common::summary(&fixture("locations/anchors"), &[]),
        "3 errors, 0 warnings, 0 notes in 1 file (6 objects, 4 workloads, 2 service accounts)"
    );
}

#[test]
fn columns_count_unicode_code_points_not_bytes() {
    let sarif = sarif_of("locations/unicode");
    assert_eq!(
        rows(&sarif),
        expect(&[
            // After `"équipe données 🚀"`: column 54 (59 if bytes were counted).
            ("TG002", "annotations.yaml", 5, 54, 5, 68, "warning"),
            // After `"Grüß Gott 👋"`: column 91 (96 if bytes were counted).
            ("TG001", "annotations.yaml", 16, 91, 16, 119, "error"),
        ])
    );
    assert_eq!(
        sarif["runs"][0]["columnKind"], "unicodeCodePoints",
        "SARIF must say how columns are counted"
    );
}
