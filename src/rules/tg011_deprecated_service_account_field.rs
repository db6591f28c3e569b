use super::{Context, Rule, RuleMeta};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::DeprecatedServiceAccountField,
        level: Level::Warning,
        security_severity: "3.0",
        summary: "A pod spec uses the deprecated serviceAccount field.",
        description: "serviceAccount is the deprecated alias of serviceAccountName. Tools that rename service accounts (Kustomize namePrefix/nameSuffix) only update serviceAccountName, so the two can disagree, and reviewers may read the wrong one. Use serviceAccountName.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security",
        tags: &["security", "kubernetes", "service-account", "deprecated"],
    },
    check_facts: None,
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG011 deprecated-service-account-field

**What it finds.** A pod spec that sets `serviceAccount`, the deprecated alias of
`serviceAccountName`.

**Why it matters.** Kubernetes uses `serviceAccountName` when both are set. Kustomize's
name references update `serviceAccountName` but not `serviceAccount`, so after a
`namePrefix` the two can name different accounts, and a reviewer reading `serviceAccount`
judges the wrong identity.

**How to fix.**

```yaml
# before
spec:
  serviceAccount: builder
# after
spec:
  serviceAccountName: builder
```

**How to suppress.** `rules: {TG011: off}` in `.tokenguard.yaml`. In the manifest, the
annotation `tokenguard.dev/ignore-TG011: "<reason>"` on the workload or its pod template
suppresses it for that object.

**References.** [Pod v1 API: serviceAccount](https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#security).
"#;

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    let workload = facts.workload;
    let pod = &workload.pod;
    let Some(deprecated) = &pod.service_account else {
        return;
    };
    let relation = match &pod.service_account_name {
        Some(current) if !current.value.is_empty() && current.value != deprecated.value => {
            format!(
                "it disagrees with serviceAccountName `{}`, which Kubernetes uses",
                current.value
            )
        }
        Some(current) if !current.value.is_empty() => {
            "serviceAccountName says the same, so remove serviceAccount".to_owned()
        }
        _ => "Kustomize does not rename it".to_owned(),
    };
    let message = format!(
        "{} uses the deprecated pod spec field serviceAccount (`{}`); {relation}. Use serviceAccountName instead.",
        ctx.describe(&workload.meta),
        deprecated.value,
    );
    out.push(
        RULE.meta
            .finding(deprecated.at, message)
            .object(ctx.object_ref(&workload.meta)),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_on_the_deprecated_field_and_says_how_it_relates_to_service_account_name() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              serviceAccount: reporter
              containers:
                - {name: web, image: nginx}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: backfill, namespace: shop}
            spec:
              serviceAccountName: reporter
              serviceAccount: legacy
              containers:
                - {name: backfill, image: nginx}
            ",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        found[0].assert(
            (7, 3),
            Level::Warning,
            &["Pod shop/web", "(`reporter`); Kustomize does not rename it"],
        );
        found[1].assert(
            (16, 3),
            Level::Warning,
            &[
                "Pod shop/backfill",
                "(`legacy`); it disagrees with serviceAccountName `reporter`",
            ],
        );
    }

    #[test]
    fn service_account_name_and_keys_outside_the_pod_spec_are_fine() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: shop}
            data:
              serviceAccount: reporter
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              serviceAccountName: reporter
              containers:
                - {name: web, image: nginx}
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
