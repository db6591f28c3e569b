//! The real-data check: every manifest of the shared corpus (eleven public projects) loads
//! without a panic, TG000 appears only on files that are not valid YAML, and the scanner's
//! per-file object, workload and ServiceAccount counts equal an independent census
//! (`tests/corpus_census.py`, written with PyYAML). Skipped when the corpus is absent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
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
    let report = tokenguard::scan(ScanOptions::new(
        vec![dir.clone()],
        dir.clone(),
        jiff::civil::date(2026, 1, 1),
    ))
    .expect("the corpus scans");

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
