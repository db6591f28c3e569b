//! Where a value was written: a file and a region of it. Every positioned fact of a
//! rendered object carries one, since one object can hold fields from several files
//! (a base, a patch, the kustomization line of a transformer).

use std::ops::Deref;

use crate::files::FileId;
use crate::yaml::Span;

/// A region of one file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
}

impl Origin {
    pub fn new(file: FileId, span: Span) -> Origin {
        Origin { file, span }
    }
}

/// A fact of the model and where it was written: findings about it point at `at`,
/// whichever file of a rendered object that is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Located<T> {
    pub value: T,
    pub at: Origin,
}

impl<T> Located<T> {
    pub fn new(value: T, at: Origin) -> Located<T> {
        Located { value, at }
    }
}

/// A located value reads as its value (`meta.name.as_str()`); its position is asked
/// for by name (`meta.name.at`).
impl<T> Deref for Located<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// Prints the value, as messages name it.
impl<T: std::fmt::Display> std::fmt::Display for Located<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value.fmt(f)
    }
}
