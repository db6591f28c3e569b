//! tokenguard: finds every Kubernetes workload that would get an API token for a
//! service account that is not trusted, and the patterns that leak such tokens.
//!
//! The pipeline runs one way: [`discover`] -> [`load`] (per file, in parallel) ->
//! [`model`] -> [`index`] -> [`rules`] -> [`report`]. The rules check the files a run at
//! a time and each run's findings go to the reports ([`report::Sink`]) at once, so
//! memory holds the facts that rules read across files, not every finding.

pub mod baseline;
pub mod cli;
pub mod config;
pub mod diff;
pub mod discover;
pub mod files;
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
pub mod rule_id;
pub mod rules;
pub mod suppress;
pub mod yaml;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use config::Config;
use discover::{GlobLayer, PathFilter, UserGlob, WrittenAt};
use files::FileInfo;
pub use files::{FileStatus, Files, Source, SourceFile};
use finding::Finding;
use load::{LoadFailure, Loaded, Skip};
use model::{DuplicateKey, FileModel, Model, Workload, WorkloadKinds};
use rule_id::Level;

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
    /// The directory `include` and `exclude` are relative to; `None` for the root.
    pub glob_dir: Option<PathBuf>,
    pub stdin: Option<Stdin>,
    /// The files this run writes (its reports): never scanned, not even when named.
    pub own_files: Vec<PathBuf>,
    pub limits: yaml::Limits,
    /// The date config exemptions are compared with (injectable for tests).
    pub today: jiff::civil::Date,
    /// Findings accepted when the repository adopted tokenguard (SPEC 8.6).
    pub baseline: Option<baseline::Baseline>,
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
            glob_dir: None,
            stdin: None,
            own_files: Vec::new(),
            limits: yaml::Limits::default(),
            today,
            baseline: None,
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
    /// A sink could not write the findings.
    #[error("cannot write the report: {0}")]
    Write(std::io::Error),
}

/// Something worth telling that is not a finding: a skipped or unreadable file.
#[derive(Clone, Debug)]
pub struct Notification {
    pub level: Level,
    pub path: Option<String>,
    /// Where in that file, when it is one place.
    pub pos: Option<yaml::Pos>,
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

/// Everything a scan learned but its findings: its files, notifications, statistics and
/// config, and the totals of the findings written so far. A [`report::Sink`] receives it
/// with every batch of findings.
#[derive(Debug)]
pub struct Scanned {
    pub root: PathBuf,
    pub files: Files,
    pub notifications: Vec<Notification>,
    pub stats: Stats,
    pub config: Config,
    pub totals: Totals,
    /// The baseline the findings were compared with, once they all were.
    pub baseline: Option<baseline::BaselineSummary>,
}

impl Scanned {
    pub fn file(&self, id: FileId) -> SourceFile<'_> {
        self.files.get(id)
    }
}

/// How many findings there are of each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Findings that count (neither suppressed nor in the baseline), by level: note,
    /// warning, error.
    pub active: [usize; 3],
    pub suppressed: usize,
    /// Findings the baseline holds (and that are not suppressed).
    pub baselined: usize,
}

impl Totals {
    fn add(&mut self, finding: &Finding) {
        if finding.is_suppressed() {
            self.suppressed += 1;
        } else if finding.is_baselined() {
            self.baselined += 1;
        } else {
            self.active[finding.level as usize] += 1;
        }
    }

    /// Findings of `level` that are not suppressed.
    pub fn of(&self, level: Level) -> usize {
        self.active[level as usize]
    }

    /// Every finding, suppressed, baselined or not.
    pub fn all(&self) -> usize {
        self.active.iter().sum::<usize>() + self.suppressed + self.baselined
    }

    /// The highest level among findings that count, if any.
    pub fn worst_level(&self) -> Option<Level> {
        [Level::Error, Level::Warning, Level::Note]
            .into_iter()
            .find(|&level| self.of(level) > 0)
    }
}

/// A whole scan in memory: what [`scan`] returns to tests and library users. The command
/// line streams the findings to its outputs instead ([`scan_into`]).
#[derive(Debug)]
pub struct Report {
    pub scanned: Scanned,
    /// Sorted by path, position and rule id.
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn file(&self, id: FileId) -> SourceFile<'_> {
        self.scanned.file(id)
    }

    /// The findings that count: those not suppressed (SPEC 7).
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> + Clone {
        self.findings.iter().filter(|f| !f.is_suppressed())
    }

    /// The highest level among findings that are not suppressed, if any.
    pub fn worst_level(&self) -> Option<Level> {
        self.scanned.totals.worst_level()
    }
}

