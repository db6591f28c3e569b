//! `tokenguard init` (SPEC 5.3): a starter `.tokenguard.yaml` written from a scan. It
//! accepts nothing itself: every entry a repository needs to pass is written as a
//! commented-out candidate with the facts behind it, so that a team adopts the tool by
//! uncommenting what it accepts (and giving a reason, which the config requires) and
//! fixing the rest.
//!
//! Lines that start with `## ` explain; lines that start with `# ` are candidates. Deleting
//! the `# ` of every candidate line gives a valid config (once the reasons are written)
//! under which the scan passes at the chosen `--fail-on` level: trusted service accounts,
//! token creators and excluded files are found in a first scan, and what a scan with all
//! of them accepted still reports becomes an exemption candidate.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use jiff::civil::Date;

use crate::config::{Config, PathGlob};
use crate::finding::{Finding, ObjectRef};
use crate::rule_id::{Level, RuleId};
use crate::rules::tg000_manifest_unreadable::load_reason;
use crate::{FileStatus, Report, Source};

/// Rules whose findings mean "this service account's token reaches these pods".
pub const TOKEN_RULES: [RuleId; 3] = [
    RuleId::TokenAutomountUntrusted,
    RuleId::ProjectedTokenUntrusted,
    RuleId::PrivilegedTokenAutomountUntrusted,
];

/// How long an exemption candidate lasts: a quarter, long enough to plan a fix.
pub const EXEMPTION_DAYS: i32 = 90;

/// What the pods of a token rule's finding get, as a fact beside a trusted candidate.
fn token_fact(rule: RuleId) -> &'static str {
    match rule {
        RuleId::ProjectedTokenUntrusted => "a projected token (TG003)",
        RuleId::PrivilegedTokenAutomountUntrusted => {
            "an automounted token with powerful RBAC grants (TG014)"
        }
        _ => "an automounted token (TG001)",
    }
}

/// A service account that receives a token, and where.
#[derive(Debug, PartialEq, Eq)]
pub struct Receiver {
    /// `namespace/name`.
    pub service_account: String,
    /// `Deployment shop/api (apps/api.yaml:20): an automounted token (TG001)`, one per
    /// workload and kind of token, sorted.
    pub used_by: Vec<String>,
    /// How many workloads (by identity, wherever they are written) use it.
    pub workloads: usize,
}

/// Every candidate of a starter config, each with its facts.
#[derive(Debug, Default)]
pub struct Candidates {
    pub trusted: Vec<Receiver>,
    /// Subject (`ServiceAccount:NS/NAME`, `User:NAME`, `Group:NAME`) -> the token-minting
    /// rules bound to it (`ClusterRole ci rule 2`) and where they are.
    pub token_creators: BTreeMap<String, BTreeMap<String, Sites>>,
    /// Path -> why it could not be loaded.
    pub excludes: BTreeMap<String, String>,
    /// (rule, `NAMESPACE/KIND/NAME`) -> what the first finding it accepts says, and where
    /// they all are.
    pub exemptions: BTreeMap<(RuleId, String), (String, Sites)>,
    /// Findings no config entry can accept, as `path:line: TG000 message` (without the
    /// place for a finding about the config being rewritten).
    pub unacceptable: Vec<String>,
}

