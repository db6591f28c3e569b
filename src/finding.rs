//! What a rule reports: a level, a message, where, and about which object.

use compact_str::CompactString;
use std::fmt;

use crate::FileId;
use crate::model::object::Ignore;
use crate::origin::{Located, Origin};
pub use crate::rule_id::{Level, RuleId};
use crate::yaml::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub region: Span,
}

impl From<Origin> for Location {
    fn from(at: Origin) -> Location {
        Location {
            file: at.file,
            region: at.span,
        }
    }
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
    pub ignores: Box<[Located<Ignore>]>,
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

impl ObjectRef {
    /// `Deployment prod/api`, or `ClusterRole admin` for a cluster-scoped object, as
    /// messages name objects.
    pub fn describe(&self) -> String {
        match self.namespace.as_str() {
            "" => format!("{} {}", self.kind, self.name),
            namespace => format!("{} {namespace}/{}", self.kind, self.name),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

/// Whether a finding was already there when the baseline was written (SPEC 8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaselineState {
    /// Not in the baseline: it counts.
    New,
    /// In the baseline: accepted, it does not count for `--fail-on` or annotations.
    Unchanged,
}

impl BaselineState {
    /// SARIF's `baselineState`.
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Unchanged => "unchanged",
        }
    }
}

impl Finding {
    pub fn is_suppressed(&self) -> bool {
        self.suppression.is_some()
    }

    /// Whether the baseline already holds it.
    pub fn is_baselined(&self) -> bool {
        self.baseline == Some(BaselineState::Unchanged)
    }

    /// Whether it counts for `--fail-on` and annotations, and shows in text output by
    /// default: neither suppressed nor in the baseline.
    pub fn counts(&self) -> bool {
        !self.is_suppressed() && !self.is_baselined()
    }
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: RuleId,
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
    /// The binding subjects the finding is about that a `tokenCreators` entry can name
    /// (`ServiceAccount:NS/NAME`, `User:NAME`, `Group:NAME`): what `init` offers to accept.
    pub subjects: Box<[CompactString]>,
    /// Set once, as the finding is written (see [`Fingerprinter`]).
    pub fingerprint: Fingerprint,
    /// Set as the finding is written when a scan has a baseline; `None` without one.
    pub baseline: Option<BaselineState>,
}

/// A copy of `text` in an allocation of its exact length: a formatted message's buffer
/// is often much larger than its text, and an allocator may keep a shrunk block whole.
fn exact(text: &str) -> Box<str> {
    Box::from(text)
}

impl Finding {
    pub fn new(rule: RuleId, level: Level, location: Location, message: String) -> Finding {
        Finding {
            rule,
            level,
            message: exact(&message),
            location,
            related: Box::default(),
            object: None,
            service_account: None,
            detail: CompactString::default(),
            suppression: None,
            subjects: Box::default(),
            fingerprint: Fingerprint::default(),
            baseline: None,
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

    /// Adds a related location: where something the finding depends on was written.
    pub fn related(mut self, at: Origin, message: String) -> Self {
        let mut related = std::mem::take(&mut self.related).into_vec();
        related.reserve_exact(1);
        related.push(Related {
            location: at.into(),
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

    /// The fingerprint's hash: rule, file, object and detail only, so it survives lines
    /// moving.
    fn fingerprint_hash(&self, path: &str) -> u64 {
        let mut hash = Fnv64::default();
        for part in [self.rule.code(), path] {
            hash.write(part.as_bytes());
            hash.write(&[0xff]);
        }
        // The object as `NAMESPACE/KIND/NAME`, hashed a part at a time rather than
        // formatted: the same bytes, without an allocation per finding.
        if let Some(object) = &self.object {
            hash.write(object.namespace.as_bytes());
            hash.write(b"/");
            hash.write(object.kind.as_bytes());
            hash.write(b"/");
            hash.write(object.name.as_bytes());
        }
        hash.write(&[0xff]);
        hash.write(self.detail.as_bytes());
        hash.write(&[0xff]);
        hash.0
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

/// A finding's identity across runs, the same in every output format and what a
/// baseline keys on: a hash of the rule, the file, the object and the detail (never a
/// line), and the finding's occurrence among those with the same hash in report order.
/// The second finding with a hash (the same object defined twice in one file) prints
/// as `HASH-2`, the third `HASH-3`: GitLab keeps only one of equal fingerprints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Fingerprint {
    pub hash: u64,
    /// 1 for the first finding with this hash.
    pub occurrence: u32,
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.occurrence {
            0 | 1 => write!(f, "{:016x}", self.hash),
            n => write!(f, "{:016x}-{n}", self.hash),
        }
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = ();

    /// The text [`Fingerprint`]'s `Display` writes: 16 hex digits, then `-N` for N > 1.
    fn from_str(text: &str) -> Result<Fingerprint, ()> {
        let (hash, occurrence) = match text.split_once('-') {
            Some((hash, n)) => (hash, n.parse::<u32>().map_err(|_| ())?),
            None => (text, 1),
        };
        if hash.len() != 16 || occurrence < 1 || (occurrence == 1 && text.contains('-')) {
            return Err(());
        }
        let hash = u64::from_str_radix(hash, 16).map_err(|_| ())?;
        Ok(Fingerprint { hash, occurrence })
    }
}

/// Gives each finding its [`Fingerprint`], in report order, which is deterministic, so
/// occurrences are as stable as the hashes.
#[derive(Default)]
pub struct Fingerprinter {
    /// The file of the findings seen: a hash covers the file, and findings come file by
    /// file, so only one file's hashes are ever kept.
    file: Option<FileId>,
    seen: std::collections::HashMap<u64, u32>,
}

impl Fingerprinter {
    /// Sets the fingerprint of `finding`, the next in report order; `path` is its file's.
    pub fn assign(&mut self, finding: &mut Finding, path: &str) {
        if self.file != Some(finding.location.file) {
            self.file = Some(finding.location.file);
            self.seen.clear();
        }
        let hash = finding.fingerprint_hash(path);
        let occurrence = self.seen.entry(hash).or_insert(0);
        *occurrence += 1;
        finding.fingerprint = Fingerprint {
            hash,
            occurrence: *occurrence,
        };
    }
}
