//! The rule registry. Each rule lives in its own file with its metadata, its help text
//! (printed by `explain` and used as SARIF `help.markdown`) and its check.

mod exposure;
pub(crate) mod tg000_manifest_unreadable;
pub(crate) mod tg001_token_automount_untrusted;
mod tg002_service_account_automount_enabled;
mod tg003_projected_token_untrusted;
mod tg004_projected_token_long_lived;
mod tg005_legacy_token_secret;
mod tg006_token_creation_rbac;
mod tg007_token_secret_read_rbac;
mod tg008_ineffective_token_rbac;
mod tg009_unknown_service_account;
mod tg010_ambiguous_automount_value;
mod tg011_deprecated_service_account_field;
mod tg012_exemption_expired;
mod tg013_trust_entry_unused;
mod tg014_privileged_token_automount_untrusted;
mod tg015_duplicate_key;

#[cfg(test)]
mod testing;

use std::sync::Arc;

use crate::analysis::{Index, WorkloadFacts};
use crate::config::Config;
use crate::finding::{Finding, KustomizeRoot, ObjectRef};
use crate::k8s::rbac::Grant;
use crate::load::LoadFailure;
use crate::model::rbac::{Binding, Role};
use crate::model::{DuplicateKey, Model, ObjectMeta, ServiceAccount, TokenSecret, Workload};
use crate::origin::Origin;
use crate::rule_id::{Level, RuleId};
use crate::{FileId, Files};

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: RuleId,
    /// The level it reports at unless the config says otherwise.
    pub level: Level,
    /// GitHub's 0.0-10.0 score, as the numeric string SARIF carries.
    pub security_severity: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    /// Markdown: what, why, how to fix, how to suppress, references.
    pub help: &'static str,
    pub help_uri: &'static str,
    pub tags: &'static [&'static str],
}

impl RuleMeta {
    pub fn name(&self) -> &'static str {
        self.id.name()
    }

    /// [`RuleMeta::security_severity`] in tenths (`9.5` is 95), for ranking.
    pub fn security_tenths(&self) -> u32 {
        let (whole, tenth) = self
            .security_severity
            .split_once('.')
            .unwrap_or((self.security_severity, "0"));
        let digit = |text: &str| text.parse::<u32>().unwrap_or(0);
        digit(whole) * 10 + digit(tenth)
    }

    /// A finding of this rule at its default level, pointing at `at`.
    pub fn finding(&self, at: Origin, message: String) -> Finding {
        Finding::new(self.id, self.level, at.into(), message)
    }
}

pub struct Rule {
    pub meta: RuleMeta,
    /// Findings about one workload, given with the facts its rules share.
    pub check_workload: Option<fn(&Context<'_>, &WorkloadFacts<'_>, &mut Vec<Finding>)>,
    /// Findings about the facts kept across files (service accounts, RBAC, token
    /// Secrets, load failures) that one batch of files defines.
    pub check_facts: Option<fn(&Context<'_>, &RunFacts<'_>, &mut Vec<Finding>)>,
    /// Findings about the config's entries, once per scan, before any batch of files is
    /// checked: it is given every workload (one list per batch), for the entries
    /// only workloads can tell about.
    pub check_config: Option<fn(&Context<'_>, &Workloads, &mut Vec<Finding>)>,
}

/// Every workload of a scan, one list per batch of files.
pub type Workloads = [Vec<Workload>];

/// The facts kept across files that one batch of consecutive files defines. The engine
/// writes a finding once no unchecked unit can point at an earlier file, so a check of
/// a batch reports only on the batch's own files: every finding's location lies in them.
pub struct RunFacts<'a> {
    pub service_accounts: &'a [ServiceAccount],
    pub token_secrets: &'a [TokenSecret],
    pub roles: &'a [Role],
    pub duplicate_keys: &'a [DuplicateKey],
    pub failures: &'a [(FileId, LoadFailure)],
}

