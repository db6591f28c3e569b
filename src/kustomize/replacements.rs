//! `replacements` as Kustomize v5.5 applies them: copy a field of one object (the
//! source) into fields of others (the targets), in the order written, each seeing the
//! objects as the replacements before it left them.
//!
//! The driver calls [`apply`] where Kustomize runs its replacement transformer (after
//! the patches, namespace, prefixes and labels of the kustomization), with each
//! object's earlier ids (before renames), since a selector matches any of them.
//! A replaced value keeps the origin of the source field; a field created by
//! `options.create` points at the `fieldPaths` entry that created it.

use regex_automata::meta::{BuildError, Regex};

use crate::kustomize::fields::{self, FieldError};
use crate::kustomize::label_selector::LabelSelector;
use crate::kustomize::node::{Entry, Node, Scalar, Value};
use crate::kustomize::resid::ResId;
use crate::origin::Origin;
use crate::yaml::Style;
use crate::yaml::scalar::Value as Typed;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct ReplacementError {
    /// The kustomization's (or replacement file's) entry at fault.
    pub at: Origin,
    pub kind: ReplacementErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplacementErrorKind {
    #[error(transparent)]
    Field(FieldError),
    #[error("unknown field `{0}` in a replacement")]
    UnknownField(String),
    #[error("a replacement has either `path` or an inline source and targets, not both")]
    PathAndInline,
    #[error("a replacement file holds a replacement or a list of them")]
    BadFile,
    #[error("a replacement needs a source and at least one target")]
    Incomplete,
    #[error("a target needs `select`")]
    NoSelect,
    #[error("several objects match the replacement source {0}")]
    SeveralSources(String),
    #[error("no object matches the replacement source {0}")]
    NoSource(String),
    #[error("fieldPath `{path}` is missing in the replacement source {object}")]
    MissingSourceField { path: String, object: String },
    #[error("fieldPath `{path}`: {reason}")]
    BadPath { path: String, reason: String },
    #[error("options.index {index} is out of bounds for the value `{value}`")]
    IndexOutOfBounds { index: i64, value: String },
    #[error("the delimiter option can only be used with scalar values")]
    DelimiterOnCollection,
    #[error("unable to find field `{0}` in a replacement target")]
    NoTargetField(String),
    #[error("unable to find or create field `{0}` in a replacement target")]
    CannotCreate(String),
    #[error("{0}")]
    BadSelector(String),
    #[error("`{path}` cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
}

impl From<FieldError> for ReplacementError {
    fn from(e: FieldError) -> ReplacementError {
        ReplacementError {
            at: e.at,
            kind: ReplacementErrorKind::Field(e),
        }
    }
}

fn error(at: Origin, kind: ReplacementErrorKind) -> ReplacementError {
    ReplacementError { at, kind }
}

/// Reads a replacement file (`path:` relative to the kustomization's directory) into
/// its one YAML document, for the entry that names it.
pub type ReadReplacements<'a> = dyn FnMut(&str, Origin) -> Result<Node, ReplacementError> + 'a;

/// Applies a kustomization's `replacements` to its objects. `previous[i]` holds the
/// earlier ids of `objects[i]` (none when `previous` is shorter).
pub fn apply(
    objects: &mut [Node],
    previous: &[Vec<ResId>],
    kustomization: &Node,
    read: &mut ReadReplacements<'_>,
) -> Result<(), ReplacementError> {
    let Some(list) = fields::get(kustomization, "replacements") else {
        return Ok(());
    };
    if list.is_null() {
        return Ok(());
    }
    let items = list.as_seq().ok_or_else(|| FieldError {
        at: list.at,
        field: "replacements".to_owned(),
        expected: "a list of replacements",
    })?;
    // Kustomize reads every replacement before it applies the first.
    let mut files = Vec::new();
    let mut inline = Vec::new();
    for item in items {
        let map = fields::mapping(item, "replacements")?.unwrap_or_default();
        let path = fields::string_entry(item, "path")?.filter(|(p, _)| !p.is_empty());
        match path {
            Some((path, entry)) => {
                if map
                    .iter()
                    .any(|e| !e.key.eq_ignore_ascii_case("path") && !e.value.is_null())
                {
                    return Err(error(item.at, ReplacementErrorKind::PathAndInline));
                }
                files.push((inline.len() + files.len(), read(path, entry.value.at)?));
            }
            None => inline.push((inline.len() + files.len(), item)),
        }
    }
    let mut replacements: Vec<(usize, Replacement<'_>)> = Vec::new();
    for (order, item) in inline {
        replacements.push((order, Replacement::read(item, &["path"])?));
    }
    for (order, file) in &files {
        match &file.value {
            Value::Seq(items) => {
                for item in items {
                    replacements.push((*order, Replacement::read(item, &[])?));
                }
            }
            Value::Map(_) => replacements.push((*order, Replacement::read(file, &[])?)),
            Value::Scalar(_) => return Err(error(file.at, ReplacementErrorKind::BadFile)),
        }
    }
    replacements.sort_by_key(|(order, _)| *order);
    for (_, replacement) in &replacements {
        replacement.apply(objects, previous)?;
    }
    Ok(())
}

struct Replacement<'a> {
    source: Source<'a>,
    targets: Vec<Target<'a>>,
}

struct Source<'a> {
    at: Origin,
    id: ResId,
    field_path: &'a str,
    options: Options,
}

