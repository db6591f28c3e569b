//! The unit of work, and how a unit that holds manifests is loaded into facts.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use crate::files::{FileId, Files};
use crate::k8s::kinds::WorkloadKinds;
use crate::load::{self, LoadFailure, Loaded, Skip};
use crate::model::{DuplicateKey, FileModel};
use crate::suppress;
use crate::yaml;

/// What is loaded and checked together, and the files its findings may point at. The
/// engine writes a finding once no unfinished unit can point at an earlier file (its
/// [watermark](Unit::watermark)), so a unit must never report outside its files.
///
/// A plain file is a unit of one file. A rendered Kustomize root will be one too, whose
/// findings may point at any of its inputs: its watermark is the lowest of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A manifest file, or standard input: its findings point into it alone.
    File(FileId),
    /// The checks of the config file's entries. They read every workload of the scan,
    /// so they run once everything is loaded and before any workload is dropped; their
    /// findings point into the config file.
    Config(FileId),
    /// A rendered Kustomize root, by its index in the plan: its findings may point at
    /// any of its inputs, the first of which is `first`.
    Root { index: u32, first: FileId },
}

impl Unit {
    /// The lowest file the unit's findings may point at: while the unit is unfinished,
    /// no finding in this file or a later one can be written.
    pub fn watermark(self) -> FileId {
        match self {
            Unit::File(file) | Unit::Config(file) => file,
            Unit::Root { first, .. } => first,
        }
    }

    /// Whether a finding of this unit may lie in `file`.
    pub fn may_point_at(self, file: FileId) -> bool {
        match self {
            Unit::File(own) | Unit::Config(own) => own == file,
            // Its inputs, which all lie at or after the first.
            Unit::Root { first, .. } => file >= first,
        }
    }
}

/// What became of a unit's file.
pub(crate) enum Outcome {
    Manifests {
        model: FileModel,
        ignored_documents: usize,
        failure: Option<LoadFailure>,
        /// Ignore annotations written wrong, which suppress nothing.
        misspelled: Vec<(yaml::Pos, String)>,
    },
    Kustomization,
    Skipped(Skip),
    Failed(LoadFailure),
    Unreadable(String),
}

/// What every unit is loaded with.
pub(crate) struct UnitReader<'a> {
    pub root: &'a Path,
    pub limits: &'a yaml::Limits,
    pub kinds: WorkloadKinds,
    pub default_namespace: &'a str,
    /// Standard input's bytes: the one file that cannot be read from a path.
    pub stdin: Option<&'a [u8]>,
}

impl UnitReader<'_> {
    /// Loads the manifests of a file unit (see [`Unit::File`]).
    pub fn load(&self, files: &Files, file: FileId) -> Outcome {
        match (files.get(file).fs_path(self.root), self.stdin) {
            (Some(fs_path), _) => self.load_file(file, &fs_path),
            (None, Some(bytes)) => guarded(|| self.outcome(file, load::load(bytes, self.limits))),
            // Only standard input has no path, and its bytes are always given.
            (None, None) => Outcome::Unreadable("no path to read it from".to_owned()),
        }
    }

    fn load_file(&self, file: FileId, path: &Path) -> Outcome {
        if load::is_helm_template_path(path) {
            return Outcome::Skipped(Skip::HelmTemplate);
        }
        if load::is_kustomization_path(path) {
            return Outcome::Kustomization;
        }
        let max_bytes = self.limits.max_file_bytes.min(yaml::MAX_FILE_BYTES_CEILING);
        match load::read_file(path, max_bytes, false) {
            Ok(bytes) => guarded(|| self.outcome(file, load::load(&bytes, self.limits))),
            Err(load::ReadError::NotRegular(kind)) => Outcome::Skipped(Skip::NotRegular(kind)),
            Err(load::ReadError::Io(e)) => Outcome::Unreadable(e.to_string()),
        }
    }

    fn outcome(&self, file: FileId, loaded: Loaded) -> Outcome {
        match loaded {
            Loaded::Manifests {
                mut stream,
                objects,
                ignored_documents,
                failure,
            } => {
                let misspelled = objects
                    .iter()
                    .flat_map(|&root| {
                        suppress::misspelled_ignores(stream.tree.node(root), &self.kinds)
                    })
                    .collect();
                stream.tree.set_file(file);
                let mut model =
                    FileModel::read(&stream.tree, &objects, &self.kinds, self.default_namespace);
                model.duplicate_keys =
                    DuplicateKey::read_all(&stream.tree, &objects, &stream.duplicates);
                Outcome::Manifests {
                    misspelled,
                    model,
                    ignored_documents,
                    failure,
                }
            }
            Loaded::Skipped(skip) => Outcome::Skipped(skip),
            Loaded::Failed(failure) => Outcome::Failed(failure),
        }
    }
}

/// Loads one file so that a bug that panics on it costs that file only: it becomes a
/// TG000 and every other file is still scanned (SPEC 10).
fn guarded(load: impl FnOnce() -> Outcome) -> Outcome {
    catch_unwind(AssertUnwindSafe(load)).unwrap_or_else(|_| {
        Outcome::Failed(LoadFailure {
            pos: yaml::Pos::START,
            reason:
                "internal error while loading this file (a bug in tokenguard: please report it)"
                    .to_owned(),
        })
    })
}
