//! `replicas`: Kustomize's ReplicaCountTransformer. Each entry sets `spec.replicas` of
//! the Deployments, ReplicationControllers, ReplicaSets and StatefulSets it names (by
//! their current or any earlier name), creating the field where it is missing; an
//! entry that names none of them is Kustomize's error.

use super::{FieldSpec, walk};
use crate::kustomize::fields::{self, FieldError};
use crate::kustomize::node::{Node, Scalar, Value};
use crate::kustomize::render::Resource;
use crate::origin::Origin;
use crate::yaml::scalar::Value as Typed;

const fn replicas_of(kind: &'static str) -> FieldSpec<'static> {
    FieldSpec {
        group: "",
        version: "",
        kind,
        path: "spec/replicas",
        create: true,
    }
}

/// Kustomize's own `replicas` field specs.
pub(crate) const FIELD_SPECS: [FieldSpec<'static>; 4] = [
    replicas_of("Deployment"),
    replicas_of("ReplicationController"),
    replicas_of("ReplicaSet"),
    replicas_of("StatefulSet"),
];

/// One `replicas` entry.
#[derive(Debug)]
pub(crate) struct Replica {
    name: String,
    count: i64,
    /// The `count:` value (the entry where it has none): the value written points at it.
    at: Origin,
    /// The `count:` key (the entry where it has none): fields created point at it.
    key_at: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("unknown field `{field}` in a replica: Kustomize v5 rejects it")]
    Unknown { at: Origin, field: String },
    #[error("`count` must be an integer")]
    NotACount { at: Origin },
    /// `kinds`: those the field specs select, listed (`Deployment or StatefulSet`).
    #[error("no {kinds} is named `{name}`, which Kustomize refuses")]
    NoMatch {
        at: Origin,
        name: String,
        kinds: String,
    },
}

impl ReplicaError {
    pub fn at(&self) -> Origin {
        match self {
            ReplicaError::Field(e) => e.at,
            ReplicaError::Unknown { at, .. }
            | ReplicaError::NotACount { at }
            | ReplicaError::NoMatch { at, .. } => *at,
        }
    }
}

/// The entries of a kustomization's `replicas`.
pub(crate) fn read(kustomization: &Node) -> Result<Vec<Replica>, ReplicaError> {
    let Some(list) = fields::get(kustomization, "replicas").filter(|l| !l.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(items) = list.as_seq() else {
        return Err(FieldError {
            at: list.at,
            field: "replicas".to_owned(),
            expected: "a list of replicas",
        }
        .into());
    };
    items.iter().map(entry).collect()
}

fn entry(item: &Node) -> Result<Replica, ReplicaError> {
    // A null entry, or one without `count`, sets no name's count to 0, as Go decodes it.
    if let Some(map) = fields::mapping(item, "replicas")?
        && let Some(unknown) = fields::unknown_key(map, &["name", "count"])
    {
        return Err(ReplicaError::Unknown {
            at: unknown.key_at,
            field: unknown.key.to_string(),
        });
    }
    let name = fields::string_entry(item, "name")?
        .map(|(text, _)| text.to_owned())
        .unwrap_or_default();
    let (count, at, key_at) = match fields::entry(item, "count") {
        None => (0, item.at, item.at),
        Some(entry) => {
            let count = match entry.value.as_scalar().map(Scalar::typed) {
                Some(Typed::Int(count)) => count,
                Some(Typed::Null) => 0,
                // YAML read as JSON: a float with no fraction is an integer to Go.
                Some(Typed::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => f as i64,
                _ => {
                    return Err(ReplicaError::NotACount { at: entry.value.at });
                }
            };
            (count, entry.value.at, entry.key_at)
        }
    };
    Ok(Replica {
        name,
        count,
        at,
        key_at,
    })
}

/// Sets the count of the objects the entry names.
/// The kinds `specs` select, in order, as a sentence lists them.
fn listed_kinds(specs: &[FieldSpec<'_>]) -> String {
    let mut kinds: Vec<&str> = Vec::new();
    for spec in specs {
        let kind = if spec.kind.is_empty() {
            "object"
        } else {
            spec.kind
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    match kinds.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "object".to_owned(),
    }
}

/// Sets the count where each field spec (`configured` where `configurations` changed
/// Kustomize's own) selects an object of the entry's name; none selected is
/// Kustomize's error.
pub(crate) fn apply(
    resources: &mut [Resource],
    replica: &Replica,
    configured: Option<&[FieldSpec<'_>]>,
) -> Result<(), ReplicaError> {
    let specs = configured.unwrap_or(&FIELD_SPECS);
    let mut found = false;
    for spec in specs {
        for resource in resources.iter_mut() {
            let named = resource.name() == replica.name
                || resource
                    .previous
                    .iter()
                    .any(|(_, name)| name.as_str() == replica.name);
            if !named || !spec.selects(resource.api_version(), resource.kind()) {
                continue;
            }
            found = true;
            walk(
                &mut resource.node,
                spec.path,
                spec.create.then_some(replica.key_at),
                &mut |parent, key| {
                    if !spec.create && parent.get(key).is_none() {
                        return;
                    }
                    let count = Scalar::plain(replica.count.to_string());
                    parent.set(
                        key,
                        replica.key_at,
                        Node::new(Value::Scalar(count), replica.at),
                    );
                },
            );
        }
    }
    if !found {
        return Err(ReplicaError::NoMatch {
            at: replica.key_at,
            name: replica.name.clone(),
            kinds: listed_kinds(specs),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::FileId;
    use crate::kustomize::testing::parse;

    #[test]
    fn counts_are_integers_and_unknown_fields_are_errors() {
        let read_one = |text: &str| read(&parse(text, FileId(1)));
        let replicas =
            read_one("replicas:\n- name: a\n  count: 3\n- name: b\n  count: 2.0\n- name: c\n")
                .expect("valid");
        let counts: Vec<_> = replicas
            .iter()
            .map(|r| (r.name.as_str(), r.count))
            .collect();
        assert_eq!(counts, [("a", 3), ("b", 2), ("c", 0)]);
        assert_eq!(replicas[0].at.span.start.line, 3);
        let e = read_one("replicas:\n- name: a\n  count: '3'\n").unwrap_err();
        assert_eq!((e.at().span.start.line, e.at().span.start.col), (3, 10));
        assert_eq!(e.to_string(), "`count` must be an integer");
        let e = read_one("replicas:\n- name: a\n  replicas: 3\n").unwrap_err();
        assert!(e.to_string().contains("unknown field `replicas`"), "{e}");
    }
}
