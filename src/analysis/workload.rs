//! What several rules need to know about one workload: who its pods run as, whether
//! their token is automounted (SPEC 4.2, 4.3), whether that service account is trusted
//! and which bindings give it what. Each is computed at most once per workload, and only
//! when a rule asks for it.

use std::borrow::Cow;
use std::cell::OnceCell;

use super::index::{BoundGrants, Index};
use crate::config::{Config, TrustedEntry};
use crate::k8s::automount::{self, Decision};
use crate::model::rbac::Binding;
use crate::model::{ServiceAccount, Workload};

/// A pod's identity and token verdict.
pub struct TokenVerdict<'m> {
    pub namespace: &'m str,
    pub service_account: &'m str,
    /// The ServiceAccount objects found for it (several if defined more than once).
    pub definitions: Cow<'m, [&'m ServiceAccount]>,
    pub decision: Decision,
}

impl<'m> TokenVerdict<'m> {
    pub fn of(workload: &'m Workload, index: &'m Index<'m>, default_namespace: &'m str) -> Self {
        let namespace = workload.meta.namespace_or(default_namespace);
        let service_account = workload.pod.service_account_name();
        let definitions = index.service_account(workload.meta.scope, namespace, service_account);
        let decision = automount::decide(
            workload.pod.automount.as_ref().and_then(|f| f.kubectl),
            definitions
                .iter()
                .map(|sa| sa.automount.as_ref().and_then(|f| f.kubectl)),
        );
        TokenVerdict {
            namespace,
            service_account,
            definitions,
            decision,
        }
    }

    /// `namespace/name` of the service account.
    pub fn identity(&self) -> String {
        format!("{}/{}", self.namespace, self.service_account)
    }
}

/// The bindings whose subjects cover a service account.
pub struct ServiceAccountBindings<'m> {
    /// Every one, in file order.
    pub all: Vec<&'m Binding>,
    /// Those whose role makes the token powerful, with what it grants, in file order.
    pub powerful: Vec<BoundGrants<'m>>,
}

impl<'m> ServiceAccountBindings<'m> {
    /// The bindings that grant nothing powerful, in file order.
    pub fn ordinary(&self) -> impl Iterator<Item = &'m Binding> + '_ {
        self.all
            .iter()
            .copied()
            .filter(|b| !self.powerful.iter().any(|p| std::ptr::eq(p.binding, *b)))
    }
}

/// The facts of one workload that the workload rules share.
pub struct WorkloadFacts<'m> {
    pub workload: &'m Workload,
    pub verdict: TokenVerdict<'m>,
    index: &'m Index<'m>,
    config: &'m Config,
    trusted: OnceCell<Option<&'m TrustedEntry>>,
    bindings: OnceCell<ServiceAccountBindings<'m>>,
}

impl<'m> WorkloadFacts<'m> {
    pub fn new(
        workload: &'m Workload,
        index: &'m Index<'m>,
        config: &'m Config,
        default_namespace: &'m str,
    ) -> Self {
        WorkloadFacts {
            workload,
            verdict: TokenVerdict::of(workload, index, default_namespace),
            index,
            config,
            trusted: OnceCell::new(),
            bindings: OnceCell::new(),
        }
    }

    /// The `trusted` entry of the config that matches the service account, if any.
    pub fn trusted(&self) -> Option<&'m TrustedEntry> {
        *self.trusted.get_or_init(|| {
            self.config
                .trusted_entry(self.verdict.namespace, self.verdict.service_account)
        })
    }

    /// Whether some container gets an automounted token for an untrusted service
    /// account (TG001, or TG014 when the service account's RBAC is powerful).
    pub fn exposed(&self) -> bool {
        self.verdict.decision.automounts()
            && !self.workload.pod.every_container_mounts_token_dir()
            && self.trusted().is_none()
    }

    /// The bindings of the service account.
    pub fn bindings(&self) -> &ServiceAccountBindings<'m> {
        self.bindings.get_or_init(|| {
            self.index.service_account_bindings(
                self.workload.meta.scope,
                self.verdict.namespace,
                self.verdict.service_account,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::model::{FileModel, Model};

    const MANIFESTS: &str = "
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: shop}
automountServiceAccountToken: false
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-admin, namespace: shop}
subjects: [{kind: ServiceAccount, name: api}]
roleRef: {kind: ClusterRole, name: cluster-admin}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: api-view, namespace: shop}
subjects: [{kind: Group, name: 'system:serviceaccounts:shop'}]
roleRef: {kind: ClusterRole, name: view}
---
apiVersion: v1
kind: Pod
metadata: {name: quiet, namespace: shop}
spec:
  serviceAccountName: api
  containers: [{name: c, image: i}]
---
apiVersion: v1
kind: Pod
metadata: {name: loud, namespace: shop}
spec:
  serviceAccountName: api
  automountServiceAccountToken: true
  containers: [{name: c, image: i}]
";

    fn model(config: &str) -> (Model, Vec<Workload>, Config) {
        let mut model = Model::default();
        let workloads = model.push(FileModel::of_text(MANIFESTS, FileId(0)));
        let config = Config::parse(config, ".tokenguard.yaml").expect("config");
        (model, workloads, config)
    }

    #[test]
    fn the_verdict_trust_and_bindings_of_each_workload() {
        let (model, workloads, config) = model("");
        let index = Index::build(&model, "default");
        let facts: Vec<_> = workloads
            .iter()
            .map(|w| WorkloadFacts::new(w, &index, &config, "default"))
            .collect();
        let [quiet, loud] = facts.as_slice() else {
            panic!("two workloads");
        };
        assert_eq!(quiet.verdict.identity(), "shop/api");
        assert_eq!(quiet.verdict.definitions.len(), 1);
        assert_eq!(quiet.verdict.decision, Decision::ServiceAccount(false));
        assert!(!quiet.exposed(), "the service account turns it off");
        assert_eq!(loud.verdict.decision, Decision::PodSpec(true));
        assert!(loud.exposed());
        let bindings = loud.bindings();
        let names = |list: &mut dyn Iterator<Item = &Binding>| -> Vec<String> {
            list.map(|b| b.meta.name.to_string()).collect()
        };
        assert_eq!(
            names(&mut bindings.all.iter().copied()),
            ["api-admin", "api-view"]
        );
        assert_eq!(
            names(&mut bindings.powerful.iter().map(|p| p.binding)),
            ["api-admin"]
        );
        assert_eq!(names(&mut bindings.ordinary()), ["api-view"]);
    }

    #[test]
    fn a_trusted_service_account_is_not_exposed() {
        let (model, workloads, config) =
            model("trusted:\n  - serviceAccount: shop/*\n    reason: the shop's own\n");
        let index = Index::build(&model, "default");
        let loud = WorkloadFacts::new(&workloads[1], &index, &config, "default");
        assert_eq!(loud.trusted().map(|t| t.pattern.as_str()), Some("shop/*"));
        assert!(!loud.exposed());
    }
}
