//! The Kustomize roots of a tree, as SPEC 3.4 defines them: the kustomization directories
//! that no other kustomization of the tree lists under `resources`, `bases` or
//! `components`. `bench/kustomize.sh` renders each of them once with `kubectl kustomize`
//! and with `tokenguard render`.
//!
//! Only what names a directory matters here, so a kustomization is read for those three
//! lists of strings and nothing else; remote entries (URLs) never name a local directory.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};

use saphyr_parser::{Event, Parser};

/// The file names that make a directory a kustomization, in Kustomize's order.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The lists of a kustomization whose entries can name another kustomization.
const LISTING_FIELDS: [&str; 3] = ["resources", "bases", "components"];

/// The kustomization file of `dir`, if it is a kustomization.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// Every kustomization directory under `root`, skipping hidden directories as
/// tokenguard's walker does; sorted.
pub fn kustomizations(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    walk(root, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    if kustomization_file(dir).is_some() {
        found.push(dir.to_path_buf());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        if entry.file_type()?.is_dir() {
            walk(&entry.path(), found)?;
        }
    }
    Ok(())
}

/// The string entries of the top-level `resources`, `bases` and `components` lists of a
/// kustomization's text. A text that does not parse yields the entries read before the
/// error: Kustomize would reject it anyway.
pub fn listed_entries(text: &str) -> Vec<String> {
    let mut entries = Vec::new();
    let mut parser = Parser::new_from_str(text);
    // Nesting of collections; the root mapping of the first document is depth 1.
    let mut depth = 0usize;
    // At depth 1: whether the next scalar is a key, and whether the current value is one
    // of the listing fields.
    let mut expecting_key = true;
    let mut in_listing = false;
    let mut documents = 0;
    while let Some(Ok((event, _))) = parser.next_event() {
        match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    break;
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 1 {
                    expecting_key = true;
                }
                depth += 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    in_listing = false;
                }
            }
            Event::Scalar(value, ..) if depth == 1 => {
                if expecting_key {
                    in_listing = LISTING_FIELDS.contains(&value.as_ref());
                }
                expecting_key = !expecting_key;
            }
            Event::Scalar(value, ..) if depth == 2 && in_listing => {
                entries.push(value.into_owned());
            }
            _ => {}
        }
    }
    entries
}

/// Whether an entry names something remote (Kustomize fetches these; they never name a
/// directory of the tree).
fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
}

/// The roots under `root`, relative to it, sorted (`.` when `root` itself is one).
pub fn roots(root: &Path) -> io::Result<Vec<PathBuf>> {
    let all = kustomizations(root)?;
    let mut listed = BTreeSet::new();
    for dir in &all {
        let Some(file) = kustomization_file(dir) else {
            continue;
        };
        // A kustomization that is not UTF-8 lists nothing Kustomize could read.
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for entry in listed_entries(&text) {
            if is_remote(&entry) {
                continue;
            }
            let target = dir.join(&entry);
            if kustomization_file(&target).is_none() {
                continue;
            }
            // Canonical paths, so that `../a/../b` and `b` are the same directory.
            if let Ok(canonical) = target.canonicalize() {
                listed.insert(canonical);
            }
        }
    }
    let mut out = Vec::new();
    for dir in all {
        if listed.contains(&dir.canonicalize()?) {
            continue;
        }
        let relative = dir.strip_prefix(root).unwrap_or(&dir);
        out.push(if relative.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            relative.to_path_buf()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_top_level_listing_fields_are_read() {
        let text = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
  - deployment.yaml
components: [../../components/tls]
bases:
- ../legacy
patches:
  - path: resources
  - target:
      kind: Deployment
    patch: |-
      - op: add
        path: /spec/resources
        value: [x]
configMapGenerator:
  - name: resources
    files: [components]
";
        assert_eq!(
            listed_entries(text),
            [
                "../base",
                "deployment.yaml",
                "../../components/tls",
                "../legacy"
            ]
        );
    }

    #[test]
    fn a_list_nested_under_another_key_is_not_read() {
        let text = "metadata:\n  resources:\n    - ../base\nresources: [a.yaml]\n";
        assert_eq!(listed_entries(text), ["a.yaml"]);
    }

    #[test]
    fn roots_are_the_kustomizations_no_other_lists() {
        let dir = std::env::temp_dir().join(format!("xtask-roots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write("base/kustomization.yaml", "resources: [deployment.yaml]\n");
        write("base/deployment.yaml", "kind: Deployment\n");
        write("components/tls/kustomization.yaml", "kind: Component\n");
        write(
            "overlays/prod/kustomization.yml",
            "resources:\n  - ../../base/\n  - https://example.com/x.yaml\ncomponents:\n  - ../../components/tls\n",
        );
        write(
            "overlays/dev/Kustomization",
            "resources: [../prod/../../base]\n",
        );
        write("lonely/kustomization.yaml", "resources: [../missing]\n");
        write(".hidden/kustomization.yaml", "resources: [../base]\n");
        let found = roots(&dir);
        std::fs::remove_dir_all(&dir).expect("clean up");
        assert_eq!(
            found.expect("roots"),
            ["lonely", "overlays/dev", "overlays/prod"].map(PathBuf::from)
        );
    }
}
