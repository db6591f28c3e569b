//! The integration tests, one crate (one link on a 2-core CI machine): each module
//! runs the built binary or the library against fixtures/ and ../shared/corpus.

mod common;

mod action;
mod adoption;
mod baseline;
mod cli;
mod corpus;
mod determinism;
mod fingerprints;
mod hostile;
mod inputs;
mod json_report;
mod kustomize;
mod locations;
mod properties;
mod rbac;
mod rendered;
mod rules;
mod sarif_schema;
mod semantics;
mod snapshots;
mod streaming;
mod suppressions;
mod token_sources;
