//! Which files to scan: named files as given, directories walked with the `ignore`
//! walker (honouring .gitignore/.ignore, skipping hidden entries) and filtered by the
//! include/exclude globs.
//!
//! The scanned repository is untrusted (SPEC 10): symbolic links are not followed (a
//! link found in a walk is reported, never read; a named link is read only when it
//! stays inside the root), FIFOs, devices and sockets are skipped, and nothing outside
//! the root is reached through a link unless `--follow-symlinks` says so.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

mod globs;

pub use globs::{GlobLayer, PathFilter, UserGlob, WrittenAt};

use crate::Notification;
use crate::load::file_kind;
use crate::rule_id::Level;

/// Manifests, and Kustomize's extensionless `Kustomization` file (SPEC 3.4), whose
/// directory is a kustomization like one holding `kustomization.yaml`.
pub const DEFAULT_INCLUDE: [&str; 4] = ["**/*.yaml", "**/*.yml", "**/*.json", "**/Kustomization"];

/// A file to scan and the path reports show for it.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub display: String,
    /// Where to read it when that is not the root joined with `display`: a link's
    /// resolved target (so that it is opened without following a link in its last
    /// component), or a name that is not UTF-8. Most files need no second path.
    pub fs_path: Option<PathBuf>,
}

impl Candidate {
    /// `path` as found on disk, shown as `display`.
    fn new(display: String, path: &Path, path_abs: &Path, root_abs: &Path) -> Candidate {
        let fs_path = (root_abs.join(&display) != path_abs).then(|| path.to_path_buf());
        Candidate { display, fs_path }
    }

    /// A path that reads the file.
    pub fn fs_path(&self, root: &Path) -> PathBuf {
        match &self.fs_path {
            Some(path) => path.clone(),
            None => root.join(&self.display),
        }
    }
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

/// What discovery found, plus notes on what it passed over.
#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<Candidate>,
    pub notes: Vec<Notification>,
}

impl Discovered {
    fn note(&mut self, level: Level, path: &Path, root: &Path, message: impl Into<String>) {
        self.notes.push(Notification {
            level,
            path: Some(display_path(path, root)),
            pos: None,
            message: message.into(),
        });
    }

    /// Leaves out tokenguard's own reports, even when named: `own` (the files this run
    /// writes) and any baseline file. A JSON report is a `*.json` file like a manifest.
    pub fn drop_own_reports(&mut self, root: &Path, own: &[PathBuf]) {
        let own: Vec<PathBuf> = own.iter().map(|p| file_identity(p)).collect();
        let mut dropped = Vec::new();
        self.files.retain(|file| {
            let name = file.display.rsplit('/').next().unwrap_or(&file.display);
            let is_own = name == crate::baseline::FILE_NAME
                || own.iter().any(|path| {
                    // Only a file of the same name is looked up on disk.
                    path.file_name().is_some_and(|n| n.to_str() == Some(name))
                        && *path == file_identity(&file.fs_path(root))
                });
            if is_own {
                dropped.push(file.display.clone());
            }
            !is_own
        });
        if dropped.is_empty() {
            return;
        }
        for path in dropped {
            self.notes.push(Notification {
                level: Level::Note,
                path: Some(path),
                pos: None,
                message: "not scanned: a report of tokenguard's own".to_owned(),
            });
        }
        // `discover` sorted the others; these take their places among them.
        sort_notes(&mut self.notes);
    }
}

/// What tells two paths of one file apart from paths of two files: the absolute path,
/// through the real directory when it exists (`out.json`, `./out.json`, `d/../out.json`
/// and a path through a linked directory are one file).
pub fn file_identity(path: &Path) -> PathBuf {
    let absolute = absolute(path);
    let real_dir = absolute
        .parent()
        .and_then(|dir| std::fs::canonicalize(dir).ok());
    match (real_dir, absolute.file_name()) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => absolute,
    }
}

fn sort_notes(notes: &mut Vec<Notification>) {
    notes.sort_by(|a, b| (&a.path, a.pos, &a.message).cmp(&(&b.path, b.pos, &b.message)));
    notes.dedup_by(|a, b| a.path == b.path && a.message == b.message);
}

const LINK_OUTSIDE: &str =
    "not read: a symbolic link to outside the root (--follow-symlinks reads it)";