enum Outcome {
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
    fn record(&mut self, id: FileId, path: &str, file: &mut FileInfo, outcome: Outcome) {
        let merged = self;
        let mut note = |level, pos, message| {
            merged.notes.push(Notification {
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
                    None,
                    "skipped: a Helm chart template, not a manifest; scan the rendered chart (helm template . | tokenguard scan -)".to_owned(),
                );
                file.status = FileStatus::HelmTemplate;
                merged.stats.skipped_files += 1;
            }
            Outcome::Skipped(Skip::NotRegular(kind)) => {
                note(
                    Level::Warning,
                    None,
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
                note(Level::Warning, None, format!("not read: {reason}"));
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
            failures: Vec::with_capacity(pieces.len()),
            notes: Vec::new(),
            stats: Stats::default(),
        };
        for piece in pieces {
            gathered.workloads.push(gathered.model.push(piece.model));
            gathered.failures.push(piece.failures);
            gathered.notes.extend(piece.notes);
            gathered.stats.add(&piece.stats);
        }
        gathered
    }
}

/// Every piece's contribution, in file order: run `k` of the model, of the workloads and
/// of the failures come from piece `k`.
struct Gathered {
    model: Model,
    /// One run of workloads per piece, checked and dropped one run at a time.
    workloads: Vec<Vec<Workload>>,
    failures: Vec<Vec<(FileId, LoadFailure)>>,
    notes: Vec<Notification>,
    stats: Stats,
}

/// Scans and returns every finding in memory.
pub fn scan(options: ScanOptions) -> Result<Report, Error> {
    let mut collected = Collected::default();
    let scanned = scan_into(options, &progress::Progress::default(), &mut collected)?;
    Ok(Report {
        scanned,
        findings: collected.0,
    })
}

/// A sink that keeps every finding.
#[derive(Default)]
struct Collected(Vec<Finding>);

impl report::Sink for Collected {
    fn findings(&mut self, _: &Scanned, findings: &[Finding]) -> std::io::Result<()> {
        self.0.extend_from_slice(findings);
        Ok(())
    }
}

/// Scans, counting files and objects in `progress`, and hands the findings to `sink` in
/// report order as they are found: each run of files is checked, written and dropped in
/// turn, so a large scan never holds every workload or every finding.
pub fn scan_into(
    options: ScanOptions,
    progress: &progress::Progress,
    sink: &mut (dyn report::Sink + Send),
) -> Result<Scanned, Error> {
    let started = Instant::now();
    let config = options.config;
    let default_namespace = options
        .default_namespace
        .or_else(|| config.default_namespace.clone())
        .unwrap_or_else(|| "default".to_owned());
    // The config's entries are about the repository it is in: a scan of its root (or of
    // the config's own directory) holds all of it (TG013), a scan of one folder, of
    // standard input, or narrowed by command-line globs only part of it.
    let config_at = config.path.as_deref().map(discover::absolute);
    let config_dir = config_at.as_deref().and_then(Path::parent);
    let whole_repository = options.include.is_empty()
        && options.exclude.is_empty()
        && options.paths.iter().any(|p| {
            let scanned = discover::absolute(p);
            p.as_os_str() != "-"
                && (scanned == discover::absolute(&options.root) || Some(&*scanned) == config_dir)
        });
    let filter = PathFilter::new(vec![
        config_globs(&config),
        GlobLayer {
            dir: options.glob_dir,
            include: flag_globs("--include", options.include),
            exclude: flag_globs("--exclude", options.exclude),
        },
    ])?;

    let named: Vec<PathBuf> = options
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let mut discovered = discover::discover(
        &named,
        &options.root,
        &filter,
        options.limits.follow_symlinks,
    )?;
    discovered.drop_own_reports(&options.root, &options.own_files);
    let mut notifications = discovered.notes;

    // Room for standard input and the config file too, so that adding them does not
    // copy the list of a large scan into one twice its size.
    let extra_names = [
        options.stdin.as_ref().map(|s| s.name.as_str()),
        config.source.as_deref(),
    ];
    let mut files = Files::with_capacity(
        discovered.files.len() + extra_names.len(),
        discovered
            .files
            .iter()
            .map(|c| c.display.len())
            .sum::<usize>()
            + extra_names.iter().flatten().map(|n| n.len()).sum::<usize>(),
    );
    for c in discovered.files {
        let source = c
            .fs_path
            .map_or(Source::UnderRoot, |p| Source::Path(p.into()));
        files.push(&c.display, source);
    }
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
    let Files { names, info } = &mut files;
    let names = &*names;
    let mut pieces: Vec<Merged> = info
        .par_iter_mut()
        .enumerate()
        .fold_chunks(FILES_PER_PIECE, Merged::default, |mut merged, (i, file)| {
            let id = FileId(i as u32);
            let path = names.path(id);
            let outcome = match names.source(id).fs_path(&options.root, path) {
                Some(fs_path) => reader.scan_file(id, &fs_path),
                // Only standard input has no path, and it joins after this loop.
                None => Outcome::Unreadable("no path to read it from".to_owned()),
            };
            merged.record(id, path, file, outcome);
            progress.file_done(file.objects as usize);
            merged
        })
        .map(|mut piece| {
            piece.model.shrink();
            piece
        })
        .collect();
    // Standard input is the last piece. Its name sorts anywhere among the files, so its
    // findings are found first and merged into place.
    let stdin_piece = options.stdin.map(|stdin| {
        let id = FileId(files.len() as u32);
        let text: Arc<str> = String::from_utf8_lossy(&stdin.bytes).into();
        let outcome = guarded(|| reader.outcome(id, load::load(&stdin.bytes, reader.limits)));
        files.push(&stdin.name, Source::Stdin(text));
        let Files { names, info } = &mut files;
        let mut piece = Merged::default();
        piece.record(id, names.path(id), &mut info[id.0 as usize], outcome);
        pieces.push(piece);
        pieces.len() - 1
    });
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
    if model.objects == 0 {
        // A scan of nothing passes: say why there was nothing.
        notifications.push(Notification {
            level: Level::Warning,
            path: None,
            pos: None,
            message: no_objects_reason(&files),
        });
    }
    let config_file = config.source.as_ref().map(|shown| {
        let source = match &config.path {
            Some(path) => Source::Path(path.as_path().into()),
            None => Source::UnderRoot,
        };
        let id = files.push(shown, source);
        files.info[id.0 as usize].status = FileStatus::Config;
        id
    });
    stats.objects = model.objects;
    stats.workloads = model.workload_objects;
    stats.service_accounts = model.service_accounts.len();
    let mut scanned = Scanned {
        root: options.root,
        files,
        notifications,
        stats,
        config,
        totals: Totals::default(),
        baseline: None,
    };

    let index = index::Index::build(&model, &default_namespace);
    // The index's building leaves freed pages behind, in sizes the checks do not use.
    release_freed_memory();
    phase_done("index built");
    let context = rules::Context {
        files: &scanned.files,
        model: &model,
        index: &index,
        config: &scanned.config,
        default_namespace: &default_namespace,
        config_file,
        whole_repository,
        today: options.today,
    };
    let facts = |k: usize| rules::RunFacts {
        service_accounts: model.service_accounts.run(k),
        token_secrets: model.token_secrets.run(k),
        roles: model.roles.run(k),
        duplicate_keys: model.duplicate_keys.run(k),
        failures: &failures[k],
    };
    let in_order = |findings: &mut Vec<Finding>| {
        suppress::apply(findings, context.config, options.today);
        findings.sort_by(|a, b| report_order(context.files, a, b));
    };
    progress.checking();
    // The findings of files out of path order (the config file, standard input), merged
    // into the others as they pass.
    let mut apart = rules::check_config(&context, &workloads);
    let mut runs: Vec<(usize, Vec<Workload>)> = workloads.into_iter().enumerate().collect();
    if let Some(k) = stdin_piece
        && let Some((_, workloads)) = runs.pop()
    {
        apart.extend(rules::check_run(&context, &facts(k), &workloads));
    }
    in_order(&mut apart);
    let mut apart = apart.into_iter().peekable();
    let mut totals = Totals::default();
    let mut fingerprinter = finding::Fingerprinter::default();
    let mut baseline = options.baseline;
    sink.start(&scanned).map_err(Error::Write)?;
    // Findings reach this in report order: each gets its fingerprint here, once, and
    // every output prints that one; the baseline is keyed on it.
    let mut write = |batch: &mut [Finding], totals: &mut Totals| {
        for finding in batch.iter_mut() {
            let path = scanned.files.path(finding.location.file);
            fingerprinter.assign(finding, path);
            if let Some(baseline) = &mut baseline {
                finding.baseline = Some(baseline.state_of(finding, path));
            }
            totals.add(finding);
        }
        sink.findings(&scanned, batch)
    };
    // A few runs per thread at a time: enough to keep every thread busy, few enough that
    // their findings are a small part of what is held. Each window's findings are
    // written while the next window is checked.
    let window = rayon::current_num_threads() * 4;
    let mut runs = runs.into_iter();
    let mut batch = Vec::new();
    loop {
        let checking: Vec<_> = runs.by_ref().take(window).collect();
        if checking.is_empty() {
            break;
        }
        let (written, checked) = rayon::join(
            || write(&mut batch, &mut totals),
            || -> Vec<Vec<Finding>> {
                checking
                    .into_par_iter()
                    .map(|(k, workloads)| {
                        let mut findings = rules::check_run(&context, &facts(k), &workloads);
                        // The merge below relies on it (see `rules::RunFacts`).
                        let run = k * FILES_PER_PIECE..(k + 1) * FILES_PER_PIECE;
                        debug_assert!(
                            findings
                                .iter()
                                .all(|f| run.contains(&(f.location.file.0 as usize))),
                            "a finding of run {k} lies outside its files"
                        );
                        in_order(&mut findings);
                        findings
                    })
                    .collect()
            },
        );
        written.map_err(Error::Write)?;
        batch.clear();
        for finding in checked.into_iter().flatten() {
            while let Some(earlier) =
                apart.next_if(|a| report_order(context.files, a, &finding).is_lt())
            {
                batch.push(earlier);
            }
            batch.push(finding);
        }
    }
    batch.extend(apart);
    write(&mut batch, &mut totals).map_err(Error::Write)?;
    drop(batch);
    phase_done("findings written");
    scanned.totals = totals;
    scanned.baseline = baseline.map(|b| b.summary());
    scanned.stats.elapsed = started.elapsed();
    sink.finish(&scanned).map_err(Error::Write)?;
    Ok(scanned)
}

/// Why a scan of `files` found no Kubernetes object, in one line.
fn no_objects_reason(files: &Files) -> String {
    let templates = files
        .info
        .iter()
        .filter(|f| f.status == FileStatus::HelmTemplate)
        .count();
    let render = "render the chart and scan that: helm template . | tokenguard scan -";
    let files_ = |n: usize| match n {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    };
    match files.len() {
        0 => "no Kubernetes objects: no file matched (by default **/*.yaml, **/*.yml and **/*.json; see paths.include and --include)".to_owned(),
        1 if templates == 1 => {
            format!("no Kubernetes objects: the one file is a Helm chart template, not a manifest; {render}")
        }
        n if n == templates => format!(
            "no Kubernetes objects: the {n} files are Helm chart templates, not manifests; {render}"
        ),
        n if templates > 0 => format!(
            "no Kubernetes objects in {}, {templates} of them Helm chart templates; {render}",
            files_(n)
        ),
        n => format!(
            "no Kubernetes objects in {}: no document has apiVersion and kind",
            files_(n)
        ),
    }
}

/// The config's `paths` globs, relative to its directory when it was found rather than
/// named (SPEC 5.4).
fn config_globs(config: &Config) -> GlobLayer {
    let file = config.source.clone().unwrap_or_default();
    let globs = |globs: &[config::PathGlob], key| {
        globs
            .iter()
            .map(|g| UserGlob {
                text: g.glob.clone(),
                written_at: WrittenAt::Config {
                    file: file.clone(),
                    key,
                    pos: g.at,
                },
            })
            .collect()
    };
    GlobLayer {
        dir: config.glob_dir.clone(),
        include: globs(&config.include, "include"),
        exclude: globs(&config.exclude, "exclude"),
    }
}

fn flag_globs(flag: &'static str, globs: Vec<String>) -> Vec<UserGlob> {
    globs
        .into_iter()
        .map(|text| UserGlob {
            text,
            written_at: WrittenAt::Flag(flag),
        })
        .collect()
}

/// Report order: by path (standard input and the config file come after the scanned
/// files in `files` but sort by their names like any other file, SPEC 3.1), position,
/// rule id and message.
fn report_order(files: &Files, a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let path = |f: &Finding| files.path(f.location.file);
    (path(a), a.location.region, a.rule, &a.message).cmp(&(
        path(b),
        b.location.region,
        b.rule,
        &b.message,
    ))
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
            } => {
                let misspelled = objects
                    .iter()
                    .flat_map(|&root| {
                        suppress::misspelled_ignores(stream.tree.node(root), &self.kinds)
                    })
                    .collect();
                let mut model = FileModel::read(
                    id,
                    &stream.tree,
                    &objects,
                    &self.kinds,
                    self.default_namespace,
                );
                model.duplicate_keys =
                    DuplicateKey::read_all(id, &stream.tree, &objects, &stream.duplicates);
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
