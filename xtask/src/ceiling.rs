//! The parse-only ceiling: read every manifest and drain saphyr-parser's events, and
//! nothing else. tokenguard parses with the same parser, so no scan of the same files can
//! be faster than this; the benchmark reports tokenguard's speed as a share of it.

use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// What one pass over the files saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: u64,
    pub bytes: u64,
    pub events: u64,
    /// Files that are not UTF-8 or that the parser rejected (counted up to the error).
    pub errors: u64,
}

impl Totals {
    fn add(self, other: Totals) -> Totals {
        Totals {
            files: self.files + other.files,
            bytes: self.bytes + other.bytes,
            events: self.events + other.events,
            errors: self.errors + other.errors,
        }
    }
}

/// The files tokenguard's default globs select (`*.yaml`, `*.yml`, `*.json`), skipping
/// hidden entries as its walker does; sorted.
pub fn manifest_files(paths: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            walk(&path, out)?;
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Events of one text, and whether the parser stopped on an error.
pub fn drain(text: &str) -> (u64, bool) {
    let mut events = 0;
    let mut parser = saphyr_parser::Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        match event {
            Ok(event) => {
                std::hint::black_box(&event);
                events += 1;
            }
            Err(_) => return (events, true),
        }
    }
    (events, false)
}

/// Reads and parses one file.
pub fn parse_file(path: &Path) -> Totals {
    let Ok(bytes) = std::fs::read(path) else {
        return Totals {
            files: 1,
            errors: 1,
            ..Totals::default()
        };
    };
    let (events, error) = match std::str::from_utf8(&bytes) {
        Ok(text) => drain(text),
        Err(_) => (0, true),
    };
    Totals {
        files: 1,
        bytes: bytes.len() as u64,
        events,
        errors: u64::from(error),
    }
}

/// Reads and parses every file on the current rayon pool.
pub fn parse_all(files: &[PathBuf]) -> Totals {
    files
        .par_iter()
        .map(|p| parse_file(p))
        .reduce(Totals::default, Totals::add)
}
