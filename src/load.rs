//! One file's bytes -> the Kubernetes objects in it: format detection (JSON or YAML
//! stream), encoding and size checks, `List` expansion, Helm template and Kustomize
//! file recognition. Anything that stops a file from loading becomes a [`LoadFailure`].

use std::path::Path;

use crate::yaml::{self, Limits, NodeRef, ParseErrorKind, Pos, Stream};

/// Why (part of) a file could not be loaded; reported as TG000.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadFailure {
    pub pos: Pos,
    pub reason: String,
}

/// A file that is deliberately not scanned, reported as a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    HelmTemplate,
}

pub enum Loaded {
    /// The parsed stream and the roots of its Kubernetes objects, in file order.
    Manifests {
        stream: Stream,
        objects: Vec<yaml::NodeId>,
        ignored_documents: usize,
        failure: Option<LoadFailure>,
    },
    Skipped(Skip),
    Failed(LoadFailure),
}

/// Whether `path` is a Helm chart template: under a `templates/` folder whose parent
/// holds a `Chart.yaml`.
pub fn is_helm_template_path(path: &Path) -> bool {
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir
                .parent()
                .is_some_and(|chart| chart.join("Chart.yaml").is_file())
    })
}

pub fn is_kustomization_path(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n == "kustomization.yaml" || n == "kustomization.yml" || n == "Kustomization"
    })
}

pub fn load(bytes: &[u8], limits: &Limits) -> Loaded {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Loaded::Failed(LoadFailure {
            pos: Pos::START,
            reason: format!(
                "file is larger than the {} byte limit",
                limits.max_file_bytes
            ),
        });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return Loaded::Failed(LoadFailure {
            pos: pos_of_offset(bytes, offset),
            reason: "binary content (NUL byte)".to_owned(),
        });
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Loaded::Failed(LoadFailure {
                pos: pos_of_offset(bytes, e.valid_up_to()),
                reason: "not valid UTF-8".to_owned(),
            });
        }
    };
    let is_json = text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
        .starts_with('{');
    let stream = yaml::parse(text, limits);
    let failure = stream.error.as_ref().map(|e| LoadFailure {
        pos: e.pos,
        reason: match &e.kind {
            ParseErrorKind::Syntax(msg) if is_json => format!("invalid JSON: {msg}"),
            ParseErrorKind::Syntax(msg) => format!("invalid YAML: {msg}"),
            other => other.to_string(),
        },
    });
    if failure.is_some() && is_template_text(text) {
        return Loaded::Skipped(Skip::HelmTemplate);
    }
    let mut objects = Vec::new();
    let mut ignored_documents = 0;
    for doc in &stream.documents {
        let root = stream.tree.node(doc.root);
        if is_empty_document(root) {
            continue;
        }
        match type_meta(root) {
            Some((api_version, _)) if api_version.starts_with("kustomize.config.k8s.io/") => {
                ignored_documents += 1
            }
            Some((_, kind)) if kind.ends_with("List") && root.get("items").is_some() => {
                let items = root.get("items").into_iter().flat_map(|i| i.items());
                for item in items {
                    if type_meta(item).is_some() {
                        objects.push(item.id());
                    } else {
                        ignored_documents += 1;
                    }
                }
            }
            Some(_) => objects.push(root.id()),
            None => ignored_documents += 1,
        }
    }
    Loaded::Manifests {
        stream,
        objects,
        ignored_documents,
        failure,
    }
}

/// The object's `apiVersion` and `kind` if both are non-empty strings.
pub fn type_meta(node: NodeRef<'_>) -> Option<(&str, &str)> {
    let api_version = node.get("apiVersion")?.as_str().filter(|s| !s.is_empty())?;
    let kind = node.get("kind")?.as_str().filter(|s| !s.is_empty())?;
    Some((api_version, kind))
}

/// `---` followed by nothing, or only comments: a null scalar root.
fn is_empty_document(root: NodeRef<'_>) -> bool {
    root.scalar()
        .is_some_and(|s| matches!(yaml::scalar::resolve(s), yaml::scalar::Value::Null))
}

fn is_template_text(text: &str) -> bool {
    text.find("{{")
        .is_some_and(|open| text[open..].contains("}}"))
}

fn pos_of_offset(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifests(text: &str) -> (usize, usize, Option<LoadFailure>) {
        match load(text.as_bytes(), &Limits::default()) {
            Loaded::Manifests {
                objects,
                ignored_documents,
                failure,
                ..
            } => (objects.len(), ignored_documents, failure),
            _ => panic!("not manifests"),
        }
    }

    #[test]
    fn lists_expand_and_other_yaml_is_ignored() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ServiceAccount}\n- {apiVersion: v1, kind: Pod}\n---\nfoo: bar\n---\n# only a comment\n";
        assert_eq!(manifests(text), (2, 1, None));
    }

    #[test]
    fn json_errors_say_json() {
        let (_, _, failure) = manifests("{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": [\n}\n");
        let failure = failure.unwrap();
        assert!(failure.reason.starts_with("invalid JSON: "), "{failure:?}");
        assert_eq!(failure.pos.line, 4);
    }

    #[test]
    fn broken_templates_are_skipped_but_valid_yaml_with_braces_is_scanned() {
        let template = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n  {{- include \"labels\" . | nindent 4 }}\n";
        assert!(matches!(
            load(template.as_bytes(), &Limits::default()),
            Loaded::Skipped(Skip::HelmTemplate)
        ));
        let config_map =
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  alert: \"{{ $labels.instance }} down\"\n";
        assert_eq!(manifests(config_map), (1, 0, None));
    }

    #[test]
    fn binary_and_non_utf8_fail_at_their_position() {
        let Loaded::Failed(f) = load(b"a: 1\nb: \xff\n", &Limits::default()) else {
            panic!()
        };
        assert_eq!(
            (f.pos, f.reason.as_str()),
            (Pos { line: 2, col: 4 }, "not valid UTF-8")
        );
        let Loaded::Failed(f) = load(b"a: 1\n\0", &Limits::default()) else {
            panic!()
        };
        assert_eq!(f.pos, Pos { line: 2, col: 1 });
    }
}
