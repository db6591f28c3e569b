use super::{Context, Rule, RuleMeta, RunFacts};
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::ServiceAccountAutomountEnabled,
        level: Level::Warning,
        security_severity: "4.0",
        summary: "A ServiceAccount that is not trusted leaves token automounting on for its pods.",
        description: "A ServiceAccount that does not set automountServiceAccountToken: false gives an API token to every pod that runs as it and does not opt out itself. Unless the service account is trusted, turn automounting off on the ServiceAccount so that only pods that opt in get a token.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
        tags: &["security", "kubernetes", "service-account", "cis-5.1.6"],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG002 service-account-automount-enabled

**What it finds.** A `ServiceAccount` that is not trusted in `.tokenguard.yaml` and does not
set `automountServiceAccountToken: false` (it sets `true`, sets nothing, or sets a value
that is not a boolean such as the string `"false"`).

**Why it matters.** The ServiceAccount's setting is the default for every pod that runs as
it. Leaving it on means any new workload, or a pod created by hand with
`kubectl run --serviceaccount`, silently gets an API token (CIS Kubernetes Benchmark 5.1.6).
The `default` service account of every namespace is the usual culprit.

**How to fix.**

```yaml
# before
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: prod
# after
apiVersion: v1
kind: ServiceAccount
metadata:
  name: api
  namespace: prod
automountServiceAccountToken: false
```

Pods that need the token then opt in with `automountServiceAccountToken: true` in their
pod spec (and their service account is trusted).

**How to suppress.** Trust the service account in `.tokenguard.yaml` with a reason, add an
`exemptions` entry, or lower the rule's level with `rules: {TG002: note}`. In the manifest,
the annotation `tokenguard.dev/ignore-TG002: "<reason>"` on the ServiceAccount suppresses it
for that object.

**References.** CIS Kubernetes Benchmark 5.1.6;
[Configure Service Accounts for Pods](https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting).
"#;

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for sa in facts.service_accounts {
        let namespace = sa.meta.namespace_or(ctx.default_namespace);
        let field = sa.automount.as_ref();
        if field.and_then(|f| f.kubectl) == Some(false)
            || ctx.config.trusted_entry(namespace, &sa.meta.name).is_some()
        {
            continue;
        }
        let identity = format!("{namespace}/{}", sa.meta.name);
        let state = match field {
            Some(f) if f.kubectl == Some(true) => "sets automountServiceAccountToken: true",
            Some(f) if f.ambiguity.is_some() => {
                "sets automountServiceAccountToken to a value that is not a boolean"
            }
            _ => "does not set automountServiceAccountToken: false",
        };
        let message = format!(
            "ServiceAccount {identity} is not trusted and {state}, so every pod that runs as it gets an API token unless its pod spec opts out. Set automountServiceAccountToken: false on the ServiceAccount, or trust {identity} in .tokenguard.yaml."
        );
        let at = field.map_or(sa.meta.name.at, |f| f.at);
        out.push(
            RULE.meta
                .finding(at, message)
                .object(ctx.object_ref(&sa.meta))
                .service_account(identity),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config};

    #[test]
    fn fires_on_metadata_name_or_on_the_automount_key() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: orders
              namespace: shop
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: payments}
            automountServiceAccountToken: true
            ",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        found[0].assert(
            (4, 3),
            Level::Warning,
            &[
                "shop/orders is not trusted",
                "does not set automountServiceAccountToken: false",
            ],
        );
        found[1].assert(
            (10, 1),
            Level::Warning,
            &[
                "default/payments is not trusted",
                "sets automountServiceAccountToken: true",
            ],
        );
    }

    #[test]
    fn a_quoted_false_does_not_turn_it_off() {
        let found = check(
            &RULE,
            r#"
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: orders, namespace: shop}
            automountServiceAccountToken: "false"
            "#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert((4, 1), Level::Warning, &["a value that is not a boolean"]);
    }

    #[test]
    fn false_or_trust_is_fine() {
        let manifests = "
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: orders, namespace: shop}
            automountServiceAccountToken: false
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: coredns, namespace: kube-system}
            ";
        let config = "
            trusted:
              - serviceAccount: kube-system/*
                reason: platform components
            ";
        assert!(check_with_config(&RULE, manifests, config).is_empty());
    }
}
