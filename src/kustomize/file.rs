//! A kustomization file, read as strictly as Kustomize v5 reads it: every field it knows
//! is accepted, any other is an error at its line and column, and the fields the
//! renderer uses are typed. Positions are spans of the file; the renderer turns them
//! into origins once the file has its id.

use crate::yaml::{self, Limits, NodeRef, Pos, Span, Style};

/// The file names Kustomize recognises in a directory, in the order it tries them.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

const KUSTOMIZATION_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
const COMPONENT_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// Why a kustomization file cannot be read; `at` is where, as an editor shows it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FileError {
    pub at: Pos,
    pub message: String,
}

/// A string written in the file and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub at: Span,
}

/// A `key: value` of a label or annotation map, with both positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub key: Item,
    pub value: Item,
}

/// One entry of `labels`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSet {
    pub pairs: Vec<Pair>,
    pub include_selectors: bool,
    pub include_templates: bool,
    /// `fields`: where else its labels go.
    pub fields: Vec<LabelField>,
}

/// A field spec of `labels[].fields`: the objects it selects (an empty group,
/// version or kind selects any) and the path of the label map in them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelField {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub path: String,
    pub create: bool,
    /// The entry.
    pub at: Span,
}

/// A field this renderer does not render (yet), or cannot render by design: the root
/// that uses it is scanned file by file instead (SPEC 3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unrendered {
    /// Not supported yet, but would change objects: the field's name.
    NotSupportedYet(&'static str),
    /// `helmCharts` and its older spellings: a chart is never inflated.
    HelmCharts,
    /// `generators`, `transformers` or `validators`: plugins are never run.
    Plugin(&'static str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Kustomization,
    Component,
}

/// `sortOptions`: the order a root's objects are printed in (only a root's counts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// `fifo`: the order they were read and generated in.
    Fifo,
    /// `legacy`: by kind, then group, version, namespace and name; `None` ranks the
    /// kinds as Kustomize does by default.
    Legacy(Option<KindOrder>),
}

/// `legacySortOptions`: the kinds printed first and last, each in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KindOrder {
    pub first: Vec<String>,
    pub last: Vec<String>,
}

/// The kustomization, with `bases` already appended to `resources` as Kustomize does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kustomization {
    pub kind: Kind,
    /// Where `kind:` is written, else the start of the file.
    pub kind_at: Span,
    pub resources: Vec<Item>,
    pub components: Vec<Item>,
    pub namespace: Option<Pair>,
    pub name_prefix: Option<Pair>,
    pub name_suffix: Option<Pair>,
    pub common_labels: Vec<Pair>,
    pub labels: Vec<LabelSet>,
    pub common_annotations: Vec<Pair>,
    /// Files read by fields other than `resources` (patches, generator inputs, ...),
    /// so that a root's inputs are all known even where it is not rendered.
    pub other_files: Vec<Item>,
    /// `patchesStrategicMerge` entries: each names a file, or is an inline patch when
    /// no such file exists (as Kustomize decides).
    pub maybe_files: Vec<Item>,
    /// The same entries, each read as an inline patch in case it is one.
    pub strategic_merge_inline: Vec<Inline>,
    /// `patches`, in order.
    pub patches: Vec<Patch>,
    /// `patchesJson6902`, in order: each needs a `target`.
    pub patches_json6902: Vec<Patch>,
    /// Whether it has `configMapGenerator`, `secretGenerator` or `generatorOptions`.
    pub generates: bool,
    /// Whether it has `replacements`.
    pub replaces: bool,
    /// Whether it has `vars`.
    pub has_vars: bool,
    /// Whether it has `images` or `imageTags`.
    pub has_images: bool,
    /// Whether it has `replicas`.
    pub has_replicas: bool,
    /// `configurations`: files of transformer configs, in order.
    pub configurations: Vec<Item>,
    /// `sortOptions`, if set.
    pub sort_order: Option<SortOrder>,
    /// `buildMetadata`: what a root's build adds to its objects.
    pub build_metadata: Vec<Item>,
    /// Fields present that this renderer does not render, with their key's position.
    pub unrendered: Vec<(Unrendered, Span)>,
}

