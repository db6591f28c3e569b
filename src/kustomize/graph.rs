//! The kustomizations of a scan as a graph: which lists which (`resources`, `bases`,
//! `components`), the roots (those no other lists), and per root every file it would
//! consume and every reason it cannot be rendered exactly as Kustomize would.
//!
//! Only kustomization files are read here, through the [`Reader`]; a resource file is
//! only looked at (file, directory or nothing), never read.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::file::{self, FileError, Item, Kind, Kustomization, Unrendered};
use super::{PathKind, Reader};
use crate::yaml::{Limits, Pos, Span};

/// Why a root is scanned file by file instead of rendered: each is a warning with the
/// kustomization file and the line that says so.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("the kustomization cannot be read: {0}")]
    Invalid(FileError),
    #[error("`{0}` is not rendered by tokenguard yet")]
    NotSupportedYet(&'static str),
    #[error("Helm charts are not inflated (`helmCharts`)")]
    HelmCharts,
    #[error("plugins are not run (`{0}`)")]
    Plugin(&'static str),
    #[error("`{0}` is a remote resource, which is never fetched")]
    Remote(String),
    #[error("`{0}` does not exist")]
    Missing(String),
    #[error("`{0}` has no kustomization.yaml, kustomization.yml or Kustomization")]
    NoKustomization(String),
    #[error("`{0}` holds more than one kustomization file")]
    SeveralKustomizations(String),
    #[error("`{0}` lists a kustomization that lists it back (a cycle)")]
    Cycle(String),
    #[error("`{0}` is outside the scanned root")]
    OutsideScanRoot(String),
    #[error(
        "`{0}` is not under the kustomization's directory, which Kustomize's default load restrictor refuses"
    )]
    OutsideLoadRestrictor(String),
    #[error("`{0}` is a symbolic link, which is not followed")]
    SymbolicLink(String),
    #[error("`{0}` cannot be read: {1}")]
    Unreadable(String, String),
    #[error("`{0}` was not registered before rendering (a bug in tokenguard)")]
    Unregistered(String),
    #[error("`{0}`: {1}")]
    InvalidResource(String, String),
    #[error("{0} is defined twice, which Kustomize refuses")]
    Collision(String),
    #[error(
        "more than {0} kustomizations are rendered for one root (a base or component included too often?)"
    )]
    TooManyInclusions(usize),
    #[error("{0}")]
    AmbiguousReference(String),
    #[error("{0}")]
    Patch(String),
    #[error("{0}")]
    Generator(String),
    #[error("{0}")]
    Replacement(String),
    #[error("{0}")]
    Var(String),
    #[error("{0}")]
    Replicas(String),
    #[error(
        "a `fields` entry sets `create` unlike Kustomize's own field spec for `{0}`, which Kustomize refuses (conflicting fieldspecs)"
    )]
    ConflictingFieldSpec(String),
    #[error("{0}")]
    Images(String),
    #[error("{0}")]
    Configuration(String),
    #[error("kustomizations are nested more than {0} deep")]
    TooDeep(usize),
    #[error("`{0}` is a Component, listed under resources instead of components")]
    ComponentAsResource(String),
    #[error("`{0}` is listed under components but is not a Component")]
    NotAComponent(String),
}

/// A reason, in the kustomization file that gives it, at the line that gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub at: Span,
    pub reason: Reason,
}

/// A kustomization directory and what its file lists, resolved.
#[derive(Debug)]
pub(crate) struct Node {
    pub dir: PathBuf,
    /// The kustomization file, if there is exactly one.
    pub file: Option<PathBuf>,
    pub kustomization: Option<Kustomization>,
    /// `resources` (with `bases`) in order: files and kustomizations.
    pub resources: Vec<Listed>,
    pub components: Vec<Listed>,
    /// The other files it reads (patches, generator inputs).
    pub other_files: Vec<PathBuf>,
    pub problems: Vec<Problem>,
}

/// An entry of `resources` or `components`, resolved, with where it is written.
#[derive(Debug)]
pub(crate) struct Listed {
    pub target: Target,
    pub at: Span,
}

#[derive(Debug)]
pub(crate) enum Target {
    File(PathBuf),
    Kustomization(usize),
    /// Not renderable; the node holds the problem.
    Unusable,
}

