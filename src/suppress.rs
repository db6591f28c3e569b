//! SPEC 7: a finding is suppressed by a `tokenguard.dev/ignore-<RULE>` annotation with a
//! reason on its object (or pod template), or by a config exemption that has not expired.
//! Suppressed findings stay in the report with their justification.

use jiff::civil::Date;

use crate::config::Config;
use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::model::object::IGNORE_ANNOTATION_PREFIX;

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
