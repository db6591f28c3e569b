//! `configMapGenerator` and `secretGenerator` as Kustomize v5 runs them: the objects a
//! kustomization generates, how a generated object is absorbed into the objects so far
//! (`behavior: create|replace|merge`), and the hash its name gets at the end of the
//! root.
//!
//! The driver calls, per kustomization, after its resources are accumulated:
//! 1. [`generate`] for the kustomization's node, with a reader of its inputs (a path
//!    relative to the kustomization's directory; the driver applies the load
//!    restrictor and registers the file). ConfigMaps come first, then Secrets, each in
//!    the order written.
//! 2. [`Generated::absorb`] for each, in that order, with the objects so far whose
//!    current or original id (group, version, kind, name, namespace; no namespace and
//!    `default` being equal) equals the generated object's: its result replaces the one
//!    match, or is appended when there is none.
//! 3. At the end of the root, after every transformer, [`name_hash`] for each object
//!    still marked hashed: its name becomes `NAME-HASH`, and references follow.
//!
//! Origins: the generated object points at its generator entry; its name at the
//! `name:` line, its `type` at the `type:` line, each data key at the literal, file or
//! env-file entry that produced it, each label and annotation at the option that set it.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::kustomize::fields::{self, FieldError};
use crate::kustomize::node::{Entry, Node, Scalar, Value};
use crate::origin::Origin;
use crate::yaml::scalar::{self, Value as Typed};

/// What a generated object does to an object of the same id generated or read before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behavior {
    /// `create`, or no or an unknown `behavior` (Kustomize treats both alike): the id
    /// must be new.
    Create,
    /// `replace`: takes the place of the existing object, keeping its name, namespace,
    /// labels and annotations.
    Replace,
    /// `merge`: as `replace`, with the existing data kept under the new.
    Merge,
}

impl Behavior {
    fn as_str(self) -> &'static str {
        match self {
            Behavior::Create => "create",
            Behavior::Replace => "replace",
            Behavior::Merge => "merge",
        }
    }
}

/// One object of a generator.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub node: Node,
    pub behavior: Behavior,
    /// Whether the name gets the content hash at the end of the root (no
    /// `disableNameSuffixHash`).
    pub hashed: bool,
    /// The generator entry, or its `behavior:` value when it has one.
    pub at: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct GenError {
    /// The kustomization's entry at fault (a generator, one of its literals or files).
    pub at: Origin,
    pub kind: GenErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GenErrorKind {
    #[error(transparent)]
    Field(FieldError),
    #[error("unknown field `{0}` in a generator")]
    UnknownField(String),
    #[error("a generator needs a name")]
    MissingName,
    #[error("invalid literal source `{0}`, expected key=value")]
    BadLiteral(String),
    #[error("invalid file source `{0}`: {1}")]
    BadFileSource(String, &'static str),
    #[error("`{path}` cannot be read: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("line {line} of `{path}` is not valid UTF-8")]
    EnvNotUtf8 { path: String, line: usize },
    #[error(
        "line {line} of `{path}` is 64 KiB or longer; Kustomize silently drops it and every later line"
    )]
    EnvLineTooLong { path: String, line: usize },
    #[error("{kind} {name} repeats the key `{key}`")]
    RepeatedKey {
        kind: &'static str,
        name: String,
        key: String,
    },
    #[error("{kind} {name} does not exist, so behavior {behavior} has nothing to act on")]
    NothingToAbsorb {
        kind: &'static str,
        name: String,
        behavior: &'static str,
    },
    #[error("{kind} {name} already exists; its generator needs behavior merge or replace")]
    AlreadyExists { kind: &'static str, name: String },
    #[error("{count} objects could take the {behavior} of {kind} {name}")]
    SeveralMatches {
        kind: &'static str,
        name: String,
        behavior: &'static str,
        count: usize,
    },
}

impl From<FieldError> for GenError {
    fn from(e: FieldError) -> GenError {
        GenError {
            at: e.at,
            kind: GenErrorKind::Field(e),
        }
    }
}

fn error(at: Origin, kind: GenErrorKind) -> GenError {
    GenError { at, kind }
}

/// Reads a generator input: a path as written (relative to the kustomization's
/// directory) and the entry that names it, for the error.
pub type ReadInput<'a> = dyn FnMut(&str, Origin) -> Result<Vec<u8>, GenError> + 'a;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ConfigMap,
    Secret,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }
}

const GENERATOR_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "behavior",
    "literals",
    "files",
    "envs",
    "env",
    "options",
];
const SECRET_GENERATOR_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "behavior",
    "literals",
    "files",
    "envs",
    "env",
    "options",
    "type",
];
const OPTION_FIELDS: &[&str] = &[
    "labels",
    "annotations",
    "disableNameSuffixHash",
    "immutable",
];

/// The objects of a kustomization's `configMapGenerator` then `secretGenerator`.
pub fn generate(
    kustomization: &Node,
    read: &mut ReadInput<'_>,
) -> Result<Vec<Generated>, GenError> {
    let global = match fields::get(kustomization, "generatorOptions") {
        Some(node) => Options::read(node, "generatorOptions")?,
        None => Options::default(),
    };
    let mut out = Vec::new();
    for (field, kind) in [
        ("configMapGenerator", Kind::ConfigMap),
        ("secretGenerator", Kind::Secret),
    ] {
        let Some(list) = fields::get(kustomization, field) else {
            continue;
        };
        if list.is_null() {
            continue;
        }
        let items = list.as_seq().ok_or_else(|| FieldError {
            at: list.at,
            field: field.to_owned(),
            expected: "a list of generators",
        })?;
        for item in items {
            out.push(generate_one(item, field, kind, &global, read)?);
        }
    }
    Ok(out)
}

