//! The command line writes findings as the scan finds them, a batch of 512 files at a
//! time (SPEC 3.1's order, whatever the batches and threads): standard input and the
//! config file take their place among the files by name, totals come at the end, and an
//! output that fails stops the scan while one whose reader left does not.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::*;
use serde_json::Value;

/// A Pod that runs as `default` in `namespace`: TG001 on its `spec` key, line 6.
fn pod(name: &str, namespace: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  containers:\n    - name: c\n      image: i\n"
    )
}

/// 600 files before `m-...` and 600 after: three batches of files.
fn corpus(dir: &Path) {
    for prefix in ["a", "z"] {
        for i in 0..600 {
            let name = format!("{prefix}-{i:04}");
            std::fs::write(dir.join(format!("{name}.yaml")), pod(&name, prefix)).unwrap();
        }
    }
    std::fs::write(
        dir.join("m-config.yaml"),
        "trusted:\n  - serviceAccount: ghost/*\n    reason: left over\nexemptions:\n  - rule: TG001\n    object: a/Pod/gone\n    reason: old\n    expires: 2020-01-01\n",
    )
    .unwrap();
}

/// The binary, spawned directly: these tests hold its pipes.
fn tokenguard_process() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tokenguard"));
    cmd.env_remove("NO_COLOR");
    cmd
}

/// Scans `dir` and `m-stdin.yaml` on standard input with the config `m-config.yaml`.
fn scan(dir: &Path, extra: &[&str]) -> Output {
    let mut child = tokenguard_process()
        .current_dir(dir)
        .args(["scan", "--root", ".", "--config", "m-config.yaml"])
        .args(extra)
        .args([".", "-", "--stdin-filename", "m-stdin.yaml"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(pod("s", "m").as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Output {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

type Row = (String, String, u64, u64);

fn rows(json: &Value) -> Vec<Row> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn findings_come_in_report_order_across_runs_with_stdin_and_config_merged_in() {
    let tmp = tempfile::tempdir().unwrap();
    corpus(tmp.path());
    let tg001 = |path: String| ("TG001".to_owned(), path, 6, 1);
    let mut want: Vec<Row> = (0..600).map(|i| tg001(format!("a-{i:04}.yaml"))).collect();
    want.push(("TG013".to_owned(), "m-config.yaml".to_owned(), 2, 5));
    want.push(("TG012".to_owned(), "m-config.yaml".to_owned(), 5, 5));
    want.push(tg001("m-stdin.yaml".to_owned()));
    want.extend((0..600).map(|i| tg001(format!("z-{i:04}.yaml"))));

    let mut outputs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = scan(tmp.path(), &["--format", "json", "--threads", threads]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_eq!(out.stderr, "");
        let json: Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(rows(&json), want, "{threads} thread(s)");
        // The totals follow the findings they count.
        let stats = &json["stats"];
        assert_eq!(
            (&stats["errors"], &stats["warnings"], &stats["notes"]),
            (&Value::from(1201), &Value::from(1), &Value::from(1)),
        );
        outputs.push(out.stdout);
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "byte-identical");
}

#[test]
fn an_output_that_fails_while_findings_are_written_is_exit_2() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    corpus(tmp.path());
    let out = scan(tmp.path(), &["--format", "sarif", "--output", "/dev/full"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("tokenguard: error: cannot write /dev/full: "),
        "{}",
        out.stderr
    );
}

#[test]
fn the_other_outputs_are_complete_when_standard_output_is_closed_early() {
    let tmp = tempfile::tempdir().unwrap();
    corpus(tmp.path());
    let sarif = tmp.path().join("out.sarif");
    let mut child = tokenguard_process()
        .current_dir(tmp.path())
        .args(["scan", "--root", ".", "--config", "m-config.yaml"])
        .args(["--format", "text", "--sarif"])
        .arg(&sarif)
        .arg(".")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `tokenguard scan | head -0`: the reader goes away before anything is read.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(results(&log).len(), 1202);
}

/// `tokenguard rules | head -0`, `explain` and `config-schema` likewise: a reader that
/// goes away early is no error, and certainly no panic.
#[test]
fn listing_commands_end_quietly_when_standard_output_is_closed_early() {
    for args in [&["rules"][..], &["explain", "TG001"], &["config-schema"]] {
        let mut child = tokenguard_process()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stderr).into_owned()
            ),
            (Some(0), String::new()),
            "{args:?}"
        );
    }
}

/// Scans `dir` with `text` on standard input shown as `stdin_name`, as JSON.
fn scan_with_stdin(dir: &Path, stdin_name: &str, text: &str) -> Value {
    let mut child = tokenguard_process()
        .current_dir(dir)
        .args([
            "scan",
            "--root",
            ".",
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args([".", "-", "--stdin-filename", stdin_name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(text.as_bytes()).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_notification_about_standard_input_comes_in_path_order() {
    let tmp = tempfile::tempdir().unwrap();
    // Helm templates that do not parse: skipped, each with a notification.
    let template = "a: b\nx: {{ .Values.y }}\n  bad: [\n";
    std::fs::write(tmp.path().join("a.yaml"), template).unwrap();
    std::fs::write(tmp.path().join("c.yaml"), template).unwrap();
    let json = scan_with_stdin(tmp.path(), "b.yaml", template);
    let paths: Vec<&str> = json["notifications"]
        .as_array()
        .unwrap()
        .iter()
        // The scan's own warning that it found no object has no path.
        .filter_map(|n| n["path"].as_str())
        .collect();
    assert_eq!(paths, ["a.yaml", "b.yaml", "c.yaml"]);
}

#[test]
fn findings_at_one_position_are_ordered_by_object_not_by_message() {
    let tmp = tempfile::tempdir().unwrap();
    // Two workloads share one pod spec through an anchor: TG001 twice on its key.
    std::fs::write(tmp.path().join("a.yaml"), "").unwrap();
    let shared = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web, namespace: z}\n  spec:\n    template:\n      spec: &pod\n        automountServiceAccountToken: true\n        containers: [{name: c, image: i}]\n- apiVersion: apps/v1\n  kind: StatefulSet\n  metadata: {name: db, namespace: a}\n  spec:\n    template:\n      spec: *pod\n";
    let json = scan_with_stdin(tmp.path(), "b.yaml", shared);
    let found: Vec<(&str, u64, u64, &str, &str)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["object"]["namespace"].as_str().unwrap(),
                f["object"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    // By message, `Deployment z/web ...` would come first.
    assert_eq!(
        found,
        [("TG001", 10, 9, "a", "db"), ("TG001", 10, 9, "z", "web")]
    );
}
