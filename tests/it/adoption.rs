//! `tokenguard init`, `tokenguard config-schema` and the extra CI outputs, through the
//! command line.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::{copy_tree, fixture, tokenguard};

/// A copy of the demo repository without its config.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture("demo"), dir.path());
    std::fs::remove_file(dir.path().join(".tokenguard.yaml")).unwrap();
    dir
}

#[test]
fn init_writes_a_config_that_trusts_nothing_and_refuses_to_overwrite() {
    let repo = demo_copy();
    let root = repo.path().to_str().unwrap();
    tokenguard()
        .args(["init", "--root", root, root])
        .assert()
        .code(0);
    let config = repo.path().join(".tokenguard.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("#   - serviceAccount: \"shop/api\"\n#     reason: \"\"\n#     # Deployment shop/api (apps/api.yaml:20)"),
        "{text}"
    );
    assert!(
        text.lines().all(|l| l.is_empty() || l.starts_with('#')),
        "trusts nothing: {text}"
    );
    // The scan with it still reports every token.
    tokenguard()
        .args(["scan", "--root", root, root, "--quiet"])
        .assert()
        .code(1);

    std::fs::write(&config, "# mine\n").unwrap();
    let out = tokenguard()
        .args(["init", "--root", root, root])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("already exists; use --force"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine\n");

    tokenguard()
        .args(["init", "--force", "--root", root, root])
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}

#[test]
fn init_refuses_when_the_other_config_name_exists() {
    let repo = demo_copy();
    let root = repo.path().to_str().unwrap();
    std::fs::write(repo.path().join(".tokenguard.yml"), "{}\n").unwrap();
    let out = tokenguard()
        .args(["init", "--root", root, root])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".tokenguard.yml already exists; use --force"),
        "{stderr}"
    );
    assert!(!repo.path().join(".tokenguard.yaml").exists());
}

/// `init` reads the repository as `scan` does with the same flags: a file over
/// `--max-file-size` is a TG000 there, so init offers to exclude it.
#[test]
fn init_takes_the_scan_limits() {
    let repo = demo_copy();
    let root = repo.path().to_str().unwrap();
    std::fs::write(
        repo.path().join("big.yaml"),
        format!(
            "# {}\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big}}\n",
            "x".repeat(300)
        ),
    )
    .unwrap();
    tokenguard()
        .args(["init", "--max-file-size", "200", "--root", root, root])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(repo.path().join(".tokenguard.yaml")).unwrap();
    assert!(text.contains("#     - \"big.yaml\"\n"), "{text}");
}

/// What the README tells a user who accepts a candidate to do, done for every one:
/// delete the `# ` that starts each candidate line (explanations start with `##` and
/// stay), and write a reason where `init` left it empty.
fn accept_every_candidate(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.strip_prefix("# ").unwrap_or(line);
            let line = line.replace("reason: \"\"", "reason: reviewed by the platform team");
            format!("{line}\n")
        })
        .collect()
}

/// A repository with one finding for each kind of candidate: a workload with a token
/// (trusted), a token-minting role bound to two subjects (tokenCreators), a legacy token
/// Secret (an exemption) and a file that is not YAML (paths.exclude).
fn repository_needing_every_kind_of_entry() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "apps/api.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: shop\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers:\n        - name: api\n          image: shop/api:1\n",
        ),
        (
            "rbac/minter.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: minter\nrules:\n  - apiGroups: [\"\"]\n    resources: [\"serviceaccounts/token\"]\n    verbs: [\"create\"]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: minter\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: minter\nsubjects:\n  - kind: ServiceAccount\n    name: vault\n    namespace: vault\n  - kind: Group\n    name: ops\n    apiGroup: rbac.authorization.k8s.io\n",
        ),
        (
            "legacy/token.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: deployer-token\n  namespace: ci\n  annotations:\n    kubernetes.io/service-account.name: deployer\ntype: kubernetes.io/service-account-token\n",
        ),
        ("docs/notes.yaml", "title: notes\nbody: [unclosed\n"),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

