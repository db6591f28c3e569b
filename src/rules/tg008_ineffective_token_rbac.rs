use super::{Context, Rule, RuleMeta, RunFacts};
use crate::finding::Finding;
use crate::k8s::rbac::{self, Lookalike};
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::IneffectiveTokenRbac,
        level: Level::Warning,
        security_severity: "4.0",
        summary: "An RBAC rule names a token resource that does not exist, so it grants or restricts nothing.",
        description: "The rule's resources name something that looks like the token API but is not a Kubernetes resource (serviceaccounttokens, serviceaccounttoken, serviceaccount/token, tokens, tokenrequests), or serviceaccounts/*, which is not a wildcard. The API server matches resource names literally, so the rule has no effect and the intent behind it is not enforced.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources",
        tags: &["security", "kubernetes", "rbac", "correctness"],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG008 ineffective-token-rbac

**What it finds.** A Role or ClusterRole rule whose `resources` include a name that looks
like the token API but matches nothing: `serviceaccounttokens`, `serviceaccounttoken`,
`serviceaccount/token`, `tokens`, `tokenrequests`, or `serviceaccounts/*`. The last is not
a wildcard: the API server matches `*/subresource` and `*`, but `serviceaccounts/*` only
matches a subresource literally named `*`.

**Why it matters.** Such a rule silently grants nothing, so whatever it was meant to allow
fails at run time, and a reviewer who reads it as "may mint tokens" (or an auditor who
reads it as "cannot") is wrong. Policies copied from guides that name
`serviceaccounttokens` are a common source.

**How to fix.** Name the real subresource:

```yaml
# before
- apiGroups: [""]
  resources: ["serviceaccounttokens"]
  verbs: ["create"]
# after
- apiGroups: [""]
  resources: ["serviceaccounts/token"]
  verbs: ["create"]
```

(then TG006 judges who may mint tokens).

**How to suppress.** `tokenguard.dev/ignore-TG008: "<reason>"` on the Role.

**References.** [RBAC: referring to resources](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources).
"#;

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for role in facts.roles {
        for (index, rule) in role.rules.iter().enumerate() {
            for resource in &rule.resources {
                let why = match rbac::token_lookalike(resource) {
                    Some(Lookalike::NoSuchResource) => "is not a Kubernetes resource",
                    Some(Lookalike::Singular) => {
                        "is not a Kubernetes resource (resource names are plural)"
                    }
                    Some(Lookalike::LiteralStar) => {
                        "is not a wildcard: it matches only a subresource literally named `*`"
                    }
                    None => continue,
                };
                let message = format!(
                    "{} rule {} names the resource `{resource}`, which {why}, so the rule grants nothing for it. The token API is the subresource serviceaccounts/token.",
                    ctx.describe(&role.meta),
                    index + 1,
                );
                out.push(
                    RULE.meta
                        .finding(rule.resources_at, message)
                        .object(ctx.object_ref(&role.meta))
                        .detail(&format!("rule {} {resource}", index + 1)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_on_the_resources_key_once_per_lookalike() {
        let found = check(
            &RULE,
            r#"
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: minter, namespace: ci}
            rules:
              - apiGroups: [""]
                resources: ["tokens", "serviceaccounts/*", "configmaps"]
                verbs: ["create"]
            "#,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        found[0].assert(
            (6, 5),
            Level::Warning,
            &["`serviceaccounts/*`", "is not a wildcard"],
        );
        found[1].assert(
            (6, 5),
            Level::Warning,
            &["`tokens`", "is not a Kubernetes resource"],
        );
    }

    #[test]
    fn the_token_subresource_is_fine() {
        let found = check(
            &RULE,
            r#"
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: minter, namespace: ci}
            rules:
              - apiGroups: [""]
                resources: ["serviceaccounts/token", "serviceaccounts", "*"]
                verbs: ["create"]
            "#,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
