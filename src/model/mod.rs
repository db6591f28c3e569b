//! Typed, read-only views over parsed objects that keep only what the rules need and
//! where it was written, so a file's tree can be dropped once it is read.

pub mod field;
pub mod object;
pub mod rbac;
pub mod secret;
pub mod service_account;
pub mod workload;

pub use object::ObjectMeta;
pub use secret::TokenSecret;
pub use service_account::ServiceAccount;
pub use workload::{Workload, WorkloadKinds};

use crate::FileId;
use crate::yaml::{NodeId, Tree};

/// The facts one file contributes to the scan.
#[derive(Debug, Default)]
pub struct FileModel {
    pub objects: usize,
    /// Objects of a workload kind, with or without a pod spec (Kustomize patches often
    /// have none).
    pub workload_objects: usize,
    pub workloads: Vec<Workload>,
    pub service_accounts: Vec<ServiceAccount>,
    pub token_secrets: Vec<TokenSecret>,
    pub roles: Vec<rbac::Role>,
    pub bindings: Vec<rbac::Binding>,
}

impl FileModel {
    pub fn read(
        file: FileId,
        tree: &Tree,
        roots: &[NodeId],
        kinds: &WorkloadKinds,
        default_namespace: &str,
    ) -> FileModel {
        let mut model = FileModel::default();
        for &root in roots {
            let node = tree.node(root);
            let Some((api_version, kind)) = crate::load::type_meta(node) else {
                continue;
            };
            model.objects += 1;
            let meta = ObjectMeta::read(node, api_version, kind);
            if ServiceAccount::is_service_account(&meta) {
                model
                    .service_accounts
                    .push(ServiceAccount::read(file, meta, node));
            } else if rbac::is_rbac(&meta) {
                if let Some(role) = rbac::Role::read(file, &meta, node) {
                    model.roles.push(role);
                } else if let Some(binding) =
                    rbac::Binding::read(file, &meta, node, default_namespace)
                {
                    model.bindings.push(binding);
                }
            } else if let Some(secret) = TokenSecret::read(file, &meta, node) {
                model.token_secrets.push(secret);
            } else if let Some(pod_spec_path) = kinds.pod_spec_path(&meta) {
                model.workload_objects += 1;
                model
                    .workloads
                    .extend(Workload::read(file, &meta, node, pod_spec_path));
            }
        }
        model
    }

    /// An empty model with room for exactly the facts of `parts`.
    pub fn with_capacity_for<'a>(parts: impl Iterator<Item = &'a FileModel> + Clone) -> Self {
        let total = |len: fn(&FileModel) -> usize| parts.clone().map(len).sum();
        FileModel {
            objects: 0,
            workload_objects: 0,
            workloads: Vec::with_capacity(total(|m| m.workloads.len())),
            service_accounts: Vec::with_capacity(total(|m| m.service_accounts.len())),
            token_secrets: Vec::with_capacity(total(|m| m.token_secrets.len())),
            roles: Vec::with_capacity(total(|m| m.roles.len())),
            bindings: Vec::with_capacity(total(|m| m.bindings.len())),
        }
    }

    pub fn append(&mut self, other: FileModel) {
        self.objects += other.objects;
        self.workload_objects += other.workload_objects;
        self.workloads.extend(other.workloads);
        self.service_accounts.extend(other.service_accounts);
        self.token_secrets.extend(other.token_secrets);
        self.roles.extend(other.roles);
        self.bindings.extend(other.bindings);
    }
}
