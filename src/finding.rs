//! What a rule reports: a level, a message, where, and about which object.

use compact_str::CompactString;
use std::fmt;
use std::sync::Arc;

use crate::model::object::Ignores;
use crate::origin::Origin;
pub use crate::rule_id::{Level, RuleId};
use crate::yaml::Span;
use crate::{FileId, Files};

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

#[derive(Clone, Debug, PartialEq, Eq)]
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
    pub ignores: Ignores,
    /// The root that rendered it; `None` for an object of a plain file.
    pub root: Option<Arc<KustomizeRoot>>,
}

/// The Kustomize root a finding about a rendered object was rendered by (SPEC 3.4). One
/// root's findings share one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KustomizeRoot {
    /// The root's directory relative to `--root`, `/`-separated; `.` for the root itself.
    pub dir: CompactString,
    /// Its kustomization file (`kustomization.yaml`, `kustomization.yml` or
    /// `Kustomization`), where outputs point as the place that rendered the object.
    pub kustomization: FileId,
}

impl KustomizeRoot {
    /// The root of the kustomization file `kustomization`: its directory as `files`
    /// shows its path.
    pub fn of(kustomization: FileId, files: &Files) -> KustomizeRoot {
        let dir = match files.path(kustomization).rsplit_once('/') {
            Some(("", _)) => "/",
            Some((dir, _)) => dir,
            None => ".",
        };
        KustomizeRoot {
            dir: dir.into(),
            kustomization,
        }
    }

    /// How a message names the root: ``rendered by `deploy/overlays/prod` ``. Outputs
    /// look for these words to tell whether a message names its root.
    pub fn rendered_by(&self) -> String {
        format!("rendered by `{}`", self.dir)
    }
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

    /// ``Deployment prod/api, rendered by `deploy/overlays/prod`,``: an object of a
    /// rendered root as the subject of a message, before its verb (SPEC 3.4).
    pub fn describe_rendered(&self, root: &KustomizeRoot) -> String {
        rendered_subject(self.describe(), root)
    }
}