/// The fields of Kustomize v5's Kustomization type.
const KNOWN_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "openapi",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patchesStrategicMerge",
    "patchesJson6902",
    "patches",
    "images",
    "imageTags",
    "replacements",
    "replicas",
    "vars",
    "sortOptions",
    "resources",
    "components",
    "crds",
    "bases",
    "configMapGenerator",
    "secretGenerator",
    "helmGlobals",
    "helmCharts",
    "helmChartInflationGenerator",
    "generatorOptions",
    "configurations",
    "generators",
    "transformers",
    "validators",
    "buildMetadata",
];

/// Reads a kustomization file's bytes.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<Kustomization, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError {
        at: Pos::START,
        message: format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
    })?;
    let stream = yaml::parse(text, limits);
    if let Some(e) = &stream.error {
        return Err(FileError {
            at: e.pos,
            message: format!("invalid YAML: {}", e.kind),
        });
    }
    let root = stream.documents.first().map(|d| stream.tree.node(d.root));
    let Some(root) = root.filter(|r| r.is_map() && r.entries().next().is_some()) else {
        return Err(FileError {
            at: Pos::START,
            message: "the kustomization is empty".to_owned(),
        });
    };
    if let Some(second) = stream.documents.get(1) {
        return Err(FileError {
            at: stream.tree.node(second.root).span().start,
            message: "a kustomization file holds one YAML document".to_owned(),
        });
    }
    read_root(root, text)
}

fn read_root(root: NodeRef<'_>, source: &str) -> Result<Kustomization, FileError> {
    let mut k = Kustomization {
        kind: Kind::Kustomization,
        kind_at: Span::default(),
        resources: Vec::new(),
        components: Vec::new(),
        namespace: None,
        name_prefix: None,
        name_suffix: None,
        common_labels: Vec::new(),
        labels: Vec::new(),
        common_annotations: Vec::new(),
        other_files: Vec::new(),
        maybe_files: Vec::new(),
        strategic_merge_inline: Vec::new(),
        patches: Vec::new(),
        patches_json6902: Vec::new(),
        generates: false,
        replaces: false,
        has_vars: false,
        has_images: false,
        has_replicas: false,
        configurations: Vec::new(),
        sort_order: None,
        build_metadata: Vec::new(),
        unrendered: Vec::new(),
    };
    let mut bases = Vec::new();
    let mut api_version = None;
    for (key, value) in root.entries() {
        let name = key.scalar().map_or("", |s| s.text);
        let key_at = key.span();
        match name {
            "apiVersion" => api_version = Some(string(value)?),
            "kind" => {
                let kind = string(value)?;
                k.kind = match kind.text.as_str() {
                    "Kustomization" | "" => Kind::Kustomization,
                    "Component" => Kind::Component,
                    _ => return Err(error(value, "kind should be Kustomization or Component")),
                };
                k.kind_at = key_at;
            }
            "resources" => k.resources = strings(value)?,
            "bases" => bases = strings(value)?,
            "components" => k.components = strings(value)?,
            "namespace" => k.namespace = pair(key, value)?,
            "namePrefix" => k.name_prefix = pair(key, value)?,
            "nameSuffix" => k.name_suffix = pair(key, value)?,
            "commonLabels" => k.common_labels = string_map(value)?,
            "commonAnnotations" => k.common_annotations = string_map(value)?,
            "labels" => k.labels = label_sets(value)?,
            "metadata" => {}
            "images" | "imageTags" => k.has_images = true,
            "replicas" => k.has_replicas = true,
            "patches" => {
                k.patches = patches(value, source)?;
                for patch in &k.patches {
                    if let PatchSource::File(path) = &patch.source {
                        k.other_files.push(path.clone());
                    }
                }
            }
            "patchesJson6902" => {
                k.patches_json6902 = patches(value, source)?;
                for patch in &k.patches_json6902 {
                    if let PatchSource::File(path) = &patch.source {
                        k.other_files.push(path.clone());
                    }
                }
            }
            "patchesStrategicMerge" => {
                k.maybe_files = strings(value)?;
                k.strategic_merge_inline = value.items().map(|v| inline(v, source)).collect();
            }
            "configMapGenerator" | "secretGenerator" => {
                generator_files(value, &mut k.other_files)?;
                k.generates = true;
            }
            "generatorOptions" => k.generates = true,
            "replacements" => {
                files_under(value, &["path"], &mut k.other_files)?;
                k.replaces = true;
            }
            "configurations" => {
                k.configurations = strings(value)?;
                k.other_files.extend(k.configurations.iter().cloned());
            }
            "crds" => {
                k.other_files.extend(strings(value)?);
                k.unrendered
                    .push((Unrendered::NotSupportedYet(field(name)), key_at));
            }
            "vars" => k.has_vars = true,
            "sortOptions" => k.sort_order = sort_options(key, value)?,
            "buildMetadata" => k.build_metadata = strings(value)?,
            "openapi" => {
                k.unrendered
                    .push((Unrendered::NotSupportedYet(field(name)), key_at));
            }
            "helmCharts" | "helmChartInflationGenerator" | "helmGlobals" => {
                k.unrendered.push((Unrendered::HelmCharts, key_at))
            }
            "generators" | "transformers" | "validators" => {
                k.unrendered.push((Unrendered::Plugin(field(name)), key_at))
            }
            _ => {
                return Err(FileError {
                    at: key_at.start,
                    message: format!(
                        "unknown field `{}`: Kustomize v5 rejects it",
                        name.escape_debug()
                    ),
                });
            }
        }
    }
    if let Some(version) = api_version.filter(|v| !v.text.is_empty()) {
        let required = match k.kind {
            Kind::Kustomization => KUSTOMIZATION_VERSION,
            Kind::Component => COMPONENT_VERSION,
        };
        if version.text != required {
            return Err(FileError {
                at: version.at.start,
                message: format!("apiVersion should be {required}"),
            });
        }
    }
    k.resources.extend(bases);
    Ok(k)
}

