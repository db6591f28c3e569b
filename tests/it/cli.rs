//! The command line of SPEC 2: exit codes, error messages, outputs, inputs, discovery,
//! colour, and the `rules` and `explain` commands.

use std::path::Path;

use crate::common::{
    CONFIG_ERROR_ROOTS, Output, expect, fixture, output, rows, run, scan_sarif, strip_time,
    tokenguard,
};
use serde_json::Value;

fn scan_text(dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = tokenguard();
    cmd.current_dir(dir)
        .args(["scan", "--root"])
        .arg(dir)
        .args(extra)
        .arg(dir);
    output(&mut cmd)
}

fn exit_code(rel: &str, extra: &[&str]) -> i32 {
    let out = scan_text(&fixture(rel), extra);
    assert_eq!(out.stderr, "", "{rel} {extra:?}");
    out.code
}

fn has_ansi(text: &str) -> bool {
    text.contains('\x1b')
}

// ---- exit codes -------------------------------------------------------------------

#[test]
fn exit_0_on_a_clean_repository() {
    let out = scan_text(&fixture("cli/clean"), &[]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stderr, "");
    assert_eq!(
        strip_time(out.stdout.strip_suffix('\n').unwrap()),
        "config: none found, nothing is trusted\n0 errors, 0 warnings, 0 notes in 1 file (2 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn exit_1_when_a_finding_at_the_fail_on_level_exists() {
    assert_eq!(exit_code("rules/tg001/fires/checkout", &[]), 1);
    assert_eq!(exit_code("rules/tg000/fires", &[]), 1, "TG000 is an error");
    assert_eq!(exit_code("demo", &[]), 1);
    // The scan subcommand is the default.
    let dir = fixture("rules/tg001/fires/checkout");
    let out = output(tokenguard().arg("--root").arg(&dir).arg(&dir));
    assert_eq!(out.code, 1);
}

#[test]
fn fail_on_sets_the_lowest_level_that_fails() {
    // Warnings only (TG002).
    assert_eq!(exit_code("rules/tg002/fires/service-accounts", &[]), 0);
    assert_eq!(
        exit_code(
            "rules/tg002/fires/service-accounts",
            &["--fail-on", "error"]
        ),
        0
    );
    assert_eq!(
        exit_code(
            "rules/tg002/fires/service-accounts",
            &["--fail-on", "warning"]
        ),
        1
    );
    assert_eq!(
        exit_code("rules/tg002/fires/service-accounts", &["--fail-on", "note"]),
        1
    );
    // A note only (TG009).
    assert_eq!(
        exit_code("rules/tg009/fires/builder", &["--fail-on", "warning"]),
        0
    );
    assert_eq!(
        exit_code("rules/tg009/fires/builder", &["--fail-on", "note"]),
        1
    );
    // Never.
    assert_eq!(
        exit_code("rules/tg001/fires/checkout", &["--fail-on", "never"]),
        0
    );
    assert_eq!(exit_code("demo", &["--fail-on", "never"]), 0);
    // `none` is what many other scanners call it.
    assert_eq!(exit_code("rules/tg001/fires", &["--fail-on", "none"]), 0);
    // Nothing at all never fails.
    assert_eq!(exit_code("cli/clean", &["--fail-on", "note"]), 0);
}

#[test]
fn a_rule_level_override_moves_the_exit_code() {
    // TG002 is raised to error by the fixture's config: the default --fail-on fails.
    assert_eq!(
        exit_code("semantics/rule-overrides", &["--fail-on", "error"]),
        1
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".tokenguard.yaml"),
        "rules:\n  TG002: error\n",
    )
    .unwrap();
    std::fs::copy(
        fixture("rules/tg002/fires/service-accounts/service-accounts.yaml"),
        dir.path().join("service-accounts.yaml"),
    )
    .unwrap();
    assert_eq!(scan_text(dir.path(), &[]).code, 1);
    std::fs::write(
        dir.path().join(".tokenguard.yaml"),
        "rules:\n  TG002: off\n",
    )
    .unwrap();
    assert_eq!(scan_text(dir.path(), &["--fail-on", "note"]).code, 0);
}

#[test]
fn exit_2_for_a_bad_flag_or_flag_value() {
    for args in [
        &["scan", "--bogus", "."][..],
        &["scan", "--fail-on", "fatal", "."],
        &["scan", "--format", "xml", "."],
        &["scan", "--color", "sometimes", "."],
        &["scan", "--threads", "0", "."],
    ] {
        let out = run(args);
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(
            out.stderr.starts_with("error: "),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert!(
        run(["scan", "--bogus", "."])
            .stderr
            .contains("unexpected argument '--bogus' found")
    );
    assert!(
        run(["scan", "--fail-on", "fatal", "."])
            .stderr
            .contains("invalid value 'fatal' for '--fail-on <FAIL_ON>'")
    );
}

#[test]
fn exit_2_for_a_path_that_does_not_exist() {
    let dir = fixture("cli/clean");
    let mut cmd = tokenguard();
    cmd.current_dir(&dir)
        .arg("scan")
        .arg("--root")
        .arg(&dir)
        .args(["api.yaml", "missing.yaml"]);
    let out = output(&mut cmd);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "tokenguard: error: missing.yaml: no such file or directory\n"
    );

    let out = run(["scan", "--root", "no-such-dir", "."]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "tokenguard: error: cannot use --root no-such-dir: not a directory\n"
    );
}

#[test]
fn exit_2_with_file_line_column_for_each_kind_of_invalid_config() {
    let cases = [
        (
            "config/unknown-key",
            ".tokenguard.yaml:2:1: unknown key `trused` in the config; did you mean `trusted`?",
        ),
        (
            "config/bad-glob",
            ".tokenguard.yaml:5:21: bad glob `kube-system/[core`: error parsing glob 'kube-system/[core': unclosed character class; missing ']'",
        ),
        (
            "config/missing-reason",
            ".tokenguard.yaml:3:5: a trusted entry needs `reason`",
        ),
        (
            "config/bad-date",
            ".tokenguard.yaml:6:14: expires `2027-02-30` is not a date (YYYY-MM-DD)",
        ),
        (
            "config/bad-level",
            ".tokenguard.yaml:3:10: level `warn` for TG002 must be one of off, note, warning, error",
        ),
        (
            "config/invalid-yaml",
            ".tokenguard.yaml:4:13: invalid YAML: while scanning a quoted scalar, found unexpected end of stream",
        ),
        (
            "config/duplicate-key",
            ".tokenguard.yaml:6:5: duplicate key `serviceAccount` (first defined at 4:5); write each key once",
        ),
    ];
    assert_eq!(cases.len() + 1, CONFIG_ERROR_ROOTS.len());
    for (rel, message) in cases {
        let out = scan_text(&fixture(rel), &[]);
        assert_eq!(out.code, 2, "{rel}");
        assert_eq!(out.stdout, "", "{rel}");
        assert_eq!(
            out.stderr,
            format!("tokenguard: error: {message}\n"),
            "{rel}"
        );
    }
    // An unknown rule id names the id; the list of known ids grows with the rules.
    let out = scan_text(&fixture("config/unknown-rule"), &[]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(
            "tokenguard: error: .tokenguard.yaml:4:3: unknown rule id `TG099` (known: TG000, TG001, TG002, "
        ),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "one paragraph");
}

#[test]
fn the_config_file_may_be_named_tokenguard_yml_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".tokenguard.yml"),
        "# typo\ntrusted:\n  - serviceAccount: shop/api\n    reson: x\n",
    )
    .unwrap();
    let out = scan_text(dir.path(), &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "tokenguard: error: .tokenguard.yml:4:5: unknown key `reson` in a trusted entry; did you mean `reason`?\n"
    );
}