impl Candidates {
    /// The candidates a scan's findings call for, before exemptions: a `trusted` entry for
    /// every service account that receives a token, `tokenCreators` for the subjects of
    /// TG006, `paths.exclude` for the files that could not be loaded. What the scan says
    /// about the config being rewritten (an expired exemption) at or above `threshold`
    /// no entry can accept.
    pub fn from_report(report: &Report, threshold: Level) -> Candidates {
        let mut candidates = Candidates {
            trusted: receivers(report),
            ..Candidates::default()
        };
        for finding in report.active_findings() {
            if report.file(finding.location.file).status == FileStatus::Config {
                // Its line is in the file being rewritten: the message names the entry.
                if finding.level >= threshold {
                    candidates.unacceptable.push(format!(
                        "{} {}",
                        finding.rule,
                        first_sentence(&finding.message)
                    ));
                }
                continue;
            }
            match finding.rule {
                RuleId::TokenCreationRbac => {
                    let role = finding
                        .object
                        .as_ref()
                        .map_or_else(String::new, ObjectRef::describe);
                    // TG006 lists only the subjects an entry can name (`User:` names none);
                    // the rescan reports a finding of the others as one no entry accepts.
                    for subject in &finding.subjects {
                        candidates
                            .token_creators
                            .entry(subject.to_string())
                            .or_default()
                            .entry(format!("{role} {}", finding.detail))
                            .or_default()
                            .add(report, finding);
                    }
                }
                // Only a file found under the root can be excluded: standard input and
                // files named outside it are always read.
                RuleId::ManifestUnreadable
                    if matches!(report.file(finding.location.file).source, Source::UnderRoot) =>
                {
                    let file = report.file(finding.location.file);
                    let reason = load_reason(&finding.message).unwrap_or(&finding.message);
                    let line = finding.location.region.start.line;
                    let mut fact = format!("line {line}: {reason}");
                    if file.objects > 0 {
                        let _ = write!(
                            fact,
                            "; {} read before the error would be excluded too",
                            plural(file.objects as usize, "object", "objects")
                        );
                    }
                    candidates.excludes.insert(file.path.to_owned(), fact);
                }
                _ => {}
            }
        }
        candidates
    }

    /// Adds an exemption candidate for each finding at or above `threshold` that a scan
    /// with every other candidate accepted still reports.
    pub fn add_exemptions(&mut self, residual: &Report, threshold: Level) {
        for finding in residual.active_findings().filter(|f| f.level >= threshold) {
            // An exemption names `NAMESPACE/KIND/NAME`: an object whose name holds a `/`
            // (which the API server would refuse) has no such name.
            let object = finding
                .object
                .as_ref()
                .map(ToString::to_string)
                .filter(|o| o.split('/').count() == 3);
            match object {
                Some(object) => self
                    .exemptions
                    .entry((finding.rule, object))
                    .or_insert_with(|| {
                        (
                            first_sentence(&finding.message).to_owned(),
                            Sites::default(),
                        )
                    })
                    .1
                    .add(residual, finding),
                None => self.unacceptable.push(unacceptable(residual, finding)),
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.trusted.is_empty()
            && self.token_creators.is_empty()
            && self.excludes.is_empty()
            && self.exemptions.is_empty()
    }
}

/// `path:line: TG000 what the finding says`, for a finding no entry can accept.
fn unacceptable(report: &Report, finding: &Finding) -> String {
    format!(
        "{}:{}: {} {}",
        report.file(finding.location.file).path,
        finding.location.region.start.line,
        finding.rule,
        first_sentence(&finding.message)
    )
}

/// What `init` wrote, in one line for the terminal.
pub fn summary(candidates: &Candidates) -> String {
    let mut text = format!(
        "candidates, all commented out: {}, {}, {}, {}",
        plural(
            candidates.trusted.len(),
            "trusted service account",
            "trusted service accounts"
        ),
        plural(
            candidates.token_creators.len(),
            "token creator",
            "token creators"
        ),
        plural(candidates.excludes.len(), "excluded file", "excluded files"),
        plural(candidates.exemptions.len(), "exemption", "exemptions"),
    );
    if !candidates.unacceptable.is_empty() {
        let _ = write!(
            text,
            "; {} no entry can accept (listed at the top of the file): fix {}",
            plural(candidates.unacceptable.len(), "finding", "findings"),
            if candidates.unacceptable.len() == 1 {
                "it"
            } else {
                "them"
            }
        );
    }
    text
}

/// Every service account that receives a token in `report`, by identity.
pub fn receivers(report: &Report) -> Vec<Receiver> {
    type Uses = BTreeMap<(String, &'static str), Sites>;
    let mut by_account: BTreeMap<&str, Uses> = BTreeMap::new();
    for finding in report.active_findings() {
        if !TOKEN_RULES.contains(&finding.rule) {
            continue;
        }
        let Some(account) = finding.service_account.as_deref() else {
            continue;
        };
        let object = finding
            .object
            .as_ref()
            .map_or_else(|| "a workload".to_owned(), ObjectRef::describe);
        by_account
            .entry(account)
            .or_default()
            .entry((object, token_fact(finding.rule)))
            .or_default()
            .add(report, finding);
    }
    by_account
        .into_iter()
        .map(|(account, uses)| Receiver {
            service_account: account.to_owned(),
            workloads: {
                let mut objects: Vec<&str> = uses.keys().map(|(o, _)| o.as_str()).collect();
                objects.dedup();
                objects.len()
            },
            used_by: uses
                .into_iter()
                .map(|((object, fact), sites)| format!("{object} ({sites}): {fact}"))
                .collect(),
        })
        .collect()
}

/// Where one object's findings of one kind are: the same object is often written in
/// several files (a base and each install bundle), so the first is named and the others
/// counted.
#[derive(Debug, Default)]
pub struct Sites(std::collections::BTreeSet<(String, u32)>);

impl Sites {
    fn add(&mut self, report: &Report, finding: &Finding) {
        let path = report.file(finding.location.file).path.to_owned();
        self.0.insert((path, finding.location.region.start.line));
    }
}

impl std::fmt::Display for Sites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut sites = self.0.iter();
        if let Some((path, line)) = sites.next() {
            write!(f, "{path}:{line}")?;
        }
        match sites.len() {
            0 => Ok(()),
            1 => write!(f, ", and 1 more place"),
            more => write!(f, ", and {more} more places"),
        }
    }
}

/// What the starter config is written from.
pub struct Starter<'a> {
    /// The config being rewritten (`--force`): its entries are kept, uncommented.
    pub kept: &'a Config,
    pub candidates: &'a Candidates,
    /// The level the candidates are chosen to pass at.
    pub fail_on: Level,
    /// Exemption candidates expire this day.
    pub expires: Date,
}

