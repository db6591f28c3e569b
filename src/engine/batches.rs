//! Loading: the units are read and reduced to compact facts in parallel, in batches of
//! consecutive units, and each file's tree is dropped as soon as its facts are taken.
//! Batch `k`'s facts become run `k` of the model, and the checks later go through the
//! same batches, so neither depends on how the work was split between threads.

use rayon::prelude::*;

use super::plan::Plan;
use super::roots::RenderedRoot;
use super::unit::{Outcome, Unit, UnitReader};
use crate::files::{FileId, FileInfo, FileStatus};
use crate::load::{LoadFailure, Skip};
use crate::model::{FileModel, Model, Workload};
use crate::progress::Progress;
use crate::rule_id::Level;
use crate::{Notification, Stats, yaml};

/// Units per batch: small enough that a batch's spare capacity and its copy into
/// vectors of exact size cost little, large enough that there are few batches to go
/// through.
pub(crate) const UNITS_PER_BATCH: usize = 512;

/// What a batch of consecutive units contributes to the scan, in plan order.
#[derive(Default)]
struct Batch {
    model: FileModel,
    failures: Vec<(FileId, LoadFailure)>,
    notes: Vec<Notification>,
    stats: Stats,
    /// What the load learned about each file, for the file table once every batch is
    /// loaded (the table is shared by the threads meanwhile).
    files: Vec<(FileId, FileInfo)>,
}

impl Batch {
    /// Records what became of the file of the next unit; returns how many objects it
    /// holds.
    fn record(&mut self, file: FileId, path: &str, outcome: Outcome) -> u32 {
        let mut info = FileInfo::default();
        let mut note = |level, pos, message| {
            self.notes.push(Notification {
                level,
                path: Some(path.to_owned()),
                pos,
                message,
            });
        };
        match outcome {
            Outcome::Manifests {
                model,
                ignored_documents,
                failure,
                misspelled,
            } => {
                for (pos, message) in misspelled {
                    note(Level::Warning, Some(pos), message);
                }
                self.stats.ignored_documents += ignored_documents;
                let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                info.objects = count(model.objects);
                info.workloads = count(model.workload_objects);
                info.service_accounts = count(model.service_accounts.len());
                self.model.append(model);
                if let Some(failure) = failure {
                    info.status = FileStatus::Failed;
                    self.stats.invalid_files += 1;
                    self.failures.push((file, failure));
                }
            }
            Outcome::Kustomization => info.status = FileStatus::Kustomization,
            Outcome::Skipped(Skip::HelmTemplate) => {
                note(
                    Level::Note,
                    None,
                    "skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)".to_owned(),
                );
                info.status = FileStatus::HelmTemplate;
                self.stats.skipped_files += 1;
            }
            Outcome::Skipped(Skip::NotRegular(kind)) => {
                note(
                    Level::Warning,
                    None,
                    format!("skipped: not a regular file ({kind})"),
                );
                info.status = FileStatus::Skipped;
                self.stats.skipped_files += 1;
            }
            Outcome::Failed(failure) => {
                info.status = FileStatus::Failed;
                self.stats.invalid_files += 1;
                self.failures.push((file, failure));
            }
            Outcome::Unreadable(reason) => {
                // Fail closed: what could not be read may hide workloads (TG000).
                note(Level::Warning, None, format!("not read: {reason}"));
                info.status = FileStatus::Unreadable;
                self.stats.unreadable_files += 1;
                self.failures.push((
                    file,
                    LoadFailure {
                        pos: yaml::Pos::START,
                        reason: format!("cannot read the file: {reason}"),
                    },
                ));
            }
        }
        self.files.push((file, info));
        info.objects
    }
}

impl Batch {
    /// Records the model of a rendered root, under its kustomization file; returns how
    /// many objects it renders to.
    fn record_root(&mut self, root: &RenderedRoot, model: FileModel) -> u32 {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let info = FileInfo {
            status: FileStatus::Kustomization,
            objects: count(model.objects),
            workloads: count(model.workload_objects),
            service_accounts: count(model.service_accounts.len()),
        };
        self.model.append(model);
        self.files.push((root.root.kustomization, info));
        info.objects
    }
}

/// Every batch's contribution, in plan order: batch `k` of the workloads and of the
/// failures, and run `k` of the model, come from the units `plan.units` holds in batch
/// `k`.
pub(crate) struct Loaded {
    pub model: Model,
    /// Checked and dropped one batch at a time.
    pub workloads: Vec<Vec<Workload>>,
    pub failures: Vec<Vec<(FileId, LoadFailure)>>,
    pub notes: Vec<Notification>,
    pub stats: Stats,
}

/// Loads every unit of `plan`, counting files and objects in `progress`, and records
/// what became of each file in the plan's file table.
pub(crate) fn load(plan: &mut Plan, reader: &UnitReader<'_>, progress: &Progress) -> Loaded {
    let files = &plan.files;
    let roots = &plan.roots;
    let batches: Vec<Batch> = plan
        .units
        .par_iter()
        .fold_chunks(UNITS_PER_BATCH, Batch::default, |mut batch, &unit| {
            match unit {
                Unit::File(file) => {
                    let objects = batch.record(file, files.path(file), reader.load(files, file));
                    progress.file_done(objects as usize);
                }
                Unit::Root { index, .. } => {
                    let root = &roots[index as usize];
                    let objects = batch.record_root(root, root.take_model());
                    progress.file_done(objects as usize);
                }
                // Nothing to load: the config was read before the scan, and its checks
                // run before any batch's.
                Unit::Config(_) => {}
            }
            batch
        })
        .map(|mut batch| {
            // The facts are kept as they are to the end: in vectors of exact size.
            batch.model.shrink();
            batch
        })
        .collect();

    let mut loaded = Loaded {
        model: Model::default(),
        workloads: Vec::with_capacity(batches.len()),
        failures: Vec::with_capacity(batches.len()),
        notes: Vec::new(),
        stats: Stats::default(),
    };
    let info = &mut plan.files.info;
    for batch in batches {
        // Each batch's vectors become runs of the model as they are, never copied into
        // one vector of every fact.
        loaded.workloads.push(loaded.model.push(batch.model));
        loaded.failures.push(batch.failures);
        loaded.notes.extend(batch.notes);
        loaded.stats.add(&batch.stats);
        for (file, file_info) in batch.files {
            info[file.0 as usize] = file_info;
        }
    }
    loaded
}