/// `--no-kustomize` is one of the input flags of `scan`, `baseline` and `init`, and the
/// config's `kustomize:` takes `true` or `false` only (which one wins is a unit test of
/// `cli`: the engine reads the decision).
#[test]
fn no_kustomize_is_an_input_flag_and_kustomize_a_boolean_setting() {
    let repo = repository(&[
        ("pods.yaml", &service_account("a", "b")),
        (".tokenguard.yaml", "kustomize: false\n"),
    ]);
    let dir = repo.path().to_str().unwrap();
    let baseline = repo.path().join("b.json");
    let config = repo.path().join("init.yaml");
    for args in [
        vec!["scan", "--no-kustomize", "--fail-on", "never", dir],
        vec!["--no-kustomize", "--fail-on", "never", dir],
        vec![
            "baseline",
            "--no-kustomize",
            "--output",
            baseline.to_str().unwrap(),
            dir,
        ],
        vec![
            "init",
            "--no-kustomize",
            "--output",
            config.to_str().unwrap(),
            dir,
        ],
    ] {
        let out = output(tokenguard().current_dir(dir).args(&args));
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    }
    for (value, column) in [("yes", 12), ("'false'", 12), ("[false]", 12), ("", 10)] {
        std::fs::write(
            repo.path().join(".tokenguard.yaml"),
            format!("kustomize: {value}\n"),
        )
        .unwrap();
        let out = scan_text(repo.path(), &[]);
        assert_eq!(out.code, 2, "{value}");
        assert_eq!(
            out.stderr,
            format!(
                "tokenguard: error: .tokenguard.yaml:1:{column}: kustomize must be true or false\n"
            ),
            "{value}"
        );
    }
    std::fs::write(repo.path().join(".tokenguard.yaml"), "kustomise: false\n").unwrap();
    let out = scan_text(repo.path(), &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "tokenguard: error: .tokenguard.yaml:1:1: unknown key `kustomise` in the config; did you mean `kustomize`?\n"
    );
}

/// A repository in a temporary folder: `files` are (path, text) under it, and a `.git`
/// folder makes it the git top-level.
fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".git")).unwrap();
    for (path, text) in files {
        let path = tmp.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    tmp
}

fn service_account(namespace: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
    )
}

fn trusting(identity: &str) -> String {
    format!("trusted:\n  - serviceAccount: {identity}\n    reason: tested\n")
}

/// The SARIF of `tokenguard scan ARGS` run in `cwd`, and the config it says it used.
fn sarif_in(cwd: &Path, args: &[&str]) -> (Vec<crate::common::Row>, Value) {
    let out = output(
        tokenguard()
            .current_dir(cwd)
            .args(["scan", "--format", "sarif"])
            .args(args),
    );
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let config = sarif["runs"][0]["invocations"][0]["properties"]["config"].clone();
    (rows(&sarif), config)
}

#[test]
fn the_nearest_config_from_the_scanned_path_up_to_the_git_top_level_is_used() {
    let repo = repository(&[
        (".tokenguard.yaml", &trusting("top/*")),
        ("deploy/.tokenguard.yml", &trusting("deploy/*")),
        (
            "deploy/apps/sa.yaml",
            &(service_account("deploy", "a") + "---\n" + &service_account("top", "b")),
        ),
    ]);
    let root = repo.path();
    let deploy_config = || {
        (
            expect(&[("TG002", "deploy/apps/sa.yaml", 10, 3, 10, 10, "warning")]),
            Value::from("deploy/.tokenguard.yml"),
        )
    };
    // From below it, and for a path below it: deploy's config, paths from the top-level.
    assert_eq!(sarif_in(&root.join("deploy/apps"), &[]), deploy_config());
    assert_eq!(sarif_in(root, &["deploy/apps"]), deploy_config());
    assert_eq!(sarif_in(root, &["deploy/apps/sa.yaml"]), deploy_config());
    // The first path decides, also for the others.
    assert_eq!(sarif_in(root, &["deploy", "."]).1, "deploy/.tokenguard.yml");
    assert_eq!(
        sarif_in(root, &[".", "deploy"]),
        (
            expect(&[("TG002", "deploy/apps/sa.yaml", 4, 3, 4, 10, "warning")]),
            Value::from(".tokenguard.yaml")
        )
    );
    // --config wins, and the text summary says which config was used.
    let out = output(tokenguard().current_dir(root.join("deploy")).args([
        "scan",
        "--config",
        "../.tokenguard.yaml",
    ]));
    assert!(
        out.stdout.contains("\nconfig: ../.tokenguard.yaml\n"),
        "{}",
        out.stdout
    );
    // Nothing above the git top-level is read: a repository inside another one.
    std::fs::create_dir(root.join("deploy/.git")).unwrap();
    std::fs::remove_file(root.join("deploy/.tokenguard.yml")).unwrap();
    let (found, config) = sarif_in(&root.join("deploy"), &[]);
    assert_eq!(config, Value::Null);
    assert_eq!(found.len(), 2);
    let out = output(tokenguard().current_dir(root.join("deploy")).arg("scan"));
    assert!(
        out.stdout
            .contains("\nconfig: none found, nothing is trusted\n"),
        "{}",
        out.stdout
    );
}

/// Without git, the root (the current directory by default) bounds the search: a config
/// left in a parent directory, such as /tmp, is never used by accident.
#[test]
fn outside_git_the_config_search_stops_at_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join(".tokenguard.yaml"), trusting("x/*")).unwrap();
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    std::fs::write(tmp.path().join("sub/sa.yaml"), service_account("x", "a")).unwrap();
    assert_eq!(
        sarif_in(tmp.path(), &["sub"]),
        (expect(&[]), Value::from(".tokenguard.yaml"))
    );
    assert_eq!(
        sarif_in(&tmp.path().join("sub"), &[]),
        (
            expect(&[("TG002", "sa.yaml", 4, 3, 4, 10, "warning")]),
            Value::Null
        )
    );
    // --root moves the bound.
    assert_eq!(
        sarif_in(&tmp.path().join("sub"), &["--root", ".."]).1,
        ".tokenguard.yaml"
    );
}

#[test]
fn command_line_globs_are_relative_to_the_current_directory() {
    let repo = repository(&[
        ("deploy/app.yaml", &service_account("d", "app")),
        ("deploy/samples/sa.yaml", &service_account("d", "sample")),
        ("samples/sa.yaml", &service_account("top", "sample")),
    ]);
    let deploy = repo.path().join("deploy");
    assert_eq!(
        sarif_in(&deploy, &["--exclude", "samples"]).0,
        expect(&[("TG002", "deploy/app.yaml", 4, 3, 4, 12, "warning")])
    );
    assert_eq!(
        sarif_in(&deploy, &["--include", "./samples/", "."]).0,
        expect(&[("TG002", "deploy/samples/sa.yaml", 4, 3, 4, 15, "warning")])
    );
    // From the root, the same glob names the top-level folder.
    assert_eq!(
        sarif_in(repo.path(), &["--exclude", "samples/**"]).0,
        expect(&[
            ("TG002", "deploy/app.yaml", 4, 3, 4, 12, "warning"),
            ("TG002", "deploy/samples/sa.yaml", 4, 3, 4, 15, "warning"),
        ])
    );
}

