use super::{Context, Rule, RuleMeta, RunFacts, at, summarize};
use crate::finding::{Finding, Level};
use crate::model::rbac::Subject;
use crate::rbac;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "TG007",
        name: "token-secret-read-rbac",
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
                .flat_map(|b| b.subjects.iter().map(move |s| (b, s)))
                .filter_map(|(b, s)| {
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
                    Some(format!("{who} through {}", ctx.describe_binding(b)))
                })
                .collect();
            let consequence = if bindings.is_empty() {
                "nothing in the scan binds it".to_owned()
            } else if untrusted.is_empty() {
                continue;
            } else {
                format!("it is bound to {}, not trusted", summarize(&untrusted))
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
            let finding = Finding::new(&RULE.meta, at(role.file, rule.verbs_key), message)
                .object(ctx.object_ref(&role.meta))
                .detail(&format!("rule {}", index + 1));
            out.push(ctx.with_bindings(finding, &bindings));
        }
    }
}

/// How messages name a group that holds service accounts, and the `NS/*` or `*/*`
/// identity trust patterns are matched against.
fn service_account_group(group: &str) -> Option<(String, String)> {
    match group {
        "system:serviceaccounts" | "system:authenticated" => Some((
            format!("every service account (group {group})"),
            "*/*".to_owned(),
        )),
        _ => group.strip_prefix("system:serviceaccounts:").map(|ns| {
            (
                format!("every service account of namespace {ns} (group {group})"),
                format!("{ns}/*"),
            )
        }),
    }
}