const EVERY_KIND_OF_ENTRY: &str = r#"## tokenguard trust configuration, written by `tokenguard init` (tokenguard VERSION).
##
## Lines that start with `## ` explain; lines that start with `# ` are candidates, and
## none of them is in effect yet. To accept a candidate, delete the `# ` at the start of
## each of its lines (and of its section's key, such as `# trusted:`, once), then say
## why in its `reason`: an empty reason is an error. Fix in the manifests what you do
## not accept. With every candidate accepted, `tokenguard scan` passes at
## --fail-on error.
##
## Editor completion and checks: run `tokenguard config-schema > .tokenguard.schema.json`
## and put this line at the top of the file:
##   # yaml-language-server: $schema=.tokenguard.schema.json

## paths.exclude: files that could not be loaded (TG000). Exclude a file only if it is
## not a Kubernetes manifest (a template, a test input, another tool's YAML); a broken
## manifest hides its workloads from every rule, so fix it instead.
# paths:
#   exclude:
#     - "docs/notes.yaml"
#       # line 3: invalid YAML: while parsing a flow sequence, expected ',' or ']'

## trusted: 1 service account receives a Kubernetes API token today (1 workload in all).
## For each, either turn the token off (`automountServiceAccountToken: false` in the
## pod spec or on the ServiceAccount; for a projected token, remove the volume source),
## or, if its workloads really call the API server, accept it here.
# trusted:
#   - serviceAccount: "shop/api"
#     reason: ""
#     # Deployment shop/api (apps/api.yaml:9): an automounted token (TG001)

## tokenCreators: subjects bound to a rule that allows create on serviceaccounts/token
## (TG006): they can mint a token for, and act as, the service accounts it covers. Only
## a few components need it (Vault's Kubernetes auth, a CI token broker, a controller
## that hands out tokens); for others, remove the permission or narrow it with
## resourceNames.
# tokenCreators:
#   - subject: "Group:ops"
#     reason: ""
#     # ClusterRole minter rule 1 (rbac/minter.yaml:8)
#   - subject: "ServiceAccount:vault/vault"
#     reason: ""
#     # ClusterRole minter rule 1 (rbac/minter.yaml:8)

## exemptions: what no trust entry accepts (a legacy token Secret, an RBAC rule, a
## finding a scan with every candidate above accepted still reports). An exemption
## accepts one rule on one object until `expires` (90 days from today here: pick
## your own date), then the finding is back and TG012 says the exemption expired.
# exemptions:
#   - rule: "TG005"
#     object: "ci/Secret/deployer-token"
#     reason: ""
#     expires: 2027-03-04
#     # legacy/token.yaml:8: Secret ci/deployer-token holds a long-lived, never-expiring API token for service account ci/deployer, readable by anyone who can read Secrets in namespace ci
"#;