struct Target<'a> {
    select: Selector,
    reject: Vec<Selector>,
    /// Each path with its entry, where a created field points.
    field_paths: Vec<(&'a str, Origin)>,
    options: Options,
}

#[derive(Default)]
struct Options {
    delimiter: String,
    index: i64,
    create: bool,
}

struct Selector {
    id: ResId,
    labels: Option<LabelSelector>,
    annotations: Option<LabelSelector>,
}

const ID_FIELDS: &[&str] = &["group", "version", "kind", "name", "namespace"];

fn check_keys(map: &[Entry], known: &[&[&str]]) -> Result<(), ReplacementError> {
    match map.iter().find(|e| {
        !known
            .iter()
            .any(|list| list.iter().any(|k| k.eq_ignore_ascii_case(&e.key)))
    }) {
        Some(e) => Err(error(
            e.key_at,
            ReplacementErrorKind::UnknownField(e.key.to_string()),
        )),
        None => Ok(()),
    }
}

fn read_id(node: &Node) -> Result<ResId, ReplacementError> {
    let text = |key: &str| -> Result<String, ReplacementError> {
        Ok(fields::string_entry(node, key)?
            .map(|(t, _)| t.to_owned())
            .unwrap_or_default())
    };
    Ok(ResId {
        group: text("group")?,
        version: text("version")?,
        kind: text("kind")?,
        name: text("name")?,
        namespace: text("namespace")?,
    })
}

