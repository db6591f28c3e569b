//! `configurations`: files of transformer configs (Kustomize's TransformerConfig)
//! whose field specs join Kustomize's own. As in Kustomize v5.5, each kustomization's
//! build merges its own files into the built-in specs, then into what its resources'
//! builds accumulated (a component adds to its lister's), so a base's configurations
//! also hold for every overlay above it. Every merge keeps the first spec that another
//! one with the same path selects (Kustomize's `FsSlice.MergeOne`): a spec for one kind
//! that sorts first can take the place of a built-in one for every kind. Rendered:
//! every section of Kustomize v5.5's configuration.

use std::borrow::Cow;

use super::FieldSpec;
use crate::kustomize::fields::{self, FieldError};
use crate::kustomize::node::{Entry, Node};
use crate::origin::Origin;

/// The sections of Kustomize v5.5's TransformerConfig.
const SECTIONS: [&str; 11] = [
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "templateLabels",
    "commonAnnotations",
    "nameReference",
    "varReference",
    "images",
    "replicas",
];

const SPEC_FIELDS: [&str; 5] = ["group", "version", "kind", "path", "create"];
const REFERENCE_FIELDS: [&str; 4] = ["group", "version", "kind", "fieldSpecs"];

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("unknown field `{field}` in {within}: Kustomize v5 rejects it")]
    Unknown {
        at: Origin,
        field: String,
        within: &'static str,
    },
    #[error("a field spec needs a `path`")]
    NoPath { at: Origin },
    #[error(
        "the field spec for `{path}` sets `create` unlike another for the same kinds, which Kustomize refuses (conflicting fieldspecs)"
    )]
    Conflict { at: Origin, path: String },
}

impl ConfigError {
    pub fn at(&self) -> Origin {
        match self {
            ConfigError::Field(e) => e.at,
            ConfigError::Unknown { at, .. }
            | ConfigError::NoPath { at }
            | ConfigError::Conflict { at, .. } => *at,
        }
    }
}

/// A field spec, Kustomize's own (no origin) or from a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub group: Cow<'static, str>,
    pub version: Cow<'static, str>,
    pub kind: Cow<'static, str>,
    pub path: Cow<'static, str>,
    pub create: bool,
    pub at: Option<Origin>,
}

impl Spec {
    fn builtin(spec: &FieldSpec<'static>) -> Spec {
        Spec {
            group: Cow::Borrowed(spec.group),
            version: Cow::Borrowed(spec.version),
            kind: Cow::Borrowed(spec.kind),
            path: Cow::Borrowed(spec.path),
            create: spec.create,
            at: None,
        }
    }

    pub fn field_spec(&self) -> FieldSpec<'_> {
        FieldSpec {
            group: &self.group,
            version: &self.version,
            kind: &self.kind,
            path: &self.path,
            create: self.create,
        }
    }

    /// Kustomize's `Gvk.IsLessThan`: by the rank of the kind in its output order,
    /// then by `group_version_kind` with empty parts spelled `~G`, `~V`, `~K`.
    fn sort_key(&self) -> (i32, String) {
        let or = |s: &str, empty: &'static str| if s.is_empty() { empty } else { s }.to_owned();
        (
            crate::kustomize::render::kind_rank(&self.kind),
            format!(
                "{}_{}_{}",
                or(&self.group, "~G"),
                or(&self.version, "~V"),
                or(&self.kind, "~K")
            ),
        )
    }
}

/// A `nameReference` entry: fields of the referrers that name objects of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NameReference {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub referrers: Vec<Spec>,
}

/// A section of a configuration of field specs (all but `nameReference`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Section {
    NamePrefix,
    NameSuffix,
    CommonLabels,
    CommonAnnotations,
    Images,
    Namespace,
    VarReference,
    Labels,
    TemplateLabels,
    Replicas,
}

const RENDERED: [(&str, Section); 10] = [
    ("namePrefix", Section::NamePrefix),
    ("nameSuffix", Section::NameSuffix),
    ("commonLabels", Section::CommonLabels),
    ("commonAnnotations", Section::CommonAnnotations),
    ("images", Section::Images),
    ("namespace", Section::Namespace),
    ("varReference", Section::VarReference),
    ("labels", Section::Labels),
    ("templateLabels", Section::TemplateLabels),
    ("replicas", Section::Replicas),
];

/// The field specs a kustomization's transformers use, merged as Kustomize merges
/// them. A section left `None` is Kustomize's own, which most builds use unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Config {
    sections: [Option<Vec<Spec>>; RENDERED.len()],
    /// Only the configured ones: they are looked up after Kustomize's own table.
    name_reference: Vec<NameReference>,
}