/// `scan --compact` of `root` with the config at `root`: its exit code and diagnostics.
fn scan_compact(root: &str, extra: &[&str]) -> (i32, String) {
    let out = tokenguard()
        .args([
            "scan",
            "--root",
            root,
            root,
            "--compact",
            "--color",
            "never",
        ])
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn init_writes_a_candidate_for_every_kind_of_entry_with_its_facts() {
    let repo = repository_needing_every_kind_of_entry();
    let root = repo.path().to_str().unwrap();
    let out = tokenguard()
        .args(["init", "--root", root, root, "--today", "2026-12-04"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "tokenguard: wrote {}: candidates, all commented out: 1 trusted service account, 2 token creators, 1 excluded file, 1 exemption\n",
            repo.path().join(".tokenguard.yaml").display()
        )
    );
    let config = repo.path().join(".tokenguard.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert_eq!(
        text,
        EVERY_KIND_OF_ENTRY.replace("VERSION", env!("CARGO_PKG_VERSION"))
    );

    // As written, nothing is accepted.
    let (code, report) = scan_compact(root, &[]);
    assert_eq!(code, 1, "{report}");
    for rule in ["TG000", "TG001", "TG005", "TG006"] {
        assert!(report.contains(&format!("error[{rule}]")), "{report}");
    }
    // Every candidate accepted: the gate passes.
    std::fs::write(&config, accept_every_candidate(&text)).unwrap();
    let (code, report) = scan_compact(root, &[]);
    assert_eq!(code, 0, "{report}");
    // What is left is a note: no manifest defines the trusted service account.
    assert_eq!(
        report
            .lines()
            .filter(|l| l.contains(": note[") || l.contains(": warning[") || l.contains(": error["))
            .collect::<Vec<_>>(),
        [
            "apps/api.yaml:9:7: note[TG009]: Deployment shop/api runs as service account shop/api, which no scanned manifest defines in namespace shop, so its automountServiceAccountToken setting is unknown and tokenguard assumed Kubernetes' default, true. Include the ServiceAccount's manifest in the scan, or correct the name."
        ]
    );

    // Each section is needed: without the exemptions, the legacy token Secret fails.
    let accepted = accept_every_candidate(&text);
    let without_exemptions = &accepted[..accepted.find("exemptions:").unwrap()];
    std::fs::write(&config, without_exemptions).unwrap();
    let (code, report) = scan_compact(root, &[]);
    assert_eq!(code, 1, "{report}");
    assert_eq!(
        report
            .lines()
            .filter(|l| l.contains(": error["))
            .collect::<Vec<_>>(),
        [
            "legacy/token.yaml:8:1: error[TG005]: Secret ci/deployer-token holds a long-lived, never-expiring API token for service account ci/deployer, readable by anyone who can read Secrets in namespace ci. Delete it and use a projected serviceAccountToken volume or the TokenRequest API (kubectl create token) instead."
        ],
    );
}

#[test]
fn init_with_fail_on_warning_offers_exemptions_for_warnings_too() {
    let repo = demo_copy();
    let root = repo.path().to_str().unwrap();
    tokenguard()
        .args(["init", "--fail-on", "warning", "--root", root, root])
        .args(["--today", "2026-12-04"])
        .assert()
        .code(0);
    let config = repo.path().join(".tokenguard.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("passes at\n## --fail-on warning.\n"),
        "{text}"
    );
    assert!(
        text.contains("#   - rule: \"TG011\"\n#     object: \"ci/CronJob/nightly-report\"\n#     reason: \"\"\n#     expires: 2027-03-04\n#     # ci/nightly-report.yaml:12: CronJob ci/nightly-report uses the deprecated pod spec field serviceAccount (`reporter`)\n"),
        "{text}"
    );
    std::fs::write(&config, accept_every_candidate(&text)).unwrap();
    let (code, report) = scan_compact(root, &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{report}");
    // A gate that never fails needs no config.
    tokenguard()
        .args([
            "init",
            "--force",
            "--fail-on",
            "never",
            "--root",
            root,
            root,
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'never'"));
}

#[test]
fn init_force_keeps_accepted_entries_and_their_reasons() {
    let repo = repository_needing_every_kind_of_entry();
    let root = repo.path().to_str().unwrap();
    let config = repo.path().join(".tokenguard.yaml");
    // A config a team wrote: one trusted entry accepted, a rule level, a kind, a path.
    std::fs::write(
        &config,
        "defaultNamespace: apps\npaths:\n  include: ['**/*.yaml']\ntrusted:\n  - serviceAccount: shop/api\n    reason: \"serves the \\\"shop\\\" API: reads its ConfigMaps\"\nexemptions:\n  - rule: TG001\n    object: legacy/*/*\n    reason: OPS-7\n    expires: 2027-01-31\nrules:\n  TG009: off\nworkloadKinds:\n  - apiVersion: apps.kruise.io/*\n    kind: CloneSet\n    podSpecPath: spec.template.spec\nprojectedTokens:\n  maxExpirationSeconds: 3600\n",
    )
    .unwrap();
    tokenguard()
        .args(["init", "--root", root, root, "--today", "2026-12-04"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            ".tokenguard.yaml already exists; use --force",
        ));
    tokenguard()
        .args([
            "init",
            "--force",
            "--root",
            root,
            root,
            "--today",
            "2026-12-04",
        ])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&config).unwrap();
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(
        kept,
        [
            "defaultNamespace: \"apps\"",
            "paths:",
            "  include:",
            "    - \"**/*.yaml\"",
            "trusted:",
            "  - serviceAccount: \"shop/api\"",
            "    reason: \"serves the \\\"shop\\\" API: reads its ConfigMaps\"",
            "exemptions:",
            "  - rule: \"TG001\"",
            "    object: \"legacy/*/*\"",
            "    reason: \"OPS-7\"",
            "    expires: 2027-01-31",
            "rules:",
            "  TG009: off",
            "workloadKinds:",
            "  - apiVersion: \"apps.kruise.io/*\"",
            "    kind: \"CloneSet\"",
            "    podSpecPath: \"spec.template.spec\"",
            "projectedTokens:",
            "  maxExpirationSeconds: 3600",
        ]
    );
    // The accepted service account is not offered again; the other candidates are, and
    // go under the kept keys (an exclude under the kept `paths:`).
    assert!(!text.contains("#   - serviceAccount:"), "{text}");
    assert!(!text.contains("## trusted:"), "{text}");
    assert!(
        text.contains(
            "paths:\n  include:\n    - \"**/*.yaml\"\n#   exclude:\n#     - \"docs/notes.yaml\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("    expires: 2027-01-31\n#   - rule: \"TG005\"\n#     object: \"ci/Secret/deployer-token\"\n"),
        "{text}"
    );
    assert!(
        text.contains("# tokenCreators:\n#   - subject: \"Group:ops\"\n"),
        "{text}"
    );
    // Accepting the rest passes, and a second --force changes nothing.
    let accepted = accept_every_candidate(&text);
    std::fs::write(&config, &accepted).unwrap();
    let (code, report) = scan_compact(root, &[]);
    assert_eq!(code, 0, "{report}");
    std::fs::write(&config, &text).unwrap();
    tokenguard()
        .args([
            "init",
            "--force",
            "--root",
            root,
            root,
            "--today",
            "2026-12-04",
        ])
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&config).unwrap(), text);
}

#[test]
fn init_force_stops_at_an_invalid_config_and_leaves_it() {
    let repo = repository_needing_every_kind_of_entry();
    let root = repo.path().to_str().unwrap();
    let config = repo.path().join(".tokenguard.yaml");
    std::fs::write(
        &config,
        "trusted:\n  - serviceAccount: shop/api\n    reasn: x\n",
    )
    .unwrap();
    let out = tokenguard()
        .args(["init", "--force", "--root", root, root])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "tokenguard: error: .tokenguard.yaml:3:5: unknown key `reasn` in a trusted entry; did you mean `reason`?\n"
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "trusted:\n  - serviceAccount: shop/api\n    reasn: x\n"
    );
}

#[test]
fn init_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let manifest = std::fs::read_to_string("fixtures/demo/apps/api.yaml").unwrap();
    tokenguard()
        .args([
            "init",
            "-",
            "--root",
            root,
            "--stdin-filename",
            "rendered.yaml",
        ])
        .write_stdin(manifest.clone())
        .assert()
        .code(0);
    let config = dir.path().join(".tokenguard.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("# trusted:\n#   - serviceAccount: \"shop/api\"\n#     reason: \"\"\n#     # Deployment shop/api (rendered.yaml:20): an automounted token (TG001)\n"),
        "{text}"
    );
    std::fs::write(&config, accept_every_candidate(&text)).unwrap();
    let out = tokenguard()
        .args([
            "scan",
            "-",
            "--root",
            root,
            "--stdin-filename",
            "rendered.yaml",
        ])
        .arg("--config")
        .arg(&config)
        .write_stdin(manifest)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn init_lists_what_no_entry_can_accept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let config = dir.path().join(".tokenguard.yaml");
    // Standard input is always read: excluding it accepts nothing.
    let out = tokenguard()
        .args([
            "init",
            "-",
            "--root",
            root,
            "--stdin-filename",
            "rendered.yaml",
        ])
        .write_stdin("title: x\nbody: [unclosed\n")
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "tokenguard: wrote {}: candidates, all commented out: 0 trusted service accounts, 0 token creators, 0 excluded files, 0 exemptions; 1 finding no entry can accept (listed at the top of the file): fix it\n",
            config.display()
        )
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("## --fail-on error once the findings listed below are fixed.\n"),
        "{text}"
    );
    assert!(
        text.ends_with("##\n## No config entry can accept 1 finding: fix it.\n##   rendered.yaml:3: TG000 This file could not be loaded (invalid YAML: while parsing a flow sequence, expected ',' or ']')\n"),
        "{text}"
    );

    // An expired exemption kept by --force fails a gate on warnings whatever is accepted.
    let repo = repository_needing_every_kind_of_entry();
    let root = repo.path().to_str().unwrap();
    let config = repo.path().join(".tokenguard.yaml");
    std::fs::write(
        &config,
        "exemptions:\n  - rule: TG005\n    object: ci/Secret/deployer-token\n    reason: OPS-1\n    expires: 2026-01-01\n",
    )
    .unwrap();
    tokenguard()
        .args([
            "init",
            "--force",
            "--fail-on",
            "warning",
            "--root",
            root,
            root,
        ])
        .args(["--today", "2026-12-04"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("##\n## No config entry can accept 1 finding: fix it.\n##   TG012 The exemption for TG005 on ci/Secret/deployer-token expired on 2026-01-01 (reason: OPS-1)\n"),
        "{text}"
    );
    // ... and the exemption it would take is offered anew, so a renewal is one edit away.
    assert!(
        text.contains("    expires: 2026-01-01\n#   - rule: \"TG005\"\n#     object: \"ci/Secret/deployer-token\"\n"),
        "{text}"
    );
}

