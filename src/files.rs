//! The scanned files as reports show them. A large scan has hundreds of thousands, so
//! their paths share one buffer and only the rare file read from elsewhere than its
//! path under the root keeps a second name.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

/// A file in [`Files`]. Ids follow the files' paths in report order: the table is
/// sorted once, when every file a finding can point at is registered, and never grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// Every file a finding can point at, in [`FileId`] order.
#[derive(Debug, Default)]
pub struct Files {
    pub(crate) names: Names,
    pub(crate) info: Vec<FileInfo>,
}

/// The paths of the files and where each is read from.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Every path, one after the other.
    paths: String,
    /// Per file: where its path ends in `paths`.
    ends: Vec<usize>,
    /// The files not read from the root joined with their path, by ascending id.
    elsewhere: Vec<(FileId, Source)>,
}

/// What the load learned about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileInfo {
    pub status: FileStatus,
    pub objects: u32,
    pub workloads: u32,
    pub service_accounts: u32,
}

impl Default for FileInfo {
    fn default() -> Self {
        FileInfo {
            status: FileStatus::Scanned,
            objects: 0,
            workloads: 0,
            service_accounts: 0,
        }
    }
}

/// What became of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    /// Loaded completely.
    Scanned,
    /// Loaded up to an error (TG000).
    Failed,
    /// A Kustomize file: configuration, not objects.
    Kustomization,
    /// A manifest consumed by a rendered Kustomize root: its objects are judged as the
    /// root renders them, not on their own.
    Rendered,
    /// A file a kustomization names that the scan did not select (a patch, a generator's
    /// input): read only to render its root.
    Input,
    /// The trust config, present for findings about its entries.
    Config,
    HelmTemplate,
    /// Not a regular file (a FIFO, device or socket named or found in a walk).
    Skipped,
    Unreadable,
}

/// Where a file's text is read from (again, for source snippets).
#[derive(Debug)]
pub enum Source {
    /// The root joined with the file's path: most files, so no second path is kept.
    UnderRoot,
    /// Elsewhere: a link's target, a name that is not UTF-8, the config file.
    Path(Box<Path>),
    /// Standard input, kept because it cannot be read again.
    Stdin(Arc<str>),
}

/// One scanned file as reports show it.
#[derive(Clone, Copy, Debug)]
pub struct SourceFile<'a> {
    /// Relative to the root, `/`-separated (absolute if outside the root).
    pub path: &'a str,
    pub source: &'a Source,
    pub status: FileStatus,
    pub objects: u32,
    pub workloads: u32,
    pub service_accounts: u32,
}

impl SourceFile<'_> {
    /// Where to read the file; `None` for standard input.
    pub fn fs_path(&self, root: &Path) -> Option<Cow<'_, Path>> {
        self.source.fs_path(root, self.path)
    }
}

impl Source {
    /// Where to read a file shown as `path`; `None` for standard input.
    pub fn fs_path<'a>(&'a self, root: &Path, path: &str) -> Option<Cow<'a, Path>> {
        match self {
            Source::UnderRoot => Some(root.join(path).into()),
            Source::Path(path) => Some(path.as_ref().into()),
            Source::Stdin(_) => None,
        }
    }
}

/// A file to put in the table: its path as reports show it, where it is read from, and
/// what it is.
#[derive(Debug)]
pub(crate) struct Registration {
    pub path: String,
    pub source: Source,
    pub status: FileStatus,
}

impl Files {
    /// The table of `files`, sorted by path once and for all, so that [`FileId`] order is
    /// report order with no exception. Files of the same path keep the order they are
    /// given in.
    pub(crate) fn register(mut files: Vec<Registration>) -> Files {
        // Stable, and close to a single pass over the walker's files, which come sorted.
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let path_bytes = files.iter().map(|f| f.path.len()).sum();
        // Sized up front: a large scan's table is never copied into one twice its size.
        let mut table = Files {
            names: Names {
                paths: String::with_capacity(path_bytes),
                ends: Vec::with_capacity(files.len()),
                elsewhere: Vec::new(),
            },
            info: Vec::with_capacity(files.len()),
        };
        for file in files {
            let id = FileId(table.info.len() as u32);
            table.names.paths.push_str(&file.path);
            table.names.ends.push(table.names.paths.len());
            if !matches!(file.source, Source::UnderRoot) {
                table.names.elsewhere.push((id, file.source));
            }
            table.info.push(FileInfo {
                status: file.status,
                ..FileInfo::default()
            });
        }
        table
    }

