use super::{Context, Rule, RuleMeta, name_few};
use crate::finding::Finding;
use crate::index::BoundGrants;
use crate::model::Workload;
use crate::model::rbac::Binding;
use crate::resolve::{Decision, TokenVerdict, token_verdict};
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::TokenAutomountUntrusted,
        level: Level::Error,
        security_severity: "7.5",
        summary: "A workload's pods get an automounted API token for a service account that is not trusted.",
        description: "Kubernetes mounts the pod's service account token into every container unless automountServiceAccountToken is false on the pod spec or, failing that, on the ServiceAccount. This workload's pods get the token, and its service account is not in the trusted list of .tokenguard.yaml. A compromised container can call the API server with it.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting",
        tags: &["security", "kubernetes", "service-account", "cis-5.1.6"],
    },
    check_facts: None,
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG001 token-automount-untrusted

**What it finds.** A workload (Pod, Deployment, StatefulSet, DaemonSet, Job, CronJob,
ReplicaSet, ReplicationController, PodTemplate, Argo Rollout, or a kind from
`workloadKinds`) whose pods receive an automounted service account token, while the
service account is not trusted in `.tokenguard.yaml`.

Whether the token is mounted is decided as Kubernetes decides it:
1. the pod spec's `automountServiceAccountToken`, if set;
2. else the ServiceAccount's `automountServiceAccountToken`, if the ServiceAccount is in
   the scan and sets it;
3. else `true`.

A container that already mounts a volume at `/var/run/secrets/kubernetes.io/serviceaccount`
does not get the token; if every container does, the rule does not fire.

**Why it matters.** The token lets anyone who runs code in the container call the
Kubernetes API as the service account (CIS Kubernetes Benchmark 5.1.6). Most applications
never talk to the API server and should not carry a credential for it.

**How to fix.** Turn automounting off in the pod spec:

```yaml
# before
spec:
  template:
    spec:
      serviceAccountName: api
      containers: [...]
# after
spec:
  template:
    spec:
      serviceAccountName: api
      automountServiceAccountToken: false
      containers: [...]
```

or on the ServiceAccount (then every pod that does not opt in is covered). If the
workload really needs the API, trust its service account with a reason:

```yaml
# .tokenguard.yaml
trusted:
  - serviceAccount: prod/api
    reason: reads its own ConfigMaps through the API
```

**How to suppress.** Trusting the service account is the normal way. For accepted risk, add
a config `exemptions` entry with a reason and an expiry date. In the manifest, the
annotation `tokenguard.dev/ignore-TG001: "<reason>"` on the workload or its pod template
suppresses it for that object.

**References.** CIS Kubernetes Benchmark 5.1.6 "Ensure that Service Account Tokens are only
mounted where necessary";
[Configure Service Accounts for Pods](https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting).
"#;

fn check_workload(ctx: &Context<'_>, workload: &Workload, out: &mut Vec<Finding>) {
    if let Some(exposure) = exposure(ctx, workload)
        && exposure.powerful.is_empty()
    {
        out.push(exposure.finding(ctx, &RULE.meta, workload));
    }
}

/// A workload whose pods get an automounted token for an untrusted service account,
/// with the RBAC the scan gives that service account (TG001, or TG014 when powerful).
pub(super) struct Exposure<'m> {
    verdict: TokenVerdict<'m>,
    pub(super) powerful: Vec<BoundGrants<'m>>,
    other_bindings: Vec<&'m Binding>,
}

pub(super) fn exposure<'m>(ctx: &'m Context<'m>, workload: &'m Workload) -> Option<Exposure<'m>> {
    let verdict = token_verdict(workload, ctx.index, ctx.default_namespace);
    if !verdict.decision.automounts() || workload.pod.every_container_mounts_token_dir() {
        return None;
    }
    if ctx
        .config
        .trusted_entry(verdict.namespace, verdict.service_account)
        .is_some()
    {
        return None;
    }
    let powerful = ctx
        .index
        .powerful_grants(verdict.namespace, verdict.service_account);
    let other_bindings = ctx
        .index
        .bindings_of_service_account(verdict.namespace, verdict.service_account)
        .into_iter()
        .filter(|b| !powerful.iter().any(|p| std::ptr::eq(p.binding, *b)))
        .collect();
    Some(Exposure {
        verdict,
        powerful,
        other_bindings,
    })
}

