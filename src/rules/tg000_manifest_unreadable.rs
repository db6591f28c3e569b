use super::{Context, Rule, RuleMeta, RunFacts};
use crate::finding::Finding;
use crate::origin::Origin;
use crate::rule_id::{Level, RuleId};
use crate::yaml::{Pos, Span};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: RuleId::ManifestUnreadable,
        level: Level::Error,
        security_severity: "5.0",
        summary: "A manifest file could not be read or parsed, so its workloads were not checked.",
        description: "A file matched by the scan could not be read or loaded: invalid YAML or JSON, not UTF-8, binary, too large, nested too deeply, expanding aliases without bound or holding too many documents. Objects in it (from the error on) are invisible to every other rule, so the scan fails closed and reports the file.",
        help: HELP,
        help_uri: "https://kubernetes.io/docs/concepts/overview/working-with-objects/",
        tags: &["security", "kubernetes", "correctness"],
    },
    check_facts: Some(check),
    check_config: None,
    check_workload: None,
};

const HELP: &str = r#"## TG000 manifest-unreadable

**What it finds.** A YAML or JSON file in the scan that could not be read or loaded: a
syntax error that kubectl would refuse too, content that is not UTF-8, is binary or holds
control characters, a file over the size limit (16 MiB by default,
`--max-file-size`), nesting deeper than 256 levels, aliases that expand to more than a
million nodes or 16 MiB of text, more than 10,000 documents in one file, or a file the
operating system could not read. A key written twice is not a TG000: kubectl keeps the
last value, and so does tokenguard, which reports the repeat as TG015.

**Why it matters.** tokenguard cannot see the workloads in a file it cannot read. A
broken file would otherwise be a silent pass: a pull request could hide a workload that
mounts a token behind a syntax error. The finding is an error so that `--fail-on error`
fails the job.

**How to fix.** Fix the file at the position shown, for example:

```yaml
# before: the second line is indented under a scalar
metadata:
  name: api
    namespace: prod
# after
metadata:
  name: api
  namespace: prod
```

Helm chart templates are not manifests: tokenguard skips files under a chart's
`templates/` folder and files with template actions that are not valid YAML. Scan the
rendered chart instead: `helm template . | tokenguard scan - --stdin-filename chart.yaml`.

**How to suppress.** Exclude the file in `.tokenguard.yaml` (`paths.exclude`) if it is not
a manifest, or turn the rule off with `rules: {TG000: off}` (not recommended).

**References.** [Objects in Kubernetes](https://kubernetes.io/docs/concepts/overview/working-with-objects/),
[YAML 1.1 specification](https://yaml.org/spec/1.1/).
"#;

const MESSAGE_START: &str = "This file could not be loaded (";
const MESSAGE_END: &str = "); the objects in it from the document with the error on are not scanned. Fix the file, or exclude it in .tokenguard.yaml if it is not a manifest.";

/// Why the file of a TG000 message could not be loaded (what `init` shows beside its
/// `paths.exclude` candidate).
pub(crate) fn load_reason(message: &str) -> Option<&str> {
    message
        .strip_prefix(MESSAGE_START)?
        .strip_suffix(MESSAGE_END)
}

fn check(_: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for (file, failure) in facts.failures {
        let region = Span {
            start: failure.pos,
            end: Pos {
                line: failure.pos.line,
                col: failure.pos.col + 1,
            },
        };
        let message = format!("{MESSAGE_START}{}{MESSAGE_END}", failure.reason);
        // No detail: a file has at most one load failure, and its reason can hold
        // positions that would change the fingerprint when lines move.
        out.push(RULE.meta.finding(Origin::new(*file, region), message));
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::finding::Level;
    use crate::rules::testing::check;

    #[test]
    fn fires_at_the_parse_error_of_a_yaml_file() {
        let found = check(
            &RULE,
            "
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: api
                namespace: shop
            ",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert(
            (5, 14),
            Level::Error,
            &[
                "invalid YAML: mapping values are not allowed",
                "not scanned",
            ],
        );
    }

    #[test]
    fn fires_at_the_parse_error_of_a_json_file() {
        let found = check(
            &RULE,
            r#"
            {
              "apiVersion": "v1",
              "kind": "ServiceAccount"
              "metadata": {"name": "api"}
            }
            "#,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        found[0].assert((4, 3), Level::Error, &["invalid JSON"]);
    }

    #[test]
    fn comments_empty_documents_and_document_ends_are_valid() {
        let found = check(
            &RULE,
            "
            # nothing here
            ---
            ...
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: api, namespace: shop}
            ...
            ---
            owner: platform-team
            ",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
