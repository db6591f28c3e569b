//! Facts across objects, computed once and read by several rules: the index of service
//! accounts and RBAC bindings (built once per scan), and the facts of each workload
//! (built once per workload as it is checked). The Kubernetes rules they apply live in
//! `k8s`; the wording of findings lives in `rules`.

pub mod index;
pub mod workload;

pub use index::{BoundGrants, Index, RoleTarget};
pub use workload::{ServiceAccountBindings, TokenVerdict, WorkloadFacts};
