//! The real-data check: every manifest of the shared corpus (eleven public projects) loads
//! without a panic, TG000 appears only on files that are not valid YAML, and the scanner's
//! per-file object, workload and ServiceAccount counts equal an independent census
//! (`tests/corpus_census.py`, written with PyYAML). Skipped when the corpus is absent.
//! A differential test holds the loader to kubectl's: every file that PyYAML's libyaml
//! loader reads (`tests/libyaml_reads.py`) loads without TG000, and every file only
//! tokenguard loads is listed with its reason; it says SKIPPED when python3 or PyYAML
//! with libyaml is missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tokenguard::load::Loaded;
use tokenguard::{FileStatus, ScanOptions};

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    dir.is_dir().then_some(dir)
}

fn census(dir: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus_census.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(dir)
        .output()
        .expect("python3 runs (the census needs python3 with PyYAML: pip install pyyaml)");
    assert!(
        out.status.success(),
        "census failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("census prints JSON")
}

#[test]
fn corpus_counts_match_an_independent_census() {
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus is absent: nothing to check");
        return;
    };
    let expected = census(&dir);
    // The census counts files as files: kustomizations are not rendered here.
    let mut options = ScanOptions::new(
        vec![dir.clone()],
        dir.clone(),
        jiff::civil::date(2026, 1, 1),
    );
    options.render_kustomize = false;
    let report = tokenguard::scan(options).expect("the corpus scans");

    let scanned: BTreeMap<&str, tokenguard::SourceFile> =
        report.scanned.files.iter().map(|f| (f.path, f)).collect();
    let census_files = expected["files"].as_array().unwrap();
    assert_eq!(
        scanned.keys().copied().collect::<Vec<_>>(),
        census_files
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect::<Vec<_>>(),
        "the same files are discovered, in the same order"
    );

    let mut tg000: BTreeMap<&str, String> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.rule.code() == "TG000") {
        let start = f.location.region.start;
        tg000.insert(
            report.file(f.location.file).path,
            format!("{}:{}", start.line, start.col),
        );
    }

    for entry in census_files {
        let path = entry["path"].as_str().unwrap();
        let file = scanned[path];
        let status = entry["status"].as_str().unwrap();
        let want = match status {
            "ok" => FileStatus::Scanned,
            "invalid" => FileStatus::Failed,
            "helm-template" => FileStatus::HelmTemplate,
            "kustomization" => FileStatus::Kustomization,
            other => panic!("unknown census status {other}"),
        };
        assert_eq!(file.status, want, "{path}: status");
        if status == "invalid" {
            let error = entry["error"].as_str().unwrap();
            let position = error.split(": ").next().unwrap();
            assert_eq!(
                tg000.get(path).map(String::as_str),
                Some(position),
                "{path}: TG000 at {error}"
            );
            continue;
        }
        assert!(!tg000.contains_key(path), "{path}: TG000 on a valid file");
        let counts = (file.objects, file.workloads, file.service_accounts);
        let want = (
            entry["objects"].as_u64().unwrap() as u32,
            entry["workloads"].as_u64().unwrap() as u32,
            entry["serviceAccounts"].as_u64().unwrap() as u32,
        );
        assert_eq!(
            counts, want,
            "{path}: (objects, workloads, service accounts)"
        );
    }
    assert_eq!(
        report.scanned.stats.files,
        expected["totals"]["files"].as_u64().unwrap() as usize
    );
}

/// What PyYAML's libyaml loader (the C library go-yaml v2, kubectl's YAML reader, is a
/// port of) says of each file of `dir`: `path -> None` when it loads, else its error.
/// `None` when python3 or PyYAML with libyaml is missing, after saying so.
fn libyaml_reads(dir: &Path) -> Option<BTreeMap<String, Option<String>>> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libyaml_reads.py");
    let out = match Command::new("python3").arg(script).arg(dir).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("SKIPPED: python3 does not run ({e}): no reference to compare with");
            return None;
        }
    };
    if !out.status.success() {
        eprintln!(
            "SKIPPED: the libyaml reference failed (PyYAML with libyaml missing?): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).expect("the reference prints JSON"))
}

/// Files that tokenguard loads and libyaml refuses, each with why tokenguard is right
/// to load it. Empty: none in the corpus today.
const LOADED_THOUGH_LIBYAML_REFUSES: &[(&str, &str)] = &[];

/// Compares tokenguard's loader with libyaml on every file of `dir`: each file libyaml
/// loads must load without TG000, and the files only tokenguard loads must be `documented`.
/// Returns how many files libyaml loads, or `None` when the reference cannot run.
fn compare_with_libyaml(dir: &Path, documented: &[(&str, &str)]) -> Option<usize> {
    let reference = libyaml_reads(dir)?;
    let limits = tokenguard::yaml::Limits::default();
    let mut refused_by_tokenguard = Vec::new();
    let mut refused_by_libyaml = Vec::new();
    for (path, libyaml_error) in &reference {
        let bytes = std::fs::read(dir.join(path)).expect("a file reads");
        let failure = match tokenguard::load::load(&bytes, &limits) {
            Loaded::Manifests { failure, .. } => {
                failure.map(|f| format!("{}: {}", f.pos, f.reason))
            }
            Loaded::Failed(f) => Some(format!("{}: {}", f.pos, f.reason)),
            Loaded::Skipped(skip) => Some(format!("skipped: {skip:?}")),
        };
        match (libyaml_error, failure) {
            (None, Some(failure)) => refused_by_tokenguard.push(format!("{path}: {failure}")),
            (Some(error), None) => refused_by_libyaml.push((path.as_str(), error.as_str())),
            _ => {}
        }
    }
    assert_eq!(
        refused_by_tokenguard,
        Vec::<String>::new(),
        "files libyaml (so kubectl) reads that tokenguard reports as TG000"
    );
    assert_eq!(
        refused_by_libyaml.iter().map(|r| r.0).collect::<Vec<_>>(),
        documented.iter().map(|d| d.0).collect::<Vec<_>>(),
        "files tokenguard loads and libyaml refuses: {refused_by_libyaml:#?}"
    );
    Some(reference.values().filter(|e| e.is_none()).count())
}

#[test]
fn corpus_files_libyaml_reads_load_without_tg000_and_the_reverse_is_documented() {
    let Some(dir) = corpus() else {
        eprintln!("SKIPPED: ../shared/corpus is absent: nothing to compare");
        return;
    };
    if let Some(loaded) = compare_with_libyaml(&dir, LOADED_THOUGH_LIBYAML_REFUSES) {
        assert!(
            loaded > 1000,
            "the comparison covers the corpus ({loaded} files)"
        );
    }
}

#[test]
fn inputs_only_kubectl_reads_load_without_tg000_where_libyaml_reads_them() {
    // The reproductions of saphyr-parser's refusals (flow collections and quoted values
    // left of their key, tabs in pasted JSON, a tab after `key:`, a glued comment).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/inputs/kubectl-reads");
    if let Some(loaded) = compare_with_libyaml(&dir, &[]) {
        assert_eq!(loaded, 2);
    }
}
