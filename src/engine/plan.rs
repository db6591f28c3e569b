//! The plan: every file a finding can point at, registered before anything is parsed,
//! and the units of work over them.

use std::sync::Arc;

use super::roots::{self, RenderedRoot};
use super::unit::Unit;
use crate::Notification;
use crate::config::Config;
use crate::discover::Candidate;
use crate::files::{FileId, FileStatus, Files, Registration, Source};

/// What a scan will do, decided before any file is parsed.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Every file a finding can point at, sorted by path: [`FileId`] order is report
    /// order. Nothing is added once the plan is made.
    pub files: Files,
    /// Every unit, by watermark: the first of those left holds the lowest.
    pub units: Vec<Unit>,
    /// The config file, if the scan has one.
    pub config: Option<FileId>,
    /// The rendered Kustomize roots, by [`Unit::Root`] index.
    pub roots: Vec<RenderedRoot>,
    /// Roots that could not be rendered, and why.
    pub notes: Vec<Notification>,
}

impl Plan {
    /// How many files the scan loads: those scanned on their own, and those a rendered
    /// root consumes.
    pub fn loaded_files(&self) -> usize {
        self.files
            .iter()
            .filter(|f| !matches!(f.status, FileStatus::Config | FileStatus::Input))
            .count()
    }
}

/// Plans a scan of the `discovered` files, of standard input shown as `stdin` (with its
/// text, for the snippets of reports) and of the config file `config` was read from;
/// with `rendering`, the discovered kustomizations' roots are rendered (SPEC 3.4).
pub(crate) fn plan(
    discovered: Vec<Candidate>,
    stdin: Option<(&str, Arc<str>)>,
    config: &Config,
    rendering: Option<&roots::Rendering<'_>>,
) -> Plan {
    let kustomizations = rendering.and_then(|r| roots::read(&discovered, r));
    let mut registered: Vec<Registration> = Vec::with_capacity(discovered.len() + 2);
    registered.extend(discovered.into_iter().map(|found| {
        Registration {
            path: found.display,
            source: found
                .fs_path
                .map_or(Source::UnderRoot, |path| Source::Path(path.into())),
            status: FileStatus::Scanned,
        }
    }));
    registered.extend(stdin.map(|(name, text)| Registration {
        path: name.to_owned(),
        source: Source::Stdin(text),
        status: FileStatus::Scanned,
    }));
    registered.extend(config.source.as_ref().map(|shown| Registration {
        path: shown.clone(),
        source: config.path.as_ref().map_or(Source::UnderRoot, |path| {
            Source::Path(path.as_path().into())
        }),
        status: FileStatus::Config,
    }));
    let mut kustomizations = kustomizations;
    if let Some(planned) = &mut kustomizations {
        registered.append(&mut planned.extra);
    }
    let mut files = Files::register(registered);
    let rendered = match (&kustomizations, rendering) {
        (Some(planned), Some(rendering)) => Some(roots::render(planned, &files, rendering)),
        _ => None,
    };

    let mut config = None;
    // One unit per file scanned on its own, in file order, which is watermark order...
    let mut units: Vec<Unit> = (0..files.len() as u32)
        .map(FileId)
        .filter_map(|id| match files.get(id).status {
            FileStatus::Config => {
                config = Some(id);
                Some(Unit::Config(id))
            }
            FileStatus::Input => None,
            _ if rendered
                .as_ref()
                .is_some_and(|r| r.consumed.contains(&id) && !r.fallback.contains(&id)) =>
            {
                None
            }
            _ => Some(Unit::File(id)),
        })
        .collect();
    let (roots, notes) = match rendered {
        Some(rendered) => {
            for &id in rendered.consumed.difference(&rendered.fallback) {
                let info = &mut files.info[id.0 as usize];
                if info.status == FileStatus::Scanned {
                    info.status = FileStatus::Rendered;
                }
            }
            (rendered.roots, rendered.notes)
        }
        None => (Vec::new(), Vec::new()),
    };
    // ... and one per rendered root, placed by the first file it can point at.
    units.extend(roots.iter().enumerate().filter_map(|(i, root)| {
        Some(Unit::Root {
            index: u32::try_from(i).ok()?,
            first: *root.inputs.first()?,
        })
    }));
    units.sort_by_key(|unit| unit.watermark());
    Plan {
        files,
        units,
        config,
        roots,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovered(names: &[&str]) -> Vec<Candidate> {
        names
            .iter()
            .map(|name| Candidate {
                display: (*name).to_owned(),
                fs_path: None,
            })
            .collect()
    }

    fn config_read_as(shown: &str) -> Config {
        Config {
            source: Some(shown.to_owned()),
            path: Some(std::path::PathBuf::from("elsewhere/config.yaml")),
            ..Config::default()
        }
    }

    fn paths(plan: &Plan) -> Vec<&str> {
        plan.files.iter().map(|f| f.path).collect()
    }

    #[test]
    fn file_ids_follow_paths_with_stdin_and_the_config_among_the_discovered_files() {
        let plan = plan(
            discovered(&["a.yaml", "k/b.yaml", "z/c.yaml"]),
            Some(("m/stdin.yaml", "kind: Pod".into())),
            &config_read_as(".tokenguard.yaml"),
            None,
        );
        assert_eq!(
            paths(&plan),
            [
                ".tokenguard.yaml",
                "a.yaml",
                "k/b.yaml",
                "m/stdin.yaml",
                "z/c.yaml"
            ]
        );
        let status = |i: u32| plan.files.get(FileId(i)).status;
        assert_eq!(status(0), FileStatus::Config);
        assert!(matches!(
            plan.files.get(FileId(3)).source,
            Source::Stdin(text) if &**text == "kind: Pod"
        ));
        assert!(matches!(plan.files.get(FileId(0)).source, Source::Path(_)));
        assert_eq!(plan.config, Some(FileId(0)));
        assert_eq!(
            plan.units,
            [
                Unit::Config(FileId(0)),
                Unit::File(FileId(1)),
                Unit::File(FileId(2)),
                Unit::File(FileId(3)),
                Unit::File(FileId(4)),
            ],
        );
    }

    #[test]
    fn a_name_given_twice_keeps_the_discovered_file_first() {
        let plan = plan(
            discovered(&["a.yaml", "m.yaml", "z.yaml"]),
            Some(("m.yaml", "".into())),
            &config_read_as("m.yaml"),
            None,
        );
        assert_eq!(
            paths(&plan),
            ["a.yaml", "m.yaml", "m.yaml", "m.yaml", "z.yaml"]
        );
        let file = |i: u32| plan.files.get(FileId(i));
        assert!(matches!(file(1).source, Source::UnderRoot));
        assert!(matches!(file(2).source, Source::Stdin(_)));
        assert_eq!(file(3).status, FileStatus::Config);
        assert_eq!(plan.config, Some(FileId(3)));
        assert_eq!(plan.units[3], Unit::Config(FileId(3)));
        assert_eq!(plan.units[2], Unit::File(FileId(2)));
    }

    #[test]
    fn without_stdin_or_config_there_is_one_unit_per_discovered_file() {
        let plan = plan(
            discovered(&["b.yaml", "a.yaml"]),
            None,
            &Config::default(),
            None,
        );
        assert_eq!(paths(&plan), ["a.yaml", "b.yaml"]);
        assert_eq!(plan.config, None);
        assert_eq!(plan.units, [0, 1].map(|i| Unit::File(FileId(i))));
    }
}