/// Every rule, in id order.
pub static ALL: &[&Rule] = &[
    &tg000_manifest_unreadable::RULE,
    &tg001_token_automount_untrusted::RULE,
    &tg002_service_account_automount_enabled::RULE,
    &tg003_projected_token_untrusted::RULE,
    &tg004_projected_token_long_lived::RULE,
    &tg005_legacy_token_secret::RULE,
    &tg006_token_creation_rbac::RULE,
    &tg007_token_secret_read_rbac::RULE,
    &tg008_ineffective_token_rbac::RULE,
    &tg009_unknown_service_account::RULE,
    &tg010_ambiguous_automount_value::RULE,
    &tg011_deprecated_service_account_field::RULE,
    &tg012_exemption_expired::RULE,
    &tg013_trust_entry_unused::RULE,
    &tg014_privileged_token_automount_untrusted::RULE,
    &tg015_duplicate_key::RULE,
];

/// The metadata of a rule.
pub fn meta(id: RuleId) -> &'static RuleMeta {
    let meta = &ALL[id.index()].meta;
    debug_assert_eq!(meta.id, id, "rules::ALL is not in RuleId order");
    meta
}

/// A rule by its code or name, in any case (see [`RuleId::parse`]).
pub fn find(text: &str) -> Option<&'static RuleMeta> {
    RuleId::parse(text).map(meta)
}

/// What the rules read: the model of every scanned file and the facts across them.
pub struct Context<'a> {
    pub files: &'a Files,
    pub model: &'a Model,
    pub index: &'a Index<'a>,
    pub config: &'a Config,
    pub default_namespace: &'a str,
    /// The config file as a scanned file, for findings about its entries.
    pub config_file: Option<FileId>,
    /// The scan covered the whole repository: the root (or the config file's directory)
    /// was scanned, with no command-line include or exclude globs narrowing it.
    pub whole_repository: bool,
    /// The date exemptions are compared with.
    pub today: jiff::civil::Date,
    /// The rendered Kustomize roots, by [`Scope::root_index`](crate::model::Scope).
    pub roots: &'a [Arc<KustomizeRoot>],
}

impl Context<'_> {
    pub fn object_ref(&self, meta: &ObjectMeta) -> ObjectRef {
        ObjectRef {
            namespace: meta.namespace_or(self.default_namespace).into(),
            kind: meta.kind.as_str().into(),
            name: meta.name.value.clone(),
            ignores: meta.ignores.clone(),
            root: (meta.scope.root_index()).and_then(|i| self.roots.get(i).cloned()),
        }
    }

    /// The finding with each binding that hands out the rule as a related location,
    /// naming the subjects it binds: messages name only a few, the notes every one.
    pub fn with_bindings(&self, mut finding: Finding, bindings: &[&Binding]) -> Finding {
        for binding in bindings {
            let subjects = binding.subjects.iter().map(|s| s.config_form());
            finding = finding.related(
                binding.meta.name.at,
                format!(
                    "{} binds it to {}",
                    self.describe(&binding.meta),
                    subjects.collect::<Vec<_>>().join(", ")
                ),
            );
        }
        finding
    }

    /// The related note of a binding that gives service account `identity` a role, with
    /// the powerful grants it makes (none for an ordinary one).
    pub fn binding_note(&self, binding: &Binding, identity: &str, grants: &[Grant]) -> String {
        let mut note = format!(
            "{} binds {identity} to {} {}",
            self.describe(&binding.meta),
            binding.role_kind,
            binding.role_name
        );
        if !grants.is_empty() {
            let grants: Vec<&str> = grants.iter().copied().map(grant_text).collect();
            note += &format!(", which grants {}", grants.join(", "));
        }
        note
    }

    /// `Deployment prod/api`, as messages name objects.
    pub fn describe(&self, meta: &ObjectMeta) -> String {
        match meta.namespace_or(self.default_namespace) {
            "" => format!("{} {}", meta.kind, meta.name),
            namespace => format!("{} {namespace}/{}", meta.kind, meta.name),
        }
    }
}

