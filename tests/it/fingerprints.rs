//! Fingerprints are what GitHub, GitLab and a baseline remember a finding by: a change
//! to how they are computed must not change those of findings that did not change.
//! `tests/data/fingerprints/` holds the fingerprints of every finding on `fixtures/` and
//! `../shared/corpus`, recorded before the fingerprint was computed once for every
//! format (from GitLab's output, whose fingerprints were already distinct); each finding
//! that is still reported at the same rule, file, line and column must keep its own.

use std::collections::HashMap;
use std::path::Path;

use crate::common::{output, repo, tokenguard};

type Key = (String, String, String);

/// `(rule, path, line:column)` -> the fingerprints of the findings there, in report order
/// (aliases can put two objects' keys at one position).
fn fingerprints(root: &Path, extra: &[&str]) -> HashMap<Key, Vec<String>> {
    let mut cmd = tokenguard();
    cmd.args(["scan", "--format", "json", "--fail-on", "never", "--root"])
        .arg(root)
        .args(extra)
        .arg(root);
    let out = output(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let mut found: HashMap<Key, Vec<String>> = HashMap::new();
    for f in report["findings"].as_array().expect("findings") {
        let key = (
            f["rule"].as_str().expect("rule").to_owned(),
            f["path"].as_str().expect("path").to_owned(),
            format!("{}:{}", f["line"], f["column"]),
        );
        let fingerprint = f["fingerprint"].as_str().expect("fingerprint").to_owned();
        found.entry(key).or_default().push(fingerprint);
    }
    found
}

/// Recorded findings that are gone on purpose, by the change that fixed them: a key
/// written twice is loaded as kubectl loads it (the last value wins) and reported as
/// TG015, no longer as a TG000 of the whole file (issue 15).
const GONE_ON_PURPOSE: &[&str] = &[
    "TG000\teks-workshop-v2/manifests/modules/troubleshooting/workernodes/yaml/configmaps-new.yaml\t59:1",
    "TG000\tkubernetes-engine-samples/streaming/kafka-confluent/manifests/05-replicator/my-target-cluster.yaml\t135:7",
    "TG000\tkubernetes-engine-samples/streaming/kafka-confluent/manifests/05-replicator/replicator.yaml\t31:7",
    "TG000\tkubernetes-engine-samples/streaming/kafka-confluent/manifests/06-confluent-platform/platform.yaml\t36:7",
    "TG000\tkubernetes-examples/_archived/openshift-origin/etcd-controller.yaml\t12:3",
    "TG000\tkubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml\t12:3",
    "TG000\tkubernetes-examples/_archived/openshift-origin/openshift-controller.yaml\t12:3",
    "TG000\tkubernetes-examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml\t9:1",
    "TG000\tkubernetes-examples/_archived/volumes/scaleio/sc-pvc.yaml\t12:3",
];

/// Compares a scan with a recorded file; returns how many recorded findings it found.
fn compare(recorded: &str, root: &Path, extra: &[&str]) -> usize {
    let now = fingerprints(root, extra);
    let mut seen: HashMap<Key, usize> = HashMap::new();
    let text = std::fs::read_to_string(repo().join("tests/data/fingerprints").join(recorded))
        .expect("recorded fingerprints");
    let mut matched = 0;
    let mut changed = Vec::new();
    let mut gone = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let [fingerprint, rule, path, position] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("{recorded}: not four columns: {line}");
        };
        let key = (rule.to_owned(), path.to_owned(), position.to_owned());
        let nth = seen.entry(key.clone()).or_default();
        *nth += 1;
        match now.get(&key).and_then(|at| at.get(*nth - 1)) {
            Some(now) if now == fingerprint => matched += 1,
            Some(now) => changed.push(format!("{line} is now {now}")),
            None if GONE_ON_PURPOSE.contains(&&line[line.find('\t').map_or(0, |i| i + 1)..]) => {}
            None => gone.push(line.to_owned()),
        }
    }
    assert!(
        changed.is_empty(),
        "{recorded}: fingerprints changed:\n{}",
        changed.join("\n")
    );
    assert!(
        gone.is_empty(),
        "{recorded}: findings no longer reported:\n{}",
        gone.join("\n")
    );
    matched
}

#[test]
fn fingerprints_of_the_fixtures_are_unchanged() {
    let matched = compare(
        "fixtures.tsv",
        &repo().join("fixtures"),
        // Recorded file by file, before rendering: rendered roots are other findings.
        &[
            "--exclude",
            "rules/**",
            "--exclude",
            "kustomize/**",
            "--no-kustomize",
        ],
    );
    assert_eq!(matched, 132);
}

#[test]
fn fingerprints_of_the_real_corpus_are_unchanged() {
    let corpus = repo().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("../shared/corpus is absent: fingerprints on the real corpus not checked");
        return;
    }
    let matched = compare("corpus.tsv", &corpus, &["--no-kustomize"]);
    assert_eq!(matched, 1027 - GONE_ON_PURPOSE.len());
}
