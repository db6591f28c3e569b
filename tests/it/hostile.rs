//! SPEC 10 against the hostile corpus (`tests/hostile/`, small files) and inputs made here
//! at run time (50 MB, 10,000 levels, 100,000 documents, links, FIFOs, odd file names):
//! every bad file is a TG000 with its exact reason and position, the other files' findings
//! are still reported, limits bound the work (counted in nodes, never timed), nothing
//! outside the root is read through a link, and no name injects into text or SARIF.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokenguard::load::{self, Loaded};
use tokenguard::yaml::{self, Limits, ParseErrorKind};
use tokenguard::{FileStatus, Report, ScanOptions};

use crate::common::tokenguard;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

fn scan_with(paths: &[&Path], root: &Path, limits: Limits) -> Report {
    tokenguard::scan(ScanOptions {
        limits,
        ..ScanOptions::new(
            paths.iter().map(|p| p.to_path_buf()).collect(),
            root.to_path_buf(),
            jiff::civil::date(2026, 1, 1),
        )
    })
    .expect("the scan runs")
}

fn scan(dir: &Path) -> Report {
    scan_with(&[dir], dir, Limits::default())
}

/// `path -> (line, column, reason)` of every TG000.
fn tg000(report: &Report) -> BTreeMap<String, (u32, u32, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule.code() == "TG000")
        .map(|f| {
            let start = f.location.region.start;
            (
                report.file(f.location.file).path.to_owned(),
                (start.line, start.col, reason(&f.message)),
            )
        })
        .collect()
}

/// The reason a TG000 message gives: "This file could not be loaded (REASON); ...".
fn reason(message: &str) -> String {
    message
        .strip_prefix("This file could not be loaded (")
        .and_then(|rest| rest.rsplit_once("); the objects in it"))
        .map(|(reason, _)| reason.to_owned())
        .unwrap_or_else(|| panic!("not a TG000 message: {message}"))
}

/// `(path, line, column)` of every finding of `rule`.
fn located(report: &Report, rule: &str) -> Vec<(String, u32, u32)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule.code() == rule)
        .map(|f| {
            let start = f.location.region.start;
            (
                report.file(f.location.file).path.to_owned(),
                start.line,
                start.col,
            )
        })
        .collect()
}

fn notes(report: &Report) -> Vec<(String, String)> {
    report
        .scanned
        .notifications
        .iter()
        .map(|n| (n.path.clone().unwrap_or_default(), n.message.clone()))
        .collect()
}

fn parse(text: &str) -> yaml::Stream {
    yaml::parse(text, &Limits::default())
}

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers: []\n";

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn every_bad_file_is_tg000_with_its_exact_reason_and_position() {
    let report = scan(&corpus());
    let want: BTreeMap<String, (u32, u32, String)> = [
        (
            "alias-bomb.yaml",
            6,
            45,
            "aliases expand to more than 1000000 nodes (a \"billion laughs\" document?)",
        ),
        (
            "bom-error.yaml",
            1,
            7,
            "invalid YAML: unexpected character: `@'",
        ),
        (
            "collection-key.yaml",
            3,
            3,
            "invalid YAML: a mapping key must be a scalar",
        ),
        (
            "control-char.yaml",
            4,
            10,
            "control character U+001B is not allowed in YAML",
        ),
        (
            "flow-deep.yaml",
            1,
            256,
            "nesting is deeper than 256 levels",
        ),
        ("invalid-utf8.yaml", 4, 12, "not valid UTF-8 (byte 0xE9)"),
        (
            "json-bad-escape.json",
            1,
            58,
            "invalid JSON: while parsing a quoted scalar, found unknown escape character",
        ),
        (
            "json-missing-colon.json",
            1,
            15,
            "invalid JSON: invalid trailing content after double-quoted scalar",
        ),
        (
            "json-truncated.json",
            1,
            61,
            "invalid JSON: while parsing a flow mapping, did not find expected ',' or '}'",
        ),
        ("nul-byte.yaml", 2, 10, "binary content (NUL byte)"),
        (
            "tabs.yaml",
            4,
            2,
            "invalid YAML: tabs disallowed within this context (block indentation)",
        ),
        (
            "template-trick.yaml",
            13,
            2,
            "invalid YAML: a mapping key must be a scalar",
        ),
        (
            "unknown-alias.yaml",
            4,
            9,
            "invalid YAML: while parsing node, found unknown anchor",
        ),
        (
            "utf16.yaml",
            1,
            1,
            "UTF-16 or UTF-32 text (byte order mark); convert the file to UTF-8",
        ),
        (
            "yaml-error-after-document-end.yaml",
            11,
            1,
            "invalid YAML: unexpected character: `@'",
        ),
        (
            "yaml-error-at-end.yaml",
            11,
            6,
            "invalid YAML: while scanning a quoted scalar, found unexpected end of stream",
        ),
        (
            "yaml-error-first-line.yaml",
            1,
            1,
            "invalid YAML: misplaced bracket",
        ),
        (
            "yaml-error-second-document.yaml",
            14,
            5,
            "invalid YAML: while parsing a flow mapping, did not find expected ',' or '}'",
        ),
    ]
    .into_iter()
    .map(|(path, line, col, reason)| (path.to_owned(), (line, col, reason.to_owned())))
    .collect();
    assert_eq!(tg000(&report), want);
    // TG000 is an error, so `--fail-on error` (the default) fails the job.
    assert!(
        report
            .findings
            .iter()
            .filter(|f| f.rule.code() == "TG000")
            .all(|f| f.level == tokenguard::finding::Level::Error)
    );
    assert_eq!(report.scanned.stats.invalid_files, want.len());
}

