//! Kubernetes semantics of SPEC 4 and the trust config of SPEC 5: which objects are
//! workloads, which service account a pod runs as, whether its token is automounted,
//! how YAML 1.1 booleans read, and what `trusted` and `rules` change.

use crate::common::{
    expect, fixture, message, related, result, results, rows, sarif_of, scan_sarif, summary,
};

#[test]
fn every_workload_kind_of_spec_4_1_gets_tg001_on_the_key_that_opens_its_pod_spec() {
    let sarif = sarif_of("semantics/workload-kinds");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG001", "cronjob.yaml", 12, 9, 12, 13, "error"),
            ("TG001", "daemonset-apps-v1.yaml", 12, 5, 12, 9, "error"),
            (
                "TG001",
                "daemonset-extensions-v1beta1.yaml",
                11,
                5,
                11,
                9,
                "error"
            ),
            ("TG001", "deployment-apps-v1.yaml", 12, 5, 12, 9, "error"),
            (
                "TG001",
                "deployment-extensions-v1beta1.yaml",
                11,
                5,
                11,
                9,
                "error"
            ),
            ("TG001", "job.yaml", 12, 5, 12, 9, "error"),
            ("TG001", "pod.yaml", 7, 1, 7, 5, "error"),
            ("TG001", "podtemplate.yaml", 10, 3, 10, 7, "error"),
            ("TG001", "replicaset-apps-v1.yaml", 12, 5, 12, 9, "error"),
            (
                "TG001",
                "replicaset-extensions-v1beta1.yaml",
                11,
                5,
                11,
                9,
                "error"
            ),
            ("TG001", "replicationcontroller.yaml", 12, 5, 12, 9, "error"),
            ("TG001", "rollout.yaml", 13, 5, 13, 9, "error"),
            ("TG001", "statefulset-apps-v1.yaml", 13, 5, 13, 9, "error"),
            (
                "TG001",
                "statefulset-extensions-v1beta1.yaml",
                12,
                5,
                12,
                9,
                "error"
            ),
        ])
    );
    let objects: Vec<&str> = results(&sarif)
        .iter()
        .map(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        objects,
        [
            "kinds/CronJob/backup",
            "kinds/DaemonSet/agent",
            "kinds/DaemonSet/legacy-agent",
            "kinds/Deployment/web",
            "kinds/Deployment/legacy-web",
            "kinds/Job/migrate",
            "kinds/Pod/debug",
            "kinds/PodTemplate/runner",
            "kinds/ReplicaSet/web-rs",
            "kinds/ReplicaSet/legacy-rs",
            "kinds/ReplicationController/old-web",
            "kinds/Rollout/canary",
            "kinds/StatefulSet/db",
            "kinds/StatefulSet/legacy-db",
        ]
    );
    assert!(
        message(result(&sarif, "TG001", "kinds/CronJob/backup")).starts_with(
            "CronJob kinds/backup mounts an API token for service account kinds/default, which is not trusted: "
        )
    );
    // The look-alike Deployment of example.com is an object, not a workload; the Rollout
    // by reference and the patch without a pod spec are workload objects without a pod
    // spec: counted, never judged.
    assert_eq!(
        summary(&fixture("semantics/workload-kinds"), &[]),
        "14 errors, 0 warnings, 0 notes in 15 files (17 objects, 16 workloads, 0 service accounts)"
    );
}

#[test]
fn config_workload_kinds_add_a_custom_resource_with_its_pod_spec_path() {
    let sarif = sarif_of("semantics/workload-kinds-config");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "cloneset.yaml", 13, 5, 13, 9, "error")])
    );
    assert!(
        message(result(&sarif, "TG001", "kruise/CloneSet/storefront")).starts_with(
            "CloneSet kruise/storefront mounts an API token for service account kruise/default"
        )
    );
    // Without the config the CloneSet is just an object.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("semantics/workload-kinds-config/cloneset.yaml"),
        dir.path().join("cloneset.yaml"),
    )
    .unwrap();
    assert_eq!(rows(&scan_sarif(dir.path(), &[])), expect(&[]));
}

