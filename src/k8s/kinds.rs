//! Object kinds: which carry a pod spec and at which path (SPEC 4.1), which are
//! cluster-scoped, and which are the service accounts, RBAC objects and Secrets the scan
//! reads.

use std::sync::PoisonError;

use globset::{Glob, GlobMatcher};

/// `apiVersion` and `kind`, which decide how an object is read.
#[derive(Clone, Copy, Debug)]
pub struct TypeMeta<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
}

/// The API group of Roles, ClusterRoles and their bindings.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

impl TypeMeta<'_> {
    /// The API group: the part of `apiVersion` before `/`, empty for the core group.
    pub fn group(&self) -> &str {
        self.api_version
            .split_once('/')
            .map_or("", |(group, _)| group)
    }

    pub fn is_service_account(&self) -> bool {
        self.kind == "ServiceAccount" && self.api_version == "v1"
    }

    pub fn is_secret(&self) -> bool {
        self.kind == "Secret" && self.api_version == "v1"
    }

    /// Roles, ClusterRoles, RoleBindings, ClusterRoleBindings (and anything else of
    /// their group).
    pub fn is_rbac(&self) -> bool {
        self.group() == RBAC_GROUP
    }
}

/// The namespace of a namespaced object that names none, unless the scan is told
/// another (`--default-namespace`, `defaultNamespace:`).
pub const DEFAULT_NAMESPACE: &str = "default";

/// Kinds without a namespace (those tokenguard reports on or resolves).
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "ClusterRole" | "ClusterRoleBinding" | "Namespace" | "Node" | "PersistentVolume"
    )
}

/// The kind of an object the model keeps, as a number. Every object of a large scan is
/// kept to its end and names its kind: as a string that would cost 24 bytes each.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Kind(u32);

/// The kinds numbered without a lock, by their place here: the built-in workload kinds,
/// the objects the index resolves, and the cluster-scoped kinds.
const KNOWN: &[&str] = &[
    "ServiceAccount",
    "Secret",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "Rollout",
    "Namespace",
    "Node",
    "PersistentVolume",
];

/// Kinds outside [`KNOWN`], numbered after it as they are first met. The model keeps
/// objects of a configured workload kind and the objects a duplicate key is found in,
/// so a scan meets a handful; each name is kept for the life of the process.
static OTHER_KINDS: std::sync::RwLock<OtherKinds> = std::sync::RwLock::new(OtherKinds {
    names: Vec::new(),
    ids: None,
});

struct OtherKinds {
    names: Vec<&'static str>,
    ids: Option<std::collections::HashMap<&'static str, u32>>,
}

impl Kind {
    pub const SERVICE_ACCOUNT: Kind = Kind(0);
    pub const SECRET: Kind = Kind(1);
    pub const ROLE: Kind = Kind(2);
    pub const CLUSTER_ROLE: Kind = Kind(3);
    pub const ROLE_BINDING: Kind = Kind(4);
    pub const CLUSTER_ROLE_BINDING: Kind = Kind(5);

    /// The kind named `name`.
    pub fn of(name: &str) -> Kind {
        if let Some(known) = KNOWN.iter().position(|k| *k == name) {
            return Kind(known as u32);
        }
        let lookup = |others: &OtherKinds| {
            let id = *others.ids.as_ref()?.get(name)?;
            Some(Kind(KNOWN.len() as u32 + id))
        };
        let others = OTHER_KINDS.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(kind) = lookup(&others) {
            return kind;
        }
        drop(others);
        let mut others = OTHER_KINDS.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(kind) = lookup(&others) {
            return kind;
        }
        let name: &'static str = Box::leak(name.into());
        let id = others.names.len() as u32;
        others.names.push(name);
        others.ids.get_or_insert_default().insert(name, id);
        Kind(KNOWN.len() as u32 + id)
    }

    pub fn as_str(self) -> &'static str {
        let index = self.0 as usize;
        match KNOWN.get(index) {
            Some(known) => known,
            None => {
                let others = OTHER_KINDS.read().unwrap_or_else(PoisonError::into_inner);
                // Every `Kind` was numbered by `of`, so its name is there.
                others.names.get(index - KNOWN.len()).copied().unwrap_or("")
            }
        }
    }

    /// Whether objects of this kind have no namespace.
    pub fn is_cluster_scoped(self) -> bool {
        KNOWN
            .get(self.0 as usize)
            .is_some_and(|known| is_cluster_scoped(known))
    }
}

impl std::ops::Deref for Kind {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// One row of the workload table: which objects carry a pod spec, and where.
#[derive(Clone, Debug)]
pub struct WorkloadKind {
    api_version: GlobMatcher,
    kind: String,
    pod_spec_path: Vec<String>,
}

impl WorkloadKind {
    /// `api_version` is a glob (`apps/*`); `pod_spec_path` is dotted (`spec.template.spec`).
    pub fn new(api_version: &str, kind: &str, pod_spec_path: &str) -> Result<Self, globset::Error> {
        Ok(WorkloadKind {
            api_version: Glob::new(api_version)?.compile_matcher(),
            kind: kind.to_owned(),
            pod_spec_path: pod_spec_path.split('.').map(str::to_owned).collect(),
        })
    }