#[test]
fn the_demo_uses_its_own_config_when_scanned_from_its_folder() {
    let demo = fixture("demo");
    let (from_inside, config) = sarif_in(&demo, &[]);
    let config = config.as_str().unwrap().to_owned();
    assert!(
        config == ".tokenguard.yaml" || config == "fixtures/demo/.tokenguard.yaml",
        "{config}"
    );
    // The same findings as with the root and the config named.
    let prefix = config.strip_suffix(".tokenguard.yaml").unwrap();
    let named: Vec<crate::common::Row> = rows(&scan_sarif(&demo, &[]))
        .into_iter()
        .map(|mut row| {
            row.1 = format!("{prefix}{}", row.1);
            row
        })
        .collect();
    assert_eq!(from_inside, named);
    assert_eq!(from_inside.len(), 10);
}

#[test]
fn two_config_files_in_one_directory_are_exit_2() {
    let repo = repository(&[
        ("apps/.tokenguard.yaml", "trusted: []\n"),
        ("apps/.tokenguard.yml", "trusted: []\n"),
        ("apps/sa.yaml", &service_account("a", "b")),
    ]);
    let out = output(tokenguard().current_dir(repo.path()).args(["scan", "apps"]));
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "tokenguard: error: two config files in one directory, apps/.tokenguard.yaml and apps/.tokenguard.yml: keep one (or name it with --config)\n"
    );
    // Naming one settles it.
    let out = output(tokenguard().current_dir(repo.path()).args([
        "scan",
        "apps",
        "--config",
        "apps/.tokenguard.yml",
    ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn config_globs_are_relative_to_the_config_and_one_that_matches_nothing_is_a_warning() {
    let repo = repository(&[
        (
            "deploy/.tokenguard.yaml",
            "paths:\n  exclude:\n    - samples\n    - ./nothing/**\n",
        ),
        ("deploy/app.yaml", &service_account("d", "app")),
        ("deploy/samples/sa.yaml", &service_account("d", "sample")),
        ("samples/sa.yaml", &service_account("top", "sample")),
    ]);
    let out = output(
        tokenguard()
            .current_dir(repo.path())
            .args(["scan", "deploy", "samples", "--quiet", "--format", "github"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().filter(|l| l.contains("TG002")).count(),
        2,
        "deploy/app.yaml and samples/sa.yaml: {}",
        out.stdout
    );
    assert!(!out.stdout.contains("deploy/samples"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "::warning file=deploy/.tokenguard.yaml,line=4,col=7,title=tokenguard::paths.exclude `./nothing/**` matches no file or directory (the config's globs are relative to its own directory)"
        ),
        "{}",
        out.stdout
    );
    // The text output points at the glob as a compiler would.
    let out = output(
        tokenguard()
            .current_dir(repo.path())
            .args(["scan", "deploy"]),
    );
    assert!(
        out.stdout.contains(
            "\ndeploy/.tokenguard.yaml:4:7: warning: paths.exclude `./nothing/**` matches no file or directory"
        ),
        "{}",
        out.stdout
    );
    // A scan of another folder says nothing about the config's globs.
    let out = output(tokenguard().current_dir(repo.path()).args([
        "scan",
        "deploy/app.yaml",
        "--config",
        "deploy/.tokenguard.yaml",
    ]));
    assert!(!out.stdout.contains("matches no file"), "{}", out.stdout);
}

#[test]
fn config_flag_names_the_config_and_a_missing_one_is_exit_2() {
    let dir = fixture("config/explicit");
    assert_eq!(
        rows(&scan_sarif(&dir, &[])),
        expect(&[("TG002", "service-account.yaml", 5, 3, 5, 12, "warning")])
    );
    let config = dir.join("tokenguard-ci.yaml");
    let config = config.to_str().unwrap();
    assert_eq!(rows(&scan_sarif(&dir, &["--config", config])), expect(&[]));

    let missing = dir.join("missing.yaml");
    let missing = missing.to_str().unwrap();
    let out = scan_text(&dir, &["--config", missing]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with(&format!(
            "tokenguard: error: {missing}: cannot read the config file: "
        )),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1);
    // An invalid config named with --config is shown as given.
    let out = output(
        tokenguard()
            .current_dir(fixture("config"))
            .args(["scan", "--config", "bad-date/.tokenguard.yaml", "--root"])
            .arg(&dir)
            .arg(&dir),
    );
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "tokenguard: error: bad-date/.tokenguard.yaml:6:14: expires `2027-02-30` is not a date (YYYY-MM-DD)\n"
    );
}

#[test]
fn a_broken_manifest_is_a_finding_not_an_exit_2() {
    let out = scan_text(&fixture("rules/tg000/fires"), &["--fail-on", "never"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stderr, "");
}

// ---- outputs ------------------------------------------------------------------------

#[test]
fn output_writes_the_format_to_a_file_instead_of_stdout() {
    let dir = fixture("demo");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("out.sarif");
    let out = scan_text(
        &dir,
        &["--format", "sarif", "--output", file.to_str().unwrap()],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    let written = std::fs::read_to_string(&file).unwrap();
    let direct = crate::common::scan_sarif_output(&dir, &[]).stdout;
    assert_eq!(written, direct);

    // Text to a file is never coloured, even with --color always.
    let text_file = tmp.path().join("out.txt");
    let out = scan_text(
        &dir,
        &["--color", "always", "--output", text_file.to_str().unwrap()],
    );
    assert_eq!(out.stdout, "");
    let text = std::fs::read_to_string(&text_file).unwrap();
    assert!(
        text.starts_with("apps/api.yaml:4:3: warning[TG002]: "),
        "{text}"
    );
    assert!(!has_ansi(&text));
}

#[test]
fn one_file_for_two_outputs_is_exit_2_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture("demo");
    let scan = |args: &[&str]| {
        output(
            tokenguard()
                .current_dir(tmp.path())
                .args(["scan", "--root"])
                .arg(&dir)
                .arg(&dir)
                .args(args),
        )
    };
    let out = scan(&["--sarif", "out.sarif", "--json", "./sub/../out.sarif"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "tokenguard: error: --sarif and --json both write ./sub/../out.sarif; give each output its own file\n"
    );
    let out = scan(&["--format", "sarif", "--output", "r", "--gitlab", "r"]);
    assert_eq!(
        out.stderr,
        "tokenguard: error: --output and --gitlab both write r; give each output its own file\n"
    );
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    // Two different files are fine.
    assert_eq!(
        scan(&["--sarif", "out.sarif", "--json", "out.json"]).code,
        1
    );
}

#[test]
fn link_base_works_with_or_without_its_last_slash() {
    let tmp = tempfile::tempdir().unwrap();
    for base in [
        "https://github.com/o/r/blob/abc",
        "https://github.com/o/r/blob/abc/",
    ] {
        let file = tmp.path().join("summary.md");
        let out = scan_text(
            &fixture("demo"),
            &["--markdown", file.to_str().unwrap(), "--link-base", base],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        let markdown = std::fs::read_to_string(&file).unwrap();
        assert!(
            markdown
                .contains("[apps/api.yaml:20](https://github.com/o/r/blob/abc/apps/api.yaml#L20)"),
            "{base}: {markdown}"
        );
    }
}

/// A JSON report is a `*.json` file, and the last run's report is still there when the
/// next run reads the repository.
#[test]
fn the_tools_own_reports_are_never_scanned() {
    let tmp = tempfile::tempdir().unwrap();
    let sa = r#"{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "report", "namespace": "x"}}"#;
    for name in ["report.json", "other.json", ".tokenguard-baseline.json"] {
        std::fs::write(tmp.path().join(name), sa).unwrap();
    }
    let out = output(
        tokenguard()
            .current_dir(tmp.path())
            .args(["scan", "--root", ".", ".", ".tokenguard-baseline.json"])
            .args(["--json", "./report.json", "--fail-on", "never", "--verbose"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let found: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.contains("[TG002]") || l.contains("report of tokenguard"))
        .collect();
    assert_eq!(
        found,
        [
            "other.json:1:61: warning[TG002]: ServiceAccount x/report is not trusted and does not set automountServiceAccountToken: false, so every pod that runs as it gets an API token unless its pod spec opts out. Set automountServiceAccountToken: false on the ServiceAccount, or trust x/report in .tokenguard.yaml.",
            ".tokenguard-baseline.json: note: not scanned: a report of tokenguard's own",
            "report.json: note: not scanned: a report of tokenguard's own",
        ],
        "{}",
        out.stdout
    );
}

#[test]
fn sarif_flag_writes_sarif_beside_the_text_on_stdout() {
    let dir = fixture("demo");
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("tokenguard.sarif");
    let out = scan_text(&dir, &["--sarif", file.to_str().unwrap()]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .starts_with("apps/api.yaml:4:3: warning[TG002]: "),
        "{}",
        out.stdout
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, crate::common::scan_sarif_output(&dir, &[]).stdout);
    let sarif: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(crate::common::results(&sarif).len(), 10);
}

#[test]
fn text_output_is_compiler_style_with_source_line_caret_and_summary() {
    let out = scan_text(&fixture("rules/tg001/fires/checkout"), &[]);
    let (body, summary) = out.stdout.trim_end().rsplit_once('\n').unwrap();
    let (body, config) = body.rsplit_once('\n').unwrap();
    assert_eq!(config, "config: none found, nothing is trusted");
    assert_eq!(
        body,
        "checkout.yaml:14:5: error[TG001]: Deployment shop/checkout mounts an API token for service account shop/default, which is not trusted: the pod spec does not set automountServiceAccountToken, the service account is not among the scanned manifests, and Kubernetes defaults to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/default in .tokenguard.yaml.\n   |\n14 |     spec:\n   |     ^^^^\n\n\
         rule   name                       findings\n\
         TG001  token-automount-untrusted         1\n\n\
         namespace  findings\n\
         shop              1\n\n\
         service account  findings\n\
         shop/default            1\n"
    );
    assert_eq!(
        strip_time(summary),
        "1 error, 0 warnings, 0 notes in 1 file (1 object, 1 workload, 0 service accounts)"
    );

    // Related locations follow as notes; the caret covers key and value.
    let out = scan_text(&fixture("sarif/related"), &[]);
    assert_eq!(
        out.stdout.lines().take(11).collect::<Vec<_>>(),
        [
            "accounts/web.yaml:7:1: warning[TG002]: ServiceAccount related/web is not trusted and sets automountServiceAccountToken: true, so every pod that runs as it gets an API token unless its pod spec opts out. Set automountServiceAccountToken: false on the ServiceAccount, or trust related/web in .tokenguard.yaml.",
            "  |",
            "7 | automountServiceAccountToken: true",
            "  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
            "",
            "web-deployment.yaml:12:7: error[TG001]: Deployment related/web mounts an API token for service account related/web, which is not trusted: the pod spec does not set automountServiceAccountToken and the service account sets it to true. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust related/web in .tokenguard.yaml.",
            "   |",
            "12 |       serviceAccountName: web",
            "   |       ^^^^^^^^^^^^^^^^^^^^^^^",
            "  = note: ServiceAccount related/web sets automountServiceAccountToken: true (accounts/web.yaml:7:1)",
            "",
        ]
    );
    assert_eq!(
        strip_time(out.stdout.lines().last().unwrap()),
        "1 error, 1 warning, 0 notes in 2 files (2 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn text_source_lines_drop_crlf_and_bom_and_carets_keep_tabs() {
    let out = scan_text(&fixture("locations/crlf"), &["--quiet"]);
    assert!(!out.stdout.contains('\r'));
    let out = scan_text(&fixture("locations/crlf"), &[]);
    assert!(!out.stdout.contains('\r'));
    assert!(
        out.stdout
            .contains("21 |       automountServiceAccountToken: on   # CRLF after a comment\n   |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n")
    );
    let out = scan_text(&fixture("locations/bom"), &[]);
    assert!(!out.stdout.contains('\u{feff}'));
    assert!(out.stdout.contains(
        "1 | {\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"bom-json\",\"namespace\":\"win\"}}\n  | "
    ));
    let out = scan_text(&fixture("locations/json"), &[]);
    assert!(out.stdout.contains(
        "13 | \t\t\t\t\"serviceAccountName\": \"tabbed\",\n   | \t\t\t\t^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
    ));
}

#[test]
fn text_output_escapes_control_characters_from_manifests() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sa.yaml"),
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: \"evil\\e]8;;https://x.invalid\\a\\e[31mred\"\n  namespace: shop\n",
    )
    .unwrap();
    let out = scan_text(dir.path(), &["--color", "never"]);
    assert_eq!(out.code, 0);
    assert!(!has_ansi(&out.stdout), "{:?}", out.stdout);
    assert!(!out.stdout.contains('\x07'));
    assert!(out.stdout.starts_with(
        "sa.yaml:4:3: warning[TG002]: ServiceAccount shop/evil\\u{1b}]8;;https://x.invalid\\u{7}\\u{1b}[31mred is not trusted"
    ));
}

/// The demo's summary: findings by rule, the namespaces and service accounts with most
/// findings, the totals.
const DEMO_SUMMARY: &str = "\
rule   name                                  findings
TG000  manifest-unreadable                          1
TG001  token-automount-untrusted                    2
TG002  service-account-automount-enabled            1
TG005  legacy-token-secret                          1
TG009  unknown-service-account                      1
TG010  ambiguous-automount-value                    2
TG011  deprecated-service-account-field             1
TG014  privileged-token-automount-untrusted         1

namespace  findings
shop              5
ci                4

service account  findings
ci/reporter             2
shop/api                2
ci/deployer             1
shop/default            1

config: .tokenguard.yaml
5 errors, 4 warnings, 1 note in 8 files (10 objects, 5 workloads, 3 service accounts), 1 invalid";

#[test]
fn the_summary_counts_findings_by_rule_namespace_and_service_account() {
    let out = scan_text(&fixture("demo"), &[]);
    assert_eq!(out.code, 1);
    let (_, summary) = out.stdout.split_once("\n\nrule   name").unwrap();
    assert_eq!(
        strip_time(&format!("rule   name{}", summary.trim_end())),
        DEMO_SUMMARY
    );
}

#[test]
fn quiet_prints_only_the_summary() {
    let out = scan_text(&fixture("demo"), &["--quiet"]);
    assert_eq!(out.code, 1, "the exit code does not change");
    assert_eq!(strip_time(out.stdout.trim_end()), DEMO_SUMMARY);
    // -q is the short form, and it wins over --compact.
    for args in [&["-q"][..], &["--quiet", "--compact"]] {
        assert_eq!(
            strip_time(scan_text(&fixture("demo"), args).stdout.trim_end()),
            DEMO_SUMMARY,
            "{args:?}"
        );
    }
    // A clean scan is the totals line alone.
    let out = scan_text(&fixture("cli/clean"), &["--quiet"]);
    assert_eq!(
        strip_time(out.stdout.trim_end()),
        "config: none found, nothing is trusted\n0 errors, 0 warnings, 0 notes in 1 file (2 objects, 1 workload, 1 service account)"
    );
}

#[test]
fn compact_prints_one_line_per_finding_then_the_summary() {
    let out = scan_text(&fixture("demo"), &["--compact"]);
    assert_eq!(out.code, 1);
    let (listed, summary) = out.stdout.split_once("\n\n").unwrap();
    let lines: Vec<&str> = listed.lines().collect();
    let heads: Vec<&str> = lines
        .iter()
        .map(|l| l.split_once(": ").unwrap().0)
        .collect();
    assert_eq!(
        heads,
        [
            "apps/api.yaml:4:3",
            "apps/api.yaml:20:7",
            "apps/frontend.yaml:13:7",
            "apps/frontend.yaml:13:7",
            "apps/worker.yaml:25:1",
            "ci/nightly-report.yaml:12:11",
            "ci/nightly-report.yaml:12:11",
            "ci/nightly-report.yaml:12:11",
            "platform/broken.yaml:5:14",
            "platform/ci-token.yaml:8:1",
        ]
    );
    assert!(lines[0].starts_with("apps/api.yaml:4:3: warning[TG002]: ServiceAccount shop/api "));
    assert!(lines[6].starts_with("ci/nightly-report.yaml:12:11: note[TG009]: "));
    // Each line is the first line of the full diagnostic; no source lines, no notes.
    let full = scan_text(&fixture("demo"), &[]).stdout;
    let firsts: Vec<&str> = full
        .split("\n\n")
        .filter_map(|block| block.lines().next())
        .take(lines.len())
        .collect();
    assert_eq!(lines, firsts);
    assert_eq!(strip_time(summary.trim_end()), DEMO_SUMMARY);
}

/// `count` Pods of the default service account in each namespace, and a ClusterRole that
/// reads secrets (a finding with neither namespace nor service account).
fn pods_in_namespaces(counts: &[(&str, usize)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pods: Vec<String> = counts
        .iter()
        .flat_map(|&(namespace, n)| {
            (0..n).map(move |i| {
                format!(
                    "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: {namespace}}}\nspec:\n  containers: [{{name: c, image: i}}]\n"
                )
            })
        })
        .collect();
    std::fs::write(dir.path().join("pods.yaml"), pods.join("---\n")).unwrap();
    std::fs::write(
        dir.path().join("rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader}\nrules:\n  - apiGroups: [\"\"]\n    resources: [secrets]\n    verbs: [get]\n",
    )
    .unwrap();
    dir
}

#[test]
fn the_summary_names_the_five_with_most_findings_ties_by_name() {
    let dir = pods_in_namespaces(&[
        ("golf", 1),
        ("foxtrot", 2),
        ("echo", 1),
        ("delta", 2),
        ("charlie", 2),
        ("bravo", 3),
        ("alpha", 1),
    ]);
    let out = scan_text(dir.path(), &["--quiet"]);
    assert_eq!(
        strip_time(out.stdout.trim_end()),
        "\
rule   name                       findings
TG001  token-automount-untrusted        12
TG007  token-secret-read-rbac            1

namespace  findings
bravo             3
charlie           2
delta             2
foxtrot           2
alpha             1

service account  findings
bravo/default           3
charlie/default         2
delta/default           2
foxtrot/default         2
alpha/default           1

config: none found, nothing is trusted
12 errors, 1 warning, 0 notes in 2 files (13 objects, 12 workloads, 0 service accounts)"
    );
}

#[test]
fn notes_that_repeat_are_folded_into_one_with_a_count() {
    let dir = tempfile::tempdir().unwrap();
    // The same ServiceAccount defined in three files, as rendered install bundles do.
    for file in ["a.yaml", "b.yaml", "c.yaml"] {
        std::fs::write(
            dir.path().join(file),
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: api\n  namespace: shop\n",
        )
        .unwrap();
    }
    // And one RoleBinding in two.
    for file in ["rbac-1.yaml", "rbac-2.yaml"] {
        std::fs::write(
            dir.path().join(file),
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: api-config\n  namespace: shop\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}\nsubjects: [{kind: ServiceAccount, name: api}]\n",
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers: [{name: c, image: i}]\n",
    )
    .unwrap();
    let out = scan_text(dir.path(), &[]);
    let block = out
        .stdout
        .split("\n\n")
        .find(|b| b.starts_with("deploy.yaml:"))
        .unwrap();
    assert_eq!(
        block,
        "deploy.yaml:7:7: error[TG001]: Deployment shop/api mounts an API token for service account shop/api, which is not trusted: the pod spec does not set automountServiceAccountToken, nor does the service account, and Kubernetes defaults to true. It is also bound by RoleBinding shop/api-config. Set automountServiceAccountToken: false in the pod spec or on the service account, or trust shop/api in .tokenguard.yaml.
  |
7 |       serviceAccountName: api
  |       ^^^^^^^^^^^^^^^^^^^^^^^
  = note: ServiceAccount shop/api does not set automountServiceAccountToken (a.yaml:4:3 and 2 more locations)
  = note: RoleBinding shop/api-config binds shop/api to Role config-reader (rbac-1.yaml:4:3 and 1 more location)"
    );
    // SARIF keeps every location.
    let sarif = scan_sarif(dir.path(), &[]);
    let result = crate::common::results(&sarif)
        .iter()
        .find(|r| r["ruleId"] == "TG001")
        .unwrap();
    let related = result["relatedLocations"].as_array().unwrap();
    assert_eq!(related.len(), 5, "{related:?}");
}

#[test]
fn verbose_lists_skipped_files_in_text() {
    let dir = fixture("inputs/helm-chart");
    let quiet = scan_text(&dir, &[]);
    assert!(!quiet.stdout.contains("skipped: a Helm chart template"));
    let verbose = scan_text(&dir, &["--verbose"]);
    assert!(verbose.stdout.starts_with(
        "templates/deployment.yaml: note: skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)\n"
    ), "{}", verbose.stdout);
}

// ---- colour -------------------------------------------------------------------------

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = fixture("rules/tg002/fires/service-accounts");
    // Not a terminal: no colour by default or with never.
    assert!(!has_ansi(&scan_text(&dir, &[]).stdout));
    assert!(!has_ansi(&scan_text(&dir, &["--color", "auto"]).stdout));
    assert!(!has_ansi(&scan_text(&dir, &["--color", "never"]).stdout));
    // Always: ANSI even through a pipe.
    let always = scan_text(&dir, &["--color", "always"]).stdout;
    assert!(
        always.contains("\x1b[1;33mwarning\x1b[0m[TG002]"),
        "{always:?}"
    );
    // An explicit --color always wins over NO_COLOR, which only affects auto.
    let mut cmd = tokenguard();
    cmd.env("NO_COLOR", "1")
        .args(["scan", "--color", "always", "--root"])
        .arg(&dir)
        .arg(&dir);
    assert!(has_ansi(&output(&mut cmd).stdout));
}

#[test]
fn force_color_and_clicolor_force_colour_a_pipe_but_no_color_wins() {
    let dir = fixture("rules/tg002/fires");
    let coloured = |env: &[(&str, &str)]| {
        let mut cmd = tokenguard();
        cmd.args(["scan", "--root"])
            .arg(&dir)
            .arg(&dir)
            .envs(env.iter().copied());
        has_ansi(&output(&mut cmd).stdout)
    };
    assert!(!coloured(&[]));
    assert!(coloured(&[("FORCE_COLOR", "1")]));
    assert!(coloured(&[("FORCE_COLOR", "")]));
    assert!(coloured(&[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[("FORCE_COLOR", "0")]));
    assert!(!coloured(&[("CLICOLOR_FORCE", "0")]));
    assert!(!coloured(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]));
    assert!(!coloured(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]));
    // An explicit --color never wins over both.
    let mut cmd = tokenguard();
    cmd.env("FORCE_COLOR", "1")
        .args(["scan", "--color", "never", "--root"])
        .arg(&dir)
        .arg(&dir);
    assert!(!has_ansi(&output(&mut cmd).stdout));
}

/// `script` runs the binary on a pseudo-terminal, where `auto` colours unless NO_COLOR.
#[test]
fn colour_auto_on_a_terminal_honours_no_color() {
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        eprintln!("skipped: no /usr/bin/script to provide a terminal");
        return;
    }
    let dir = fixture("rules/tg002/fires/service-accounts");
    let command = format!(
        "'{}' scan --root '{}' '{}'",
        env!("CARGO_BIN_EXE_tokenguard"),
        dir.display(),
        dir.display()
    );
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = assert_cmd::Command::new(script);
        cmd.env_remove("NO_COLOR")
            .args(["-qec", &command, "/dev/null"]);
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = output(&mut cmd);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("warning[TG002]") || has_ansi(&coloured));
    assert!(
        coloured.contains("\x1b[1;33mwarning\x1b[0m[TG002]"),
        "{coloured:?}"
    );
    let plain = on_tty(Some("1"));
    assert!(plain.contains("warning[TG002]"), "{plain:?}");
    assert!(!has_ansi(&plain), "{plain:?}");
    // An empty NO_COLOR does not count (no-color.org).
    assert!(has_ansi(&on_tty(Some(""))));
    // A terminal that says it cannot show colour gets none.
    let mut cmd = assert_cmd::Command::new(script);
    cmd.env_remove("NO_COLOR")
        .env("TERM", "dumb")
        .args(["-qec", &command, "/dev/null"]);
    let dumb = output(&mut cmd).stdout;
    assert!(dumb.contains("warning[TG002]"), "{dumb:?}");
    assert!(!has_ansi(&dumb), "{dumb:?}");
}

// ---- inputs -------------------------------------------------------------------------

/// A scan of nothing passes, so it says why it found nothing, in one line.
#[test]
fn a_scan_that_finds_no_object_says_why() {
    let why = |cwd: &Path, args: &[&str], stdin: &str| {
        let out = output(
            tokenguard()
                .current_dir(cwd)
                .args(["scan", "--root", "."])
                .args(args)
                .write_stdin(stdin),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let lines: Vec<String> = out
            .stdout
            .lines()
            .filter(|l| l.contains("no Kubernetes objects"))
            .map(str::to_owned)
            .collect();
        lines
    };
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("notes.txt"), "kind: Pod\n").unwrap();
    assert_eq!(
        why(empty.path(), &["."], ""),
        [
            "warning: no Kubernetes objects: no file matched (by default **/*.yaml, **/*.yml and **/*.json; see paths.include and --include)"
        ]
    );
    let chart = fixture("inputs/helm-chart");
    assert_eq!(
        why(&chart, &["templates"], ""),
        [
            "warning: no Kubernetes objects: the 3 files are Helm chart templates, not manifests; render the chart and scan that: helm template . | tokenguard scan -"
        ]
    );
    assert_eq!(
        why(&chart, &["templates/deployment.yaml"], ""),
        [
            "warning: no Kubernetes objects: the one file is a Helm chart template, not a manifest; render the chart and scan that: helm template . | tokenguard scan -"
        ]
    );
    assert_eq!(
        why(empty.path(), &["-"], "# nothing rendered\n"),
        ["warning: no Kubernetes objects in 1 file: no document has apiVersion and kind"]
    );
    // A scan that found objects says nothing of the kind.
    assert_eq!(why(&fixture("cli/clean"), &["."], ""), Vec::<String>::new());
}

#[test]
fn stdin_is_read_for_dash_and_reported_under_stdin_filename() {
    let dir = fixture("rules/tg001/fires/checkout");
    let manifest = std::fs::read(dir.join("checkout.yaml")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = tokenguard();
    cmd.current_dir(tmp.path())
        .args(["scan", "--format", "sarif", "--root"])
        .arg(tmp.path())
        .args(["--stdin-filename", "rendered.yaml", "-"])
        .write_stdin(manifest.clone());
    let out = output(&mut cmd);
    assert_eq!(out.code, 1);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        rows(&sarif),
        expect(&[("TG001", "rendered.yaml", 14, 5, 14, 9, "error")])
    );
    assert_eq!(
        crate::common::results(&sarif)[0]["locations"][0]["physicalLocation"]["artifactLocation"],
        serde_json::json!({"uri": "rendered.yaml", "uriBaseId": "%SRCROOT%"})
    );

    // Text shows the source line of standard input, which cannot be read again.
    let mut cmd = tokenguard();
    cmd.current_dir(tmp.path())
        .args(["scan", "--root"])
        .arg(tmp.path())
        .args(["--stdin-filename", "chart/rendered.yaml", "-"])
        .write_stdin(manifest);
    let out = output(&mut cmd);
    assert!(
        out.stdout
            .starts_with("chart/rendered.yaml:14:5: error[TG001]: Deployment shop/checkout "),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("14 |     spec:\n   |     ^^^^\n"));

    // Standard input beside files, and without a name.
    let mut cmd = tokenguard();
    cmd.current_dir(&dir)
        .args(["scan", "--format", "sarif", "--root"])
        .arg(&dir)
        .args(["checkout.yaml", "-"])
        .write_stdin(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: piped, namespace: shop}\n",
        );
    let sarif: Value = serde_json::from_str(&output(&mut cmd).stdout).unwrap();
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", "%3Cstdin%3E", 3, 12, 3, 23, "warning"),
            ("TG001", "checkout.yaml", 14, 5, 14, 9, "error"),
        ])
    );
}

#[test]
fn include_globs_replace_the_defaults_and_exclude_globs_remove() {
    let dir = fixture("cli/discovery");
    let scan = |extra: &[&str]| -> (Vec<String>, String) {
        let out = crate::common::scan_sarif_output(&dir, extra);
        assert!(out.code == 0 || out.code == 1, "{extra:?}: {}", out.stderr);
        let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
        let found = rows(&sarif).into_iter().map(|r| r.1).collect();
        let notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| n["message"]["text"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
        (found, notes)
    };
    let found = |extra: &[&str]| scan(extra).0;
    assert_eq!(found(&[]), ["nested/deeper.yml", "visible.yaml"]);
    // An include glob narrows the scan: a directory to its manifests, a file glob to
    // the files it names, whatever their type. Listing the defaults adds a type.
    for narrow in ["nested", "nested/", "./nested/**", "nested/**"] {
        assert_eq!(
            found(&["--include", narrow]),
            ["nested/deeper.yml"],
            "{narrow}"
        );
    }
    assert_eq!(found(&["--include", "**/*.txt"]), ["manifest.txt"]);
    assert_eq!(
        found(&["--include", "**/*.txt", "--include", "**/*.yaml"]),
        ["manifest.txt", "visible.yaml"]
    );
    // Every way of writing a directory excludes it.
    for exclude in ["nested", "nested/", "./nested/**", "nested/**"] {
        assert_eq!(
            found(&["--exclude", exclude]),
            ["visible.yaml"],
            "{exclude}"
        );
    }
    // `*` does not cross `/`: only the top-level .yaml file is excluded.
    assert_eq!(found(&["--exclude", "*.yaml"]), ["nested/deeper.yml"]);
    assert_eq!(
        found(&["--exclude", "**/*.yml", "--exclude", "visible.yaml"]),
        Vec::<String>::new()
    );
    assert_eq!(
        found(&[
            "--include",
            "*.txt",
            "--include",
            "**/*.y*ml",
            "--exclude",
            "nested/**"
        ]),
        ["manifest.txt", "visible.yaml"]
    );
    // A glob that matches nothing is a warning, and changes nothing.
    assert_eq!(
        scan(&["--exclude", "sample/", "--include", "nested"]),
        (
            vec!["nested/deeper.yml".to_owned()],
            "--exclude `sample/` matches no file or directory (globs are relative to the root)"
                .to_owned()
        )
    );
    // A bad glob on the command line is a usage error.
    let out = scan_text(&dir, &["--exclude", "a/[b"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("tokenguard: error: bad glob `a/[b`: "),
        "{}",
        out.stderr
    );
}

#[test]
fn hidden_directories_are_not_walked_but_named_files_are_always_read() {
    let dir = fixture("cli/discovery");
    let mut cmd = tokenguard();
    cmd.current_dir(&dir)
        .args(["scan", "--format", "sarif", "--root"])
        .arg(&dir)
        .args([".", ".hidden/secret-sa.yaml", "manifest.txt"]);
    let sarif: Value = serde_json::from_str(&output(&mut cmd).stdout).unwrap();
    assert_eq!(
        rows(&sarif),
        expect(&[
            ("TG002", ".hidden/secret-sa.yaml", 5, 3, 5, 15, "warning"),
            ("TG002", "manifest.txt", 5, 3, 5, 18, "warning"),
            ("TG002", "nested/deeper.yml", 5, 3, 5, 15, "warning"),
            ("TG002", "visible.yaml", 5, 3, 5, 16, "warning"),
        ])
    );
    // A file named twice (directly and through its folder) is scanned once.
    let mut cmd = tokenguard();
    cmd.current_dir(&dir)
        .args(["scan", "--format", "sarif", "--root"])
        .arg(&dir)
        .args(["visible.yaml", "."]);
    let sarif: Value = serde_json::from_str(&output(&mut cmd).stdout).unwrap();
    assert_eq!(rows(&sarif).len(), 2);
}

#[test]
fn gitignored_files_and_the_git_folder_are_not_walked_but_named_ones_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let sa = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: git\n"
        )
    };
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("rendered")).unwrap();
    std::fs::create_dir_all(root.join("apps")).unwrap();
    std::fs::write(root.join(".gitignore"), "/rendered/\n*.generated.yaml\n").unwrap();
    std::fs::write(root.join(".git/config.yaml"), sa("in-git-dir")).unwrap();
    std::fs::write(root.join("rendered/all.yaml"), sa("rendered")).unwrap();
    std::fs::write(root.join("apps/app.generated.yaml"), sa("generated")).unwrap();
    std::fs::write(root.join("apps/app.yaml"), sa("kept")).unwrap();
    // A nested .ignore file is honoured as well.
    std::fs::write(root.join("apps/.ignore"), "scratch.yaml\n").unwrap();
    std::fs::write(root.join("apps/scratch.yaml"), sa("scratch")).unwrap();

    let walk = scan_sarif(root, &[]);
    assert_eq!(
        rows(&walk),
        expect(&[("TG002", "apps/app.yaml", 4, 3, 4, 13, "warning")])
    );

    let mut cmd = tokenguard();
    cmd.current_dir(root)
        .args(["scan", "--format", "sarif", "--root"])
        .arg(root)
        .args([
            "apps",
            "rendered/all.yaml",
            "apps/app.generated.yaml",
            "apps/scratch.yaml",
        ]);
    let named: Value = serde_json::from_str(&output(&mut cmd).stdout).unwrap();
    assert_eq!(
        rows(&named),
        expect(&[
            ("TG002", "apps/app.generated.yaml", 4, 3, 4, 18, "warning"),
            ("TG002", "apps/app.yaml", 4, 3, 4, 13, "warning"),
            ("TG002", "apps/scratch.yaml", 4, 3, 4, 16, "warning"),
            ("TG002", "rendered/all.yaml", 4, 3, 4, 17, "warning"),
        ])
    );
}

