//! SPEC 7: a finding is suppressed by a `tokenguard.dev/ignore-<RULE>` annotation with a
//! reason on its object (or pod template), or by a config exemption that has not expired.
//! Suppressed findings stay in the report with their justification. An annotation that
//! means to suppress but is written wrong suppresses nothing, and says so.

use jiff::civil::Date;

use crate::config::Config;
use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::k8s::kinds::{TypeMeta, WorkloadKinds};
use crate::model::object::IGNORE_ANNOTATION_PREFIX;
use crate::rule_id::RuleId;
use crate::yaml::{NodeRef, Pos};

pub fn apply(findings: &mut [Finding], config: &Config, today: Date) {
    for finding in findings {
        let Some(object) = &finding.object else {
            continue;
        };
        let rule = finding.rule;
        if let Some(ignore) = object.ignores.iter().find(|i| i.rule == rule.code()) {
            if ignore.reason.is_empty() {
                finding.message = format!(
                    "{} (The {IGNORE_ANNOTATION_PREFIX}{rule} annotation has no reason, so it does not suppress this finding.)",
                    finding.message
                )
                .into();
            } else {
                finding.suppression = Some(Box::new(Suppression {
                    kind: SuppressionKind::InSource,
                    justification: ignore.reason.to_string(),
                }));
                continue;
            }
        }
        let identity = object.to_string();
        let exemption = config.exemptions.iter().find(|e| {
            e.rule.is_none_or(|exempted| exempted == rule)
                && e.matcher.is_match(&identity)
                && e.expires.is_none_or(|expires| today <= expires)
        });
        if let Some(exemption) = exemption {
            finding.suppression = Some(Box::new(Suppression {
                kind: SuppressionKind::External,
                justification: exemption.reason.clone(),
            }));
        }
    }
}

/// The annotations of an object (and of its pod template, where ignore annotations are
/// read too) that look like `tokenguard.dev/ignore-<RULE>` but are not: an unknown rule
/// id, or another domain or spelling. Each with the position of its key and why it
/// suppresses nothing.
pub fn misspelled_ignores(root: NodeRef<'_>, kinds: &WorkloadKinds) -> Vec<(Pos, String)> {
    let mut metadata = vec![root.get("metadata")];
    if let Some((api_version, kind)) = crate::load::type_meta(root)
        && let Some(path) = kinds.pod_spec_path(&TypeMeta { api_version, kind })
        && let Some((_, parents)) = path.split_last()
        && !parents.is_empty()
    {
        let template = parents.iter().try_fold(root, |node, key| node.get(key));
        metadata.push(template.and_then(|t| t.get("metadata")));
    }
    metadata
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("annotations"))
        .flat_map(NodeRef::entries)
        .filter_map(|(key, _)| {
            let text = key.scalar()?.text;
            Some((key.span().start, misspelling(text)?))
        })
        .collect()
}

/// Why `key` suppresses nothing, if it is meant as an ignore annotation.
fn misspelling(key: &str) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    if !lower.contains("tokenguard") {
        return None;
    }
    let (domain, name) = key.rsplit_once('/').unwrap_or(("", key));
    if domain == "tokenguard.dev"
        && let Some(rule) = name.strip_prefix("ignore-")
    {
        // The annotation takes a rule's code (in any case), not its name.
        if RuleId::from_code(rule).is_some() {
            return None;
        }
        return Some(match RuleId::parse(rule) {
            Some(id) => format!(
                "annotation `{key}` suppresses nothing: it takes a rule id, {IGNORE_ANNOTATION_PREFIX}{id}"
            ),
            None => format!(
                "annotation `{key}` suppresses nothing: `{rule}` is not a rule id (`tokenguard rules` lists them)"
            ),
        });
    }
    // Other annotations of tokenguard's domain, and ignore annotations of another.
    if domain != "tokenguard.dev" && !lower.contains("ignore") {
        return None;
    }
    let after_ignore = lower.rsplit_once("ignore").map_or("", |(_, rest)| {
        rest.trim_start_matches(['-', '_', '.', ':'])
    });
    let rule = RuleId::parse(after_ignore).map_or("<RULE>", RuleId::code);
    Some(format!(
        "annotation `{key}` suppresses nothing: tokenguard reads {IGNORE_ANNOTATION_PREFIX}{rule}"
    ))
}

#[cfg(test)]
mod tests {
    use super::misspelling;

    #[test]
    fn ignore_annotations_written_wrong_are_told_apart_from_the_others() {
        for valid in [
            "tokenguard.dev/ignore-TG001",
            "tokenguard.dev/ignore-tg014",
            "example.com/ignore-TG001",
            "argocd.argoproj.io/sync-options",
        ] {
            assert_eq!(misspelling(valid), None, "{valid}");
        }
        let cases = [
            (
                "tokenguard.dev/ignore-TG999",
                "`TG999` is not a rule id (`tokenguard rules` lists them)",
            ),
            (
                "tokenguard.dev/ignore-token-automount-untrusted",
                "it takes a rule id, tokenguard.dev/ignore-TG001",
            ),
            (
                "tokenguard.io/ignore-TG001",
                "tokenguard reads tokenguard.dev/ignore-TG001",
            ),
            (
                "tokenguard/ignore-TG002",
                "tokenguard reads tokenguard.dev/ignore-TG002",
            ),
            (
                "tokenguard.dev/ignore_TG005",
                "tokenguard reads tokenguard.dev/ignore-TG005",
            ),
            (
                "tokenguard.dev/owner",
                "tokenguard reads tokenguard.dev/ignore-<RULE>",
            ),
            (
                "tokenguard-ignore",
                "tokenguard reads tokenguard.dev/ignore-<RULE>",
            ),
        ];
        for (key, why) in cases {
            assert_eq!(
                misspelling(key),
                Some(format!("annotation `{key}` suppresses nothing: {why}")),
                "{key}"
            );
        }
    }
}
