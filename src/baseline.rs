//! SPEC 8.6: the findings a repository had when it adopted tokenguard, accepted as they
//! are, so that a scan fails only on what is new. `tokenguard baseline` writes the file;
//! a scan with it marks each finding `new` or `unchanged` by its fingerprint (which
//! leaves lines out, so entries survive lines moving) and counts the entries it no longer
//! finds as fixed.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::{BaselineState, Finding, Fingerprint};

/// The file `tokenguard baseline` writes at the root unless told otherwise.
pub const FILE_NAME: &str = ".tokenguard-baseline.json";

/// Bump when an entry's fields change meaning.
const VERSION: u32 = 1;

/// The file: every accepted finding, sorted, without lines.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

/// One accepted finding. The fingerprint alone identifies it; rule, object and path
/// are checked too, so that an entry never hides a finding of another rule or object,
/// and they let a reviewer read the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    /// `NAMESPACE/KIND/NAME`, or empty for a finding about a whole file (TG000).
    pub object: String,
    /// The finding's file; for a finding about a rendered object, its Kustomize root's
    /// directory instead: the fingerprint covers the root, not the file, so the entry
    /// still accepts the finding when its key moves from a base to a patch.
    pub path: String,
}

impl Entry {
    /// The entry that accepts `finding`, whose [`Finding::unit_path`] is `path`.
    pub fn of(finding: &Finding, path: &str) -> Entry {
        Entry {
            fingerprint: finding.fingerprint.to_string(),
            rule: finding.rule.code().to_owned(),
            object: finding
                .object
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            path: path.to_owned(),
        }
    }

    fn order_key(&self) -> (&str, &str, &str, &str) {
        (&self.path, &self.rule, &self.object, &self.fingerprint)
    }
}

/// The baseline file's text: the entries sorted by path, rule, object and fingerprint,
/// so that the same findings always give the same bytes.
pub fn render(mut entries: Vec<Entry>) -> String {
    entries.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    entries.dedup();
    let file = BaselineFile {
        version: VERSION,
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file).expect("a baseline is plain JSON");
    text.push('\n');
    text
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read the baseline: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not a tokenguard baseline: {message}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: finding {entry} of the baseline has fingerprint `{text}`, which tokenguard does not write (16 hex digits, then -N for the Nth of a kind)"
    )]
    Fingerprint {
        path: String,
        entry: usize,
        text: String,
    },
    #[error(
        "{path}: baseline version {found} is not supported (this tokenguard reads version {VERSION}); write it again with `tokenguard baseline`"
    )]
    Version { path: String, found: u32 },
}

/// A baseline being compared with a scan's findings.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// The file as the user named it, for messages.
    pub shown: String,
    entries: Vec<Entry>,
    /// The entries by parsed fingerprint, so that a finding is looked up without
    /// formatting its own.
    by_fingerprint: HashMap<Fingerprint, usize>,
    matched: Vec<bool>,
}

/// What the comparison found, for the summaries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineSummary {
    pub shown: String,
    /// Entries in the file.
    pub entries: usize,
    /// Entries no finding matched: fixed since the baseline was written (or their
    /// object was renamed, which is a new finding).
    pub fixed: usize,
}