#[test]
fn the_root_defaults_to_the_git_top_level_else_the_current_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("deploy/prod")).unwrap();
    std::fs::copy(
        fixture("rules/tg001/fires/checkout/checkout.yaml"),
        root.join("deploy/prod/checkout.yaml"),
    )
    .unwrap();
    let uri_from = |cwd: &Path| {
        let out = output(
            tokenguard()
                .current_dir(cwd)
                .args(["scan", "--format", "sarif", "."]),
        );
        let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
        rows(&sarif)[0].1.clone()
    };
    // No .git anywhere above the temporary folder: paths are relative to the cwd.
    assert_eq!(uri_from(&root.join("deploy")), "prod/checkout.yaml");
    std::fs::create_dir(root.join(".git")).unwrap();
    assert_eq!(uri_from(&root.join("deploy")), "deploy/prod/checkout.yaml");
    assert_eq!(
        uri_from(&root.join("deploy/prod")),
        "deploy/prod/checkout.yaml"
    );
}

#[test]
fn threads_1_gives_the_same_report_as_the_default() {
    let dir = fixture("demo");
    let default = crate::common::scan_sarif_output(&dir, &[]);
    let one = crate::common::scan_sarif_output(&dir, &["--threads", "1"]);
    assert_eq!(one.code, 1);
    assert_eq!(one.stderr, "");
    assert_eq!(one.stdout, default.stdout);
}