/// The static name of a known field (for reasons, which outlive the parsed text).
fn field(name: &str) -> &'static str {
    KNOWN_FIELDS
        .iter()
        .find(|known| **known == name)
        .copied()
        .unwrap_or("?")
}

fn error(node: NodeRef<'_>, message: &str) -> FileError {
    FileError {
        at: node.span().start,
        message: message.to_owned(),
    }
}

/// A string value; a null is the empty string, as Kustomize's JSON decoding makes it.
fn string(node: NodeRef<'_>) -> Result<Item, FileError> {
    let text = match node.scalar().map(yaml::scalar::resolve) {
        Some(yaml::scalar::Value::Str(text)) => text,
        Some(yaml::scalar::Value::Null) => "",
        _ => return Err(error(node, "expected a string")),
    };
    Ok(Item {
        text: text.to_owned(),
        at: node.span(),
    })
}

fn pair(key: NodeRef<'_>, value: NodeRef<'_>) -> Result<Option<Pair>, FileError> {
    let value = string(value)?;
    Ok((!value.text.is_empty()).then(|| Pair {
        key: Item {
            text: key.scalar().map_or("", |s| s.text).to_owned(),
            at: key.span(),
        },
        value,
    }))
}

/// A list of strings; a null is an empty list.
fn strings(node: NodeRef<'_>) -> Result<Vec<Item>, FileError> {
    if is_null(node) {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(error(node, "expected a list of strings"));
    }
    node.items().map(string).collect()
}

fn is_null(node: NodeRef<'_>) -> bool {
    node.scalar()
        .is_some_and(|s| yaml::scalar::resolve(s) == yaml::scalar::Value::Null)
}

fn string_map(node: NodeRef<'_>) -> Result<Vec<Pair>, FileError> {
    if is_null(node) {
        return Ok(Vec::new());
    }
    if !node.is_map() {
        return Err(error(node, "expected a map of strings"));
    }
    node.entries()
        .map(|(key, value)| {
            Ok(Pair {
                key: string(key)?,
                value: string(value)?,
            })
        })
        .collect()
}

fn boolean(node: NodeRef<'_>) -> Result<bool, FileError> {
    match node.scalar().map(yaml::scalar::resolve) {
        Some(yaml::scalar::Value::Bool(b)) => Ok(b),
        Some(yaml::scalar::Value::Null) => Ok(false),
        _ => Err(error(node, "expected true or false")),
    }
}