#[test]
fn a_service_account_counts_only_in_its_own_namespace_and_a_missing_namespace_is_the_default() {
    let sarif = sarif_of("semantics/namespaces");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG001", "workloads.yaml", 14, 7, 14, 30, "error"),
            ("TG009", "workloads.yaml", 14, 7, 14, 30, "note"),
            ("TG001", "workloads.yaml", 52, 7, 52, 30, "error"),
            ("TG009", "workloads.yaml", 52, 7, 52, 30, "note"),
        ])
    );
    // staging/api turns automounting off, but prod/api cannot see it.
    let api = result(&sarif, "TG001", "prod/Deployment/api");
    assert!(
        message(api).contains(
            "for service account prod/api, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true."
        ),
        "{}",
        message(api)
    );
    assert_eq!(related(api), []);
    assert!(
        message(result(&sarif, "TG009", "prod/Deployment/api"))
            .contains("which no scanned manifest defines in namespace prod")
    );
    // default/web and web-canary (no namespace) find the ServiceAccount `web` that has no
    // namespace either, and a null namespace (`~`, `null`) is no namespace: the Job
    // `migrate` finds `migrator`. Nothing fires for them.
    assert!(results(&sarif).iter().all(|r| {
        let object = r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            .as_str()
            .unwrap();
        object.starts_with("prod/")
    }));
    assert_eq!(
        summary(&fixture("semantics/namespaces"), &[]),
        "2 errors, 0 warnings, 2 notes in 3 files (8 objects, 5 workloads, 3 service accounts)"
    );
}

#[test]
fn default_namespace_flag_places_objects_without_namespace() {
    let dir = fixture("semantics/default-namespace");
    assert_eq!(
        rows(&scan_sarif(&dir, &[])),
        expect(&[
            ("TG001", "reporter.yaml", 21, 11, 21, 39, "error"),
            ("TG009", "reporter.yaml", 21, 11, 21, 39, "note"),
        ])
    );
    // With `tools` as the default namespace, the ServiceAccount is tools/reporter, which
    // turns automounting off.
    assert_eq!(
        rows(&scan_sarif(&dir, &["--default-namespace", "tools"])),
        expect(&[])
    );
    // An object without namespace is named in it.
    let other = scan_sarif(&dir, &["--default-namespace", "batch"]);
    assert_eq!(
        message(result(&other, "TG001", "tools/CronJob/weekly-report")),
        "CronJob tools/weekly-report mounts an API token for service account tools/reporter, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust tools/reporter in .tokenguard.yaml."
    );
}

#[test]
fn config_default_namespace_applies_and_the_flag_overrides_it() {
    let dir = fixture("semantics/default-namespace-config");
    assert_eq!(rows(&scan_sarif(&dir, &[])), expect(&[]));
    assert_eq!(
        summary(&dir, &[]),
        "0 errors, 0 warnings, 0 notes in 1 file (2 objects, 1 workload, 1 service account)"
    );
    assert_eq!(
        rows(&scan_sarif(&dir, &["--default-namespace", "default"])),
        expect(&[
            ("TG001", "reporter.yaml", 21, 11, 21, 39, "error"),
            ("TG009", "reporter.yaml", 21, 11, 21, 39, "note"),
        ])
    );
}

#[test]
fn effective_automount_follows_the_three_steps_and_a_conflict_means_true() {
    let sarif = sarif_of("semantics/automount");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG001", "pod-spec-wins.yaml", 21, 7, 21, 41, "error"),
            ("TG002", "pod-spec-wins.yaml", 30, 1, 30, 35, "warning"),
            (
                "TG002",
                "service-account-decides.yaml",
                28,
                1,
                28,
                35,
                "warning"
            ),
            (
                "TG001",
                "service-account-decides.yaml",
                41,
                7,
                41,
                34,
                "error"
            ),
            ("TG001", "shared-a.yaml", 20, 7, 20, 33, "error"),
            ("TG002", "shared-b.yaml", 7, 1, 7, 35, "warning"),
        ])
    );

    // Step 1: the pod spec's true wins over the ServiceAccount's false.
    let scraper = result(&sarif, "TG001", "obs/Deployment/scraper");
    assert_eq!(
        message(scraper),
        "Deployment obs/scraper mounts an API token for service account obs/metrics-reader, which is not trusted: the pod spec sets automountServiceAccountToken: true. Set automountServiceAccountToken: false in the pod spec, or trust obs/metrics-reader in .tokenguard.yaml."
    );
    assert_eq!(
        related(scraper),
        [(
            "pod-spec-wins.yaml".to_owned(),
            8,
            1,
            8,
            36,
            "ServiceAccount obs/metrics-reader sets automountServiceAccountToken: false".to_owned()
        )]
    );

    // Step 2: the ServiceAccount's true decides when the pod spec is silent (its false, for
    // batch-runner, keeps the Job `nightly` quiet).
    assert_eq!(
        message(result(&sarif, "TG001", "obs/StatefulSet/indexer")),
        "StatefulSet obs/indexer mounts an API token for service account obs/indexer, which is not trusted: the pod spec does not set automountServiceAccountToken and the service account sets it to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust obs/indexer in .tokenguard.yaml."
    );

    // Defined twice with different values: true, and the message says so.
    let dashboard = result(&sarif, "TG001", "obs/Deployment/dashboard");
    assert_eq!(
        message(dashboard),
        "Deployment obs/dashboard mounts an API token for service account obs/shared, which is not trusted: the pod spec does not set automountServiceAccountToken and the service account is defined more than once with different values, so tokenguard assumes true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust obs/shared in .tokenguard.yaml."
    );
    assert_eq!(
        related(dashboard),
        [
            (
                "shared-a.yaml".to_owned(),
                8,
                1,
                8,
                36,
                "ServiceAccount obs/shared sets automountServiceAccountToken: false".to_owned()
            ),
            (
                "shared-b.yaml".to_owned(),
                7,
                1,
                7,
                35,
                "ServiceAccount obs/shared sets automountServiceAccountToken: true".to_owned()
            ),
        ]
    );
}

