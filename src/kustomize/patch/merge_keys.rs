//! The lists a strategic merge patch merges item by item, and the keys that match
//! items: the `x-kubernetes-patch-strategy: merge` fields of the Kubernetes OpenAPI
//! schema Kustomize v5 embeds (Kubernetes v1.21.2), for the kinds tokenguard reads
//! (SPEC 4) and the common kinds around them. Every other list is replaced whole by a
//! patch, as Kustomize replaces the lists of kinds it has no schema for (custom
//! resources). `$retainKeys` strategies are left out: Kustomize does not apply them.

/// A mapping type of the schema: its fields that hold merged lists, directly or
/// below. Fields not listed are known but hold no merged list.
pub struct Type {
    pub fields: &'static [(&'static str, Schema)],
}

/// What the schema says about one field.
#[derive(Clone, Copy)]
pub enum Schema {
    /// A mapping (or a scalar, or a list replaced whole) of this type.
    Object(&'static Type),
    /// A list merged item by item: items with equal values of `keys` are one item.
    /// No keys: a list of scalars merged by value (`finalizers`).
    MergeList {
        keys: &'static [&'static str],
        item: &'static Type,
    },
}

impl Schema {
    /// The schema of field `key` of this mapping type: a known type's other fields
    /// have a schema that merges nothing.
    pub fn field(self, key: &str) -> Schema {
        match self {
            Schema::Object(ty) => ty
                .fields
                .iter()
                .find(|(name, _)| *name == key)
                .map_or(Schema::Object(&LEAF), |(_, schema)| *schema),
            Schema::MergeList { .. } => Schema::Object(&LEAF),
        }
    }

    /// The schema of the items of a list.
    pub fn items(self) -> Schema {
        match self {
            Schema::MergeList { item, .. } => Schema::Object(item),
            Schema::Object(_) => Schema::Object(&LEAF),
        }
    }
}

/// The schema of an object of `apiVersion` and `kind`, if Kustomize has one.
pub fn for_kind(api_version: &str, kind: &str) -> Option<Schema> {
    KINDS
        .iter()
        .find(|(v, k, _)| *v == api_version && *k == kind)
        .map(|(_, _, ty)| Schema::Object(ty))
}

const LEAF: Type = Type { fields: &[] };

const fn merge(keys: &'static [&'static str], item: &'static Type) -> Schema {
    Schema::MergeList { keys, item }
}

const BY_NAME: &[&str] = &["name"];
const BY_TYPE: &[&str] = &["type"];

const OBJECT_META: Type = Type {
    fields: &[
        ("finalizers", merge(&[], &LEAF)),
        ("ownerReferences", merge(&["uid"], &LEAF)),
    ],
};

const CONTAINER: Type = Type {
    fields: &[
        ("env", merge(BY_NAME, &LEAF)),
        ("ports", merge(&["containerPort", "protocol"], &LEAF)),
        ("volumeDevices", merge(&["devicePath"], &LEAF)),
        ("volumeMounts", merge(&["mountPath"], &LEAF)),
    ],
};

// Unlike a container's, an ephemeral container's ports are replaced whole.
const EPHEMERAL_CONTAINER: Type = Type {
    fields: &[
        ("env", merge(BY_NAME, &LEAF)),
        ("volumeDevices", merge(&["devicePath"], &LEAF)),
        ("volumeMounts", merge(&["mountPath"], &LEAF)),
    ],
};

const VOLUME: Type = Type {
    fields: &[(
        "ephemeral",
        Schema::Object(&Type {
            fields: &[(
                "volumeClaimTemplate",
                Schema::Object(&Type {
                    fields: &[("metadata", Schema::Object(&OBJECT_META))],
                }),
            )],
        }),
    )],
};

const POD_SPEC: Type = Type {
    fields: &[
        ("containers", merge(BY_NAME, &CONTAINER)),
        ("ephemeralContainers", merge(BY_NAME, &EPHEMERAL_CONTAINER)),
        ("hostAliases", merge(&["ip"], &LEAF)),
        ("imagePullSecrets", merge(BY_NAME, &LEAF)),
        ("initContainers", merge(BY_NAME, &CONTAINER)),
        (
            "topologySpreadConstraints",
            merge(&["topologyKey", "whenUnsatisfiable"], &LEAF),
        ),
        ("volumes", merge(BY_NAME, &VOLUME)),
    ],
};

