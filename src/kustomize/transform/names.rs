//! `namePrefix`/`nameSuffix` (Kustomize's Prefix and SuffixTransformers), and the name
//! references Kustomize fixes once a root is rendered (its nameref filter): a
//! `serviceAccountName`, a binding's subjects and `roleRef`, a Secret or ConfigMap
//! reference follow the object they name to its new name and namespace.

use super::config::{NameReference, Spec};
use super::{FieldSpec, group_version, is_cluster_scoped, keys, walk};
use crate::kustomize::file::Pair;
use crate::kustomize::node::{Node, Scalar, Value};
use crate::kustomize::render::{Resource, describe};
use crate::kustomize::resid::effective_namespace;
use crate::origin::Origin;
use crate::yaml::Span;

/// Kinds whose names are never prefixed or suffixed.
fn keeps_its_name(api_version: &str, kind: &str) -> bool {
    let (group, _) = group_version(api_version);
    kind == "CustomResourceDefinition"
        || kind == "Namespace"
        || (kind == "APIService" && group == "apiregistration.k8s.io")
}

pub(crate) fn prefix(
    resources: &mut [Resource],
    pair: &Pair,
    specs: &[Spec],
    at: impl Fn(Span) -> Origin,
) -> Result<(), String> {
    rename(resources, pair, specs, at, true)
}

pub(crate) fn suffix(
    resources: &mut [Resource],
    pair: &Pair,
    specs: &[Spec],
    at: impl Fn(Span) -> Origin,
) -> Result<(), String> {
    rename(resources, pair, specs, at, false)
}

/// Adds the affix where each of `specs` (Kustomize's `metadata/name`, and those of
/// `configurations`) selects the object: `metadata/name` renames it; any other field
/// holds a string that gets the affix too, or is created as the affix alone.
fn rename(
    resources: &mut [Resource],
    pair: &Pair,
    specs: &[Spec],
    at: impl Fn(Span) -> Origin,
    prefix: bool,
) -> Result<(), String> {
    let affix = pair.value.text.as_str();
    let (key_at, value_at) = (at(pair.key.at), at(pair.value.at));
    let affixed = |text: &str| {
        if prefix {
            format!("{affix}{text}")
        } else {
            format!("{text}{affix}")
        }
    };
    for resource in resources.iter_mut() {
        let api_version = resource.api_version().to_owned();
        let kind = resource.kind().to_owned();
        if keeps_its_name(&api_version, &kind) {
            continue;
        }
        for spec in specs {
            if !spec.field_spec().selects(&api_version, &kind) {
                continue;
            }
            if spec.path == "metadata/name" {
                if prefix {
                    resource.prefixes.push(affix.into());
                } else {
                    resource.suffixes.push(affix.into());
                }
                resource.store_previous();
                let name = affixed(resource.name());
                walk(
                    &mut resource.node,
                    "metadata/name",
                    Some(key_at),
                    &mut |parent, key| {
                        parent.set(
                            key,
                            key_at,
                            Node::new(Value::Scalar(Scalar::string(name.as_str())), value_at),
                        );
                    },
                );
                continue;
            }
            let mut refused = None;
            walk(
                &mut resource.node,
                &spec.path,
                spec.create.then_some(key_at),
                &mut |parent, key| {
                    let text = match parent.get(key).filter(|f| !f.is_null()) {
                        None if spec.create => String::new(),
                        None => return,
                        Some(field) => match field.as_str() {
                            Some(text) => text.to_owned(),
                            None => {
                                refused = Some(field.at);
                                return;
                            }
                        },
                    };
                    let key_at = parent.entry(key).map_or(key_at, |e| e.key_at);
                    let value = Node::new(Value::Scalar(Scalar::string(affixed(&text))), value_at);
                    parent.set(key, key_at, value);
                },
            );
            if refused.is_some() {
                return Err(format!(
                    "`{}` of {} is not a string, which Kustomize's {} refuses to change",
                    spec.path,
                    describe(resource),
                    pair.key.text
                ));
            }
        }
    }
    Ok(())
}

/// A field that names an object of kind `target` (an empty group, version or kind is
/// any), in objects that `referrer` selects.
struct Reference<'a> {
    target_group: &'a str,
    target_version: &'a str,
    target_kind: &'a str,
    referrer: FieldSpec<'a>,
}

