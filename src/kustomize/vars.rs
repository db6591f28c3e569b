//! Legacy `vars` as Kustomize v5.5 resolves them: `$(NAME)` in the fields Kustomize's
//! var-reference table lists is replaced by a field of the object the var names.
//!
//! The driver, per kustomization, after its transformers: [`read`] its vars and
//! [`bind`] each to the object it names among the objects so far (Kustomize binds a
//! var where it is declared, by any of the object's ids). At the end of the root, after
//! the hash suffixes and name references: [`resolve`] with every var of the root and
//! the index of its object. A field that is exactly `$(NAME)` takes the value and the
//! origin of the var's field; text around a `$(NAME)` keeps the field's own origin.

use crate::kustomize::fields::{self, FieldError};
use crate::kustomize::node::{Entry, Node, Value};
use crate::kustomize::replacements;
use crate::kustomize::resid::{ResId, effective_namespace};
use crate::kustomize::transform::FieldSpec;
use crate::origin::Origin;
use crate::yaml::scalar::Value as Typed;
use crate::yaml::{Style, Tag};

/// One entry of `vars`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Var {
    pub name: String,
    /// The object, by group, version, kind, name and (when set) namespace.
    pub object: ResId,
    /// `fieldref.fieldPath`, `metadata.name` when not set.
    pub field_path: String,
    /// The var's entry in its kustomization.
    pub at: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct VarError {
    pub at: Origin,
    pub kind: VarErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VarErrorKind {
    #[error(transparent)]
    Field(FieldError),
    #[error("unknown field `{0}` in a var")]
    UnknownField(String),
    #[error("a var needs a name")]
    MissingName,
    #[error("var `{0}` is declared twice")]
    Repeated(String),
    #[error("{count} objects match var `{name}`")]
    SeveralObjects { name: String, count: usize },
    #[error("var `{0}` names no object of the kustomizations that declare it")]
    Unbound(String),
    #[error("var `{name}`: its object has no field `{path}`")]
    MissingField { name: String, path: String },
    #[error("{kind} {name}: an item of `{path}` is not a string, so its vars cannot be replaced")]
    NotString {
        kind: String,
        name: String,
        path: String,
    },
}

impl From<FieldError> for VarError {
    fn from(e: FieldError) -> VarError {
        VarError {
            at: e.at,
            kind: VarErrorKind::Field(e),
        }
    }
}

fn error(at: Origin, kind: VarErrorKind) -> VarError {
    VarError { at, kind }
}

fn check_keys(map: &[Entry], known: &[&str]) -> Result<(), VarError> {
    match fields::unknown_key(map, known) {
        Some(e) => Err(error(
            e.key_at,
            VarErrorKind::UnknownField(e.key.to_string()),
        )),
        None => Ok(()),
    }
}

fn text(node: Option<&Node>, key: &str) -> Result<String, VarError> {
    let Some(node) = node else {
        return Ok(String::new());
    };
    Ok(fields::string_entry(node, key)?
        .map(|(t, _)| t.to_owned())
        .unwrap_or_default())
}

/// The `vars` of a kustomization.
pub fn read(kustomization: &Node) -> Result<Vec<Var>, VarError> {
    let Some(list) = fields::get(kustomization, "vars").filter(|n| !n.is_null()) else {
        return Ok(Vec::new());
    };
    let items = list.as_seq().ok_or_else(|| FieldError {
        at: list.at,
        field: "vars".to_owned(),
        expected: "a list of vars",
    })?;
    items.iter().map(read_var).collect()
}

fn read_var(item: &Node) -> Result<Var, VarError> {
    let map = fields::mapping(item, "vars")?.unwrap_or_default();
    check_keys(map, &["name", "objref", "fieldref"])?;
    let name = text(Some(item), "name")?;
    if name.is_empty() {
        return Err(error(item.at, VarErrorKind::MissingName));
    }
    let objref = fields::get(item, "objref").filter(|n| !n.is_null());
    if let Some(objref) = objref {
        let map = fields::mapping(objref, "objref")?.unwrap_or_default();
        check_keys(
            map,
            &[
                "apiVersion",
                "group",
                "version",
                "kind",
                "name",
                "namespace",
            ],
        )?;
    }
    let fieldref = fields::get(item, "fieldref").filter(|n| !n.is_null());
    if let Some(fieldref) = fieldref {
        let map = fields::mapping(fieldref, "fieldref")?.unwrap_or_default();
        check_keys(map, &["fieldPath"])?;
    }
    let mut object = ResId {
        group: text(objref, "group")?,
        version: text(objref, "version")?,
        kind: text(objref, "kind")?,
        name: text(objref, "name")?,
        namespace: text(objref, "namespace")?,
    };
    // `apiVersion`, when set, gives the group and version.
    let api_version = text(objref, "apiVersion")?;
    match api_version.split_once('/') {
        Some((group, version)) => {
            object.group = group.to_owned();
            object.version = version.to_owned();
        }
        None if !api_version.is_empty() => object.version = api_version,
        None => {}
    }
    let field_path = text(fieldref, "fieldPath")?;
    Ok(Var {
        name,
        object,
        field_path: if field_path.is_empty() {
            "metadata.name".to_owned()
        } else {
            field_path
        },
        at: item.at,
    })
}

/// The index of the object a var names among `objects` (current or earlier ids,
/// `previous[i]` holding those of `objects[i]`): the same group, version, kind and
/// name, and the same namespace when the var sets one. `None` when no object matches.
pub fn bind(
    var: &Var,
    objects: &[Node],
    previous: &[Vec<ResId>],
) -> Result<Option<usize>, VarError> {
    let wanted = &var.object;
    let same = |id: &ResId| {
        id.group == wanted.group
            && id.version == wanted.version
            && id.kind == wanted.kind
            && id.name == wanted.name
            && (wanted.namespace.is_empty()
                || effective_namespace(&id.namespace) == effective_namespace(&wanted.namespace))
    };
    let matches: Vec<usize> = objects
        .iter()
        .enumerate()
        .filter(|(i, object)| {
            same(&ResId::of(object)) || previous.get(*i).is_some_and(|ids| ids.iter().any(same))
        })
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        several => Err(error(
            var.at,
            VarErrorKind::SeveralObjects {
                name: var.name.clone(),
                count: several.len(),
            },
        )),
    }
}

