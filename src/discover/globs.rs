//! The include and exclude globs of the config and the command line, matched the way
//! users write them (SPEC 5.4): `samples`, `samples/`, `./samples/**` and `samples/**`
//! all name the directory `samples` and everything in it. Each glob remembers whether it
//! matched anything, so that one that matches nothing can be reported.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use globset::{GlobSet, GlobSetBuilder};

use super::{DEFAULT_INCLUDE, DiscoverError, absolute, relative_parts};
use crate::Notification;
use crate::config::path_glob;
use crate::finding::Level;
use crate::yaml::Pos;

/// Globs written in one place, relative to one directory.
#[derive(Debug, Default)]
pub struct GlobLayer {
    /// The directory the globs are relative to; `None` for the root.
    pub dir: Option<PathBuf>,
    pub include: Vec<UserGlob>,
    pub exclude: Vec<UserGlob>,
}

/// A glob as its user wrote it.
#[derive(Clone, Debug)]
pub struct UserGlob {
    pub text: String,
    pub written_at: WrittenAt,
}

#[derive(Clone, Debug)]
pub enum WrittenAt {
    /// `paths.<key>` of the config file shown as `file`.
    Config {
        file: String,
        key: &'static str,
        pos: Pos,
    },
    /// A command-line flag such as `--exclude`.
    Flag(&'static str),
}

/// Decides which walked files are scanned: those an include glob lets in (the default
/// manifest globs when no include glob is given) and no exclude glob keeps out.
pub struct PathFilter {
    manifests: GlobSet,
    layers: Vec<Layer>,
    /// Every glob of every layer, in the order of their ids.
    globs: Vec<UserGlob>,
    /// Whether glob `i` matched a walked file or a directory above one.
    matched: Vec<AtomicBool>,
}

struct Layer {
    dir: Option<PathBuf>,
    /// The ids of this layer's globs.
    globs: Range<usize>,
    /// Include globs that match the file itself: it is scanned whatever its type.
    include_file: Matcher,
    /// Include globs that match a directory the file is in: it is scanned if it is a
    /// manifest by name (YAML or JSON).
    include_under: Matcher,
    /// Exclude globs, matching the file or a directory it is in.
    exclude: Matcher,
}

/// A glob set and, for each of its globs, the id of the user's glob it came from.
struct Matcher {
    set: GlobSet,
    ids: Vec<usize>,
}

impl PathFilter {
    pub fn new(layers: Vec<GlobLayer>) -> Result<Self, DiscoverError> {
        let mut globs = Vec::new();
        let mut built = Vec::new();
        for layer in layers {
            let first = globs.len();
            let mut include_file = MatcherBuilder::default();
            let mut include_under = MatcherBuilder::default();
            let mut exclude = MatcherBuilder::default();
            for glob in layer.include {
                let (file, under) = forms(&glob.text);
                if let Some(file) = file {
                    include_file.add(&glob.text, &file, globs.len())?;
                }
                include_under.add(&glob.text, &under, globs.len())?;
                globs.push(glob);
            }
            for glob in layer.exclude {
                let (file, under) = forms(&glob.text);
                if let Some(file) = file {
                    exclude.add(&glob.text, &file, globs.len())?;
                }
                exclude.add(&glob.text, &under, globs.len())?;
                globs.push(glob);
            }
            built.push(Layer {
                dir: layer.dir.map(|d| absolute(&d)),
                globs: first..globs.len(),
                include_file: include_file.build()?,
                include_under: include_under.build()?,
                exclude: exclude.build()?,
            });
        }
        let mut manifests = MatcherBuilder::default();
        for glob in DEFAULT_INCLUDE {
            manifests.add(glob, glob, 0)?;
        }
        Ok(PathFilter {
            manifests: manifests.build()?.set,
            layers: built,
            matched: globs.iter().map(|_| AtomicBool::new(false)).collect(),
            globs,
        })
    }