impl<'a> Replacement<'a> {
    fn read(node: &'a Node, also: &[&str]) -> Result<Replacement<'a>, ReplacementError> {
        let map = fields::mapping(node, "replacements")?.unwrap_or_default();
        check_keys(map, &[&["source", "targets"], also])?;
        let source = fields::get(node, "source").filter(|n| !n.is_null());
        let targets = fields::get(node, "targets").filter(|n| !n.is_null());
        let (Some(source), Some(targets)) = (source, targets) else {
            return Err(error(node.at, ReplacementErrorKind::Incomplete));
        };
        let source_map = fields::mapping(source, "source")?.unwrap_or_default();
        check_keys(source_map, &[ID_FIELDS, &["fieldPath", "options"]])?;
        let source = Source {
            at: source.at,
            id: read_id(source)?,
            field_path: fields::string_entry(source, "fieldPath")?
                .map(|(t, _)| t)
                .filter(|t| !t.is_empty())
                .unwrap_or("metadata.name"),
            options: Options::read(fields::get(source, "options"))?,
        };
        let target_items = targets.as_seq().ok_or_else(|| FieldError {
            at: targets.at,
            field: "targets".to_owned(),
            expected: "a list of targets",
        })?;
        let targets = target_items
            .iter()
            .map(Target::read)
            .collect::<Result<_, _>>()?;
        Ok(Replacement { source, targets })
    }

    fn apply(&self, objects: &mut [Node], previous: &[Vec<ResId>]) -> Result<(), ReplacementError> {
        let value = self.source_value(objects, previous)?;
        for target in &self.targets {
            for (i, object) in objects.iter_mut().enumerate() {
                let ids = ids(object, previous.get(i));
                if !target.select.matches_meta(object)
                    || target
                        .reject
                        .iter()
                        .any(|r| r.has_meta_selector() && r.matches_meta(object))
                    || target.reject.iter().any(|r| {
                        r.id != ResId::default() && ids.iter().any(|id| id.is_selected_by(&r.id))
                    })
                    || !ids.iter().any(|id| id.is_selected_by(&target.select.id))
                {
                    continue;
                }
                target.copy_into(object, &value)?;
            }
        }
        Ok(())
    }

    /// The source object's field, cut by `options.delimiter` and `index`.
    fn source_value(
        &self,
        objects: &[Node],
        previous: &[Vec<ResId>],
    ) -> Result<Node, ReplacementError> {
        let source = &self.source;
        let describe = || describe_id(&source.id);
        let mut found = None;
        for (i, object) in objects.iter().enumerate() {
            if ids(object, previous.get(i))
                .iter()
                .any(|id| id.is_selected_by(&source.id))
            {
                if found.is_some() {
                    return Err(error(
                        source.at,
                        ReplacementErrorKind::SeveralSources(describe()),
                    ));
                }
                found = Some(object);
            }
        }
        let object =
            found.ok_or_else(|| error(source.at, ReplacementErrorKind::NoSource(describe())))?;
        let path = split_path(source.field_path);
        let value = lookup(object, &path)
            .map_err(|reason| {
                error(
                    source.at,
                    ReplacementErrorKind::BadPath {
                        path: source.field_path.to_owned(),
                        reason,
                    },
                )
            })?
            .filter(|node| !is_nil_or_empty(node))
            .ok_or_else(|| {
                error(
                    source.at,
                    ReplacementErrorKind::MissingSourceField {
                        path: source.field_path.to_owned(),
                        object: describe(),
                    },
                )
            })?;
        let options = &source.options;
        if options.delimiter.is_empty() {
            return Ok(value.clone());
        }
        let Some(s) = value.as_scalar() else {
            return Err(error(
                source.at,
                ReplacementErrorKind::DelimiterOnCollection,
            ));
        };
        let parts: Vec<&str> = s.text.split(options.delimiter.as_str()).collect();
        let part = usize::try_from(options.index)
            .ok()
            .and_then(|i| parts.get(i))
            .ok_or_else(|| {
                error(
                    source.at,
                    ReplacementErrorKind::IndexOutOfBounds {
                        index: options.index,
                        value: s.text.to_string(),
                    },
                )
            })?;
        let mut refined = value.clone();
        if let Value::Scalar(s) = &mut refined.value {
            s.text = (*part).into();
        }
        Ok(refined)
    }
}

fn ids(object: &Node, previous: Option<&Vec<ResId>>) -> Vec<ResId> {
    let mut ids = vec![ResId::of(object)];
    ids.extend(previous.into_iter().flatten().cloned());
    ids
}

fn describe_id(id: &ResId) -> String {
    let group_version = match (id.group.as_str(), id.version.as_str()) {
        ("", v) => v.to_owned(),
        (g, v) => format!("{g}/{v}"),
    };
    let mut parts = vec![];
    for (label, value) in [
        ("apiVersion", group_version.as_str()),
        ("kind", &id.kind),
        ("name", &id.name),
        ("namespace", &id.namespace),
    ] {
        if !value.is_empty() {
            parts.push(format!("{label} {value}"));
        }
    }
    if parts.is_empty() {
        "selecting everything".to_owned()
    } else {
        format!("({})", parts.join(", "))
    }
}

/// Null, or an empty mapping or sequence: a source field Kustomize calls missing.
fn is_nil_or_empty(node: &Node) -> bool {
    match &node.value {
        Value::Map(entries) => entries.is_empty(),
        Value::Seq(items) => items.is_empty(),
        Value::Scalar(_) => node.is_null(),
    }
}

impl Options {
    fn read(node: Option<&Node>) -> Result<Options, ReplacementError> {
        let Some(node) = node else {
            return Ok(Options::default());
        };
        let Some(map) = fields::mapping(node, "options")? else {
            return Ok(Options::default());
        };
        check_keys(map, &[&["delimiter", "index", "encoding", "create"]])?;
        let index = match fields::get(node, "index") {
            Some(n) if !n.is_null() => integer(n)?,
            _ => 0,
        };
        Ok(Options {
            delimiter: fields::string_entry(node, "delimiter")?
                .map(|(t, _)| t.to_owned())
                .unwrap_or_default(),
            index,
            create: match fields::get(node, "create") {
                Some(n) => fields::boolean(n, "create")?,
                None => false,
            },
        })
    }
}

fn integer(node: &Node) -> Result<i64, ReplacementError> {
    let typed = node.as_scalar().map(Scalar::typed);
    match typed {
        Some(Typed::Int(i)) => Ok(i),
        _ => Err(FieldError {
            at: node.at,
            field: "index".to_owned(),
            expected: "an integer",
        }
        .into()),
    }
}

impl Selector {
    fn read(node: &Node, field: &str) -> Result<Selector, ReplacementError> {
        let map = fields::mapping(node, field)?.unwrap_or_default();
        check_keys(map, &[ID_FIELDS, &["labelSelector", "annotationSelector"]])?;
        let selector = |key: &str| -> Result<Option<LabelSelector>, ReplacementError> {
            match fields::string_entry(node, key)? {
                Some((text, entry)) if !text.is_empty() => {
                    LabelSelector::parse(text).map(Some).map_err(|err| {
                        let reason = if err.requirement.is_empty() {
                            format!("empty requirement in label selector `{text}`")
                        } else {
                            format!(
                                "`{}` is not a requirement of a label selector",
                                err.requirement
                            )
                        };
                        error(entry.value.at, ReplacementErrorKind::BadSelector(reason))
                    })
                }
                _ => Ok(None),
            }
        };
        Ok(Selector {
            id: read_id(node)?,
            labels: selector("labelSelector")?,
            annotations: selector("annotationSelector")?,
        })
    }

