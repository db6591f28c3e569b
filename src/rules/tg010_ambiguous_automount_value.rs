use super::{Context, Rule, RuleMeta, RunFacts};
use crate::analysis::WorkloadFacts;
use crate::finding::Finding;
use crate::model::ObjectMeta;
use crate::model::field::{Ambiguity, BoolValue};
use crate::origin::Located;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::AmbiguousAutomountValue,
        level: Level::Warning,
        security_severity: "4.0",
        summary: "automountServiceAccountToken is written in a way YAML tools disagree on.",
        description: "automountServiceAccountToken is a YAML 1.1-only boolean (yes, no, on, off, y, n) or a quoted string. kubectl reads yes/no/on/off as booleans, but Kustomize and other YAML 1.2 tools keep them as strings, which the API server rejects; a quoted \"false\" is a string, not a boolean, so the setting does not take effect.",
        help: HELP,
        help_uri: "https://yaml.org/type/bool.html",
        tags: &["security", "kubernetes", "yaml", "correctness"],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: Some(check_workload),
};

const HELP: &str = r#"## TG010 ambiguous-automount-value

**What it finds.** `automountServiceAccountToken` (in a pod spec or on a ServiceAccount)
written as anything but `true`/`false` (or `True`, `TRUE`, `False`, `FALSE`):

- a YAML 1.1-only boolean: `y`, `yes`, `on`, `n`, `no`, `off` in any of their cases;
- a quoted value such as `"false"`;
- anything else that is not a boolean.

**Why it matters.** The same manifest means different things to different tools. kubectl
converts YAML with YAML 1.1 rules, so `no` is `false`; Kustomize (YAML 1.2) keeps `no` as
the string `"no"` and the API server rejects the object. A quoted `"false"` is a string:
tokenguard evaluates it as not set, so Kubernetes' default (`true`) applies, and the token
you meant to turn off is mounted wherever the value is dropped or coerced.

**How to fix.**

```yaml
# before
automountServiceAccountToken: "false"   # or: no, off, n
# after
automountServiceAccountToken: false
```

**How to suppress.** Lower or turn off the rule with `rules: {TG010: off}`; better, write
the canonical boolean. In the manifest, the annotation
`tokenguard.dev/ignore-TG010: "<reason>"` on the object (or a workload's pod template)
suppresses it for that object.

**References.** [YAML 1.1 boolean type](https://yaml.org/type/bool.html);
[Configure Service Accounts for Pods](https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/#opt-out-of-api-credential-automounting).
"#;

fn check_workload(ctx: &Context<'_>, facts: &WorkloadFacts<'_>, out: &mut Vec<Finding>) {
    let workload = facts.workload;
    report(
        ctx,
        &workload.meta,
        workload.pod.automount.as_ref(),
        "pod spec",
        out,
    );
}

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for sa in facts.service_accounts {
        report(ctx, &sa.meta, sa.automount.as_ref(), "ServiceAccount", out);
    }
}

fn report(
    ctx: &Context<'_>,
    meta: &ObjectMeta,
    field: Option<&Located<BoolValue>>,
    place: &str,
    out: &mut Vec<Finding>,
) {
    let Some((field, ambiguity)) = field.and_then(|f| Some((f, f.ambiguity.as_ref()?))) else {
        return;
    };
    let explanation = match &**ambiguity {
        Ambiguity::Yaml11Only { text, value } => format!(
            "`{text}` is a YAML 1.1-only boolean: kubectl reads it as {value}, but Kustomize and other YAML 1.2 tools keep it as the string \"{text}\", which the API server rejects. Write {value}."
        ),
        Ambiguity::Quoted { text } => format!(
            "\"{text}\" is a quoted string, not a boolean: tokenguard treats the setting as not set, so Kubernetes' default (true) applies. Write true or false without quotes."
        ),
        Ambiguity::NotBoolean { text } => format!(
            "`{text}` is not a boolean: tokenguard treats the setting as not set, so Kubernetes' default (true) applies. Write true or false."
        ),
    };
    let message = format!(
        "{}: automountServiceAccountToken in the {place} is ambiguous; {explanation}",
        ctx.describe(meta)
    );
    out.push(
        RULE.meta
            .finding(field.at, message)
            .object(ctx.object_ref(meta))
            .detail(place),
    );
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_on_yaml_1_1_only_booleans_and_quoted_values() {
        let found = check(
            &RULE,
            r#"
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              automountServiceAccountToken: off
              containers:
                - {name: web, image: nginx}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: api, namespace: shop}
            automountServiceAccountToken: "true"
            "#,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        found[0].assert(
            (7, 3),
            Level::Warning,
            &[
                "Pod shop/web",
                "in the pod spec",
                "`off` is a YAML 1.1-only boolean: kubectl reads it as false",
            ],
        );
        found[1].assert(
            (14, 1),
            Level::Warning,
            &["ServiceAccount shop/api", "\"true\" is a quoted string"],
        );
    }

    #[test]
    fn canonical_booleans_are_fine() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: a, namespace: shop}
            automountServiceAccountToken: TRUE
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: b, namespace: shop}
            automountServiceAccountToken: False
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: shop
            spec:
              automountServiceAccountToken: false
              containers:
                - {name: web, image: nginx}
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
