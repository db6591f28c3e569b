//! The GitHub Action: its shell steps (action/*.sh), run as the runner runs them against
//! the binary under test (see ci/test-action.sh for what is checked), and the order of
//! the annotations it writes with `--diff`: a pull request's own lines first.

use std::path::Path;

use crate::common::{Output, fixture, output, tokenguard};

#[cfg(unix)]
#[test]
fn action_steps_produce_outputs_summary_and_annotations() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/test-action.sh");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_tokenguard"))
        .output()
        .expect("bash runs ci/test-action.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "ci/test-action.sh failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

/// `tokenguard scan --root demo --fail-on never EXTRA... demo`.
fn scan_demo(extra: &[&str]) -> Output {
    let dir = fixture("demo");
    let mut cmd = tokenguard();
    cmd.current_dir(&dir)
        .args(["scan", "--fail-on", "never", "--root"])
        .arg(&dir)
        .args(extra)
        .arg(&dir);
    output(&mut cmd)
}

/// Each annotation as `LEVEL FILE:LINE RULE`.
fn annotations(github: &str) -> Vec<String> {
    github
        .lines()
        .map(|line| {
            let (command, rest) = line[2..].split_once(' ').expect("::LEVEL PROPERTIES::");
            let property = |name: &str| {
                rest.split(',')
                    .find_map(|p| p.strip_prefix(name))
                    .expect(name)
                    .to_owned()
            };
            let title = property("title=");
            let rule = title.split(' ').next().expect("a title");
            format!(
                "{command} {}:{} {rule}",
                property("file="),
                property("line=")
            )
        })
        .collect()
}

fn write_diff(dir: &Path, text: &str) -> String {
    let path = dir.join("pr.diff");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The demo's changes in a pull request: the lines of two findings, and lines right
/// next to two others (which stay in report order).
const DEMO_PR: &str = "\
diff --git a/apps/api.yaml b/apps/api.yaml
--- a/apps/api.yaml
+++ b/apps/api.yaml
@@ -21,0 +21,2 @@ spec:
+          image: api:2
+          imagePullPolicy: Always
diff --git a/apps/frontend.yaml b/apps/frontend.yaml
--- a/apps/frontend.yaml
+++ b/apps/frontend.yaml
@@ -12 +12 @@ spec:
-      serviceAccountName: web
+      serviceAccountName: frontend
diff --git a/ci/nightly-report.yaml b/ci/nightly-report.yaml
--- a/ci/nightly-report.yaml
+++ b/ci/nightly-report.yaml
@@ -12 +12 @@ spec:
-          serviceAccount: reports
+          serviceAccount: reporter
diff --git a/platform/ci-token.yaml b/platform/ci-token.yaml
new file mode 100644
--- /dev/null
+++ b/platform/ci-token.yaml
@@ -0,0 +1,10 @@
+apiVersion: v1
+kind: Secret
+metadata:
+  name: ci-token
+  namespace: ci
+  annotations:
+    kubernetes.io/service-account.name: deployer
+type: kubernetes.io/service-account-token
+data: {}
+# end
";

#[test]
fn github_annotations_on_the_lines_a_diff_adds_come_first() {
    let tmp = tempfile::tempdir().unwrap();
    let diff = write_diff(tmp.path(), DEMO_PR);
    let out = scan_demo(&["--format", "github", "--diff", &diff]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        annotations(&out.stdout),
        [
            // On the pull request's lines, in report order...
            "error ci/nightly-report.yaml:12 TG001",
            "notice ci/nightly-report.yaml:12 TG009",
            "warning ci/nightly-report.yaml:12 TG011",
            "error platform/ci-token.yaml:8 TG005",
            // ...then the rest, in report order.
            "warning apps/api.yaml:4 TG002",
            "error apps/api.yaml:20 TG014",
            "error apps/frontend.yaml:13 TG001",
            "warning apps/frontend.yaml:13 TG010",
            "warning apps/worker.yaml:25 TG010",
            "error platform/broken.yaml:5 TG000",
        ]
    );
    // The same annotations as without a diff, only in another order.
    let plain = scan_demo(&["--format", "github"]).stdout;
    let mut lines: Vec<&str> = out.stdout.lines().collect();
    let mut plain_lines: Vec<&str> = plain.lines().collect();
    assert_ne!(lines, plain_lines);
    lines.sort_unstable();
    plain_lines.sort_unstable();
    assert_eq!(lines, plain_lines);
}

#[test]
fn a_diff_that_touches_no_finding_keeps_report_order_and_other_formats_ignore_it() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = write_diff(
        tmp.path(),
        "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-a\n+b\n",
    );
    let plain = scan_demo(&["--format", "github"]).stdout;
    assert_eq!(
        scan_demo(&["--format", "github", "--diff", &elsewhere]).stdout,
        plain
    );
    let pr = write_diff(tmp.path(), DEMO_PR);
    // Text ends with the scan's time, the one part that may differ between two runs.
    let untimed = |text: &str| match text.trim_end().rsplit_once('\n') {
        Some((head, last)) if last.contains(" objects") => {
            format!("{head}\n{}", crate::common::strip_time(last))
        }
        _ => text.to_owned(),
    };
    for format in ["text", "sarif", "json", "gitlab", "markdown"] {
        let with = scan_demo(&["--format", format, "--color", "never", "--diff", &pr]);
        let without = scan_demo(&["--format", format, "--color", "never"]);
        assert_eq!(untimed(&with.stdout), untimed(&without.stdout), "{format}");
    }
}

#[test]
fn an_unreadable_or_malformed_diff_is_exit_2_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write_diff(
        tmp.path(),
        "--- a/apps/api.yaml\n+++ b/apps/api.yaml\n@@ -20 +twenty @@\n",
    );
    let out = scan_demo(&["--format", "github", "--diff", &bad]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "tokenguard: error: {bad}:3: a hunk header is `@@ -START[,COUNT] +START[,COUNT] @@`\n"
        )
    );

    let missing = tmp.path().join("missing.diff");
    let out = scan_demo(&["--diff", missing.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "tokenguard: error: cannot read {}: ",
            missing.display()
        )),
        "{}",
        out.stderr
    );
}
