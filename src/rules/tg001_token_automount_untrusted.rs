use super::{Context, Rule, RuleMeta};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
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

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    if facts.exposed() && facts.bindings().powerful.is_empty() {
        out.push(super::exposure::finding(ctx, &RULE.meta, facts));
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