    /// Whether the file at `abs` is scanned; `relative` is its path relative to the root
    /// (or to the walked directory when that lies outside the root).
    pub(super) fn accepts(&self, abs: &Path, relative: &str) -> bool {
        // Matched against the default globs once per file, and only if needed.
        let manifest = std::cell::OnceCell::new();
        let is_manifest = || *manifest.get_or_init(|| self.manifests.is_match(relative));
        let mut has_includes = false;
        let mut included = false;
        let mut excluded = false;
        for layer in self.layers.iter().filter(|l| !l.globs.is_empty()) {
            let anchored;
            let path = match &layer.dir {
                None => relative,
                Some(dir) => match relative_parts(abs, dir) {
                    Some(path) => {
                        anchored = path;
                        anchored.as_str()
                    }
                    // A file outside the layer's directory: its globs say nothing.
                    None => continue,
                },
            };
            if !layer.include_under.ids.is_empty() {
                has_includes = true;
                included |= self.record(&layer.include_file, path);
                included |= self.record(&layer.include_under, path) && is_manifest();
            }
            excluded |= self.record(&layer.exclude, path);
        }
        let included = if has_includes {
            included
        } else {
            is_manifest()
        };
        included && !excluded
    }

    /// Whether `matcher` matches `path`, noting which globs did. Which ones is asked
    /// (a list allocated per file) only while one of them has not matched yet.
    fn record(&self, matcher: &Matcher, path: &str) -> bool {
        if matcher.ids.is_empty() || !matcher.set.is_match(path) {
            return false;
        }
        let seen = |id: &usize| self.matched[*id].load(Ordering::Relaxed);
        if !matcher.ids.iter().all(seen) {
            for hit in matcher.set.matches(path) {
                self.matched[matcher.ids[hit]].store(true, Ordering::Relaxed);
            }
        }
        true
    }

    /// A warning for each glob that matched nothing in a walk of `walked` (absolute
    /// directories), among those whose directory the walk covered: a scan of `apps/`
    /// says nothing about a glob for `samples/`.
    pub(super) fn unmatched(&self, walked: &[PathBuf], root: &Path) -> Vec<Notification> {
        let root = absolute(root);
        let covered = |layer: &&Layer| {
            let dir = layer.dir.as_ref().unwrap_or(&root);
            walked.iter().any(|w| dir.starts_with(w))
        };
        self.layers
            .iter()
            .filter(covered)
            .flat_map(|layer| layer.globs.clone().map(move |id| (layer, id)))
            .filter(|&(_, id)| !self.matched[id].load(Ordering::Relaxed))
            .map(|(layer, id)| unmatched_note(&self.globs[id], layer.dir.is_some()))
            .collect()
    }
}

/// `below_root`: the glob is relative to a directory below the root (a found config's,
/// or the current directory).
fn unmatched_note(glob: &UserGlob, below_root: bool) -> Notification {
    let (path, pos, written, base) = match &glob.written_at {
        WrittenAt::Config { file, key, pos } => (
            Some(file.clone()),
            Some(*pos),
            format!("paths.{key}"),
            "the config's globs are relative to its own directory",
        ),
        WrittenAt::Flag(flag) => (
            None,
            None,
            (*flag).to_owned(),
            "command-line globs are relative to the current directory",
        ),
    };
    let base = if below_root {
        base
    } else {
        "globs are relative to the root"
    };
    Notification {
        level: Level::Warning,
        path,
        pos,
        message: format!(
            "{written} `{}` matches no file or directory ({base})",
            glob.text
        ),
    }
}

/// The globs a user's glob stands for: one for the path itself (none for the directory
/// the globs are relative to: `.` or `./`), and one for everything under it. A leading
/// `./` or `/` and a trailing `/` or `/**` are dropped, so the ways of writing a
/// directory are one.
fn forms(text: &str) -> (Option<String>, String) {
    let mut glob = text;
    while let Some(rest) = glob.strip_prefix("./") {
        glob = rest;
    }
    let glob = glob.strip_prefix('/').unwrap_or(glob).trim_end_matches('/');
    let glob = glob.strip_suffix("/**").unwrap_or(glob);
    match glob {
        "" | "." => (None, "**".to_owned()),
        glob => (Some(glob.to_owned()), format!("{glob}/**")),
    }
}

struct MatcherBuilder {
    builder: GlobSetBuilder,
    ids: Vec<usize>,
    written: Vec<String>,
}

impl Default for MatcherBuilder {
    fn default() -> Self {
        MatcherBuilder {
            builder: GlobSetBuilder::new(),
            ids: Vec::new(),
            written: Vec::new(),
        }
    }
}

impl MatcherBuilder {
    fn add(&mut self, written: &str, glob: &str, id: usize) -> Result<(), DiscoverError> {
        let bad = |source| DiscoverError::Glob {
            glob: written.to_owned(),
            source,
        };
        self.builder.add(path_glob(glob).map_err(bad)?);
        self.ids.push(id);
        self.written.push(written.to_owned());
        Ok(())
    }

