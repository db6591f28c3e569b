use super::{Context, Rule, RuleMeta, RunFacts, at};
use crate::finding::{Finding, Level};
use crate::yaml::{Pos, Span};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "TG000",
        name: "manifest-unreadable",
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

fn check(_: &Context<'_>, facts: &RunFacts<'_>, out: &mut Vec<Finding>) {
    for (file, failure) in facts.failures {
        let region = Span {
            start: failure.pos,
            end: Pos {
                line: failure.pos.line,
                col: failure.pos.col + 1,
            },
        };
        let message = format!(
            "This file could not be loaded ({}); the objects in it from the document with the error on are not scanned. Fix the file, or exclude it in .tokenguard.yaml if it is not a manifest.",
            failure.reason
        );
        // No detail: a file has at most one load failure, and its reason can hold
        // positions that would change the fingerprint when lines move.
        out.push(Finding::new(&RULE.meta, at(*file, region), message));
    }
}
