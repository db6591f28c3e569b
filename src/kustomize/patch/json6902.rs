//! JSON 6902 patches: the six operations (add, remove, replace, move, copy, test)
//! on the rendered tree, with JSON-pointer escapes (`~0` is `~`, `~1` is `/`), `-`
//! for the end of a list, and the JSON-patch library Kustomize v5 uses taken as the
//! reference where RFC 6902 leaves room: negative list indexes count from the end,
//! `replace` of a missing mapping key adds it, a missing `value` writes null.
//!
//! Kustomize applies the operations to the object turned into JSON: the object's
//! values read as YAML 1.2, an operation's `value` as YAML 1.1. So a written `yes`
//! becomes `true`, a `test` of a `y` against the object's `y` fails, and the patched
//! object's numbers and booleans come back in JSON's spelling (`0755` is `493`,
//! `True` is `true`). All of this is reproduced.
//!
//! Origins: a value `add` or `replace` writes keeps the origins of the operation's
//! `value`; a value `move` or `copy` writes takes the origin of the operation (the
//! patch line that put it there); a key an operation adds has the origin of its
//! `path`. Errors carry the origin of the operation at fault.

use super::PatchError;
use crate::kustomize::node::{Entry, Node, Scalar, Value};
use crate::origin::Origin;
use crate::yaml::scalar::Value as Typed;

/// Applies a list of operations (parsed from YAML or JSON) to `target`, in order. On
/// error `target` may hold the operations before the failing one; Kustomize stops the
/// build on any error, and so should the caller.
pub fn apply(target: &mut Node, ops: &Node) -> Result<(), PatchError> {
    let Some(ops) = ops.as_seq() else {
        return Err(bad(
            ops.at,
            "a JSON 6902 patch must be a list of operations",
        ));
    };
    for op in ops {
        Operation::read(op)?.apply(target)?;
    }
    canonical(target, Scalar::typed_1_2);
    Ok(())
}

struct Operation<'a> {
    kind: Kind,
    /// The whole operation, where its errors and moved values point.
    at: Origin,
    path: &'a Node,
    from: Option<&'a Node>,
    value: Option<&'a Node>,
}

#[derive(Clone, Copy)]
enum Kind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Remove => "remove",
            Kind::Replace => "replace",
            Kind::Move => "move",
            Kind::Copy => "copy",
            Kind::Test => "test",
        }
    }
}

fn bad(at: Origin, reason: impl Into<String>) -> PatchError {
    PatchError::BadOperation {
        at,
        reason: reason.into(),
    }
}

/// A scalar's text, when JSON would read it as a string.
fn string(node: &Node) -> Option<&str> {
    node.as_str()
}