    fn build(self) -> Result<Matcher, DiscoverError> {
        let set = self.builder.build().map_err(|source| DiscoverError::Glob {
            glob: self.written.join(", "),
            source,
        })?;
        Ok(Matcher { set, ids: self.ids })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(flag: &'static str, text: &str) -> UserGlob {
        UserGlob {
            text: text.to_owned(),
            written_at: WrittenAt::Flag(flag),
        }
    }

    fn filter(include: &[&str], exclude: &[&str]) -> PathFilter {
        PathFilter::new(vec![GlobLayer {
            dir: None,
            include: include.iter().map(|g| flag("--include", g)).collect(),
            exclude: exclude.iter().map(|g| flag("--exclude", g)).collect(),
        }])
        .unwrap()
    }

    fn accepted(filter: &PathFilter, paths: &[&'static str]) -> Vec<&'static str> {
        let root = Path::new("/repo");
        paths
            .iter()
            .copied()
            .filter(|p| filter.accepts(&root.join(p), p))
            .collect()
    }

    const TREE: [&str; 6] = [
        "a.yaml",
        "samples/x.yaml",
        "samples/deep/y.yml",
        "apps/samples/z.yaml",
        "apps/README.md",
        "notes.txt",
    ];

    #[test]
    fn every_way_of_writing_a_directory_excludes_it_and_only_it() {
        for glob in [
            "samples",
            "samples/",
            "./samples/**",
            "samples/**",
            "/samples",
        ] {
            let f = filter(&[], &[glob]);
            assert_eq!(
                accepted(&f, &TREE),
                ["a.yaml", "apps/samples/z.yaml"],
                "{glob}"
            );
            assert!(
                f.unmatched(&[PathBuf::from("/repo")], Path::new("/repo"))
                    .is_empty()
            );
        }
        let f = filter(&[], &["**/samples"]);
        assert_eq!(accepted(&f, &TREE), ["a.yaml"]);
    }

    #[test]
    fn include_globs_replace_the_defaults_and_a_directory_keeps_to_its_manifests() {
        assert_eq!(
            accepted(&filter(&[], &[]), &TREE),
            [
                "a.yaml",
                "samples/x.yaml",
                "samples/deep/y.yml",
                "apps/samples/z.yaml"
            ]
        );
        for glob in ["apps", "apps/", "./apps/**", "apps/**"] {
            assert_eq!(
                accepted(&filter(&[glob], &[]), &TREE),
                ["apps/samples/z.yaml"],
                "{glob}"
            );
        }
        // A glob that names files takes them whatever their type.
        assert_eq!(
            accepted(&filter(&["**/*.txt", "apps/**/*.md"], &[]), &TREE),
            ["apps/README.md", "notes.txt"]
        );
        assert_eq!(
            accepted(&filter(&["samples", "**/*.txt"], &["samples/deep"]), &TREE),
            ["samples/x.yaml", "notes.txt"]
        );
    }

    #[test]
    fn a_glob_that_matches_nothing_is_reported_when_the_walk_covered_its_directory() {
        let f = filter(&["apps", "nothing/**"], &["*.yaml", "sample/"]);
        accepted(&f, &TREE);
        let notes = f.unmatched(&[PathBuf::from("/repo")], Path::new("/repo"));
        let messages: Vec<&str> = notes.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "--include `nothing/**` matches no file or directory (globs are relative to the root)",
                "--exclude `sample/` matches no file or directory (globs are relative to the root)",
            ]
        );
        // A walk of one directory says nothing about the others.
        assert!(
            f.unmatched(&[PathBuf::from("/repo/apps")], Path::new("/repo"))
                .is_empty()
        );
    }

    #[test]
    fn config_globs_are_relative_to_the_config_directory() {
        let f = PathFilter::new(vec![GlobLayer {
            dir: Some(PathBuf::from("/repo/apps")),
            include: Vec::new(),
            exclude: vec![UserGlob {
                text: "samples".to_owned(),
                written_at: WrittenAt::Config {
                    file: "apps/.tokenguard.yaml".to_owned(),
                    key: "exclude",
                    pos: Pos { line: 3, col: 5 },
                },
            }],
        }])
        .unwrap();
        assert_eq!(
            accepted(&f, &TREE),
            ["a.yaml", "samples/x.yaml", "samples/deep/y.yml"]
        );
    }
}