/// How messages name a grant.
pub fn grant_text(grant: Grant) -> &'static str {
    match grant {
        Grant::Everything => "everything (* on *)",
        Grant::MintTokens => "create serviceaccounts/token",
        Grant::ReadSecrets => "read secrets",
        Grant::CreateWorkloads => "create pods or workloads",
        Grant::PodsExec => "pods/exec",
        Grant::PodsAttach => "pods/attach",
        Grant::NodesProxy => "nodes/proxy",
        Grant::Impersonate => "impersonate",
        Grant::Escalate => "escalate",
        Grant::Bind => "bind",
    }
}

/// Names a few items for a one-sentence message: `A`, `A and B`, or `A, B and 3 more`,
/// each named once (a binding defined in eleven rendered bundles is one name); the full
/// list goes to the related locations.
pub fn name_few(items: impl IntoIterator<Item = String>) -> String {
    const SHOWN: usize = 2;
    let mut distinct: Vec<String> = Vec::new();
    for item in items {
        if !distinct.contains(&item) {
            distinct.push(item);
        }
    }
    match distinct.len() {
        0..=SHOWN => distinct.join(" and "),
        n => format!("{} and {} more", distinct[..SHOWN].join(", "), n - SHOWN),
    }
}

/// Runs every rule's checks of one batch of files: of its workloads and of its facts, with
/// the config's level overrides applied.
pub fn check_run(ctx: &Context<'_>, facts: &RunFacts<'_>, workloads: &[Workload]) -> Vec<Finding> {
    let checks: Vec<_> = ALL.iter().filter_map(|rule| rule.check_workload).collect();
    let mut findings = Vec::new();
    for workload in workloads {
        let facts = WorkloadFacts::new(workload, ctx.index, ctx.config, ctx.default_namespace);
        for check in &checks {
            check(ctx, &facts, &mut findings);
        }
    }
    for check in ALL.iter().filter_map(|rule| rule.check_facts) {
        check(ctx, facts, &mut findings);
    }
    apply_levels(ctx.config, &mut findings);
    findings
}

/// Runs every rule's check of the config's entries, with the level overrides applied.
pub fn check_config(ctx: &Context<'_>, workloads: &Workloads) -> Vec<Finding> {
    let mut findings = Vec::new();
    for check in ALL.iter().filter_map(|rule| rule.check_config) {
        check(ctx, workloads, &mut findings);
    }
    apply_levels(ctx.config, &mut findings);
    findings
}

/// Sets each finding's level from the config; `off` drops it.
fn apply_levels(config: &Config, findings: &mut Vec<Finding>) {
    findings.retain_mut(|f| match config.level_of(f.rule, f.level) {
        Some(level) => {
            f.level = level;
            true
        }
        None => false,
    });
}

#[cfg(test)]
mod tests {
    use super::name_few;

    #[test]
    fn every_security_severity_is_a_score_in_tenths() {
        for rule in super::ALL {
            let meta = &rule.meta;
            let tenths = meta.security_tenths();
            assert!((1..=100).contains(&tenths), "{:?}", meta.id);
            assert_eq!(
                format!("{}.{}", tenths / 10, tenths % 10),
                meta.security_severity,
                "{:?}",
                meta.id
            );
        }
        assert_eq!(
            super::meta(crate::rule_id::RuleId::PrivilegedTokenAutomountUntrusted)
                .security_tenths(),
            95
        );
    }

    #[test]
    fn name_few_names_each_item_once_and_counts_the_rest() {
        let names = |items: &[&str]| name_few(items.iter().map(|s| (*s).to_owned()));
        assert_eq!(names(&[]), "");
        assert_eq!(names(&["A"]), "A");
        assert_eq!(names(&["A", "A", "B", "A"]), "A and B");
        assert_eq!(names(&["A", "B", "A", "C", "D"]), "A, B and 2 more");
    }
}
