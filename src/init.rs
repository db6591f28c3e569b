//! `tokenguard init` (SPEC 5.3): a starter `.tokenguard.yaml` written from a scan with
//! nothing trusted. It trusts nothing itself: every service account that receives an
//! API token today is listed as a commented-out `trusted` entry, with the workloads that
//! use it, so that a team adopts the tool by uncommenting what it accepts (and giving a
//! reason, which the config requires) and fixing the rest.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::Report;
use crate::rule_id::RuleId;

/// Rules whose findings mean "this service account's token reaches these pods".
pub const TOKEN_RULES: [RuleId; 3] = [
    RuleId::TokenAutomountUntrusted,
    RuleId::ProjectedTokenUntrusted,
    RuleId::PrivilegedTokenAutomountUntrusted,
];

/// A service account that receives a token, and where.
#[derive(Debug, PartialEq, Eq)]
pub struct Receiver {
    /// `namespace/name`.
    pub service_account: String,
    /// `Deployment shop/api (apps/api.yaml:20)`, sorted and without repeats.
    pub used_by: Vec<String>,
}

/// Every service account that receives a token in `report`, by identity.
pub fn receivers(report: &Report) -> Vec<Receiver> {
    let mut by_account: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for finding in &report.findings {
        if !TOKEN_RULES.contains(&finding.rule) {
            continue;
        }
        let Some(account) = finding.service_account.as_deref() else {
            continue;
        };
        let object = finding.object.as_ref().map_or_else(
            || "a workload".to_owned(),
            |o| format!("{} {}/{}", o.kind, o.namespace, o.name),
        );
        let file = report.file(finding.location.file);
        by_account.entry(account).or_default().push(format!(
            "{object} ({}:{})",
            file.path, finding.location.region.start.line
        ));
    }
    by_account
        .into_iter()
        .map(|(account, mut used_by)| {
            used_by.sort();
            used_by.dedup();
            Receiver {
                service_account: account.to_owned(),
                used_by,
            }
        })
        .collect()
}

/// The text of the starter config.
pub fn starter_config(report: &Report) -> String {
    let receivers = receivers(report);
    let workloads: usize = receivers.iter().map(|r| r.used_by.len()).sum();
    let mut out = String::new();
    out.push_str(&format!(
        "# tokenguard trust configuration, written by `tokenguard init` (tokenguard {}).\n",
        env!("CARGO_PKG_VERSION")
    ));
    out.push_str(
        "#
# Editor completion and checks: run `tokenguard config-schema > .tokenguard.schema.json`
# and put this line at the top of the file:
#   # yaml-language-server: $schema=.tokenguard.schema.json
#
# Nothing is trusted yet, so `tokenguard scan` reports every workload below.
",
    );
    if receivers.is_empty() {
        out.push_str(
            "# No workload receives a Kubernetes API token today: keep it that way. When one
# really needs the API, trust its service account with a reason:
#
# trusted:
#   - serviceAccount: NAMESPACE/NAME
#     reason: why it calls the Kubernetes API
",
        );
    } else {
        let _ = write!(
            out,
            "# {} receive a Kubernetes API token today ({} in all).
# For each one, either
#   - turn the token off: `automountServiceAccountToken: false` in the pod spec or on
#     the ServiceAccount, or
#   - if its workloads really call the API server, uncomment the `trusted:` line and
#     the entry, and say why in `reason` (an empty reason is an error).
#
# trusted:
",
            plural(receivers.len(), "service account", "service accounts"),
            plural(workloads, "workload", "workloads"),
        );
        for r in &receivers {
            let _ = writeln!(
                out,
                "#   - serviceAccount: {}",
                yaml_quote(&glob_escape(&r.service_account))
            );
            out.push_str("#     reason: \"\"\n");
            for use_ in &r.used_by {
                let _ = writeln!(out, "#     # {}", comment_text(use_));
            }
        }
    }
    out.push_str(
        "#
# Other settings (paths, tokenCreators, exemptions, rules, workloadKinds,
# projectedTokens): see `tokenguard config-schema` and the README.
",
    );
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Makes glob characters literal, so that a `trusted` entry matches only this name.
fn glob_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '*' | '?' | '[' | ']' | '{' | '}' | '\\' | '!' => {
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
    use crate::config::Config;
    use crate::report::tests::scan_stdin;

    const MANIFESTS: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: \"evil\\ntrusted: [{serviceAccount: '*/*', reason: x}]\", namespace: shop}\nspec:\n  serviceAccountName: \"api\"\n  containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: quiet, namespace: shop}\nspec:\n  automountServiceAccountToken: false\n  containers: [{name: c, image: i}]\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: \"j*\", namespace: ci}\nspec:\n  template:\n    spec:\n      serviceAccountName: \"build*\"\n      containers: [{name: c, image: i}]\n";

    #[test]
    fn lists_receivers_with_their_workloads_and_trusts_nothing() {
        let report = scan_stdin("k8s.yaml", MANIFESTS);
        let text = starter_config(&report);
        // As written, it is a valid config that trusts nothing.
        let config = Config::parse(&text, ".tokenguard.yaml").unwrap();
        assert!(config.trusted.is_empty(), "{text}");
        assert!(text.contains("#   - serviceAccount: \"shop/api\"\n#     reason: \"\"\n#     # Deployment shop/api (k8s.yaml:7)\n#     # Pod shop/evil\\u{a}trusted"), "{text}");
        assert!(
            text.contains("#   - serviceAccount: \"ci/build[*]\"\n"),
            "{text}"
        );
        assert!(!text.contains("quiet"), "{text}");
        assert!(
            text.contains(
                "# 2 service accounts receive a Kubernetes API token today (3 workloads in all)."
            ),
            "{text}"
        );
    }

    #[test]
    fn uncommented_entries_trust_exactly_the_listed_accounts() {
        let report = scan_stdin("k8s.yaml", MANIFESTS);
        let text = starter_config(&report);
        let entries = &text[text.find("# trusted:\n").expect("a trusted section")..];
        let uncommented: String = entries
            .lines()
            .take_while(|line| line.starts_with("# "))
            .map(|line| {
                format!("{}\n", &line[2..]).replace("reason: \"\"", "reason: needs the API")
            })
            .collect();
        let config = Config::parse(&uncommented, ".tokenguard.yaml")
            .unwrap_or_else(|e| panic!("{e}\n{uncommented}"));
        assert_eq!(config.trusted.len(), 2, "{uncommented}");
        assert!(config.trusted_entry("shop", "api").is_some());
        assert!(config.trusted_entry("ci", "build*").is_some());
        assert!(
            config.trusted_entry("ci", "build-x").is_none(),
            "a literal, not a glob"
        );
        assert!(config.trusted_entry("shop", "other").is_none());
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