/// A kustomization that no other one lists: rendered once, as a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Root {
    pub dir: PathBuf,
    /// Its kustomization file, if it has exactly one.
    pub file: Option<PathBuf>,
    /// Every file it consumes, its own kustomization file and those of its bases and
    /// components included, sorted.
    pub inputs: Vec<PathBuf>,
    /// Why it cannot be rendered; empty when it can.
    pub problems: Vec<Problem>,
    pub(crate) node: usize,
}

/// The kustomizations of a scan and their roots.
#[derive(Debug)]
pub struct Graph {
    pub(crate) nodes: Vec<Node>,
    pub roots: Vec<Root>,
    pub(crate) limits: Limits,
    /// Resource files as parsed, shared by the roots rendered from this graph: a base
    /// that many overlays list is parsed once, and kept only until its last root has
    /// read it. Each root edits its own copy.
    pub(crate) parsed: ParsedFiles,
}

/// A resource file's objects, or where and why it could not be read as objects.
pub(crate) type Parsed = Result<Vec<super::node::Node>, ParseFailure>;

/// Why a resource file yields no objects: its position (if one) and the reason.
#[derive(Clone, Debug)]
pub(crate) enum ParseFailure {
    Unreadable(String),
    Invalid(Pos, String),
}

/// The resource files that more than one root of the graph consumes, with how many
/// roots have yet to read each and its parse once made. A file is kept only until the
/// last of its roots has read it; files of one root are never kept.
#[derive(Debug, Default)]
pub(crate) struct ParsedFiles(std::sync::Mutex<HashMap<PathBuf, Shared>>);

#[derive(Debug)]
struct Shared {
    readers_left: usize,
    parsed: Option<std::sync::Arc<Parsed>>,
}

impl ParsedFiles {
    /// Counts the roots that consume each file.
    fn of(roots: &[Root]) -> ParsedFiles {
        let mut readers: HashMap<PathBuf, usize> = HashMap::new();
        for input in roots.iter().flat_map(|r| &r.inputs) {
            *readers.entry(input.clone()).or_default() += 1;
        }
        let shared = readers
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(path, n)| {
                let entry = Shared {
                    readers_left: n,
                    parsed: None,
                };
                (path, entry)
            })
            .collect();
        ParsedFiles(std::sync::Mutex::new(shared))
    }

    /// The parse of `path`, made by `parse` unless another root already made it. Two
    /// roots rendered at once may both parse a file; either result is the same.
    pub(crate) fn get_or_parse(
        &self,
        path: &Path,
        parse: impl FnOnce() -> Parsed,
    ) -> std::sync::Arc<Parsed> {
        let cached = self.0.lock().ok().and_then(|mut map| {
            let entry = map.get_mut(path)?;
            let parsed = entry.parsed.clone()?;
            entry.readers_left = entry.readers_left.saturating_sub(1);
            if entry.readers_left == 0 {
                map.remove(path);
            }
            Some(parsed)
        });
        if let Some(parsed) = cached {
            return parsed;
        }
        let parsed = std::sync::Arc::new(parse());
        if let Ok(mut map) = self.0.lock()
            && let Some(entry) = map.get_mut(path)
        {
            entry.readers_left = entry.readers_left.saturating_sub(1);
            if entry.readers_left == 0 {
                map.remove(path);
            } else {
                entry.parsed = Some(parsed.clone());
            }
        }
        parsed
    }
}