impl<'a> Operation<'a> {
    fn read(op: &'a Node) -> Result<Operation<'a>, PatchError> {
        if op.as_map().is_none() {
            return Err(bad(
                op.at,
                "an operation must be a mapping (op, path, value, from)",
            ));
        }
        let kind = match op.get("op").and_then(string) {
            Some("add") => Kind::Add,
            Some("remove") => Kind::Remove,
            Some("replace") => Kind::Replace,
            Some("move") => Kind::Move,
            Some("copy") => Kind::Copy,
            Some("test") => Kind::Test,
            other => {
                let at = op.get("op").map_or(op.at, |o| o.at);
                let named = other.unwrap_or("unknown");
                return Err(bad(
                    at,
                    format!(
                        "unknown operation `{named}` (expected add, remove, replace, move, copy or test)"
                    ),
                ));
            }
        };
        let path = op
            .get("path")
            .filter(|p| string(p).is_some())
            .ok_or_else(|| {
                bad(
                    op.at,
                    format!("{} operation without a string `path`", kind.name()),
                )
            })?;
        let from = match kind {
            Kind::Move | Kind::Copy => Some(
                op.get("from")
                    .filter(|f| string(f).is_some())
                    .ok_or_else(|| {
                        bad(
                            op.at,
                            format!("{} operation without a string `from`", kind.name()),
                        )
                    })?,
            ),
            _ => None,
        };
        Ok(Operation {
            kind,
            at: op.at,
            path,
            from,
            value: op.get("value"),
        })
    }

    fn missing(&self, pointer: &str) -> PatchError {
        PatchError::PathMissing {
            at: self.at,
            op: self.kind.name(),
            path: pointer.to_owned(),
        }
    }

    /// The value `add` and `replace` write: the operation's `value` as JSON reads
    /// it, or a null.
    fn written(&self) -> Node {
        let mut value = self
            .value
            .cloned()
            .unwrap_or_else(|| Node::new(Value::Scalar(Scalar::plain("null")), self.at));
        canonical(&mut value, Scalar::typed);
        value
    }

    fn apply(&self, doc: &mut Node) -> Result<(), PatchError> {
        let path = string(self.path).unwrap_or_default();
        let path_at = self.path.at;
        match self.kind {
            Kind::Add => {
                let (parent, key) = self.parent(doc, path)?;
                self.add(parent, &key, path, path_at, self.written())
            }
            Kind::Remove => {
                let (parent, key) = self.parent(doc, path)?;
                self.remove(parent, &key, path).map(drop)
            }
            Kind::Replace => {
                if path.is_empty() {
                    let value = self.written();
                    if value.as_scalar().is_some() {
                        return Err(bad(
                            self.at,
                            "replacing the whole object needs a mapping or a list",
                        ));
                    }
                    *doc = value;
                    return Ok(());
                }
                let (parent, key) = self.parent(doc, path)?;
                self.replace(parent, &key, path, path_at)
            }
            Kind::Move | Kind::Copy => {
                let from = self.from.and_then(string).unwrap_or_default();
                let (source, key) = self.parent(doc, from)?;
                let mut value = match self.kind {
                    Kind::Move => self.remove(source, &key, from)?,
                    _ => self.get(source, &key, from)?.map_or_else(
                        || Node::new(Value::Scalar(Scalar::plain("null")), self.at),
                        Node::clone,
                    ),
                };
                retag(&mut value, self.at);
                let (parent, key) = self.parent(doc, path)?;
                self.add(parent, &key, path, path_at, value)
            }
            Kind::Test => self.test(doc, path),
        }
    }

    /// The mapping or list holding the last token of `pointer`, and that token.
    fn parent<'d>(
        &self,
        doc: &'d mut Node,
        pointer: &str,
    ) -> Result<(&'d mut Node, String), PatchError> {
        let mut tokens = pointer.split('/').skip(1).map(unescape).collect::<Vec<_>>();
        let Some(last) = tokens.pop() else {
            return Err(self.missing(pointer));
        };
        let mut node = doc;
        for token in &tokens {
            let next = match &mut node.value {
                Value::Map(entries) => entries
                    .iter_mut()
                    .rev()
                    .find(|e| e.key == token.as_str())
                    .map(|e| &mut e.value),
                Value::Seq(items) => {
                    let len = items.len();
                    index(token, len).and_then(move |i| items.get_mut(i))
                }
                Value::Scalar(_) => None,
            };
            match next {
                Some(next) if !next.is_null() && next.as_scalar().is_none() => node = next,
                _ => return Err(self.missing(pointer)),
            }
        }
        Ok((node, last))
    }