/// The text of the starter config.
pub fn starter_config(starter: &Starter<'_>) -> String {
    let Starter {
        kept,
        candidates,
        fail_on,
        expires,
    } = starter;
    let mut out = String::new();
    let _ = write!(
        out,
        "## tokenguard trust configuration, written by `tokenguard init` (tokenguard {}).
##
## Lines that start with `## ` explain; lines that start with `# ` are candidates, and
## none of them is in effect yet. To accept a candidate, delete the `# ` at the start of
## each of its lines (and of its section's key, such as `# trusted:`, once), then say
## why in its `reason`: an empty reason is an error. Fix in the manifests what you do
## not accept. With every candidate accepted, `tokenguard scan` passes at
## --fail-on {}{}.
##
## Editor completion and checks: run `tokenguard config-schema > .tokenguard.schema.json`
## and put this line at the top of the file:
##   # yaml-language-server: $schema=.tokenguard.schema.json
",
        env!("CARGO_PKG_VERSION"),
        fail_on.as_str(),
        if candidates.unacceptable.is_empty() {
            ""
        } else {
            " once the findings listed below are fixed"
        },
    );
    if !candidates.unacceptable.is_empty() {
        let _ = write!(
            out,
            "##
## No config entry can accept {}: fix {}.
",
            plural(candidates.unacceptable.len(), "finding", "findings"),
            if candidates.unacceptable.len() == 1 {
                "it"
            } else {
                "them"
            },
        );
        for line in &candidates.unacceptable {
            let _ = writeln!(out, "##   {}", comment_text(line));
        }
    }
    if candidates.is_empty() && candidates.unacceptable.is_empty() {
        out.push_str(
            "##
## The scan finds nothing to accept: no workload receives a Kubernetes API token
## today. Keep it that way. When one really needs the API, trust its service account
## with a reason:
##
##   trusted:
##     - serviceAccount: NAMESPACE/NAME
##       reason: why it calls the Kubernetes API
",
        );
    }
    if let Some(namespace) = &kept.default_namespace {
        let _ = writeln!(out, "\ndefaultNamespace: {}", yaml_quote(namespace));
    }
    write_paths(&mut out, kept, candidates);
    write_trusted(&mut out, kept, candidates);
    write_token_creators(&mut out, kept, candidates);
    write_exemptions(&mut out, kept, candidates, *expires);
    write_kept_rest(&mut out, kept);
    out
}

