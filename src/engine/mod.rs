//! The engine: the one place that knows the order of a scan's stages.
//!
//! discover -> [plan] -> [load](batches) (units in parallel, a batch at a time) -> index
//! -> [check and emit](emit) (batches in parallel, findings released by watermark) ->
//! sinks.
//!
//! The plan registers every file a finding can point at before anything is parsed, so
//! file order is report order, and splits the work into [units](unit::Unit). A finding
//! is written once no unfinished unit can point at an earlier file: memory holds the
//! facts rules read across files and the workloads not yet checked, never every finding.

mod batches;
mod emit;
mod plan;
mod roots;
mod unit;

use std::sync::Arc;
use std::time::Instant;

use std::path::Path;

use crate::analysis::Index;
use crate::config::{self, Config};
use crate::discover::{self, Discovered, GlobLayer, PathFilter, UserGlob, WrittenAt};
use crate::files::{FileStatus, Files};
use crate::k8s::kinds::WorkloadKinds;
use crate::progress::Progress;
use crate::report::Sink;
use crate::rule_id::Level;
use crate::{Error, Notification, ScanOptions, Scanned, Totals, rules};
use unit::UnitReader;

/// Scans, counting files and objects in `progress`, and hands the findings to `sink` in
/// report order as they are found.
pub(crate) fn scan_into(
    options: ScanOptions,
    progress: &Progress,
    sink: &mut (dyn Sink + Send),
) -> Result<Scanned, Error> {
    let started = Instant::now();
    let default_namespace = options
        .default_namespace
        .clone()
        .or_else(|| options.config.default_namespace.clone())
        .unwrap_or_else(|| crate::k8s::kinds::DEFAULT_NAMESPACE.to_owned());
    let whole_repository = covers_whole_repository(&options);
    let discovered = discover(&options)?;
    let stdin = options.stdin.as_ref().map(|stdin| {
        let text: Arc<str> = String::from_utf8_lossy(&stdin.bytes).into();
        (stdin.name.as_str(), text)
    });
    let kinds = WorkloadKinds::with_extra(options.config.workload_kinds.clone());
    let rendering = options.render_kustomize.then(|| roots::Rendering {
        root: &options.root,
        boundary: boundary(&options),
        limits: &options.limits,
        kinds: &kinds,
        default_namespace: &default_namespace,
    });
    let mut plan = plan::plan(discovered.files, stdin, &options.config, rendering.as_ref());
    if !plan.roots.is_empty() {
        // Rendering leaves its trees' pages behind, in sizes the load does not use.
        release_freed_memory();
    }
    phase_done("planned");

    progress.reading(plan.loaded_files());
    let reader = UnitReader {
        root: &options.root,
        limits: &options.limits,
        kinds: kinds.clone(),
        default_namespace: &default_namespace,
        stdin: options.stdin.as_ref().map(|stdin| stdin.bytes.as_slice()),
    };
    let loaded = batches::load(&mut plan, &reader, progress);
    release_freed_memory();
    phase_done("loaded");

    let mut stats = loaded.stats;
    stats.files = plan.loaded_files();
    stats.objects = loaded.model.objects;
    stats.workloads = loaded.model.workload_objects;
    stats.service_accounts = loaded.model.service_accounts.len();
    let mut notifications = discovered.notes;
    notifications.append(&mut plan.notes);
    notifications.extend(loaded.notes);
    if loaded.model.objects == 0 {
        // A scan of nothing passes: say why there was nothing.
        notifications.push(Notification {
            level: Level::Warning,
            path: None,
            pos: None,
            message: no_objects_reason(&plan.files, plan.loaded_files()),
        });
    }
    let mut scanned = Scanned {
        root: options.root,
        files: plan.files,
        notifications,
        stats,
        config: options.config,
        totals: Totals::default(),
        baseline: None,
    };

    let model = loaded.model;
    let index = Index::build(&model, &default_namespace);
    // The index's building leaves freed pages behind, in sizes the checks do not use.
    release_freed_memory();
    phase_done("index built");

    progress.checking();
    let roots: Vec<_> = plan.roots.iter().map(|r| r.root.clone()).collect();
    let context = rules::Context {
        files: &scanned.files,
        model: &model,
        index: &index,
        config: &scanned.config,
        default_namespace: &default_namespace,
        config_file: plan.config,
        whole_repository,
        today: options.today,
        roots: &roots,
    };
    let mut baseline = options.baseline;
    sink.start(&scanned).map_err(Error::Write)?;
    let output = emit::Output {
        scanned: &scanned,
        sink: &mut *sink,
        baseline: baseline.as_mut(),
    };
    let batches = emit::Batches {
        units: &plan.units,
        workloads: loaded.workloads,
        failures: &loaded.failures,
    };
    let totals = emit::check_and_write(&context, batches, output)?;
    phase_done("findings written");

    scanned.totals = totals;
    scanned.baseline = baseline.map(|b| b.summary());
    scanned.stats.elapsed = started.elapsed();
    sink.finish(&scanned).map_err(Error::Write)?;
    Ok(scanned)
}

