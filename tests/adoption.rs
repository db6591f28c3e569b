//! `tokenguard init`, `tokenguard config-schema` and the extra CI outputs, through the
//! command line.

use std::path::Path;

use assert_cmd::Command;
use serde_json::{Value, json};

fn tokenguard() -> Command {
    Command::cargo_bin("tokenguard").unwrap()
}

/// A copy of the demo repository without its config.
fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new("fixtures/demo"), dir.path());
    std::fs::remove_file(dir.path().join(".tokenguard.yaml")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
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
        text.lines().all(|l| l.starts_with('#')),
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
    tokenguard()
        .args(["init", "--root", root, root])
        .assert()
        .code(2);
    assert!(!repo.path().join(".tokenguard.yaml").exists());
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
            "projectedTokens": {"maxExpirationSeconds": 86400}
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
