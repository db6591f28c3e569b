//! The objects a patch applies to. A `target` selects by group, version, kind, name
//! and namespace, each a regular expression that must match the whole value (as
//! Kustomize anchors them), and by label and annotation selectors in Kubernetes'
//! syntax (`a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b)`, `a`, `!a`). Names and
//! namespaces match the object's current or original ones, and a missing namespace
//! is `default`, as in Kustomize. A strategic merge patch without a target applies to
//! the object its own apiVersion, kind, name and namespace identify
//! ([`ResId`](crate::kustomize::resid::ResId)).

use regex_automata::meta::Regex;

use super::PatchError;
use crate::kustomize::label_selector::LabelSelector;
use crate::kustomize::node::Node;
use crate::kustomize::resid::ResId;
use crate::origin::Origin;

/// A parsed `target`.
#[derive(Debug)]
pub struct Selector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Requirements,
    annotations: Requirements,
}

impl Selector {
    /// Reads a `target` mapping. Unknown fields, values that are not strings, bad
    /// regular expressions and bad label selectors are errors at their position.
    pub fn read(target: &Node) -> Result<Selector, PatchError> {
        let Some(entries) = target.as_map() else {
            return Err(bad(target.at, "a target must be a mapping"));
        };
        let mut selector = Selector {
            group: None,
            version: None,
            kind: None,
            name: None,
            namespace: None,
            labels: Requirements::default(),
            annotations: Requirements::default(),
        };
        for entry in entries {
            let value = &entry.value;
            let Some(text) = value.as_str().or_else(|| value.is_null().then_some("")) else {
                return Err(bad(value.at, format!("`{}` must be a string", entry.key)));
            };
            match entry.key.as_str() {
                "group" => selector.group = pattern(text, value.at)?,
                "version" => selector.version = pattern(text, value.at)?,
                "kind" => selector.kind = pattern(text, value.at)?,
                "name" => selector.name = pattern(text, value.at)?,
                "namespace" => selector.namespace = pattern(text, value.at)?,
                "labelSelector" => selector.labels = Requirements::parse(text, value.at)?,
                "annotationSelector" => selector.annotations = Requirements::parse(text, value.at)?,
                other => {
                    return Err(bad(
                        entry.key_at,
                        format!(
                            "unknown field `{other}` (expected group, version, kind, name, namespace, labelSelector or annotationSelector)"
                        ),
                    ));
                }
            }
        }
        Ok(selector)
    }

    /// Whether the selector chooses `object`, whose identity before any
    /// transformation was `original`.
    pub fn matches(&self, object: &Node, original: &ResId) -> bool {
        let current = ResId::of(object);
        let any = |regex: &Option<Regex>, values: [&str; 2]| {
            regex
                .as_ref()
                .is_none_or(|r| values.iter().any(|v| r.is_match(*v)))
        };
        let one =
            |regex: &Option<Regex>, value: &str| regex.as_ref().is_none_or(|r| r.is_match(value));
        any(
            &self.namespace,
            [
                original.effective_namespace(),
                current.effective_namespace(),
            ],
        ) && any(&self.name, [&original.name, &current.name])
            && one(&self.group, &current.group)
            && one(&self.version, &current.version)
            && one(&self.kind, &current.kind)
            && self
                .labels
                .matches(object.get_path(&["metadata", "labels"]))
            && self
                .annotations
                .matches(object.get_path(&["metadata", "annotations"]))
    }
}

fn bad(at: Origin, reason: impl Into<String>) -> PatchError {
    PatchError::BadSelector {
        at,
        reason: reason.into(),
    }
}

/// A field's regular expression, anchored at both ends as Kustomize anchors it; an
/// empty one selects everything.
fn pattern(text: &str, at: Origin) -> Result<Option<Regex>, PatchError> {
    if text.is_empty() {
        return Ok(None);
    }
    Regex::new(&format!("^(?:{text})$"))
        .map(Some)
        .map_err(|err| bad(at, format!("`{text}` is not a regular expression: {err}")))
}