impl Baseline {
    pub fn load(path: &Path, shown: &str) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: shown.to_owned(),
            source,
        })?;
        Baseline::parse(&text, shown)
    }

    pub fn parse(text: &str, shown: &str) -> Result<Baseline, BaselineError> {
        let file: BaselineFile =
            serde_json::from_str(text).map_err(|e| BaselineError::Invalid {
                path: shown.to_owned(),
                line: e.line(),
                column: value_column(text, e.line(), e.column()),
                message: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            })?;
        if file.version != VERSION {
            return Err(BaselineError::Version {
                path: shown.to_owned(),
                found: file.version,
            });
        }
        let by_fingerprint = file
            .findings
            .iter()
            .enumerate()
            .map(|(i, e)| match e.fingerprint.parse() {
                Ok(fingerprint) => Ok((fingerprint, i)),
                Err(()) => Err(BaselineError::Fingerprint {
                    path: shown.to_owned(),
                    entry: i + 1,
                    text: e.fingerprint.clone(),
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Baseline {
            shown: shown.to_owned(),
            matched: vec![false; file.findings.len()],
            entries: file.findings,
            by_fingerprint,
        })
    }

    /// Whether `finding` (its [`Finding::unit_path`] `path`, its fingerprint given) is in
    /// the baseline; an entry it matches is no longer counted as fixed.
    pub fn state_of(&mut self, finding: &Finding, path: &str) -> BaselineState {
        let Some(&i) = self.by_fingerprint.get(&finding.fingerprint) else {
            return BaselineState::New;
        };
        let entry = &self.entries[i];
        let object = finding.object.as_ref().map(ToString::to_string);
        if entry.rule != finding.rule.code()
            || entry.path != path
            || entry.object != object.as_deref().unwrap_or_default()
        {
            return BaselineState::New;
        }
        self.matched[i] = true;
        BaselineState::Unchanged
    }

    pub fn summary(&self) -> BaselineSummary {
        BaselineSummary {
            shown: self.shown.clone(),
            entries: self.entries.len(),
            fixed: self.matched.iter().filter(|m| !**m).count(),
        }
    }
}

/// serde_json places a wrong type of object or array at the character before it (the
/// blank it last read): point at the value itself, as an editor would.
fn value_column(text: &str, line: usize, column: usize) -> usize {
    let Some(rest) = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.get(column.saturating_sub(1)..))
    else {
        return column;
    };
    let blanks = rest.chars().take_while(|c| *c == ' ' || *c == '\t').count();
    if blanks < rest.len() {
        column + blanks
    } else {
        column
    }
}

impl fmt::Display for BaselineSummary {
    /// `.tokenguard-baseline.json (12 findings, 2 fixed)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = if self.entries == 1 { "" } else { "s" };
        write!(
            f,
            "{} ({} finding{plural}, {} fixed)",
            self.shown, self.entries, self.fixed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileId;
    use crate::finding::{Fingerprint, Level, Location, ObjectRef, RuleId};

    fn finding(rule: RuleId, name: &str, hash: u64) -> Finding {
        let mut finding = Finding::new(
            rule,
            Level::Error,
            Location {
                file: FileId(0),
                region: Default::default(),
            },
            String::new(),
        )
        .object(ObjectRef {
            namespace: "shop".into(),
            kind: "Deployment".into(),
            name: name.into(),
            ignores: Box::default(),
            root: None,
        });
        finding.fingerprint = Fingerprint {
            hash,
            occurrence: 1,
        };
        finding
    }

    #[test]
    fn renders_sorted_entries_and_reads_them_back() {
        let api = finding(RuleId::TokenAutomountUntrusted, "api", 0xa);
        let web = finding(RuleId::ServiceAccountAutomountEnabled, "web", 0xb);
        let text = render(vec![Entry::of(&web, "b.yaml"), Entry::of(&api, "a.yaml")]);
        assert_eq!(
            text,
            r#"{
  "version": 1,
  "findings": [
    {
      "fingerprint": "000000000000000a",
      "rule": "TG001",
      "object": "shop/Deployment/api",
      "path": "a.yaml"
    },
    {
      "fingerprint": "000000000000000b",
      "rule": "TG002",
      "object": "shop/Deployment/web",
      "path": "b.yaml"
    }
  ]
}
"#
        );
        let mut baseline = Baseline::parse(&text, "base.json").unwrap();
        assert_eq!(baseline.state_of(&api, "a.yaml"), BaselineState::Unchanged);
        assert_eq!(
            baseline.summary(),
            BaselineSummary {
                shown: "base.json".into(),
                entries: 2,
                fixed: 1
            }
        );
        assert_eq!(
            baseline.summary().to_string(),
            "base.json (2 findings, 1 fixed)"
        );
    }

    #[test]
    fn an_entry_never_accepts_another_rule_object_or_file() {
        let api = finding(RuleId::TokenAutomountUntrusted, "api", 0xa);
        let text = render(vec![Entry::of(&api, "a.yaml")]);
        let mut baseline = Baseline::parse(&text, "base.json").unwrap();
        // The same fingerprint on another rule, object or file (a collision, or an
        // edited baseline) is new.
        let other_rule = finding(RuleId::PrivilegedTokenAutomountUntrusted, "api", 0xa);
        let other_object = finding(RuleId::TokenAutomountUntrusted, "web", 0xa);
        assert_eq!(baseline.state_of(&other_rule, "a.yaml"), BaselineState::New);
        assert_eq!(
            baseline.state_of(&other_object, "a.yaml"),
            BaselineState::New
        );
        assert_eq!(baseline.state_of(&api, "b.yaml"), BaselineState::New);
        assert_eq!(baseline.summary().fixed, 1);
        let second = Finding {
            fingerprint: Fingerprint {
                hash: 0xa,
                occurrence: 2,
            },
            ..api.clone()
        };
        assert_eq!(baseline.state_of(&second, "a.yaml"), BaselineState::New);
    }

    /// A rendered object's entry names its root's directory, the unit its fingerprint
    /// covers: it accepts the finding wherever its key moves within the root, and never
    /// the same object rendered by another root.
    #[test]
    fn an_entry_of_a_rendered_object_names_its_root() {
        use crate::finding::KustomizeRoot;
        use std::sync::Arc;
        let files = crate::Files::default();
        let root = |dir: &str| {
            Arc::new(KustomizeRoot {
                dir: dir.into(),
                kustomization: FileId(1),
            })
        };
        let prod =
            finding(RuleId::TokenAutomountUntrusted, "api", 0xa).rendered_by(root("overlays/prod"));
        let entry = Entry::of(&prod, prod.unit_path(&files));
        assert_eq!(entry.path, "overlays/prod");
        let mut baseline = Baseline::parse(&render(vec![entry]), "base.json").unwrap();
        let in_a_patch = Finding {
            location: Location {
                file: FileId(7),
                region: Default::default(),
            },
            ..prod.clone()
        };
        assert_eq!(
            baseline.state_of(&in_a_patch, in_a_patch.unit_path(&files)),
            BaselineState::Unchanged
        );
        let staging = prod.rendered_by(root("overlays/staging"));
        assert_eq!(
            baseline.state_of(&staging, staging.unit_path(&files)),
            BaselineState::New
        );
    }

    #[test]
    fn bad_files_say_where() {
        let error = Baseline::parse("{\n  \"version\": 1,\n  \"findings\": [1]\n}", "b.json")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("b.json:3:16: not a tokenguard baseline: invalid type: integer `1`"),
            "{error}"
        );
        let error = Baseline::parse("{\n  \"version\": 1,\n  \"findings\": {}\n}", "b.json")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("b.json:3:15: not a tokenguard baseline: invalid type: map"),
            "{error}"
        );
        let error = Baseline::parse("{\"version\": 2, \"findings\": []}", "b.json")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("b.json: baseline version 2 is not supported"),
            "{error}"
        );
        let error = Baseline::parse("{\"version\": 1, \"findings\": [], \"x\": 1}", "b.json")
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `x`"), "{error}");
        let entry = |fingerprint: &str| {
            format!(
                "{{\"version\": 1, \"findings\": [{{\"fingerprint\": \"{fingerprint}\", \"rule\": \"TG001\", \"object\": \"\", \"path\": \"a.yaml\"}}]}}"
            )
        };
        for bad in [
            "a",
            "000000000000000a-1",
            "000000000000000a-x",
            "00000000000000zz",
        ] {
            let error = Baseline::parse(&entry(bad), "b.json")
                .unwrap_err()
                .to_string();
            assert_eq!(
                error,
                format!(
                    "b.json: finding 1 of the baseline has fingerprint `{bad}`, which tokenguard does not write (16 hex digits, then -N for the Nth of a kind)"
                )
            );
        }
        for good in ["000000000000000a", "000000000000000a-2"] {
            assert!(Baseline::parse(&entry(good), "b.json").is_ok(), "{good}");
        }
    }
}
