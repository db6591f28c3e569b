//! tokenguard: finds every Kubernetes workload that would get an API token for a
//! service account that is not trusted, and the patterns that leak such tokens.
//!
//! The pipeline runs one way: [`discover`] -> [`load`] (per file, in parallel) ->
//! [`model`] -> [`index`] -> [`rules`] -> [`report`].

pub mod cli;
pub mod config;
pub mod discover;
pub mod finding;
pub mod index;
pub mod init;
pub mod load;
pub mod model;
pub mod progress;
pub mod rbac;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod suppress;
pub mod yaml;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use config::Config;
use discover::{Candidate, PathFilter};
use finding::{Finding, Level};
use load::{LoadFailure, Loaded, Skip};
use model::{FileModel, WorkloadKinds};

/// Index of a scanned file in [`Report::files`]; files are sorted by path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// What to scan and how.
#[derive(Debug)]
pub struct ScanOptions {
    /// Files and directories; `-` is standard input, given in `stdin`.
    pub paths: Vec<PathBuf>,
    /// Paths in reports are relative to it.
    pub root: PathBuf,
    pub config: Config,
    /// Overrides the config's `defaultNamespace`.
    pub default_namespace: Option<String>,
    /// Added to the config's path globs.
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub stdin: Option<Stdin>,
    pub limits: yaml::Limits,
    /// The date config exemptions are compared with (injectable for tests).
    pub today: jiff::civil::Date,
}

impl ScanOptions {
    /// A scan of `paths` relative to `root` with the built-in defaults: no config, the
    /// default limits, no standard input, exemptions judged on `today`.
    pub fn new(paths: Vec<PathBuf>, root: PathBuf, today: jiff::civil::Date) -> Self {
        ScanOptions {
            paths,
            root,
            config: Config::default(),
            default_namespace: None,
            include: Vec::new(),
            exclude: Vec::new(),
            stdin: None,
            limits: yaml::Limits::default(),
            today,
        }
    }
}

#[derive(Debug)]
pub struct Stdin {
    /// The name reports use for it.
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
}

/// A scanned file as reports show it.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the root, `/`-separated (absolute if outside the root).
    pub path: String,
    /// Where to read it again (for source snippets); `None` for standard input.
    pub fs_path: Option<PathBuf>,
    /// The text of standard input, kept because it cannot be read again.
    pub stdin_text: Option<Arc<str>>,
    pub status: FileStatus,
    pub objects: usize,
    pub workloads: usize,
    pub service_accounts: usize,
}

/// What became of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Loaded completely.
    Scanned,
    /// Loaded up to an error (TG000).
    Failed,
    /// A Kustomize file: configuration, not objects.
    Kustomization,
    /// The trust config, present for findings about its entries.
    Config,
    HelmTemplate,
    /// Not a regular file (a FIFO, device or socket named or found in a walk).
    Skipped,
    Unreadable,
}

/// Something worth telling that is not a finding: a skipped or unreadable file.
#[derive(Clone, Debug)]
pub struct Notification {
    pub level: Level,
    pub path: Option<String>,
    pub message: String,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub files: usize,
    pub objects: usize,
    pub workloads: usize,
    pub service_accounts: usize,
    /// YAML documents that are not Kubernetes objects (CI files, values, docs...).
    pub ignored_documents: usize,
    pub skipped_files: usize,
    /// Files that could not be read (an I/O error): TG000.
    pub unreadable_files: usize,
    /// Files that were read but could not be loaded completely (bad YAML or JSON, a
    /// limit reached): TG000.
    pub invalid_files: usize,
    pub elapsed: Duration,
}

#[derive(Debug)]
pub struct Report {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    /// Sorted by path, position and rule id.
    pub findings: Vec<Finding>,
    pub notifications: Vec<Notification>,
    pub stats: Stats,
    pub config: Config,
}

impl Report {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The findings that count: those not suppressed (SPEC 7).
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> + Clone {
        self.findings.iter().filter(|f| !f.is_suppressed())
    }

