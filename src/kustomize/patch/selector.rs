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

/// A label (or annotation) selector: every requirement must hold.
#[derive(Debug, Default)]
struct Requirements(Vec<Requirement>);

#[derive(Debug)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Exists,
    DoesNotExist,
    In,
    NotIn,
}

/// The selector syntax's tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Not,
    Equals,
    NotEquals,
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '=' => {
                chars.next();
                chars.next_if_eq(&'=');
                out.push(Token::Equals);
            }
            '!' => {
                chars.next();
                if chars.next_if_eq(&'=').is_some() {
                    out.push(Token::NotEquals);
                } else {
                    out.push(Token::Not);
                }
            }
            _ => {
                let mut word = String::new();
                while let Some(c) = chars.next_if(|c| !c.is_whitespace() && !"()!=,".contains(*c)) {
                    word.push(c);
                }
                out.push(Token::Word(word));
            }
        }
    }
    out
}

impl Requirements {
    fn parse(text: &str, at: Origin) -> Result<Requirements, PatchError> {
        let fail = |reason: String| bad(at, format!("selector `{text}`: {reason}"));
        let tokens = tokens(text);
        let mut rest = tokens.as_slice();
        let mut requirements = Vec::new();
        while !rest.is_empty() {
            let (requirement, after) = Requirement::parse(rest).map_err(&fail)?;
            requirement.validate().map_err(&fail)?;
            requirements.push(requirement);
            rest = match after {
                [] => after,
                [Token::Comma, more @ ..] if !more.is_empty() => more,
                _ => return Err(fail("expected `,` between requirements".into())),
            };
        }
        Ok(Requirements(requirements))
    }

    fn matches(&self, map: Option<&Node>) -> bool {
        let value = |key: &str| {
            map.and_then(|m| m.get(key))
                .map(|v| v.as_scalar().map_or("", |s| s.text.as_str()))
        };
        self.0.iter().all(|r| {
            let found = value(&r.key);
            match r.op {
                Op::Exists => found.is_some(),
                Op::DoesNotExist => found.is_none(),
                Op::In => found.is_some_and(|v| r.values.iter().any(|w| w == v)),
                Op::NotIn => found.is_none_or(|v| r.values.iter().all(|w| w != v)),
            }
        })
    }
}

impl Requirement {
    fn parse(tokens: &[Token]) -> Result<(Requirement, &[Token]), String> {
        let word = |t: &Token| match t {
            Token::Word(w) => Some(w.clone()),
            _ => None,
        };
        let requirement =
            |key: String, op: Op, values: Vec<String>| Requirement { key, op, values };
        match tokens {
            [Token::Not, Token::Word(key), rest @ ..] => {
                Ok((requirement(key.clone(), Op::DoesNotExist, Vec::new()), rest))
            }
            [Token::Word(key), Token::Equals | Token::NotEquals, rest @ ..] => {
                let op = if tokens[1] == Token::Equals { Op::In } else { Op::NotIn };
                // `key=` selects an empty value.
                let (value, rest) = match rest.split_first() {
                    Some((t, more)) if word(t).is_some() => (word(t).unwrap_or_default(), more),
                    _ => (String::new(), rest),
                };
                Ok((requirement(key.clone(), op, vec![value]), rest))
            }
            [Token::Word(key), Token::Word(op), Token::Open, rest @ ..] if op == "in" || op == "notin" => {
                let op = if op == "in" { Op::In } else { Op::NotIn };
                let (values, rest) = value_list(rest)?;
                if values.is_empty() {
                    return Err("`in` and `notin` need at least one value".into());
                }
                Ok((requirement(key.clone(), op, values), rest))
            }
            [Token::Word(key), rest @ ..] if matches!(rest.first(), None | Some(Token::Comma)) => {
                Ok((requirement(key.clone(), Op::Exists, Vec::new()), rest))
            }
            _ => Err("expected `key`, `!key`, `key=value`, `key!=value`, `key in (...)` or `key notin (...)`".into()),
        }
    }

    fn validate(&self) -> Result<(), String> {
        if !is_qualified_name(&self.key) {
            return Err(format!("`{}` is not a valid label key", self.key));
        }
        match self.values.iter().find(|v| !is_label_value(v)) {
            Some(value) => Err(format!("`{value}` is not a valid label value")),
            None => Ok(()),
        }
    }
}

/// The values of `(a, b, c)`, after the opening parenthesis.
fn value_list(mut tokens: &[Token]) -> Result<(Vec<String>, &[Token]), String> {
    let mut values = Vec::new();
    let mut expect_value = true;
    loop {
        match tokens {
            [Token::Close, rest @ ..] => return Ok((values, rest)),
            [Token::Word(w), rest @ ..] if expect_value => {
                values.push(w.clone());
                expect_value = false;
                tokens = rest;
            }
            [Token::Comma, rest @ ..] if !expect_value => {
                expect_value = true;
                tokens = rest;
            }
            _ => return Err("expected `value, ...)`".into()),
        }
    }
}

/// A Kubernetes label value: empty, or at most 63 letters, digits, `-`, `_`, `.`,
/// starting and ending with a letter or digit.
fn is_label_value(value: &str) -> bool {
    value.is_empty()
        || (value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A Kubernetes qualified name: an optional DNS subdomain prefix and `/`, then a
/// non-empty name like a label value.
fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|part| {
                !part.is_empty()
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            })
    });
    prefix_ok && !name.is_empty() && is_label_value(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::patch::test_support::{BASE, PATCH, at, doc, docs, plain};
    use crate::kustomize::patch::{PatchKind, json6902, strategic};

    fn selector(text: &str) -> Selector {
        Selector::read(&doc(text, PATCH)).expect("a valid target")
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
        let objects = docs(OBJECTS, BASE);
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
        let objects = docs(OBJECTS, BASE);
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
        let patch = ResId::of(&doc(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api}\n",
            PATCH,
        ));
        assert!(patch.same(&sa));
        let elsewhere = ResId::of(&doc(
            "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: x}\n",
            PATCH,
        ));
        assert!(!elsewhere.same(&sa));
        let other_version = ResId::of(&doc(
            "apiVersion: v2\nkind: ServiceAccount\nmetadata: {name: api}\n",
            PATCH,
        ));
        assert!(!other_version.same(&sa));
    }

    #[test]
    fn names_and_namespaces_match_the_original_or_the_current_ones() {
        let renamed = doc(
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
        let objects = docs(OBJECTS, BASE);
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
        let err = |text: &str| Selector::read(&doc(text, PATCH)).expect_err("invalid");
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
        assert!(Selector::read(&doc("- kind: Pod\n", PATCH)).is_err());
    }

    #[test]
    fn targets_choose_the_objects_kubectl_patches() {
        let mut objects = docs(
            include_str!("../../../fixtures/kustomize/patch-selectors/base.yaml"),
            BASE,
        );
        let kustomization = doc(
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
            let patch = docs(text, PATCH);
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
        let expected = docs(
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