#[test]
fn other_files_and_documents_before_an_error_keep_their_findings() {
    let report = scan(&corpus());
    let tg001 = located(&report, "TG001");
    let want: Vec<(String, u32, u32)> = [
        ("bom.yaml", 7, 3),            // BOM: columns as an editor shows them
        ("crlf-mixed.yaml", 7, 3),     // CRLF and LF mixed
        ("duplicate-keys.yaml", 9, 3), // the last value wins, as kubectl applies it
        ("escape-names.yaml", 9, 3),   // hostile names are still findings
        ("good.yaml", 6, 1),
        ("tabs.json", 9, 3), // tab-indented JSON is valid JSON
        ("template-trick.yaml", 8, 5),
        ("yaml-error-after-document-end.yaml", 6, 1),
        ("yaml-error-at-end.yaml", 6, 1),
        ("yaml-error-second-document.yaml", 6, 1),
    ]
    .into_iter()
    .map(|(p, l, c)| (p.to_owned(), l, c))
    .collect();
    assert_eq!(tg001, want);
    // The repeated key that decides is a warning of its own, not a TG000.
    assert_eq!(
        located(&report, "TG015"),
        [("duplicate-keys.yaml".to_owned(), 9, 3)]
    );
    // Documents after the error are not loaded: their objects are hidden, which is why
    // the file is a TG000.
    assert!(
        !report
            .findings
            .iter()
            .any(|f| f.object.as_ref().is_some_and(|o| o.name == "after-error"))
    );
}

#[test]
fn a_broken_template_tail_does_not_hide_a_manifest() {
    let report = scan(&corpus());
    let file = |name: &str| {
        report
            .scanned
            .files
            .iter()
            .find(|f| f.path == name)
            .unwrap()
    };
    // A real template (template actions from the first line) is skipped with a note...
    assert_eq!(file("template-real.yaml").status, FileStatus::HelmTemplate);
    assert!(
        notes(&report)
            .iter()
            .any(|(p, m)| p == "template-real.yaml"
                && m.starts_with("skipped: a Helm chart template"))
    );
    // ...but a manifest followed by something broken with `{{ }}` in it is not a
    // template: its Deployment is reported (above) and so is the error.
    assert_eq!(file("template-trick.yaml").status, FileStatus::Failed);
}