    fn has_meta_selector(&self) -> bool {
        self.labels.is_some() || self.annotations.is_some()
    }

    /// Whether the object's labels and annotations satisfy the selector's.
    fn matches_meta(&self, object: &Node) -> bool {
        let meta = |field: &str, selector: &Option<LabelSelector>| {
            selector
                .as_ref()
                .is_none_or(|s| s.matches_map(object.get_path(&["metadata", field])))
        };
        meta("labels", &self.labels) && meta("annotations", &self.annotations)
    }
}

impl<'a> Target<'a> {
    fn read(node: &'a Node) -> Result<Target<'a>, ReplacementError> {
        let map = fields::mapping(node, "targets")?.unwrap_or_default();
        check_keys(map, &[&["select", "reject", "fieldPaths", "options"]])?;
        let select = match fields::get(node, "select").filter(|n| !n.is_null()) {
            Some(select) => Selector::read(select, "select")?,
            None => return Err(error(node.at, ReplacementErrorKind::NoSelect)),
        };
        let reject = match fields::get(node, "reject") {
            Some(list) if !list.is_null() => list
                .as_seq()
                .ok_or_else(|| FieldError {
                    at: list.at,
                    field: "reject".to_owned(),
                    expected: "a list of selectors",
                })?
                .iter()
                .map(|r| Selector::read(r, "reject"))
                .collect::<Result<_, _>>()?,
            _ => Vec::new(),
        };
        let mut field_paths: Vec<(&str, Origin)> = match fields::get(node, "fieldPaths") {
            Some(list) => fields::strings(list, "fieldPaths")?
                .into_iter()
                .map(|(path, n)| (path, n.at))
                .collect(),
            None => Vec::new(),
        };
        if field_paths.is_empty() {
            field_paths.push(("metadata.name", node.at));
        }
        Ok(Target {
            select,
            reject,
            field_paths,
            options: Options::read(fields::get(node, "options"))?,
        })
    }

    fn copy_into(&self, object: &mut Node, value: &Node) -> Result<(), ReplacementError> {
        let create = self.options.create.then(|| kind_of(value));
        for &(path, at) in &self.field_paths {
            let parts = split_path(path);
            let mut found = Vec::new();
            let bad_path = |reason| {
                error(
                    at,
                    ReplacementErrorKind::BadPath {
                        path: path.to_owned(),
                        reason,
                    },
                )
            };
            if parts.len() > MAX_PATH_ELEMENTS {
                return Err(bad_path(format!(
                    "more than {MAX_PATH_ELEMENTS} elements, deeper than a manifest can nest"
                )));
            }
            match_path(object, &parts, create, at, &mut found).map_err(bad_path)?;
            if found.is_empty() {
                let kind = if create.is_some() {
                    ReplacementErrorKind::CannotCreate(path.to_owned())
                } else {
                    ReplacementErrorKind::NoTargetField(path.to_owned())
                };
                return Err(error(at, kind));
            }
            for field in found {
                set_value(field, value, &self.options).map_err(|kind| error(at, kind))?;
            }
        }
        Ok(())
    }
}

/// The most elements a target field path may have: as deep as the YAML parser lets a
/// manifest nest, so that `options.create` cannot build (and recurse into) a deeper
/// tree.
const MAX_PATH_ELEMENTS: usize = 256;

/// A field path split at dots, as Kustomize splits one: `\.` keeps a dot in a key, and
/// a `[...]` element is kept whole (its brackets dropped when it holds no `=`).
pub(super) fn split_path(path: &str) -> Vec<String> {
    let mut raw: Vec<String> = Vec::new();
    let mut pieces = path.split('.');
    if path.starts_with('.') && path.len() > 1 {
        pieces.next();
    }
    for piece in pieces {
        match raw.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => raw.push(piece.to_owned()),
        }
    }
    let mut parts = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let elem = &raw[i];
        if elem.starts_with('[') && !elem.ends_with(']') {
            let mut bracketed = vec![elem.clone()];
            while i < raw.len() - 1 {
                i += 1;
                bracketed.push(raw[i].clone());
                if raw[i].ends_with(']') {
                    break;
                }
            }
            let joined = bracketed.join(".");
            if joined.contains('=') {
                parts.push(joined);
            } else {
                parts.push(joined.trim_matches(|c| c == '[' || c == ']').to_owned());
            }
        } else {
            parts.push(elem.clone());
        }
        i += 1;
    }
    parts
}