// ---- rules and explain ---------------------------------------------------------------

#[test]
fn rules_prints_a_table_of_id_name_default_and_effective_level() {
    let out = run(["rules"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        "id      name                                    default   effective\n\
         TG000   manifest-unreadable                     error     error\n\
         TG001   token-automount-untrusted               error     error\n\
         TG002   service-account-automount-enabled       warning   warning\n\
         TG003   projected-token-untrusted               error     error\n\
         TG004   projected-token-long-lived              warning   warning\n\
         TG005   legacy-token-secret                     error     error\n\
         TG006   token-creation-rbac                     error     error\n\
         TG007   token-secret-read-rbac                  warning   warning\n\
         TG008   ineffective-token-rbac                  warning   warning\n\
         TG009   unknown-service-account                 note      note\n\
         TG010   ambiguous-automount-value               warning   warning\n\
         TG011   deprecated-service-account-field        warning   warning\n\
         TG012   exemption-expired                       warning   warning\n\
         TG013   trust-entry-unused                      note      note\n\
         TG014   privileged-token-automount-untrusted    error     error\n\
         TG015   duplicate-key                           warning   warning\n"
    );
    // With a config, the effective column shows its overrides.
    let dir = fixture("semantics/rule-overrides");
    let out = output(tokenguard().arg("rules").arg("--root").arg(&dir));
    assert_eq!(out.code, 0);
    let effective: Vec<(&str, &str)> = out
        .stdout
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols[0], cols[3])
        })
        .collect();
    assert_eq!(
        effective,
        [
            ("TG000", "error"),
            ("TG001", "error"),
            ("TG002", "error"),
            ("TG003", "error"),
            ("TG004", "warning"),
            ("TG005", "error"),
            ("TG006", "error"),
            ("TG007", "warning"),
            ("TG008", "warning"),
            ("TG009", "off"),
            ("TG010", "warning"),
            ("TG011", "note"),
            ("TG012", "warning"),
            ("TG013", "note"),
            ("TG014", "error"),
            ("TG015", "warning"),
        ]
    );
    // An invalid config is exit 2 here too.
    let out = output(
        tokenguard()
            .arg("rules")
            .arg("--root")
            .arg(fixture("config/unknown-key")),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("tokenguard: error: .tokenguard.yaml:2:1: ")
    );
}

