//! SPEC 4.2 and 4.3: which service account a pod runs as, and whether Kubernetes
//! automounts its token.

use crate::index::Index;
use crate::model::workload::PodSpec;
use crate::model::{ServiceAccount, Workload};

/// Which of the three steps of SPEC 4.3 decided, and what it decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    PodSpec(bool),
    ServiceAccount(bool),
    /// The service account is defined more than once with different settings.
    ServiceAccountConflict,
    Default,
}

impl Decision {
    pub fn automounts(self) -> bool {
        match self {
            Decision::PodSpec(v) | Decision::ServiceAccount(v) => v,
            Decision::ServiceAccountConflict | Decision::Default => true,
        }
    }
}

/// A pod's identity and token verdict.
pub struct TokenVerdict<'m> {
    pub namespace: &'m str,
    pub service_account: &'m str,
    /// The ServiceAccount objects found for it (several if defined more than once).
    pub definitions: &'m [&'m ServiceAccount],
    pub decision: Decision,
}

impl TokenVerdict<'_> {
    /// Which step of SPEC 4.3 decided and why, as a clause for messages.
    pub fn explain(&self, pod: &PodSpec) -> String {
        let pod_clause = if pod.automount.as_ref().is_some_and(|f| f.kubectl.is_none()) {
            "the pod spec's automountServiceAccountToken is not a boolean and counts as unset"
        } else {
            "the pod spec does not set automountServiceAccountToken"
        };
        match self.decision {
            Decision::PodSpec(v) => format!("the pod spec sets automountServiceAccountToken: {v}"),
            Decision::ServiceAccount(v) => {
                format!("{pod_clause} and the service account sets it to {v}")
            }
            Decision::ServiceAccountConflict => format!(
                "{pod_clause} and the service account is defined more than once with different values, so tokenguard assumes true"
            ),
            Decision::Default if self.definitions.is_empty() => format!(
                "{pod_clause}, the service account is not among the scanned manifests, and Kubernetes defaults to true"
            ),
            Decision::Default => format!(
                "{pod_clause}, nor does the service account, and Kubernetes defaults to true"
            ),
        }
    }

    /// `namespace/name` of the service account.
    pub fn identity(&self) -> String {
        format!("{}/{}", self.namespace, self.service_account)
    }
}

pub fn token_verdict<'m>(
    workload: &'m Workload,
    index: &'m Index<'m>,
    default_namespace: &'m str,
) -> TokenVerdict<'m> {
    let namespace = workload.meta.namespace_or(default_namespace);
    let service_account = workload.pod.service_account_name();
    let definitions = index.service_account(namespace, service_account);
    let decision = match workload.pod.automount.as_ref().and_then(|f| f.kubectl) {
        Some(v) => Decision::PodSpec(v),
        None => service_account_decision(definitions),
    };
    TokenVerdict {
        namespace,
        service_account,
        definitions,
        decision,
    }
}

fn service_account_decision(definitions: &[&ServiceAccount]) -> Decision {
    let mut values = definitions
        .iter()
        .map(|sa| sa.automount.as_ref().and_then(|f| f.kubectl));
    let Some(first) = values.next() else {
        return Decision::Default;
    };
    if values.any(|v| v != first) {
        return Decision::ServiceAccountConflict;
    }
    first.map_or(Decision::Default, Decision::ServiceAccount)
}