#[test]
fn a_token_path_mount_in_every_container_prevents_the_token_and_otherwise_tg001_names_receivers() {
    let sarif = sarif_of("semantics/mount-path");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "some-containers.yaml", 12, 5, 12, 9, "error")])
    );
    assert_eq!(
        message(result(&sarif, "TG001", "secrets/Deployment/gateway")),
        "Deployment secrets/gateway mounts an API token (containers init-config, log-forwarder) for service account secrets/default, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust secrets/default in .tokenguard.yaml."
    );
    // The Pod whose containers all mount the path was scanned, and judged safe.
    assert_eq!(
        summary(&fixture("semantics/mount-path"), &[]),
        "1 error, 0 warnings, 0 notes in 2 files (2 objects, 2 workloads, 0 service accounts)"
    );
}

#[test]
fn an_empty_service_account_name_means_default_and_the_finding_points_at_that_key() {
    let sarif = sarif_of("semantics/service-account-name");
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "empty.yaml", 15, 7, 15, 29, "error")])
    );
    assert_eq!(
        message(result(&sarif, "TG001", "shop/Deployment/cart")),
        "Deployment shop/cart mounts an API token for service account shop/default, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/default in .tokenguard.yaml."
    );
}

#[test]
fn yaml_1_1_booleans_read_as_kubectl_reads_them_and_quoted_values_count_as_unset() {
    let sarif = sarif_of("semantics/booleans");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG010", "pods.yaml", 10, 3, 10, 35, "warning"),
            ("TG010", "pods.yaml", 20, 3, 20, 36, "warning"),
            ("TG010", "pods.yaml", 30, 3, 30, 34, "warning"),
            ("TG001", "pods.yaml", 40, 3, 40, 36, "error"),
            ("TG010", "pods.yaml", 40, 3, 40, 36, "warning"),
            ("TG001", "pods.yaml", 50, 3, 50, 40, "error"),
            ("TG010", "pods.yaml", 50, 3, 50, 40, "warning"),
            ("TG001", "pods.yaml", 60, 3, 60, 40, "error"),
            ("TG010", "pods.yaml", 60, 3, 60, 40, "warning"),
            ("TG001", "pods.yaml", 80, 3, 80, 37, "error"),
            ("TG010", "service-account.yaml", 8, 1, 8, 33, "warning"),
            ("TG002", "service-account.yaml", 29, 1, 29, 38, "warning"),
            ("TG010", "service-account.yaml", 29, 1, 29, 38, "warning"),
            ("TG001", "service-account.yaml", 39, 7, 39, 31, "error"),
        ])
    );
    for (object, text, value) in [
        ("bools/Pod/yaml11-no", "no", "false"),
        ("bools/Pod/yaml11-off", "off", "false"),
        ("bools/Pod/yaml11-n", "N", "false"),
        ("bools/Pod/yaml11-yes", "yes", "true"),
    ] {
        let name = object.rsplit('/').next().unwrap();
        assert_eq!(
            message(result(&sarif, "TG010", object)),
            format!(
                "Pod bools/{name}: automountServiceAccountToken in the pod spec is ambiguous; `{text}` is a YAML 1.1-only boolean: kubectl reads it as {value}, but Kustomize and other YAML 1.2 tools keep it as the string \"{text}\", which the API server rejects. Write {value}."
            )
        );
    }
    // kubectl's value is used: `yes` is the pod spec setting true.
    assert!(
        message(result(&sarif, "TG001", "bools/Pod/yaml11-yes")).contains(
            "which is not trusted: the pod spec sets automountServiceAccountToken: true."
        )
    );
    assert!(
        message(result(&sarif, "TG001", "bools/Pod/canonical-true")).contains(
            "which is not trusted: the pod spec sets automountServiceAccountToken: true."
        )
    );
    // A quoted "false" (either quote) is not a boolean: unset, so the default applies.
    for object in ["bools/Pod/quoted-false", "bools/Pod/single-quoted-false"] {
        assert!(
            message(result(&sarif, "TG001", object)).contains(
                "the pod spec's automountServiceAccountToken is not a boolean and counts as unset, the service account is not among the scanned manifests, and Kubernetes defaults to true."
            )
        );
        assert!(message(result(&sarif, "TG010", object)).contains(
            "\"false\" is a quoted string, not a boolean: tokenguard treats the setting as not set, so Kubernetes' default (true) applies."
        ));
    }
    // On a ServiceAccount: `no` is false (no TG002, and its Job gets no token); a quoted
    // "false" is unset (TG002, and its Job gets a token).
    assert!(
        message(result(&sarif, "TG002", "bools/ServiceAccount/loud"))
            .contains("sets automountServiceAccountToken to a value that is not a boolean")
    );
    assert!(
        message(result(&sarif, "TG001", "bools/Job/loud-job")).contains(
            "the pod spec does not set automountServiceAccountToken, nor does the service account, and Kubernetes defaults to true"
        )
    );
}