#[test]
fn alias_bombs_stop_after_a_bounded_number_of_expanded_nodes() {
    let limits = Limits::default();
    // The committed billion-laughs file: 10^9 nodes once expanded.
    let text = fs::read_to_string(corpus().join("alias-bomb.yaml")).unwrap();
    let s = parse(&text);
    assert_eq!(
        s.error.as_ref().unwrap().kind,
        ParseErrorKind::AliasExpansion(1_000_000)
    );
    assert_eq!(
        s.alias_expansion, 1_012_328,
        "stops at the first alias over the limit"
    );
    assert_eq!(s.tree.node_count(), 21, "aliases are shared, never copied");

    // Thirty levels (10^30 nodes) cost exactly as much: work is bounded by the limit, not
    // by the nominal size.
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..30 {
        let p = i - 1;
        text += &format!("a{i}: &a{i} [{}]\n", vec![format!("*a{p}"); 10].join(", "));
    }
    let s = parse(&text);
    assert_eq!(s.alias_expansion, 1_012_328);
    assert_eq!(s.tree.node_count(), 21);

    // Merge keys copy entries: every `<<: *big` is paid for before it is copied, so a
    // large mapping merged many times stops at the limit with bounded memory.
    let mut text = String::from("big: &big\n");
    for i in 0..100_000 {
        text += &format!("  k{i}: v\n");
    }
    for i in 0..1_000 {
        text += &format!("m{i}: {{<<: *big}}\n");
    }
    let s = parse(&text);
    let e = s.error.as_ref().unwrap();
    assert_eq!(e.kind, ParseErrorKind::AliasExpansion(1_000_000));
    assert_eq!(
        e.pos,
        yaml::Pos {
            line: 100_006,
            col: 10
        }
    );
    assert!(s.alias_expansion <= 2 * limits.max_alias_expansion);
    assert!(
        s.tree.entry_count() <= 100_000 + 5 * 100_000,
        "copied entries stay within the budget: {}",
        s.tree.entry_count()
    );

    // A long value repeated by aliases is paid for by its bytes, as models copy names.
    let text = format!(
        "apiVersion: v1\nkind: List\nitems:\n- &p {{apiVersion: v1, kind: Pod, metadata: {{name: {}}}}}\n{}",
        "n".repeat(1 << 20),
        "- *p\n".repeat(100)
    );
    let s = parse(&text);
    let e = s.error.as_ref().unwrap();
    assert_eq!(e.kind, ParseErrorKind::AliasText(16 * 1024 * 1024));
    assert_eq!(e.pos, yaml::Pos { line: 20, col: 3 });
    assert_eq!(
        e.kind.to_string(),
        "aliases expand to more than 16777216 bytes of text (a \"billion laughs\" document?)"
    );
}

#[test]
fn deep_nesting_stops_at_the_depth_limit_without_building_deeper() {
    let cases = [
        ("block sequences", "- ".repeat(10_000) + "x\n", 1, 513),
        ("flow sequences", "[".repeat(10_000) + "\n", 1, 256),
        ("flow mappings", "{a: ".repeat(10_000) + "\n", 1, 1021),
        (
            "block mappings",
            (0..1_000)
                .map(|i| format!("{}a:\n", " ".repeat(i)))
                .collect(),
            257,
            257,
        ),
        // The scanner reads a flow collection ahead of the parser, so its own limit of
        // 255 flow levels comes first here: reported with the same reason.
        ("mixed", "- ".repeat(200) + &"[".repeat(10_000), 1, 656),
    ];
    for (what, text, line, col) in cases {
        let s = parse(&text);
        let e = s
            .error
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: no error"));
        assert_eq!(e.kind, ParseErrorKind::TooDeep(256), "{what}");
        assert_eq!(e.pos, yaml::Pos { line, col }, "{what}");
        assert!(
            s.tree.node_count() <= 256,
            "{what}: {} nodes",
            s.tree.node_count()
        );
    }
}