/// The pod spec of each workload kind Kustomize updates references in.
const POD_SPECS: &[(&str, &str, &str)] = &[
    ("", "Pod", "spec"),
    ("", "PodTemplate", "template/spec"),
    ("", "Deployment", "spec/template/spec"),
    ("", "ReplicaSet", "spec/template/spec"),
    ("", "DaemonSet", "spec/template/spec"),
    ("", "StatefulSet", "spec/template/spec"),
    ("", "Job", "spec/template/spec"),
    ("", "CronJob", "spec/jobTemplate/spec/template/spec"),
    ("", "ReplicationController", "spec/template/spec"),
];

const CONFIG_MAP_FIELDS: &[&str] = &[
    "volumes/configMap/name",
    "containers/env/valueFrom/configMapKeyRef/name",
    "initContainers/env/valueFrom/configMapKeyRef/name",
    "containers/envFrom/configMapRef/name",
    "initContainers/envFrom/configMapRef/name",
    "volumes/projected/sources/configMap/name",
];

const SECRET_FIELDS: &[&str] = &[
    "volumes/secret/secretName",
    "containers/env/valueFrom/secretKeyRef/name",
    "initContainers/env/valueFrom/secretKeyRef/name",
    "containers/envFrom/secretRef/name",
    "initContainers/envFrom/secretRef/name",
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
];

/// Kustomize's name reference table, for the kinds whose references decide a token:
/// ServiceAccounts, Roles and ClusterRoles, Secrets and ConfigMaps.
fn references() -> Vec<(Reference<'static>, String)> {
    let mut out = Vec::new();
    let mut add = |target_group, target_kind, group, version, kind, path: String| {
        out.push((
            Reference {
                target_group,
                target_version: "",
                target_kind,
                referrer: FieldSpec {
                    group,
                    version,
                    kind,
                    path: "",
                    create: false,
                },
            },
            path,
        ));
    };
    for &(group, kind, spec) in POD_SPECS {
        let version = if kind == "Pod" { "v1" } else { "" };
        // Kustomize's lists leave out ReplicationController for ConfigMaps and
        // Secrets, and ReplicaSet and PodTemplate for ServiceAccounts.
        if kind != "ReplicationController" {
            for field in CONFIG_MAP_FIELDS {
                add(
                    "",
                    "ConfigMap",
                    group,
                    version,
                    kind,
                    format!("{spec}/{field}"),
                );
            }
            for field in SECRET_FIELDS {
                add(
                    "",
                    "Secret",
                    group,
                    version,
                    kind,
                    format!("{spec}/{field}"),
                );
            }
        }
        if !matches!(kind, "ReplicaSet" | "PodTemplate") {
            add(
                "",
                "ServiceAccount",
                group,
                "",
                kind,
                format!("{spec}/serviceAccountName"),
            );
        }
    }
    let rbac = "rbac.authorization.k8s.io";
    for kind in ["Role", "ClusterRole"] {
        add(
            "",
            "ConfigMap",
            "",
            "",
            kind,
            "rules/resourceNames".to_owned(),
        );
        add("", "Secret", "", "", kind, "rules/resourceNames".to_owned());
    }
    add(
        "",
        "Secret",
        "",
        "",
        "ServiceAccount",
        "imagePullSecrets/name".to_owned(),
    );
    add(
        "",
        "Secret",
        "",
        "",
        "Ingress",
        "spec/tls/secretName".to_owned(),
    );
    add(
        rbac,
        "Role",
        rbac,
        "",
        "RoleBinding",
        "roleRef/name".to_owned(),
    );
    add(
        rbac,
        "ClusterRole",
        rbac,
        "",
        "RoleBinding",
        "roleRef/name".to_owned(),
    );
    add(
        rbac,
        "ClusterRole",
        rbac,
        "",
        "ClusterRoleBinding",
        "roleRef/name".to_owned(),
    );
    add(
        "",
        "ServiceAccount",
        rbac,
        "",
        "RoleBinding",
        "subjects".to_owned(),
    );
    add(
        "",
        "ServiceAccount",
        rbac,
        "",
        "ClusterRoleBinding",
        "subjects".to_owned(),
    );
    out
}

/// What a reference resolves to: the referred object's current name and namespace,
/// with the origins of the values that made them.
struct Referral {
    name: String,
    name_at: Origin,
    namespace: String,
    namespace_at: Option<Origin>,
}

