//! tokenguard: finds every Kubernetes workload that would get an API token for a
//! service account that is not trusted, and the patterns that leak such tokens.
//!
//! The pipeline runs one way: [`discover`] -> [`load`] (per file, in parallel) ->
//! [`model`] -> [`index`] -> [`rules`] -> [`report`].

pub mod cli;
pub mod config;
pub mod discover;
pub mod finding;
#[cfg(feature = "heap-stats")]
pub mod heap_stats;
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
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use config::Config;
use discover::PathFilter;
use finding::{Finding, Level};
use load::{LoadFailure, Loaded, Skip};
use model::{FileModel, Model, Workload, WorkloadKinds};

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
    pub source: Source,
    pub status: FileStatus,
    pub objects: u32,
    pub workloads: u32,
    pub service_accounts: u32,
}

/// Where a file's text is read from (again, for source snippets).
#[derive(Debug)]
pub enum Source {
    /// The root joined with the file's `path`: most files, so no second path is kept.
    UnderRoot,
    /// Elsewhere: a link's target, a name that is not UTF-8, the config file.
    Path(Box<Path>),
    /// Standard input, kept because it cannot be read again.
    Stdin(Arc<str>),
}

impl SourceFile {
    /// Where to read the file; `None` for standard input.
    pub fn fs_path(&self, root: &Path) -> Option<std::borrow::Cow<'_, Path>> {
        match &self.source {
            Source::UnderRoot => Some(root.join(&self.path).into()),
            Source::Path(path) => Some(path.as_ref().into()),
            Source::Stdin(_) => None,
        }
    }

    fn new(path: String, source: Source) -> SourceFile {
        SourceFile {
            path,
            source,
            status: FileStatus::Scanned,
            objects: 0,
            workloads: 0,
            service_accounts: 0,
        }
    }
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

impl Stats {
    /// Adds the per-file counts of `other` (those a file's outcome sets).
    fn add(&mut self, other: &Stats) {
        self.ignored_documents += other.ignored_documents;
        self.skipped_files += other.skipped_files;
        self.unreadable_files += other.unreadable_files;
        self.invalid_files += other.invalid_files;
    }
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

/// Files per run of the model (see [`model::Runs`]): small enough that a run's spare
/// capacity and its copy into an exact-size vector cost little, large enough that
/// there are few runs to look through.
const FILES_PER_PIECE: usize = 512;

/// What a run of consecutive files contributes to the scan, in file order.
#[derive(Default)]
struct Merged {
    model: FileModel,
    failures: Vec<(FileId, LoadFailure)>,
    notes: Vec<Notification>,
    stats: Stats,
}

impl Merged {
    /// Records what became of the next file, in `file` and in this run's contribution.
    fn record(&mut self, id: FileId, file: &mut SourceFile, outcome: Outcome) {
        let merged = self;
        let mut note = |level, message| {
            merged.notes.push(Notification {
                level,
                path: Some(file.path.clone()),
                message,
            });
        };
        match outcome {
            Outcome::Manifests {
                model,
                ignored_documents,
                failure,
            } => {
                merged.stats.ignored_documents += ignored_documents;
                let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                file.objects = count(model.objects);
                file.workloads = count(model.workload_objects);
                file.service_accounts = count(model.service_accounts.len());
                merged.model.append(model);
                if let Some(failure) = failure {
                    file.status = FileStatus::Failed;
                    merged.stats.invalid_files += 1;
                    merged.failures.push((id, failure));
                }
            }
            Outcome::Kustomization => file.status = FileStatus::Kustomization,
            Outcome::Skipped(Skip::HelmTemplate) => {
                note(
                    Level::Note,
                    "skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)".to_owned(),
                );
                file.status = FileStatus::HelmTemplate;
                merged.stats.skipped_files += 1;
            }
            Outcome::Skipped(Skip::NotRegular(kind)) => {
                note(
                    Level::Warning,
                    format!("skipped: not a regular file ({kind})"),
                );
                file.status = FileStatus::Skipped;
                merged.stats.skipped_files += 1;
            }
            Outcome::Failed(failure) => {
                file.status = FileStatus::Failed;
                merged.stats.invalid_files += 1;
                merged.failures.push((id, failure));
            }
            Outcome::Unreadable(reason) => {
                // Fail closed: what could not be read may hide workloads (TG000).
                note(Level::Warning, format!("not read: {reason}"));
                file.status = FileStatus::Unreadable;
                merged.stats.unreadable_files += 1;
                merged.failures.push((
                    id,
                    LoadFailure {
                        pos: yaml::Pos::START,
                        reason: format!("cannot read the file: {reason}"),
                    },
                ));
            }
        }
    }

