//! Which files to scan: named files as given, directories walked with the `ignore`
//! walker (honouring .gitignore/.ignore, skipping hidden entries, never following
//! symbolic links) and filtered by the include/exclude globs.

use std::path::{Component, Path, PathBuf};

use globset::{GlobSet, GlobSetBuilder};

use crate::config::path_glob;

pub const DEFAULT_INCLUDE: [&str; 3] = ["**/*.yaml", "**/*.yml", "**/*.json"];

/// A file to scan and the path reports show for it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub fs_path: PathBuf,
    pub display: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0}: no such file or directory")]
    Missing(String),
    #[error("bad glob `{glob}`: {source}")]
    Glob {
        glob: String,
        source: globset::Error,
    },
}

pub struct PathFilter {
    include: GlobSet,
    exclude: GlobSet,
}

impl PathFilter {
    /// `include` adds to the default include globs (SPEC 3.1: config and CLI add
    /// includes), it does not replace them.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Self, DiscoverError> {
        let include: Vec<String> = DEFAULT_INCLUDE
            .iter()
            .map(|s| (*s).to_owned())
            .chain(include.iter().cloned())
            .collect();
        Ok(PathFilter {
            include: glob_set(&include)?,
            exclude: glob_set(exclude)?,
        })
    }

    fn accepts(&self, relative: &str) -> bool {
        self.include.is_match(relative) && !self.exclude.is_match(relative)
    }
}

fn glob_set(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(path_glob(glob).map_err(|source| DiscoverError::Glob {
            glob: glob.clone(),
            source,
        })?);
    }
    builder.build().map_err(|source| DiscoverError::Glob {
        glob: globs.join(", "),
        source,
    })
}

/// What discovery found, plus notes on what it passed over.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    pub notes: Vec<String>,
}

pub fn discover(
    paths: &[PathBuf],
    root: &Path,
    filter: &PathFilter,
) -> Result<Discovered, DiscoverError> {
    let mut found = Discovered::default();
    for path in paths {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|_| DiscoverError::Missing(path.display().to_string()))?;
        if meta.file_type().is_symlink() {
            named_symlink(path, root, &mut found)?;
        } else if meta.is_dir() {
            walk(path, root, filter, &mut found);
        } else {
            found.files.push(candidate(path, root));
        }
    }
    found.files.sort_by(|a, b| a.display.cmp(&b.display));
    found.files.dedup_by(|a, b| a.display == b.display);
    Ok(found)
}

/// A symbolic link named on the command line is read only if it stays inside the root.
fn named_symlink(path: &Path, root: &Path, found: &mut Discovered) -> Result<(), DiscoverError> {
    let target = std::fs::canonicalize(path)
        .map_err(|_| DiscoverError::Missing(path.display().to_string()))?;
    let inside = std::fs::canonicalize(root).is_ok_and(|root| target.starts_with(root));
    if !inside {
        found.notes.push(format!(
            "{}: not read: a symbolic link to outside the root",
            display_path(path, root)
        ));
    } else if target.is_dir() {
        found.notes.push(format!(
            "{}: not walked: a symbolic link to a directory",
            display_path(path, root)
        ));
    } else {
        found.files.push(candidate(path, root));
    }
    Ok(())
}

fn walk(dir: &Path, root: &Path, filter: &PathFilter, found: &mut Discovered) {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .follow_links(false)
        .require_git(false)
        .git_global(false)
        .build();
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                let file = candidate(entry.path(), root);
                let relative = match lexical_relative(entry.path(), root) {
                    Some(_) => file.display.clone(),
                    None => {
                        lexical_relative(entry.path(), dir).unwrap_or_else(|| file.display.clone())
                    }
                };
                if filter.accepts(&relative) {
                    found.files.push(file);
                }
            }
            Ok(_) => {}
            Err(e) => found.notes.push(format!("not read: {e}")),
        }
    }
}

fn candidate(path: &Path, root: &Path) -> Candidate {
    Candidate {
        fs_path: path.to_path_buf(),
        display: display_path(path, root),
    }
}

/// The path relative to the root with `/` separators, else the absolute path.
pub fn display_path(path: &Path, root: &Path) -> String {
    lexical_relative(path, root).unwrap_or_else(|| absolute(path).to_string_lossy().into_owned())
}

fn lexical_relative(path: &Path, base: &Path) -> Option<String> {
    let path = absolute(path);
    let base = absolute(base);
    let rest = path.strip_prefix(&base).ok()?;
    let parts: Vec<_> = rest
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    Some(parts.join("/"))
}

/// An absolute path with `.` and `..` removed, without touching the file system.
pub fn absolute(path: &Path) -> PathBuf {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
