//! Helpers for the renderer's unit tests: parsing inline or fixture YAML into nodes,
//! and comparing rendered objects with `kubectl kustomize`'s output by value.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::files::FileId;
use crate::kustomize::node::{Node, Value};
use crate::yaml::scalar::{self, Value as Typed};
use crate::yaml::{self, Limits, Pos};

/// The documents of a YAML text, as nodes of `file`.
pub fn parse_all(text: &str, file: FileId) -> Vec<Node> {
    let stream = yaml::parse(text, &Limits::default());
    assert!(stream.error.is_none(), "valid YAML: {:?}", stream.error);
    stream
        .documents
        .iter()
        .map(|doc| Node::from_tree(stream.tree.node(doc.root), file))
        .filter(|node| !node.is_null())
        .collect()
}

/// The one document of a YAML text.
pub fn parse(text: &str, file: FileId) -> Node {
    let mut docs = parse_all(text, file);
    assert_eq!(docs.len(), 1, "one document");
    docs.remove(0)
}

pub fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/kustomize")
        .join(case)
}

pub fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A node's value as kubectl reads it, origins and key order left out.
pub fn plain(node: &Node) -> Json {
    match &node.value {
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|e| (e.key.to_string(), plain(&e.value)))
                .collect(),
        ),
        Value::Seq(items) => Json::Array(items.iter().map(plain).collect()),
        Value::Scalar(s) => match scalar::resolve(yaml::Scalar {
            text: &s.text,
            style: s.style,
            tag: s.tag,
        }) {
            Typed::Null => Json::Null,
            Typed::Bool(b) => Json::Bool(b),
            Typed::Int(i) => Json::from(i),
            Typed::Float(f) => Json::from(f),
            Typed::Str(text) => Json::String(text.to_owned()),
        },
    }
}

fn id(object: &Json) -> (String, String, String) {
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(object, |v, key| v.get(key))
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (
        field(&["kind"]),
        field(&["metadata", "namespace"]),
        field(&["metadata", "name"]),
    )
}

fn by_id(a: &Json, b: &Json) -> Ordering {
    id(a).cmp(&id(b))
}

/// Asserts that `objects` are the objects of the case's `expected.yaml`, by value.
pub fn assert_renders_as_expected(case: &str, objects: &[Node]) {
    let expected_text = read_text(&fixture(case).join("expected.yaml"));
    let mut expected: Vec<Json> = parse_all(&expected_text, FileId(0))
        .iter()
        .map(plain)
        .collect();
    let mut actual: Vec<Json> = objects.iter().map(plain).collect();
    expected.sort_by(by_id);
    actual.sort_by(by_id);
    assert_eq!(
        serde_json::to_string_pretty(&actual).unwrap_or_default(),
        serde_json::to_string_pretty(&expected).unwrap_or_default(),
        "{case}"
    );
}

/// `file:line:col` of an origin, for assertions that read like the reports.
pub fn at(origin: crate::origin::Origin) -> (FileId, u32, u32) {
    let Pos { line, col } = origin.span.start;
    (origin.file, line, col)
}

/// Files in memory, for the graph's and driver's tests: a path's text, directories
/// implied by the files under them.
pub(crate) struct Memory(std::collections::BTreeMap<PathBuf, String>);

impl crate::kustomize::Reader for Memory {
    fn kind(&self, path: &Path) -> crate::kustomize::PathKind {
        use crate::kustomize::PathKind;
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