    /// The pieces one after the other. Their facts are not copied: each piece's
    /// vectors become runs of the model, and its workloads one run of workloads.
    fn gather(pieces: Vec<Merged>) -> Gathered {
        let mut gathered = Gathered {
            model: Model::default(),
            workloads: Vec::with_capacity(pieces.len()),
            failures: Vec::new(),
            notes: Vec::new(),
            stats: Stats::default(),
        };
        for piece in pieces {
            gathered.workloads.push(gathered.model.push(piece.model));
            gathered.failures.extend(piece.failures);
            gathered.notes.extend(piece.notes);
            gathered.stats.add(&piece.stats);
        }
        gathered
    }
}

/// Every piece's contribution, in file order.
struct Gathered {
    model: Model,
    /// One run of workloads per piece, checked and dropped one run at a time.
    workloads: Vec<Vec<Workload>>,
    failures: Vec<(FileId, LoadFailure)>,
    notes: Vec<Notification>,
    stats: Stats,
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
        .into_iter()
        .map(|c| {
            let source = c
                .fs_path
                .map_or(Source::UnderRoot, |p| Source::Path(p.into()));
            SourceFile::new(c.display, source)
        })
        .collect();
    // Room for standard input and the config file, so that adding them does not copy
    // the list of a large scan into one twice its size.
    files.reserve_exact(2);
    let reader = FileReader {
        limits: &options.limits,
        kinds: WorkloadKinds::with_extra(config.workload_kinds.clone()),
        default_namespace: &default_namespace,
    };
    progress.reading(files.len() + usize::from(options.stdin.is_some()));
    // Files are read and parsed in parallel, and each file's tree is dropped as soon as
    // its compact facts are taken. The facts of each run of FILES_PER_PIECE consecutive
    // files are moved into vectors of their exact size and kept as they are: the model
    // is those runs in file order, never copied into one vector, and it does not depend
    // on how the work was split between threads.
    let mut pieces: Vec<Merged> = files
        .par_iter_mut()
        .enumerate()
        .fold_chunks(FILES_PER_PIECE, Merged::default, |mut merged, (i, file)| {
            let id = FileId(i as u32);
            let outcome = match file.fs_path(&options.root) {
                Some(path) => reader.scan_file(id, &path),
                // Only standard input has no path, and it joins after this loop.
                None => Outcome::Unreadable("no path to read it from".to_owned()),
            };
            merged.record(id, file, outcome);
            progress.file_done(file.objects as usize);
            merged
        })
        .map(|mut piece| {
            piece.model.shrink();
            piece
        })
        .collect();
    if let Some(stdin) = options.stdin {
        let id = FileId(files.len() as u32);
        let text: Arc<str> = String::from_utf8_lossy(&stdin.bytes).into();
        let outcome = guarded(|| reader.outcome(id, load::load(&stdin.bytes, reader.limits)));
        let mut file = SourceFile::new(stdin.name, Source::Stdin(text));
        let mut piece = Merged::default();
        piece.record(id, &mut file, outcome);
        pieces.push(piece);
        files.push(file);
    }
    release_freed_memory();
    let Gathered {
        model,
        workloads,
        failures,
        notes,
        mut stats,
    } = Merged::gather(pieces);
    phase_done("loaded");
    notifications.extend(notes);
    stats.files = files.len();
    let config_file = config.source.as_ref().map(|shown| {
        let source = match &config.path {
            Some(path) => Source::Path(path.as_path().into()),
            None => Source::UnderRoot,
        };
        let mut file = SourceFile::new(shown.clone(), source);
        file.status = FileStatus::Config;
        files.push(file);
        FileId(files.len() as u32 - 1)
    });
    stats.objects = model.objects;
    stats.workloads = model.workload_objects;
    stats.service_accounts = model.service_accounts.len();

