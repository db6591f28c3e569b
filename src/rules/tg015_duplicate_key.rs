use super::{Context, Rule, RuleMeta, RunFacts};
use crate::finding::Finding;
use crate::rule_id::{Level, RuleId};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::DuplicateKey,
        level: Level::Warning,
        security_severity: "3.0",
        summary: "A mapping in a manifest defines the same key twice; kubectl keeps the last value.",
        description: "A mapping of a Kubernetes object writes one key twice. kubectl reads the file without complaint and keeps the last value (go-yaml and encoding/json are not strict), so the first value is silently ignored, and the API server's strict field validation may reject the object. Reviewers who read the first value judge a setting that does not apply. tokenguard judges the last value, as kubectl applies it.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation",
        tags: &["security", "kubernetes", "correctness"],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG015 duplicate-key

**What it finds.** A mapping in a Kubernetes object that writes the same key twice, such
as `selector` twice in a Deployment's `spec` or `requests` twice under `resources`. Keys
are compared as kubectl compares them once the object is JSON: `1` and `"1"` are the same
key, and so are `yes` and `true`. The finding points at the repeated key and names the
first one.

**Why it matters.** kubectl does not reject the file: its YAML reader (go-yaml v2) and
`encoding/json` keep the last value and drop the first without a word. Whoever reads the
first value, in a review or in a diff, judges a setting that is not applied; a later key
can quietly turn `automountServiceAccountToken: false` back into `true`. Depending on the
server's field validation, the API server may also reject the object as written.
tokenguard scans the object with the last value, as kubectl applies it, and warns.

**How to fix.** Keep one of the keys, with the value you mean:

```yaml
# before: the second key wins, the pod gets a token
spec:
  automountServiceAccountToken: false
  containers: []
  automountServiceAccountToken: true
# after
spec:
  automountServiceAccountToken: false
  containers: []
```

**How to suppress.** Annotate the object with
`tokenguard.dev/ignore-TG015: "<reason>"`, add an `exemptions` entry in
`.tokenguard.yaml`, or turn the rule off with `rules: {TG015: off}`.

**References.** [Kubernetes API concepts: field validation](https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation),
[YAML 1.1 specification: mappings](https://yaml.org/spec/1.1/#id932806).
"#;

fn check(ctx: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for duplicate in facts.duplicate_keys {
        let owner = match &duplicate.object {
            Some(meta) => ctx.describe(meta),
            None => "This List".to_owned(),
        };
        let message = format!(
            "{owner} defines the key `{key}` twice in one mapping (first at line {line}); kubectl keeps the last value, which tokenguard judges, and drops the first. Remove one of the two keys.",
            key = duplicate.key,
            line = duplicate.first.span.start.line,
        );
        let mut finding = RULE
            .meta
            .finding(duplicate.at, message)
            .related(
                duplicate.first,
                format!("the first `{}`, whose value is dropped", duplicate.key),
            )
            .detail(&duplicate.key);
        if let Some(meta) = &duplicate.object {
            finding = finding.object(ctx.object_ref(meta));
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_on_the_second_key_and_names_its_object() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: shop}
            spec:
              serviceAccountName: a
              serviceAccountName: b
              automountServiceAccountToken: false
              containers: [{name: web, image: nginx}]
            ",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (6, 3),
            Level::Warning,
            &[
                "Pod shop/web defines the key `serviceAccountName` twice",
                "(first at line 5)",
            ],
        );
    }

    /// Each repeat belongs to the object it is written in: a `List`'s own keys to the
    /// List, an item's to that item, whichever document comes first.
    #[test]
    fn a_list_and_its_items_own_their_repeats() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: first, namespace: shop}
            data: {a: '1', a: '2'}
            ---
            apiVersion: v1
            kind: List
            items:
              - apiVersion: v1
                kind: ServiceAccount
                metadata: {name: one, namespace: shop}
              - apiVersion: v1
                kind: ServiceAccount
                metadata: {name: two, namespace: shop, name: deux}
            metadata: {}
            metadata: {}
            ",
        );
        assert_eq!(found.len(), 3, "{found:?}");
        found[0].assert(
            (4, 16),
            Level::Warning,
            &["ConfigMap shop/first defines the key `a`"],
        );
        found[1].assert(
            (14, 44),
            Level::Warning,
            &["ServiceAccount shop/deux defines the key `name`"],
        );
        found[2].assert(
            (16, 1),
            Level::Warning,
            &["This List defines the key `metadata`"],
        );
    }
}