    /// `apiVersion`, `kind` and `podSpecPath` as the config writes them.
    pub fn as_written(&self) -> (&str, &str, String) {
        (
            self.api_version.glob().glob(),
            &self.kind,
            self.pod_spec_path.join("."),
        )
    }
}

/// The built-in table plus the config's `workloadKinds`.
#[derive(Clone, Debug)]
pub struct WorkloadKinds(Vec<WorkloadKind>);

const BUILT_IN: &[(&str, &str, &str)] = &[
    ("v1", "Pod", "spec"),
    ("v1", "PodTemplate", "template.spec"),
    ("v1", "ReplicationController", "spec.template.spec"),
    ("apps/*", "Deployment", "spec.template.spec"),
    ("apps/*", "ReplicaSet", "spec.template.spec"),
    ("apps/*", "StatefulSet", "spec.template.spec"),
    ("apps/*", "DaemonSet", "spec.template.spec"),
    ("extensions/v1beta1", "Deployment", "spec.template.spec"),
    ("extensions/v1beta1", "ReplicaSet", "spec.template.spec"),
    ("extensions/v1beta1", "StatefulSet", "spec.template.spec"),
    ("extensions/v1beta1", "DaemonSet", "spec.template.spec"),
    ("batch/*", "Job", "spec.template.spec"),
    ("batch/*", "CronJob", "spec.jobTemplate.spec.template.spec"),
    ("argoproj.io/*", "Rollout", "spec.template.spec"),
];

impl WorkloadKinds {
    pub fn with_extra(extra: Vec<WorkloadKind>) -> Self {
        let mut kinds: Vec<WorkloadKind> = BUILT_IN
            .iter()
            .filter_map(|(api, kind, path)| WorkloadKind::new(api, kind, path).ok())
            .collect();
        kinds.extend(extra);
        WorkloadKinds(kinds)
    }

    /// The path of mapping keys to the pod spec of an object of this type, if it is a
    /// workload: the first row that matches, built-in rows first.
    pub fn pod_spec_path(&self, type_meta: &TypeMeta<'_>) -> Option<&[String]> {
        self.0
            .iter()
            .find(|k| k.kind == type_meta.kind && k.api_version.is_match(type_meta.api_version))
            .map(|k| k.pod_spec_path.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_meta<'a>(api_version: &'a str, kind: &'a str) -> TypeMeta<'a> {
        TypeMeta { api_version, kind }
    }

    #[test]
    fn pod_spec_paths_of_built_in_and_configured_kinds() {
        let extra = WorkloadKind::new("example.com/v*", "Runner", "spec.pod").expect("glob");
        let kinds = WorkloadKinds::with_extra(vec![extra]);
        let path = |api, kind| {
            kinds
                .pod_spec_path(&type_meta(api, kind))
                .map(|p| p.join("."))
        };
        assert_eq!(path("v1", "Pod").as_deref(), Some("spec"));
        assert_eq!(
            path("apps/v1", "Deployment").as_deref(),
            Some("spec.template.spec")
        );
        assert_eq!(
            path("batch/v1", "CronJob").as_deref(),
            Some("spec.jobTemplate.spec.template.spec")
        );
        assert_eq!(
            path("example.com/v2", "Runner").as_deref(),
            Some("spec.pod")
        );
        assert_eq!(
            path("example.org/v2", "Runner"),
            None,
            "the group must match"
        );
        assert_eq!(path("apps/v1", "Pod"), None, "a Pod is in the core group");
        assert_eq!(path("v1", "ConfigMap"), None);
    }

    #[test]
    fn groups_and_the_kinds_the_scan_reads() {
        assert_eq!(
            type_meta("rbac.authorization.k8s.io/v1", "Role").group(),
            RBAC_GROUP
        );
        assert_eq!(type_meta("v1", "Pod").group(), "");
        assert!(type_meta("rbac.authorization.k8s.io/v1", "ClusterRoleBinding").is_rbac());
        assert!(!type_meta("v1", "ServiceAccount").is_rbac());
        assert!(type_meta("v1", "ServiceAccount").is_service_account());
        assert!(!type_meta("v2", "ServiceAccount").is_service_account());
        assert!(type_meta("v1", "Secret").is_secret());
        assert!(is_cluster_scoped("ClusterRole"));
        assert!(!is_cluster_scoped("Role"));
    }

    #[test]
    fn a_kind_is_numbered_once_and_keeps_its_name() {
        for name in KNOWN {
            assert_eq!(Kind::of(name).as_str(), *name);
        }
        assert_eq!(Kind::of("ClusterRoleBinding"), Kind::CLUSTER_ROLE_BINDING);
        assert_eq!(Kind::of("Secret"), Kind::SECRET);
        let runner = Kind::of("RunnerOfTheKindsTest");
        assert_eq!(runner, Kind::of("RunnerOfTheKindsTest"));
        assert_ne!(runner, Kind::of("OtherRunnerOfTheKindsTest"));
        assert_eq!(runner.as_str(), "RunnerOfTheKindsTest");
        assert_eq!(runner.to_string(), "RunnerOfTheKindsTest");
        assert!(Kind::CLUSTER_ROLE.is_cluster_scoped());
        assert!(Kind::of("Node").is_cluster_scoped());
        assert!(!Kind::ROLE.is_cluster_scoped());
        assert!(!runner.is_cluster_scoped());
    }
}