/// Finds the files to scan. A named path that does not exist is an error; anything
/// else that cannot be scanned becomes a note.
pub fn discover(
    paths: &[PathBuf],
    root: &Path,
    filter: &PathFilter,
    follow_symlinks: bool,
) -> Result<Discovered, DiscoverError> {
    let mut found = Discovered::default();
    let mut walked = Vec::new();
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| absolute(root));
    for path in paths {
        let meta = std::fs::symlink_metadata(path)
            .map_err(|_| DiscoverError::Missing(path.display().to_string()))?;
        let target = match std::fs::canonicalize(path) {
            Ok(target) => target,
            Err(e) => {
                // lstat found it, so it is a link that leads nowhere, or a loop.
                found.note(Level::Warning, path, root, broken_link(&e));
                continue;
            }
        };
        let inside = target.starts_with(&real_root);
        let named_inside = absolute(path).starts_with(absolute(root));
        let is_link = meta.file_type().is_symlink();
        if !follow_symlinks && !inside && (is_link || named_inside) {
            // Either the named path is a link that leaves the root, or a path in the
            // repository that some link in it carries outside.
            found.note(Level::Warning, path, root, LINK_OUTSIDE);
            continue;
        }
        let target_meta = match std::fs::metadata(&target) {
            Ok(m) => m,
            Err(e) => {
                found.note(Level::Warning, path, root, format!("not read: {e}"));
                continue;
            }
        };
        if target_meta.is_dir() {
            if is_link && !follow_symlinks {
                found.note(
                    Level::Note,
                    path,
                    root,
                    "not walked: a symbolic link to a directory (--follow-symlinks walks it)",
                );
            } else {
                walk(path, root, &real_root, filter, follow_symlinks, &mut found);
                walked.push(absolute(path));
            }
        } else if !target_meta.is_file() {
            let kind = file_kind(target_meta.file_type());
            found.note(
                Level::Warning,
                path,
                root,
                format!("skipped: not a regular file ({kind})"),
            );
        } else if is_link {
            found.files.push(Candidate {
                display: display_path(path, root),
                fs_path: Some(target),
            });
        } else {
            let display = display_path(path, root);
            let root_abs = absolute(root);
            found
                .files
                .push(Candidate::new(display, path, &absolute(path), &root_abs));
        }
    }
    found.notes.extend(filter.unmatched(&walked, root));
    found.files.sort_by(|a, b| a.display.cmp(&b.display));
    sort_notes(&mut found.notes);
    found.files.dedup_by(|a, b| {
        a.display == b.display && absolute(&a.fs_path(root)) == absolute(&b.fs_path(root))
    });
    Ok(found)
}

/// The path and the message of a walk error (nested in the walker's wrappers).
fn walk_error(e: &ignore::Error) -> (Option<&Path>, String) {
    match e {
        ignore::Error::WithPath { path, err } => (Some(path), walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(err)
        }
        ignore::Error::Loop { child, .. } => (
            Some(child),
            "not walked: a file system loop (a link to a directory it is in)".to_owned(),
        ),
        ignore::Error::Io(io) => (None, broken_link(io)),
        other => (None, format!("not read: {other}")),
    }
}

/// The OS error code of an I/O error, also when the walker wrapped it.
fn os_error(e: &std::io::Error) -> Option<i32> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(code) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.raw_os_error())
        {
            return Some(code);
        }
        source = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as _),
            None => err.source(),
        };
    }
    None
}

fn broken_link(e: &std::io::Error) -> String {
    if os_error(e) == Some(LOOP_ERRNO) {
        "not read: a symbolic link loop".to_owned()
    } else if e.kind() == ErrorKind::NotFound {
        "not read: a broken symbolic link".to_owned()
    } else {
        format!("not read: {e}")
    }
}

#[cfg(unix)]
const LOOP_ERRNO: i32 = libc::ELOOP;
#[cfg(not(unix))]
const LOOP_ERRNO: i32 = -1;

fn walk(
    dir: &Path,
    root: &Path,
    real_root: &Path,
    filter: &PathFilter,
    follow_symlinks: bool,
    found: &mut Discovered,
) {
    // Walked on as many threads as the scan reads with; discover() sorts what it finds.
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(true)
        .follow_links(follow_symlinks)
        .require_git(false)
        .git_global(false)
        .threads(rayon::current_num_threads())
        .build_parallel();
    let walk = Walk {
        dir,
        dir_abs: absolute(dir),
        root,
        root_abs: absolute(root),
        real_root,
        filter,
    };
    let walked = std::sync::Mutex::new(Discovered::default());
    walker.run(|| {
        Box::new(|entry| {
            let mut local = Discovered::default();
            walk.visit(entry, &mut local);
            if !(local.files.is_empty() && local.notes.is_empty()) {
                let mut shared = walked
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                shared.files.append(&mut local.files);
                shared.notes.append(&mut local.notes);
            }
            ignore::WalkState::Continue
        })
    });
    let mut walked = walked
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    found.files.append(&mut walked.files);
    found.notes.append(&mut walked.notes);
}

