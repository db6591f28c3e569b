//! `commonLabels`, `labels` and `commonAnnotations` (Kustomize's Label and
//! AnnotationsTransformers): each pair is written into metadata, and, as the field
//! specs say, into pod templates and selectors.

use super::{FieldSpec, walk};
use crate::kustomize::file::Pair;
use crate::kustomize::node::{Node, Scalar, Value};
use crate::kustomize::render::Resource;
use crate::origin::Origin;
use crate::yaml::Span;

const fn spec(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    path: &'static str,
    create: bool,
) -> FieldSpec<'static> {
    FieldSpec {
        group,
        version,
        kind,
        path,
        create,
    }
}

/// Pod and claim template labels (Kustomize's metadataLabels), written by `labels`
/// with `includeTemplates` and by `commonLabels`.
const TEMPLATE_LABELS: &[FieldSpec<'static>] = &[
    spec(
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/labels",
        true,
    ),
    spec("", "", "Deployment", "spec/template/metadata/labels", true),
    spec("", "", "ReplicaSet", "spec/template/metadata/labels", true),
    spec("", "", "DaemonSet", "spec/template/metadata/labels", true),
    spec(
        "apps",
        "",
        "StatefulSet",
        "spec/template/metadata/labels",
        true,
    ),
    spec(
        "apps",
        "",
        "StatefulSet",
        "spec/volumeClaimTemplates[]/metadata/labels",
        true,
    ),
    spec("batch", "", "Job", "spec/template/metadata/labels", true),
    spec(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/labels",
        true,
    ),
    spec(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/labels",
        true,
    ),
];

