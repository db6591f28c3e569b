use super::{Context, Rule, RuleMeta, name_few};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::ProjectedTokenUntrusted,
        level: Level::Error,
        security_severity: "7.5",
        summary: "A workload of an untrusted service account mounts a projected service account token.",
        description: "A projected volume with a serviceAccountToken source mounts a token for the pod's service account whatever automountServiceAccountToken says. The workload's service account is not trusted in .tokenguard.yaml, so its containers carry an API credential nobody approved.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken",
        tags: &["security", "kubernetes", "service-account", "cis-5.1.6"],
    },
    check_facts: None,
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG003 projected-token-untrusted

**What it finds.** A pod spec with a `projected` volume whose sources include
`serviceAccountToken`, in a workload whose service account is not trusted in
`.tokenguard.yaml`.

**Why it matters.** A projected token is mounted whatever `automountServiceAccountToken`
says: turning automounting off does not remove it. It is a real credential for the service
account (scoped to its `audience`, valid for `expirationSeconds`, default 3600), and a
compromised container can use it. Projected tokens are the right way to hand a workload a
short-lived, audience-bound token, but only for identities you trust.

**How to fix.** Remove the projected source if the workload does not need it:

```yaml
# before
volumes:
  - name: token
    projected:
      sources:
        - serviceAccountToken:
            path: token
            audience: vault
# after: the volume (and its volumeMount) removed
```

or trust the service account with a reason:

```yaml
trusted:
  - serviceAccount: prod/payments
    reason: authenticates to Vault with an audience-bound token
```

**How to suppress.** Trust the service account, or add an `exemptions` entry with a reason
and an expiry date. In the manifest, the annotation
`tokenguard.dev/ignore-TG003: "<reason>"` on the workload or its pod template suppresses it
for that object.

**References.** [Projected volumes: serviceAccountToken](https://kubernetes.io/docs/concepts/storage/projected-volumes/#serviceaccounttoken);
CIS Kubernetes Benchmark 5.1.6.
"#;

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    let workload = facts.workload;
    if workload.pod.projected_tokens.is_empty() || facts.trusted().is_some() {
        return;
    }
    let identity = facts.verdict.identity();
    let bindings = &facts.bindings().all;
    let bound = if bindings.is_empty() {
        String::new()
    } else {
        let names = bindings.iter().map(|b| ctx.describe(&b.meta));
        format!(" It is bound by {}.", name_few(names))
    };
    for token in &workload.pod.projected_tokens {
        let audience = token
            .audience
            .as_deref()
            .map_or("the API server's default audience".to_owned(), |a| {
                format!("audience `{a}`")
            });
        let message = format!(
            "{} mounts a projected service account token (volume `{}`, {audience}, valid for {} s) for service account {identity}, which is not trusted; projected tokens are mounted whatever automountServiceAccountToken says.{bound} Remove the serviceAccountToken source, or trust {identity} in .tokenguard.yaml.",
            ctx.describe(&workload.meta),
            token.volume,
            token.expiration_seconds(),
        );
        let mut finding = RULE
            .meta
            .finding(token.key, message)
            .object(ctx.object_ref(&workload.meta))
            .service_account(identity.clone())
            .detail(&token.volume);
        for binding in bindings {
            finding = finding.related(
                binding.meta.name.at,
                ctx.binding_note(binding, &identity, &[]),
            );
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config, projected_token_pod as agent};

    #[test]
    fn fires_on_the_service_account_token_key_whatever_automount_says() {
        let found = check(&RULE, &agent(600));
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (13, 13),
            Level::Error,
            &[
                "Pod vault/agent",
                "(volume `token`, audience `vault`, valid for 600 s)",
                "vault/vault-agent, which is not trusted",
            ],
        );
    }

    #[test]
    fn a_trusted_service_account_may_have_one() {
        let config = "
            trusted:
              - serviceAccount: vault/vault-agent
                reason: Vault auth
            ";
        let found = check_with_config(&RULE, &agent(600), config);
        assert!(found.is_empty(), "{found:?}");
    }
}