/// A section of list entries: the kept ones as they are, then the candidates commented
/// out, under a key that is commented out only when nothing is kept.
fn write_list(out: &mut String, indent: &str, key: &str, kept: &[String], candidates: &[String]) {
    if kept.is_empty() && candidates.is_empty() {
        return;
    }
    let prefix = if kept.is_empty() { "# " } else { "" };
    let _ = writeln!(out, "{prefix}{indent}{key}:");
    for line in kept {
        let _ = writeln!(out, "{line}");
    }
    for line in candidates {
        let _ = writeln!(out, "# {line}");
    }
}

fn write_paths(out: &mut String, kept: &Config, candidates: &Candidates) {
    let list = |globs: &[PathGlob]| -> Vec<String> {
        globs
            .iter()
            .map(|g| format!("    - {}", yaml_quote(&g.glob)))
            .collect()
    };
    let mut excludes = Vec::new();
    for (path, fact) in &candidates.excludes {
        excludes.push(format!("    - {}", yaml_quote(&glob_escape(path))));
        excludes.push(format!("      # {}", comment_text(fact)));
    }
    if !excludes.is_empty() {
        out.push_str(
            "
## paths.exclude: files that could not be loaded (TG000). Exclude a file only if it is
## not a Kubernetes manifest (a template, a test input, another tool's YAML); a broken
## manifest hides its workloads from every rule, so fix it instead.
",
        );
    } else if kept.include.is_empty() && kept.exclude.is_empty() {
        return;
    } else {
        out.push('\n');
    }
    let paths_kept = !kept.include.is_empty() || !kept.exclude.is_empty();
    let _ = writeln!(out, "{}paths:", if paths_kept { "" } else { "# " });
    write_list(out, "  ", "include", &list(&kept.include), &[]);
    write_list(out, "  ", "exclude", &list(&kept.exclude), &excludes);
}

fn write_trusted(out: &mut String, kept: &Config, candidates: &Candidates) {
    let receivers = &candidates.trusted;
    let kept_lines: Vec<String> = kept
        .trusted
        .iter()
        .flat_map(|t| {
            [
                format!("  - serviceAccount: {}", yaml_quote(&t.pattern)),
                format!("    reason: {}", yaml_quote(&t.reason)),
            ]
        })
        .collect();
    let mut lines = Vec::new();
    for r in receivers {
        lines.push(format!(
            "  - serviceAccount: {}",
            yaml_quote(&glob_escape(&r.service_account))
        ));
        lines.push("    reason: \"\"".to_owned());
        for use_ in &r.used_by {
            lines.push(format!("    # {}", comment_text(use_)));
        }
    }
    if receivers.is_empty() && kept_lines.is_empty() {
        return;
    }
    if !receivers.is_empty() {
        let workloads: usize = receivers.iter().map(|r| r.workloads).sum();
        let _ = write!(
            out,
            "
## trusted: {} {} a Kubernetes API token today ({} in all).
## For each, either turn the token off (`automountServiceAccountToken: false` in the
## pod spec or on the ServiceAccount; for a projected token, remove the volume source),
## or, if its workloads really call the API server, accept it here.
",
            plural(receivers.len(), "service account", "service accounts"),
            if receivers.len() == 1 {
                "receives"
            } else {
                "receive"
            },
            plural(workloads, "workload", "workloads"),
        );
    } else {
        out.push('\n');
    }
    write_list(out, "", "trusted", &kept_lines, &lines);
}

