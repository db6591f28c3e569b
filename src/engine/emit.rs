//! Checking and writing. The config's checks run first, then the batches of units a
//! window at a time; each finished unit's findings are held until no unfinished unit can
//! point at an earlier file, then written in report order, where each gets its level,
//! suppression, fingerprint and baseline state.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::batches::UNITS_PER_BATCH;
use super::unit::Unit;
use crate::baseline::Baseline;
use crate::files::FileId;
use crate::finding::{Finding, Fingerprinter};
use crate::load::LoadFailure;
use crate::model::Workload;
use crate::report::Sink;
use crate::rules::{self, Context, RunFacts};
use crate::{Error, Scanned, Totals, suppress};

/// Report order (SPEC 3.1): by file (file ids follow paths), position and rule, then
/// object and detail. Findings equal in all of these keep the order they were held in,
/// which is plan order whatever the thread count.
pub(crate) fn report_order(a: &Finding, b: &Finding) -> Ordering {
    fn key(f: &Finding) -> impl Ord + '_ {
        let object = f.object.as_ref().map(|o| (&o.namespace, &o.kind, &o.name));
        (
            f.location.file,
            f.location.region,
            f.rule,
            object,
            &f.detail,
        )
    }
    key(a).cmp(&key(b))
}

/// The findings of finished units that cannot be written yet: an unfinished unit may
/// still find something in an earlier file, or earlier in the same file.
#[derive(Default)]
pub(crate) struct Held {
    findings: Vec<Finding>,
}

impl Held {
    /// Holds the findings of units that just finished, after those held before.
    pub fn add(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
    }

    /// Moves to `out`, in report order, the findings that lie before `watermark`, the
    /// lowest file an unfinished unit may point at; every finding when no unit is left
    /// (`None`).
    pub fn release(&mut self, watermark: Option<FileId>, out: &mut Vec<Finding>) {
        // Stable, and close to one pass: what is held is a few sorted runs.
        self.findings.sort_by(report_order);
        let safe = match watermark {
            Some(watermark) => self
                .findings
                .partition_point(|f| f.location.file < watermark),
            None => self.findings.len(),
        };
        out.extend(self.findings.drain(..safe));
    }
}

/// The lowest file the units left (in plan order, so by watermark) may point at.
fn watermark(left: &[Unit]) -> Option<FileId> {
    left.first().map(|unit| unit.watermark())
}

/// What the findings are written to, and what they are counted and identified with.
pub(crate) struct Output<'a> {
    pub scanned: &'a Scanned,
    pub sink: &'a mut (dyn Sink + Send),
    pub baseline: Option<&'a mut Baseline>,
}

/// The loaded units, in batches of [`UNITS_PER_BATCH`]: what is left to check.
pub(crate) struct Batches<'a> {
    /// Every unit, in plan order.
    pub units: &'a [Unit],
    /// One list per batch, dropped as the batch is checked.
    pub workloads: Vec<Vec<Workload>>,
    pub failures: &'a [Vec<(FileId, LoadFailure)>],
}

