//! The finding of TG001 and TG014, which differ only in whether the service account's
//! RBAC is powerful: a workload whose pods get an automounted token for an untrusted
//! service account ([`WorkloadFacts::exposed`]).

use super::{Context, RuleMeta, name_few};
use crate::analysis::{TokenVerdict, WorkloadFacts};
use crate::finding::Finding;
use crate::k8s::automount::Decision;
use crate::model::workload::PodSpec;

/// The finding of `rule` about an exposed workload.
pub(super) fn finding(
    ctx: &Context<'_>,
    rule: &'static RuleMeta,
    facts: &WorkloadFacts<'_>,
) -> Finding {
    let (workload, verdict) = (facts.workload, &facts.verdict);
    let bindings = facts.bindings();
    let pod = &workload.pod;
    let identity = verdict.identity();
    let receivers = pod.token_receivers();
    let containers = if receivers.len() < pod.containers.len() {
        let names: Vec<&str> = receivers.iter().map(|c| c.name.as_str()).collect();
        format!(" (containers {})", names.join(", "))
    } else {
        String::new()
    };
    // The message names the bindings; the notes say what each grants, and where.
    let rbac = if bindings.powerful.is_empty() {
        String::new()
    } else {
        let names = bindings
            .powerful
            .iter()
            .map(|p| ctx.describe(&p.binding.meta));
        format!(" and is bound to powerful RBAC by {}", name_few(names))
    };
    let ordinary: Vec<_> = bindings.ordinary().collect();
    let other = if ordinary.is_empty() {
        String::new()
    } else {
        let names = ordinary.iter().map(|b| ctx.describe(&b.meta));
        format!(" It is also bound by {}.", name_few(names))
    };
    let fix = match verdict.decision {
        Decision::Default | Decision::ServiceAccountConflict | Decision::ServiceAccount(_) => {
            "Set automountServiceAccountToken: false in the pod spec or on the service account"
        }
        Decision::PodSpec(_) => "Set automountServiceAccountToken: false in the pod spec",
    };
    let message = format!(
        "{} mounts an API token{containers} for service account {identity}, which is not trusted{rbac}: {}.{other} {fix}, or trust {identity} in .tokenguard.yaml.",
        ctx.describe(&workload.meta),
        explain(verdict, pod),
    );
    let at = pod
        .automount
        .as_ref()
        .map(|f| f.at)
        .or_else(|| pod.service_account_key())
        .unwrap_or(pod.spec_key);
    let mut finding = rule
        .finding(at, message)
        .object(ctx.object_ref(&workload.meta))
        .service_account(identity.clone());
    for sa in verdict.definitions.iter() {
        let setting = match sa.automount.as_ref().and_then(|f| f.kubectl) {
            Some(v) => format!("sets automountServiceAccountToken: {v}"),
            None => "does not set automountServiceAccountToken".to_owned(),
        };
        let at = sa.automount.as_ref().map_or(sa.meta.name.at, |f| f.at);
        finding = finding.related(at, format!("ServiceAccount {identity} {setting}"));
    }
    for bound in &bindings.powerful {
        let binding = bound.binding;
        finding = finding.related(
            binding.meta.name.at,
            ctx.binding_note(binding, &identity, &bound.grants),
        );
    }
    for binding in ordinary {
        finding = finding.related(
            binding.meta.name.at,
            ctx.binding_note(binding, &identity, &[]),
        );
    }
    finding
}

/// Which step of SPEC 4.3 decided and why, as a clause for messages.
fn explain(verdict: &TokenVerdict<'_>, pod: &PodSpec) -> String {
    let pod_clause = if pod.automount.as_ref().is_some_and(|f| f.kubectl.is_none()) {
        "the pod spec's automountServiceAccountToken is not a boolean and counts as unset"
    } else {
        "the pod spec does not set automountServiceAccountToken"
    };
    match verdict.decision {
        Decision::PodSpec(v) => format!("the pod spec sets automountServiceAccountToken: {v}"),
        Decision::ServiceAccount(v) => {
            format!("{pod_clause} and the service account sets it to {v}")
        }
        Decision::ServiceAccountConflict => format!(
            "{pod_clause} and the service account is defined more than once with different values, so tokenguard assumes true"
        ),
        Decision::Default if verdict.definitions.is_empty() => format!(
            "{pod_clause}, the service account is not among the scanned manifests, and Kubernetes defaults to true"
        ),
        Decision::Default => {
            format!("{pod_clause}, nor does the service account, and Kubernetes defaults to true")
        }
    }
}
