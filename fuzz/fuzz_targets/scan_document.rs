//! The whole scan of one document given on standard input: load, model, index, every
//! rule, suppressions, then the text and SARIF outputs. Nothing may panic, SARIF must
//! be valid JSON with the required shape, and text output must carry no control
//! character but line feeds and tabs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenguard::config::Config;
use tokenguard::report::{self, Format, ReportOptions};
use tokenguard::{ScanOptions, Stdin, yaml::Limits};

fuzz_target!(|bytes: &[u8]| {
    let report = tokenguard::scan(ScanOptions {
        config: Config::default(),
        stdin: Some(Stdin {
            name: "in put\n%#.yaml".to_owned(),
            bytes: bytes.to_vec(),
        }),
        limits: Limits {
            max_depth: 32,
            max_alias_expansion: 5_000,
            max_documents: 50,
            ..Limits::default()
        },
        // The rest as a scan of standard input with no flags has it.
        ..ScanOptions::new(
            vec!["-".into()],
            "/nonexistent/fuzz-root".into(),
            jiff::civil::date(2026, 1, 1),
        )
    })
    .expect("a scan of standard input cannot fail");
    let options = ReportOptions {
        color: false,
        quiet: false,
        compact: false,
        verbose: true,
        show_suppressed: true,
        category: "tokenguard/".to_owned(),
        link_base: None,
        changed_lines: None,
    };
    let mut sarif = Vec::new();
    report::write(Format::Sarif, &report, &options, &mut sarif).unwrap();
    let log: serde_json::Value = serde_json::from_slice(&sarif).expect("SARIF is JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), report.findings.len());
    for r in results {
        assert!(r["ruleId"].is_string() && r["message"]["text"].is_string());
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap() >= 1);
        assert!(region["startColumn"].as_u64().unwrap() >= 1);
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.bytes().all(|b| b.is_ascii_graphic()), "{uri}");
    }
    let mut text = Vec::new();
    report::write(Format::Text, &report, &options, &mut text).unwrap();
    let text = String::from_utf8(text).expect("text output is UTF-8");
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "control character in text output"
    );
    for line in text.lines() {
        assert!(!line.trim_start().starts_with("::"), "{line}");
        assert!(!line.contains("##["), "{line}");
    }
});
