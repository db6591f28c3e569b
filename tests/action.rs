//! The GitHub Action's shell steps (action/*.sh), run as the runner runs them against
//! the binary under test: see ci/test-action.sh for what is checked.

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
