//! Scans that render Kustomize roots (SPEC 3.4): findings about rendered objects, their
//! roots, the files a root consumes, and the fallback to file-by-file scanning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::common::{
    expect, fixture, message, notifications, output, repo, result, rows, sarif_of, scan_sarif,
    summary, tokenguard,
};

#[test]
fn a_rendered_root_reports_its_objects_as_deployed() {
    let sarif = sarif_of("kustomize-scan");
    assert_eq!(
        rows(&sarif),
        expect(&[
            // Two roots each define system/controller-manager: only the first binds it
            // to cluster-admin, and the second does not see that binding.
            ("TG009", "apps/one/manager.yaml", 12, 7, 12, 45, "note"),
            ("TG014", "apps/one/manager.yaml", 12, 7, 12, 45, "error"),
            ("TG001", "apps/two/manager.yaml", 12, 7, 12, 45, "error"),
            ("TG009", "apps/two/manager.yaml", 12, 7, 12, 45, "note"),
            // prod/prod-api: namePrefix wrote the serviceAccountName and the name, so
            // both findings point at the line that wrote them.
            (
                "TG001",
                "overlays/prod/kustomization.yaml",
                3,
                13,
                3,
                18,
                "error"
            ),
            (
                "TG002",
                "overlays/prod/kustomization.yaml",
                3,
                13,
                3,
                18,
                "warning"
            ),
            // The root with a remote base is scanned file by file.
            ("TG001", "overlays/remote/job.yaml", 7, 5, 7, 9, "error"),
            ("TG001", "plain/pod.yaml", 6, 1, 6, 5, "error"),
        ])
    );
    let api = result(&sarif, "TG001", "prod/Deployment/prod-api");
    assert_eq!(api["properties"]["kustomization"], "overlays/prod");
    assert!(
        message(api).starts_with(
            "Deployment prod/prod-api, rendered by `overlays/prod`, mounts an API token for service account prod/prod-api, which is not trusted"
        ),
        "{}",
        message(api)
    );
    let one = crate::common::results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "TG014")
        .expect("TG014");
    assert_eq!(one["properties"]["kustomization"], "apps/one");
    assert!(message(one).contains("bound to powerful RBAC by ClusterRoleBinding one-admin"));
    let rendered_by = api["relatedLocations"]
        .as_array()
        .and_then(|r| r.last())
        .expect("a related location");
    assert_eq!(
        rendered_by["physicalLocation"]["artifactLocation"]["uri"],
        "overlays/prod/kustomization.yaml"
    );
    assert_eq!(rendered_by["physicalLocation"]["region"]["startLine"], 1);
    assert_eq!(
        rendered_by["message"]["text"],
        "rendered by this kustomization"
    );
    // staging/api is trusted by its rendered identity: nothing about it, nor about the
    // base, which no one deploys on its own.
    let objects: Vec<String> = crate::common::results(&sarif)
        .iter()
        .map(|r| {
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        objects,
        [
            "system/Deployment/controller-manager",
            "system/Deployment/controller-manager",
            "system/Deployment/controller-manager",
            "system/Deployment/controller-manager",
            "prod/Deployment/prod-api",
            "prod/ServiceAccount/prod-api",
            "default/Job/migrate",
            "prod/Pod/debug"
        ]
    );
    assert_eq!(
        notifications(&sarif),
        [
            "overlays/remote/kustomization.yaml: kustomization `overlays/remote` is scanned file by file, not rendered: `https://github.com/example/platform//deploy?ref=v1` is a remote resource, which is never fetched"
        ]
    );
    let notification = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    let at = &notification["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (at["startLine"].as_u64(), at["startColumn"].as_u64()),
        (Some(3), Some(5))
    );
}

