//! Kustomize overlays rendered natively (SPEC 3.4): a root and its inputs become one
//! rendered tree per object, each field keeping the file, line and column its value
//! came from.

pub mod fields;
pub mod generate;
pub mod label_selector;
pub mod node;
pub mod replacements;
pub mod vars;

#[cfg(test)]
pub mod testing;