/// A var's value: the text of a scalar and how Kustomize types it when it fills a
/// whole field, and where it was written. A mapping or list is no value: its
/// references stay as written.
struct Resolved {
    text: String,
    typed: Option<Tag>,
    at: Origin,
}

/// Replaces `$(NAME)` in the var-reference fields of every object (`configured`
/// where `configurations` changed Kustomize's own); `bound` is every var of the root
/// with the index of its object (`None` when it names none).
pub(crate) fn resolve(
    objects: &mut [Node],
    bound: &[(Var, Option<usize>)],
    configured: Option<&[FieldSpec<'_>]>,
) -> Result<(), VarError> {
    let mut values: Vec<(&str, Option<Resolved>)> = Vec::new();
    for (var, index) in bound {
        if values.iter().any(|(name, _)| *name == var.name) {
            return Err(error(var.at, VarErrorKind::Repeated(var.name.clone())));
        }
        let object = index
            .and_then(|i| objects.get(i))
            .ok_or_else(|| error(var.at, VarErrorKind::Unbound(var.name.clone())))?;
        let field = lookup(object, &var.field_path).ok_or_else(|| {
            error(
                var.at,
                VarErrorKind::MissingField {
                    name: var.name.clone(),
                    path: var.field_path.clone(),
                },
            )
        })?;
        let resolved = field.as_scalar().map(|s| Resolved {
            text: s.text.to_string(),
            typed: match s.typed_1_2() {
                Typed::Int(_) => Some(Tag::Int),
                Typed::Float(_) => Some(Tag::Float),
                Typed::Bool(_) => Some(Tag::Bool),
                _ => None,
            },
            at: field.at,
        });
        values.push((&var.name, resolved));
    }
    if values.is_empty() {
        return Ok(());
    }
    let lookup_var = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_ref())
    };
    let builtin;
    let specs = match configured {
        Some(specs) => specs,
        None => {
            builtin = builtin_references();
            &builtin[..]
        }
    };
    for object in objects.iter_mut() {
        let text = |key: &str| object.get(key).and_then(Node::as_str).unwrap_or_default();
        let (api_version, kind) = (text("apiVersion").to_owned(), text("kind").to_owned());
        for spec in specs {
            if !spec.selects(&api_version, &kind) {
                continue;
            }
            let path = spec.path;
            let mut bad_item = None;
            visit(object, path, &mut |node| {
                if !substitute_field(node, &lookup_var) {
                    bad_item = bad_item.or(Some(node.at));
                }
            });
            if let Some(at) = bad_item {
                let name = object
                    .get_path(&["metadata", "name"])
                    .and_then(Node::as_str);
                return Err(error(
                    at,
                    VarErrorKind::NotString {
                        kind,
                        name: name.unwrap_or_default().to_owned(),
                        path: path.to_owned(),
                    },
                ));
            }
        }
    }
    Ok(())
}

