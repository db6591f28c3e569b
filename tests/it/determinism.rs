//! SPEC 3.1: output is sorted and byte-identical from run to run, whatever the number of
//! worker threads.

use std::path::Path;

use crate::common::{FIXTURE_ROOTS, fixture, scan_sarif_output};

/// SARIF and text of one scan with `--threads N`; the text without its timing.
fn outputs(dir: &Path, threads: &str) -> (String, String) {
    let sarif = scan_sarif_output(dir, &["--threads", threads]);
    assert!(sarif.code == 0 || sarif.code == 1, "{}", sarif.stderr);
    let mut cmd = crate::common::tokenguard();
    cmd.args(["scan", "--compact", "--threads", threads, "--root"])
        .arg(dir)
        .arg(dir);
    let text = crate::common::output(&mut cmd);
    assert_eq!(text.code, sarif.code);
    let (body, totals) = text
        .stdout
        .trim_end()
        .rsplit_once('\n')
        .unwrap_or(("", text.stdout.trim_end()));
    (
        sarif.stdout,
        format!("{body}\n{}", crate::common::strip_time(totals)),
    )
}

fn assert_thread_count_does_not_matter(dir: &Path) {
    let (sarif_1, text_1) = outputs(dir, "1");
    let (sarif_4, text_4) = outputs(dir, "4");
    assert!(
        sarif_1 == sarif_4,
        "SARIF of {} differs between --threads 1 and 4",
        dir.display()
    );
    assert!(
        text_1 == text_4,
        "text of {} differs between --threads 1 and 4",
        dir.display()
    );
    // And from one run to the next.
    let (sarif_again, _) = outputs(dir, "4");
    assert!(sarif_4 == sarif_again, "{}", dir.display());
}

#[test]
fn every_fixture_gives_identical_output_with_1_and_4_threads() {
    for rel in FIXTURE_ROOTS {
        assert_thread_count_does_not_matter(&fixture(rel));
    }
    assert_thread_count_does_not_matter(&fixture(""));
}

#[test]
fn results_are_sorted_by_path_then_position_then_rule() {
    let sarif: serde_json::Value =
        serde_json::from_str(&scan_sarif_output(&fixture(""), &[]).stdout).unwrap();
    let rows = crate::common::rows(&sarif);
    assert!(rows.len() > 50);
    let keys: Vec<_> = rows
        .iter()
        .map(|(rule, uri, line, col, _, _, _)| (uri.clone(), *line, *col, rule.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn the_shared_corpus_gives_identical_output_with_1_and_4_threads() {
    let corpus = crate::common::repo().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} does not exist", corpus.display());
        return;
    }
    let (sarif_1, _) = outputs(&corpus, "1");
    let (sarif_4, _) = outputs(&corpus, "4");
    assert!(
        sarif_1 == sarif_4,
        "SARIF of the corpus differs between --threads 1 and 4"
    );
    let sarif: serde_json::Value = serde_json::from_str(&sarif_1).unwrap();
    assert!(!crate::common::results(&sarif).is_empty());
}