/// Names the config cannot hold (an object name with a `/`, a subject without a name)
/// are never written as entries, which would make the file invalid.
#[test]
fn init_offers_no_entry_the_config_cannot_hold() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    std::fs::write(
        dir.path().join("odd.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a/b\n  namespace: ci\ntype: kubernetes.io/service-account-token\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: m}\nrules:\n  - {apiGroups: [\"\"], resources: [\"serviceaccounts/token\"], verbs: [\"create\"]}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: m}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: m}\nsubjects:\n  - {kind: User, name: \"\"}\n  - {kind: ServiceAccount, name: \"\", namespace: x}\n",
    )
    .unwrap();
    tokenguard()
        .args(["init", "--root", root, root, "--today", "2026-12-04"])
        .assert()
        .code(0);
    let text = std::fs::read_to_string(dir.path().join(".tokenguard.yaml")).unwrap();
    assert!(!text.contains("tokenCreators:"), "{text}");
    assert!(
        text.contains("## No config entry can accept 1 finding: fix it.\n##   odd.yaml:6: TG005 Secret ci/a/b holds"),
        "{text}"
    );
    assert!(
        text.contains("#   - rule: \"TG006\"\n#     object: \"/ClusterRole/m\"\n"),
        "{text}"
    );
}

/// The repositories of the shared corpus a new user would try first, and one with
/// broken files to exclude and findings only exemptions accept.
const REAL_REPOSITORIES: [&str; 5] = [
    "argo-cd",
    "eks-workshop-v2",
    "kube-prometheus",
    "kubernetes-examples",
    "kubernetes-engine-samples",
];