/// Points every reference at the renamed object it names, as Kustomize does at the
/// end of a build, the `nameReference` entries of `configurations` after its own.
/// Several objects that a reference could name is Kustomize's error.
pub(crate) fn fix_references(
    resources: &mut [Resource],
    configured: &[NameReference],
) -> Result<(), String> {
    if resources.iter().all(|r| r.previous.is_empty()) {
        return Ok(());
    }
    // References change names and namespaces only: each object's kind is looked up once.
    let kinds: Vec<(String, String)> = resources
        .iter()
        .map(|r| (r.api_version().to_owned(), r.kind().to_owned()))
        .collect();
    let own = references();
    let own = own
        .iter()
        .map(|(reference, path)| (reference, path.as_str()));
    let configured: Vec<(Reference<'_>, &str)> = configured
        .iter()
        .flat_map(|target| {
            target.referrers.iter().map(move |referrer| {
                let reference = Reference {
                    target_group: &target.group,
                    target_version: &target.version,
                    target_kind: &target.kind,
                    referrer: referrer.field_spec(),
                };
                (reference, &*referrer.path)
            })
        })
        .collect();
    for (reference, path) in own.chain(configured.iter().map(|(r, p)| (r, *p))) {
        let path = keys(path);
        for (index, (api_version, kind)) in kinds.iter().enumerate() {
            if !reference.referrer.selects(api_version, kind) {
                continue;
            }
            let referrer = &resources[index];
            let mut updates: Vec<(Vec<usize>, Referral)> = Vec::new();
            let mut error = None;
            let mut position = Vec::new();
            collect(
                &referrer.node,
                &path,
                &mut position,
                &mut |node, position| match select(resources, index, reference, &path, node) {
                    Ok(Some(referral)) => updates.push((position.to_vec(), referral)),
                    Ok(None) => {}
                    Err(e) => error = Some(e),
                },
            );
            if let Some(e) = error {
                return Err(e);
            }
            for (position, referral) in updates {
                if let Some(node) = at_position(&mut resources[index].node, &position) {
                    update(node, referral);
                }
            }
        }
    }
    Ok(())
}

/// Calls `found` with every node at `path` and its position (child indices).
fn collect(
    node: &Node,
    path: &[&str],
    position: &mut Vec<usize>,
    found: &mut dyn FnMut(&Node, &[usize]),
) {
    match &node.value {
        Value::Seq(items) if !path.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                position.push(i);
                collect(item, path, position, found);
                position.pop();
            }
        }
        Value::Map(entries) if !path.is_empty() => {
            if let Some(i) = entries.iter().position(|e| e.key == path[0]) {
                position.push(i);
                collect(&entries[i].value, &path[1..], position, found);
                position.pop();
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                position.push(i);
                found(item, position);
                position.pop();
            }
        }
        _ if path.is_empty() => found(node, position),
        _ => {}
    }
}

fn at_position<'n>(node: &'n mut Node, position: &[usize]) -> Option<&'n mut Node> {
    position
        .iter()
        .try_fold(node, |node, &i| match &mut node.value {
            Value::Seq(items) => items.get_mut(i),
            Value::Map(entries) => entries.get_mut(i).map(|e| &mut e.value),
            Value::Scalar(_) => None,
        })
}

fn update(node: &mut Node, referral: Referral) {
    let name = Node::new(
        Value::Scalar(Scalar::string(referral.name.as_str())),
        referral.name_at,
    );
    if node.as_map().is_none() {
        *node = name;
        return;
    }
    let key_at = node.entry("name").map_or(referral.name_at, |e| e.key_at);
    node.set("name", key_at, name);
    if let Some(at) = referral.namespace_at {
        let namespace = Node::new(
            Value::Scalar(Scalar::string(referral.namespace.as_str())),
            at,
        );
        node.set("namespace", at, namespace);
    }
}