const METADATA_NAME: FieldSpec<'static> = FieldSpec {
    group: "",
    version: "",
    kind: "",
    path: "metadata/name",
    create: false,
};

/// Kustomize's own field specs of a section.
fn builtin(section: Section) -> Vec<Spec> {
    let specs = match section {
        Section::NamePrefix | Section::NameSuffix => vec![METADATA_NAME],
        Section::CommonLabels => super::labels::builtin(true, true),
        Section::CommonAnnotations => super::labels::ANNOTATIONS.to_vec(),
        Section::Images => super::images::FIELD_SPECS.to_vec(),
        Section::Namespace => super::namespace::FIELD_SPECS.to_vec(),
        Section::VarReference => crate::kustomize::vars::builtin_references(),
        // Kustomize has no `labels` specs of its own.
        Section::Labels => Vec::new(),
        Section::TemplateLabels => super::labels::builtin(false, true),
        Section::Replicas => super::replicas::FIELD_SPECS.to_vec(),
    };
    specs.iter().map(Spec::builtin).collect()
}

impl Config {
    /// The field specs of `section`, if configured (else Kustomize's own apply).
    pub fn configured(&self, section: Section) -> Option<Vec<FieldSpec<'_>>> {
        self.sections[section as usize]
            .as_ref()
            .map(|specs| specs.iter().map(Spec::field_spec).collect())
    }

    /// The field specs of `section`, configured or Kustomize's own.
    pub fn specs(&self, section: Section) -> Cow<'_, [Spec]> {
        match &self.sections[section as usize] {
            Some(specs) => Cow::Borrowed(specs),
            None => Cow::Owned(builtin(section)),
        }
    }

    pub fn name_references(&self) -> &[NameReference] {
        &self.name_reference
    }

    /// Merges `other` into this one, as Kustomize's `TransformerConfig.Merge`.
    pub fn merge(&mut self, other: &Config) -> Result<(), ConfigError> {
        for (_, section) in RENDERED {
            let index = section as usize;
            merge_section(&mut self.sections[index], &other.sections[index], section)?;
        }
        for reference in &other.name_reference {
            let same = self.name_reference.iter_mut().find(|r| {
                r.group == reference.group
                    && r.version == reference.version
                    && r.kind == reference.kind
            });
            match same {
                Some(same) => merge_all(&mut same.referrers, &reference.referrers)?,
                None => self.name_reference.push(reference.clone()),
            }
        }
        Ok(())
    }
}

/// Merges a section; either side `None` is Kustomize's own specs, and so is the
/// result of merging two of them.
fn merge_section(
    into: &mut Option<Vec<Spec>>,
    other: &Option<Vec<Spec>>,
    section: Section,
) -> Result<(), ConfigError> {
    if into.is_none() && other.is_none() {
        return Ok(());
    }
    let mut merged = into.take().unwrap_or_else(|| builtin(section));
    match other {
        Some(other) => merge_all(&mut merged, other)?,
        None => merge_all(&mut merged, &builtin(section))?,
    }
    *into = Some(merged);
    Ok(())
}

/// Kustomize's `FsSlice.MergeAll` then `sortFields`: a spec whose path an earlier
/// one has, for kinds this one selects, is left out (or is the conflict, when
/// `create` differs); the rest are appended, and the whole is sorted by kind.
fn merge_all(into: &mut Vec<Spec>, incoming: &[Spec]) -> Result<(), ConfigError> {
    for spec in incoming {
        let listed = into
            .iter()
            .find(|s| s.path == spec.path && s.field_spec().selected_by(&spec.field_spec()));
        match listed {
            Some(listed) if listed.create != spec.create => {
                return Err(ConfigError::Conflict {
                    at: spec.at.or(listed.at).unwrap_or_default(),
                    path: spec.path.to_string(),
                });
            }
            Some(_) => {}
            None => into.push(spec.clone()),
        }
    }
    into.sort_by_cached_key(Spec::sort_key);
    Ok(())
}

/// Reads one configuration file (its first document; `None` for an empty file),
/// strictly: an unknown field is Kustomize's error.
pub(crate) fn read(file: Option<&Node>) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    let Some(root) = file else {
        return Ok(config);
    };
    let Some(map) = fields::mapping(root, "configuration")? else {
        return Ok(config);
    };
    if let Some(unknown) = fields::unknown_key(map, &SECTIONS) {
        return Err(ConfigError::Unknown {
            at: unknown.key_at,
            field: unknown.key.to_string(),
            within: "a configuration",
        });
    }
    if let Some(entry) = fields::entry(root, "nameReference") {
        config.name_reference = name_references(entry)?;
    }
    for (name, section) in RENDERED {
        let Some(entry) = fields::entry(root, name) else {
            continue;
        };
        let mut specs = specs(&entry.value, name)?;
        if specs.is_empty() {
            continue;
        }
        // A file is read sorted, then merged into an empty configuration: its own
        // duplicates and conflicts count too.
        specs.sort_by_cached_key(Spec::sort_key);
        let mut merged = Vec::new();
        merge_all(&mut merged, &specs)?;
        config.sections[section as usize] = Some(merged);
    }
    Ok(config)
}