fn is_list_index(part: &str) -> bool {
    part.starts_with('[') && part.ends_with(']')
}

/// `[field=value]` of a path element; an empty field matches the items themselves.
fn split_index(part: &str) -> Result<(&str, &str), String> {
    let inner = part.strip_prefix('[').unwrap_or(part);
    let inner = inner.strip_suffix(']').unwrap_or(inner);
    inner
        .split_once('=')
        .ok_or_else(|| format!("`{part}` must be [field=value]"))
}

/// Why a `[field=value]` pattern does not compile: the syntax error as the parser prints
/// it (caret under the place), else the size limit it passed, else the builder's reason.
fn regex_error(err: &BuildError) -> String {
    if let Some(limit) = err.size_limit() {
        format!("Compiled regex exceeds size limit of {limit} bytes.")
    } else if let Some(syntax) = err.syntax_error() {
        syntax.to_string()
    } else {
        err.to_string()
    }
}

/// A list index as Go's `strconv.Atoi` reads one.
fn index_number(part: &str) -> Option<i64> {
    let digits = part.strip_prefix(['+', '-']).unwrap_or(part);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    part.parse().ok()
}

/// The source field at a path (exact `[field=value]` matches, numeric indices, `-`
/// for the last item); `None` when a step finds nothing.
pub(super) fn lookup<'n>(object: &'n Node, path: &[String]) -> Result<Option<&'n Node>, String> {
    let mut node = object;
    for part in path.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let next = if let Some(index) = index_number(part) {
            let index = usize::try_from(index)
                .map_err(|_| format!("array index {index} cannot be negative"))?;
            node.as_seq().and_then(|items| items.get(index))
        } else if part == "-" {
            node.as_seq().and_then(|items| items.last())
        } else if part == "*" {
            return Err("a wildcard is not supported in a source fieldPath".to_owned());
        } else if is_list_index(part) {
            let (field, value) = split_index(part)?;
            node.as_seq().and_then(|items| {
                items.iter().find(|item| {
                    let compared = if field.is_empty() {
                        Some(*item)
                    } else {
                        item.get(field)
                    };
                    compared
                        .and_then(Node::as_scalar)
                        .is_some_and(|s| s.text == value)
                })
            })
        } else {
            node.get(part)
        };
        match next {
            Some(n) => node = n,
            None => return Ok(None),
        }
    }
    Ok(Some(node))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Seq,
    Map,
}

fn kind_of(node: &Node) -> Kind {
    match node.value {
        Value::Scalar(_) => Kind::Scalar,
        Value::Seq(_) => Kind::Seq,
        Value::Map(_) => Kind::Map,
    }
}

/// The kind of node a created path element holds, from the element after it.
fn part_kind(next: Option<&String>, last: Kind) -> Kind {
    match next {
        None => last,
        Some(p) if is_list_index(p) || index_number(p).is_some_and(|i| i >= 0) => Kind::Seq,
        Some(p) if p.is_empty() => last,
        Some(_) => Kind::Map,
    }
}

fn empty(kind: Kind, at: Origin) -> Node {
    let value = match kind {
        Kind::Scalar => Value::Scalar(Scalar::plain("")),
        Kind::Seq => Value::Seq(Vec::new()),
        Kind::Map => Value::Map(Vec::new()),
    };
    Node::new(value, at)
}