/// `init`, accept every candidate, `scan`: exit 0, at `fail_on`.
fn init_then_accept_everything_passes(repo: &Path, fail_on: &str) {
    let out_dir = tempfile::tempdir().unwrap();
    let config = out_dir.path().join(".tokenguard.yaml");
    let root = repo.to_str().unwrap();
    tokenguard()
        .args(["init", "--root", root, root, "--fail-on", fail_on])
        .arg("--output")
        .arg(&config)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.lines().all(|l| l.is_empty() || l.starts_with('#')),
        "{text}"
    );
    std::fs::write(&config, accept_every_candidate(&text)).unwrap();
    let out = tokenguard()
        .args([
            "scan",
            "--root",
            root,
            root,
            "--compact",
            "--fail-on",
            fail_on,
        ])
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}: {}",
        repo.display(),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn accepting_every_candidate_of_init_passes_on_real_repositories() {
    init_then_accept_everything_passes(Path::new("fixtures/demo"), "error");
    let corpus = Path::new("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("../shared/corpus is absent: only the demo is checked");
        return;
    }
    for repo in REAL_REPOSITORIES {
        init_then_accept_everything_passes(&corpus.join(repo), "error");
    }
    init_then_accept_everything_passes(&corpus.join("kube-prometheus"), "warning");
}