#[test]
fn explain_prints_the_same_text_as_sarif_help_markdown() {
    let sarif = crate::common::sarif_of("demo");
    let descriptors = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(descriptors.len(), 16);
    for descriptor in descriptors {
        let id = descriptor["id"].as_str().unwrap();
        let out = run(["explain", id]);
        assert_eq!(out.code, 0, "{id}");
        assert_eq!(out.stderr, "");
        assert_eq!(
            out.stdout,
            descriptor["help"]["markdown"].as_str().unwrap(),
            "{id}"
        );
        assert!(out.stdout.starts_with(&format!("## {id} ")), "{id}");
        // Every help has what, why, a YAML fix, how to suppress and references.
        for section in [
            "**What it finds.**",
            "**Why it matters.**",
            "**How to fix.**",
            "**How to suppress.**",
            "**References.**",
            "```yaml",
        ] {
            assert!(out.stdout.contains(section), "{id} help lacks {section}");
        }
    }
    let out = run(["explain", "TG001"]);
    for needle in [
        "automountServiceAccountToken: false",
        "CIS Kubernetes Benchmark 5.1.6",
        "trusted:",
        "https://kubernetes.io/docs/",
    ] {
        assert!(out.stdout.contains(needle), "{needle}");
    }
    // Ids are case-insensitive, and the rule's name works too.
    assert_eq!(run(["explain", "tg001"]).stdout, out.stdout);
    assert_eq!(
        run(["explain", "token-automount-untrusted"]).stdout,
        out.stdout
    );
}