#[test]
fn without_rendering_every_file_is_scanned_on_its_own() {
    let dir = fixture("kustomize-scan");
    let sarif = scan_sarif(&dir, &["--no-kustomize"]);
    let found: Vec<(String, String)> = rows(&sarif).into_iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(
        found,
        [
            // Nothing renders staging/api: its trusted entry matches nothing.
            ("TG013", ".tokenguard.yaml"),
            ("TG001", "apps/one/manager.yaml"),
            ("TG009", "apps/one/manager.yaml"),
            ("TG001", "apps/two/manager.yaml"),
            ("TG009", "apps/two/manager.yaml"),
            ("TG001", "base/deployment.yaml"),
            ("TG002", "base/service-account.yaml"),
            ("TG001", "overlays/remote/job.yaml"),
            ("TG001", "plain/pod.yaml"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(notifications(&sarif), Vec::<String>::new());
    assert_eq!(
        summary(&dir, &[]),
        // Every file but the config; each root's objects as it renders them.
        "5 errors, 1 warning, 2 notes in 13 files (9 objects, 6 workloads, 2 service accounts)"
    );
}

/// The roots of the list whose kubectl output has a TG001 or TG014 finding, and how many
/// such findings they have in all: the comparison below is worth only as much as these.
const ROOTS_WITH_FINDINGS: usize = 124;
const FINDINGS: usize = 276;

/// SPEC 3.4 against kubectl: for every corpus root whose rendering agrees with
/// `kubectl kustomize` (the list `tests/it/kustomize.rs` keeps), the TG001 and TG014
/// workloads a scan reports as rendered by that root are those a file-by-file scan of
/// kubectl's output of the root reports.
#[test]
fn rendered_token_findings_are_those_of_kubectls_output() {
    let corpus = repo().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("SKIPPED: ../shared/corpus is absent");
        return;
    }
    let kubectl = Command::new("kubectl")
        .args(["version", "--client"])
        .output();
    if !kubectl.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED: kubectl is not installed; rendered findings not compared with it");
        return;
    }
    let passing = std::fs::read_to_string(repo().join("tests/data/kustomize-corpus-passing.txt"))
        .expect("the list of roots that render as kubectl renders them");
    let roots: Vec<&str> = passing
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();

    let scan = token_findings(&corpus, &[]);
    let mut rendered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (root, finding) in scan {
        if let Some(root) = root {
            rendered.entry(root).or_default().insert(finding);
        }
    }

    let work = tempfile::tempdir().expect("a temporary directory");
    let next = std::sync::atomic::AtomicUsize::new(0);
    let differences = std::sync::Mutex::new(Vec::new());
    // Per root, how many findings kubectl's output has: the comparison proves something
    // only if many roots have some.
    let compared = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|threads| {
        for _ in 0..4 {
            threads.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&root) = roots.get(i) else { break };
                    let out = Command::new("kubectl")
                        .arg("kustomize")
                        .arg(corpus.join(root))
                        .output()
                        .expect("kubectl runs");
                    assert!(out.status.success(), "kubectl kustomize {root} fails");
                    let dir = work.path().join(i.to_string());
                    std::fs::create_dir_all(&dir).expect("a directory");
                    std::fs::write(dir.join("rendered.yaml"), &out.stdout).expect("written");
                    let expected: BTreeSet<String> = token_findings(&dir, &["--no-kustomize"])
                        .into_iter()
                        .map(|(_, finding)| finding)
                        .collect();
                    compared.lock().expect("not poisoned").push(expected.len());
                    let got = rendered.get(root).cloned().unwrap_or_default();
                    if got != expected {
                        differences.lock().expect("not poisoned").push(format!(
                            "{root}: rendered {got:?}, kubectl's output {expected:?}"
                        ));
                    }
                }
            });
        }
    });
    let differences = differences.into_inner().expect("not poisoned");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    let compared = compared.into_inner().expect("not poisoned");
    let roots_with_findings = compared.iter().filter(|&&n| n > 0).count();
    let findings: usize = compared.iter().sum();
    assert_eq!(
        (compared.len(), roots_with_findings, findings),
        (roots.len(), ROOTS_WITH_FINDINGS, FINDINGS),
        "(roots, roots with TG001/TG014, findings) compared with kubectl's output"
    );
}

/// The TG001 and TG014 findings of a scan of `dir`, as `RULE NAMESPACE/KIND/NAME`, each
/// with the root that rendered its object.
fn token_findings(dir: &Path, extra: &[&str]) -> Vec<(Option<String>, String)> {
    let mut cmd = tokenguard();
    cmd.args(["scan", "--format", "json", "--fail-on", "never", "--root"])
        .arg(dir)
        .args(extra)
        .arg(dir);
    let out = output(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "TG001" || f["rule"] == "TG014")
        .map(|f| {
            let o = &f["object"];
            let object = format!(
                "{} {}/{}/{}",
                f["rule"].as_str().unwrap_or(""),
                o["namespace"].as_str().unwrap_or(""),
                o["kind"].as_str().unwrap_or(""),
                o["name"].as_str().unwrap_or("")
            );
            (f["kustomization"].as_str().map(str::to_owned), object)
        })
        .collect()
}

