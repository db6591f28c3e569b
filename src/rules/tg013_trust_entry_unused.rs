use std::fmt::Write as _;

use std::collections::HashSet;

use globset::GlobMatcher;

use super::{Context, Rule, RuleMeta, Workloads, name_few};
use crate::FileId;
use crate::finding::Finding;
use crate::origin::Origin;
use crate::rule_id::{Level, RuleId};
use crate::yaml::Span;

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::TrustEntryUnused,
        level: Level::Note,
        security_severity: "1.0",
        summary: "A trusted or tokenCreators entry of the config matches nothing in the scan.",
        description: "A trusted entry in .tokenguard.yaml matches no ServiceAccount and no workload's service account among the scanned manifests, or a tokenCreators entry matches no subject of any binding, although the scan covered the entry's scope: the whole repository, or, for a narrower scan, a scanned object in a namespace the entry names (for users and groups, a scanned binding). Stale trust is a standing permission for whatever gets that name next; remove the entry or fix its pattern.",
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

An entry is judged only when the scan covered its scope, so that scanning one folder does
not report the entries for the rest of the repository. A scan of the whole repository (of
the root or of the config file's directory, with no `--include` or `--exclude` narrowing
it) covers every entry's scope;
a narrower scan (a folder, standard input, command-line globs) covers

- a `trusted` entry `NAMESPACE/NAME`, or a `tokenCreators` entry
  `ServiceAccount:NAMESPACE/NAME`, when some scanned object (a workload, ServiceAccount,
  Secret, Role or RoleBinding) is in a namespace its `NAMESPACE` pattern matches (objects
  without `metadata.namespace` are in the default namespace);
- a `User:` or `Group:` entry when it holds a RoleBinding or ClusterRoleBinding.

From four unused entries of one section on, they are one finding at the first of them
that names how many there are and points at each of the others as a related location.

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

**How to suppress.** Turn the rule off with `rules: {TG013: off}`.

**References.** [Service Accounts](https://kubernetes.io/docs/concepts/security/service-accounts/).
"#;

/// From this many unused entries of one section on, they are one finding: a config
/// written for a larger repository than the scan would otherwise bury the other findings.
const FOLD_FROM: usize = 4;

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
    let creators: Vec<&GlobMatcher> = ctx
        .config
        .token_creators
        .iter()
        .map(|e| &e.matcher)
        .collect();
    let mut creators_in_use = vec![false; creators.len()];
    for subject in ctx.model.bindings.iter().flat_map(|b| &b.subjects) {
        name.clear();
        name.push_str(&subject.config_form());
        if mark_matches(&creators, &name, &mut creators_in_use) {
            break;
        }
        if let Some((namespace, sa)) = subject.as_service_account() {
            name.clear();
            let _ = write!(name, "ServiceAccount:{namespace}/{sa}");
            if mark_matches(&creators, &name, &mut creators_in_use) {
                break;
            }
        }
    }
    if in_use.iter().chain(&creators_in_use).all(|used| *used) {
        return;
    }

    // An entry is judged only where the scan looked: a scan of the whole repository
    // judges them all, a scan of one folder only those for the namespaces it contained.
    let scope = (!ctx.whole_repository).then(|| Scope::of(ctx, workloads));
    let trusted = ctx
        .config
        .trusted
        .iter()
        .map(|e| (e.pattern.as_str(), e.key));
    report(
        file,
        unused_in_scope(trusted, &in_use, |pattern| {
            scope
                .as_ref()
                .is_none_or(|s| s.covers_namespace_of(pattern))
        }),
        |pattern| {
            format!(
                "The trusted entry `{pattern}` matches no service account in the scanned manifests. Remove it, or correct the pattern (NAMESPACE/NAME; `*` does not cross `/`).",
            )
        },
        |count, listed| {
            format!(
                "{count} trusted entries match no service account in the scanned manifests: {listed}. Remove them, or correct their patterns (NAMESPACE/NAME; `*` does not cross `/`).",
            )
        },
        "trusted",
        out,
    );
    let creators = ctx
        .config
        .token_creators
        .iter()
        .map(|e| (e.pattern.as_str(), e.key));
    report(
        file,
        unused_in_scope(creators, &creators_in_use, |pattern| {
            scope.as_ref().is_none_or(|s| s.covers_subject(pattern))
        }),
        |pattern| {
            format!(
                "The tokenCreators entry `{pattern}` matches no subject of any RoleBinding or ClusterRoleBinding in the scanned manifests. Remove it, or correct the pattern.",
            )
        },
        |count, listed| {
            format!(
                "{count} tokenCreators entries match no subject of any RoleBinding or ClusterRoleBinding in the scanned manifests: {listed}. Remove them, or correct their patterns.",
            )
        },
        "tokenCreators",
        out,
    );
}