/// The target fields at a path, as Kustomize's path matcher finds them: `[field=value]`
/// matches the value as an unanchored regular expression, `*` every item, a number one
/// item; with `create`, missing fields and items are added (pointing at `at`).
fn match_path<'n>(
    node: &'n mut Node,
    path: &[String],
    create: Option<Kind>,
    at: Origin,
    out: &mut Vec<&'n mut Node>,
) -> Result<(), String> {
    let Some(part) = path.first() else {
        out.push(node);
        return Ok(());
    };
    let rest = &path[1..];
    let next_kind = || part_kind(rest.first(), create.unwrap_or(Kind::Scalar));
    if let Some(index) = index_number(part).filter(|i| *i >= 0) {
        let Value::Seq(items) = &mut node.value else {
            return Err(format!("`{part}` indexes a field that is not a list"));
        };
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        if index == items.len() && create.is_some() {
            items.push(empty(next_kind(), at));
        }
        let count = items.len();
        let item = items
            .get_mut(index)
            .ok_or_else(|| format!("index {index} specified but only {count} elements found"))?;
        return match_path(item, rest, create, at, out);
    }
    if is_list_index(part) {
        let (field, pattern) = split_index(part)?;
        let regex = Regex::new(pattern).map_err(|e| regex_error(&e))?;
        let Value::Seq(items) = &mut node.value else {
            return Err(format!("`{part}` selects in a field that is not a list"));
        };
        let matches = |item: &Node| {
            let compared = if field.is_empty() {
                Some(item)
            } else {
                item.get(field)
            };
            compared
                .and_then(Node::as_scalar)
                .is_some_and(|s| regex.is_match(s.text.trim()))
        };
        if create.is_some() && !items.iter().any(matches) {
            let value = Node::new(Value::Scalar(Scalar::plain(pattern)), at);
            items.push(if field.is_empty() {
                value
            } else {
                Node::new(
                    Value::Map(vec![Entry {
                        key: field.into(),
                        key_at: at,
                        value,
                    }]),
                    at,
                )
            });
        }
        for item in items.iter_mut().filter(|item| matches(item)) {
            match_path(item, rest, create, at, out)?;
        }
        return Ok(());
    }
    if part == "*" {
        let Value::Seq(items) = &mut node.value else {
            return Err("`*` matches the items of a field that is not a list".to_owned());
        };
        for item in items {
            match_path(item, rest, create, at, out)?;
        }
        return Ok(());
    }
    if create.is_some() && node.is_null() {
        *node = empty(Kind::Map, at);
    }
    let Value::Map(entries) = &mut node.value else {
        return Ok(());
    };
    let index = match entries.iter().position(|e| e.key == part.as_str()) {
        Some(index) => index,
        None if create.is_some() => {
            entries.push(Entry {
                key: part.as_str().into(),
                key_at: at,
                value: empty(next_kind(), at),
            });
            entries.len() - 1
        }
        None => return Ok(()),
    };
    match_path(&mut entries[index].value, rest, create, at, out)
}

/// Writes the source value into a target field. A scalar target keeps its style, so
/// a string stays a string and a number a number, as Kustomize keeps a scalar's tag.
fn set_value(
    target: &mut Node,
    value: &Node,
    options: &Options,
) -> Result<(), ReplacementErrorKind> {
    let mut value = value.clone();
    if !options.delimiter.is_empty() {
        let Some(current) = target.as_scalar() else {
            return Err(ReplacementErrorKind::DelimiterOnCollection);
        };
        let mut parts: Vec<String> = current
            .text
            .split(options.delimiter.as_str())
            .map(str::to_owned)
            .collect();
        let v = value
            .as_scalar()
            .map(|s| s.text.to_string())
            .unwrap_or_default();
        match usize::try_from(options.index) {
            Err(_) => parts.insert(0, v),
            Ok(i) if i >= parts.len() => parts.push(v),
            Ok(i) => parts[i] = v,
        }
        if let Value::Scalar(s) = &mut value.value {
            s.text = parts.join(&options.delimiter).into();
        }
    }
    match &mut target.value {
        Value::Scalar(current) => {
            let text = value
                .as_scalar()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            let was_string = target_is_string(current);
            current.text = text;
            if was_string && !target_is_string(current) {
                current.style = Style::DoubleQuoted;
            }
            target.at = value.at;
        }
        _ => *target = value,
    }
    Ok(())
}