#[test]
fn generated_big_inputs_are_tg000_and_the_rest_is_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good.yaml", POD);
    // A 50 MB single line.
    let mut line = b"data: ".to_vec();
    line.resize(50 * 1000 * 1000, b'x');
    let big = write(root, "big.yaml", &line);
    write(root, "deep.yaml", "- ".repeat(10_000) + "x\n");
    write(root, "flow-deep.json", "{\"a\": ".repeat(10_000));
    write(root, "documents.yaml", "---\n".repeat(100_000));
    let report = scan(root);
    let want: BTreeMap<String, (u32, u32, String)> = [
        (
            "big.yaml",
            1,
            1,
            "file is larger than the 16777216 byte limit (--max-file-size)",
        ),
        ("deep.yaml", 1, 513, "nesting is deeper than 256 levels"),
        (
            "documents.yaml",
            10_001,
            1,
            "more than 10000 documents in one file (--max-documents)",
        ),
        (
            "flow-deep.json",
            1,
            1531,
            "nesting is deeper than 256 levels",
        ),
    ]
    .into_iter()
    .map(|(p, l, c, r)| (p.to_owned(), (l, c, r.to_owned())))
    .collect();
    assert_eq!(tg000(&report), want);
    assert_eq!(located(&report, "TG001"), [("good.yaml".to_owned(), 5, 1)]);

    // Reading stops one byte past the limit.
    let bytes = load::read_file(&big, 1000, false).unwrap();
    assert_eq!(bytes.len(), 1001);
    // The document limit keeps the documents before it.
    let text = fs::read_to_string(root.join("documents.yaml")).unwrap();
    assert_eq!(parse(&text).documents.len(), 10_000);

    // With the limit raised, the same 50 MB line is parsed (in linear time).
    let mut limits = Limits {
        max_file_bytes: 64 << 20,
        ..Limits::default()
    };
    let loaded = load::load(&line, &limits);
    assert!(
        matches!(
            &loaded,
            Loaded::Manifests {
                failure: None,
                ignored_documents: 1,
                ..
            }
        ),
        "a 50 MB scalar loads"
    );
    // And a limit below the file's size is reported with its own number.
    limits.max_file_bytes = 1000;
    let Loaded::Failed(f) = load::load(&line, &limits) else {
        panic!("too large")
    };
    assert_eq!(
        f.reason,
        "file is larger than the 1000 byte limit (--max-file-size)"
    );
}