/// Merges the files of one kustomization's `configurations`, in order, then into
/// Kustomize's own specs (Kustomize's `MakeTransformerConfig`).
pub(crate) fn of_files(files: &[Config]) -> Result<Config, ConfigError> {
    let mut custom = Config::default();
    for file in files {
        merge_files(&mut custom, file)?;
    }
    let mut config = Config::default();
    config.merge(&custom)?;
    Ok(config)
}

/// Merges `other` into what a build accumulated (`None` before anything was): the
/// first merge is into an empty configuration, as Kustomize's accumulator starts, so
/// it too leaves out the specs that an earlier one of the same path selects.
pub(crate) fn accumulate(acc: &mut Option<Config>, other: &Config) -> Result<(), ConfigError> {
    match acc {
        Some(acc) => acc.merge(other),
        None => {
            let mut first = Config::default();
            merge_files(&mut first, other)?;
            *acc = Some(first);
            Ok(())
        }
    }
}

/// Merges files without Kustomize's own specs between them: a section `into` lacks
/// is taken as empty here, not as Kustomize's own.
fn merge_files(into: &mut Config, file: &Config) -> Result<(), ConfigError> {
    for (mine, theirs) in into.sections.iter_mut().zip(&file.sections) {
        if let Some(theirs) = theirs {
            merge_all(mine.get_or_insert_with(Vec::new), theirs)?;
        }
    }
    let references = Config {
        name_reference: file.name_reference.clone(),
        ..Config::default()
    };
    into.merge(&references)
}

fn specs(node: &Node, section: &str) -> Result<Vec<Spec>, ConfigError> {
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(FieldError {
            at: node.at,
            field: section.to_owned(),
            expected: "a list of field specs",
        }
        .into());
    };
    items.iter().map(|item| spec(item, section)).collect()
}

fn text(item: &Node, key: &str) -> Result<String, ConfigError> {
    Ok(fields::string_entry(item, key)?
        .map(|(text, _)| text.to_owned())
        .unwrap_or_default())
}

fn spec(item: &Node, section: &str) -> Result<Spec, ConfigError> {
    if let Some(map) = fields::mapping(item, section)?
        && let Some(unknown) = fields::unknown_key(map, &SPEC_FIELDS)
    {
        return Err(ConfigError::Unknown {
            at: unknown.key_at,
            field: unknown.key.to_string(),
            within: "a field spec",
        });
    }
    let path = text(item, "path")?;
    // Kustomize fails on an empty path wherever the spec selects an object.
    if path.is_empty() {
        return Err(ConfigError::NoPath { at: item.at });
    }
    let create = match fields::entry(item, "create") {
        Some(Entry { value, .. }) => fields::boolean(value, "create")?,
        None => false,
    };
    Ok(Spec {
        group: Cow::Owned(text(item, "group")?),
        version: Cow::Owned(text(item, "version")?),
        kind: Cow::Owned(text(item, "kind")?),
        path: Cow::Owned(path),
        create,
        at: Some(item.at),
    })
}