/// Reads the kustomizations in `dirs` (and those they list, anywhere under
/// `scan_root`) and finds the roots. Paths are joined and normalised lexically, as
/// Kustomize does, so `dirs` and `scan_root` should be given the same way (both
/// absolute, or both relative to the same directory).
pub fn plan(dirs: &[PathBuf], scan_root: &Path, reader: &dyn Reader, limits: &Limits) -> Graph {
    let scan_root = normalize(scan_root);
    let mut planner = Planner {
        nodes: Vec::new(),
        by_dir: HashMap::new(),
        queue: Vec::new(),
        kind_checks: Vec::new(),
        scan_root,
        reader,
        limits,
    };
    let mut scanned: Vec<usize> = dirs.iter().map(|d| planner.intern(normalize(d))).collect();
    while let Some(index) = planner.queue.pop() {
        planner.load(index);
    }
    planner.check_kinds();
    let mut listed = vec![false; planner.nodes.len()];
    for node in &planner.nodes {
        for entry in node.resources.iter().chain(&node.components) {
            if let Target::Kustomization(i) = entry.target {
                listed[i] = true;
            }
        }
    }
    scanned.sort_by(|&a, &b| planner.nodes[a].dir.cmp(&planner.nodes[b].dir));
    scanned.dedup();
    let mut graph = Graph {
        nodes: planner.nodes,
        roots: Vec::new(),
        limits: limits.clone(),
        parsed: ParsedFiles::default(),
    };
    let mut reached = vec![false; graph.nodes.len()];
    for &index in scanned.iter().filter(|&&i| !listed[i]) {
        graph.add_root(index, &mut reached);
    }
    // Kustomizations that list each other in a circle have no root above them: each
    // such circle gets its first directory as a root, so its files are still scanned.
    for &index in &scanned {
        if !reached[index] {
            graph.add_root(index, &mut reached);
        }
    }
    graph.roots.sort_by(|a, b| a.dir.cmp(&b.dir));
    graph.parsed = ParsedFiles::of(&graph.roots);
    graph
}

impl Graph {
    fn add_root(&mut self, index: usize, reached: &mut [bool]) {
        let mut walk = Walk {
            nodes: &self.nodes,
            state: vec![State::New; self.nodes.len()],
            inputs: Vec::new(),
            problems: Vec::new(),
        };
        walk.visit(index, 0);
        for (i, state) in walk.state.iter().enumerate() {
            if *state == State::Done {
                reached[i] = true;
            }
        }
        let Walk {
            mut inputs,
            problems,
            ..
        } = walk;
        inputs.sort();
        inputs.dedup();
        let node = &self.nodes[index];
        self.roots.push(Root {
            dir: node.dir.clone(),
            file: node.file.clone(),
            inputs,
            problems,
            node: index,
        });
    }
}

/// How many kustomizations deep a chain of bases may go: far more than any repository
/// needs, few enough that a generated chain cannot exhaust the stack.
pub const MAX_DEPTH: usize = 100;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    Open,
    Done,
}

/// A depth-first walk from one root: its inputs, its problems, its cycles.
struct Walk<'g> {
    nodes: &'g [Node],
    state: Vec<State>,
    inputs: Vec<PathBuf>,
    problems: Vec<Problem>,
}

impl Walk<'_> {
    fn visit(&mut self, index: usize, depth: usize) {
        self.state[index] = State::Open;
        let node = &self.nodes[index];
        self.inputs.extend(node.file.iter().cloned());
        self.inputs.extend(node.other_files.iter().cloned());
        self.problems.extend(node.problems.iter().cloned());
        for entry in node.resources.iter().chain(&node.components) {
            match entry.target {
                Target::File(ref path) => self.inputs.push(path.clone()),
                Target::Kustomization(next) => match self.state[next] {
                    State::New if depth >= MAX_DEPTH => self.problems.push(Problem {
                        file: node.file.clone().unwrap_or_else(|| node.dir.clone()),
                        at: entry.at,
                        reason: Reason::TooDeep(MAX_DEPTH),
                    }),
                    State::New => self.visit(next, depth + 1),
                    State::Open => self.problems.push(Problem {
                        file: node.file.clone().unwrap_or_else(|| node.dir.clone()),
                        at: entry.at,
                        reason: Reason::Cycle(shown(&self.nodes[next].dir)),
                    }),
                    State::Done => {}
                },
                Target::Unusable => {}
            }
        }
        self.state[index] = State::Done;
    }
}

struct Planner<'a> {
    nodes: Vec<Node>,
    by_dir: HashMap<PathBuf, usize>,
    queue: Vec<usize>,
    /// Kustomizations listed under `resources` (false) or `components` (true), checked
    /// once all are loaded: the lister, the listed, the entry.
    kind_checks: Vec<(usize, usize, Item, bool)>,
    scan_root: PathBuf,
    reader: &'a dyn Reader,
    limits: &'a Limits,
}