    let index = index::Index::build(&model, &default_namespace);
    phase_done("index built");
    let mut context = rules::Context {
        files: &files,
        model: &model,
        failures: &failures,
        index: &index,
        config: &config,
        default_namespace: &default_namespace,
        config_file,
        today: options.today,
        trusted_in_use: &[],
    };
    progress.checking();
    // Each run of workloads is dropped as soon as it is checked, so the findings grow
    // as the workloads shrink.
    let checked: Vec<rules::WorkloadsChecked> = workloads
        .into_par_iter()
        .map(|run| rules::check_workloads(&context, &run))
        .collect();
    release_freed_memory();
    let mut trusted_in_use = vec![false; config.trusted.len()];
    let mut parts = Vec::with_capacity(checked.len() + rules::ALL.len());
    for run in checked {
        for (used, run_used) in trusted_in_use.iter_mut().zip(run.trusted_in_use) {
            *used |= run_used;
        }
        parts.push(run.findings);
    }
    context.trusted_in_use = &trusted_in_use;
    phase_done("workloads checked");
    parts.extend(rules::check_facts(&context));
    phase_done("facts checked");
    // The findings own what they show: the facts are dropped before they are joined.
    drop(index);
    drop(model);
    release_freed_memory();
    let mut findings = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for mut part in parts {
        findings.append(&mut part);
    }
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
    phase_done("findings joined and sorted");
    Ok(Report {
        root: options.root,
        files,
        findings,
        notifications,
        stats,
        config,
    })
}

/// Marks the end of a phase of the scan: with `--features heap-stats`, prints the heap.
fn phase_done(phase: &str) {
    #[cfg(feature = "heap-stats")]
    heap_stats::phase_done(phase);
    #[cfg(not(feature = "heap-stats"))]
    let _ = phase;
}

/// Moves `items` into a vector of its exact length: the spare capacity of a grown vector
/// is resident memory that a large scan would otherwise keep to the end.
pub(crate) fn shrink_exact<T>(items: &mut Vec<T>) {
    if items.capacity() > items.len() {
        let mut exact = Vec::with_capacity(items.len());
        exact.append(items);
        *items = exact;
    }
}

/// What every file is read with.
struct FileReader<'a> {
    limits: &'a yaml::Limits,
    kinds: WorkloadKinds,
    default_namespace: &'a str,
}

impl FileReader<'_> {
    fn scan_file(&self, id: FileId, path: &Path) -> Outcome {
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

/// Hands the memory freed by the phase that just ended back to the system. mimalloc
/// (the binary's allocator) keeps freed pages for reuse, but what one phase frees (YAML
/// trees, checked workloads, the facts) is mostly of sizes the next phase does not
/// allocate, so a large scan's resident memory would otherwise keep every phase's peak.
/// Each of the scan's threads has its own heap, so each collects its own.
fn release_freed_memory() {
    // SAFETY: `mi_collect` has no preconditions; it only returns unused pages of the
    // calling thread's mimalloc heap (which holds nothing when mimalloc is not the
    // global allocator, as in the tests that call `scan` in process).
    rayon::broadcast(|_| unsafe { libmimalloc_sys::mi_collect(true) });
    unsafe { libmimalloc_sys::mi_collect(true) };
}
