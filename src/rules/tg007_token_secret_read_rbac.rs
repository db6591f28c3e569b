use super::{Context, Rule, RuleMeta, RunFacts, name_few};
use crate::finding::Finding;
use crate::k8s::identity::{self, ServiceAccountGroup};
use crate::k8s::rbac;
use crate::model::rbac::Subject;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::TokenSecretReadRbac,
        level: Level::Warning,
        security_severity: "6.5",
        summary: "An RBAC rule lets untrusted service accounts read Secrets, including legacy token Secrets.",
        description: "A Role or ClusterRole rule allows get, list or watch on secrets in the core group. Secrets of type kubernetes.io/service-account-token hold never-expiring tokens, so reading Secrets is reading tokens. It fires when the rule is bound to a service account that is not trusted, or when nothing in the scan binds it.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
        tags: &["security", "kubernetes", "rbac", "secrets", "cis-5.1.2"],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG007 token-secret-read-rbac

**What it finds.** A Role or ClusterRole rule that allows `get`, `list` or `watch` (or
`*`) on `secrets` (or `*`) in the core API group, when it is bound to a service account that
is not trusted in `.tokenguard.yaml` (directly, as `system:serviceaccount:NS:NAME`, or
through the groups `system:serviceaccounts`, `system:serviceaccounts:NS` and
`system:authenticated`), or when nothing in the scan binds it.

**Why it matters.** Legacy token Secrets (`kubernetes.io/service-account-token`) hold
tokens that never expire; `list` and `watch` return every Secret's content in the
namespace (CIS Kubernetes Benchmark 5.1.2 "Minimize access to secrets").

**How to fix.** Drop the permission, or narrow it to named Secrets:

```yaml
# before
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch"]
# after
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: ["app-config"]
  verbs: ["get"]
```

**How to suppress.** Trust the service account, add
`tokenguard.dev/ignore-TG007: "<reason>"` to the Role, or an `exemptions` entry.

**References.** CIS Kubernetes Benchmark 5.1.2;
[RBAC good practices: listing Secrets](https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets).
"#;

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for role in facts.roles {
        for (index, rule) in role.rules.iter().enumerate() {
            if !rbac::reads_secrets(rule) {
                continue;
            }
            let bindings = ctx.index.bindings_of(role);
            let untrusted: Vec<String> = bindings
                .iter()
                .flat_map(|b| b.subjects.iter().map(|s| &s.value))
                .filter_map(|s| {
                    let (who, pattern) = match s {
                        Subject::Group(group) => service_account_group(group)?,
                        _ => {
                            let (ns, name) = s.as_service_account()?;
                            (
                                format!("service account {ns}/{name}"),
                                format!("{ns}/{name}"),
                            )
                        }
                    };
                    let (ns, name) = pattern.split_once('/').unwrap_or((&pattern, ""));
                    if ctx.config.trusted_entry(ns, name).is_some() {
                        return None;
                    }
                    Some(who)
                })
                .collect();
            let consequence = if bindings.is_empty() {
                "nothing in the scan binds it".to_owned()
            } else if untrusted.is_empty() {
                continue;
            } else {
                format!("it is bound to {}, not trusted", name_few(untrusted))
            };
            let names = if rule.resource_names.is_empty() {
                String::new()
            } else {
                format!(" (only {})", rule.resource_names.join(", "))
            };
            let message = format!(
                "{} rule {} allows reading secrets{names}, including long-lived service account token Secrets; {consequence}. Remove the permission or narrow it with resourceNames, or trust the service account in .tokenguard.yaml.",
                ctx.describe(&role.meta),
                index + 1,
            );
            let finding = RULE
                .meta
                .finding(rule.verbs_at, message)
                .object(ctx.object_ref(&role.meta))
                .detail(&format!("rule {}", index + 1));
            out.push(ctx.with_bindings(finding, &bindings));
        }
    }
}

/// How messages name a group that holds service accounts, and the `NS/*` or `*/*`
/// identity trust patterns are matched against.
fn service_account_group(group: &str) -> Option<(String, String)> {
    Some(match identity::service_account_group(group)? {
        ServiceAccountGroup::Every => (
            format!("every service account (group {group})"),
            "*/*".to_owned(),
        ),
        ServiceAccountGroup::Namespace(ns) => (
            format!("every service account of namespace {ns} (group {group})"),
            format!("{ns}/*"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config};

    #[test]
    fn an_unbound_rule_that_reads_secrets_fires_on_its_verbs() {
        let found = check(
            &RULE,
            r#"
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: reader, namespace: ci}
            rules:
              - apiGroups: [""]
                resources: ["secrets"]
                verbs: ["list"]
            "#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (7, 5),
            Level::Warning,
            &[
                "Role ci/reader rule 1 allows reading secrets",
                "nothing in the scan binds it",
            ],
        );
    }

    /// A Role whose one rule has its `verbs` at 7:5, bound to ci/builder.
    const BOUND: &str = r#"
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: reader, namespace: ci}
        rules:
          - apiGroups: [""]
            resources: ["*"]
            verbs: ["watch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: reader-binding, namespace: ci}
        subjects:
          - {kind: ServiceAccount, name: builder, namespace: ci}
        roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
        "#;

    #[test]
    fn bound_to_an_untrusted_service_account_unless_it_is_trusted() {
        let found = check(&RULE, BOUND);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (7, 5),
            Level::Warning,
            &[
                "bound to service account ci/builder, not trusted",
                "not trusted",
            ],
        );
        let config = "
            trusted:
              - serviceAccount: ci/builder
                reason: reads its own secrets
            ";
        assert!(check_with_config(&RULE, BOUND, config).is_empty());
    }

    #[test]
    fn writing_secrets_or_reading_other_resources_is_fine() {
        let found = check(
            &RULE,
            r#"
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: writer}
            rules:
              - {apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete"]}
              - {apiGroups: [""], resources: ["configmaps"], verbs: ["get"]}
              - {apiGroups: ["example.com"], resources: ["secrets"], verbs: ["get"]}
            "#,
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