impl Planner<'_> {
    /// The node of `dir`, queued for loading the first time it is seen.
    fn intern(&mut self, dir: PathBuf) -> usize {
        if let Some(&index) = self.by_dir.get(&dir) {
            return index;
        }
        let index = self.nodes.len();
        self.by_dir.insert(dir.clone(), index);
        self.nodes.push(Node {
            dir,
            file: None,
            kustomization: None,
            resources: Vec::new(),
            components: Vec::new(),
            other_files: Vec::new(),
            problems: Vec::new(),
        });
        self.queue.push(index);
        index
    }

    fn load(&mut self, index: usize) {
        let dir = self.nodes[index].dir.clone();
        let found: Vec<PathBuf> = file::FILE_NAMES
            .iter()
            .map(|name| dir.join(name))
            .filter(|path| self.reader.kind(path) == PathKind::File)
            .collect();
        let file = match found.as_slice() {
            [file] => file.clone(),
            [] => {
                return self.problem(index, Span::default(), Reason::NoKustomization(shown(&dir)));
            }
            _ => {
                return self.problem(
                    index,
                    Span::default(),
                    Reason::SeveralKustomizations(shown(&dir)),
                );
            }
        };
        self.nodes[index].file = Some(file.clone());
        let parsed = self
            .reader
            .read(&file)
            .map_err(|e| FileError {
                at: Pos::START,
                message: e.to_string(),
            })
            .and_then(|bytes| file::read(&bytes, self.limits));
        let k = match parsed {
            Ok(k) => k,
            Err(e) => {
                return self.problem(
                    index,
                    Span {
                        start: e.at,
                        end: e.at,
                    },
                    Reason::Invalid(e),
                );
            }
        };
        for (unrendered, at) in &k.unrendered {
            let reason = match *unrendered {
                Unrendered::NotSupportedYet(field) => Reason::NotSupportedYet(field),
                Unrendered::HelmCharts => Reason::HelmCharts,
                Unrendered::Plugin(field) => Reason::Plugin(field),
            };
            self.problem(index, *at, reason);
        }
        let resources = k
            .resources
            .iter()
            .map(|item| self.resolve(index, &dir, item, false))
            .collect();
        let components = k
            .components
            .iter()
            .map(|item| self.resolve(index, &dir, item, true))
            .collect();
        let mut other_files = Vec::new();
        for item in &k.other_files {
            if let Some(path) = self.file(index, &dir, item, true) {
                other_files.push(path);
            }
        }
        for item in &k.maybe_files {
            if let Some(path) = self.file(index, &dir, item, false) {
                other_files.push(path);
            }
        }
        let node = &mut self.nodes[index];
        node.resources = resources;
        node.components = components;
        node.other_files = other_files;
        node.kustomization = Some(k);
    }

    /// A directory without one kustomization file, a Component listed as a resource, or
    /// a Kustomization as a component, is Kustomize's error: the entry is not rendered.
    fn check_kinds(&mut self) {
        for (index, next, item, component) in std::mem::take(&mut self.kind_checks) {
            let listed = &self.nodes[next];
            let reason = if listed.file.is_none() {
                // A directory with no kustomization file, or several: told at the entry.
                match listed.problems.first() {
                    Some(problem) => problem.reason.clone(),
                    None => continue,
                }
            } else {
                match (listed.kustomization.as_ref().map(|k| k.kind), component) {
                    (Some(Kind::Component), false) => {
                        Reason::ComponentAsResource(item.text.clone())
                    }
                    (Some(Kind::Kustomization), true) => Reason::NotAComponent(item.text.clone()),
                    _ => continue,
                }
            };
            self.problem(index, item.at, reason);
            let node = &mut self.nodes[index];
            let list = if component {
                &mut node.components
            } else {
                &mut node.resources
            };
            for entry in list.iter_mut().filter(|e| e.at == item.at) {
                entry.target = Target::Unusable;
            }
        }
    }

    fn problem(&mut self, index: usize, at: Span, reason: Reason) {
        let node = &mut self.nodes[index];
        let file = node.file.clone().unwrap_or_else(|| node.dir.clone());
        node.problems.push(Problem { file, at, reason });
    }

    /// An entry of `resources` (a file or a kustomization) or of `components`.
    fn resolve(&mut self, index: usize, dir: &Path, item: &Item, component: bool) -> Listed {
        let unusable = Listed {
            target: Target::Unusable,
            at: item.at,
        };
        let Some(path) = self.local(index, dir, item) else {
            return unusable;
        };
        match self.reader.kind(&path) {
            PathKind::File if !component => {
                if !path.starts_with(dir) {
                    self.problem(
                        index,
                        item.at,
                        Reason::OutsideLoadRestrictor(item.text.clone()),
                    );
                    return unusable;
                }
                Listed {
                    target: Target::File(path),
                    at: item.at,
                }
            }
            PathKind::Dir => {
                let next = self.intern(path);
                self.kind_checks
                    .push((index, next, item.clone(), component));
                Listed {
                    target: Target::Kustomization(next),
                    at: item.at,
                }
            }
            PathKind::Link => {
                self.problem(index, item.at, Reason::SymbolicLink(item.text.clone()));
                unusable
            }
            PathKind::File | PathKind::Missing => {
                let reason = if is_remote(&item.text) {
                    Reason::Remote(item.text.clone())
                } else {
                    Reason::Missing(item.text.clone())
                };
                self.problem(index, item.at, reason);
                unusable
            }
        }
    }

    /// A file another field reads; `required` when it must exist (a
    /// `patchesStrategicMerge` entry that is no file is an inline patch).
    fn file(&mut self, index: usize, dir: &Path, item: &Item, required: bool) -> Option<PathBuf> {
        if !required && (item.text.contains('\n') || item.text.contains(": ")) {
            return None;
        }
        let path = normalize(&dir.join(&item.text));
        match self.reader.kind(&path) {
            PathKind::File => {}
            PathKind::Link if required => {
                self.problem(index, item.at, Reason::SymbolicLink(item.text.clone()));
                return None;
            }
            _ if required => {
                self.problem(index, item.at, Reason::Missing(item.text.clone()));
                return None;
            }
            _ => return None,
        }
        if !path.starts_with(&self.scan_root) {
            self.problem(index, item.at, Reason::OutsideScanRoot(item.text.clone()));
            return None;
        }
        if !path.starts_with(dir) {
            self.problem(
                index,
                item.at,
                Reason::OutsideLoadRestrictor(item.text.clone()),
            );
            return None;
        }
        Some(path)
    }

    /// The path an entry names, if it is under the scan root.
    fn local(&mut self, index: usize, dir: &Path, item: &Item) -> Option<PathBuf> {
        let path = normalize(&dir.join(&item.text));
        if is_remote(&item.text) && self.reader.kind(&path) == PathKind::Missing {
            self.problem(index, item.at, Reason::Remote(item.text.clone()));
            return None;
        }
        if !path.starts_with(&self.scan_root) {
            self.problem(index, item.at, Reason::OutsideScanRoot(item.text.clone()));
            return None;
        }
        Some(path)
    }
}

