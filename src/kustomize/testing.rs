//! A [`Reader`] over files held in memory, for the renderer's unit tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{PathKind, Reader};

/// Files in memory: a path's text, directories implied by the files under them.
pub(crate) struct Memory(BTreeMap<PathBuf, String>);

impl Reader for Memory {
    fn kind(&self, path: &Path) -> PathKind {
        if self.0.contains_key(path) {
            PathKind::File
        } else if self.0.keys().any(|p| p.starts_with(path)) {
            PathKind::Dir
        } else {
            PathKind::Missing
        }
    }

    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        self.0
            .get(path)
            .map(|text| text.clone().into_bytes())
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }
}

pub(crate) fn memory(files: &[(String, String)]) -> Memory {
    Memory(
        files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), text.clone()))
            .collect(),
    )
}