#[test]
fn trusted_globs_and_exact_names_silence_tg001_and_tg002() {
    let sarif = sarif_of("semantics/trusted");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "monitoring.yaml", 26, 3, 26, 16, "warning"),
            ("TG001", "monitoring.yaml", 39, 7, 39, 34, "error"),
            ("TG002", "platform.yaml", 26, 3, 26, 14, "warning"),
            ("TG001", "platform.yaml", 39, 7, 39, 32, "error"),
        ])
    );
    assert!(
        message(result(
            &sarif,
            "TG001",
            "kube-system-extras/DaemonSet/agent"
        ))
        .contains("or trust kube-system-extras/agent in .tokenguard.yaml.")
    );
    // Without the config, the trusted accounts are reported too.
    let dir = tempfile::tempdir().unwrap();
    for file in ["monitoring.yaml", "platform.yaml"] {
        std::fs::copy(
            fixture("semantics/trusted").join(file),
            dir.path().join(file),
        )
        .unwrap();
    }
    let untrusted = scan_sarif(dir.path(), &[]);
    assert_eq!(
        rows(&untrusted)
            .into_iter()
            .map(|r| r.0)
            .collect::<Vec<_>>(),
        [
            "TG002", "TG001", "TG002", "TG001", "TG002", "TG001", "TG002", "TG001"
        ]
    );
    result(&untrusted, "TG001", "kube-system/DaemonSet/kube-proxy");
    result(&untrusted, "TG002", "monitoring/ServiceAccount/prometheus");
}

#[test]
fn rule_overrides_turn_rules_off_and_change_the_sarif_level() {
    let sarif = sarif_of("semantics/rule-overrides");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "builder.yaml", 6, 3, 6, 17, "error"),
            ("TG001", "builder.yaml", 17, 7, 17, 30, "error"),
            ("TG011", "builder.yaml", 17, 7, 17, 30, "note"),
        ])
    );
    // The descriptors keep their default levels; the invocation records the overrides.
    let run = &sarif["runs"][0];
    let default_level = |id: &str| {
        run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["defaultConfiguration"]["level"]
            .clone()
    };
    assert_eq!(default_level("TG002"), "warning");
    assert_eq!(default_level("TG009"), "note");
    assert_eq!(default_level("TG011"), "warning");
    assert_eq!(
        run["invocations"][0]["ruleConfigurationOverrides"],
        serde_json::json!([
            {"descriptor": {"id": "TG009", "index": 9}, "configuration": {"enabled": false}},
            {"descriptor": {"id": "TG002", "index": 2}, "configuration": {"enabled": true, "level": "error"}},
            {"descriptor": {"id": "TG011", "index": 11}, "configuration": {"enabled": true, "level": "note"}},
        ])
    );
    // Without the config, TG009 fires and the levels are the defaults.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("semantics/rule-overrides/builder.yaml"),
        dir.path().join("builder.yaml"),
    )
    .unwrap();
    assert_eq!(
        rows(&scan_sarif(dir.path(), &[])),
        expect(&[
            ("TG002", "builder.yaml", 6, 3, 6, 17, "warning"),
            ("TG001", "builder.yaml", 17, 7, 17, 30, "error"),
            ("TG009", "builder.yaml", 17, 7, 17, 30, "note"),
            ("TG011", "builder.yaml", 17, 7, 17, 30, "warning"),
        ])
    );
    // The text output uses the overridden levels too.
    assert_eq!(
        summary(&fixture("semantics/rule-overrides"), &[]),
        "2 errors, 0 warnings, 1 note in 1 file (2 objects, 1 workload, 1 service account)"
    );
}