    /// The highest level among findings that are not suppressed, if any.
    pub fn worst_level(&self) -> Option<Level> {
        self.active_findings().map(|f| f.level).max()
    }
}

enum Outcome {
    Manifests {
        model: FileModel,
        ignored_documents: usize,
        failure: Option<LoadFailure>,
    },
    Kustomization,
    Skipped(Skip),
    Failed(LoadFailure),
    Unreadable(String),
}

pub fn scan(options: ScanOptions) -> Result<Report, Error> {
    scan_with_progress(options, &progress::Progress::default())
}

/// [`scan`], counting files and objects in `progress` as it goes.
pub fn scan_with_progress(
    options: ScanOptions,
    progress: &progress::Progress,
) -> Result<Report, Error> {
    let started = Instant::now();
    let config = options.config;
    let default_namespace = options
        .default_namespace
        .or_else(|| config.default_namespace.clone())
        .unwrap_or_else(|| "default".to_owned());
    let mut include = config.include.clone();
    include.extend(options.include);
    let mut exclude = config.exclude.clone();
    exclude.extend(options.exclude);
    let filter = PathFilter::new(&include, &exclude)?;

    let named: Vec<PathBuf> = options
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let discovered = discover::discover(
        &named,
        &options.root,
        &filter,
        options.limits.follow_symlinks,
    )?;
    let mut notifications = discovered.notes;

    let mut files: Vec<SourceFile> = discovered
        .files
        .iter()
        .map(|c| SourceFile {
            path: c.display.clone(),
            fs_path: Some(c.fs_path.clone()),
            stdin_text: None,
            status: FileStatus::Scanned,
            objects: 0,
            workloads: 0,
            service_accounts: 0,
        })
        .collect();
    let reader = FileReader {
        limits: &options.limits,
        kinds: WorkloadKinds::with_extra(config.workload_kinds.clone()),
        default_namespace: &default_namespace,
    };
    progress.reading(discovered.files.len() + usize::from(options.stdin.is_some()));
    let mut outcomes: Vec<Outcome> = discovered
        .files
        .par_iter()
        .enumerate()
        .map(|(i, candidate)| {
            let outcome = reader.scan_file(FileId(i as u32), candidate);
            let objects = match &outcome {
                Outcome::Manifests { model, .. } => model.objects,
                _ => 0,
            };
            progress.file_done(objects);
            outcome
        })
        .collect();
    if let Some(stdin) = options.stdin {
        let id = FileId(files.len() as u32);
        let text: Arc<str> = String::from_utf8_lossy(&stdin.bytes).into();
        outcomes.push(guarded(|| {
            reader.outcome(id, load::load(&stdin.bytes, reader.limits))
        }));
        files.push(SourceFile {
            path: stdin.name,
            fs_path: None,
            stdin_text: Some(text),
            status: FileStatus::Scanned,
            objects: 0,
            workloads: 0,
            service_accounts: 0,
        });
    }

    let mut model = FileModel::default();
    let mut failures = Vec::new();
    let mut stats = Stats {
        files: files.len(),
        ..Stats::default()
    };
    for (i, result) in outcomes.into_iter().enumerate() {
        let id = FileId(i as u32);
        let file = &mut files[i];
        match result {
            Outcome::Manifests {
                model: file_model,
                ignored_documents,
                failure,
            } => {
                stats.ignored_documents += ignored_documents;
                file.objects = file_model.objects;
                file.workloads = file_model.workload_objects;
                file.service_accounts = file_model.service_accounts.len();
                model.append(file_model);
                if let Some(failure) = failure {
                    file.status = FileStatus::Failed;
                    stats.invalid_files += 1;
                    failures.push((id, failure));
                }
            }
            Outcome::Kustomization => file.status = FileStatus::Kustomization,
            Outcome::Skipped(Skip::HelmTemplate) => {
                file.status = FileStatus::HelmTemplate;
                stats.skipped_files += 1;
                notifications.push(Notification {
                    level: Level::Note,
                    path: Some(file.path.clone()),
                    message: "skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)".to_owned(),
                });
            }
            Outcome::Failed(failure) => {
                file.status = FileStatus::Failed;
                stats.invalid_files += 1;
                failures.push((id, failure));
            }
            Outcome::Skipped(Skip::NotRegular(kind)) => {
                file.status = FileStatus::Skipped;
                stats.skipped_files += 1;
                notifications.push(Notification {
                    level: Level::Warning,
                    path: Some(file.path.clone()),
                    message: format!("skipped: not a regular file ({kind})"),
                });
            }
            Outcome::Unreadable(reason) => {
                // Fail closed: what could not be read may hide workloads (TG000).
                file.status = FileStatus::Unreadable;
                stats.unreadable_files += 1;
                notifications.push(Notification {
                    level: Level::Warning,
                    path: Some(file.path.clone()),
                    message: format!("not read: {reason}"),
                });
                failures.push((
                    id,
                    LoadFailure {
                        pos: yaml::Pos::START,
                        reason: format!("cannot read the file: {reason}"),
                    },
                ));
            }
        }
    }
    let config_file = config.source.as_ref().map(|shown| {
        files.push(SourceFile {
            path: shown.clone(),
            fs_path: config.path.clone(),
            stdin_text: None,
            status: FileStatus::Config,
            objects: 0,
            workloads: 0,
            service_accounts: 0,
        });
        FileId(files.len() as u32 - 1)
    });
    stats.objects = model.objects;
    stats.workloads = model.workload_objects;
    stats.service_accounts = model.service_accounts.len();

    let index = index::Index::build(&model, &default_namespace);
    let context = rules::Context {
        files: &files,
        model: &model,
        failures: &failures,
        index: &index,
        config: &config,
        default_namespace: &default_namespace,
        config_file,
        today: options.today,
    };
    progress.checking();
    let mut findings = rules::run(&context);
    suppress::apply(&mut findings, &config, options.today);
    // By path first: standard input and the config file come after the scanned files in
    // `files` but must sort by their names like any other file (SPEC 3.1).
    let path = |f: &Finding| files[f.location.file.0 as usize].path.as_str();
    findings.sort_by(|a, b| {
        (path(a), a.location.region, a.rule.id, &a.message).cmp(&(
            path(b),
            b.location.region,
            b.rule.id,
            &b.message,
        ))
    });
    stats.elapsed = started.elapsed();
    Ok(Report {
        root: options.root,
        files,
        findings,
        notifications,
        stats,
        config,
    })
}

