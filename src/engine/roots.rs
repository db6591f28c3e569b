//! Kustomize roots in the plan (SPEC 3.4): the discovered kustomizations are read into a
//! graph, every file a root consumes is registered, each root is rendered, and a root
//! that cannot be rendered as Kustomize would is reported and its files scanned one by
//! one instead.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::discover::{self, Candidate};
use crate::files::{FileId, FileStatus, Files, Registration, Source};
use crate::finding::KustomizeRoot;
use crate::k8s::kinds::WorkloadKinds;
use crate::kustomize::{self, FsReader, Graph};
use crate::model::{FileModel, Scope};
use crate::rule_id::Level;
use crate::{Notification, yaml};

/// What the scan renders with.
pub(crate) struct Rendering<'a> {
    /// The root paths are shown relative to (`--root`).
    pub root: &'a Path,
    /// What a kustomization may read: `--root`, or the directory holding both it and
    /// the scanned paths when they lie outside it.
    pub boundary: PathBuf,
    pub limits: &'a yaml::Limits,
    /// What a root's objects are read into facts with, as a plain file's are.
    pub kinds: &'a WorkloadKinds,
    pub default_namespace: &'a str,
}

/// A root that rendered. Its objects are read into facts as soon as it is rendered,
/// so that no rendered tree outlives its rendering, and the facts wait here until the
/// root's unit is loaded.
#[derive(Debug)]
pub(crate) struct RenderedRoot {
    pub root: Arc<KustomizeRoot>,
    /// Every file it consumed, ascending: its findings can point at any of them.
    pub inputs: Vec<FileId>,
    pub model: Mutex<Option<FileModel>>,
}

impl RenderedRoot {
    /// Its facts, taken: a root is loaded once.
    pub fn take_model(&self) -> FileModel {
        self.model
            .lock()
            .map(|mut model| model.take())
            .unwrap_or_default()
            .unwrap_or_default()
    }
}

/// The kustomizations among the discovered files, read and resolved.
pub(crate) struct Planned {
    graph: Graph,
    scan_root: PathBuf,
    /// The files the roots consume that were not discovered, to register.
    pub extra: Vec<Registration>,
    /// The path each root input is registered under.
    shown: HashMap<PathBuf, String>,
}

/// Reads the kustomizations among `discovered` into a graph, and names every file its
/// roots consume. `None` when nothing is to be rendered.
pub(crate) fn read(discovered: &[Candidate], rendering: &Rendering<'_>) -> Option<Planned> {
    let scan_root = discover::absolute(rendering.root);
    let dirs: Vec<PathBuf> = discovered
        .iter()
        .filter(|c| crate::load::is_kustomization_path(Path::new(&c.display)))
        .filter_map(|c| Some(scan_root.join(&c.display).parent()?.to_path_buf()))
        .collect();
    if dirs.is_empty() {
        return None;
    }
    let reader = reader(rendering.limits);
    let graph = kustomize::plan(&dirs, &rendering.boundary, &reader, rendering.limits);
    let known: HashSet<&str> = discovered.iter().map(|c| c.display.as_str()).collect();
    let mut shown = HashMap::new();
    let mut extra = Vec::new();
    for input in graph.roots.iter().flat_map(|r| &r.inputs) {
        if shown.contains_key(input) {
            continue;
        }
        let path = discover::display_path(input, &scan_root);
        // Inputs are normalised paths, so a path not seen before is a file not seen
        // before.
        if !known.contains(path.as_str()) {
            extra.push(Registration {
                path: path.clone(),
                source: Source::Path(input.as_path().into()),
                status: FileStatus::Input,
            });
        }
        shown.insert(input.clone(), path);
    }
    Some(Planned {
        graph,
        scan_root,
        extra,
        shown,
    })
}

/// What rendering the roots decided.
pub(crate) struct Rendered {
    pub roots: Vec<RenderedRoot>,
    /// The discovered files a rendered root consumed: not scanned on their own.
    pub consumed: HashSet<FileId>,
    /// The files of roots that could not be rendered: scanned one by one, even when a
    /// rendered root consumes them too, so that rendering never finds less.
    pub fallback: HashSet<FileId>,
    pub notes: Vec<Notification>,
}

/// Renders every root of `planned`, in parallel, with the ids `files` gives its inputs,
/// and reads each one's objects into facts in its own scope.
pub(crate) fn render(planned: &Planned, files: &Files, rendering: &Rendering<'_>) -> Rendered {
    let reader = reader(rendering.limits);
    let id_of = |path: &Path| files.find(planned.shown.get(path)?);
    // Each root's objects become facts on the thread that rendered them: at most one
    // rendered tree per thread is alive at a time.
    let results: Vec<_> = planned
        .graph
        .roots
        .par_iter()
        .map(|root| {
            let kustomization = root.file.as_deref().and_then(id_of);
            let rendering_of = kustomize::render(&planned.graph, root, &id_of, &reader);
            rendering_of.map(|objects| {
                kustomization.map(|kustomization| {
                    let (tree, roots) = kustomize::node::to_tree(&objects.objects, kustomization);
                    drop(objects);
                    let model = FileModel::read(
                        &tree,
                        &roots,
                        rendering.kinds,
                        rendering.default_namespace,
                    );
                    (kustomization, model)
                })
            })
        })
        .collect();

    let mut rendered = Rendered {
        roots: Vec::new(),
        consumed: HashSet::new(),
        fallback: HashSet::new(),
        notes: Vec::new(),
    };
    for (root, result) in planned.graph.roots.iter().zip(results) {
        let mut inputs: Vec<FileId> = root.inputs.iter().filter_map(|p| id_of(p)).collect();
        inputs.sort_unstable();
        inputs.dedup();
        match result {
            Ok(Some((kustomization, mut model))) => {
                model.set_scope(Scope::root(rendered.roots.len()));
                rendered.consumed.extend(inputs.iter().copied());
                rendered.roots.push(RenderedRoot {
                    root: Arc::new(KustomizeRoot::of(kustomization, files)),
                    inputs,
                    model: Mutex::new(Some(model)),
                });
            }
            Ok(None) => {}
            Err(problem) => {
                rendered.fallback.extend(inputs.iter().copied());
                let dir = discover::display_path(&root.dir, &planned.scan_root);
                let pos = (problem.at.start.line > 0).then_some(problem.at.start);
                rendered.notes.push(Notification {
                    level: Level::Warning,
                    path: Some(discover::display_path(&problem.file, &planned.scan_root)),
                    pos,
                    message: format!(
                        "kustomization `{}` is scanned file by file, not rendered: {}",
                        if dir.is_empty() { "." } else { &dir },
                        problem.reason
                    ),
                });
            }
        }
    }
    rendered
}

fn reader(limits: &yaml::Limits) -> FsReader {
    FsReader {
        max_file_bytes: limits.max_file_bytes.min(yaml::MAX_FILE_BYTES_CEILING),
        follow_symlinks: limits.follow_symlinks,
    }
}
