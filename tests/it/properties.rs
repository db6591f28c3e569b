//! Properties over generated input (SPEC 10): arbitrary bytes, YAML-ish token soup and
//! manifests with arbitrary names never panic the scan, always give SARIF that is valid
//! against the OASIS schema and text that no terminal or CI log reads as a command, and
//! a hostile name never turns a finding into a silent pass.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;
use tokenguard::report::{self, Format, ReportOptions};
use tokenguard::yaml::Limits;
use tokenguard::{Report, ScanOptions, Stdin};

fn scan(bytes: &[u8]) -> Report {
    tokenguard::scan(ScanOptions {
        stdin: Some(Stdin {
            name: "gen erated%#\n.yaml".to_owned(),
            bytes: bytes.to_vec(),
        }),
        // Small limits, so that generated input reaches them.
        limits: Limits {
            max_depth: 16,
            max_alias_expansion: 2_000,
            max_alias_text_bytes: 20_000,
            max_documents: 20,
            ..Limits::default()
        },
        ..ScanOptions::new(
            vec!["-".into()],
            std::env::temp_dir(),
            jiff::civil::date(2026, 1, 1),
        )
    })
    .expect("a scan of standard input cannot fail")
}

fn options() -> ReportOptions {
    ReportOptions {
        color: false,
        quiet: false,
        compact: false,
        verbose: true,
        show_suppressed: true,
        category: "tokenguard/".to_owned(),
        link_base: Some("https://github.com/o/r/blob/0123/".to_owned()),
        changed_lines: None,
    }
}

fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema: Value =
            serde_json::from_str(include_str!("../schemas/sarif-2.1.0.json")).unwrap();
        jsonschema::validator_for(&schema).unwrap()
    })
}

/// Scans, writes SARIF and text, and checks both; returns the report.
fn check(bytes: &[u8]) -> Result<Report, TestCaseError> {
    let report = scan(bytes);
    let mut sarif = Vec::new();
    report::write(Format::Sarif, &report, &options(), &mut sarif).unwrap();
    let log: Value =
        serde_json::from_slice(&sarif).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let errors: Vec<String> = schema().iter_errors(&log).map(|e| e.to_string()).collect();
    prop_assert!(errors.is_empty(), "SARIF against the schema: {errors:?}");
    let results = log["runs"][0]["results"].as_array().unwrap();
    prop_assert_eq!(results.len(), report.findings.len());
    for r in results {
        let message = r["message"]["text"].as_str().unwrap();
        prop_assert!(!message.chars().any(char::is_control), "{}", message);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        prop_assert_eq!(uri, "gen%20erated%25%23%0A.yaml");
        let region = &r["locations"][0]["physicalLocation"]["region"];
        prop_assert!(region["startLine"].as_u64().unwrap() >= 1);
        prop_assert!(region["startColumn"].as_u64().unwrap() >= 1);
    }
    let mut text = Vec::new();
    report::write(Format::Text, &report, &options(), &mut text).unwrap();
    let text = String::from_utf8(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    for c in text.chars() {
        prop_assert!(
            c == '\n' || c == '\t' || !c.is_control(),
            "raw {:?} in text",
            c
        );
    }
    for line in text.lines() {
        prop_assert!(!line.trim_start().starts_with("::"), "{}", line);
        prop_assert!(!line.contains("##["), "{}", line);
    }
    // The machine-readable formats: JSON stays valid, every annotation is one command.
    let render = |format| {
        let mut out = Vec::new();
        report::write(format, &report, &options(), &mut out).unwrap();
        String::from_utf8(out).map_err(|e| TestCaseError::fail(e.to_string()))
    };
    for format in [Format::Json, Format::Gitlab] {
        let json = render(format)?;
        serde_json::from_str::<Value>(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let annotations = render(Format::Github)?;
    prop_assert_eq!(
        annotations.lines().count(),
        report.active_findings().count()
            + report
                .scanned
                .notifications
                .iter()
                .filter(|n| n.level >= tokenguard::finding::Level::Warning)
                .count()
    );
    for line in annotations.lines() {
        prop_assert!(line.starts_with("::"), "{}", line);
        prop_assert!(!line.chars().any(char::is_control), "{}", line);
    }
    render(Format::Markdown)?;
    Ok(report)
}

const TOKENS: &[&str] = &[
    "apiVersion: v1\n",
    "kind: Pod\n",
    "kind: ServiceAccount\n",
    "kind: List\n",
    "apiVersion: apps/v1\nkind: Deployment\n",
    "items:\n",
    "metadata:\n",
    "  name: ",
    "  namespace: ",
    "spec:\n",
    "  template:\n",
    "    spec:\n",
    "automountServiceAccountToken: ",
    "serviceAccountName: ",
    "containers:\n",
    "- name: a\n",
    "volumes:\n",
    "projected:\n",
    "serviceAccountToken: {}\n",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "? ",
    ": ",
    "- ",
    "-",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\"",
    "'",
    "\\",
    "|\n",
    ">-\n",
    "# c\n",
    "\t",
    "\r\n",
    "\r",
    "\n",
    "  ",
    "\u{feff}",
    "{{ x }}",
    "yes",
    "off",
    "true",
    "\"false\"",
    "~",
    "!!str ",
    "!!bool ",
    "!x ",
    "%YAML 1.2\n",
    "\u{1b}[31m",
    "\u{202e}",
    "é",
    "\0",
    "\u{85}",
    "::error::",
    "##[",
    "[l](https://x.test)",
];

fn token_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => prop::sample::select(TOKENS).prop_map(str::to_owned),
        1 => "\\PC{0,6}",
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..150).prop_map(|pieces| pieces.concat())
}

/// Any string, as a JSON string literal, which is also a YAML double-quoted scalar.
fn quoted() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,12}",
        "\\PC{0,20}",
        any::<String>(),
        prop::collection::vec(prop::sample::select(TOKENS), 0..6).prop_map(|t| t.concat()),
    ]
    .prop_map(|s| serde_json::to_string(&s).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_give_valid_outputs(
        bytes in prop::collection::vec(any::<u8>(), 0..1500),
    ) {
        check(&bytes)?;
    }

    #[test]
    fn yaml_ish_token_soup_never_panics_and_gives_valid_outputs(text in token_soup()) {
        check(text.as_bytes())?;
    }

    #[test]
    fn hostile_names_never_hide_a_finding(
        name in quoted(),
        namespace in quoted(),
        service_account in quoted(),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let mut text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  serviceAccountName: {service_account}\n  containers:\n  - name: app\n"
        );
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        if bom {
            text.insert(0, '\u{feff}');
        }
        let report = check(text.as_bytes())?;
        let rules: Vec<&str> = report.findings.iter().map(|f| f.rule.code()).collect();
        prop_assert!(rules.contains(&"TG001"), "{:?} for {}", rules, text);
        prop_assert!(!rules.contains(&"TG000"), "{:?} for {}", rules, text);
        let tg001 = report.findings.iter().find(|f| f.rule.code() == "TG001").unwrap();
        // At the serviceAccountName key, even an empty one (which means `default`).
        prop_assert_eq!(tg001.location.region.start.line, 7);
        prop_assert_eq!(tg001.location.region.start.col, 3);
    }
}
