//! The rendered tree: an owned, editable YAML value whose every node and key keeps the
//! file, line and column it was written at. Resources are read into it from the parsed
//! arena tree, transformers and patches edit it, and the model reads the result.

use compact_str::CompactString;

use crate::files::FileId;
use crate::origin::Origin;
use crate::yaml::{NodeId, NodeRef, Style, Tag, Tree, TreeBuilder};

/// A value and where it was written. For a value a transformer wrote (a `namespace:`
/// set by the kustomization), `at` is the kustomization's line that wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub at: Origin,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar as written, typed later the way kubectl types it (its style and tag
    /// decide, see `yaml::scalar::resolve`).
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub text: CompactString,
    pub style: Style,
    pub tag: Tag,
}

/// A mapping entry. The key has its own origin: a finding points at the key, and a key
/// a transformer added points at the kustomization line that added it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: CompactString,
    pub key_at: Origin,
    pub value: Node,
}

impl Scalar {
    /// Its value as kubectl's YAML 1.1 types it.
    pub fn typed(&self) -> crate::yaml::scalar::Value<'_> {
        let scalar = crate::yaml::Scalar {
            text: &self.text,
            style: self.style,
            tag: self.tag,
        };
        // Kinds, apiVersions and names, asked for over and over while rendering, are
        // told strings by their first character.
        if !crate::yaml::scalar::may_be_typed(scalar) {
            return crate::yaml::scalar::Value::Str(&self.text);
        }
        crate::yaml::scalar::resolve(scalar)
    }

    /// Its value as Kustomize's own YAML 1.2 types it (a JSON 6902 patch's result, a
    /// var's value): only `true`/`false` in three cases are untagged booleans, so `yes`
    /// and `on` are strings. A `!!bool` tag still reads `yes` as YAML 1.1 does.
    pub fn typed_1_2(&self) -> crate::yaml::scalar::Value<'_> {
        use crate::yaml::scalar::{Value as Typed, is_canonical_bool};
        match self.typed() {
            Typed::Bool(_) if self.tag == Tag::None && !is_canonical_bool(&self.text) => {
                Typed::Str(&self.text)
            }
            typed => typed,
        }
    }

    /// A string value that no YAML schema reads as anything else.
    pub fn string(text: impl Into<CompactString>) -> Scalar {
        Scalar {
            text: text.into(),
            style: Style::DoubleQuoted,
            tag: Tag::None,
        }
    }

    /// A plain scalar, typed as YAML would type it (`true`, `3`, `null`, `name`).
    pub fn plain(text: impl Into<CompactString>) -> Scalar {
        Scalar {
            text: text.into(),
            style: Style::Plain,
            tag: Tag::None,
        }
    }
}

impl Node {
    pub fn new(value: Value, at: Origin) -> Node {
        Node { value, at }
    }

    /// A copy of a parsed node of `file`, aliases expanded (the parser's limits already
    /// bound what they expand to). Keys that are not scalars are kept by their text as
    /// written, empty for a collection key (Kubernetes objects have none).
    pub fn from_tree(node: NodeRef<'_>, file: FileId) -> Node {
        let at = Origin::new(file, node.span());
        if let Some(s) = node.scalar() {
            return Node::new(
                Value::Scalar(Scalar {
                    text: s.text.into(),
                    style: s.style,
                    tag: s.tag,
                }),
                at,
            );
        }
        if node.is_seq() {
            let items = node
                .items()
                .map(|item| Node::from_tree(item, file))
                .collect();
            return Node::new(Value::Seq(items), at);
        }
        let entries = node
            .entries()
            .map(|(k, v)| Entry {
                key: k.scalar().map(|s| s.text.into()).unwrap_or_default(),
                key_at: Origin::new(file, k.span()),
                value: Node::from_tree(v, file),
            })
            .collect();
        Node::new(Value::Map(entries), at)
    }