/// `generatorOptions` or a generator's `options`: each value with the entry that set it.
#[derive(Default)]
struct Options<'a> {
    labels: Vec<(&'a Entry, &'a str)>,
    annotations: Vec<(&'a Entry, &'a str)>,
    disable_hash: bool,
    /// The `immutable: true` entry.
    immutable: Option<&'a Entry>,
}

impl<'a> Options<'a> {
    fn read(node: &'a Node, field: &str) -> Result<Options<'a>, GenError> {
        let Some(map) = fields::mapping(node, field)? else {
            return Ok(Options::default());
        };
        if let Some(e) = fields::unknown_key(map, OPTION_FIELDS) {
            return Err(error(
                e.key_at,
                GenErrorKind::UnknownField(e.key.to_string()),
            ));
        }
        let mut options = Options::default();
        for entry in map {
            match entry.key.to_ascii_lowercase().as_str() {
                "labels" => options.labels = fields::string_map(&entry.value, "labels")?,
                "annotations" => {
                    options.annotations = fields::string_map(&entry.value, "annotations")?
                }
                "disablenamesuffixhash" => {
                    options.disable_hash = fields::boolean(&entry.value, "disableNameSuffixHash")?
                }
                "immutable" if fields::boolean(&entry.value, "immutable")? => {
                    options.immutable = Some(entry);
                }
                _ => {}
            }
        }
        Ok(options)
    }

    /// Kustomize's merge of the kustomization-wide options into a generator's: a
    /// generator's label or annotation wins over the global one of the same key.
    fn with_global(mut self, global: &Options<'a>) -> Options<'a> {
        for (list, globals) in [
            (&mut self.labels, &global.labels),
            (&mut self.annotations, &global.annotations),
        ] {
            for &(entry, value) in globals {
                if !list.iter().any(|(e, _)| e.key == entry.key) {
                    list.push((entry, value));
                }
            }
        }
        self.disable_hash |= global.disable_hash;
        self.immutable = self.immutable.or(global.immutable);
        self
    }
}

/// A data key, its value and the entry that produced it.
struct Pair<'a> {
    key: String,
    value: Vec<u8>,
    at: &'a Node,
}

fn generate_one(
    item: &Node,
    field: &str,
    kind: Kind,
    global: &Options<'_>,
    read: &mut ReadInput<'_>,
) -> Result<Generated, GenError> {
    let map = item.as_map().ok_or_else(|| FieldError {
        at: item.at,
        field: field.to_owned(),
        expected: "a list of generators",
    })?;
    let known: &[&str] = match kind {
        Kind::ConfigMap => GENERATOR_FIELDS,
        Kind::Secret => SECRET_GENERATOR_FIELDS,
    };
    if let Some(e) = fields::unknown_key(map, known) {
        return Err(error(
            e.key_at,
            GenErrorKind::UnknownField(e.key.to_string()),
        ));
    }
    let (name, name_entry) = match fields::string_entry(item, "name")? {
        Some((name, entry)) if !name.is_empty() => (name, entry),
        _ => return Err(error(item.at, GenErrorKind::MissingName)),
    };
    let namespace = fields::string_entry(item, "namespace")?.filter(|(ns, _)| !ns.is_empty());
    let (behavior, at) = match fields::string_entry(item, "behavior")? {
        Some((text, entry)) => (
            match text {
                "replace" => Behavior::Replace,
                "merge" => Behavior::Merge,
                _ => Behavior::Create,
            },
            entry.value.at,
        ),
        None => (Behavior::Create, item.at),
    };
    let options = match fields::get(item, "options") {
        Some(node) => Options::read(node, "options")?,
        None => Options::default(),
    }
    .with_global(global);

    let pairs = read_pairs(item, read)?;
    let mut data: Vec<&Pair<'_>> = Vec::with_capacity(pairs.len());
    for pair in &pairs {
        if data.iter().any(|p| p.key == pair.key) {
            return Err(error(
                pair.at.at,
                GenErrorKind::RepeatedKey {
                    kind: kind.as_str(),
                    name: name.to_owned(),
                    key: pair.key.clone(),
                },
            ));
        }
        data.push(pair);
    }
    data.sort_by(|a, b| a.key.cmp(&b.key));

    let here = item.at;
    let mut metadata = vec![Entry {
        key: "name".into(),
        key_at: name_entry.key_at,
        value: string(name, name_entry.value.at),
    }];
    if let Some((ns, entry)) = namespace {
        metadata.push(Entry {
            key: "namespace".into(),
            key_at: entry.key_at,
            value: string(ns, entry.value.at),
        });
    }
    for (key, list) in [
        ("labels", &options.labels),
        ("annotations", &options.annotations),
    ] {
        if let Some(first) = list.first() {
            metadata.push(Entry {
                key: key.into(),
                key_at: first.0.key_at,
                value: Node::new(Value::Map(sorted_string_map(list)), first.0.key_at),
            });
        }
    }
    let mut object = vec![
        Entry {
            key: "apiVersion".into(),
            key_at: here,
            value: string("v1", here),
        },
        Entry {
            key: "kind".into(),
            key_at: here,
            value: string(kind.as_str(), here),
        },
        Entry {
            key: "metadata".into(),
            key_at: here,
            value: Node::new(Value::Map(metadata), here),
        },
    ];
    match kind {
        Kind::ConfigMap => {
            // A value that is not UTF-8 goes to binaryData; each field is created by
            // the first key (in sorted order) that needs it.
            for pair in data {
                let (field, text) = match std::str::from_utf8(&pair.value) {
                    Ok(text) => ("data", text.to_owned()),
                    Err(_) => ("binaryData", base64_lines(&pair.value)),
                };
                let target = match object.iter_mut().find(|e| e.key == field) {
                    Some(entry) => entry,
                    None => {
                        object.push(Entry {
                            key: field.into(),
                            key_at: here,
                            value: Node::new(Value::Map(Vec::new()), here),
                        });
                        object.last_mut().expect("just pushed")
                    }
                };
                if let Some(map) = target.value.as_map_mut() {
                    map.push(data_entry(pair, text));
                }
            }
        }
        Kind::Secret => {
            let (type_text, key_at, value_at) = match fields::string_entry(item, "type")? {
                Some((text, entry)) if !text.is_empty() => (text, entry.key_at, entry.value.at),
                _ => ("Opaque", here, here),
            };
            object.push(Entry {
                key: "type".into(),
                key_at,
                value: string(type_text, value_at),
            });
            let entries = data
                .into_iter()
                .map(|pair| data_entry(pair, base64_lines(&pair.value)))
                .collect();
            object.push(Entry {
                key: "data".into(),
                key_at: here,
                value: Node::new(Value::Map(entries), here),
            });
        }
    }
    if let Some(entry) = options.immutable {
        object.push(Entry {
            key: "immutable".into(),
            key_at: entry.key_at,
            value: Node::new(Value::Scalar(Scalar::plain("true")), entry.value.at),
        });
    }
    Ok(Generated {
        node: Node::new(Value::Map(object), here),
        behavior,
        hashed: !options.disable_hash,
        at,
    })
}

fn string(text: &str, at: Origin) -> Node {
    Node::new(Value::Scalar(Scalar::string(text)), at)
}

fn data_entry(pair: &Pair<'_>, text: String) -> Entry {
    Entry {
        key: pair.key.as_str().into(),
        key_at: pair.at.at,
        value: string(&text, pair.at.at),
    }
}

fn sorted_string_map(list: &[(&Entry, &str)]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = list
        .iter()
        .map(|(entry, value)| Entry {
            key: entry.key.clone(),
            key_at: entry.key_at,
            value: string(value, entry.value.at),
        })
        .collect();
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    entries
}

/// The key-value pairs of a generator in Kustomize's order: env files (`envs`, then
/// `env`), literals, files.
fn read_pairs<'a>(item: &'a Node, read: &mut ReadInput<'_>) -> Result<Vec<Pair<'a>>, GenError> {
    let mut pairs = Vec::new();
    let mut env_files = match fields::get(item, "envs") {
        Some(node) => fields::strings(node, "envs")?,
        None => Vec::new(),
    };
    if let Some(node) = fields::get(item, "env")
        && let Some(path) = fields::string(node, "env")?
        && !path.is_empty()
    {
        env_files.push((path, node));
    }
    for (path, node) in env_files {
        let content = read(path, node.at)?;
        for (key, value) in env_pairs(&content, path).map_err(|kind| error(node.at, kind))? {
            pairs.push(Pair {
                key,
                value: value.into_bytes(),
                at: node,
            });
        }
    }
    if let Some(node) = fields::get(item, "literals") {
        for (source, node) in fields::strings(node, "literals")? {
            let (key, value) = literal(source)
                .ok_or_else(|| error(node.at, GenErrorKind::BadLiteral(source.to_owned())))?;
            pairs.push(Pair {
                key: key.to_owned(),
                value: value.as_bytes().to_vec(),
                at: node,
            });
        }
    }
    if let Some(node) = fields::get(item, "files") {
        for (source, node) in fields::strings(node, "files")? {
            let (key, path) = file_source(source).map_err(|reason| {
                error(
                    node.at,
                    GenErrorKind::BadFileSource(source.to_owned(), reason),
                )
            })?;
            let value = read(path, node.at)?;
            pairs.push(Pair {
                key: key.to_owned(),
                value,
                at: node,
            });
        }
    }
    Ok(pairs)
}

/// `KEY=VALUE` of a literal; a value quoted at both ends with the same quote loses the
/// quotes.
fn literal(source: &str) -> Option<(&str, &str)> {
    let (key, value) = source.split_once('=')?;
    if key.is_empty() {
        return None;
    }
    let bytes = value.as_bytes();
    let quoted =
        bytes.len() >= 2 && bytes[0] == bytes[bytes.len() - 1] && matches!(bytes[0], b'"' | b'\'');
    Some((
        key,
        if quoted {
            &value[1..value.len() - 1]
        } else {
            value
        },
    ))
}

/// `[KEY=]PATH` of a file source; without a key, the path's last element names it.
fn file_source(source: &str) -> Result<(&str, &str), &'static str> {
    match source.matches('=').count() {
        0 => Ok((path_base(source), source)),
        1 => match source.split_once('=') {
            Some(("", _)) => Err("missing key name"),
            Some((_, "")) => Err("missing file path"),
            Some((key, path)) => Ok((key, path)),
            None => Err("missing key name"),
        },
        _ => Err("the key name or file path contains '='"),
    }
}

