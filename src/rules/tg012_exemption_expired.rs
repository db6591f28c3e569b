use super::{Context, Rule, RuleMeta, Workloads};
use crate::finding::Finding;
use crate::origin::Origin;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::ExemptionExpired,
        level: Level::Warning,
        security_severity: "3.0",
        summary: "A config exemption is past its expiry date and no longer applies.",
        description: "An entry of exemptions in .tokenguard.yaml has an expires date in the past. It suppresses nothing any more, so the findings it covered are reported again; either the risk was fixed and the entry can go, or it needs a decision and a new date.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/",
        tags: &["security", "kubernetes", "configuration"],
    },
    check_facts: None,
    check_config: Some(check),
    check_workload: None,
};

const HELP: &str = r#"## TG012 exemption-expired

**What it finds.** An `exemptions` entry in `.tokenguard.yaml` whose `expires` date has
passed. The finding points at the entry in the config file.

**Why it matters.** An exemption records accepted risk with an end date. After the date the
exemption stops suppressing, so the original findings come back; this finding says why.

**How to fix.** Fix what the exemption covered and delete the entry, or, if the risk is
still accepted, record the decision with a new date:

```yaml
# before
exemptions:
  - rule: TG001
    object: legacy/Deployment/exporter
    reason: OPS-123 moves it to a projected token
    expires: 2026-01-31
# after: the exporter was fixed, the entry is gone
exemptions: []
```

**How to suppress.** `rules: {TG012: off}` in `.tokenguard.yaml`.

**References.** SPEC 7 of tokenguard; CIS Kubernetes Benchmark 5.1.6.
"#;

fn check(ctx: &Context<'_>, _: &Workloads, out: &mut Vec<Finding>) {
    let Some(file) = ctx.config_file else {
        return;
    };
    for exemption in &ctx.config.exemptions {
        let Some(expires) = exemption.expires.filter(|&d| d < ctx.today) else {
            continue;
        };
        let rule = exemption.rule.map_or("*", |id| id.code());
        let message = format!(
            "The exemption for {rule} on {} expired on {expires} (reason: {}); it no longer suppresses anything. Fix what it covered and remove it, or renew it with a new expires date.",
            exemption.object, exemption.reason
        );
        out.push(
            RULE.meta
                .finding(Origin::new(file, exemption.key), message)
                .detail(&format!("{rule}:{}", exemption.object)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{CONFIG, TODAY, check_with_config};

    const MANIFEST: &str = "
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: exporter, namespace: legacy}
        automountServiceAccountToken: false
        ";

    #[test]
    fn fires_on_the_first_key_of_an_exemption_past_its_date() {
        assert_eq!(TODAY.to_string(), "2026-06-30");
        let config = "
            exemptions:
              - reason: OPS-123 moves it to a projected token
                rule: TG001
                object: legacy/Deployment/exporter
                expires: 2026-06-29
              - rule: TG002
                object: legacy/ServiceAccount/exporter
                reason: on time
                expires: 2026-06-30
              - rule: TG002
                object: legacy/ServiceAccount/other
                reason: no date, no end
            ";
        let found = check_with_config(&RULE, MANIFEST, config);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert_in(
            CONFIG,
            (2, 5),
            Level::Warning,
            &[
                "TG001 on legacy/Deployment/exporter expired on 2026-06-29",
                "OPS-123",
            ],
        );
    }
}