fn target_is_string(s: &Scalar) -> bool {
    matches!(s.typed(), Typed::Str(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::kustomize::testing::{
        assert_renders_as_expected, at, fixture, parse, parse_all, read_text,
    };

    const K: FileId = FileId(1);
    const R: FileId = FileId(2);

    /// A kustomization's resources (files) with its replacements applied; replacement
    /// files get ids from 10 on.
    fn render(case: &str) -> Vec<Node> {
        let dir = fixture(case);
        let kustomization = parse(&read_text(&dir.join("kustomization.yaml")), K);
        let mut objects = Vec::new();
        let resources = kustomization.get("resources").expect("resources");
        for (path, _) in fields::strings(resources, "resources").expect("resources") {
            objects.extend(parse_all(&read_text(&dir.join(path)), R));
        }
        let mut next = 10;
        let mut read = |path: &str, _: Origin| {
            next += 1;
            Ok(parse(&read_text(&dir.join(path)), FileId(next)))
        };
        apply(&mut objects, &[], &kustomization, &mut read).expect("applies");
        objects
    }

    #[test]
    fn inline_replacements_write_what_kubectl_writes() {
        assert_renders_as_expected("replacements-inline", &render("replacements-inline"));
    }

    #[test]
    fn replacements_from_files_write_what_kubectl_writes() {
        assert_renders_as_expected("replacements-path", &render("replacements-path"));
    }

    fn apply_inline(resources: &str, kustomization: &str) -> Result<Vec<Node>, ReplacementError> {
        let mut objects = parse_all(resources, R);
        let kustomization = parse(kustomization, K);
        let mut read = |path: &str, at: Origin| {
            Err(error(
                at,
                ReplacementErrorKind::Unreadable {
                    path: path.to_owned(),
                    reason: "not found".to_owned(),
                },
            ))
        };
        apply(&mut objects, &[], &kustomization, &mut read)?;
        Ok(objects)
    }

    const RESOURCES: &str = "\
kind: ConfigMap
metadata: {name: ids}
data: {sa: builder, list: 'a,b'}
---
kind: Pod
metadata: {name: p}
spec:
  serviceAccountName: default
  containers: [{name: c}]
";

    #[test]
    fn a_replaced_value_points_at_its_source_and_a_created_field_at_its_path() {
        let objects = apply_inline(
            RESOURCES,
            "replacements:\n- source: {kind: ConfigMap, fieldPath: data.sa}\n  targets:\n  \
             - select: {kind: Pod}\n    fieldPaths:\n    - spec.serviceAccountName\n    \
             - spec.containers.[name=c].env.[name=SA].value\n    options: {create: true}\n",
        )
        .expect("applies");
        let spec = objects[1].get("spec").expect("spec");
        let sa = spec
            .entry("serviceAccountName")
            .expect("serviceAccountName");
        assert_eq!(sa.value.as_str(), Some("builder"));
        assert_eq!(at(sa.key_at), (R, 8, 3));
        assert_eq!(at(sa.value.at), (R, 3, 12));
        let container = &spec
            .get("containers")
            .and_then(Node::as_seq)
            .expect("containers")[0];
        let env = container.entry("env").expect("env");
        assert_eq!(at(env.key_at), (K, 7, 7));
        let item = &env.value.as_seq().expect("items")[0];
        assert_eq!(item.get("name").and_then(Node::as_str), Some("SA"));
        let value = item.entry("value").expect("value");
        assert_eq!(
            (value.value.as_str(), at(value.key_at)),
            (Some("builder"), (K, 7, 7))
        );
        assert_eq!(at(value.value.at), (R, 3, 12));
    }

    #[test]
    fn a_selector_matches_an_earlier_id_of_an_object() {
        let mut objects = parse_all(RESOURCES, R);
        let earlier = ResId {
            kind: "ConfigMap".to_owned(),
            name: "identities".to_owned(),
            ..ResId::default()
        };
        let kustomization = parse(
            "replacements:\n- source: {name: identities, fieldPath: data.sa}\n  \
             targets: [{select: {kind: Pod}, fieldPaths: [spec.serviceAccountName]}]\n",
            K,
        );
        let mut read = |_: &str, _: Origin| unreachable!("no files");
        apply(&mut objects, &[vec![earlier]], &kustomization, &mut read).expect("applies");
        let sa = objects[1]
            .get_path(&["spec", "serviceAccountName"])
            .and_then(Node::as_str);
        assert_eq!(sa, Some("builder"));
    }

    #[test]
    fn bad_replacements_are_errors_at_the_entry_at_fault() {
        let cases: &[(&str, (FileId, u32, u32), &str)] = &[
            (
                "replacements:\n- targets: []\n",
                (K, 2, 3),
                "a replacement needs a source and at least one target",
            ),
            (
                "replacements:\n- source: {kind: Secret}\n  targets: []\n",
                (K, 2, 11),
                "no object matches the replacement source (kind Secret)",
            ),
            (
                "replacements:\n- source: {}\n  targets: []\n",
                (K, 2, 11),
                "several objects match the replacement source selecting everything",
            ),
            (
                "replacements:\n- source: {kind: Pod, fieldPath: spec.nodeName}\n  targets: []\n",
                (K, 2, 11),
                "fieldPath `spec.nodeName` is missing in the replacement source (kind Pod)",
            ),
            (
                "replacements:\n- source: {kind: ConfigMap, fieldPath: data.list, options: {delimiter: ',', index: 2}}\n  targets: []\n",
                (K, 2, 11),
                "options.index 2 is out of bounds for the value `a,b`",
            ),
            (
                "replacements:\n- source: {kind: Pod}\n  targets:\n  - select: {kind: Pod}\n    fieldPaths: [spec.nodeName]\n",
                (K, 5, 18),
                "unable to find field `spec.nodeName` in a replacement target",
            ),
            (
                "replacements:\n- source: {kind: Pod}\n  targets:\n  - select: {kind: Pod}\n    fieldPaths: ['spec.containers.[name=(].image']\n",
                (K, 5, 18),
                "fieldPath `spec.containers.[name=(].image`: regex parse error:\n    (\n    ^\nerror: unclosed group",
            ),
            (
                "replacements:\n- source: {kind: Pod}\n  targets:\n  - fieldPaths: [metadata.name]\n",
                (K, 4, 5),
                "a target needs `select`",
            ),
            (
                "replacements:\n- source: {kind: Pod}\n  targets:\n  - select: {kind: Pod, labelSelector: 'a b c'}\n",
                (K, 4, 40),
                "`a b c` is not a requirement of a label selector",
            ),
            (
                "replacements:\n- source: {kind: Pod, feildPath: x}\n  targets: []\n",
                (K, 2, 23),
                "unknown field `feildPath` in a replacement",
            ),
            (
                "replacements:\n- path: r.yaml\n  targets: []\n",
                (K, 2, 3),
                "a replacement has either `path` or an inline source and targets, not both",
            ),
            (
                "replacements:\n- path: r.yaml\n",
                (K, 2, 9),
                "`r.yaml` cannot be read: not found",
            ),
            (
                "replacements:\n- source: {kind: Pod, options: {index: x}}\n  targets: []\n",
                (K, 2, 40),
                "`index` must be an integer",
            ),
        ];
        let deep = format!(
            "replacements:\n- source: {{kind: Pod}}\n  targets:\n  - select: {{kind: Pod}}\n    \
             fieldPaths: [{}]\n    options: {{create: true}}\n",
            vec!["a"; 257].join(".")
        );
        let err = apply_inline(RESOURCES, &deep).expect_err("too deep");
        assert_eq!(at(err.at), (K, 5, 18));
        assert!(
            err.to_string()
                .ends_with(": more than 256 elements, deeper than a manifest can nest")
        );
        for (kustomization, (file, line, col), message) in cases {
            let err = apply_inline(RESOURCES, kustomization).expect_err(message);
            assert_eq!(
                (at(err.at), err.to_string()),
                ((*file, *line, *col), (*message).to_owned()),
                "{kustomization}"
            );
        }
    }

    #[test]
    fn field_paths_split_as_kustomize_splits_them() {
        let cases: &[(&str, &[&str])] = &[
            ("spec.template.spec", &["spec", "template", "spec"]),
            (
                r"metadata.annotations.a\.b/c",
                &["metadata", "annotations", "a.b/c"],
            ),
            (
                "spec.containers.[name=a.b].image",
                &["spec", "containers", "[name=a.b]", "image"],
            ),
            ("spec.[x.y]", &["spec", "x.y"]),
            (".spec", &["spec"]),
        ];
        for (path, parts) in cases {
            assert_eq!(split_path(path), *parts, "{path}");
        }
    }
}