/// `object`, an object's description, with the root that rendered it in apposition.
pub fn rendered_subject(object: String, root: &KustomizeRoot) -> String {
    format!("{object}, {},", root.rendered_by())
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

    /// The object the finding is about. A rendered object's root is named in the
    /// message, once, for every output: after the object where the message names it
    /// first (as rules write messages, SPEC 6), else at the end.
    pub fn object(mut self, object: ObjectRef) -> Self {
        if let Some(root) = &object.root {
            let named = root.rendered_by();
            if !self.message.contains(&named) {
                let subject = object.describe();
                let message = match self.message.strip_prefix(subject.as_str()) {
                    Some(rest) => format!("{}{rest}", rendered_subject(subject.clone(), root)),
                    None => format!("{} ({named})", self.message),
                };
                self.message = exact(&message);
            }
        }
        self.object = Some(object);
        self
    }

    /// The same finding about its object as `root` rendered it (tests build findings
    /// of rendered objects from plain ones).
    #[cfg(test)]
    pub(crate) fn rendered_by(mut self, root: Arc<KustomizeRoot>) -> Self {
        let object = self.object.take().expect("a finding about an object");
        self.object(ObjectRef {
            root: Some(root),
            ..object
        })
    }

    /// The Kustomize root that rendered the finding's object; `None` for a plain file's.
    pub fn root(&self) -> Option<&Arc<KustomizeRoot>> {
        self.object.as_ref()?.root.as_ref()
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

    /// What the finding's fingerprint and baseline entry name as its place: the root's
    /// directory for a rendered object (one base deployed by two overlays is two
    /// findings, and a key moving from the base to a patch stays the same finding), else
    /// its file's path.
    pub fn unit_path<'a>(&'a self, files: &'a Files) -> &'a str {
        match self.root() {
            Some(root) => &root.dir,
            None => files.path(self.location.file),
        }
    }

    /// The fingerprint's hash: rule, unit path ([`Finding::unit_path`]), object and
    /// detail only, so it survives lines moving.
    fn fingerprint_hash(&self, unit_path: &str) -> u64 {
        let mut hash = Fnv64::default();
        hash.write(self.rule.code().as_bytes());
        hash.write(&[0xff]);
        hash.write(unit_path.as_bytes());
        // Neither byte occurs in UTF-8: a root never hashes as a file of the same name.
        hash.write(&[if self.root().is_some() { 0xfe } else { 0xff }]);
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
/// baseline keys on: a hash of the rule, the file (for a rendered object, its root), the
/// object and the detail (never a line), and the finding's occurrence among those with
/// the same hash in report order.
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
    /// The file of the plain files' findings seen: their hash covers the file, and they
    /// come file by file, so only one file's hashes are ever kept.
    file: Option<FileId>,
    seen: std::collections::HashMap<u64, u32>,
    /// The hashes of rendered objects' findings, kept for the whole scan: one root's
    /// findings lie in many files (its bases and patches), between other findings.
    rendered: std::collections::HashMap<u64, u32>,
}

impl Fingerprinter {
    /// Sets the fingerprint of `finding`, the next in report order, whose files are
    /// `files`.
    pub fn assign(&mut self, finding: &mut Finding, files: &Files) {
        let hash = finding.fingerprint_hash(finding.unit_path(files));
        let seen = if finding.root().is_some() {
            &mut self.rendered
        } else {
            if self.file != Some(finding.location.file) {
                self.file = Some(finding.location.file);
                self.seen.clear();
            }
            &mut self.seen
        };
        let occurrence = seen.entry(hash).or_insert(0);
        *occurrence += 1;
        finding.fingerprint = Fingerprint {
            hash,
            occurrence: *occurrence,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{FileStatus, Registration, Source};
    use crate::yaml::{Pos, Span};

    /// `base/deployment.yaml`, two roots' kustomizations, and a file named as a root.
    fn files() -> Files {
        let paths = [
            "base/deployment.yaml",
            "overlays/prod",
            "overlays/prod/kustomization.yaml",
            "overlays/staging/kustomization.yaml",
        ];
        Files::register(
            paths
                .iter()
                .map(|path| Registration {
                    path: (*path).to_owned(),
                    source: Source::UnderRoot,
                    status: FileStatus::Scanned,
                })
                .collect(),
        )
    }

    const BASE: FileId = FileId(0);
    const FILE_NAMED_AS_ROOT: FileId = FileId(1);
    const PROD: FileId = FileId(2);
    const STAGING: FileId = FileId(3);

    fn tg001(file: FileId, line: u32, name: &str) -> Finding {
        let start = Pos { line, col: 5 };
        let location = Location {
            file,
            region: Span { start, end: start },
        };
        Finding::new(
            RuleId::TokenAutomountUntrusted,
            Level::Error,
            location,
            String::new(),
        )
        .object(ObjectRef {
            namespace: "default".into(),
            kind: "Deployment".into(),
            name: name.into(),
            ignores: Ignores::default(),
            root: None,
        })
    }

    fn root(kustomization: FileId, files: &Files) -> Arc<KustomizeRoot> {
        Arc::new(KustomizeRoot::of(kustomization, files))
    }

    /// The fingerprints `Fingerprinter` gives `findings`, in this order.
    fn fingerprints(mut findings: Vec<Finding>, files: &Files) -> Vec<String> {
        let mut fingerprinter = Fingerprinter::default();
        findings
            .iter_mut()
            .map(|f| {
                fingerprinter.assign(f, files);
                f.fingerprint.to_string()
            })
            .collect()
    }

    #[test]
    fn a_root_is_its_kustomizations_directory() {
        let files = files();
        assert_eq!(KustomizeRoot::of(PROD, &files).dir, "overlays/prod");
        assert_eq!(KustomizeRoot::of(PROD, &files).kustomization, PROD);
        let at_the_root = Files::register(vec![Registration {
            path: "kustomization.yaml".to_owned(),
            source: Source::UnderRoot,
            status: FileStatus::Kustomization,
        }]);
        assert_eq!(KustomizeRoot::of(FileId(0), &at_the_root).dir, ".");
    }

    #[test]
    fn a_rendered_object_is_described_with_its_root() {
        let files = files();
        let object = tg001(BASE, 1, "api").object.unwrap();
        assert_eq!(
            object.describe_rendered(&KustomizeRoot::of(PROD, &files)),
            "Deployment default/api, rendered by `overlays/prod`,"
        );
    }

    /// A plain file's finding hashes as it always did: the rule, the path, the object
    /// and the detail, each part closed by 0xff (the recorded fingerprints test checks
    /// the same on every fixture and the corpus).
    #[test]
    fn a_plain_files_fingerprint_is_unchanged() {
        let files = files();
        let finding = tg001(BASE, 11, "api");
        let mut expected = Fnv64::default();
        for part in [
            &b"TG001"[..],
            b"\xff",
            b"base/deployment.yaml",
            b"\xff",
            b"default/Deployment/api",
            b"\xff",
            b"\xff",
        ] {
            expected.write(part);
        }
        assert_eq!(
            fingerprints(vec![finding], &files),
            [format!("{:016x}", expected.0)]
        );
    }

    #[test]
    fn the_same_base_line_rendered_by_two_roots_is_two_fingerprints() {
        let files = files();
        let plain = tg001(BASE, 11, "api");
        let prod = tg001(BASE, 11, "api").rendered_by(root(PROD, &files));
        let staging = tg001(BASE, 11, "api").rendered_by(root(STAGING, &files));
        assert_eq!(prod.unit_path(&files), "overlays/prod");
        assert_eq!(plain.unit_path(&files), "base/deployment.yaml");
        let prints = fingerprints(vec![plain, prod.clone(), staging], &files);
        assert_eq!(prints.len(), 3);
        assert!(prints.iter().all(|p| p.len() == 16), "{prints:?}");
        assert_ne!(prints[0], prints[1]);
        assert_ne!(prints[0], prints[2]);
        assert_ne!(prints[1], prints[2]);
        // The root, not the file or line, is in the fingerprint: the key moving to a
        // patch of the root keeps it.
        let moved = Finding {
            location: Location {
                file: PROD,
                ..prod.location
            },
            ..prod
        };
        assert_eq!(fingerprints(vec![moved], &files), prints[1..2]);
    }

    #[test]
    fn a_root_never_fingerprints_as_a_file_of_the_same_name() {
        let files = files();
        let plain = tg001(FILE_NAMED_AS_ROOT, 1, "api");
        let rendered = tg001(BASE, 1, "api").rendered_by(root(PROD, &files));
        assert_eq!(plain.unit_path(&files), rendered.unit_path(&files));
        let prints = fingerprints(vec![plain, rendered], &files);
        assert_ne!(prints[0], prints[1]);
    }

    /// One root's findings lie in several files, between other files' findings: twins
    /// (the same rule, object and detail in one root) are still told apart.
    #[test]
    fn twins_of_one_root_in_different_files_get_distinct_occurrences() {
        let files = files();
        let prod = root(PROD, &files);
        let prints = fingerprints(
            vec![
                tg001(BASE, 11, "api").rendered_by(prod.clone()),
                tg001(FILE_NAMED_AS_ROOT, 1, "other"),
                tg001(PROD, 3, "api").rendered_by(prod),
            ],
            &files,
        );
        assert_eq!(prints[2], format!("{}-2", prints[0]));
    }
}