#[test]
fn explain_shows_the_annotation_for_every_rule_whose_findings_name_an_object() {
    for id in [
        "TG001", "TG002", "TG003", "TG004", "TG005", "TG006", "TG007", "TG008", "TG009", "TG010",
        "TG011", "TG014",
    ] {
        let help = run(["explain", id]).stdout;
        let suppress = help
            .split("**How to suppress.**")
            .nth(1)
            .and_then(|rest| rest.split("**References.**").next())
            .unwrap_or_default();
        assert!(
            suppress.contains(&format!("`tokenguard.dev/ignore-{id}: \"<reason>\"`")),
            "{id}: {suppress}"
        );
    }
}

#[test]
fn explain_of_an_unknown_rule_is_exit_2() {
    let out = run(["explain", "TG999"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "tokenguard: error: unknown rule `TG999`; `tokenguard rules` lists them\n"
    );
}

#[test]
fn symbolic_links_are_not_followed_and_never_lead_outside_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(repo.join("apps")).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let sa = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: links\n"
        )
    };
    std::fs::write(outside.join("sa.yaml"), sa("outside")).unwrap();
    std::fs::write(repo.join("apps/sa.yaml"), sa("inside")).unwrap();
    std::os::unix::fs::symlink("../outside", repo.join("linked-dir")).unwrap();
    std::os::unix::fs::symlink("../outside/sa.yaml", repo.join("linked-out.yaml")).unwrap();
    std::os::unix::fs::symlink("apps/sa.yaml", repo.join("linked-in.yaml")).unwrap();

    // The walk reads no link at all.
    assert_eq!(
        rows(&scan_sarif(&repo, &[])),
        expect(&[("TG002", "apps/sa.yaml", 4, 3, 4, 15, "warning")])
    );
    // A named link is read only if it stays inside the root; the others are warnings.
    let out = output(
        tokenguard()
            .current_dir(&repo)
            .args(["scan", "--color", "never", "--root"])
            .arg(&repo)
            .args(["linked-in.yaml", "linked-out.yaml", "linked-dir"]),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("linked-in.yaml:4:3: warning[TG002]: ServiceAccount links/inside "),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("links/outside"));
    assert!(
        out.stdout.contains(
            "linked-dir: warning: not read: a symbolic link to outside the root (--follow-symlinks reads it)\nlinked-out.yaml: warning: not read: a symbolic link to outside the root (--follow-symlinks reads it)\n"
        ),
        "{}",
        out.stdout
    );
}

