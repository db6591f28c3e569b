//! Every rule documents itself: `tokenguard rules` lists it, `tokenguard explain` prints
//! its help, and that help is the SARIF `help.markdown`, with what, why, a YAML fix, how
//! to suppress and references.

use assert_cmd::Command;
use serde_json::Value;

fn stdout(args: &[&str]) -> String {
    let out = Command::cargo_bin("tokenguard")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn explain_prints_the_sarif_help_of_every_rule() {
    let out = Command::cargo_bin("tokenguard")
        .unwrap()
        .args([
            "scan",
            "--root",
            "fixtures/demo",
            "fixtures/demo",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "TG000", "TG001", "TG002", "TG003", "TG004", "TG005", "TG006", "TG007", "TG008",
            "TG009", "TG010", "TG011", "TG012", "TG013", "TG014"
        ]
    );
    let table = stdout(&["rules"]);
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        let help = rule["help"]["markdown"].as_str().unwrap();
        assert_eq!(stdout(&["explain", id]), help, "{id}");
        assert_eq!(
            stdout(&["explain", &id.to_lowercase()]),
            help,
            "ids are case-insensitive"
        );
        for section in [
            "**What it finds.**",
            "**Why it matters.**",
            "**How to fix.**",
            "**How to suppress.**",
            "**References.**",
            "```yaml",
        ] {
            assert!(help.contains(section), "{id} help lacks {section}");
        }
        assert!(help.starts_with(&format!("## {id} {}", rule["name"].as_str().unwrap())));
        let line = table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{id} not in `rules`"));
        assert!(line.contains(rule["name"].as_str().unwrap()), "{line}");
    }
}

#[test]
fn rules_shows_the_level_under_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".tokenguard.yaml"),
        "rules:\n  TG009: off\n  TG002: error\n",
    )
    .unwrap();
    let table = stdout(&["rules", "--root", dir.path().to_str().unwrap()]);
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(id))
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("TG009"),
        ["TG009", "unknown-service-account", "note", "off"]
    );
    assert_eq!(
        row("TG002"),
        [
            "TG002",
            "service-account-automount-enabled",
            "warning",
            "error"
        ]
    );
    assert_eq!(
        row("TG014"),
        [
            "TG014",
            "privileged-token-automount-untrusted",
            "error",
            "error"
        ]
    );
}