/// Whether Kustomize would fetch this entry (a URL or a hosted git repository).
fn is_remote(text: &str) -> bool {
    text.contains("://")
        || text.starts_with("git@")
        || text.starts_with("git::")
        || text.contains("?ref=")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|host| text.starts_with(host))
}

/// `path` with `.` removed and `..` applied, without touching the file system (a
/// leading `..` that has nothing to remove stays).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                let last = out.components().next_back();
                match last {
                    Some(Component::Normal(_)) => {
                        out.pop();
                    }
                    Some(Component::RootDir | Component::Prefix(_)) => {}
                    _ => out.push(".."),
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::testing::memory;

    fn planned(files: &[(&str, &str)], dirs: &[&str]) -> Graph {
        let dirs: Vec<PathBuf> = dirs.iter().map(PathBuf::from).collect();
        let files: Vec<(String, String)> = files
            .iter()
            .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
            .collect();
        plan(&dirs, Path::new("r"), &memory(&files), &Limits::default())
    }

    #[test]
    fn roots_are_the_kustomizations_no_other_lists_with_all_their_inputs() {
        let graph = planned(
            &[
                ("r/base/kustomization.yaml", "resources: [a.yaml]\n"),
                ("r/base/a.yaml", ""),
                (
                    "r/comp/kustomization.yaml",
                    "kind: Component\nresources: [c.yaml]\n",
                ),
                ("r/comp/c.yaml", ""),
                (
                    "r/prod/kustomization.yaml",
                    "resources: [../base, p.yaml]\ncomponents: [../comp]\n",
                ),
                ("r/prod/p.yaml", ""),
            ],
            &["r/base", "r/comp", "r/prod"],
        );
        assert_eq!(graph.roots.len(), 1);
        let root = &graph.roots[0];
        assert_eq!(root.dir, Path::new("r/prod"));
        assert!(root.problems.is_empty(), "{:?}", root.problems);
        let inputs: Vec<_> = root.inputs.iter().map(|p| p.to_str().unwrap()).collect();
        assert_eq!(
            inputs,
            [
                "r/base/a.yaml",
                "r/base/kustomization.yaml",
                "r/comp/c.yaml",
                "r/comp/kustomization.yaml",
                "r/prod/kustomization.yaml",
                "r/prod/p.yaml"
            ]
        );
    }

    #[test]
    fn problems_name_the_listing_line() {
        let graph = planned(
            &[
                (
                    "r/a/kustomization.yaml",
                    "resources:\n- ../b\n- https://github.com/x/y\n- gone.yaml\n- ../b/x.yaml\n- ../../out\nhelmCharts: []\n",
                ),
                ("r/b/kustomization.yaml", "resources: [../a]\n"),
                ("r/b/x.yaml", ""),
            ],
            &["r/a", "r/b"],
        );
        // a and b list each other: a, the first, is the root of the circle.
        assert_eq!(graph.roots.len(), 1);
        let problems: Vec<_> = graph.roots[0]
            .problems
            .iter()
            .map(|p| {
                (
                    p.file.to_str().unwrap(),
                    p.at.start.line,
                    p.reason.to_string(),
                )
            })
            .collect();
        assert_eq!(
            problems,
            [
                ("r/a/kustomization.yaml", 7, "Helm charts are not inflated (`helmCharts`)".into()),
                ("r/a/kustomization.yaml", 3, "`https://github.com/x/y` is a remote resource, which is never fetched".into()),
                ("r/a/kustomization.yaml", 4, "`gone.yaml` does not exist".into()),
                ("r/a/kustomization.yaml", 5, "`../b/x.yaml` is not under the kustomization's directory, which Kustomize's default load restrictor refuses".into()),
                ("r/a/kustomization.yaml", 6, "`../../out` is outside the scanned root".into()),
                ("r/b/kustomization.yaml", 1, "`r/a` lists a kustomization that lists it back (a cycle)".into()),
            ]
        );
    }

    #[test]
    fn an_invalid_kustomization_is_a_problem_of_every_root_above_it() {
        let graph = planned(
            &[
                ("r/o1/kustomization.yaml", "resources: [../base]\n"),
                ("r/o2/kustomization.yaml", "resources: [../base]\n"),
                ("r/base/kustomization.yaml", "resources: []\nbogus: 1\n"),
            ],
            &["r/base", "r/o1", "r/o2"],
        );
        let roots: Vec<_> = graph
            .roots
            .iter()
            .map(|r| r.dir.to_str().unwrap())
            .collect();
        assert_eq!(roots, ["r/o1", "r/o2"]);
        for root in &graph.roots {
            assert_eq!(root.problems.len(), 1);
            assert_eq!(root.problems[0].at.start, Pos { line: 2, col: 1 });
            assert!(matches!(root.problems[0].reason, Reason::Invalid(_)));
        }
    }

    #[test]
    fn a_listed_directory_without_one_kustomization_file_is_told_at_the_entry() {
        let graph = planned(
            &[
                (
                    "r/a/kustomization.yaml",
                    "resources:\n- ../plain\n- ../two\n",
                ),
                ("r/plain/x.yaml", ""),
                ("r/two/kustomization.yaml", "resources: []\n"),
                ("r/two/kustomization.yml", "resources: []\n"),
            ],
            &["r/a"],
        );
        let problems: Vec<_> = graph.roots[0]
            .problems
            .iter()
            .map(|p| (p.at.start.line, p.reason.clone()))
            .collect();
        assert_eq!(
            problems,
            [
                (2, Reason::NoKustomization("r/plain".into())),
                (3, Reason::SeveralKustomizations("r/two".into())),
            ]
        );
    }

    #[test]
    fn normalize_applies_dot_dot_lexically() {
        assert_eq!(normalize(Path::new("a/./b/../c")), Path::new("a/c"));
        assert_eq!(normalize(Path::new("../x/../../y")), Path::new("../../y"));
        assert_eq!(normalize(Path::new("/a/../../b")), Path::new("/b"));
    }
}