/// `init` proposes the identities roots deploy (prod/prod-api, staging/api), not the
/// base's as written (default/api), and accepting them all makes the scan pass.
#[test]
fn init_proposes_rendered_identities() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let repo_copy = dir.path().join("repo");
    crate::common::copy_tree(&fixture("kustomize-scan"), &repo_copy);
    std::fs::remove_file(repo_copy.join(".tokenguard.yaml")).expect("the fixture's config");
    let mut cmd = tokenguard();
    cmd.arg("init")
        .arg(&repo_copy)
        .arg("--root")
        .arg(&repo_copy);
    let out = output(&mut cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let config = std::fs::read_to_string(repo_copy.join(".tokenguard.yaml")).expect("written");
    let proposed: Vec<&str> = config
        .lines()
        .filter_map(|l| l.trim().strip_prefix("#   - serviceAccount: "))
        .collect();
    assert_eq!(
        proposed,
        [
            "\"default/default\"",
            "\"prod/default\"",
            "\"prod/prod-api\"",
            "\"staging/api\"",
            "\"system/controller-manager\""
        ]
    );
    let accepted: String = config
        .lines()
        .map(|l| l.strip_prefix('#').unwrap_or(l))
        .map(|l| l.replace("reason: \"\"", "reason: \"accepted by the test\""))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(repo_copy.join(".tokenguard.yaml"), accepted).expect("written");
    let out = output(
        tokenguard()
            .arg("scan")
            .arg(&repo_copy)
            .arg("--root")
            .arg(&repo_copy),
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

#[test]
fn a_custom_workload_is_judged_by_the_service_account_its_configuration_renames() {
    // A base's `configurations` tell Kustomize where the custom kind names its service
    // account; the overlay's namePrefix renames both, and `workloadKinds` makes the
    // custom kind a workload.
    let sarif = sarif_of("kustomize/configurations");
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG001", "overlay/kustomization.yaml", 3, 13, 3, 18, "error"),
            (
                "TG002",
                "overlay/kustomization.yaml",
                3,
                13,
                3,
                18,
                "warning"
            ),
        ])
    );
    let agent = result(&sarif, "TG001", "monitoring/Agent/prod-collector");
    assert_eq!(agent["properties"]["kustomization"], "overlay");
    assert!(
        message(agent).starts_with(
            "Agent monitoring/prod-collector, rendered by `overlay`, mounts an API token for service account monitoring/prod-collector, which is not trusted"
        ),
        "{}",
        message(agent)
    );
    assert!(
        notifications(&sarif).is_empty(),
        "{:?}",
        notifications(&sarif)
    );
}

#[test]
fn a_configuration_kustomize_refuses_makes_its_root_fall_back_with_a_warning_at_its_line() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::create_dir_all(dir.path().join(".git")).expect(".git");
    std::fs::create_dir_all(dir.path().join("app")).expect("app");
    let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).expect("write");
    write(
        "app/kustomization.yaml",
        "resources:\n- pod.yaml\nconfigurations:\n- c.yaml\n",
    );
    write(
        "app/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: x\n",
    );
    write("app/c.yaml", "namePrefix:\n- kind: Pod\n  paht: x\n");
    let sarif = crate::common::scan_sarif(dir.path(), &[]);
    assert_eq!(
        notifications(&sarif),
        [
            "app/c.yaml: kustomization `app` is scanned file by file, not rendered: unknown field `paht` in a field spec: Kustomize v5 rejects it"
        ]
    );
    let at = &sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
        ["region"];
    assert_eq!(
        (at["startLine"].as_u64(), at["startColumn"].as_u64()),
        (Some(3), Some(3))
    );
    // Never fewer findings: the pod is judged as its file says.
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "app/pod.yaml", 5, 1, 5, 5, "error")])
    );
}
