use std::fmt::Write as _;

use globset::GlobMatcher;

use super::{Context, Rule, RuleMeta, Workloads, at};
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};
use crate::yaml::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::TrustEntryUnused,
        level: Level::Note,
        security_severity: "1.0",
        summary: "A trusted or tokenCreators entry of the config matches nothing in the scan.",
        description: "A trusted entry in .tokenguard.yaml matches no ServiceAccount and no workload's service account among the scanned manifests, or a tokenCreators entry matches no subject of any binding. Stale trust is a standing permission for whatever gets that name next; remove the entry or fix its pattern.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/security/service-accounts/",
        tags: &["security", "kubernetes", "configuration"],
    },
    check_facts: None,
    check_config: Some(check),
    check_workload: None,
};

const HELP: &str = r#"## TG013 trust-entry-unused

**What it finds.** A `trusted` entry in `.tokenguard.yaml` whose `serviceAccount` pattern
matches no service account seen in the scan: neither a `ServiceAccount` object nor the
service account of any workload; or a `tokenCreators` entry whose `subject` matches no
subject of any RoleBinding or ClusterRoleBinding in the scan. The finding points at the
entry in the config file.

**Why it matters.** Trust that nothing uses is a standing approval for whichever workload
takes the name next, and a typo in a pattern silently trusts nothing while reviewers think
it does.

**How to fix.** Remove the entry, or correct its pattern (`NAMESPACE/NAME`, where `*` does
not cross the `/`):

```yaml
# before: the namespace is called monitoring, not monitor
trusted:
  - serviceAccount: monitor/prometheus
    reason: scrapes metrics
# after
trusted:
  - serviceAccount: monitoring/prometheus
    reason: scrapes metrics
```

**How to suppress.** When a scan covers only part of a repository, entries for the other
parts are reported: scan the whole repository, or turn the rule off with
`rules: {TG013: off}`.

**References.** [Service Accounts](https://kubernetes.io/docs/concepts/security/service-accounts/).
"#;

fn check(ctx: &Context<'_>, workloads: &Workloads, out: &mut Vec<Finding>) {
    let Some(file) = ctx.config_file else {
        return;
    };
    // Each name is written into one buffer and matched against the entries not yet in
    // use: a large scan never holds every service account's or subject's name at once.
    let mut name = String::new();
    let trusted: Vec<&GlobMatcher> = ctx.config.trusted.iter().map(|e| &e.matcher).collect();
    let mut in_use = used_by_workloads(ctx, &trusted, workloads);
    for sa in &ctx.model.service_accounts {
        name.clear();
        let namespace = sa.meta.namespace_or(ctx.default_namespace);
        let _ = write!(name, "{namespace}/{}", sa.meta.name);
        if mark_matches(&trusted, &name, &mut in_use) {
            break;
        }
    }
    let trusted_entries = ctx
        .config
        .trusted
        .iter()
        .map(|e| (e.pattern.as_str(), e.key));
    for (pattern, key) in unused(trusted_entries, &in_use) {
        let message = format!(
            "The trusted entry `{pattern}` matches no service account in the scanned manifests. Remove it, or correct the pattern (NAMESPACE/NAME; `*` does not cross `/`).",
        );
        out.push(RULE.meta.finding(at(file, key), message).detail(pattern));
    }

    let creators: Vec<&GlobMatcher> = ctx
        .config
        .token_creators
        .iter()
        .map(|e| &e.matcher)
        .collect();
    let mut in_use = vec![false; creators.len()];
    for subject in ctx.model.bindings.iter().flat_map(|b| &b.subjects) {
        name.clear();
        name.push_str(&subject.config_form());
        if mark_matches(&creators, &name, &mut in_use) {
            break;
        }
        if let Some((namespace, sa)) = subject.as_service_account() {
            name.clear();
            let _ = write!(name, "ServiceAccount:{namespace}/{sa}");
            if mark_matches(&creators, &name, &mut in_use) {
                break;
            }
        }
    }
    let creator_entries = ctx
        .config
        .token_creators
        .iter()
        .map(|e| (e.pattern.as_str(), e.key));
    for (pattern, key) in unused(creator_entries, &in_use) {
        let message = format!(
            "The tokenCreators entry `{pattern}` matches no subject of any RoleBinding or ClusterRoleBinding in the scanned manifests. Remove it, or correct the pattern.",
        );
        out.push(RULE.meta.finding(at(file, key), message).detail(pattern));
    }
}

/// The entries (pattern, where it is written) whose `in_use` flag is not set.
fn unused<'c>(
    entries: impl Iterator<Item = (&'c str, Span)>,
    in_use: &[bool],
) -> impl Iterator<Item = (&'c str, Span)> {
    entries
        .zip(in_use)
        .filter(|(_, used)| !**used)
        .map(|(entry, _)| entry)
}

/// Per `trusted` entry: whether some workload runs as a service account it matches.
/// The runs of files are looked through in parallel; most scans use every entry early.
fn used_by_workloads(
    ctx: &Context<'_>,
    trusted: &[&GlobMatcher],
    workloads: &Workloads,
) -> Vec<bool> {
    use rayon::prelude::*;
    let none = || vec![false; trusted.len()];
    if trusted.is_empty() {
        return none();
    }
    workloads
        .par_iter()
        .fold(none, |mut in_use, run| {
            let mut identity = String::new();
            for workload in run {
                identity.clear();
                let namespace = workload.meta.namespace_or(ctx.default_namespace);
                let sa = workload.pod.service_account_name();
                let _ = write!(identity, "{namespace}/{sa}");
                if mark_matches(trusted, &identity, &mut in_use) {
                    break;
                }
            }
            in_use
        })
        .reduce(none, |mut a, b| {
            for (used, other) in a.iter_mut().zip(b) {
                *used |= other;
            }
            a
        })
}

/// Marks the entries `name` matches; true once every entry is in use.
fn mark_matches(matchers: &[&GlobMatcher], name: &str, in_use: &mut [bool]) -> bool {
    for (matcher, used) in matchers.iter().zip(in_use.iter_mut()) {
        if !*used && matcher.is_match(name) {
            *used = true;
        }
    }
    in_use.iter().all(|used| *used)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{CONFIG, check_with_config};

    #[test]
    fn fires_on_the_first_key_of_each_entry_that_matches_nothing() {
        let manifests = r#"
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: orders, namespace: shop}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: web}
            spec:
              serviceAccountName: frontend
              containers:
                - {name: web, image: nginx}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: vault, namespace: vault}
            subjects:
              - {kind: Group, name: "system:serviceaccounts:vault"}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
            "#;
        let config = "
            trusted:
              - serviceAccount: shop/orders
                reason: defined
              - serviceAccount: web/*
                reason: used by a workload only
              - reason: a typo
                serviceAccount: shop/order
            tokenCreators:
              - subject: Group:system:serviceaccounts:vault
                reason: bound
              - subject: ServiceAccount:vault/vault
                reason: bound nowhere
            ";
        let found = check_with_config(&RULE, manifests, config);
        assert_eq!(found.len(), 2, "{found:?}");
        found[0].assert_in(
            CONFIG,
            (6, 5),
            Level::Note,
            &["trusted entry `shop/order` matches no service account"],
        );
        found[1].assert_in(
            CONFIG,
            (11, 5),
            Level::Note,
            &["tokenCreators entry `ServiceAccount:vault/vault` matches no subject"],
        );
    }
}