/// Output files are checked before the scan but written only once it has findings to
/// write: a scan that fails first leaves an existing file as it was and creates none.
#[test]
fn a_scan_that_fails_leaves_the_output_files_as_they_were() {
    let tmp = tempfile::tempdir().unwrap();
    let kept = tmp.path().join("kept.sarif");
    std::fs::write(&kept, "the previous report\n").unwrap();
    let new = tmp.path().join("new.json");
    let out = run([
        "scan".as_ref(),
        tmp.path().join("no-such-dir").as_os_str(),
        "--sarif".as_ref(),
        kept.as_os_str(),
        "--json".as_ref(),
        new.as_os_str(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(&kept).unwrap(),
        "the previous report\n"
    );
    assert!(!new.exists());
}

#[test]
fn an_output_file_that_cannot_be_written_is_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("no-such-dir/out.sarif");
    let out = scan_text(
        &fixture("cli/clean"),
        &["--format", "sarif", "--output", target.to_str().unwrap()],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with(&format!(
            "tokenguard: error: cannot write {}: ",
            target.display()
        )),
        "{}",
        out.stderr
    );
}

/// A namespace named with digits only (a valid Kubernetes name) is a name in the table,
/// aligned as names are, not taken for a count.
#[test]
fn a_namespace_named_with_digits_is_aligned_as_a_name() {
    let dir = pods_in_namespaces(&[("2024", 2)]);
    let out = scan_text(dir.path(), &["--quiet"]);
    let table: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("namespace"))
        .take(2)
        .collect();
    assert_eq!(table, ["namespace  findings", "2024              2"]);
}