fn write_token_creators(out: &mut String, kept: &Config, candidates: &Candidates) {
    let kept_lines: Vec<String> = kept
        .token_creators
        .iter()
        .flat_map(|t| {
            [
                format!("  - subject: {}", yaml_quote(&t.pattern)),
                format!("    reason: {}", yaml_quote(&t.reason)),
            ]
        })
        .collect();
    let mut lines = Vec::new();
    for (subject, grants) in &candidates.token_creators {
        lines.push(format!(
            "  - subject: {}",
            yaml_quote(&glob_escape(subject))
        ));
        lines.push("    reason: \"\"".to_owned());
        for (grant, sites) in grants {
            lines.push(format!(
                "    # {}",
                comment_text(&format!("{grant} ({sites})"))
            ));
        }
    }
    if lines.is_empty() && kept_lines.is_empty() {
        return;
    }
    if lines.is_empty() {
        out.push('\n');
    } else {
        out.push_str(
            "
## tokenCreators: subjects bound to a rule that allows create on serviceaccounts/token
## (TG006): they can mint a token for, and act as, the service accounts it covers. Only
## a few components need it (Vault's Kubernetes auth, a CI token broker, a controller
## that hands out tokens); for others, remove the permission or narrow it with
## resourceNames.
",
        );
    }
    write_list(out, "", "tokenCreators", &kept_lines, &lines);
}

fn write_exemptions(out: &mut String, kept: &Config, candidates: &Candidates, expires: Date) {
    let mut kept_lines = Vec::new();
    for e in &kept.exemptions {
        let rule = e.rule.map_or("*", RuleId::code);
        kept_lines.push(format!("  - rule: {}", yaml_quote(rule)));
        kept_lines.push(format!("    object: {}", yaml_quote(&e.object)));
        kept_lines.push(format!("    reason: {}", yaml_quote(&e.reason)));
        if let Some(date) = e.expires {
            kept_lines.push(format!("    expires: {date}"));
        }
    }
    let mut lines = Vec::new();
    for ((rule, object), (fact, sites)) in &candidates.exemptions {
        lines.push(format!("  - rule: {}", yaml_quote(rule.code())));
        lines.push(format!("    object: {}", yaml_quote(&glob_escape(object))));
        lines.push("    reason: \"\"".to_owned());
        lines.push(format!("    expires: {expires}"));
        lines.push(format!(
            "    # {}",
            comment_text(&format!("{sites}: {fact}"))
        ));
    }
    if lines.is_empty() && kept_lines.is_empty() {
        return;
    }
    if lines.is_empty() {
        out.push('\n');
    } else {
        let _ = write!(
            out,
            "
## exemptions: what no trust entry accepts (a legacy token Secret, an RBAC rule, a
## finding a scan with every candidate above accepted still reports). An exemption
## accepts one rule on one object until `expires` ({EXEMPTION_DAYS} days from today here: pick
## your own date), then the finding is back and TG012 says the exemption expired.
",
        );
    }
    write_list(out, "", "exemptions", &kept_lines, &lines);
}

/// The kept config's other settings, which `init` only carries over.
fn write_kept_rest(out: &mut String, kept: &Config) {
    if !kept.rule_levels.is_empty() {
        out.push_str("\nrules:\n");
        for (id, level) in &kept.rule_levels {
            let _ = writeln!(out, "  {id}: {}", level.map_or("off", Level::as_str));
        }
    }
    if !kept.workload_kinds.is_empty() {
        out.push_str("\nworkloadKinds:\n");
        for kind in &kept.workload_kinds {
            let (api_version, kind, path) = kind.as_written();
            let _ = write!(
                out,
                "  - apiVersion: {}\n    kind: {}\n    podSpecPath: {}\n",
                yaml_quote(api_version),
                yaml_quote(kind),
                yaml_quote(&path)
            );
        }
    }
    if let Some(seconds) = kept.max_projected_token_seconds {
        let _ = write!(
            out,
            "\nprojectedTokens:\n  maxExpirationSeconds: {seconds}\n"
        );
    }
    if let Some(baseline) = &kept.baseline {
        let _ = writeln!(out, "\nbaseline: {}", yaml_quote(baseline));
    }
    if let Some(kustomize) = kept.kustomize {
        let _ = writeln!(out, "\nkustomize: {kustomize}");
    }
}