fn is_string(node: &Node) -> bool {
    node.as_scalar()
        .is_some_and(|s| matches!(s.typed_1_2(), Typed::Str(_)))
}

/// The field of a var at a dotted path, as Kustomize looks it up: a replacement's
/// path, where `name[2]` also indexes a list.
fn lookup<'n>(object: &'n Node, path: &str) -> Option<&'n Node> {
    let mut parts = Vec::new();
    for part in replacements::split_path(path) {
        match part.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
            Some((field, index))
                if !index.is_empty() && index.bytes().all(|b| b.is_ascii_digit()) =>
            {
                if !field.is_empty() {
                    parts.push(field.to_owned());
                }
                parts.push(index.to_owned());
            }
            _ => parts.push(part),
        }
    }
    replacements::lookup(object, &parts)
        .ok()
        .flatten()
        .filter(|node| !node.is_null())
}

/// Calls `f` on the nodes at a slash-separated path, going through every item of a
/// list on the way as Kustomize's field specs do.
fn visit(node: &mut Node, path: &str, f: &mut dyn FnMut(&mut Node)) {
    if path.is_empty() {
        f(node);
        return;
    }
    if let Value::Seq(items) = &mut node.value {
        for item in items {
            visit(item, path, f);
        }
        return;
    }
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    // A configured path may mark a list (`containers[]`); every list is entered.
    if let Some(child) = node.get_mut(first.trim_end_matches("[]")) {
        visit(child, rest, f);
    }
}

/// `$(NAME)` replaced in a string field, in each string value of a mapping, or in each
/// item of a list, as Kustomize's var filter does. `false` for a list with an item
/// that is not a string, which Kustomize rejects.
fn substitute_field<'v>(node: &mut Node, var: &dyn Fn(&str) -> Option<&'v Resolved>) -> bool {
    match &mut node.value {
        Value::Scalar(_) => {
            if is_string(node) {
                substitute(node, var);
            }
        }
        Value::Map(entries) => {
            for entry in entries {
                if is_string(&entry.value) {
                    substitute(&mut entry.value, var);
                }
            }
        }
        Value::Seq(items) => {
            if !items.iter().all(is_string) {
                return false;
            }
            for item in items {
                substitute(item, var);
            }
        }
    }
    true
}

