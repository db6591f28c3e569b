//! Where a value was written: a file and a region of it. Every positioned fact of a
//! rendered object carries one, since one object can hold fields from several files
//! (a base, a patch, the kustomization line of a transformer).

use crate::files::FileId;
use crate::yaml::Span;

/// A region of one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub file: FileId,
    pub span: Span,
}

impl Origin {
    pub fn new(file: FileId, span: Span) -> Origin {
        Origin { file, span }
    }
}
