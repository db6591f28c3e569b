//! Kubernetes semantics (SPEC 4), in one place and free of the scan: which kinds carry a
//! pod spec and where, who a service account is and which groups hold it, whether a
//! token is automounted, what an RBAC rule allows and grants, and the facts of tokens.
//! Pure functions over plain values, each with its unit tests; message wording lives
//! with the rules, never here.

pub mod automount;
pub mod identity;
pub mod kinds;
pub mod rbac;
pub mod tokens;