impl Exposure<'_> {
    pub(super) fn finding(
        &self,
        ctx: &Context<'_>,
        rule: &'static RuleMeta,
        workload: &Workload,
    ) -> Finding {
        let verdict = &self.verdict;
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
        let rbac = if self.powerful.is_empty() {
            String::new()
        } else {
            let names = self.powerful.iter().map(|p| ctx.describe(&p.binding.meta));
            format!(" and is bound to powerful RBAC by {}", name_few(names))
        };
        let other = if self.other_bindings.is_empty() {
            String::new()
        } else {
            let names = self.other_bindings.iter().map(|b| ctx.describe(&b.meta));
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
            verdict.explain(pod),
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
        for sa in verdict.definitions {
            let setting = match sa.automount.as_ref().and_then(|f| f.kubectl) {
                Some(v) => format!("sets automountServiceAccountToken: {v}"),
                None => "does not set automountServiceAccountToken".to_owned(),
            };
            let at = sa.automount.as_ref().map_or(sa.meta.name.at, |f| f.at);
            finding = finding.related(at, format!("ServiceAccount {identity} {setting}"));
        }
        for bound in &self.powerful {
            let binding = bound.binding;
            finding = finding.related(
                binding.meta.name.at,
                ctx.binding_note(binding, &identity, &bound.grants),
            );
        }
        for binding in &self.other_bindings {
            finding = finding.related(
                binding.meta.name.at,
                ctx.binding_note(binding, &identity, &[]),
            );
        }
        finding
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::{check, check_with_config};

    #[test]
    fn fires_on_the_pod_spec_key_when_nothing_is_set() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              containers:
                - name: web
                  image: nginx
            ",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (6, 1),
            Level::Error,
            &[
                "Pod shop/web",
                "service account shop/default",
                "Kubernetes defaults to true",
            ],
        );
    }

    #[test]
    fn fires_on_service_account_name_when_the_service_account_sets_true() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: orders, namespace: shop}
            automountServiceAccountToken: true
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              serviceAccountName: orders
              containers:
                - name: web
                  image: nginx
            ",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (12, 3),
            Level::Error,
            &["shop/orders", "the service account sets it to true"],
        );
    }

    #[test]
    fn names_the_containers_that_get_the_token_when_others_mount_the_path() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              automountServiceAccountToken: true
              initContainers:
                - name: setup
                  image: busybox
              containers:
                - name: web
                  image: nginx
                  volumeMounts:
                    - {name: none, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
            ",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (7, 3),
            Level::Error,
            &[
                "(containers setup)",
                "sets automountServiceAccountToken: true",
            ],
        );
    }

    #[test]
    fn false_in_the_pod_spec_or_on_the_service_account_turns_it_off() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: orders, namespace: shop}
            automountServiceAccountToken: false
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              serviceAccountName: orders
              containers:
                - {name: web, image: nginx}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: api, namespace: shop}
            spec:
              automountServiceAccountToken: false
              containers:
                - {name: api, image: nginx}
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn every_container_mounting_the_token_path_turns_it_off() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              initContainers:
                - name: setup
                  image: busybox
                  volumeMounts:
                    - {name: none, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
              containers:
                - name: web
                  image: nginx
                  volumeMounts:
                    - {name: none, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_service_account_trusted_by_a_glob_is_fine_and_the_glob_stays_in_its_namespace() {
        let manifests = "
            apiVersion: v1
            kind: Pod
            metadata: {name: ksm, namespace: monitoring}
            spec:
              serviceAccountName: kube-state-metrics
              containers:
                - {name: ksm, image: ksm}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: ksm, namespace: other}
            spec:
              serviceAccountName: kube-state-metrics
              containers:
                - {name: ksm, image: ksm}
            ";
        let config = "
            trusted:
              - serviceAccount: monitoring/*
                reason: exporters
            ";
        let found = check_with_config(&RULE, manifests, config);
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (13, 3),
            Level::Error,
            &["Pod other/ksm", "other/kube-state-metrics"],
        );
    }
}