fn substitute<'v>(node: &mut Node, var: &dyn Fn(&str) -> Option<&'v Resolved>) {
    let Value::Scalar(s) = &mut node.value else {
        return;
    };
    let input = s.text.to_string();
    // A field that is one reference takes the value with its type and origin.
    if let Some(name) = input.strip_prefix("$(").and_then(|r| r.strip_suffix(')'))
        && !name.contains(')')
    {
        if let Some(value) = var(name) {
            s.text = value.text.as_str().into();
            (s.style, s.tag) = match value.typed {
                Some(tag) => (Style::Plain, tag),
                None => (Style::DoubleQuoted, Tag::None),
            };
            node.at = value.at;
        }
        return;
    }
    let expanded = expand(&input, var);
    if expanded != input {
        s.text = expanded.into();
        s.style = Style::DoubleQuoted;
        s.tag = Tag::None;
    }
}

/// Kustomize's expansion: `$(NAME)` of a known var is its value, `$$` is `$`, anything
/// else stays as written.
fn expand<'v>(input: &str, var: &dyn Fn(&str) -> Option<&'v Resolved>) -> String {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if after.is_empty() {
            out.push('$');
            rest = after;
            break;
        }
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('(') {
            match inner.find(')') {
                Some(close) => {
                    let name = &inner[..close];
                    match var(name) {
                        Some(value) => out.push_str(&value.text),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &inner[close + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = inner;
                }
            }
        } else {
            let mut chars = after.chars();
            out.push('$');
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    out.push_str(rest);
    out
}

/// Kustomize's built-in var-reference field specs (none creates anything).
pub(crate) fn builtin_references() -> Vec<FieldSpec<'static>> {
    VAR_REFERENCES
        .iter()
        .map(|&(path, kind)| FieldSpec {
            group: "",
            version: "",
            kind: kind.unwrap_or(""),
            path,
            create: false,
        })
        .collect()
}

/// Where `$(NAME)` is replaced, by kind (`None`: every kind).
const VAR_REFERENCES: &[(&str, Option<&str>)] = &[
    (
        "spec/jobTemplate/spec/template/spec/containers/args",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/containers/command",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/containers/env/value",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/containers/volumeMounts/mountPath",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/initContainers/args",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/initContainers/command",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/initContainers/env/value",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/spec/initContainers/volumeMounts/mountPath",
        Some("CronJob"),
    ),
    (
        "spec/jobTemplate/spec/template/volumes/nfs/server",
        Some("CronJob"),
    ),
    ("spec/template/spec/containers/args", Some("DaemonSet")),
    ("spec/template/spec/containers/command", Some("DaemonSet")),
    ("spec/template/spec/containers/env/value", Some("DaemonSet")),
    (
        "spec/template/spec/containers/volumeMounts/mountPath",
        Some("DaemonSet"),
    ),
    ("spec/template/spec/initContainers/args", Some("DaemonSet")),
    (
        "spec/template/spec/initContainers/command",
        Some("DaemonSet"),
    ),
    (
        "spec/template/spec/initContainers/env/value",
        Some("DaemonSet"),
    ),
    (
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        Some("DaemonSet"),
    ),
    ("spec/template/spec/volumes/nfs/server", Some("DaemonSet")),
    ("spec/template/spec/containers/args", Some("Deployment")),
    ("spec/template/spec/containers/command", Some("Deployment")),
    (
        "spec/template/spec/containers/env/value",
        Some("Deployment"),
    ),
    (
        "spec/template/spec/containers/volumeMounts/mountPath",
        Some("Deployment"),
    ),
    ("spec/template/spec/initContainers/args", Some("Deployment")),
    (
        "spec/template/spec/initContainers/command",
        Some("Deployment"),
    ),
    (
        "spec/template/spec/initContainers/env/value",
        Some("Deployment"),
    ),
    (
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        Some("Deployment"),
    ),
    ("spec/template/spec/volumes/nfs/server", Some("Deployment")),
    ("spec/template/metadata/annotations", Some("Deployment")),
    ("spec/rules/host", Some("Ingress")),
    ("spec/tls/hosts", Some("Ingress")),
    ("spec/tls/secretName", Some("Ingress")),
    ("spec/template/spec/containers/args", Some("Job")),
    ("spec/template/spec/containers/command", Some("Job")),
    ("spec/template/spec/containers/env/value", Some("Job")),
    (
        "spec/template/spec/containers/volumeMounts/mountPath",
        Some("Job"),
    ),
    ("spec/template/spec/initContainers/args", Some("Job")),
    ("spec/template/spec/initContainers/command", Some("Job")),
    ("spec/template/spec/initContainers/env/value", Some("Job")),
    (
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        Some("Job"),
    ),
    ("spec/template/spec/volumes/nfs/server", Some("Job")),
    ("spec/containers/args", Some("Pod")),
    ("spec/containers/command", Some("Pod")),
    ("spec/containers/env/value", Some("Pod")),
    ("spec/containers/volumeMounts/mountPath", Some("Pod")),
    ("spec/initContainers/args", Some("Pod")),
    ("spec/initContainers/command", Some("Pod")),
    ("spec/initContainers/env/value", Some("Pod")),
    ("spec/initContainers/volumeMounts/mountPath", Some("Pod")),
    ("spec/volumes/nfs/server", Some("Pod")),
    ("spec/template/spec/containers/args", Some("ReplicaSet")),
    ("spec/template/spec/containers/command", Some("ReplicaSet")),
    (
        "spec/template/spec/containers/env/value",
        Some("ReplicaSet"),
    ),
    (
        "spec/template/spec/containers/volumeMounts/mountPath",
        Some("ReplicaSet"),
    ),
    ("spec/template/spec/initContainers/args", Some("ReplicaSet")),
    (
        "spec/template/spec/initContainers/command",
        Some("ReplicaSet"),
    ),
    (
        "spec/template/spec/initContainers/env/value",
        Some("ReplicaSet"),
    ),
    (
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        Some("ReplicaSet"),
    ),
    ("spec/template/spec/volumes/nfs/server", Some("ReplicaSet")),
    ("spec/ports/port", Some("Service")),
    ("spec/ports/targetPort", Some("Service")),
    ("spec/template/spec/containers/args", Some("StatefulSet")),
    ("spec/template/spec/containers/command", Some("StatefulSet")),
    (
        "spec/template/spec/containers/env/value",
        Some("StatefulSet"),
    ),
    (
        "spec/template/spec/containers/volumeMounts/mountPath",
        Some("StatefulSet"),
    ),
    (
        "spec/template/spec/initContainers/args",
        Some("StatefulSet"),
    ),
    (
        "spec/template/spec/initContainers/command",
        Some("StatefulSet"),
    ),
    (
        "spec/template/spec/initContainers/env/value",
        Some("StatefulSet"),
    ),
    (
        "spec/template/spec/initContainers/volumeMounts/mountPath",
        Some("StatefulSet"),
    ),
    (
        "spec/volumeClaimTemplates/spec/nfs/server",
        Some("StatefulSet"),
    ),
    ("spec/nfs/server", Some("PersistentVolume")),
    ("metadata/labels", None),
    ("metadata/annotations", None),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::kustomize::testing::{
        assert_renders_as_expected, at, fixture, parse, parse_all, read_text,
    };

    const K: FileId = FileId(1);
    const R: FileId = FileId(2);

    fn resolve_inline(resources: &str, kustomization: &str) -> Result<Vec<Node>, VarError> {
        let mut objects = parse_all(resources, R);
        let vars = read(&parse(kustomization, K))?;
        let bound = vars
            .into_iter()
            .map(|var| {
                let index = bind(&var, &objects, &[])?;
                Ok((var, index))
            })
            .collect::<Result<Vec<_>, VarError>>()?;
        resolve(&mut objects, &bound, None)?;
        Ok(objects)
    }

    #[test]
    fn vars_replace_what_kubectl_replaces() {
        let dir = fixture("vars-legacy");
        let objects = resolve_inline(
            &read_text(&dir.join("resources.yaml")),
            &read_text(&dir.join("kustomization.yaml")),
        )
        .expect("resolves");
        assert_renders_as_expected("vars-legacy", &objects);
    }

    const RESOURCES: &str = "\
apiVersion: v1
kind: ConfigMap
metadata: {name: ids}
data: {sa: builder}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: c
    env:
    - {name: A, value: $(SA)}
    - {name: B, value: as-$(SA)}
";

    const SA_VAR: &str = "vars:\n- name: SA\n  objref: {kind: ConfigMap, name: ids, apiVersion: v1}\n  fieldref: {fieldPath: data.sa}\n";

    #[test]
    fn a_whole_reference_points_at_the_var_field_and_text_around_one_at_its_own() {
        let objects = resolve_inline(RESOURCES, SA_VAR).expect("resolves");
        let env = objects[1]
            .get_path(&["spec", "containers"])
            .and_then(Node::as_seq)
            .and_then(|c| c[0].get("env"))
            .and_then(Node::as_seq)
            .expect("env");
        let a = env[0].get("value").expect("A");
        assert_eq!((a.as_str(), at(a.at)), (Some("builder"), (R, 4, 12)));
        let b = env[1].get("value").expect("B");
        assert_eq!((b.as_str(), at(b.at)), (Some("as-builder"), (R, 14, 24)));
    }

    #[test]
    fn bad_vars_are_errors_at_the_var() {
        let twice = format!(
            "{SA_VAR}- name: SA\n  objref: {{kind: ConfigMap, name: ids, apiVersion: v1}}\n"
        );
        let cases: &[(&str, (FileId, u32, u32), &str)] = &[
            (
                "vars:\n- objref: {kind: Pod}\n",
                (K, 2, 3),
                "a var needs a name",
            ),
            (
                "vars:\n- name: X\n  objref: {knd: Pod}\n",
                (K, 3, 12),
                "unknown field `knd` in a var",
            ),
            (
                "vars:\n- name: X\n  objref: {kind: Pod, name: p}\n",
                (K, 2, 3),
                "var `X` names no object of the kustomizations that declare it",
            ),
            (
                "vars:\n- name: X\n  objref: {kind: Pod, name: p, apiVersion: v1}\n  fieldref: {fieldPath: spec.nodeName}\n",
                (K, 2, 3),
                "var `X`: its object has no field `spec.nodeName`",
            ),
            (&twice, (K, 5, 3), "var `SA` is declared twice"),
        ];
        for (kustomization, (file, line, col), message) in cases {
            let err = resolve_inline(RESOURCES, kustomization).expect_err(message);
            assert_eq!(
                (at(err.at), err.to_string()),
                ((*file, *line, *col), (*message).to_owned()),
                "{kustomization}"
            );
        }
        let two_pods = format!(
            "{RESOURCES}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: other}}\n"
        );
        let err = resolve_inline(
            &two_pods,
            "vars:\n- name: X\n  objref: {kind: Pod, name: p, apiVersion: v1}\n",
        )
        .expect_err("two pods");
        assert_eq!(err.to_string(), "2 objects match var `X`");
        let not_string = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - args: [1, $(X)]\n";
        let err = resolve_inline(
            not_string,
            "vars:\n- name: X\n  objref: {kind: Pod, name: p, apiVersion: v1}\n",
        )
        .expect_err("not a string");
        assert_eq!(
            (at(err.at), err.to_string()),
            ((R, 6, 11), "Pod p: an item of `spec/containers/args` is not a string, so its vars cannot be replaced".to_owned())
        );
    }

    #[test]
    fn expansion_is_kustomizes() {
        let value = Resolved {
            text: "v".to_owned(),
            typed: None,
            at: Origin::new(K, crate::yaml::Span::default()),
        };
        let var = |name: &str| (name == "A").then_some(&value);
        for (input, output) in [
            ("$(A)-$(A)", "v-v"),
            ("$$(A)", "$(A)"),
            ("$(B) $(A", "$(B) $(A"),
            ("a$", "a$"),
            ("$x$(A)", "$xv"),
            ("é$(A)é", "évé"),
        ] {
            assert_eq!(expand(input, &var), output, "{input}");
        }
    }
}