fn name_references(entry: &Entry) -> Result<Vec<NameReference>, ConfigError> {
    let node = &entry.value;
    if node.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = node.as_seq() else {
        return Err(FieldError {
            at: node.at,
            field: "nameReference".to_owned(),
            expected: "a list of name references",
        }
        .into());
    };
    let mut out: Vec<NameReference> = Vec::new();
    for item in items {
        if let Some(map) = fields::mapping(item, "nameReference")?
            && let Some(unknown) = fields::unknown_key(map, &REFERENCE_FIELDS)
        {
            return Err(ConfigError::Unknown {
                at: unknown.key_at,
                field: unknown.key.to_string(),
                within: "a name reference",
            });
        }
        let referrers = match fields::get(item, "fieldSpecs") {
            Some(list) => specs(list, "fieldSpecs")?,
            None => Vec::new(),
        };
        let reference = NameReference {
            group: text(item, "group")?,
            version: text(item, "version")?,
            kind: text(item, "kind")?,
            referrers: Vec::new(),
        };
        let same = out.iter_mut().find(|r| {
            r.group == reference.group && r.version == reference.version && r.kind == reference.kind
        });
        match same {
            Some(same) => merge_all(&mut same.referrers, &referrers)?,
            None => {
                let mut reference = reference;
                merge_all(&mut reference.referrers, &referrers)?;
                out.push(reference);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::kustomize::testing::parse;

    fn read_text(text: &str) -> Result<Config, ConfigError> {
        let node = parse(text, FileId(1));
        read(Some(&node))
    }

    fn paths(specs: &[Spec]) -> Vec<String> {
        specs
            .iter()
            .map(|s| format!("{}:{}", s.kind, s.path))
            .collect()
    }

    #[test]
    fn specs_sort_by_kind_rank_then_group_version_kind_with_empty_parts_last() {
        let config = read_text(
            "namePrefix:\n- path: a\n- kind: Agent\n  path: b\n- kind: Deployment\n  path: c\n- kind: ValidatingWebhookConfiguration\n  path: d\n- group: x\n  kind: Agent\n  path: e\n",
        )
        .expect("valid");
        let specs = config.sections[Section::NamePrefix as usize]
            .as_deref()
            .expect("configured");
        // Deployment ranks first, the webhook last; then `x_~V_Agent`,
        // `~G_~V_Agent`, `~G_~V_~K`.
        assert_eq!(
            paths(specs),
            [
                "Deployment:c",
                "Agent:e",
                "Agent:b",
                ":a",
                "ValidatingWebhookConfiguration:d"
            ]
        );
    }

    #[test]
    fn a_merge_keeps_the_first_spec_of_a_path_that_another_selects() {
        let agent =
            read_text("namePrefix:\n- kind: Agent\n  path: metadata/name\n").expect("valid");
        // Into Kustomize's own: the Agent's spec selects fewer kinds, so both stay.
        let own = of_files(std::slice::from_ref(&agent)).expect("merges");
        assert_eq!(
            paths(&own.specs(Section::NamePrefix)),
            ["Agent:metadata/name", ":metadata/name"]
        );
        // Into an empty accumulator, Kustomize's own is selected by the Agent's,
        // which comes first: it is left out.
        let mut accumulated = None;
        accumulate(&mut accumulated, &own).expect("merges");
        let accumulated = accumulated.expect("accumulated");
        assert_eq!(
            paths(&accumulated.specs(Section::NamePrefix)),
            ["Agent:metadata/name"]
        );
        // A section no file configured stays Kustomize's own, unmaterialized.
        assert!(accumulated.configured(Section::CommonLabels).is_none());
        assert_eq!(accumulated.specs(Section::NameSuffix).len(), 1);
    }

    #[test]
    fn a_spec_that_differs_only_in_create_is_a_conflict_at_it() {
        let file =
            read_text("commonLabels:\n- path: metadata/labels\n  create: false\n").expect("valid");
        let e = of_files(&[file]).expect_err("conflicts with Kustomize's own");
        assert!(
            matches!(&e, ConfigError::Conflict { path, .. } if path == "metadata/labels"),
            "{e:?}"
        );
        assert_eq!(e.at().span.start.line, 2);
        // Within one file too.
        let e = read_text("images:\n- path: a/b\n- path: a/b\n  create: true\n")
            .expect_err("conflicts with the first");
        assert_eq!(e.at().span.start.line, 3);
    }

    #[test]
    fn name_references_of_one_kind_merge_their_referrers() {
        let config = read_text(
            "nameReference:\n- kind: ServiceAccount\n  fieldSpecs:\n  - kind: A\n    path: x\n- kind: ServiceAccount\n  fieldSpecs:\n  - kind: A\n    path: x\n  - kind: B\n    path: z\n- kind: Secret\n  version: v1\n",
        )
        .expect("valid");
        let references = config.name_references();
        assert_eq!(references.len(), 2);
        assert_eq!(paths(&references[0].referrers), ["A:x", "B:z"]);
        assert_eq!(
            (references[1].kind.as_str(), references[1].version.as_str()),
            ("Secret", "v1")
        );
    }

    #[test]
    fn a_file_is_read_strictly() {
        let e = read_text("nameReferences: []\n").expect_err("unknown section");
        assert_eq!(
            e.to_string(),
            "unknown field `nameReferences` in a configuration: Kustomize v5 rejects it"
        );
        let e = read_text("namePrefix: metadata/name\n").expect_err("not a list");
        assert_eq!(e.to_string(), "`namePrefix` must be a list of field specs");
        let e = read_text("namePrefix:\n- path: a\n  create: maybe\n").expect_err("not a boolean");
        assert_eq!(e.to_string(), "`create` must be a boolean");
        // Empty and null sections change nothing; an empty file neither.
        assert_eq!(read_text("images: []\nreplicas:\n"), Ok(Config::default()));
        assert_eq!(read(None), Ok(Config::default()));
    }
}