    fn get<'d>(
        &self,
        parent: &'d Node,
        key: &str,
        pointer: &str,
    ) -> Result<Option<&'d Node>, PatchError> {
        match &parent.value {
            Value::Map(entries) => Ok(entries
                .iter()
                .rev()
                .find(|e| e.key == key)
                .map(|e| &e.value)),
            Value::Seq(items) => {
                let i = self.existing_index(key, items.len(), pointer)?;
                Ok(items.get(i))
            }
            Value::Scalar(_) => Err(self.missing(pointer)),
        }
    }

    fn add(
        &self,
        parent: &mut Node,
        key: &str,
        pointer: &str,
        key_at: Origin,
        value: Node,
    ) -> Result<(), PatchError> {
        match &mut parent.value {
            Value::Map(entries) => {
                match entries.iter_mut().rev().find(|e| e.key == key) {
                    Some(entry) => entry.value = value,
                    None => entries.push(Entry {
                        key: key.into(),
                        key_at,
                        value,
                    }),
                }
                Ok(())
            }
            Value::Seq(items) => {
                let at = if key == "-" {
                    items.len()
                } else {
                    let wanted = parse_index(key).ok_or_else(|| self.not_an_index(key, pointer))?;
                    let room = items.len() as i64 + 1;
                    match wanted {
                        i if i >= room || i < -room => return Err(self.missing(pointer)),
                        i if i < 0 => (i + room) as usize,
                        i => i as usize,
                    }
                };
                items.insert(at, value);
                Ok(())
            }
            Value::Scalar(_) => Err(self.missing(pointer)),
        }
    }

    fn remove(&self, parent: &mut Node, key: &str, pointer: &str) -> Result<Node, PatchError> {
        match &mut parent.value {
            Value::Map(entries) => match entries.iter().rposition(|e| e.key == key) {
                Some(i) => Ok(entries.remove(i).value),
                None => Err(self.missing(pointer)),
            },
            Value::Seq(items) => {
                let i = self.existing_index(key, items.len(), pointer)?;
                Ok(items.remove(i))
            }
            Value::Scalar(_) => Err(self.missing(pointer)),
        }
    }

    fn replace(
        &self,
        parent: &mut Node,
        key: &str,
        pointer: &str,
        key_at: Origin,
    ) -> Result<(), PatchError> {
        if let Value::Seq(items) = &mut parent.value {
            let i = self.existing_index(key, items.len(), pointer)?;
            items[i] = self.written();
            return Ok(());
        }
        // As in Kustomize's library, a mapping's missing key is added, not an error.
        self.add(parent, key, pointer, key_at, self.written())
    }

    fn test(&self, doc: &mut Node, pointer: &str) -> Result<(), PatchError> {
        let failed = || PatchError::TestFailed {
            at: self.at,
            path: pointer.to_owned(),
        };
        if pointer.is_empty() {
            return match self.value {
                Some(value) if same(doc, value) => Ok(()),
                _ => Err(failed()),
            };
        }
        let (parent, key) = self.parent(doc, pointer)?;
        let found = self.get(parent, &key, pointer)?.filter(|v| !v.is_null());
        match (found, self.value.filter(|v| !v.is_null())) {
            (None, None) => Ok(()),
            (Some(found), Some(value)) if same(found, value) => Ok(()),
            _ => Err(failed()),
        }
    }

    /// The position of an existing list item.
    fn existing_index(&self, key: &str, len: usize, pointer: &str) -> Result<usize, PatchError> {
        let wanted = parse_index(key).ok_or_else(|| self.not_an_index(key, pointer))?;
        index_in(wanted, len).ok_or_else(|| self.missing(pointer))
    }

    fn not_an_index(&self, key: &str, pointer: &str) -> PatchError {
        bad(self.at, format!("`{key}` in {pointer} is not a list index"))
    }
}

/// A JSON-pointer token with its escapes read: `~1` is `/`, `~0` is `~`.
fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('~', Some('1')) => {
                out.push('/');
                chars.next();
            }
            ('~', Some('0')) => {
                out.push('~');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// A list index as Go's `strconv.Atoi` reads it (a sign, then digits).
fn parse_index(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}

/// The position `wanted` names in a list of `len` items (negative counts from the end).
fn index_in(wanted: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if wanted < 0 { wanted + len } else { wanted };
    (0..len).contains(&i).then_some(i as usize)
}

fn index(token: &str, len: usize) -> Option<usize> {
    index_in(parse_index(token)?, len)
}

/// Gives a moved or copied value, keys included, the origin of the operation.
fn retag(node: &mut Node, at: Origin) {
    node.at = at;
    match &mut node.value {
        Value::Map(entries) => {
            for entry in entries {
                entry.key_at = at;
                retag(&mut entry.value, at);
            }
        }
        Value::Seq(items) => items.iter_mut().for_each(|item| retag(item, at)),
        Value::Scalar(_) => {}
    }
}

/// Rewrites the booleans and integers of a value, read with `typed`, the way its
/// trip through JSON prints them (`0x1F` is `31`).
fn canonical(node: &mut Node, typed: fn(&Scalar) -> Typed<'_>) {
    match &mut node.value {
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|e| canonical(&mut e.value, typed)),
        Value::Seq(items) => items.iter_mut().for_each(|item| canonical(item, typed)),
        Value::Scalar(s) => {
            let text = match typed(s) {
                Typed::Bool(b) => b.to_string(),
                Typed::Int(i) => i.to_string(),
                _ => return,
            };
            if s.text != text.as_str() {
                *s = Scalar::plain(text);
            }
        }
    }
}