const AFFINITY: [&str; 5] = [
    "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
    "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

/// Selectors, written by `commonLabels` and `labels` with `includeSelectors`.
const SELECTORS: &[FieldSpec<'static>] = &[
    spec("", "v1", "Service", "spec/selector", true),
    spec("", "v1", "ReplicationController", "spec/selector", true),
    spec("", "", "Deployment", "spec/selector/matchLabels", true),
    spec("apps", "", "Deployment", AFFINITY[0], false),
    spec("apps", "", "Deployment", AFFINITY[1], false),
    spec("apps", "", "Deployment", AFFINITY[2], false),
    spec("apps", "", "Deployment", AFFINITY[3], false),
    spec("apps", "", "Deployment", AFFINITY[4], false),
    spec("", "", "ReplicaSet", "spec/selector/matchLabels", true),
    spec("", "", "DaemonSet", "spec/selector/matchLabels", true),
    spec("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
    spec("apps", "", "StatefulSet", AFFINITY[0], false),
    spec("apps", "", "StatefulSet", AFFINITY[1], false),
    spec("apps", "", "StatefulSet", AFFINITY[2], false),
    spec("apps", "", "StatefulSet", AFFINITY[3], false),
    spec("apps", "", "StatefulSet", AFFINITY[4], false),
    spec("batch", "", "Job", "spec/selector/matchLabels", false),
    spec(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/selector/matchLabels",
        false,
    ),
    spec(
        "policy",
        "",
        "PodDisruptionBudget",
        "spec/selector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "",
        "NetworkPolicy",
        "spec/podSelector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "",
        "NetworkPolicy",
        "spec/ingress/from/podSelector/matchLabels",
        false,
    ),
    spec(
        "networking.k8s.io",
        "",
        "NetworkPolicy",
        "spec/egress/to/podSelector/matchLabels",
        false,
    ),
];

const METADATA_LABELS: FieldSpec<'static> = spec("", "", "", "metadata/labels", true);

pub(crate) const ANNOTATIONS: &[FieldSpec<'static>] = &[
    spec("", "", "", "metadata/annotations", true),
    spec(
        "",
        "v1",
        "ReplicationController",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "",
        "",
        "Deployment",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "",
        "",
        "ReplicaSet",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "",
        "",
        "DaemonSet",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "",
        "",
        "StatefulSet",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "batch",
        "",
        "Job",
        "spec/template/metadata/annotations",
        true,
    ),
    spec(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/metadata/annotations",
        true,
    ),
    spec(
        "batch",
        "",
        "CronJob",
        "spec/jobTemplate/spec/template/metadata/annotations",
        true,
    ),
];

/// Writes label `pairs` where Kustomize's LabelTransformer writes them: into `fields`
/// (a `labels` entry's own field specs), then into metadata, into pod and claim
/// templates with `templates`, and into selectors (and templates) with `selectors`.
/// Kustomize merges its own field specs after the entry's and leaves out each one
/// whose path a listed field has for a kind that one selects: `{kind: Deployment,
/// path: metadata/labels}` labels the metadata of Deployments only. One that differs
/// from such a field in `create` is Kustomize's error: the field's index is returned.
/// The `labels` specs of `configurations` are merged first; their `commonLabels` and
/// `templateLabels` specs stand for Kustomize's own. A conflict is returned with the
/// index of the spec it conflicts with (past the entry's own fields when it is one of
/// the configurations') and its path.
pub(crate) fn labels(
    resources: &mut [Resource],
    pairs: &[Pair],
    (selectors, templates): (bool, bool),
    fields: &[FieldSpec<'_>],
    configured: &Configured<'_>,
    at: impl Fn(Span) -> Origin,
) -> Result<(), (usize, String)> {
    let mut specs = fields.to_vec();
    let conflict = |specs: &[FieldSpec<'_>], i: usize| (i, specs[i].path.to_owned());
    merge_into(&mut specs, configured.labels.as_deref().unwrap_or(&[]))
        .map_err(|i| conflict(&specs, i))?;
    let own_common;
    let own_templates;
    let mut defaults: Vec<&[FieldSpec<'_>]> = Vec::new();
    if selectors {
        own_common = builtin(true, true);
        defaults.push(configured.common.as_deref().unwrap_or(&own_common));
    } else {
        if templates {
            own_templates = builtin(false, true);
            defaults.push(configured.templates.as_deref().unwrap_or(&own_templates));
        }
        defaults.push(&[METADATA_LABELS]);
    }
    for incoming in defaults {
        merge_into(&mut specs, incoming).map_err(|i| conflict(&specs, i))?;
    }
    write(resources, pairs, &specs, &at);
    Ok(())
}

/// The label field specs that `configurations` changed (`None`: Kustomize's own).
#[derive(Debug, Default)]
pub(crate) struct Configured<'a> {
    /// `labels`: for every `labels` entry (Kustomize has none of its own).
    pub labels: Option<Vec<FieldSpec<'a>>>,
    /// `commonLabels`: for `commonLabels` and entries with `includeSelectors`.
    pub common: Option<Vec<FieldSpec<'a>>>,
    /// `templateLabels`: for entries with `includeTemplates`.
    pub templates: Option<Vec<FieldSpec<'a>>>,
}

/// Kustomize's `FsSlice.MergeAll`: a spec whose path one listed has, for kinds it
/// selects, is left out; one that differs from it in `create` is the error, returned
/// as the listed one's index.
fn merge_into<'a>(specs: &mut Vec<FieldSpec<'a>>, incoming: &[FieldSpec<'a>]) -> Result<(), usize> {
    for spec in incoming {
        let listed = specs
            .iter()
            .position(|s| s.path == spec.path && s.selected_by(spec));
        match listed {
            Some(i) if specs[i].create != spec.create => return Err(i),
            Some(_) => {}
            None => specs.push(*spec),
        }
    }
    Ok(())
}

/// Labels in metadata only, where a `labels` entry without options writes them.
pub(crate) fn metadata_labels(
    resources: &mut [Resource],
    pairs: &[Pair],
    at: impl Fn(Span) -> Origin,
) {
    write(resources, pairs, &[METADATA_LABELS], &at);
}

/// `commonLabels`: a `labels` entry with `includeSelectors` and no fields of its own.
/// `configured` replaces Kustomize's own field specs where `configurations` changed
/// them.
pub(crate) fn common_labels(
    resources: &mut [Resource],
    pairs: &[Pair],
    configured: Option<&[FieldSpec<'_>]>,
    at: impl Fn(Span) -> Origin,
) {
    match configured {
        Some(specs) => write(resources, pairs, specs, &at),
        None => write(resources, pairs, &builtin(true, true), &at),
    }
}

/// Kustomize's own field specs for labels (`commonLabels`' with both flags).
pub(crate) fn builtin(selectors: bool, templates: bool) -> Vec<FieldSpec<'static>> {
    let mut specs = vec![METADATA_LABELS];
    if selectors || templates {
        specs.extend_from_slice(TEMPLATE_LABELS);
    }
    if selectors {
        specs.extend_from_slice(SELECTORS);
    }
    specs
}

/// `commonAnnotations`; `configured` replaces Kustomize's own field specs where
/// `configurations` changed them.
pub(crate) fn annotations(
    resources: &mut [Resource],
    pairs: &[Pair],
    configured: Option<&[FieldSpec<'_>]>,
    at: impl Fn(Span) -> Origin,
) {
    write(resources, pairs, configured.unwrap_or(ANNOTATIONS), &at);
}

fn write(
    resources: &mut [Resource],
    pairs: &[Pair],
    specs: &[FieldSpec<'_>],
    at: &dyn Fn(Span) -> Origin,
) {
    let Some(first) = pairs.first() else { return };
    // Maps the transformer creates point at its first pair.
    let created = at(first.key.at);
    for resource in resources.iter_mut() {
        let api_version = resource.api_version().to_owned();
        let kind = resource.kind().to_owned();
        for spec in specs.iter().filter(|s| s.selects(&api_version, &kind)) {
            walk(
                &mut resource.node,
                spec.path,
                spec.create.then_some(created),
                &mut |parent, key| {
                    let missing = parent.get(key).is_none_or(Node::is_null);
                    if missing {
                        if !spec.create {
                            return;
                        }
                        parent.set(key, created, Node::new(Value::Map(Vec::new()), created));
                    }
                    let Some(map) = parent.get_mut(key) else {
                        return;
                    };
                    for pair in pairs {
                        let value = Node::new(
                            Value::Scalar(Scalar::string(pair.value.text.as_str())),
                            at(pair.value.at),
                        );
                        map.set(&pair.key.text, at(pair.key.at), value);
                    }
                },
            );
        }
    }
}