#[cfg(unix)]
#[test]
fn links_fifos_and_loops_are_reported_not_followed() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let secret = write(
        outside.path(),
        "secret.yaml",
        POD.replace("name: good", "name: outside"),
    );
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "good.yaml", POD);
    symlink(&secret, root.join("outside.yaml")).unwrap();
    symlink(outside.path(), root.join("outside-dir")).unwrap();
    symlink("good.yaml", root.join("inside.yaml")).unwrap();
    symlink("missing.yaml", root.join("broken.yaml")).unwrap();
    symlink("loop-b.yaml", root.join("loop-a.yaml")).unwrap();
    symlink("loop-a.yaml", root.join("loop-b.yaml")).unwrap();
    fs::create_dir(root.join("sub")).unwrap();
    symlink("..", root.join("sub/up")).unwrap();
    let fifo = std::ffi::CString::new(root.join("fifo.yaml").to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);

    let report = scan(root);
    let names = |r: &Report| {
        r.findings
            .iter()
            .filter_map(|f| f.object.as_ref().map(|o| o.name.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&report), ["good"], "nothing read through a link");
    let link_outside = "not read: a symbolic link to outside the root (--follow-symlinks reads it)";
    let want: Vec<(String, String)> = [
        ("broken.yaml", "not read: a broken symbolic link"),
        ("fifo.yaml", "skipped: not a regular file (a FIFO)"),
        (
            "inside.yaml",
            "not read: a symbolic link (--follow-symlinks follows it)",
        ),
        ("loop-a.yaml", "not read: a symbolic link loop"),
        ("loop-b.yaml", "not read: a symbolic link loop"),
        ("outside-dir", link_outside),
        ("outside.yaml", link_outside),
        (
            "sub/up",
            "not walked: a symbolic link to a directory (--follow-symlinks walks it)",
        ),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_owned(), m.to_owned()))
    .collect();
    assert_eq!(notes(&report), want);

    // Named on the command line: a link that stays inside is read, one that leaves the
    // root is reported, a path that a link carries outside too; FIFOs are skipped.
    let named = [
        "inside.yaml",
        "outside.yaml",
        "outside-dir/secret.yaml",
        "fifo.yaml",
        "loop-a.yaml",
        "broken.yaml",
    ]
    .map(|n| root.join(n));
    let named: Vec<&Path> = named.iter().map(PathBuf::as_path).collect();
    let report = scan_with(&named, root, Limits::default());
    assert_eq!(names(&report), ["good"]);
    assert_eq!(report.scanned.files.len(), 1);
    assert_eq!(report.file(tokenguard::FileId(0)).path, "inside.yaml");
    let got: Vec<String> = notes(&report).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        got,
        [
            "broken.yaml",
            "fifo.yaml",
            "loop-a.yaml",
            "outside-dir/secret.yaml",
            "outside.yaml"
        ]
    );

    // --follow-symlinks reads what links point at, and still ends on loops.
    let follow = Limits {
        follow_symlinks: true,
        ..Limits::default()
    };
    let report = scan_with(&[root], root, follow);
    let mut got = names(&report);
    got.sort();
    assert_eq!(got, ["good", "good", "outside", "outside"]);
    assert!(
        notes(&report)
            .iter()
            .any(|(p, m)| p == "sub/up" && m.starts_with("not walked: a file system loop"))
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_file_is_tg000_and_a_notification() {
    // Reading /proc/self/mem at offset 0 fails with EIO, even as root (CI runs as root,
    // so permissions cannot make a file unreadable there).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", POD);
    let mem = Path::new("/proc/self/mem");
    let report = scan_with(&[dir.path(), mem], dir.path(), Limits::default());
    assert_eq!(
        tg000(&report).get("/proc/self/mem"),
        Some(&(
            1,
            1,
            "cannot read the file: Input/output error (os error 5)".to_owned()
        ))
    );
    assert!(notes(&report).contains(&(
        "/proc/self/mem".to_owned(),
        "not read: Input/output error (os error 5)".to_owned()
    )));
    assert_eq!(report.scanned.stats.unreadable_files, 1);
    assert_eq!(located(&report, "TG001"), [("good.yaml".to_owned(), 5, 1)]);
}

#[test]
fn bad_files_fail_the_job_and_the_summary_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    write(dir.path(), "broken.yaml", "a: [\n");
    write(dir.path(), "big.yaml", "# ".repeat(1000));
    let out = tokenguard()
        .args(["scan", "--root", root, root, "--max-file-size", "1KiB"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "TG000 is an error: --fail-on error fails"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("file is larger than the 1024 byte limit (--max-file-size)"),
        "{text}"
    );
    let summary = text.lines().last().unwrap();
    assert!(
        summary.starts_with("2 errors, 0 warnings, 0 notes in 2 files (0 objects, 0 workloads, 0 service accounts), 2 invalid;"),
        "{summary}"
    );
    #[cfg(target_os = "linux")]
    {
        let out = tokenguard()
            .args(["scan", "--root", root, "/proc/self/mem"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.lines().last().unwrap().contains(", 1 unreadable;"),
            "{text}"
        );
    }
    let out = tokenguard()
        .args(["scan", "--root", root, root, "--fail-on", "never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    for bad in ["0", "2GiB", "12 parsecs", "-1"] {
        let out = tokenguard()
            .args(["scan", "--root", root, root, "--max-file-size", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--max-file-size {bad}");
    }
}

#[test]
fn max_documents_is_a_limit_like_max_file_size() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_str().unwrap();
    let sa =
        |name: &str| format!("apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: {name}}}\n");
    write(
        dir.path(),
        "three.yaml",
        [sa("a"), sa("b"), sa("c")].join("---\n"),
    );
    let scan = |limit: &str| {
        let out = tokenguard()
            .args(["scan", "--root", root, root, "--format", "json"])
            .args(["--max-documents", limit])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, json) = scan("3");
    assert_eq!(code, Some(0), "{json}");
    assert!(!json.contains("TG000"), "{json}");
    let (code, json) = scan("2");
    assert_eq!(code, Some(1), "{json}");
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let findings: Vec<(&str, u64, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .filter(|f| f.0 == "TG000")
        .collect();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0].1, 8, "the `---` that starts the third document");
    assert!(
        findings[0]
            .2
            .contains("more than 2 documents in one file (--max-documents)"),
        "{json}"
    );
    for bad in ["0", "-1", "many"] {
        let (code, _) = scan(bad);
        assert_eq!(code, Some(2), "--max-documents {bad}");
    }
}

/// Text output that no terminal or CI log can take for a command.
fn assert_inert_text(text: &str) {
    for c in text.chars() {
        assert!(
            (c == '\n' || c == '\t' || !c.is_control()) && !('\u{202a}'..='\u{202e}').contains(&c),
            "raw {c:?} in text output:\n{text}"
        );
    }
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("::"), "{line}");
        assert!(!line.contains("##["), "{line}");
    }
}

fn sarif_schema() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("../schemas/sarif-2.1.0.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[cfg(unix)]
#[test]
fn names_and_file_names_cannot_inject_into_text_or_sarif() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::copy(
        corpus().join("escape-names.yaml"),
        root.join("escape-names.yaml"),
    )
    .unwrap();
    let odd_names = [
        "::error::pwned.yaml",
        "##[add-mask]x.yaml",
        "a b%#é\n\u{1b}[31m.yaml",
        "\u{202e}lmay.yaml",
    ];
    for name in odd_names {
        write(root, name, POD);
    }
    // Two names that differ only in bytes that are not UTF-8 stay two files.
    for byte in [0xff, 0xfe] {
        let name = [b'n', byte, b'.', b'y', b'a', b'm', b'l'];
        fs::write(root.join(std::ffi::OsStr::from_bytes(&name)), POD).unwrap();
    }
    let root_arg = root.to_str().unwrap();

    let out = tokenguard()
        .args([
            "scan",
            "--root",
            root_arg,
            root_arg,
            "--show-suppressed",
            "--verbose",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_inert_text(&text);
    assert!(
        text.contains("\\u{3a}:error::pwned.yaml:5:1: error[TG001]"),
        "{text}"
    );
    assert!(text.contains("#\\u{23}[add-mask]x.yaml:5:1"), "{text}");
    assert!(text.contains("a b%#é\\u{a}\\u{1b}[31m.yaml:5:1"), "{text}");
    assert!(
        text.contains("n\\xFF.yaml:5:1") && text.contains("n\\xFE.yaml:5:1"),
        "{text}"
    );
    assert!(
        text.contains("evil\\u{1b}[31mred\\u{1b}]8;;https://evil.test\\u{7}"),
        "{text}"
    );
    assert!(
        text.contains("(annotation tokenguard.dev/ignore-TG009: #\\u{23}[add-mask]secret\\u{a}next\\u{1b}[2J)\n"),
        "{text}"
    );

    let out = tokenguard()
        .args(["scan", "--root", root_arg, root_arg, "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("SARIF is valid JSON");
    let errors: Vec<String> = sarif_schema()
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    for want in [
        "%3A%3Aerror%3A%3Apwned.yaml",
        "%23%23%5Badd-mask%5Dx.yaml",
        "a%20b%25%23%C3%A9%0A%1B%5B31m.yaml",
        "%E2%80%AElmay.yaml",
    ] {
        assert!(uris.contains(&want), "{want} in {uris:?}");
    }
    for r in results {
        let message = r["message"]["text"].as_str().unwrap();
        assert!(!message.chars().any(|c| c.is_control()), "{message}");
        let unescaped_bracket = message
            .char_indices()
            .any(|(i, c)| matches!(c, '[' | ']') && !message[..i].ends_with('\\'));
        assert!(
            !unescaped_bracket,
            "a name could form a SARIF link: {message}"
        );
    }
    let evil = results
        .iter()
        .find(|r| r["properties"]["namespace"] == "::error file=x::pwned")
        .expect("names are kept exactly in data fields");
    assert!(
        evil["message"]["text"]
            .as_str()
            .unwrap()
            .contains("evil\\u{1b}\\[31mred\\u{1b}\\]8;;https://evil.test\\u{7}\\[click\\](https://evil.test)\\u{202e}txt.exe")
    );
}

#[test]
fn the_config_at_the_root_is_read_bounded_and_never_through_a_link_outside() {
    let outside = tempfile::tempdir().unwrap();
    let config = write(outside.path(), "config.yaml", "trusted: []\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", POD);
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&config, dir.path().join(".tokenguard.yaml")).unwrap();
        let root = dir.path().to_str().unwrap();
        let out = tokenguard()
            .args(["scan", "--root", root, root])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(".tokenguard.yaml: a symbolic link to outside the root; not read"),
            "{err}"
        );
    }
}

/// A pod whose finding's source line names the file it was written in.
fn pod_named(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  automountServiceAccountToken: true # {name}\n  containers: []\n"
    )
}

#[cfg(unix)]
#[test]
fn every_file_is_read_again_for_its_source_line_wherever_it_came_from() {
    use std::os::unix::ffi::OsStrExt;
    use tokenguard::Source;
    // A report keeps a second path only for a file that is not at the root joined with
    // its report path: each kind of file must still show its own source line.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    fs::create_dir_all(root.join("real")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    write(&root, "inside.yaml", pod_named("inside"));
    write(&root, "real/target.yaml", pod_named("target"));
    std::os::unix::fs::symlink("real/target.yaml", root.join("link.yaml")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"n\xFF.yaml");
    fs::write(root.join(odd), pod_named("odd")).unwrap();
    let out_file = write(&outside, "out.yaml", pod_named("outside"));

    let follow = Limits {
        follow_symlinks: true,
        ..Limits::default()
    };
    let report = scan_with(&[&root, &out_file], &root, follow);
    let sources: Vec<(&str, &str)> = report
        .scanned
        .files
        .iter()
        .map(|f| {
            let kind = match &f.source {
                Source::UnderRoot => "under root",
                Source::Path(_) => "own path",
                Source::Stdin(_) => "stdin",
            };
            (f.path, kind)
        })
        .collect();
    let out_display = out_file.to_str().unwrap();
    assert_eq!(
        sources,
        [
            (out_display, "under root"),
            ("inside.yaml", "under root"),
            ("link.yaml", "own path"),
            ("n\\xFF.yaml", "own path"),
            ("real/target.yaml", "under root"),
        ]
    );

    let out = tokenguard()
        .args(["scan", "--follow-symlinks", "--fail-on", "never", "--root"])
        .arg(&root)
        .arg(&root)
        .arg(&out_file)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for (path, name) in [
        (out_display, "outside"),
        ("inside.yaml", "inside"),
        ("link.yaml", "target"),
        ("n\\xFF.yaml", "odd"),
        ("real/target.yaml", "target"),
    ] {
        let finding = format!("{path}:6:3: error[TG001]: Pod default/{name} mounts");
        let source = format!("6 |   automountServiceAccountToken: true # {name}");
        let at = text
            .find(&finding)
            .unwrap_or_else(|| panic!("{finding}\n{text}"));
        assert_eq!(
            text[at..].lines().nth(2),
            Some(source.as_str()),
            "{finding}\n{text}"
        );
    }
}

/// A Kustomize fan-out bomb: each level lists the one below twice under two prefixes, so
/// 30 levels would deploy 2^30 Pods. Rendering stops at its bound on kustomizations per
/// root, says so, and the files are scanned one by one instead.
#[test]
fn a_kustomize_fan_out_bomb_stops_at_the_inclusion_bound() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir(root.join("k0")).unwrap();
    write(
        &root.join("k0"),
        "kustomization.yaml",
        "resources:\n  - pod.yaml\n",
    );
    write(&root.join("k0"), "pod.yaml", POD);
    for level in 1..=30 {
        for side in ["a", "b"] {
            let side_dir = root.join(format!("{side}{level}"));
            fs::create_dir(&side_dir).unwrap();
            let text = format!("namePrefix: {side}-\nresources:\n  - ../k{}\n", level - 1);
            write(&side_dir, "kustomization.yaml", text);
        }
        let level_dir = root.join(format!("k{level}"));
        fs::create_dir(&level_dir).unwrap();
        let text = format!("resources:\n  - ../a{level}\n  - ../b{level}\n");
        write(&level_dir, "kustomization.yaml", text);
    }
    let report = scan(root);
    let notes = notes(&report);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].1.starts_with("kustomization `k30` is scanned file by file, not rendered: more than 10000 kustomizations are rendered for one root"),
        "{notes:?}"
    );
    // File by file: the one Pod, once.
    assert_eq!(
        located(&report, "TG001"),
        [("k0/pod.yaml".to_owned(), 5, 1)]
    );
}