/// Whether an object's value (`found`, read as YAML 1.2) equals an operation's value
/// (`tested`, read as YAML 1.1) as JSON values.
fn same(found: &Node, tested: &Node) -> bool {
    match (&found.value, &tested.value) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| {
                    y.iter()
                        .find(|f| f.key == e.key)
                        .is_some_and(|f| same(&e.value, &f.value))
                })
        }
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Scalar(x), Value::Scalar(y)) => match (x.typed_1_2(), y.typed()) {
            (Typed::Null, Typed::Null) => true,
            (Typed::Bool(p), Typed::Bool(q)) => p == q,
            (Typed::Str(p), Typed::Str(q)) => p == q,
            (Typed::Int(p), Typed::Int(q)) => p == q,
            (Typed::Int(p), Typed::Float(q)) | (Typed::Float(q), Typed::Int(p)) => p as f64 == q,
            (Typed::Float(p), Typed::Float(q)) => p == q,
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::patch::test_support::{BASE, PATCH, plain};
    use crate::kustomize::testing::{at, parse, parse_all};

    const CASE_BASE: &str = include_str!("../../../fixtures/kustomize/patch-json6902/base.yaml");
    const CASE_OPS: &str = include_str!("../../../fixtures/kustomize/patch-json6902/ops.yaml");
    const CASE_JSON: &str = include_str!("../../../fixtures/kustomize/patch-json6902/ops.json");
    const CASE_EXPECTED: &str =
        include_str!("../../../fixtures/kustomize/patch-json6902/expected.yaml");

    fn patched() -> Node {
        let mut object = parse(CASE_BASE, BASE);
        apply(&mut object, &parse(CASE_OPS, PATCH)).expect("the YAML operations apply");
        object
    }

    #[test]
    fn yaml_and_json_operations_render_as_kubectl_renders() {
        let mut object = patched();
        let json = crate::yaml::parse_json(CASE_JSON, &crate::yaml::Limits::default());
        assert!(json.error.is_none());
        let root = json.documents.first().expect("one document").root;
        let ops = Node::from_tree(json.tree.node(root), crate::files::FileId(3));
        apply(&mut object, &ops).expect("the JSON operations apply");
        assert_eq!(plain(&object), plain(&parse_all(CASE_EXPECTED, BASE)[0]));
    }

    #[test]
    fn written_values_point_at_the_operation_that_wrote_them() {
        let object = patched();
        let spec = object.get("spec").expect("spec");
        let automount = spec.entry("automountServiceAccountToken").expect("added");
        assert_eq!(
            (at(automount.key_at), at(automount.value.at)),
            ((PATCH, 2, 9), (PATCH, 3, 10))
        );
        let sa = spec.entry("serviceAccountName").expect("replaced");
        assert_eq!(
            (at(sa.key_at), at(sa.value.at)),
            ((BASE, 9, 3), (PATCH, 6, 10))
        );
        let containers = spec
            .get("containers")
            .and_then(Node::as_seq)
            .expect("a list");
        let names: Vec<_> = containers
            .iter()
            .filter_map(|c| c.get("name")?.as_str())
            .collect();
        assert_eq!(names, ["first", "side", "last"]);
        assert_eq!(at(containers[0].at), (PATCH, 17, 10));
        assert_eq!(at(containers[1].at), (BASE, 16, 5));
        assert_eq!(at(containers[2].at), (PATCH, 14, 10));
        // A moved or copied value is where the operation put it.
        let moved = spec.entry("initContainers").expect("moved");
        assert_eq!(
            (at(moved.key_at), at(moved.value.at)),
            ((PATCH, 20, 9), (PATCH, 18, 3))
        );
        assert_eq!(
            at(moved.value.get("image").expect("image").at),
            (PATCH, 18, 3)
        );
        let copied = spec.get("serviceAccount").expect("copied");
        assert_eq!(
            (copied.as_str(), at(copied.at)),
            (Some("patched"), (PATCH, 21, 3))
        );
        // The object went through JSON: its own values keep their origins.
        let grace = spec.get("terminationGracePeriodSeconds").expect("kept");
        assert_eq!(
            (grace.as_scalar().map(|s| s.text.as_str()), at(grace.at)),
            (Some("30"), (BASE, 11, 34))
        );
        // `yes` went through JSON as a boolean.
        let links = spec.get("enableServiceLinks").expect("added");
        assert_eq!(
            (links.as_scalar().map(|s| s.text.as_str()), at(links.at)),
            (Some("true"), (PATCH, 26, 10))
        );
        let annotations = object
            .get_path(&["metadata", "annotations"])
            .and_then(Node::as_map);
        let keys: Vec<_> = annotations
            .into_iter()
            .flatten()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["c~d"]);
    }

    fn fails(object: &str, ops: &str) -> PatchError {
        let mut object = parse(object, BASE);
        apply(&mut object, &parse(ops, PATCH)).expect_err("the operation fails")
    }

    const POD: &str =
        "kind: Pod\nmetadata:\n  name: p\n  labels: {a: y}\nspec:\n  containers: [{name: a}]\n";

    #[test]
    fn a_path_that_does_not_exist_is_an_error_at_the_operation() {
        let err = fails(
            POD,
            "- op: add\n  path: /spec/x\n- op: remove\n  path: /spec/volumes\n",
        );
        assert_eq!(at(err.at()), (PATCH, 3, 3));
        assert_eq!(
            err.to_string(),
            "JSON 6902 remove operation: the object has no /spec/volumes"
        );
        let err = fails(
            POD,
            "- op: add\n  path: /spec/template/spec/x\n  value: 1\n",
        );
        assert!(
            matches!(err, PatchError::PathMissing { op: "add", .. }),
            "{err}"
        );
        let err = fails(
            POD,
            "- op: replace\n  path: /spec/containers/1\n  value: {}\n",
        );
        assert!(
            matches!(err, PatchError::PathMissing { op: "replace", .. }),
            "{err}"
        );
        let err = fails(POD, "- op: move\n  from: /spec/nothing\n  path: /spec/x\n");
        assert!(
            matches!(err, PatchError::PathMissing { op: "move", .. }),
            "{err}"
        );
        let err = fails(POD, "- op: add\n  path: /spec/containers/2\n  value: {}\n");
        assert!(
            matches!(err, PatchError::PathMissing { op: "add", .. }),
            "{err}"
        );
        // Before the first `/` nothing counts (as in Kustomize's library); a path
        // without one, or empty, names no place to add at.
        let err = fails(
            POD,
            "- op: add\n  path: spec/x\n  value: {}\n- op: add\n  path: spec\n",
        );
        assert_eq!(at(err.at()), (PATCH, 4, 3));
        let err = fails(POD, "- op: add\n  path: ''\n");
        assert_eq!(at(err.at()), (PATCH, 1, 3));
    }

    #[test]
    fn a_failed_test_stops_the_patch_with_kustomize_typing() {
        // The object's `y` is a string (YAML 1.2), the operation's a boolean (YAML 1.1).
        let err = fails(POD, "- op: test\n  path: /metadata/labels/a\n  value: y\n");
        assert_eq!(
            err,
            PatchError::TestFailed {
                at: err.at(),
                path: "/metadata/labels/a".into()
            }
        );
        assert_eq!(at(err.at()), (PATCH, 1, 3));
        let mut object = parse(POD, BASE);
        let ok = "- op: test\n  path: /metadata/labels/a\n  value: 'y'\n- op: test\n  path: /spec/x\n- op: test\n  path: /spec/containers/-1\n  value: {name: a}\n";
        assert_eq!(apply(&mut object, &parse(ok, PATCH)), Ok(()));
    }

    #[test]
    fn malformed_operations_are_errors_at_the_operation() {
        let err = fails(POD, "- op: merge\n  path: /spec\n");
        assert_eq!(at(err.at()), (PATCH, 1, 7));
        assert!(
            err.to_string().contains("unknown operation `merge`"),
            "{err}"
        );
        let err = fails(POD, "- op: remove\n");
        assert!(err.to_string().contains("without a string `path`"), "{err}");
        let err = fails(POD, "- op: copy\n  path: /spec/x\n");
        assert!(err.to_string().contains("without a string `from`"), "{err}");
        let err = fails(POD, "- op: remove\n  path: /spec/containers/first\n");
        assert!(
            err.to_string()
                .contains("`first` in /spec/containers/first is not a list index"),
            "{err}"
        );
        let err = fails(POD, "- just text\n");
        assert_eq!(at(err.at()), (PATCH, 1, 3));
        let err = fails(POD, "op: remove\npath: /spec\n");
        assert_eq!(at(err.at()), (PATCH, 1, 1));
    }

    #[test]
    fn negative_indexes_count_from_the_end_and_replace_adds_a_missing_key() {
        let mut object = parse(POD, BASE);
        let ops = "- op: add\n  path: /spec/containers/-2\n  value: {name: b}\n- op: replace\n  path: /spec/hostNetwork\n  value: true\n- op: remove\n  path: /spec/containers/-1\n";
        assert_eq!(apply(&mut object, &parse(ops, PATCH)), Ok(()));
        let names: Vec<_> = object
            .get_path(&["spec", "containers"])
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("name")?.as_str())
            .collect();
        assert_eq!(names, ["b"]);
        let host = object.get_path(&["spec", "hostNetwork"]).expect("added");
        assert_eq!(at(host.at), (PATCH, 6, 10));
    }
}
