//! tokenguard's benchmark helpers, kept out of the tokenguard binary:
//! - [`corpus`]: a seeded generator of realistic manifest corpora of any size;
//! - [`kustomize_corpus`]: a seeded generator of Kustomize repositories (bases, overlays,
//!   components) of any size;
//! - [`kustomize_roots`]: the Kustomize roots of a tree, which `bench/kustomize.sh` renders;
//! - [`ceiling`]: the parse-only ceiling (read files, drain saphyr-parser events);
//! - [`measure`]: whole-process timing with peak memory and a time cap;
//! - [`render_roots`]: Kustomize roots rendered through tokenguard's `render`, in one process;
//! - [`bench`]: the comparison table that `bench/compare.sh` prints.

pub mod bench;
pub mod ceiling;
pub mod corpus;
pub mod kustomize_corpus;
pub mod kustomize_roots;
pub mod measure;
pub mod render_roots;
pub mod value;
