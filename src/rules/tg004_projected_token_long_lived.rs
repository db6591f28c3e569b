use super::{Context, Rule, RuleMeta};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::ProjectedTokenLongLived,
        level: Level::Warning,
        security_severity: "4.0",
        summary: "A projected service account token lives longer than the configured maximum.",
        description: "A projected serviceAccountToken source asks for an expirationSeconds above projectedTokens.maxExpirationSeconds (default 86400, one day). A stolen token stays valid that long; short-lived tokens are the point of projection.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken",
        tags: &["security", "kubernetes", "service-account"],
    },
    check_facts: None,
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG004 projected-token-long-lived

**What it finds.** A projected `serviceAccountToken` source whose `expirationSeconds`
exceeds `projectedTokens.maxExpirationSeconds` in `.tokenguard.yaml` (default 86400, one
day). When `expirationSeconds` is not set, Kubernetes uses 3600.

**Why it matters.** The kubelet refreshes projected tokens, so applications that read the
file again never need a long lifetime. A long-lived token that leaks (logs, a core dump, a
compromised sidecar) keeps working for as long as it was issued for.

**How to fix.**

```yaml
# before
- serviceAccountToken:
    path: token
    expirationSeconds: 31536000
# after
- serviceAccountToken:
    path: token
    expirationSeconds: 3600
```

**How to suppress.** Raise `projectedTokens.maxExpirationSeconds` for the whole repository,
or add an `exemptions` entry for the object with a reason and an expiry date. In the
manifest, the annotation `tokenguard.dev/ignore-TG004: "<reason>"` on the workload or its
pod template suppresses it for that object.

**References.** [Projected volumes: serviceAccountToken](https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken);
[Bound service account tokens](https://kubernetes.io/docs/reference/access-authn-authz/service-accounts-admin/#bound-service-account-tokens).
"#;

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    let workload = facts.workload;
    let max = ctx.config.max_projected_token_seconds();
    for token in &workload.pod.projected_tokens {
        let seconds = token.expiration_seconds();
        if u64::try_from(seconds).is_ok_and(|s| s <= max) {
            continue;
        }
        let at = token.expiration.map_or(token.key, |seconds| seconds.at);
        let message = format!(
            "{} asks for a projected service account token (volume `{}`) valid for {seconds} s, more than the {max} s allowed by projectedTokens.maxExpirationSeconds. Lower expirationSeconds (the kubelet refreshes the token), or raise the maximum in .tokenguard.yaml.",
            ctx.describe(&workload.meta),
            token.volume,
        );
        out.push(
            RULE.meta
                .finding(at, message)
                .object(ctx.object_ref(&workload.meta))
                .detail(&token.volume),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config, projected_token_pod as agent};

    #[test]
    fn fires_on_expiration_seconds_above_the_default_maximum() {
        let found = check(&RULE, &agent(86401));
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (16, 15),
            Level::Warning,
            &[
                "Pod vault/agent",
                "(volume `token`) valid for 86401 s, more than the 86400 s allowed",
            ],
        );
    }

    #[test]
    fn the_maximum_itself_is_fine_and_the_config_sets_it() {
        assert!(check(&RULE, &agent(7200)).is_empty());
        let config = "
            projectedTokens:
              maxExpirationSeconds: 7199
            ";
        let found = check_with_config(&RULE, &agent(7200), config);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (16, 15),
            Level::Warning,
            &["valid for 7200 s, more than the 7199 s allowed"],
        );
    }
}