/// The object a reference node names, if it was renamed (Kustomize's selectReferral).
fn select(
    resources: &[Resource],
    referrer: usize,
    reference: &Reference,
    path: &[&str],
    node: &Node,
) -> Result<Option<Referral>, String> {
    let (old_name, subject_namespace) = match &node.value {
        Value::Scalar(_) => (node.as_str().unwrap_or(""), None),
        Value::Map(_) => {
            let Some(name) = node.get("name").and_then(Node::as_str) else {
                return Ok(None);
            };
            (
                name,
                node.get("namespace").map(|n| n.as_str().unwrap_or("")),
            )
        }
        Value::Seq(_) => return Ok(None),
    };
    if old_name.is_empty() {
        return Ok(None);
    }
    let this = &resources[referrer];
    let role_ref = (path.last() == Some(&"name") && path.first() == Some(&"roleRef")).then(|| {
        (
            this.node
                .get_path(&["roleRef", "apiGroup"])
                .and_then(Node::as_str)
                .unwrap_or(""),
            this.node
                .get_path(&["roleRef", "kind"])
                .and_then(Node::as_str)
                .unwrap_or(""),
        )
    });
    let referrer_cluster_scoped = is_cluster_scoped(this.api_version(), this.kind());
    let referrer_namespace = effective_namespace(this.namespace());
    let of_kind = |r: &Resource| {
        let (group, version) = group_version(r.api_version());
        (reference.target_kind.is_empty() || r.kind() == reference.target_kind)
            && (reference.target_group.is_empty() || group == reference.target_group)
            && (reference.target_version.is_empty() || version == reference.target_version)
    };
    let mut candidates: Vec<&Resource> = resources.iter().filter(|r| of_kind(r)).collect();
    if let Some(namespace) = subject_namespace {
        let original: Vec<&Resource> = candidates
            .iter()
            .copied()
            .filter(|r| r.original().0 == namespace)
            .collect();
        candidates = if original.is_empty() {
            candidates
                .into_iter()
                .filter(|r| effective_namespace(r.namespace()) == namespace)
                .collect()
        } else {
            original
        };
    }
    candidates.retain(|r| {
        r.previous.iter().any(|(_, name)| name == old_name)
            && role_ref.is_none_or(|(group, kind)| {
                let (g, _) = group_version(r.api_version());
                (group.is_empty() || g == group) && (kind.is_empty() || r.kind() == kind)
            })
            && (referrer_cluster_scoped
                || is_cluster_scoped(r.api_version(), r.kind())
                || r.kind() == "ServiceAccount"
                || effective_namespace(r.namespace()) == referrer_namespace)
    });
    if candidates.len() > 1 {
        candidates.retain(|r| affixes_match(r, this, true));
        if candidates.len() > 1 {
            candidates.retain(|r| affixes_match(r, this, false));
        }
    }
    let Some(first) = candidates.first() else {
        return Ok(None);
    };
    let same = candidates.iter().all(|r| {
        r.name() == first.name()
            && (subject_namespace.is_none() || r.namespace() == first.namespace())
    });
    if !same {
        return Err(format!(
            "a reference to {} `{old_name}` in {} {} could name several objects",
            reference.target_kind,
            this.kind(),
            this.name()
        ));
    }
    // A name is left alone when it is already right; a subject also needs the
    // referral's namespace, if it has one.
    let is_subject = matches!(node.value, Value::Map(_));
    if first.name() == old_name && (!is_subject || first.namespace().is_empty()) {
        return Ok(None);
    }
    let name_at = first
        .node
        .get_path(&["metadata", "name"])
        .map_or(first.node.at, |n| n.at);
    // A subject also takes the namespace of the ServiceAccount it names.
    let namespace_at = if matches!(node.value, Value::Map(_)) && !first.namespace().is_empty() {
        first
            .node
            .get_path(&["metadata", "namespace"])
            .map(|n| n.at)
    } else {
        None
    };
    Ok(Some(Referral {
        name: first.name().to_owned(),
        name_at,
        namespace: first.namespace().to_owned(),
        namespace_at,
    }))
}

/// Kustomize's PrefixesSuffixesEquals: the prefixes (and suffixes) of one end the
/// other's; with `allow_empty`, an object without any matches all.
fn affixes_match(a: &Resource, b: &Resource, allow_empty: bool) -> bool {
    let ends = |x: &[compact_str::CompactString], y: &[compact_str::CompactString]| {
        let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
        long.ends_with(short)
    };
    let prefixes = (allow_empty && (a.prefixes.is_empty() || b.prefixes.is_empty()))
        || ends(&a.prefixes, &b.prefixes);
    let suffixes = (allow_empty && (a.suffixes.is_empty() || b.suffixes.is_empty()))
        || ends(&a.suffixes, &b.suffixes);
    prefixes && suffixes
}