/// The last element of a slash-separated path, as Go's `path.Base` gives it.
fn path_base(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return if path.is_empty() { "." } else { "/" };
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// The pairs of an env file as Kustomize reads one: a line at a time (a final `\r`
/// dropped), a byte-order mark dropped from the first, leading white space dropped,
/// empty and `#` lines skipped, `KEY=VALUE` split at the first `=` with nothing else
/// trimmed or unquoted, a bare `KEY` the empty string, and a line with an empty key
/// skipped.
fn env_pairs(content: &[u8], path: &str) -> Result<Vec<(String, String)>, GenErrorKind> {
    // Kustomize's line scanner stops, without an error, at a line of 64 KiB or more.
    const MAX_LINE: usize = 64 * 1024;
    let mut pairs = Vec::new();
    let mut lines = content.split(|&b| b == b'\n').peekable();
    let mut number = 0;
    while let Some(line) = lines.next() {
        number += 1;
        if line.is_empty() && lines.peek().is_none() {
            break;
        }
        if line.len() + 1 > MAX_LINE {
            return Err(GenErrorKind::EnvLineTooLong {
                path: path.to_owned(),
                line: number,
            });
        }
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Ok(mut text) = std::str::from_utf8(line) else {
            return Err(GenErrorKind::EnvNotUtf8 {
                path: path.to_owned(),
                line: number,
            });
        };
        if number == 1 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        let text = text.trim_start();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (key, value) = text.split_once('=').unwrap_or((text, ""));
        if !key.is_empty() {
            pairs.push((key.to_owned(), value.to_owned()));
        }
    }
    Ok(pairs)
}

/// Standard base64 with padding, broken as Kustomize breaks it: when the encoding is 70
/// characters or longer, every 70 characters and at the end are followed by a newline.
fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const LINE: usize = 70;
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                encoded.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                encoded.push('=');
            }
        }
    }
    if encoded.len() < LINE {
        return encoded;
    }
    let mut broken = String::with_capacity(encoded.len() + encoded.len() / LINE + 1);
    for line in encoded.as_bytes().chunks(LINE) {
        broken.push_str(std::str::from_utf8(line).unwrap_or_default());
        broken.push('\n');
    }
    broken
}