/// One directory walk: the paths it is relative to, made absolute once rather than for
/// every file.
struct Walk<'a> {
    dir: &'a Path,
    dir_abs: PathBuf,
    root: &'a Path,
    root_abs: PathBuf,
    real_root: &'a Path,
    filter: &'a PathFilter,
}

impl Walk<'_> {
    fn visit(&self, entry: Result<ignore::DirEntry, ignore::Error>, found: &mut Discovered) {
        let root = self.root;
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                let (path, message) = walk_error(&e);
                found.notes.push(Notification {
                    level: Level::Warning,
                    path: path.map(|p| display_path(p, root)),
                    pos: None,
                    message,
                });
                return;
            }
        };
        let Some(kind) = entry.file_type() else {
            return; // standard input; never produced by a directory walk
        };
        if kind.is_dir() {
            return;
        }
        let path = entry.path();
        let (abs, display, relative_to_dir) = self.paths(path);
        // Root-relative globs match the path relative to the root, or to the walked
        // directory when it lies outside the root; the others their own (see `accepts`).
        let relative = relative_to_dir.as_deref().unwrap_or(&display);
        if kind.is_symlink() {
            // Only reached without --follow-symlinks: the walker follows them otherwise.
            let target = std::fs::canonicalize(path);
            let target_is_dir = target.as_ref().is_ok_and(|t| t.is_dir());
            if !target_is_dir && !self.filter.accepts(&abs, relative) {
                return;
            }
            match target {
                Err(e) => found.note(Level::Warning, path, root, broken_link(&e)),
                Ok(t) if !t.starts_with(self.real_root) => {
                    found.note(Level::Warning, path, root, LINK_OUTSIDE)
                }
                Ok(_) if target_is_dir => found.note(
                    Level::Note,
                    path,
                    root,
                    "not walked: a symbolic link to a directory (--follow-symlinks walks it)",
                ),
                Ok(_) => found.note(
                    Level::Note,
                    path,
                    root,
                    "not read: a symbolic link (--follow-symlinks follows it)",
                ),
            }
        } else if !self.filter.accepts(&abs, relative) {
            // Not a manifest path: passed over silently.
        } else if kind.is_file() {
            // With --follow-symlinks, read a link's target, so that the file is opened
            // without following anything, as every other file is.
            let file = match entry.path_is_symlink() {
                true => Candidate {
                    display,
                    fs_path: Some(
                        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
                    ),
                },
                false => Candidate::new(display, path, &abs, &self.root_abs),
            };
            found.files.push(file);
        } else {
            found.note(
                Level::Warning,
                path,
                root,
                format!("skipped: not a regular file ({})", file_kind(kind)),
            );
        }
    }

    /// The absolute path, the path reports show (as [`display_path`]) and, when the
    /// file is outside the root, its path relative to the walked directory.
    fn paths(&self, path: &Path) -> (PathBuf, String, Option<String>) {
        // The walker yields `dir` joined with plain names, so the absolute path is the
        // absolute `dir` joined with the same names.
        let abs = match path.strip_prefix(self.dir) {
            Ok(rest) => self.dir_abs.join(rest),
            Err(_) => absolute(path),
        };
        match relative_parts(&abs, &self.root_abs) {
            Some(relative) => (abs, relative, None),
            None => {
                let display = lossless(abs.as_os_str());
                let relative = relative_parts(&abs, &self.dir_abs);
                (abs, display, relative)
            }
        }
    }
}

/// The path relative to the root with `/` separators, else the absolute path. Bytes
/// that are not UTF-8 are shown as `\xNN`, so that two such names never look alike.
pub fn display_path(path: &Path, root: &Path) -> String {
    lexical_relative(path, root).unwrap_or_else(|| lossless(absolute(path).as_os_str()))
}

fn lexical_relative(path: &Path, base: &Path) -> Option<String> {
    relative_parts(&absolute(path), &absolute(base))
}

/// `path` relative to `base`, `/`-separated; both already absolute and normalised.
fn relative_parts(path: &Path, base: &Path) -> Option<String> {
    let rest = path.strip_prefix(base).ok()?;
    let parts: Vec<_> = rest.components().map(|c| lossless(c.as_os_str())).collect();
    Some(parts.join("/"))
}

/// The text of a file name, with bytes that are not UTF-8 written as `\xNN`.
fn lossless(name: &std::ffi::OsStr) -> String {
    if let Some(text) = name.to_str() {
        return text.to_owned();
    }
    #[cfg(unix)]
    {
        use std::fmt::Write;
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in name.as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                let _ = write!(out, "\\x{b:02X}");
            }
        }
        out
    }
    #[cfg(not(unix))]
    name.to_string_lossy().into_owned()
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
