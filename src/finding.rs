//! What a rule reports: a level, a message, where, and about which object.

use compact_str::CompactString;
use std::fmt;

use crate::FileId;
use crate::model::object::Ignore;
use crate::rules::RuleMeta;
use crate::yaml::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "note" => Some(Level::Note),
            "warning" => Some(Level::Warning),
            "error" => Some(Level::Error),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub region: Span,
}

#[derive(Clone, Debug)]
pub struct Related {
    pub location: Location,
    pub message: Box<str>,
}

/// The object a finding is about, as `NAMESPACE/KIND/NAME`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    pub namespace: CompactString,
    pub kind: CompactString,
    pub name: CompactString,
    /// Its `tokenguard.dev/ignore-*` annotations.
    pub ignores: Box<[Ignore]>,
}

/// Why a finding does not count (SPEC 7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub justification: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionKind {
    /// An annotation in the manifest.
    InSource,
    /// A config exemption.
    External,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

impl Finding {
    /// Whether it counts for `--fail-on` and shows in text output.
    pub fn is_suppressed(&self) -> bool {
        self.suppression.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub level: Level,
    /// Exactly as long as its text: a large scan keeps hundreds of thousands.
    pub message: Box<str>,
    pub location: Location,
    /// One or two at most: a boxed slice has no spare room.
    pub related: Box<[Related]>,
    pub object: Option<ObjectRef>,
    /// `namespace/name` of the service account involved.
    pub service_account: Option<CompactString>,
    /// What distinguishes this finding from others of the same rule on the same object
    /// (a field name, a container); part of the fingerprint, never a line number.
    pub detail: CompactString,
    /// Boxed: most findings are not suppressed.
    pub suppression: Option<Box<Suppression>>,
    /// The binding subjects the finding is about, as `tokenCreators` names them
    /// (`ServiceAccount:NS/NAME`, `User:NAME`, `Group:NAME`): what `init` offers to accept.
    pub subjects: Box<[CompactString]>,
}

/// A copy of `text` in an allocation of its exact length: a formatted message's buffer
/// is often much larger than its text, and an allocator may keep a shrunk block whole.
fn exact(text: &str) -> Box<str> {
    Box::from(text)
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, location: Location, message: String) -> Finding {
        Finding {
            rule,
            level: rule.level,
            message: exact(&message),
            location,
            related: Box::default(),
            object: None,
            service_account: None,
            detail: CompactString::default(),
            suppression: None,
            subjects: Box::default(),
        }
    }

    pub fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    pub fn object(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    pub fn service_account(mut self, identity: impl Into<CompactString>) -> Self {
        self.service_account = Some(identity.into());
        self
    }

    pub fn related(mut self, location: Location, message: String) -> Self {
        let mut related = std::mem::take(&mut self.related).into_vec();
        related.reserve_exact(1);
        related.push(Related {
            location,
            message: exact(&message),
        });
        self.related = related.into_boxed_slice();
        self
    }

    pub fn subjects(mut self, subjects: impl IntoIterator<Item = String>) -> Self {
        self.subjects = subjects.into_iter().map(CompactString::from).collect();
        self
    }

    pub fn detail(mut self, detail: &str) -> Self {
        self.detail = detail.into();
        self
    }

    /// A fingerprint that survives lines moving: rule, file, object and detail only.
    pub fn fingerprint(&self, path: &str) -> String {
        let object = self
            .object
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut hash = Fnv64::default();
        for part in [self.rule.id, path, &object, &self.detail] {
            hash.write(part.as_bytes());
            hash.write(&[0xff]);
        }
        format!("{:016x}", hash.0)
    }
}

/// FNV-1a: tiny, and unlike std's hasher guaranteed stable across releases, which
/// fingerprints stored by GitHub and GitLab need.
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// [`Finding::fingerprint`] for each finding in turn, made distinct: a finding whose
/// fingerprint an earlier one already has (the same object defined twice in one file)
/// gets `-2`, `-3`... in report order, which is deterministic, so the result is as stable
/// as the fingerprints themselves. GitLab drops all but one of equal Code Quality
/// fingerprints.
#[derive(Default)]
pub struct DistinctFingerprints {
    /// The file of the findings seen: a fingerprint covers the file, and findings come
    /// file by file, so only one file's fingerprints are ever kept.
    path: String,
    seen: std::collections::HashMap<String, usize>,
}

impl DistinctFingerprints {
    pub fn next(&mut self, finding: &Finding, path: &str) -> String {
        if self.path != path {
            self.path.clear();
            self.path.push_str(path);
            self.seen.clear();
        }
        let base = finding.fingerprint(path);
        let count = self.seen.entry(base.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            base
        } else {
            format!("{base}-{count}")
        }
    }
}
