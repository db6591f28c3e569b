//! Typed, read-only views over parsed objects that keep only what the rules need and
//! where it was written, so a file's tree can be dropped once it is read.

pub mod duplicate_key;
pub mod field;
pub mod names;
pub mod object;
pub mod rbac;
pub mod secret;
pub mod service_account;
pub mod workload;

pub use duplicate_key::DuplicateKey;
pub use object::{ObjectMeta, Scope};
pub use secret::TokenSecret;
pub use service_account::ServiceAccount;
pub use workload::Workload;

use crate::k8s::kinds::{Kind, TypeMeta, WorkloadKinds};
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
    /// Keys written twice in a mapping of an object.
    pub duplicate_keys: Vec<DuplicateKey>,
}

impl FileModel {
    /// The facts of the objects at `roots`, each at the origin its tree gives it.
    pub fn read(
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
            let type_meta = TypeMeta { api_version, kind };
            // Only the objects kept get their metadata read (and their kind numbered).
            let meta = || ObjectMeta::read(node, Kind::of(kind));
            if type_meta.is_service_account() {
                model
                    .service_accounts
                    .push(ServiceAccount::read(meta(), node));
            } else if type_meta.is_rbac() {
                match kind {
                    "Role" | "ClusterRole" => model.roles.extend(rbac::Role::read(meta(), node)),
                    "RoleBinding" | "ClusterRoleBinding" => model
                        .bindings
                        .extend(rbac::Binding::read(meta(), node, default_namespace)),
                    _ => {}
                }
            } else if type_meta.is_secret()
                && let Some(secret) = TokenSecret::read(node, meta)
            {
                model.token_secrets.push(secret);
            } else if let Some(pod_spec_path) = kinds.pod_spec_path(&type_meta) {
                model.workload_objects += 1;
                model
                    .workloads
                    .extend(Workload::read(meta(), node, pod_spec_path));
            }
        }
        model
    }

    /// Puts every object into `scope`: those of a rendered root.
    pub fn set_scope(&mut self, scope: Scope) {
        let metas = (self.workloads.iter_mut().map(|w| &mut w.meta))
            .chain(self.service_accounts.iter_mut().map(|s| &mut s.meta))
            .chain(self.token_secrets.iter_mut().map(|s| &mut s.meta))
            .chain(self.roles.iter_mut().map(|r| &mut r.meta))
            .chain(self.bindings.iter_mut().map(|b| &mut b.meta));
        for meta in metas {
            meta.scope = scope;
        }
    }

    /// Moves every vector into one of its exact length: the spare capacity of a grown
    /// vector is resident memory that a large scan would otherwise keep to the end.
    pub fn shrink(&mut self) {
        shrink_exact(&mut self.workloads);
        shrink_exact(&mut self.service_accounts);
        shrink_exact(&mut self.token_secrets);
        shrink_exact(&mut self.roles);
        shrink_exact(&mut self.bindings);
        shrink_exact(&mut self.duplicate_keys);
    }

    pub fn append(&mut self, other: FileModel) {
        self.objects += other.objects;
        self.workload_objects += other.workload_objects;
        self.workloads.extend(other.workloads);
        self.service_accounts.extend(other.service_accounts);
        self.token_secrets.extend(other.token_secrets);
        self.roles.extend(other.roles);
        self.bindings.extend(other.bindings);
        self.duplicate_keys.extend(other.duplicate_keys);
    }
}

#[cfg(test)]
impl FileModel {
    /// The facts of every object of the manifests `text`, read as file `file` with the
    /// built-in workload kinds and the namespace `default`.
    pub(crate) fn of_text(text: &str, file: crate::files::FileId) -> FileModel {
        let mut stream = crate::yaml::parse(text, &crate::yaml::Limits::default());
        stream.tree.set_file(file);
        let roots: Vec<_> = stream.documents.iter().map(|d| d.root).collect();
        let kinds = WorkloadKinds::with_extra(Vec::new());
        FileModel::read(&stream.tree, &roots, &kinds, "default")
    }
}

/// Moves `items` into a vector of its exact length.
fn shrink_exact<T>(items: &mut Vec<T>) {
    if items.capacity() > items.len() {
        let mut exact = Vec::with_capacity(items.len());
        exact.append(items);
        *items = exact;
    }
}

/// The facts of every scanned file that rules read across files, in file order: what
/// the index and the facts checks read. Workloads are not kept here: each batch of
/// files' workloads is checked against the index and dropped.
#[derive(Debug, Default)]
pub struct Model {
    pub objects: usize,
    pub workload_objects: usize,
    pub service_accounts: Runs<ServiceAccount>,
    pub token_secrets: Runs<TokenSecret>,
    pub roles: Runs<rbac::Role>,
    pub bindings: Runs<rbac::Binding>,
    pub duplicate_keys: Runs<DuplicateKey>,
}

impl Model {
    /// Adds the facts of the files that follow those already added, and returns their
    /// workloads.
    pub fn push(&mut self, part: FileModel) -> Vec<Workload> {
        self.objects += part.objects;
        self.workload_objects += part.workload_objects;
        self.service_accounts.push(part.service_accounts);
        self.token_secrets.push(part.token_secrets);
        self.roles.push(part.roles);
        self.bindings.push(part.bindings);
        self.duplicate_keys.push(part.duplicate_keys);
        part.workloads
    }
}

/// Items gathered from many files, kept in the vectors the scan's threads built them in
/// (each a run of consecutive files), in file order. Joining them into one vector would
/// hold every fact twice at the moment of the copy. Every run is kept, empty or not, so
/// that run `k` of each kind of fact comes from the same files.
#[derive(Debug)]
pub struct Runs<T> {
    runs: Vec<Vec<T>>,
    /// Per run: the number of items up to its end.
    ends: Vec<usize>,
}

impl<T> Default for Runs<T> {
    fn default() -> Self {
        Runs {
            runs: Vec::new(),
            ends: Vec::new(),
        }
    }
}

impl<T> Runs<T> {
    fn push(&mut self, run: Vec<T>) {
        self.ends.push(self.len() + run.len());
        self.runs.push(run);
    }

    /// The items of run `k` (empty past the last run).
    pub fn run(&self, k: usize) -> &[T] {
        self.runs.get(k).map_or(&[], Vec::as_slice)
    }

    pub fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> std::iter::Flatten<std::slice::Iter<'_, Vec<T>>> {
        self.runs.iter().flatten()
    }
}

impl<T> std::ops::Index<usize> for Runs<T> {
    type Output = T;

    fn index(&self, index: usize) -> &T {
        let run = self.ends.partition_point(|&end| end <= index);
        let start = run.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.runs[run][index - start]
    }
}

impl<'a, T> IntoIterator for &'a Runs<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::Runs;

    #[test]
    fn runs_index_and_iterate_in_order() {
        let mut runs = Runs::default();
        runs.push(vec![0, 1, 2]);
        runs.push(Vec::new());
        runs.push(vec![3]);
        runs.push(vec![4, 5]);
        assert_eq!(runs.len(), 6);
        assert_eq!(
            (0..6).map(|i| runs[i]).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 5]
        );
        assert_eq!(runs.iter().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5]);
        assert_eq!(runs.run(1), [] as [i32; 0]);
        assert_eq!(runs.run(2), [3]);
        assert_eq!(runs.run(3), [4, 5]);
        assert_eq!(runs.run(4), [] as [i32; 0]);
        assert!(Runs::<u8>::default().is_empty());
        let mut empty = Runs::<u8>::default();
        empty.push(Vec::new());
        assert!(empty.is_empty());
    }
}