fn label_sets(node: NodeRef<'_>) -> Result<Vec<LabelSet>, FileError> {
    if is_null(node) {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(error(node, "expected a list of labels"));
    }
    let mut sets = Vec::new();
    for item in node.items() {
        if !item.is_map() {
            return Err(error(item, "expected a map (pairs, includeSelectors, ...)"));
        }
        let mut set = LabelSet {
            pairs: Vec::new(),
            include_selectors: false,
            include_templates: false,
            fields: Vec::new(),
        };
        for (key, value) in item.entries() {
            match key.scalar().map_or("", |s| s.text) {
                "pairs" => set.pairs = string_map(value)?,
                "includeSelectors" => set.include_selectors = boolean(value)?,
                "includeTemplates" => set.include_templates = boolean(value)?,
                "fields" => set.fields = label_fields(value)?,
                other => {
                    return Err(FileError {
                        at: key.span().start,
                        message: format!(
                            "unknown field `{}` in labels: Kustomize v5 rejects it",
                            other.escape_debug()
                        ),
                    });
                }
            }
        }
        sets.push(set);
    }
    Ok(sets)
}

/// `sortOptions`, checked as Kustomize checks it before sorting: `order` is `fifo` or
/// `legacy`, and only `legacy` takes `legacySortOptions`.
fn sort_options(key: NodeRef<'_>, node: NodeRef<'_>) -> Result<Option<SortOrder>, FileError> {
    if is_null(node) {
        return Ok(None);
    }
    if !node.is_map() {
        return Err(error(
            node,
            "expected sortOptions (order, legacySortOptions)",
        ));
    }
    let (mut order, mut kinds) = (None, None);
    for (field, value) in node.entries() {
        match field.scalar().map_or("", |s| s.text) {
            "order" => order = Some(string(value)?),
            "legacySortOptions" if is_null(value) => kinds = None,
            "legacySortOptions" => {
                if !value.is_map() {
                    return Err(error(value, "expected orderFirst and orderLast"));
                }
                let mut lists = KindOrder {
                    first: Vec::new(),
                    last: Vec::new(),
                };
                for (list, listed) in value.entries() {
                    let texts = || -> Result<Vec<String>, FileError> {
                        Ok(strings(listed)?.into_iter().map(|k| k.text).collect())
                    };
                    match list.scalar().map_or("", |s| s.text) {
                        "orderFirst" => lists.first = texts()?,
                        "orderLast" => lists.last = texts()?,
                        other => return Err(unknown(list, other, "legacySortOptions")),
                    }
                }
                kinds = Some((field.span(), lists));
            }
            other => return Err(unknown(field, other, "sortOptions")),
        }
    }
    let order_at = order.as_ref().map_or(key.span(), |o| o.at);
    match (order.as_ref().map(|o| o.text.as_str()), kinds) {
        (Some("legacy"), kinds) => Ok(Some(SortOrder::Legacy(kinds.map(|(_, k)| k)))),
        (Some("fifo"), None) => Ok(Some(SortOrder::Fifo)),
        (Some("fifo"), Some((at, _))) => Err(FileError {
            at: at.start,
            message: "`sortOptions.legacySortOptions` is set but the order is `fifo`, not `legacy`: Kustomize refuses it".to_owned(),
        }),
        _ => Err(FileError {
            at: order_at.start,
            message: "`sortOptions.order` must be `fifo` or `legacy`".to_owned(),
        }),
    }
}

fn label_fields(node: NodeRef<'_>) -> Result<Vec<LabelField>, FileError> {
    if is_null(node) {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(error(node, "expected a list of field specs"));
    }
    let mut fields = Vec::new();
    for item in node.items() {
        if !item.is_map() {
            return Err(error(
                item,
                "expected a field spec (path, kind, create, ...)",
            ));
        }
        let mut field = LabelField {
            group: String::new(),
            version: String::new(),
            kind: String::new(),
            path: String::new(),
            create: false,
            at: item.span(),
        };
        for (key, value) in item.entries() {
            match key.scalar().map_or("", |s| s.text) {
                "group" => field.group = string(value)?.text,
                "version" => field.version = string(value)?.text,
                "kind" => field.kind = string(value)?.text,
                "path" => field.path = string(value)?.text,
                "create" => field.create = boolean(value)?,
                other => return Err(unknown(key, other, "a field spec")),
            }
        }
        // Kustomize fails on an empty path wherever the spec selects an object.
        if field.path.is_empty() {
            return Err(error(item, "a field spec needs a `path`"));
        }
        fields.push(field);
    }
    Ok(fields)
}