/// What every file is read with.
struct FileReader<'a> {
    limits: &'a yaml::Limits,
    kinds: WorkloadKinds,
    default_namespace: &'a str,
}

impl FileReader<'_> {
    fn scan_file(&self, id: FileId, candidate: &Candidate) -> Outcome {
        let path = &candidate.fs_path;
        if load::is_helm_template_path(path) {
            return Outcome::Skipped(Skip::HelmTemplate);
        }
        if load::is_kustomization_path(path) {
            return Outcome::Kustomization;
        }
        let max_bytes = self.limits.max_file_bytes.min(yaml::MAX_FILE_BYTES_CEILING);
        match load::read_file(path, max_bytes, false) {
            Ok(bytes) => guarded(|| self.outcome(id, load::load(&bytes, self.limits))),
            Err(load::ReadError::NotRegular(kind)) => Outcome::Skipped(Skip::NotRegular(kind)),
            Err(load::ReadError::Io(e)) => Outcome::Unreadable(e.to_string()),
        }
    }

    fn outcome(&self, id: FileId, loaded: Loaded) -> Outcome {
        match loaded {
            Loaded::Manifests {
                stream,
                objects,
                ignored_documents,
                failure,
            } => Outcome::Manifests {
                model: FileModel::read(
                    id,
                    &stream.tree,
                    &objects,
                    &self.kinds,
                    self.default_namespace,
                ),
                ignored_documents,
                failure,
            },
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
