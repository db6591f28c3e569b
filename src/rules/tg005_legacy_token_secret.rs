use super::{Context, Rule, RuleMeta, RunFacts};
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::LegacyTokenSecret,
        level: Level::Error,
        security_severity: "8.0",
        summary: "A Secret of type kubernetes.io/service-account-token holds a long-lived, never-expiring token.",
        description: "Kubernetes fills a Secret of type kubernetes.io/service-account-token with a token for the service account named in its kubernetes.io/service-account.name annotation. Such tokens never expire and are readable by anyone who can read Secrets in the namespace. Use the TokenRequest API or projected tokens instead.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets",
        tags: &[
            "security",
            "kubernetes",
            "service-account",
            "secrets",
            "cis-5.1.6",
        ],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG005 legacy-token-secret

**What it finds.** A `Secret` with `type: kubernetes.io/service-account-token`.

**Why it matters.** The token controller writes a token for the annotated service account
into the Secret. Unlike tokens from the TokenRequest API or projected volumes it has no
expiry and no audience, survives pod deletion, and anyone with `get` on Secrets in the
namespace can read it. Kubernetes stopped creating these automatically in 1.24 and cleans up
unused ones; creating them by hand brings the risk back.

**How to fix.** Delete the Secret and give the consumer a short-lived token instead: a
projected `serviceAccountToken` volume for a pod, or `kubectl create token NAME` /
the TokenRequest API for something outside the cluster.

```yaml
# before
apiVersion: v1
kind: Secret
metadata:
  name: ci-deployer-token
  annotations:
    kubernetes.io/service-account.name: ci-deployer
type: kubernetes.io/service-account-token
# after: no Secret; the CI job runs `kubectl create token ci-deployer --duration 10m`
```

**How to suppress.** Add an `exemptions` entry for the Secret with a reason and an expiry
date while the consumer is migrated. In the manifest, the annotation
`tokenguard.dev/ignore-TG005: "<reason>"` on the Secret suppresses it for that object.

**References.** [Service account token Secrets](https://kubernetes.io/docs/concepts/configuration/secret/#serviceaccount-token-secrets);
[Manually create a long-lived API token](https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#manually-create-an-api-token-for-a-serviceaccount);
CIS Kubernetes Benchmark 5.1.6.
"#;

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for secret in facts.token_secrets {
        let namespace = secret.meta.namespace_or(ctx.default_namespace);
        let (holder, identity) = match &secret.service_account {
            Some(name) => {
                let identity = format!("{namespace}/{name}");
                (format!("for service account {identity}"), Some(identity))
            }
            None => (
                "(its kubernetes.io/service-account.name annotation is missing)".to_owned(),
                None,
            ),
        };
        let message = format!(
            "{} holds a long-lived, never-expiring API token {holder}, readable by anyone who can read Secrets in namespace {namespace}. Delete it and use a projected serviceAccountToken volume or the TokenRequest API (kubectl create token) instead.",
            ctx.describe(&secret.meta),
        );
        let mut finding = RULE
            .meta
            .finding(secret.type_at, message)
            .object(ctx.object_ref(&secret.meta));
        if let Some(identity) = identity {
            finding = finding.service_account(identity);
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_on_the_type_key_of_a_service_account_token_secret() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Secret
            metadata:
              name: deployer-token
              namespace: ci
              annotations:
                kubernetes.io/service-account.name: deployer
            type: kubernetes.io/service-account-token
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: orphan}
            type: 'kubernetes.io/service-account-token'
            ",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        found[0].assert(
            (8, 1),
            Level::Error,
            &[
                "Secret ci/deployer-token",
                "for service account ci/deployer",
            ],
        );
        found[1].assert(
            (13, 1),
            Level::Error,
            &["Secret default/orphan", "annotation is missing"],
        );
    }

    #[test]
    fn other_secret_types_are_fine() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Secret
            metadata: {name: tls, namespace: ci}
            type: kubernetes.io/tls
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: docs, namespace: ci}
            data:
              type: kubernetes.io/service-account-token
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