/// A patch written in the kustomization file: its text, and where that text's first
/// character sits in the file (each line of a block scalar starts at the same column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inline {
    pub text: String,
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatchSource {
    File(Item),
    Inline(Inline),
}

/// A `patches` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patch {
    pub source: PatchSource,
    /// Where its `target` is written, if it has one.
    pub target: Option<Span>,
    pub allow_name_change: bool,
    pub allow_kind_change: bool,
    /// The entry itself.
    pub at: Span,
}

fn patches(node: NodeRef<'_>, source: &str) -> Result<Vec<Patch>, FileError> {
    if is_null(node) {
        return Ok(Vec::new());
    }
    if !node.is_seq() {
        return Err(error(node, "expected a list of patches"));
    }
    let mut out = Vec::new();
    for item in node.items() {
        if !item.is_map() {
            return Err(error(
                item,
                "expected a patch (path or patch, target, options)",
            ));
        }
        let (mut path, mut text, mut target) = (None, None, None);
        let (mut allow_name_change, mut allow_kind_change) = (false, false);
        for (key, value) in item.entries() {
            match key.scalar().map_or("", |s| s.text) {
                "path" => path = Some(string(value)?).filter(|p| !p.text.is_empty()),
                "patch" => text = Some(inline(value, source)).filter(|p| !p.text.trim().is_empty()),
                "target" => {
                    selector(value)?;
                    target = Some(key.span());
                }
                "options" => {
                    for (option, flag) in value.entries() {
                        match option.scalar().map_or("", |s| s.text) {
                            "allowNameChange" => allow_name_change = boolean(flag)?,
                            "allowKindChange" => allow_kind_change = boolean(flag)?,
                            other => return Err(unknown(option, other, "patch options")),
                        }
                    }
                }
                other => return Err(unknown(key, other, "a patch")),
            }
        }
        let source = match (path, text) {
            (Some(path), None) => PatchSource::File(path),
            (None, Some(text)) => PatchSource::Inline(text),
            (None, None) => return Err(error(item, "a patch needs `path` or `patch`")),
            (Some(_), Some(_)) => {
                return Err(error(
                    item,
                    "a patch has either `path` or `patch`, not both",
                ));
            }
        };
        out.push(Patch {
            source,
            target,
            allow_name_change,
            allow_kind_change,
            at: item.span(),
        });
    }
    Ok(out)
}

/// Checks a patch `target`'s fields (the selector itself is applied by the driver).
fn selector(node: NodeRef<'_>) -> Result<(), FileError> {
    if !node.is_map() {
        return Err(error(
            node,
            "expected a target (group, version, kind, name, ...)",
        ));
    }
    for (key, value) in node.entries() {
        match key.scalar().map_or("", |s| s.text) {
            "group" | "version" | "kind" | "name" | "namespace" | "labelSelector"
            | "annotationSelector" => {
                string(value)?;
            }
            other => return Err(unknown(key, other, "a patch target")),
        }
    }
    Ok(())
}

fn unknown(key: NodeRef<'_>, name: &str, within: &str) -> FileError {
    FileError {
        at: key.span().start,
        message: format!(
            "unknown field `{}` in {within}: Kustomize v5 rejects it",
            name.escape_debug()
        ),
    }
}

/// A scalar holding a patch, with where its text starts in `source`: a block
/// scalar's text starts on the next line, at the block's indentation; a quoted one a
/// column after its quote.
fn inline(node: NodeRef<'_>, source: &str) -> Inline {
    let start = node.span().start;
    let Some(scalar) = node.scalar() else {
        return Inline {
            text: String::new(),
            line: start.line,
            col: start.col,
        };
    };
    let (line, col) = match scalar.style {
        Style::Literal | Style::Folded => {
            // The first line of the text, found in the file from the scalar on: a
            // folded line is the start of its text line.
            let blank = scalar
                .text
                .lines()
                .take_while(|l| l.trim().is_empty())
                .count();
            let first_text = scalar.text.lines().nth(blank).unwrap_or("");
            let found = source
                .lines()
                .enumerate()
                .skip(start.line.saturating_sub(1) as usize)
                .find(|(_, l)| {
                    let content = l.trim_start_matches(' ');
                    !content.trim().is_empty() && first_text.starts_with(content.trim_end())
                });
            match found {
                Some((index, l)) => {
                    let indent = l.len() - l.trim_start_matches(' ').len();
                    let line = (index + 1).saturating_sub(blank);
                    (line as u32, indent as u32 + 1)
                }
                None => (start.line, start.col),
            }
        }
        Style::SingleQuoted | Style::DoubleQuoted => (start.line, start.col + 1),
        Style::Plain => (start.line, start.col),
    };
    Inline {
        text: scalar.text.to_owned(),
        line,
        col,
    }
}