/// Whether the scan holds the whole repository its config is about (TG013): a scan of
/// its root (or of the config's own directory), not of one folder, of standard input, or
/// narrowed by command-line globs.
fn covers_whole_repository(options: &ScanOptions) -> bool {
    let config_at = options.config.path.as_deref().map(discover::absolute);
    let config_dir = config_at.as_deref().and_then(Path::parent);
    options.include.is_empty()
        && options.exclude.is_empty()
        && options.paths.iter().any(|p| {
            let scanned = discover::absolute(p);
            p.as_os_str() != "-"
                && (scanned == discover::absolute(&options.root) || Some(&*scanned) == config_dir)
        })
}

/// What kustomizations may read (SPEC 3.4): the root, or the closest directory that
/// holds the root and every scanned path, when one lies outside it.
fn boundary(options: &ScanOptions) -> std::path::PathBuf {
    let mut boundary = discover::absolute(&options.root);
    for path in options.paths.iter().filter(|p| p.as_os_str() != "-") {
        let path = discover::absolute(path);
        while !path.starts_with(&boundary) {
            if !boundary.pop() {
                break;
            }
        }
    }
    boundary
}

/// The files under the named paths (standard input aside) that the config's and the
/// options' globs select, but the run's own reports.
fn discover(options: &ScanOptions) -> Result<Discovered, Error> {
    let filter = PathFilter::new(vec![
        config_globs(&options.config),
        GlobLayer {
            dir: options.glob_dir.clone(),
            include: flag_globs("--include", &options.include),
            exclude: flag_globs("--exclude", &options.exclude),
        },
    ])?;
    let named: Vec<_> = options
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
    Ok(discovered)
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

fn flag_globs(flag: &'static str, globs: &[String]) -> Vec<UserGlob> {
    globs
        .iter()
        .map(|text| UserGlob {
            text: text.clone(),
            written_at: WrittenAt::Flag(flag),
        })
        .collect()
}

/// Why a scan of `loaded` files (those of `files` but the config) found no Kubernetes
/// object, in one line.
fn no_objects_reason(files: &Files, loaded: usize) -> String {
    let templates = files
        .iter()
        .filter(|f| f.status == FileStatus::HelmTemplate)
        .count();
    let render = "render the chart and scan that: helm template . | tokenguard scan -";
    let files_ = |n: usize| match n {
        1 => "1 file".to_owned(),
        n => format!("{n} files"),
    };
    match loaded {
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

/// Marks the end of a phase of the scan: with `--features heap-stats`, prints the heap.
fn phase_done(phase: &str) {
    #[cfg(feature = "heap-stats")]
    crate::heap_stats::phase_done(phase);
    #[cfg(not(feature = "heap-stats"))]
    let _ = phase;
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
