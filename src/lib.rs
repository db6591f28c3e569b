//! tokenguard: finds every Kubernetes workload that would get an API token for a
//! service account that is not trusted, and the patterns that leak such tokens.
//!
//! This file is the library's facade: its modules, the types a scan takes and returns,
//! and the entry points [`scan`] and [`scan_into`]. The stages themselves, and their
//! order, are the engine's (`src/engine/`): [`discover`] -> plan -> [`load`] and
//! [`model`] (per unit, in parallel) -> [`index`] -> [`rules`] -> [`report`] sinks, to
//! which findings stream as soon as no unfinished unit can point at an earlier file.

pub mod analysis;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod diff;
pub mod discover;
mod engine;
pub mod files;
pub mod finding;
#[cfg(feature = "heap-stats")]
pub mod heap_stats;
pub mod init;
pub mod k8s;
pub mod kustomize;
pub mod load;
pub mod model;
pub mod origin;
pub mod progress;
pub mod report;
pub mod rule_id;
pub mod rules;
pub mod suppress;
pub mod yaml;

use std::path::PathBuf;
use std::time::Duration;

use config::Config;
pub use files::{FileId, FileStatus, Files, Source, SourceFile};
use finding::Finding;
use rule_id::Level;

/// What to scan and how.
#[derive(Clone, Debug)]
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
    /// Render Kustomize roots and judge the objects they deploy (SPEC 3.4); off, their
    /// files are scanned one by one. [`ScanOptions::new`] leaves it on whatever `config`
    /// says; the command line sets it from `--no-kustomize` and
    /// [`Config::render_kustomize`].
    pub render_kustomize: bool,
}

impl ScanOptions {
    /// A scan of `paths` relative to `root` with the built-in defaults: no config, the
    /// default limits, no standard input, kustomizations rendered, exemptions judged on
    /// `today`.
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
            render_kustomize: true,
        }
    }
}

#[derive(Clone, Debug)]
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
    pub(crate) fn add(&mut self, other: &Stats) {
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
    pub(crate) fn add(&mut self, finding: &Finding) {
        if finding.is_suppressed() {
            self.suppressed += 1;
        } else if finding.is_baselined() {
            self.baselined += 1;
        } else {
            self.active[finding.level as usize] += 1;
        }
    }

    /// Findings of `level` that count (neither suppressed nor in the baseline).
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
    /// In report order: by path, position and rule id, then object and detail.
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn file(&self, id: FileId) -> SourceFile<'_> {
        self.scanned.file(id)
    }

    /// The findings that count: neither suppressed (SPEC 7) nor in the baseline (8.6).
    pub fn active_findings(&self) -> impl Iterator<Item = &Finding> + Clone {
        self.findings.iter().filter(|f| f.counts())
    }

    /// The highest level among findings that are not suppressed, if any.
    pub fn worst_level(&self) -> Option<Level> {
        self.scanned.totals.worst_level()
    }
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
/// report order as they are found: findings are written as soon as no unit of work left
/// can point at an earlier file, and each batch of files' workloads is dropped once
/// checked, so a large scan never holds every workload or every finding.
pub fn scan_into(
    options: ScanOptions,
    progress: &progress::Progress,
    sink: &mut (dyn report::Sink + Send),
) -> Result<Scanned, Error> {
    engine::scan_into(options, progress, sink)
}