/// The files named by `keys` in each entry of a list of maps (`patches[].path`).
fn files_under(node: NodeRef<'_>, keys: &[&str], out: &mut Vec<Item>) -> Result<(), FileError> {
    if is_null(node) {
        return Ok(());
    }
    if !node.is_seq() {
        return Err(error(node, "expected a list"));
    }
    for item in node.items() {
        for key in keys {
            if let Some(value) = item.get(key) {
                let path = string(value)?;
                if !path.text.is_empty() {
                    out.push(path);
                }
            }
        }
    }
    Ok(())
}

/// The files a generator reads: `files` (`key=path` or `path`), `envs` and `env`.
fn generator_files(node: NodeRef<'_>, out: &mut Vec<Item>) -> Result<(), FileError> {
    files_under(node, &["env"], out)?;
    for item in node.items() {
        for key in ["files", "envs"] {
            let Some(list) = item.get(key) else { continue };
            for mut file in strings(list)? {
                if key == "files"
                    && let Some((_, path)) = file.text.split_once('=')
                {
                    file.text = path.to_owned();
                }
                out.push(file);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Kustomization, FileError> {
        read(text.as_bytes(), &Limits::default())
    }

    #[test]
    fn reads_resources_bases_and_transformer_fields_with_positions() {
        let k = parse(
            "resources:\n- a.yaml\n- ../base\nbases:\n- ../old\nnamespace: prod\nnamePrefix: p-\ncommonLabels:\n  app: x\n",
        )
        .expect("valid");
        let resources: Vec<_> = k.resources.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(resources, ["a.yaml", "../base", "../old"]);
        let namespace = k.namespace.expect("namespace");
        assert_eq!(namespace.value.text, "prod");
        assert_eq!(namespace.key.at.start, Pos { line: 6, col: 1 });
        assert_eq!(namespace.value.at.start, Pos { line: 6, col: 12 });
        assert_eq!(k.name_prefix.map(|p| p.value.text).as_deref(), Some("p-"));
        assert_eq!(k.common_labels[0].value.at.start, Pos { line: 9, col: 8 });
        assert_eq!(k.kind, Kind::Kustomization);
        assert!(k.unrendered.is_empty());
    }

    #[test]
    fn an_unknown_field_is_an_error_at_its_key() {
        let e = parse("resources: []\nnamesPrefix: x\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 2, col: 1 });
        assert!(e.message.contains("unknown field `namesPrefix`"), "{e}");
        let e = parse("labels:\n- pairs: {a: b}\n  includeSelector: true\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 3, col: 3 });
        // Kustomize v5.5's labels have no such field (later versions do).
        let e =
            parse("labels:\n- pairs: {a: b}\n  includeVolumeClaimTemplates: false\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 3, col: 3 });
        assert!(
            e.message
                .contains("unknown field `includeVolumeClaimTemplates` in labels"),
            "{e}"
        );
    }

    #[test]
    fn components_kinds_and_versions() {
        let k =
            parse("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: []\n");
        assert_eq!(k.map(|k| k.kind), Ok(Kind::Component));
        let e =
            parse("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Component\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 1, col: 13 });
        let e = parse("kind: Deployment\n").unwrap_err();
        assert_eq!(e.message, "kind should be Kustomization or Component");
    }

    #[test]
    fn fields_not_rendered_are_listed_with_the_files_they_read() {
        let k = parse(
            "patches:\n- path: p.yaml\n  target: {kind: Deployment}\nconfigMapGenerator:\n- name: c\n  files:\n  - k=f.txt\n  envs: [e.env]\nhelmCharts: []\ntransformers: [t.yaml]\nconfigurations: [c.yaml]\ncrds: [crd.json]\n",
        )
        .expect("valid");
        let files: Vec<_> = k.other_files.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(files, ["p.yaml", "f.txt", "e.env", "c.yaml", "crd.json"]);
        // Configurations are rendered: read as files, not a reason to fall back.
        let configurations: Vec<_> = k.configurations.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(configurations, ["c.yaml"]);
        let reasons: Vec<_> = k
            .unrendered
            .iter()
            .map(|(r, at)| (*r, at.start.line))
            .collect();
        assert_eq!(
            reasons,
            [
                (Unrendered::HelmCharts, 9),
                (Unrendered::Plugin("transformers"), 10),
                (Unrendered::NotSupportedYet("crds"), 12),
            ]
        );
    }

    #[test]
    fn patches_are_read_with_where_an_inline_patch_sits_in_the_file() {
        let k = parse(
            "patches:\n- path: p.yaml\n- target:\n    kind: Deployment\n  patch: |-\n    - op: remove\n      path: /spec\n- patch: '{\"kind\": \"A\"}'\n  options: {allowNameChange: true}\npatchesStrategicMerge:\n- |\n  kind: B\n",
        )
        .expect("valid");
        assert_eq!(k.patches.len(), 3);
        assert_eq!(
            k.patches[0].source,
            PatchSource::File(Item {
                text: "p.yaml".into(),
                at: k.other_files[0].at
            })
        );
        assert_eq!(k.patches[1].target.map(|t| t.start.line), Some(3));
        let PatchSource::Inline(block) = &k.patches[1].source else {
            panic!("inline")
        };
        assert_eq!((block.line, block.col), (6, 5));
        assert_eq!(block.text, "- op: remove\n  path: /spec");
        let PatchSource::Inline(quoted) = &k.patches[2].source else {
            panic!("inline")
        };
        assert_eq!((quoted.line, quoted.col), (8, 11));
        assert!(k.patches[2].allow_name_change);
        assert_eq!(
            (
                k.strategic_merge_inline[0].line,
                k.strategic_merge_inline[0].col
            ),
            (12, 3)
        );
        let e = parse("patches:\n- path: a\n  patch: b\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 2, col: 3 });
        let e = parse("patches:\n- path: a\n  target: {kinds: X}\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 3, col: 12 });
    }

    #[test]
    fn sort_options_are_checked_as_kustomize_checks_them() {
        let order = |text: &str| parse(text).map(|k| k.sort_order);
        assert_eq!(
            order("sortOptions:\n  order: fifo\n"),
            Ok(Some(SortOrder::Fifo))
        );
        assert_eq!(
            order("sortOptions:\n  order: legacy\n"),
            Ok(Some(SortOrder::Legacy(None)))
        );
        assert_eq!(
            order(
                "sortOptions:\n  order: legacy\n  legacySortOptions:\n    orderFirst: [A]\n    orderLast: [B, C]\n"
            ),
            Ok(Some(SortOrder::Legacy(Some(KindOrder {
                first: vec!["A".to_owned()],
                last: vec!["B".to_owned(), "C".to_owned()],
            }))))
        );
        let e = parse("sortOptions:\n  order: fifo\n  legacySortOptions: {}\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 3, col: 3 });
        assert!(e.message.contains("the order is `fifo`"), "{e}");
        let e = parse("sortOptions:\n  order: random\n").unwrap_err();
        assert_eq!(
            (e.at, e.message.as_str()),
            (
                Pos { line: 2, col: 10 },
                "`sortOptions.order` must be `fifo` or `legacy`"
            )
        );
        let e = parse("sortOptions: {}\n").unwrap_err();
        assert_eq!(e.at, Pos { line: 1, col: 1 });
        let e = parse("sortOptions:\n  order: legacy\n  legacySortOptions: {orderFirts: []}\n")
            .unwrap_err();
        assert!(e.message.contains("unknown field `orderFirts`"), "{e}");
    }

    #[test]
    fn bad_yaml_and_wrong_types_point_at_the_value() {
        let e = parse("resources: [a\n").unwrap_err();
        assert!(e.message.starts_with("invalid YAML"), "{e}");
        let e = parse("resources: a.yaml\n").unwrap_err();
        assert_eq!(
            (e.at, e.message.as_str()),
            (Pos { line: 1, col: 12 }, "expected a list of strings")
        );
        assert_eq!(parse("").unwrap_err().message, "the kustomization is empty");
    }
}