    /// Adds the node and everything under it to a tree being built, each node at its
    /// origin, and returns its id: how the model reads a rendered object as it reads a
    /// parsed file. Keys become plain scalars (the model matches keys by their text).
    pub fn build(&self, builder: &mut TreeBuilder) -> NodeId {
        match &self.value {
            Value::Scalar(s) => builder.scalar(&s.text, s.style, s.tag, self.at),
            Value::Seq(items) => {
                let items: Vec<NodeId> = items.iter().map(|item| item.build(builder)).collect();
                builder.seq(&items, self.at)
            }
            Value::Map(entries) => {
                let entries: Vec<(NodeId, NodeId)> = entries
                    .iter()
                    .map(|e| {
                        let key = builder.scalar(&e.key, Style::Plain, Tag::None, e.key_at);
                        (key, e.value.build(builder))
                    })
                    .collect();
                builder.map(&entries, self.at)
            }
        }
    }

    /// Moves every origin in the tree `lines` down and `cols` right: a tree parsed
    /// from text written inside another file (an inline patch in a kustomization)
    /// then points at its lines in that file.
    pub fn shift(&mut self, lines: u32, cols: u32) {
        let move_span = |span: &mut crate::yaml::Span| {
            for pos in [&mut span.start, &mut span.end] {
                pos.line += lines;
                pos.col += cols;
            }
        };
        move_span(&mut self.at.span);
        match &mut self.value {
            Value::Scalar(_) => {}
            Value::Seq(items) => items.iter_mut().for_each(|item| item.shift(lines, cols)),
            Value::Map(entries) => {
                for entry in entries {
                    move_span(&mut entry.key_at.span);
                    entry.value.shift(lines, cols);
                }
            }
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Vec<Entry>> {
        match &mut self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_seq_mut(&mut self) -> Option<&mut Vec<Node>> {
        match &mut self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of a scalar that YAML types as a string (as kubectl reads it).
    pub fn as_str(&self) -> Option<&str> {
        match self.as_scalar()?.typed() {
            crate::yaml::scalar::Value::Str(text) => Some(text),
            _ => None,
        }
    }

    /// Whether this is a null: an empty plain scalar, `~`, `null` or a `!!null`.
    pub fn is_null(&self) -> bool {
        self.as_scalar()
            .is_some_and(|s| matches!(s.typed(), crate::yaml::scalar::Value::Null))
    }

    /// The entry of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    /// The value at a path of mapping keys (`["metadata", "name"]`).
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Sets `key` of a mapping to `value`, keeping the key's origin if it was already
    /// there and taking `key_at` if it is new. Returns `false` for a node that is not a
    /// mapping.
    pub fn set(&mut self, key: &str, key_at: Origin, value: Node) -> bool {
        let Some(entries) = self.as_map_mut() else {
            return false;
        };
        match entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => entry.value = value,
            None => entries.push(Entry {
                key: key.into(),
                key_at,
                value,
            }),
        }
        true
    }

    /// Removes `key` from a mapping, returning its entry.
    pub fn remove(&mut self, key: &str) -> Option<Entry> {
        let entries = self.as_map_mut()?;
        let index = entries.iter().position(|e| e.key == key)?;
        Some(entries.remove(index))
    }
}

/// Rendered objects as one arena tree whose own file is `file` (the root's
/// kustomization), with each object's root id in order.
pub fn to_tree(objects: &[Node], file: FileId) -> (Tree, Vec<NodeId>) {
    let mut builder = TreeBuilder::new(file);
    let roots = objects.iter().map(|o| o.build(&mut builder)).collect();
    (builder.finish(), roots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, Limits};

    fn parse(text: &str) -> Node {
        let stream = yaml::parse(text, &Limits::default());
        assert!(stream.error.is_none(), "valid YAML");
        let doc = stream.documents.first().expect("one document");
        Node::from_tree(stream.tree.node(doc.root), FileId(3))
    }

    #[test]
    fn yaml_1_2_reads_only_canonical_untagged_booleans_and_keeps_a_bool_tag() {
        use crate::yaml::scalar::Value as Typed;
        let node = parse(
            "a: yes\nb: True\nc: !!bool yes\nd: 'yes'\ne: !custom yes\nf: !!str true\ng: 0x1F\n",
        );
        let read = |key: &str| {
            let s = node.get(key).and_then(Node::as_scalar).expect("a scalar");
            (s.typed(), s.typed_1_2())
        };
        assert_eq!(read("a"), (Typed::Bool(true), Typed::Str("yes")));
        assert_eq!(read("b"), (Typed::Bool(true), Typed::Bool(true)));
        assert_eq!(read("c"), (Typed::Bool(true), Typed::Bool(true)));
        assert_eq!(read("d"), (Typed::Str("yes"), Typed::Str("yes")));
        assert_eq!(read("e"), (Typed::Str("yes"), Typed::Str("yes")));
        assert_eq!(read("f"), (Typed::Str("true"), Typed::Str("true")));
        assert_eq!(read("g"), (Typed::Int(31), Typed::Int(31)));
    }

    #[test]
    fn keeps_the_file_and_position_of_every_key_and_value() {
        let node = parse("metadata:\n  name: api\n  labels: {app: x}\n");
        let name = node.get_path(&["metadata", "name"]).expect("name");
        assert_eq!(name.as_str(), Some("api"));
        assert_eq!(name.at.file, FileId(3));
        assert_eq!(name.at.span.start, yaml::Pos { line: 2, col: 9 });
        let labels = node.get("metadata").and_then(|m| m.entry("labels"));
        let labels = labels.expect("labels");
        assert_eq!(labels.key_at.span.start, yaml::Pos { line: 3, col: 3 });
        assert_eq!(labels.value.get("app").and_then(Node::as_str), Some("x"));
    }

    #[test]
    fn types_scalars_as_kubectl_does() {
        let node = parse("a: no\nb: 'no'\nc: ~\n");
        assert_eq!(node.get("a").and_then(Node::as_str), None);
        assert_eq!(node.get("b").and_then(Node::as_str), Some("no"));
        assert!(node.get("c").is_some_and(Node::is_null));
    }

    #[test]
    fn set_keeps_an_existing_key_origin_and_adds_new_keys_last() {
        let mut node = parse("a: 1\nb: 2\n");
        let elsewhere = Origin::new(FileId(9), yaml::Span::default());
        let value = Node::new(Value::Scalar(Scalar::string("x")), elsewhere);
        assert!(node.set("a", elsewhere, value.clone()));
        assert!(node.set("c", elsewhere, value));
        let entries = node.as_map().expect("map");
        let keys: Vec<_> = entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(entries[0].key_at.file, FileId(3));
        assert_eq!(entries[0].value.at.file, FileId(9));
        assert_eq!(entries[2].key_at.file, FileId(9));
    }

    #[test]
    fn the_model_of_a_converted_tree_keeps_the_origin_of_each_field() {
        let base = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  serviceAccountName: web\n  automountServiceAccountToken: true\n  containers:\n    - {name: web, image: nginx}\n";
        let mut pod = parse(base);
        let patch = |line| {
            let start = yaml::Pos { line, col: 3 };
            let end = yaml::Pos { line, col: 12 };
            Origin::new(FileId(5), yaml::Span { start, end })
        };
        let spec = pod.get_mut("spec").expect("spec");
        // A patch in another file names the service account and turns automounting off.
        let name = Node::new(Value::Scalar(Scalar::plain("orders")), patch(4));
        assert!(spec.set("serviceAccountName", patch(4), name));
        let automount = Node::new(Value::Scalar(Scalar::plain("false")), patch(5));
        assert!(spec.set("automountServiceAccountToken", patch(5), automount));

        let (tree, roots) = to_tree(std::slice::from_ref(&pod), FileId(9));
        let kinds = crate::k8s::kinds::WorkloadKinds::with_extra(Vec::new());
        let model = crate::model::FileModel::read(&tree, &roots, &kinds, "default");
        let [workload] = model.workloads.as_slice() else {
            panic!("one workload: {:?}", model.workloads);
        };
        let (meta, pod) = (&workload.meta, &workload.pod);
        assert_eq!(meta.name.as_str(), "web");
        assert_eq!(meta.name.at.file, FileId(3));
        assert_eq!(meta.name.at.span.start, yaml::Pos { line: 4, col: 3 });
        let namespace = meta.namespace.as_ref().expect("namespace");
        assert_eq!((namespace.as_str(), namespace.at.file), ("shop", FileId(3)));
        assert_eq!(pod.spec_key.file, FileId(3));
        let service_account = pod.service_account_name.as_ref().expect("name");
        assert_eq!(service_account.as_str(), "orders");
        // The key is the base's, the value the patch's: a finding points at the value.
        assert_eq!(service_account.at, patch(4));
        let automount = pod.automount.as_ref().expect("automount");
        assert_eq!((automount.kubectl, automount.at), (Some(false), patch(5)));
    }
}
