//! What the rules' unit tests share: a scan of inline YAML through the library, and the
//! findings of one rule in a form short enough to compare.

use crate::config::Config;
use crate::finding::Level;
use crate::rules::Rule;
use crate::{ScanOptions, Stdin};

/// The name the inline manifests are scanned under.
pub(crate) const MANIFEST: &str = "manifest.yaml";
/// The name the inline config is read under.
pub(crate) const CONFIG: &str = ".tokenguard.yaml";
/// The date config exemptions are compared with.
pub(crate) const TODAY: jiff::civil::Date = jiff::civil::date(2026, 6, 30);

/// One finding of the rule under test.
#[derive(Debug)]
pub(crate) struct Found {
    /// [`MANIFEST`] or [`CONFIG`].
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub level: Level,
    pub message: String,
}

impl Found {
    /// Asserts its position in [`MANIFEST`], its level, and that its message names each
    /// of `facts`.
    #[track_caller]
    pub(crate) fn assert(&self, (line, col): (u32, u32), level: Level, facts: &[&str]) {
        self.assert_in(MANIFEST, (line, col), level, facts);
    }

    /// [`Found::assert`] for a finding in `file`.
    #[track_caller]
    pub(crate) fn assert_in(
        &self,
        file: &str,
        (line, col): (u32, u32),
        level: Level,
        facts: &[&str],
    ) {
        assert_eq!(
            (self.file.as_str(), self.line, self.col, self.level),
            (file, line, col, level),
            "where and how loud: {self:?}"
        );
        for fact in facts {
            assert!(
                self.message.contains(fact),
                "{fact:?} is not in {:?}",
                self.message
            );
        }
    }
}

/// The findings of `rule` when `manifests` are scanned with no config. Both texts are
/// [`dedent`]ed, so a test indents its YAML like its code.
pub(crate) fn check(rule: &Rule, manifests: &str) -> Vec<Found> {
    check_with_config(rule, manifests, "")
}

/// The findings of `rule` when `manifests` are scanned with `config` (none if empty) on
/// [`TODAY`].
pub(crate) fn check_with_config(rule: &Rule, manifests: &str, config: &str) -> Vec<Found> {
    let mut options = ScanOptions::new(vec!["-".into()], std::env::temp_dir(), TODAY);
    options.stdin = Some(Stdin {
        name: MANIFEST.to_owned(),
        bytes: dedent(manifests).into_bytes(),
    });
    if !config.is_empty() {
        let mut parsed = Config::parse(&dedent(config), CONFIG)
            .unwrap_or_else(|e| panic!("the test's config is invalid: {e}"));
        parsed.source = Some(CONFIG.to_owned());
        options.config = parsed;
    }
    let report = crate::scan(options).expect("a scan of standard input");
    report
        .findings
        .iter()
        .filter(|f| f.rule == rule.meta.id)
        .map(|f| Found {
            file: report.file(f.location.file).path.to_owned(),
            line: f.location.region.start.line,
            col: f.location.region.start.col,
            level: f.level,
            message: f.message.to_string(),
        })
        .collect()
}

/// A Pod of an untrusted service account with automounting off and a projected token
/// valid for `seconds` s (TG003 and TG004 cases), its key at 13:13 and its
/// `expirationSeconds` at 16:15.
pub(crate) fn projected_token_pod(seconds: u32) -> String {
    format!(
        "
        apiVersion: v1
        kind: Pod
        metadata: {{name: agent, namespace: vault}}
        spec:
          serviceAccountName: vault-agent
          automountServiceAccountToken: false
          containers:
            - {{name: agent, image: vault}}
          volumes:
            - name: token
              projected:
                sources:
                  - serviceAccountToken:
                      path: token
                      audience: vault
                      expirationSeconds: {seconds}
        "
    )
}

/// `text` without its leading line break and the indentation its lines share: line 1 is
/// the line after the opening quote.
pub(crate) fn dedent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.get(indent..).unwrap_or(""));
        out.push('\n');
    }
    out
}

#[test]
fn dedent_removes_the_shared_indentation_and_the_leading_line_break() {
    assert_eq!(
        dedent("\n    a:\n      b: 1\n\n    c: 2\n  "),
        "a:\n  b: 1\n\nc: 2\n\n"
    );
}
