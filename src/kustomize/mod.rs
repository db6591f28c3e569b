//! Kustomize overlays rendered natively (SPEC 3.4): a root and its inputs become one
//! rendered tree per object, each field keeping the file, line and column its value
//! came from.
//!
//! Two steps, both free of I/O but for a [`Reader`] the caller gives:
//! - [`plan`] reads the kustomization files of a scan into a [`Graph`]: its roots, the
//!   files each root consumes, and the [`Problem`]s that keep a root from being
//!   rendered exactly as Kustomize would (the caller then scans its inputs file by
//!   file);
//! - [`render`] renders one root of it, given the [`FileId`](crate::files::FileId) of
//!   every input, into its objects in `kubectl kustomize` order; [`emit`] prints them
//!   as `kubectl kustomize` does.

pub mod emit;
pub mod fields;
pub mod file;
pub mod generate;
pub mod graph;
pub mod label_selector;
pub mod node;
pub mod patch;
mod render;
pub mod replacements;
pub mod resid;
mod transform;
pub mod vars;

#[cfg(test)]
pub mod testing;

use std::path::Path;

pub use graph::{Graph, Problem, Reason, Root, plan};
pub use render::{Rendering, render};

/// What is at a path, for [`Reader::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathKind {
    File,
    Dir,
    /// A symbolic link that is not followed.
    Link,
    Missing,
}

/// The renderer's only access to files.
pub trait Reader: Sync {
    fn kind(&self, path: &Path) -> PathKind;
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;
}

/// Reads the file system as a scan does: regular files only, at most the file size
/// limit plus one byte, and symbolic links only when the scan follows them.
pub struct FsReader {
    pub max_file_bytes: u64,
    pub follow_symlinks: bool,
}

impl Reader for FsReader {
    fn kind(&self, path: &Path) -> PathKind {
        let metadata = if self.follow_symlinks {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        };
        match metadata {
            Ok(m) if m.is_dir() => PathKind::Dir,
            Ok(m) if m.file_type().is_symlink() => PathKind::Link,
            Ok(_) => PathKind::File,
            Err(_) => PathKind::Missing,
        }
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        crate::load::read_file(path, self.max_file_bytes, self.follow_symlinks).map_err(|e| match e
        {
            crate::load::ReadError::Io(e) => e,
            other => std::io::Error::other(other.to_string()),
        })
    }
}