    pub fn len(&self) -> usize {
        self.info.len()
    }

    pub fn is_empty(&self) -> bool {
        self.info.is_empty()
    }

    pub fn get(&self, id: FileId) -> SourceFile<'_> {
        let info = self.info[id.0 as usize];
        SourceFile {
            path: self.names.path(id),
            source: self.names.source(id),
            status: info.status,
            objects: info.objects,
            workloads: info.workloads,
            service_accounts: info.service_accounts,
        }
    }

    pub fn path(&self, id: FileId) -> &str {
        self.names.path(id)
    }

    /// The first file registered under `path`, found by binary search (ids follow
    /// paths). The plan registers discovered files before standard input and the
    /// config, so for a name they share this is the file under the root.
    pub fn find(&self, path: &str) -> Option<FileId> {
        let len = u32::try_from(self.len()).unwrap_or(u32::MAX);
        let (mut low, mut high) = (0, len);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.path(FileId(middle)) < path {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        (low < len && self.path(FileId(low)) == path).then_some(FileId(low))
    }

    pub fn iter(&self) -> impl Iterator<Item = SourceFile<'_>> {
        (0..self.len()).map(|i| self.get(FileId(i as u32)))
    }
}

impl Names {
    pub(crate) fn path(&self, id: FileId) -> &str {
        let i = id.0 as usize;
        let start = i.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.paths[start..self.ends[i]]
    }

    pub(crate) fn source(&self, id: FileId) -> &Source {
        match self.elsewhere.binary_search_by_key(&id, |(file, _)| *file) {
            Ok(at) => &self.elsewhere[at].1,
            Err(_) => &Source::UnderRoot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registration(path: &str, source: Source, status: FileStatus) -> Registration {
        Registration {
            path: path.to_owned(),
            source,
            status,
        }
    }

    #[test]
    fn paths_and_sources_by_id() {
        let files = Files::register(vec![
            registration(
                "dir/c.yaml",
                Source::Path(Path::new("/elsewhere/c").into()),
                FileStatus::Config,
            ),
            registration("a.yaml", Source::UnderRoot, FileStatus::Scanned),
            registration("b.yaml", Source::Stdin("x".into()), FileStatus::Scanned),
        ]);
        let [a, b, c] = [0, 1, 2].map(FileId);
        assert_eq!(files.len(), 3);
        assert_eq!(
            files.iter().map(|f| f.path).collect::<Vec<_>>(),
            ["a.yaml", "b.yaml", "dir/c.yaml"]
        );
        assert_eq!(files.get(b).status, FileStatus::Scanned);
        assert_eq!(files.get(c).status, FileStatus::Config);
        let root = Path::new("/root");
        assert_eq!(
            files.get(a).fs_path(root).unwrap(),
            Path::new("/root/a.yaml")
        );
        assert!(files.get(b).fs_path(root).is_none());
        assert_eq!(
            files.get(c).fs_path(root).unwrap(),
            Path::new("/elsewhere/c")
        );
    }

    #[test]
    fn find_gives_the_first_file_of_a_path() {
        let files = Files::register(vec![
            registration("m.yaml", Source::Stdin("x".into()), FileStatus::Scanned),
            registration("z.yaml", Source::UnderRoot, FileStatus::Scanned),
            registration("m.yaml", Source::UnderRoot, FileStatus::Config),
            registration("a.yaml", Source::UnderRoot, FileStatus::Scanned),
        ]);
        assert_eq!(files.find("a.yaml"), Some(FileId(0)));
        assert_eq!(files.find("m.yaml"), Some(FileId(1)));
        assert!(matches!(files.get(FileId(1)).source, Source::Stdin(_)));
        assert_eq!(files.find("z.yaml"), Some(FileId(3)));
        assert_eq!(files.find("b.yaml"), None);
        assert_eq!(files.find("zz.yaml"), None);
        assert_eq!(Files::default().find("a.yaml"), None);
    }
}