impl Generated {
    fn name(&self) -> String {
        self.node
            .get_path(&["metadata", "name"])
            .and_then(Node::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    fn kind(&self) -> &'static str {
        match self.node.get("kind").and_then(Node::as_str) {
            Some("Secret") => "Secret",
            _ => "ConfigMap",
        }
    }

    /// Adds this object to the objects so far as Kustomize does, given those whose
    /// current or original id equals its id, each with whether it is still hashed.
    /// Returns the object to append (no match) or to put in place of the one match,
    /// and whether its name gets the hash: for a replace or merge, only when both
    /// objects' names would.
    pub fn absorb(self, matches: &[(&Node, bool)]) -> Result<(Node, bool), GenError> {
        let err = |kind| Err(error(self.at, kind));
        match (matches, self.behavior) {
            ([], Behavior::Create) => Ok((self.node, self.hashed)),
            ([], behavior) => err(GenErrorKind::NothingToAbsorb {
                kind: self.kind(),
                name: self.name(),
                behavior: behavior.as_str(),
            }),
            ([_], Behavior::Create) => err(GenErrorKind::AlreadyExists {
                kind: self.kind(),
                name: self.name(),
            }),
            ([(old, old_hashed)], behavior) => {
                let hashed = self.hashed && *old_hashed;
                let mut node = self.node;
                copy_merge_metadata(&mut node, old);
                if behavior == Behavior::Merge {
                    for field in ["data", "binaryData"] {
                        merge_data(&mut node, old, field);
                    }
                }
                Ok((node, hashed))
            }
            (several, behavior) => err(GenErrorKind::SeveralMatches {
                kind: self.kind(),
                name: self.name(),
                behavior: behavior.as_str(),
                count: several.len(),
            }),
        }
    }
}

/// The new object keeps the old one's name and namespace, and the union of both
/// objects' labels and annotations, the new one's winning.
fn copy_merge_metadata(node: &mut Node, old: &Node) {
    let old_meta = old.get("metadata");
    let Some(meta) = node.get_mut("metadata") else {
        return;
    };
    for key in ["labels", "annotations"] {
        let merged = merged_map(old_meta.and_then(|m| m.entry(key)), meta.entry(key));
        meta.remove(key);
        if let (Some(entry), Some(map)) = (merged, meta.as_map_mut()) {
            map.push(entry);
        }
    }
    for key in ["name", "namespace"] {
        match old_meta.and_then(|m| m.entry(key)) {
            Some(entry) => {
                meta.set(key, entry.key_at, entry.value.clone());
            }
            None => {
                meta.remove(key);
            }
        }
    }
}

/// The union of two string maps (`new` winning), keys sorted as Kustomize writes
/// them; `None` when both are empty.
fn merged_map(old: Option<&Entry>, new: Option<&Entry>) -> Option<Entry> {
    let mut entries: Vec<Entry> = old
        .and_then(|e| e.value.as_map())
        .unwrap_or_default()
        .to_vec();
    for entry in new.and_then(|e| e.value.as_map()).unwrap_or_default() {
        match entries.iter_mut().find(|e| e.key == entry.key) {
            Some(existing) => *existing = entry.clone(),
            None => entries.push(entry.clone()),
        }
    }
    if entries.is_empty() {
        return None;
    }
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let first = new.or(old)?;
    Some(Entry {
        key: first.key.clone(),
        key_at: first.key_at,
        value: Node::new(Value::Map(entries), first.value.at),
    })
}

/// `data` (or `binaryData`) of `node` becomes the old object's under its own, sorted,
/// and moves to the end as Kustomize rewrites it.
fn merge_data(node: &mut Node, old: &Node, field: &str) {
    let new = node.remove(field);
    if let (Some(entry), Some(map)) = (
        merged_map(old.entry(field), new.as_ref()),
        node.as_map_mut(),
    ) {
        map.push(entry);
    }
}

/// The suffix Kustomize appends to a generated ConfigMap's or Secret's name at the end
/// of its root: the first ten hex digits of the SHA-256 of a JSON encoding of the
/// object's kind and data (and type for a Secret), with `0 1 3 a e` mapped to
/// `g h k m t` so that it never reads as a number or a word. `None` for other kinds.
///
/// The encoding has a `name` too, but Kustomize looks it up as one field literally
/// named `metadata/name`, which no object has: it is always empty, so the hash does
/// not change with the name (or a prefix).
pub fn name_hash(object: &Node) -> Option<String> {
    let kind = object.get("kind").and_then(Node::as_str)?;
    // The keys of the encoded object, in the sorted order Go writes a map's keys.
    let mut json = String::from("{");
    let field = |key: &str, value: Option<&Node>, json: &mut String| {
        if json.len() > 1 {
            json.push(',');
        }
        go_json_string(key, json);
        json.push(':');
        // Kustomize takes a top-level scalar's text as a string, a missing field as "".
        match value {
            Some(node) => match node.as_scalar() {
                Some(s) => go_json_string(&s.text, json),
                None => go_json_value(node, json),
            },
            None => json.push_str("\"\""),
        }
    };
    match kind {
        "ConfigMap" => {
            if let Some(binary) = object.get("binaryData").filter(|n| n.as_map().is_some()) {
                field("binaryData", Some(binary), &mut json);
            }
            field("data", object.get("data"), &mut json);
            field("kind", object.get("kind"), &mut json);
            field("name", None, &mut json);
        }
        "Secret" => {
            field("data", object.get("data"), &mut json);
            field("kind", object.get("kind"), &mut json);
            field("name", None, &mut json);
            if let Some(string_data) = object.get("stringData").filter(|n| n.as_map().is_some()) {
                field("stringData", Some(string_data), &mut json);
            }
            field("type", object.get("type"), &mut json);
        }
        _ => return None,
    }
    json.push('}');
    let digest = Sha256::digest(json.as_bytes());
    let mut hash = String::with_capacity(10);
    for byte in &digest[..5] {
        let _ = write!(hash, "{byte:02x}");
    }
    Some(
        hash.chars()
            .map(|c| match c {
                '0' => 'g',
                '1' => 'h',
                '3' => 'k',
                'a' => 'm',
                'e' => 't',
                c => c,
            })
            .collect(),
    )
}

/// A value as Go's `encoding/json` writes the generic value Kustomize decodes it into:
/// mappings with sorted keys, and scalars by their type (a null, a boolean or a number
/// unquoted, an empty value a null).
fn go_json_value(node: &Node, out: &mut String) {
    match &node.value {
        Value::Map(entries) => {
            let mut sorted: Vec<&Entry> = entries.iter().collect();
            sorted.sort_by(|a, b| a.key.cmp(&b.key));
            out.push('{');
            for (i, entry) in sorted.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_string(&entry.key, out);
                out.push(':');
                go_json_value(&entry.value, out);
            }
            out.push('}');
        }
        Value::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json_value(item, out);
            }
            out.push(']');
        }
        Value::Scalar(s) => go_json_scalar(s, out),
    }
}