/// Checks every unit and writes the findings to the output as soon as no unfinished
/// unit can point at an earlier file. Returns the totals of what was written.
pub(crate) fn check_and_write(
    context: &Context<'_>,
    batches: Batches<'_>,
    output: Output<'_>,
) -> Result<Totals, Error> {
    let Batches {
        units,
        workloads,
        failures,
    } = batches;
    let in_order = |findings: &mut Vec<Finding>| {
        suppress::apply(findings, context.config, context.today);
        findings.sort_by(report_order);
    };
    let mut held = Held::default();
    // The config's checks read every workload, so they run before any is dropped.
    let mut config_findings = rules::check_config(context, &workloads);
    debug_assert!(
        config_findings
            .iter()
            .all(|f| Some(f.location.file) == context.config_file),
        "a finding of the config's checks lies outside the config file"
    );
    in_order(&mut config_findings);
    held.add(config_findings);

    let Output {
        scanned,
        sink,
        mut baseline,
    } = output;
    let mut totals = Totals::default();
    let mut fingerprinter = Fingerprinter::default();
    // Findings reach this in report order: each gets its fingerprint here, once, and
    // every output prints that one; the baseline is keyed on it.
    let mut write = |batch: &mut [Finding], totals: &mut Totals| {
        for finding in batch.iter_mut() {
            fingerprinter.assign(finding, &scanned.files);
            if let Some(baseline) = &mut baseline {
                let state = baseline.state_of(finding, finding.unit_path(&scanned.files));
                finding.baseline = Some(state);
            }
            totals.add(finding);
        }
        sink.findings(scanned, batch)
    };

    let model = context.model;
    let check_batch = |k: usize, batch: &[Unit], workloads: Vec<Workload>| {
        let facts = RunFacts {
            service_accounts: model.service_accounts.run(k),
            token_secrets: model.token_secrets.run(k),
            roles: model.roles.run(k),
            duplicate_keys: model.duplicate_keys.run(k),
            failures: &failures[k],
        };
        let mut findings = rules::check_run(context, &facts, &workloads);
        // The watermark relies on it.
        debug_assert!(
            findings
                .iter()
                .all(|f| batch.iter().any(|unit| unit.may_point_at(f.location.file))),
            "a finding of batch {k} lies outside its units' files"
        );
        in_order(&mut findings);
        findings
    };

    // A few batches per thread at a time: enough to keep every thread busy, few enough
    // that their findings are a small part of what is held. Each window's findings are
    // written while the next window is checked.
    let window = rayon::current_num_threads() * 4;
    let mut batches = workloads
        .into_iter()
        .zip(units.chunks(UNITS_PER_BATCH))
        .enumerate()
        .peekable();
    let mut released = Vec::new();
    loop {
        let checking: Vec<_> = batches.by_ref().take(window).collect();
        if checking.is_empty() {
            break;
        }
        let (written, checked) = rayon::join(
            || write(&mut released, &mut totals),
            || -> Vec<Vec<Finding>> {
                checking
                    .into_par_iter()
                    .map(|(k, (workloads, batch))| check_batch(k, batch, workloads))
                    .collect()
            },
        );
        written.map_err(Error::Write)?;
        released.clear();
        held.add(checked.into_iter().flatten());
        let next = batches
            .peek()
            .map_or(units.len(), |(k, _)| k * UNITS_PER_BATCH);
        held.release(watermark(&units[next..]), &mut released);
    }
    held.release(None, &mut released);
    write(&mut released, &mut totals).map_err(Error::Write)?;
    Ok(totals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Location, ObjectRef};
    use crate::rule_id::{Level, RuleId};
    use crate::yaml::{Pos, Span};

    /// A TG001 in `file` at `line`:1, whose message says `message`.
    fn finding(file: u32, line: u32, message: &str) -> Finding {
        let start = Pos { line, col: 1 };
        let region = Span { start, end: start };
        Finding::new(
            RuleId::TokenAutomountUntrusted,
            Level::Error,
            Location {
                file: FileId(file),
                region,
            },
            message.to_owned(),
        )
    }

    fn object(namespace: &str, kind: &str, name: &str) -> ObjectRef {
        ObjectRef {
            namespace: namespace.into(),
            kind: kind.into(),
            name: name.into(),
            ignores: Box::default(),
            root: None,
        }
    }

    fn messages(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| &*f.message).collect()
    }

    #[test]
    fn held_findings_are_released_once_no_unfinished_unit_can_point_before_them() {
        let mut held = Held::default();
        let mut out = Vec::new();
        // The config file (3) is checked first; then the units of files 0-2.
        held.add([finding(3, 2, "config 2:1"), finding(3, 1, "config 1:1")]);
        held.release(Some(FileId(0)), &mut out);
        assert!(out.is_empty(), "file 0's unit is unfinished");
        held.add([
            finding(0, 9, "0 9:1"),
            finding(1, 4, "1 4:1"),
            finding(1, 2, "1 2:1"),
        ]);
        held.release(Some(FileId(1)), &mut out);
        assert_eq!(messages(&out), ["0 9:1"], "file 1's unit may still report");
        held.add([finding(2, 1, "2 1:1")]);
        held.release(Some(FileId(4)), &mut out);
        assert_eq!(
            messages(&out),
            [
                "0 9:1",
                "1 2:1",
                "1 4:1",
                "2 1:1",
                "config 1:1",
                "config 2:1"
            ]
        );
        held.add([finding(4, 1, "4 1:1")]);
        held.release(None, &mut out);
        assert_eq!(out.len(), 7);
        assert_eq!(messages(&out[6..]), ["4 1:1"]);
        assert!(held.findings.is_empty());
    }

    #[test]
    fn a_finding_in_the_watermark_file_waits_for_that_file_to_finish() {
        let mut held = Held::default();
        let mut out = Vec::new();
        held.add([finding(5, 30, "5 30:1")]);
        held.release(Some(FileId(5)), &mut out);
        assert!(out.is_empty());
        // The unit of file 5 finds something earlier in its own file.
        held.add([finding(5, 3, "5 3:1")]);
        held.release(Some(FileId(6)), &mut out);
        assert_eq!(messages(&out), ["5 3:1", "5 30:1"]);
    }

    #[test]
    fn the_watermark_is_the_first_unfinished_units() {
        let units = [
            Unit::File(FileId(0)),
            Unit::Config(FileId(1)),
            Unit::File(FileId(2)),
        ];
        assert_eq!(watermark(&units), Some(FileId(0)));
        assert_eq!(watermark(&units[1..]), Some(FileId(1)));
        assert_eq!(watermark(&units[3..]), None);
    }

    #[test]
    fn report_order_breaks_ties_by_object_then_detail_and_never_by_message() {
        // One position, one rule: an anchored pod spec that two workloads share.
        let a = finding(0, 1, "StatefulSet a/db").object(object("a", "StatefulSet", "db"));
        let z = finding(0, 1, "Deployment z/web").object(object("z", "Deployment", "web"));
        assert_eq!(report_order(&a, &z), Ordering::Less);
        let x = a.clone().detail("x");
        let y = a.clone().detail("y");
        assert_eq!(
            report_order(&y.clone().object(object("a", "Pod", "p")), &x),
            Ordering::Less
        );
        assert_eq!(report_order(&x, &y), Ordering::Less);
        let earlier_rule = Finding {
            rule: RuleId::ManifestUnreadable,
            ..z.clone()
        };
        assert_eq!(report_order(&earlier_rule, &a), Ordering::Less);
        let other_message = Finding {
            message: "something else".into(),
            ..x.clone()
        };
        assert_eq!(report_order(&x, &other_message), Ordering::Equal);
    }

    #[test]
    fn equal_findings_keep_the_order_they_were_held_in() {
        let mut held = Held::default();
        let mut out = Vec::new();
        held.add([finding(1, 1, "second unit")]);
        held.add([finding(0, 1, "first"), finding(1, 1, "third unit")]);
        held.release(None, &mut out);
        assert_eq!(messages(&out), ["first", "second unit", "third unit"]);
    }
}