/// The starter config with every candidate accepted: each `# ` deleted and each empty
/// reason given, as a user who accepts everything would write it.
pub fn with_every_candidate_accepted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = line.strip_prefix("# ").unwrap_or(line);
        match line.strip_suffix("reason: \"\"") {
            Some(before) => {
                let _ = writeln!(out, "{before}reason: accepted by tokenguard init");
            }
            None => {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// The first sentence of a message, or its first clause where a `;` ends it, as a fact
/// in one comment line.
fn first_sentence(message: &str) -> &str {
    let end = message
        .match_indices([';', '.'])
        .map(|(at, _)| at)
        .find(|&at| message[at + 1..].starts_with(' '));
    match end {
        Some(end) => &message[..end],
        None => message.strip_suffix('.').unwrap_or(message),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Makes glob characters literal, so that an entry matches only this name.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

/// A YAML double-quoted scalar that any YAML 1.1 or 1.2 reader reads back as `text`.
fn yaml_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if breaks_a_line(c) || c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text that stays inside one comment line, whatever a manifest's names contain.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if breaks_a_line(c) || (c.is_control() && c != '\t') {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Line breaks in YAML 1.1 (which also counts NEL, LS and PS) or 1.2, and the BOM.
fn breaks_a_line(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::schema;
    use crate::report::tests::scan_stdin;

    const MANIFESTS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: \"evil\\ntrusted: [{serviceAccount: '*/*', reason: x}]\", namespace: shop}\nspec:\n  serviceAccountName: \"api\"\n  containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: quiet, namespace: shop}\nspec:\n  automountServiceAccountToken: false\n  containers: [{name: c, image: i}]\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: \"j*\", namespace: ci}\nspec:\n  template:\n    spec:\n      serviceAccountName: \"build*\"\n      containers: [{name: c, image: i}]\n";

    fn starter(report: &Report, kept: &Config) -> String {
        starter_config(&Starter {
            kept,
            candidates: &Candidates::from_report(report, Level::Error),
            fail_on: Level::Error,
            expires: jiff::civil::date(2027, 1, 1),
        })
    }

    #[test]
    fn lists_receivers_with_their_workloads_and_accepts_nothing() {
        let report = scan_stdin("k8s.yaml", MANIFESTS);
        let text = starter(&report, &Config::default());
        // As written, it is a valid config that accepts nothing.
        let config = Config::parse(&text, ".tokenguard.yaml").unwrap();
        assert!(config.trusted.is_empty(), "{text}");
        assert!(
            text.contains("#   - serviceAccount: \"shop/api\"\n#     reason: \"\"\n#     # Deployment shop/api (k8s.yaml:7): an automounted token (TG001)\n#     # Pod shop/evil\\u{a}trusted: [{serviceAccount: '*/*', reason: x}] (k8s.yaml:14): an automounted token (TG001)\n"),
            "{text}"
        );
        assert!(
            text.contains("#   - serviceAccount: \"ci/build[*]\"\n"),
            "{text}"
        );
        assert!(!text.contains("quiet"), "{text}");
        assert!(
            text.contains(
                "## trusted: 2 service accounts receive a Kubernetes API token today (3 workloads in all).\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn accepted_entries_trust_exactly_the_listed_accounts() {
        let report = scan_stdin("k8s.yaml", MANIFESTS);
        let accepted = with_every_candidate_accepted(&starter(&report, &Config::default()));
        let config = Config::parse(&accepted, ".tokenguard.yaml")
            .unwrap_or_else(|e| panic!("{e}\n{accepted}"));
        assert_eq!(config.trusted.len(), 2, "{accepted}");
        assert!(config.trusted_entry("shop", "api").is_some());
        assert!(config.trusted_entry("ci", "build*").is_some());
        assert!(
            config.trusted_entry("ci", "build-x").is_none(),
            "a literal, not a glob"
        );
        assert!(config.trusted_entry("shop", "other").is_none());
    }

    /// Every key of the config is written back by `--force`: a key added to the config
    /// without a place here would be dropped from users' files.
    #[test]
    fn every_setting_of_a_kept_config_is_written_back() {
        let written = "defaultNamespace: apps\npaths:\n  include: ['**/*.yaml']\n  exclude: [vendor/**]\ntrusted:\n  - serviceAccount: kube-system/*\n    reason: \"platform: \\\"core\\\"\"\ntokenCreators:\n  - subject: ServiceAccount:vault/vault\n    reason: Vault\nexemptions:\n  - rule: '*'\n    object: legacy/*/*\n    reason: OPS-1\n    expires: 2027-01-31\n  - rule: TG005\n    object: ci/Secret/x\n    reason: OPS-2\nrules:\n  TG009: off\n  TG002: error\nworkloadKinds:\n  - apiVersion: apps.kruise.io/*\n    kind: CloneSet\n    podSpecPath: spec.template.spec\nprojectedTokens:\n  maxExpirationSeconds: 3600\nbaseline: .tokenguard-baseline.json\nkustomize: false\n";
        let tree = crate::yaml::parse(written, &crate::yaml::Limits::default());
        let root = tree.tree.node(tree.documents[0].root);
        let keys: Vec<&str> = root
            .entries()
            .filter_map(|(k, _)| k.scalar().map(|s| s.text))
            .collect();
        assert_eq!(keys, schema::CONFIG.keys(), "a config with every key");
        let kept = Config::parse(written, "c.yaml").unwrap();
        let text = starter_config(&Starter {
            kept: &kept,
            candidates: &Candidates::default(),
            fail_on: Level::Error,
            expires: jiff::civil::date(2027, 1, 1),
        });
        let again = Config::parse(&text, "c.yaml").unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(settings(&again), settings(&kept), "{text}");
        assert_eq!(settings(&kept).len(), 13);
    }

    /// Every setting of a config, as text.
    fn settings(c: &Config) -> Vec<String> {
        let mut out = vec![format!("{:?}", c.default_namespace)];
        out.extend(c.include.iter().map(|g| format!("include {}", g.glob)));
        out.extend(c.exclude.iter().map(|g| format!("exclude {}", g.glob)));
        out.extend(
            c.trusted
                .iter()
                .map(|t| format!("trusted {} {}", t.pattern, t.reason)),
        );
        out.extend(
            c.token_creators
                .iter()
                .map(|t| format!("creator {} {}", t.pattern, t.reason)),
        );
        out.extend(c.exemptions.iter().map(|e| {
            format!(
                "exemption {:?} {} {} {:?}",
                e.rule, e.object, e.reason, e.expires
            )
        }));
        out.extend(
            c.rule_levels
                .iter()
                .map(|(id, l)| format!("level {id} {l:?}")),
        );
        out.extend(
            c.workload_kinds
                .iter()
                .map(|k| format!("kind {:?}", k.as_written())),
        );
        out.push(format!("{:?}", c.max_projected_token_seconds));
        out.push(format!("{:?}", c.baseline));
        out.push(format!("{:?}", c.kustomize));
        out
    }

    #[test]
    fn facts_are_first_sentences_and_names_stay_literal() {
        assert_eq!(
            first_sentence("Secret a/b.c holds a token. Delete it."),
            "Secret a/b.c holds a token"
        );
        assert_eq!(
            first_sentence("Role x allows it; bound to y."),
            "Role x allows it"
        );
        assert_eq!(first_sentence("No end."), "No end");
        for name in ["ci/build*", "a/[x]", "a/{b,c}", "a/b?", "a/x!y", "a/\\q"] {
            let glob = crate::config::path_glob(&glob_escape(name)).unwrap();
            let matcher = glob.compile_matcher();
            assert!(matcher.is_match(name), "{name}");
            assert!(!matcher.is_match(format!("{name}x")), "{name}");
        }
    }

    #[test]
    fn quoting_survives_yaml_line_breaks() {
        assert_eq!(
            yaml_quote("a\"b\\c\u{2028}d\u{85}"),
            "\"a\\\"b\\\\c\\u2028d\\u0085\""
        );
        assert_eq!(comment_text("a\nb\u{2029}"), "a\\u{a}b\\u{2029}");
    }
}