const POD_TEMPLATE_SPEC: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        ("spec", Schema::Object(&POD_SPEC)),
    ],
};

/// The status of most workloads: conditions merged by type.
const CONDITIONS: Type = Type {
    fields: &[("conditions", merge(BY_TYPE, &LEAF))],
};

/// Deployment, ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job.
const WORKLOAD: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        (
            "spec",
            Schema::Object(&Type {
                fields: &[("template", Schema::Object(&POD_TEMPLATE_SPEC))],
            }),
        ),
        ("status", Schema::Object(&CONDITIONS)),
    ],
};

const POD: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        ("spec", Schema::Object(&POD_SPEC)),
        (
            "status",
            Schema::Object(&Type {
                fields: &[
                    ("conditions", merge(BY_TYPE, &LEAF)),
                    ("podIPs", merge(&["ip"], &LEAF)),
                ],
            }),
        ),
    ],
};

const POD_TEMPLATE: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        ("template", Schema::Object(&POD_TEMPLATE_SPEC)),
    ],
};

const CRON_JOB: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        (
            "spec",
            Schema::Object(&Type {
                fields: &[(
                    "jobTemplate",
                    Schema::Object(&Type {
                        fields: &[
                            ("metadata", Schema::Object(&OBJECT_META)),
                            (
                                "spec",
                                Schema::Object(&Type {
                                    fields: &[("template", Schema::Object(&POD_TEMPLATE_SPEC))],
                                }),
                            ),
                        ],
                    }),
                )],
            }),
        ),
    ],
};

const SERVICE_ACCOUNT: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        ("secrets", merge(BY_NAME, &LEAF)),
    ],
};

const SERVICE: Type = Type {
    fields: &[
        ("metadata", Schema::Object(&OBJECT_META)),
        (
            "spec",
            Schema::Object(&Type {
                fields: &[("ports", merge(&["port", "protocol"], &LEAF))],
            }),
        ),
        ("status", Schema::Object(&CONDITIONS)),
    ],
};

/// Secrets, ConfigMaps and RBAC objects: only their metadata has merged lists.
const METADATA_ONLY: Type = Type {
    fields: &[("metadata", Schema::Object(&OBJECT_META))],
};

const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";
const RBAC_V1BETA1: &str = "rbac.authorization.k8s.io/v1beta1";

/// The kinds above by `apiVersion` and `kind`, as the embedded schema names them
/// (it has no `extensions/v1beta1` or `apps/v1beta*` workloads: those merge no list).
const KINDS: &[(&str, &str, &Type)] = &[
    ("v1", "Pod", &POD),
    ("v1", "PodTemplate", &POD_TEMPLATE),
    ("v1", "ReplicationController", &WORKLOAD),
    ("v1", "ServiceAccount", &SERVICE_ACCOUNT),
    ("v1", "Service", &SERVICE),
    ("v1", "Secret", &METADATA_ONLY),
    ("v1", "ConfigMap", &METADATA_ONLY),
    ("apps/v1", "Deployment", &WORKLOAD),
    ("apps/v1", "ReplicaSet", &WORKLOAD),
    ("apps/v1", "StatefulSet", &WORKLOAD),
    ("apps/v1", "DaemonSet", &WORKLOAD),
    ("batch/v1", "Job", &WORKLOAD),
    ("batch/v1", "CronJob", &CRON_JOB),
    ("batch/v1beta1", "CronJob", &CRON_JOB),
    (RBAC_V1, "Role", &METADATA_ONLY),
    (RBAC_V1, "ClusterRole", &METADATA_ONLY),
    (RBAC_V1, "RoleBinding", &METADATA_ONLY),
    (RBAC_V1, "ClusterRoleBinding", &METADATA_ONLY),
    (RBAC_V1BETA1, "Role", &METADATA_ONLY),
    (RBAC_V1BETA1, "ClusterRole", &METADATA_ONLY),
    (RBAC_V1BETA1, "RoleBinding", &METADATA_ONLY),
    (RBAC_V1BETA1, "ClusterRoleBinding", &METADATA_ONLY),
];