fn go_json_scalar(s: &Scalar, out: &mut String) {
    let typed = s.typed();
    match typed {
        Typed::Null => out.push_str("null"),
        // Kustomize's YAML 1.2 reads `yes` or `on` as strings.
        Typed::Bool(b) if scalar::is_canonical_bool(&s.text) => {
            out.push_str(if b { "true" } else { "false" })
        }
        Typed::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Typed::Float(f) if f.is_finite() => go_json_float(f, out),
        _ => go_json_string(&s.text, out),
    }
}

/// A float as Go's `encoding/json` writes one: the shortest decimal, in exponent form
/// (with a two-digit exponent) below 1e-6 or from 1e21 on.
fn go_json_float(f: f64, out: &mut String) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{f:e}");
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(digits) => ('-', digits),
            None => ('+', exp),
        };
        let _ = write!(out, "{mantissa}e{sign}{digits:0>2}");
    } else {
        let _ = write!(out, "{f}");
    }
}

/// A JSON string as Go's `encoding/json` writes it: HTML-sensitive `< > &` and the
/// line and paragraph separators escaped as `\u00XX`, `\b` and `\f` short.
fn go_json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' | '\0'..='\u{1f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::files::FileId;
    use crate::kustomize::testing::{
        assert_renders_as_expected, at, fixture, parse, parse_all, read_text,
    };

    const K: FileId = FileId(1);

    fn id(node: &Node) -> [Option<&str>; 3] {
        [
            node.get("kind").and_then(Node::as_str),
            node.get_path(&["metadata", "name"]).and_then(Node::as_str),
            node.get_path(&["metadata", "namespace"])
                .and_then(Node::as_str),
        ]
    }

    /// What the driver does with generators, for one kustomization and its directory
    /// bases: resources, then generators absorbed in order.
    fn accumulate(dir: &Path, next_file: &mut u32) -> Vec<(Node, bool)> {
        *next_file += 1;
        let text = read_text(&dir.join("kustomization.yaml"));
        let kustomization = parse(&text, FileId(*next_file));
        let mut objects: Vec<(Node, bool)> = Vec::new();
        let resources = kustomization.get("resources");
        for (path, _) in resources
            .map_or(Ok(Vec::new()), |r| fields::strings(r, "resources"))
            .expect("resources")
        {
            let path = dir.join(path);
            if path.is_dir() {
                objects.extend(accumulate(&path, next_file));
            } else {
                *next_file += 1;
                let docs = parse_all(&read_text(&path), FileId(*next_file));
                objects.extend(docs.into_iter().map(|node| (node, false)));
            }
        }
        let mut read = |path: &str, at: Origin| {
            std::fs::read(dir.join(path)).map_err(|e| GenError {
                at,
                kind: GenErrorKind::Unreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                },
            })
        };
        for generated in generate(&kustomization, &mut read).expect("generates") {
            let index = objects
                .iter()
                .position(|(o, _)| id(o) == id(&generated.node));
            let matches: Vec<(&Node, bool)> = index
                .iter()
                .map(|&i| (&objects[i].0, objects[i].1))
                .collect();
            let absorbed = generated.absorb(&matches).expect("absorbs");
            match index {
                Some(i) => objects[i] = absorbed,
                None => objects.push(absorbed),
            }
        }
        objects
    }

    /// The end of the root: hashed names get their suffix.
    fn render(case: &str) -> Vec<Node> {
        let mut next_file = 0;
        accumulate(&fixture(case), &mut next_file)
            .into_iter()
            .map(|(mut node, hashed)| {
                if hashed {
                    let hash = name_hash(&node).expect("a ConfigMap or Secret");
                    let name = node.get_path(&["metadata", "name"]).and_then(Node::as_str);
                    let renamed = format!("{}-{hash}", name.unwrap_or_default());
                    let meta = node.get_mut("metadata").expect("metadata");
                    let name_node = meta.get_mut("name").expect("name");
                    name_node.value = Value::Scalar(Scalar::string(renamed));
                }
                node
            })
            .collect()
    }

    #[test]
    fn generates_what_kubectl_generates_from_every_kind_of_source() {
        assert_renders_as_expected("gen-sources", &render("gen-sources"));
    }

    #[test]
    fn merges_and_replaces_base_objects_as_kubectl_does() {
        assert_renders_as_expected("gen-behavior", &render("gen-behavior"));
    }

    fn generate_inline(text: &str, files: &[(&str, &[u8])]) -> Result<Vec<Generated>, GenError> {
        let kustomization = parse(text, K);
        let mut read = |path: &str, at: Origin| {
            files
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, bytes)| bytes.to_vec())
                .ok_or_else(|| GenError {
                    at,
                    kind: GenErrorKind::Unreadable {
                        path: path.to_owned(),
                        reason: "not found".to_owned(),
                    },
                })
        };
        generate(&kustomization, &mut read)
    }

    fn generate_error(text: &str, files: &[(&str, &[u8])]) -> ((u32, u32), String) {
        let err = generate_inline(text, files).expect_err("an error");
        let (file, line, col) = at(err.at);
        assert_eq!(file, K);
        ((line, col), err.to_string())
    }

    #[test]
    fn every_field_points_at_the_kustomization_line_that_made_it() {
        let generated = generate_inline(
            "generatorOptions:\n  labels:\n    team: a\n  immutable: true\n\
             secretGenerator:\n- name: token\n  type: kubernetes.io/service-account-token\n  \
             literals:\n  - a=b\n  envs: [x.env]\n",
            &[("x.env", b"C=d\n")],
        )
        .expect("generates");
        let [secret] = generated.as_slice() else {
            panic!("one object: {generated:?}");
        };
        let node = &secret.node;
        assert_eq!(at(node.at), (K, 6, 3));
        let meta = node.get("metadata").expect("metadata");
        let name = meta.entry("name").expect("name");
        assert_eq!(at(name.key_at), (K, 6, 3));
        assert_eq!(at(name.value.at), (K, 6, 9));
        let ty = node.entry("type").expect("type");
        assert_eq!(
            ty.value.as_str(),
            Some("kubernetes.io/service-account-token")
        );
        assert_eq!(at(ty.key_at), (K, 7, 3));
        assert_eq!(at(ty.value.at), (K, 7, 9));
        let data = node.get("data").expect("data");
        let a = data.entry("a").expect("a");
        assert_eq!((a.value.as_str(), at(a.key_at)), (Some("Yg=="), (K, 9, 5)));
        let c = data.entry("C").expect("C");
        assert_eq!(
            (c.value.as_str(), at(c.key_at)),
            (Some("ZA=="), (K, 10, 10))
        );
        let team = meta
            .get("labels")
            .and_then(|l| l.entry("team"))
            .expect("team");
        assert_eq!(
            (at(team.key_at), at(team.value.at)),
            ((K, 3, 5), (K, 3, 11))
        );
        let immutable = node.entry("immutable").expect("immutable");
        assert_eq!(at(immutable.key_at), (K, 4, 3));
        assert!(secret.hashed);
        assert_eq!(secret.behavior, Behavior::Create);
    }

    #[test]
    fn fields_match_in_any_case_as_kustomizes_json_decoding_does() {
        // kubectl kustomize generates `c` with data a: b and no hash from this.
        let generated = generate_inline(
            "ConfigMapGenerator:\n- Name: c\n  Literals: [a=b]\n  options: {DisableNameSuffixHash: true}\n",
            &[],
        )
        .expect("generates");
        let [cm] = generated.as_slice() else {
            panic!("one object: {generated:?}");
        };
        assert!(!cm.hashed);
        assert_eq!(
            cm.node.get_path(&["data", "a"]).and_then(Node::as_str),
            Some("b")
        );
        assert_eq!(
            cm.node
                .get_path(&["metadata", "name"])
                .and_then(Node::as_str),
            Some("c")
        );
    }

    #[test]
    fn a_secret_without_a_type_is_opaque_at_its_generator() {
        let generated =
            generate_inline("secretGenerator:\n- name: s\n  type: ''\n", &[]).expect("generates");
        let ty = generated[0].node.entry("type").expect("type");
        assert_eq!(ty.value.as_str(), Some("Opaque"));
        assert_eq!(at(ty.key_at), (K, 2, 3));
        assert_eq!(
            generated[0].node.get("data").and_then(Node::as_map),
            Some(&[][..])
        );
    }

    #[test]
    fn bad_generators_are_errors_at_the_entry_at_fault() {
        let cases: &[(&str, (u32, u32), &str)] = &[
            (
                "configMapGenerator:\n- literals: [a=b]\n",
                (2, 3),
                "a generator needs a name",
            ),
            (
                "configMapGenerator:\n- name: c\n  literals: [a=b, a=c]\n",
                (3, 19),
                "ConfigMap c repeats the key `a`",
            ),
            (
                "secretGenerator:\n- name: s\n  envs: [x.env]\n  literals: [A=b]\n",
                (4, 14),
                "Secret s repeats the key `A`",
            ),
            (
                "configMapGenerator:\n- name: c\n  literals:\n  - novalue\n",
                (4, 5),
                "invalid literal source `novalue`, expected key=value",
            ),
            (
                "configMapGenerator:\n- name: c\n  literals: [=v]\n",
                (3, 14),
                "invalid literal source `=v`, expected key=value",
            ),
            (
                "configMapGenerator:\n- name: c\n  files: [=x.env]\n",
                (3, 11),
                "invalid file source `=x.env`: missing key name",
            ),
            (
                "configMapGenerator:\n- name: c\n  files: [k=]\n",
                (3, 11),
                "invalid file source `k=`: missing file path",
            ),
            (
                "configMapGenerator:\n- name: c\n  files: [a=b=c]\n",
                (3, 11),
                "invalid file source `a=b=c`: the key name or file path contains '='",
            ),
            (
                "configMapGenerator:\n- name: c\n  files: [missing.txt]\n",
                (3, 11),
                "`missing.txt` cannot be read: not found",
            ),
            (
                "configMapGenerator:\n- name: c\n  env: bad.env\n",
                (3, 8),
                "line 2 of `bad.env` is not valid UTF-8",
            ),
            (
                "configMapGenerator:\n- name: c\n  nmae: x\n",
                (3, 3),
                "unknown field `nmae` in a generator",
            ),
            (
                "configMapGenerator:\n- name: c\n  type: Opaque\n",
                (3, 3),
                "unknown field `type` in a generator",
            ),
            (
                "configMapGenerator:\n- name: 12\n",
                (2, 9),
                "`name` must be a string",
            ),
            (
                "generatorOptions:\n  labels: {a: yes}\n",
                (2, 15),
                "`labels` must be a string",
            ),
            (
                "generatorOptions:\n  immutable: 'true'\n",
                (2, 14),
                "`immutable` must be a boolean",
            ),
            (
                "generatorOptions:\n  imutable: true\n",
                (2, 3),
                "unknown field `imutable` in a generator",
            ),
        ];
        let files: &[(&str, &[u8])] = &[("x.env", b"A=1\n"), ("bad.env", b"A=1\nB=\xff\n")];
        for (text, (line, col), message) in cases {
            assert_eq!(
                generate_error(text, files),
                ((*line, *col), (*message).to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn an_env_line_of_64_kib_is_an_error_not_a_silent_stop() {
        let mut long = b"A=".to_vec();
        long.extend(std::iter::repeat_n(b'x', 64 * 1024));
        let text = "configMapGenerator:\n- name: c\n  envs: [long.env]\n";
        let (at, message) = generate_error(text, &[("long.env", &[b"B=1\n", &long[..]].concat())]);
        assert_eq!(at, (3, 10));
        assert!(
            message.starts_with("line 2 of `long.env` is 64 KiB or longer"),
            "{message}"
        );
        let fits = [b"A=".as_slice(), &[b'x'; 64 * 1024 - 4], b"\r\n"].concat();
        let generated = generate_inline(text, &[("long.env", &fits)]).expect("fits");
        let value = generated[0]
            .node
            .get_path(&["data", "A"])
            .and_then(Node::as_str);
        assert_eq!(value.map(str::len), Some(64 * 1024 - 4));
    }

    #[test]
    fn absorbing_checks_the_behavior_against_the_matches() {
        let objects = parse_all(
            "kind: ConfigMap\nmetadata: {name: c}\n---\nkind: ConfigMap\nmetadata: {name: c}\n",
            FileId(2),
        );
        let generated = |behavior: &str| {
            let text = format!("configMapGenerator:\n- name: c\n  behavior: {behavior}\n");
            generate_inline(&text, &[]).expect("generates").remove(0)
        };
        let one = [(&objects[0], false)];
        let two = [(&objects[0], false), (&objects[1], true)];
        type Matches<'a> = &'a [(&'a Node, bool)];
        let cases: [(&str, Matches<'_>, &str); 4] = [
            (
                "merge",
                &[],
                "ConfigMap c does not exist, so behavior merge has nothing to act on",
            ),
            (
                "replace",
                &[],
                "ConfigMap c does not exist, so behavior replace has nothing to act on",
            ),
            (
                "create",
                &one,
                "ConfigMap c already exists; its generator needs behavior merge or replace",
            ),
            (
                "merge",
                &two,
                "2 objects could take the merge of ConfigMap c",
            ),
        ];
        for (behavior, matches, message) in cases {
            let err = generated(behavior).absorb(matches).expect_err(message);
            assert_eq!(
                (at(err.at), err.to_string()),
                ((K, 3, 13), message.to_owned())
            );
        }
        // An unknown behavior is Kustomize's unspecified one: it creates.
        let created = generated("Merge").absorb(&[]).expect("creates");
        assert!(created.1);
        // A merge into an object that is not hashed leaves the name unhashed.
        let (_, hashed) = generated("merge").absorb(&one).expect("merges");
        assert!(!hashed);
    }

    #[test]
    fn a_merge_keeps_the_origins_of_the_data_it_keeps() {
        let base = parse(
            "kind: ConfigMap\nmetadata: {name: c}\ndata: {a: '1', b: '2'}\n",
            FileId(2),
        );
        let generated = generate_inline(
            "configMapGenerator:\n- name: c\n  behavior: merge\n  literals: [b=3]\n",
            &[],
        )
        .expect("generates")
        .remove(0);
        let (merged, _) = generated.absorb(&[(&base, false)]).expect("merges");
        let data = merged.get("data").expect("data");
        let a = data.entry("a").expect("a");
        let b = data.entry("b").expect("b");
        assert_eq!(
            (a.value.as_str(), at(a.value.at)),
            (Some("1"), (FileId(2), 3, 11))
        );
        assert_eq!((b.value.as_str(), at(b.value.at)), (Some("3"), (K, 4, 14)));
        let name = merged.get_path(&["metadata", "name"]).expect("name");
        assert_eq!(at(name.at), (FileId(2), 2, 18));
    }

    #[test]
    fn name_hashes_are_kubectls() {
        // Suffixes `kubectl kustomize` gave these objects.
        let cases = [
            (
                "kind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n",
                "4h2mbtbbt6",
            ),
            (
                "kind: Secret\nmetadata: {name: empty}\ntype: Opaque\ndata: {}\n",
                "46f8b28mk5",
            ),
            (
                "kind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/service-account-token\ndata: {a: Yg==}\n",
                "hgtb5md2g8",
            ),
            (
                "kind: Secret\nmetadata: {name: s}\ntype: Opaque\ndata:\n  a: |\n    \
                 eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eH\n    h4\n",
                "dgdtf6kf42",
            ),
        ];
        for (text, hash) in cases {
            assert_eq!(name_hash(&parse(text, K)).as_deref(), Some(hash), "{text}");
        }
        assert_eq!(
            name_hash(&parse("kind: Pod\nmetadata: {name: p}\n", K)),
            None
        );
    }

    #[test]
    fn go_json_escapes_as_go_does() {
        let mut out = String::new();
        go_json_string(
            "a\"\\\n\r\t\u{8}\u{c}\u{1}<>&\u{2028}\u{2029}\u{7f}é",
            &mut out,
        );
        assert_eq!(
            out,
            r#""a\"\\\n\r\t\b\f\u0001\u003c\u003e\u0026\u2028\u2029"#.to_owned() + "\u{7f}é\""
        );
        let mut floats = String::new();
        for f in [1.5, 1.0, 1e21, 1e-7, 123456.0] {
            go_json_float(f, &mut floats);
            floats.push(' ');
        }
        assert_eq!(floats, "1.5 1 1e+21 1e-07 123456 ");
    }

    #[test]
    fn base64_breaks_long_values_as_kustomize_does() {
        assert_eq!(base64_lines(b""), "");
        assert_eq!(base64_lines(b"a"), "YQ==");
        assert_eq!(base64_lines(b"ab"), "YWI=");
        assert_eq!(base64_lines(b"abc"), "YWJj");
        let encoded = base64_lines(&[b'x'; 54]);
        assert_eq!(encoded.len(), 72 + 2);
        assert_eq!(&encoded[66..], "h4eH\nh4\n");
    }
}
