//! A root's `buildMetadata` (a base's does not count: Kustomize gives every
//! kustomization of a build the root's). `managedByLabel` labels every object's
//! metadata with the Kustomize that built it, as `kubectl kustomize` writes it: the
//! Kustomize built into kubectl reports its version as `(devel)`. The annotations
//! `originAnnotations` and `transformerAnnotations` ask for are not rendered yet.

use super::labels;
use crate::kustomize::file::{Item, Pair};
use crate::kustomize::render::Resource;
use crate::origin::Origin;
use crate::yaml::Span;

const MANAGED_BY_LABEL: &str = "managedByLabel";
const MANAGED_BY_KEY: &str = "app.kubernetes.io/managed-by";
const MANAGED_BY_VALUE: &str = "kustomize-(devel)";

/// The options that add annotations, which a root cannot be rendered with yet, each
/// with the field named in the reason it falls back.
const UNRENDERED: [(&str, &str); 2] = [
    ("originAnnotations", "buildMetadata.originAnnotations"),
    (
        "transformerAnnotations",
        "buildMetadata.transformerAnnotations",
    ),
];

/// The first option that asks for annotations this renderer does not write, and the
/// field to name.
pub(crate) fn unrendered(options: &[Item]) -> Option<(&Item, &'static str)> {
    options.iter().find_map(|option| {
        UNRENDERED
            .iter()
            .find(|(name, _)| option.text == *name)
            .map(|(_, field)| (option, *field))
    })
}

/// The `managedByLabel` option, if given (Kustomize ignores options it does not know).
pub(crate) fn managed_by_label(options: &[Item]) -> Option<&Item> {
    options.iter().find(|o| o.text == MANAGED_BY_LABEL)
}

/// Labels every object as managed by Kustomize; the label points at the option.
pub(crate) fn managed_by(resources: &mut [Resource], option: &Item, at: impl Fn(Span) -> Origin) {
    let item = |text: &str| Item {
        text: text.to_owned(),
        at: option.at,
    };
    let pair = Pair {
        key: item(MANAGED_BY_KEY),
        value: item(MANAGED_BY_VALUE),
    };
    labels::metadata_labels(resources, &[pair], at);
}