fn schema() -> jsonschema::Validator {
    let out = tokenguard().arg("config-schema").assert().code(0);
    let schema: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    jsonschema::draft7::new(&schema).expect("a valid draft-07 schema")
}

/// JSON is YAML: the same document goes to tokenguard and to the schema.
fn accepted_by_tokenguard(config: &Value) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, config.to_string()).unwrap();
    tokenguard()
        .args(["rules", "--config", path.to_str().unwrap()])
        .output()
        .unwrap()
        .status
        .success()
}

#[test]
fn config_schema_agrees_with_the_parser() {
    let schema = schema();
    let valid = [
        json!({}),
        json!(null),
        json!({
            "defaultNamespace": "apps",
            "paths": {"include": ["**/*.yaml"], "exclude": ["vendor/**"]},
            "trusted": [{"serviceAccount": "kube-system/*", "reason": "platform"}],
            "tokenCreators": [{"subject": "ServiceAccount:vault/vault", "reason": "Vault"}],
            "exemptions": [{"rule": "tg001", "object": "legacy/Deployment/x", "reason": "OPS-1", "expires": "2027-01-31"}],
            "rules": {"TG009": "off", "tg002": "error"},
            "workloadKinds": [{"apiVersion": "apps.kruise.io/*", "kind": "CloneSet", "podSpecPath": "spec.template.spec"}],
            "projectedTokens": {"maxExpirationSeconds": 86400},
            "kustomize": false
        }),
        json!({"trusted": [{"serviceAccount": "a/b", "reason": 2024}]}),
    ];
    for config in &valid {
        assert!(accepted_by_tokenguard(config), "tokenguard: {config}");
        let errors: Vec<String> = schema.iter_errors(config).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "schema: {config}: {errors:?}");
    }
    let invalid = [
        json!({"trusted": [{"serviceAccount": "a/b", "reasn": "typo"}]}),
        json!({"trusted": [{"serviceAccount": "a/b"}]}),
        json!({"trusted": [{"serviceAccount": "no-slash", "reason": "x"}]}),
        json!({"trusted": [{"serviceAccount": "a/b", "reason": "  "}]}),
        json!({"rules": {"TG999": "off"}}),
        json!({"rules": {"TG001": "loud"}}),
        json!({"exemptions": [{"rule": "TG001", "object": "a/b", "reason": "x"}]}),
        json!({"projectedTokens": {"maxExpirationSeconds": 0}}),
        json!({"workloadKinds": [{"apiVersion": "v1", "kind": "X", "podSpecPath": "spec..x"}]}),
        json!({"tokenCreators": [{"subject": "Robot:x", "reason": "x"}]}),
        json!({"unknown": 1}),
        json!({"kustomize": "false"}),
        json!({"kustomize": 0}),
    ];
    for config in &invalid {
        assert!(!accepted_by_tokenguard(config), "tokenguard: {config}");
        assert!(!schema.is_valid(config), "schema: {config}");
    }
}

#[test]
fn extra_outputs_are_written_beside_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let gitlab = dir.path().join("cq.json");
    let github = dir.path().join("annotations.txt");
    let markdown = dir.path().join("summary.md");
    let out = tokenguard()
        .args([
            "scan",
            "--root",
            "fixtures/demo",
            "fixtures/demo",
            "--compact",
        ])
        .arg("--gitlab")
        .arg(&gitlab)
        .arg("--github")
        .arg(&github)
        .arg("--markdown")
        .arg(&markdown)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("apps/api.yaml:20:7: error[TG014]"), "{text}");
    let issues: Value = serde_json::from_slice(&std::fs::read(&gitlab).unwrap()).unwrap();
    assert_eq!(issues.as_array().unwrap().len(), 10);
    let annotations = std::fs::read_to_string(&github).unwrap();
    assert_eq!(annotations.lines().count(), 10, "{annotations}");
    assert!(
        std::fs::read_to_string(&markdown)
            .unwrap()
            .starts_with("## tokenguard: 5 errors, 4 warnings, 1 note")
    );
}