/// The entries (pattern, first key) not `in_use` whose scope the scan `covered`.
fn unused_in_scope<'a>(
    entries: impl Iterator<Item = (&'a str, Span)>,
    in_use: &[bool],
    covered: impl Fn(&str) -> bool,
) -> Vec<(&'a str, Span)> {
    entries
        .zip(in_use)
        .filter(|((pattern, _), used)| !**used && covered(pattern))
        .map(|(entry, _)| entry)
        .collect()
}

/// One finding per unused entry, or, from [`FOLD_FROM`] entries on, one finding at the
/// first that names them all and points at the others as related locations.
fn report(
    file: FileId,
    unused: Vec<(&str, Span)>,
    one: impl Fn(&str) -> String,
    many: impl Fn(usize, &str) -> String,
    section: &str,
    out: &mut Vec<Finding>,
) {
    if unused.len() < FOLD_FROM {
        for (pattern, key) in unused {
            out.push(
                RULE.meta
                    .finding(Origin::new(file, key), one(pattern))
                    .detail(pattern),
            );
        }
        return;
    }
    let listed: Vec<String> = unused.iter().map(|(p, _)| format!("`{p}`")).collect();
    let (_, first) = unused[0];
    let mut finding = RULE
        .meta
        .finding(
            Origin::new(file, first),
            many(unused.len(), &name_few(listed)),
        )
        // One finding per section whatever the entries, so that it keeps its fingerprint
        // while they are removed one by one.
        .detail(&format!("unused {section} entries"));
    for (pattern, key) in &unused[1..] {
        finding = finding.related(
            Origin::new(file, *key),
            format!("the {section} entry `{pattern}` matches nothing"),
        );
    }
    out.push(finding);
}

/// What the scan covered, for the entries it can judge.
struct Scope<'a> {
    /// The namespace of every scanned namespaced object (the default namespace where it
    /// sets none).
    namespaces: HashSet<&'a str>,
    /// Whether the scan holds a RoleBinding or ClusterRoleBinding, the only objects that
    /// name users and groups.
    bindings: bool,
}

impl<'a> Scope<'a> {
    fn of(ctx: &Context<'a>, workloads: &'a Workloads) -> Scope<'a> {
        let model = ctx.model;
        let default = ctx.default_namespace;
        let metas = workloads
            .iter()
            .flatten()
            .map(|w| &w.meta)
            .chain(model.service_accounts.iter().map(|sa| &sa.meta))
            .chain(model.token_secrets.iter().map(|s| &s.meta))
            .chain(model.roles.iter().map(|r| &r.meta))
            .chain(model.bindings.iter().map(|b| &b.meta));
        Scope {
            namespaces: metas
                .map(|meta| meta.namespace_or(default))
                .filter(|ns| !ns.is_empty())
                .collect(),
            bindings: !model.bindings.is_empty(),
        }
    }

    /// Whether a scanned object is in a namespace the `NAMESPACE/NAME` pattern covers. A
    /// namespace part that is no glob of its own (a `{a/b,c/d}` alternation) is judged.
    fn covers_namespace_of(&self, pattern: &str) -> bool {
        let Some((namespace, _)) = pattern.split_once('/') else {
            return true;
        };
        match crate::config::identity_glob(namespace) {
            Ok(glob) => self.namespaces.iter().any(|ns| glob.is_match(ns)),
            Err(_) => true,
        }
    }

    /// A `ServiceAccount:NAMESPACE/NAME` subject is judged like a trusted entry; a user
    /// or group when the scan holds a binding.
    fn covers_subject(&self, pattern: &str) -> bool {
        match pattern.strip_prefix("ServiceAccount:") {
            Some(identity) => self.covers_namespace_of(identity),
            None => self.bindings,
        }
    }
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