/// A target's label (or annotation) selector; its errors point at the target's field.
#[derive(Debug, Default)]
struct Requirements(LabelSelector);

impl Requirements {
    fn parse(text: &str, at: Origin) -> Result<Requirements, PatchError> {
        LabelSelector::parse(text)
            .map(Requirements)
            .map_err(|err| bad(at, err.to_string()))
    }

    fn matches(&self, map: Option<&Node>) -> bool {
        self.0.matches_map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::patch::test_support::{BASE, PATCH, plain};
    use crate::kustomize::patch::{PatchKind, json6902, strategic};
    use crate::kustomize::testing::{at, parse, parse_all};

    fn selector(text: &str) -> Selector {
        Selector::read(&parse(text, PATCH)).expect("a valid target")
    }

    fn chosen(target: &str, objects: &[Node]) -> Vec<String> {
        let selector = selector(target);
        objects
            .iter()
            .filter(|o| selector.matches(o, &ResId::of(o)))
            .map(|o| {
                let id = ResId::of(o);
                format!("{}/{}", id.kind, id.name)
            })
            .collect()
    }

    const OBJECTS: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api, tier: web}, annotations: {owner: a}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api-worker, namespace: jobs, labels: {app: api, legacy: 'true'}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: api, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: api}
";

    #[test]
    fn names_kinds_and_groups_are_whole_value_regexes() {
        let objects = parse_all(OBJECTS, BASE);
        assert_eq!(
            chosen("name: api", &objects),
            ["Deployment/api", "ServiceAccount/api", "ClusterRole/api"]
        );
        assert_eq!(chosen("name: api-.*", &objects), ["Deployment/api-worker"]);
        assert_eq!(chosen("kind: Deploy", &objects), Vec::<String>::new());
        assert_eq!(
            chosen("kind: Service.*|ClusterRole", &objects),
            ["ServiceAccount/api", "ClusterRole/api"]
        );
        assert_eq!(
            chosen("group: rbac.*\nversion: v1", &objects),
            ["ClusterRole/api"]
        );
        assert_eq!(
            chosen("version: v1\nkind: ServiceAccount", &objects),
            ["ServiceAccount/api"]
        );
        assert_eq!(chosen("group: ''\nname: ''", &objects).len(), 4);
    }

    #[test]
    fn a_missing_namespace_is_default_and_a_cluster_scoped_kind_has_none() {
        let objects = parse_all(OBJECTS, BASE);
        assert_eq!(
            chosen("namespace: default", &objects),
            ["Deployment/api", "ServiceAccount/api"]
        );
        assert_eq!(
            chosen("namespace: jo.*", &objects),
            ["Deployment/api-worker"]
        );
        let role = ResId::of(&objects[3]);
        assert_eq!(role.effective_namespace(), "_non_namespaceable_");
        let sa = ResId::of(&objects[2]);
        let patch = ResId::of(&parse(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api}\n",
            PATCH,
        ));
        assert!(patch.same(&sa));
        let elsewhere = ResId::of(&parse(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: x}\n",
            PATCH,
        ));
        assert!(!elsewhere.same(&sa));
        let other_version = ResId::of(&parse(
            "apiVersion: v2\nkind: ServiceAccount\nmetadata: {name: api}\n",
            PATCH,
        ));
        assert!(!other_version.same(&sa));
    }

    #[test]
    fn names_and_namespaces_match_the_original_or_the_current_ones() {
        let renamed = parse(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: prod-api, namespace: prod}\n",
            BASE,
        );
        let original = ResId {
            version: "v1".into(),
            kind: "ServiceAccount".into(),
            name: "api".into(),
            ..ResId::default()
        };
        for target in [
            "name: api",
            "name: prod-api",
            "namespace: default",
            "namespace: prod",
        ] {
            assert!(selector(target).matches(&renamed, &original), "{target}");
        }
        assert!(!selector("name: dev-api").matches(&renamed, &original));
    }

    #[test]
    fn label_and_annotation_selectors_use_the_kubernetes_syntax() {
        let objects = parse_all(OBJECTS, BASE);
        let labels = |s: &str| chosen(&format!("labelSelector: '{s}'"), &objects);
        assert_eq!(
            labels("app=api,tier in (web, worker),!legacy"),
            ["Deployment/api"]
        );
        assert_eq!(labels("app==api, legacy"), ["Deployment/api-worker"]);
        assert_eq!(
            labels("tier!=web"),
            [
                "Deployment/api-worker",
                "ServiceAccount/api",
                "ClusterRole/api"
            ]
        );
        assert_eq!(labels("tier notin (web),app"), ["Deployment/api-worker"]);
        assert_eq!(labels("tier="), Vec::<String>::new());
        assert_eq!(
            chosen("annotationSelector: owner=a", &objects),
            ["Deployment/api"]
        );
    }

    #[test]
    fn a_bad_target_is_an_error_at_its_position() {
        let err = |text: &str| Selector::read(&parse(text, PATCH)).expect_err("invalid");
        let e = err("kind: Pod\nname: 'api('\n");
        assert_eq!(at(e.at()), (PATCH, 2, 7));
        assert!(
            e.to_string()
                .starts_with("patch target: `api(` is not a regular expression"),
            "{e}"
        );
        let e = err("kind: Pod\nnames: api\n");
        assert_eq!(at(e.at()), (PATCH, 2, 1));
        assert!(e.to_string().contains("unknown field `names`"), "{e}");
        let e = err("labelSelector: 'app in (a'\n");
        assert_eq!(at(e.at()), (PATCH, 1, 16));
        assert_eq!(
            e.to_string(),
            "patch target: selector `app in (a`: expected `value, ...)`"
        );
        for bad in [
            "app in ()",
            "=x",
            "app=x y",
            "-app",
            "app=-x",
            "app,",
            "a/b/c",
        ] {
            assert!(Requirements::parse(bad, e.at()).is_err(), "{bad}");
        }
        let e = err("name: [api]\n");
        assert_eq!(e.to_string(), "patch target: `name` must be a string");
        assert!(Selector::read(&parse("- kind: Pod\n", PATCH)).is_err());
    }

    #[test]
    fn targets_choose_the_objects_kubectl_patches() {
        let mut objects = parse_all(
            include_str!("../../../fixtures/kustomize/patch-selectors/base.yaml"),
            BASE,
        );
        let kustomization = parse(
            include_str!("../../../fixtures/kustomize/patch-selectors/kustomization.yaml"),
            PATCH,
        );
        let entries = kustomization
            .get("patches")
            .and_then(Node::as_seq)
            .expect("patches");
        for entry in entries {
            let selector = Selector::read(entry.get("target").expect("a target")).expect("valid");
            let text = entry
                .get("patch")
                .and_then(Node::as_str)
                .expect("an inline patch");
            let patch = parse_all(text, PATCH);
            let kind = PatchKind::of(&patch).expect("a patch");
            for object in &mut objects {
                if !selector.matches(object, &ResId::of(object)) {
                    continue;
                }
                match kind {
                    PatchKind::Json6902 => json6902::apply(object, &patch[0]).expect("applies"),
                    PatchKind::Strategic => {
                        strategic::merge(object, &patch[0]).expect("applies");
                    }
                }
            }
        }
        let expected = parse_all(
            include_str!("../../../fixtures/kustomize/patch-selectors/expected.yaml"),
            BASE,
        );
        let by_id = |nodes: &[Node]| {
            let mut all: Vec<_> = nodes
                .iter()
                .map(|n| (ResId::of(n).kind, ResId::of(n).name, plain(n)))
                .collect();
            all.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
            all
        };
        assert_eq!(by_id(&objects), by_id(&expected));
    }
}
