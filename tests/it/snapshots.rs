//! Every output format of the demo repository, compared byte for byte with a golden file
//! in `tests/snapshots/`. Only what differs between runs and machines is replaced before
//! the comparison: the elapsed time, the root's absolute URI and the version.
//!
//! After an intended change of an output, rewrite the golden files with
//! `UPDATE_SNAPSHOTS=1 cargo test --test it snapshots` and review their diff.

use std::path::PathBuf;

use crate::common::{fixture, output, repo, strip_time, tokenguard};
use serde_json::Value;

/// The environment variable that rewrites the golden files instead of comparing.
const UPDATE: &str = "UPDATE_SNAPSHOTS";

/// `tokenguard scan --format FORMAT` of the demo, with the demo as the root.
fn demo_output(format: &str) -> String {
    let demo = fixture("demo");
    let out = output(
        tokenguard()
            .current_dir(&demo)
            .args(["scan", "--color", "never", "--format", format, "--root"])
            .arg(&demo)
            .arg(&demo),
    );
    assert_eq!(out.code, 1, "the demo has errors; stderr: {}", out.stderr);
    assert_eq!(out.stderr, "", "stderr of --format {format}");
    out.stdout
}

/// `"version": "0.1.0"` and `"semanticVersion": "0.1.0"` with the version replaced.
fn without_version(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut text = text.to_owned();
    for key in ["version", "semanticVersion"] {
        text = text.replace(
            &format!("\"{key}\": \"{version}\""),
            &format!("\"{key}\": \"[version]\""),
        );
    }
    text
}

/// The SARIF with the root's absolute `file:` URI and the version replaced.
fn normalized_sarif(text: &str) -> String {
    let sarif: Value = serde_json::from_str(text).expect("SARIF is JSON");
    let root = sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("the root's URI");
    assert!(
        root.starts_with("file:///") && root.ends_with("/fixtures/demo/"),
        "{root}"
    );
    let text = text.replace(&format!("\"{root}\""), "\"file:///[root]/\"");
    without_version(&text)
}

/// The text output with the elapsed time of its summary line replaced.
fn normalized_text(text: &str) -> String {
    let (body, summary) = text
        .strip_suffix('\n')
        .and_then(|t| t.rsplit_once('\n'))
        .expect("a summary line at the end");
    format!("{body}\n{}; [elapsed]\n", strip_time(summary))
}

/// Compares `actual` with `tests/snapshots/NAME`, or writes it there when asked to.
fn assert_snapshot(name: &str, actual: &str) {
    let path: PathBuf = repo().join("tests/snapshots").join(name);
    if std::env::var_os(UPDATE).is_some() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "tests/snapshots/{name}: {e}; write it with {UPDATE}=1 cargo test --test it snapshots"
        )
    });
    if expected == actual {
        return;
    }
    let expected_lines: Vec<&str> = expected.lines().collect();
    let actual_lines: Vec<&str> = actual.lines().collect();
    let first = (0..expected_lines.len().max(actual_lines.len()))
        .find(|&i| expected_lines.get(i) != actual_lines.get(i))
        .unwrap_or(expected_lines.len());
    panic!(
        "tests/snapshots/{name} differs from the output, first at line {}:\n  expected: {:?}\n  actual:   {:?}\n({} lines expected, {} actual; if the change is intended, run {UPDATE}=1 cargo test --test it snapshots and review the diff)",
        first + 1,
        expected_lines
            .get(first)
            .copied()
            .unwrap_or("<end of file>"),
        actual_lines
            .get(first)
            .copied()
            .unwrap_or("<end of output>"),
        expected_lines.len(),
        actual_lines.len(),
    );
}

#[test]
fn text_of_the_demo() {
    assert_snapshot("demo.txt", &normalized_text(&demo_output("text")));
}

#[test]
fn sarif_of_the_demo() {
    assert_snapshot("demo.sarif", &normalized_sarif(&demo_output("sarif")));
}

#[test]
fn json_of_the_demo() {
    assert_snapshot("demo.json", &without_version(&demo_output("json")));
}

#[test]
fn github_annotations_of_the_demo() {
    assert_snapshot("demo.github.txt", &demo_output("github"));
}

#[test]
fn gitlab_code_quality_of_the_demo() {
    assert_snapshot("demo.gitlab.json", &demo_output("gitlab"));
}

#[test]
fn markdown_of_the_demo() {
    assert_snapshot("demo.md", &demo_output("markdown"));
}
