use super::{Context, Rule, RuleMeta, RunFacts, name_few};
use crate::finding::Finding;
use crate::k8s::rbac;
use crate::model::rbac::Subject;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::TokenCreationRbac,
        level: Level::Error,
        security_severity: "8.5",
        summary: "An RBAC rule lets subjects mint service account tokens.",
        description: "A Role or ClusterRole rule allows create on serviceaccounts/token: whoever it is bound to can mint a token for any service account the rule covers and act as it. It is an error when bound to a subject that is not in tokenCreators of .tokenguard.yaml, and a warning when nothing in the scan binds it.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping",
        tags: &[
            "security",
            "kubernetes",
            "rbac",
            "service-account",
            "cis-5.1.5",
        ],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG006 token-creation-rbac

**What it finds.** A Role or ClusterRole rule that allows `create` on the
`serviceaccounts/token` subresource in the core API group, as the API server matches it:
`verbs` with `create` or `*`, `apiGroups` with `""` or `*`, and `resources` with
`serviceaccounts/token`, `*/token` or `*`. A rule with `resourceNames` mints tokens only
for those service accounts, and the message says which.

It is an **error** when a RoleBinding or ClusterRoleBinding in the scan gives the rule to
a subject that is not listed in `tokenCreators`, and a **warning** when nothing in the scan
binds it (the binding may live elsewhere).

**Why it matters.** Minting a token for a service account is acting as that service
account: whoever holds this permission holds every permission of every service account it
covers (CIS Kubernetes Benchmark 5.1.5/5.1.6 ask for minimal access to tokens). Only a few
components (Vault's Kubernetes auth, CI token brokers) need it.

**How to fix.** Remove the permission, or narrow it to the service accounts that really
need tokens with `resourceNames`:

```yaml
# before
rules:
  - apiGroups: [""]
    resources: ["serviceaccounts/token"]
    verbs: ["create"]
# after
rules:
  - apiGroups: [""]
    resources: ["serviceaccounts/token"]
    resourceNames: ["ci-deployer"]
    verbs: ["create"]
```

and list the subject that is allowed to mint tokens:

```yaml
# .tokenguard.yaml
tokenCreators:
  - subject: ServiceAccount:vault/vault
    reason: Vault Kubernetes auth
```

**How to suppress.** `tokenguard.dev/ignore-TG006: "<reason>"` on the Role, an
`exemptions` entry, or `tokenCreators` for the subject.

**References.** CIS Kubernetes Benchmark 5.1.5, 5.1.6;
[RBAC: privilege escalation prevention](https://kubernetes.io/docs/reference/access-authn-authz/rbac/#privilege-escalation-prevention-and-bootstrapping);
[TokenRequest API](https://kubernetes.io/docs/reference/kubernetes-api/authentication-resources/token-request-v1/).
"#;

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for role in facts.roles {
        for (index, rule) in role.rules.iter().enumerate() {
            if !rbac::mints_tokens(rule) {
                continue;
            }
            let scope = if rule.resource_names.is_empty() {
                "for any service account".to_owned()
            } else {
                format!(
                    "only for service account(s) {}",
                    rule.resource_names.join(", ")
                )
            };
            let bindings = ctx.index.bindings_of(role);
            let mut subjects = Vec::new();
            let (level, consequence) = if bindings.is_empty() {
                (
                    Level::Warning,
                    "nothing in the scan binds it; if a binding elsewhere does, its subjects can act as those service accounts. Remove the rule, or list the subjects that may mint tokens in tokenCreators".to_owned(),
                )
            } else {
                let not_allowed: Vec<&Subject> = bindings
                    .iter()
                    .flat_map(|b| b.subjects.iter().map(|s| &s.value))
                    .filter(|s| {
                        let forms = [
                            Some(s.config_form()),
                            s.as_service_account()
                                .map(|(ns, n)| format!("ServiceAccount:{ns}/{n}")),
                        ];
                        !forms.iter().flatten().any(|form| {
                            ctx.config
                                .token_creators
                                .iter()
                                .any(|c| c.matcher.is_match(form))
                        })
                    })
                    .collect();
                if not_allowed.is_empty() {
                    continue;
                }
                // What `init` offers: the subjects a tokenCreators entry can name.
                subjects = not_allowed
                    .iter()
                    .filter(|s| s.is_named())
                    .map(|s| s.config_form())
                    .collect();
                subjects.sort();
                subjects.dedup();
                (
                    Level::Error,
                    format!(
                        "it is bound to {}, not in tokenCreators. Remove the permission or narrow it with resourceNames, or add the subjects to tokenCreators in .tokenguard.yaml with a reason",
                        name_few(not_allowed.iter().map(|s| s.config_form()))
                    ),
                )
            };
            let message = format!(
                "{} rule {} allows create on serviceaccounts/token, minting API tokens {scope}; {consequence}.",
                ctx.describe(&role.meta),
                index + 1,
            );
            let finding = RULE
                .meta
                .finding(rule.verbs_at, message)
                .level(level)
                .object(ctx.object_ref(&role.meta))
                .detail(&format!("rule {}", index + 1))
                .subjects(subjects);
            out.push(ctx.with_bindings(finding, &bindings));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config};

    #[test]
    fn an_unbound_rule_that_mints_tokens_is_a_warning_on_its_verbs() {
        let found = check(
            &RULE,
            r#"
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: minter, namespace: ci}
            rules:
              - apiGroups: [""]
                resources: ["serviceaccounts/token"]
                verbs: ["create"]
            "#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (7, 5),
            Level::Warning,
            &[
                "Role ci/minter rule 1",
                "for any service account",
                "nothing in the scan binds it",
            ],
        );
    }

    /// A Role whose one rule has its `verbs` at 7:5, bound to ci/deployer.
    const BOUND: &str = r#"
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: minter, namespace: ci}
        rules:
          - apiGroups: [""]
            resources: ["serviceaccounts/token"]
            verbs: ["create"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: minter-binding, namespace: ci}
        subjects:
          - {kind: ServiceAccount, name: deployer, namespace: ci}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: minter}
        "#;

    #[test]
    fn bound_to_a_subject_not_in_token_creators_is_an_error() {
        let found = check(&RULE, BOUND);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (7, 5),
            Level::Error,
            &[
                "bound to ServiceAccount:ci/deployer, not in tokenCreators",
                "not in tokenCreators",
            ],
        );
        let config = "
            tokenCreators:
              - subject: ServiceAccount:ci/*
                reason: deployers mint tokens
            ";
        assert!(check_with_config(&RULE, BOUND, config).is_empty());
    }

    #[test]
    fn rules_that_do_not_create_on_the_token_subresource_are_fine() {
        let found = check(
            &RULE,
            r#"
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: almost}
            rules:
              - {apiGroups: [""], resources: ["serviceaccounts/token"], verbs: ["get"]}
              - {apiGroups: [""], resources: ["serviceaccounts"], verbs: ["create"]}
              - {apiGroups: ["apps"], resources: ["serviceaccounts/token"], verbs: ["create"]}
              - {apiGroups: [""], resources: ["serviceaccounts/*"], verbs: ["create"]}
            "#,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
