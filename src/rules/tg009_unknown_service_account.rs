use super::{Context, Rule, RuleMeta};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
use crate::k8s::automount::Decision;
use crate::k8s::identity::DEFAULT_SERVICE_ACCOUNT;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::UnknownServiceAccount,
        level: Level::Note,
        security_severity: "2.0",
        summary: "A workload uses a service account that no scanned manifest defines.",
        description: "The pod spec names a service account other than default, but no ServiceAccount of that name exists in the workload's namespace among the scanned manifests. Its automountServiceAccountToken setting is unknown, so tokenguard assumed Kubernetes' default (true) unless the pod spec decides.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/security/service-accounts/",
        tags: &["security", "kubernetes", "service-account", "correctness"],
    },
    check_facts: None,
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG009 unknown-service-account

**What it finds.** A pod spec with `serviceAccountName` (or the deprecated
`serviceAccount`) naming a service account other than `default` that no scanned manifest
defines in the workload's namespace.

**Why it matters.** The ServiceAccount's own `automountServiceAccountToken` decides whether
pods get a token when the pod spec does not say. Without the ServiceAccount in the scan,
tokenguard has to assume the Kubernetes default (`true`); a typo in the name also makes the
pod fail to start, or run as an account created elsewhere with unknown permissions.

**How to fix.** Scan the ServiceAccount's manifest too (add its folder to the scan), define
it next to the workload, or correct the name:

```yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: builder
  namespace: ci
automountServiceAccountToken: false
```

Setting `automountServiceAccountToken` in the pod spec itself also makes the verdict
independent of the ServiceAccount.

**How to suppress.** Turn the rule off with `rules: {TG009: off}` when service accounts are
managed in another repository. In the manifest, the annotation
`tokenguard.dev/ignore-TG009: "<reason>"` on the workload or its pod template suppresses it
for that object.

**References.** [Service Accounts](https://kubernetes.io/docs/concepts/security/service-accounts/).
"#;

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    let (workload, verdict) = (facts.workload, &facts.verdict);
    let Some(field) = workload.pod.service_account_field() else {
        return;
    };
    if verdict.service_account == DEFAULT_SERVICE_ACCOUNT || !verdict.definitions.is_empty() {
        return;
    }
    let consequence = match verdict.decision {
        Decision::PodSpec(_) => {
            "the pod spec's own automountServiceAccountToken decides".to_owned()
        }
        _ => "tokenguard assumed Kubernetes' default, true".to_owned(),
    };
    let message = format!(
        "{} runs as service account {}, which no scanned manifest defines in namespace {}, so its automountServiceAccountToken setting is unknown and {consequence}. Include the ServiceAccount's manifest in the scan, or correct the name.",
        ctx.describe(&workload.meta),
        verdict.identity(),
        verdict.namespace,
    );
    out.push(
        RULE.meta
            .finding(field.at, message)
            .object(ctx.object_ref(&workload.meta))
            .service_account(verdict.identity()),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_on_service_account_name_of_an_account_no_manifest_defines() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: builder, namespace: ci}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              serviceAccountName: builder
              containers:
                - {name: web, image: nginx}
            ",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (11, 3),
            Level::Note,
            &[
                "shop/builder, which no scanned manifest defines in namespace shop",
                "assumed Kubernetes' default, true",
            ],
        );
    }

    #[test]
    fn the_default_account_and_defined_accounts_are_fine() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: builder, namespace: shop}
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              serviceAccountName: builder
              containers:
                - {name: web, image: nginx}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: cleanup, namespace: shop}
            spec:
              serviceAccountName: default
              containers:
                - {name: cleanup, image: busybox}
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
