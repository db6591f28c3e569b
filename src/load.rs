//! One file's bytes -> the Kubernetes objects in it: format detection (JSON or YAML
//! stream), encoding and size checks, `List` expansion, Helm template and Kustomize
//! file recognition. Anything that stops a file from loading becomes a [`LoadFailure`].

use std::path::Path;

use crate::yaml::{self, Limits, NodeRef, ParseErrorKind, Pos, Stream};

/// Why (part of) a file could not be loaded; reported as TG000.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadFailure {
    pub pos: Pos,
    pub reason: String,
}

/// A file that is deliberately not scanned, reported as a notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    HelmTemplate,
    /// A FIFO, device or socket: what it is.
    NotRegular(&'static str),
}

pub enum Loaded {
    /// The parsed stream and the roots of its Kubernetes objects, in file order.
    Manifests {
        stream: Box<Stream>,
        objects: Vec<yaml::NodeId>,
        ignored_documents: usize,
        failure: Option<LoadFailure>,
    },
    Skipped(Skip),
    Failed(LoadFailure),
}

/// Whether `path` is a Helm chart template: under a `templates/` folder whose parent
/// holds a `Chart.yaml`.
pub fn is_helm_template_path(path: &Path) -> bool {
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir
                .parent()
                .is_some_and(|chart| chart.join("Chart.yaml").is_file())
    })
}

pub fn is_kustomization_path(path: &Path) -> bool {
    path.file_name().is_some_and(|n| {
        n == "kustomization.yaml" || n == "kustomization.yml" || n == "Kustomization"
    })
}

/// Why a file was not read at all (a notification, and TG000 for I/O errors).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, device or socket: skipped, because reading one can block forever or
    /// never end.
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Reads a file for scanning: at most `limit + 1` bytes (so an oversized file costs
/// nothing and is still recognised as too large), only if it is a regular file, and,
/// unless `follow` is set, never through a symbolic link in its last component. It is
/// opened without blocking, so a FIFO that appears in place of a file cannot hang the
/// scan.
pub fn read_file(path: &Path, limit: u64, follow: bool) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let (file, len) = open_regular_sized(path, follow)?;
    // Sized from the file's length: `Take` hides std's size hint, and growing the
    // buffer from a few bytes costs a read call per doubling.
    let capacity = len.min(limit).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens a regular file for reading without blocking (see [`read_file`]).
pub fn open_regular(path: &Path, follow: bool) -> Result<std::fs::File, ReadError> {
    open_regular_sized(path, follow).map(|(file, _)| file)
}

/// [`open_regular`], with the file's length.
fn open_regular_sized(path: &Path, follow: bool) -> Result<(std::fs::File, u64), ReadError> {
    let file = open_nonblocking(path, follow)?;
    let metadata = file.metadata()?;
    if !metadata.file_type().is_file() {
        return Err(ReadError::NotRegular(file_kind(metadata.file_type())));
    }
    Ok((file, metadata.len()))
}

#[cfg(unix)]
fn open_nonblocking(path: &Path, follow: bool) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path, _follow: bool) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// What a file that is not a regular file is, for messages.
pub fn file_kind(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

pub fn load(bytes: &[u8], limits: &Limits) -> Loaded {
    let max_bytes = limits.max_file_bytes.min(yaml::MAX_FILE_BYTES_CEILING);
    if bytes.len() as u64 > max_bytes {
        return failed(
            Pos::START,
            format!("file is larger than the {max_bytes} byte limit (--max-file-size)"),
        );
    }
    if [&[0xff, 0xfe][..], &[0xfe, 0xff], &[0, 0, 0xfe, 0xff]]
        .iter()
        .any(|bom| bytes.starts_with(bom))
    {
        return failed(
            Pos::START,
            "UTF-16 or UTF-32 text (byte order mark); convert the file to UTF-8".to_owned(),
        );
    }
    // `contains` is a vectorised memchr; the position is only wanted when there is one.
    if bytes.contains(&0)
        && let Some(offset) = bytes.iter().position(|&b| b == 0)
    {
        return failed(
            pos_of_offset(bytes, offset),
            "binary content (NUL byte)".to_owned(),
        );
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let offset = e.valid_up_to();
            return failed(
                pos_of_offset(bytes, offset),
                format!("not valid UTF-8 (byte 0x{:02X})", bytes[offset]),
            );
        }
    };
    let is_json = text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
        .starts_with('{');
    if let Some((offset, c)) = first_disallowed(text, is_json) {
        return failed(
            pos_of_offset(bytes, offset),
            format!(
                "control character U+{:04X} is not allowed in {}",
                u32::from(c),
                if is_json { "JSON" } else { "YAML" }
            ),
        );
    }
    let mut stream = Box::new(if is_json {
        yaml::parse_json(text, limits)
    } else {
        yaml::parse(text, limits)
    });
    let failure = stream.error.as_ref().map(|e| LoadFailure {
        pos: e.pos.min(pos_of_offset(bytes, bytes.len())),
        reason: match &e.kind {
            ParseErrorKind::Syntax(msg) if is_json => format!("invalid JSON: {msg}"),
            ParseErrorKind::Syntax(msg) => format!("invalid YAML: {msg}"),
            other => other.to_string(),
        },
    });
    let mut objects = Vec::new();
    let mut ignored_documents = 0;
    // Documents that hold objects: only there is a repeated key kubectl's business.
    let mut object_documents = Vec::new();
    for doc in &stream.documents {
        let loaded_before = objects.len();
        let root = stream.tree.node(doc.root);
        if is_empty_document(root) {
            continue;
        }
        match type_meta(root) {
            Some((api_version, _)) if api_version.starts_with("kustomize.config.k8s.io/") => {
                ignored_documents += 1
            }
            Some((_, kind)) if kind.ends_with("List") && root.get("items").is_some() => {
                let items = root.get("items").into_iter().flat_map(|i| i.items());
                for item in items {
                    if type_meta(item).is_some() {
                        objects.push(item.id());
                    } else {
                        ignored_documents += 1;
                    }
                }
            }
            Some(_) => objects.push(root.id()),
            None => ignored_documents += 1,
        }
        if objects.len() > loaded_before {
            object_documents.push(root.span());
        }
    }
    // The documents are in text order: the one a key is in is the last to start before it.
    stream.duplicates.retain(|d| {
        let before = object_documents.partition_point(|doc| doc.start <= d.at.start);
        before
            .checked_sub(1)
            .is_some_and(|i| d.at.start < object_documents[i].end)
    });
    // A template that does not parse is skipped, not failed: only when the error is the
    // template's (SPEC 3.2) and nothing was loaded before it, so that appending `{{ }}`
    // to a manifest does not turn it into a silently skipped file.
    if let Some(failure) = &failure
        && objects.is_empty()
        && is_template_error(text, failure.pos)
    {
        return Loaded::Skipped(Skip::HelmTemplate);
    }
    Loaded::Manifests {
        stream,
        objects,
        ignored_documents,
        failure,
    }
}

fn failed(pos: Pos, reason: String) -> Loaded {
    Loaded::Failed(LoadFailure { pos, reason })
}

/// The first character kubectl would reject, with its byte offset.
fn first_disallowed(text: &str, is_json: bool) -> Option<(usize, char)> {
    // Manifests are nearly all printable ASCII: blocks of it are passed with a branch-free
    // test that vectorises, and characters are decoded only from the first other block.
    // Everything before that block is ASCII, so it starts on a character boundary.
    const BLOCK: usize = 64;
    let clean = text
        .as_bytes()
        .chunks(BLOCK)
        .take_while(|block| {
            block.iter().fold(true, |ok, &b| {
                ok & (matches!(b, 0x20..=0x7e) | (b == b'\t') | (b == b'\n') | (b == b'\r'))
            })
        })
        .count()
        * BLOCK;
    let rest = text.get(clean..)?;
    rest.char_indices()
        .find(|&(_, c)| !allowed(c, is_json))
        .map(|(offset, c)| (clean + offset, c))
}

/// The characters kubectl accepts: YAML's printable set (go-yaml rejects the others
/// with "control characters are not allowed"); JSON only forbids raw C0 controls.
fn allowed(c: char, is_json: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => true,
        _ if is_json => !matches!(c, '\0'..='\u{1f}'),
        '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' => true,
        _ => c >= '\u{10000}',
    }
}

/// The object's `apiVersion` and `kind` if both are non-empty strings.
pub fn type_meta(node: NodeRef<'_>) -> Option<(&str, &str)> {
    let api_version = node.get("apiVersion")?.as_str().filter(|s| !s.is_empty())?;
    let kind = node.get("kind")?.as_str().filter(|s| !s.is_empty())?;
    Some((api_version, kind))
}

/// `---` followed by nothing, or only comments: a null scalar root.
fn is_empty_document(root: NodeRef<'_>) -> bool {
    root.scalar()
        .is_some_and(|s| matches!(yaml::scalar::resolve(s), yaml::scalar::Value::Null))
}

/// Whether a parse error at `at` is plausibly a template's: on a line that a `{{ ... }}`
/// action is written on (its first, last or any line between). Any other error is the
/// file's, even in a file with template actions elsewhere; a `}}` that closes no action
/// (nested JSON objects) is no template.
fn is_template_error(text: &str, at: Pos) -> bool {
    // Lines are counted once, from one offset to the next, as the parser counts them.
    let (mut counted, mut line) = (0, 1u32);
    let mut line_of = |offset: usize| {
        let breaks = line_breaks(&text.as_bytes()[counted..offset]);
        line = line.saturating_add(u32::try_from(breaks).unwrap_or(u32::MAX));
        counted = offset;
        line
    };
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            return false;
        };
        let (first, last) = (line_of(open), line_of(close));
        if first > at.line {
            return false;
        }
        if at.line <= last {
            return true;
        }
        from = close + 2;
    }
    false
}

/// How many lines `bytes` ends, as the YAML parser counts them: at LF, CRLF or a lone CR.
fn line_breaks(bytes: &[u8]) -> usize {
    let lone_crs = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
        .count();
    bytes.iter().filter(|&&b| b == b'\n').count() + lone_crs
}

/// The 1-based line and column of a byte offset, as the YAML parser counts them: lines
/// end at LF, CRLF or a lone CR; columns are characters (invalid bytes count as one);
/// a byte order mark at the start is not a column.
fn pos_of_offset(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let mut line = 1usize;
    let mut line_start = 0;
    for (i, &b) in before.iter().enumerate() {
        let crlf = b == b'\r' && before.get(i + 1) == Some(&b'\n');
        if b == b'\n' || (b == b'\r' && !crlf) {
            line += 1;
            line_start = i + 1;
        }
    }
    let mut head = &before[line_start..];
    if line == 1 {
        head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    }
    let col = String::from_utf8_lossy(head).chars().count() + 1;
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifests(text: &str) -> (usize, usize, Option<LoadFailure>) {
        match load(text.as_bytes(), &Limits::default()) {
            Loaded::Manifests {
                objects,
                ignored_documents,
                failure,
                ..
            } => (objects.len(), ignored_documents, failure),
            _ => panic!("not manifests"),
        }
    }

    #[test]
    fn lists_expand_and_other_yaml_is_ignored() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ServiceAccount}\n- {apiVersion: v1, kind: Pod}\n---\nfoo: bar\n---\n# only a comment\n";
        assert_eq!(manifests(text), (2, 1, None));
    }

    #[test]
    fn disallowed_characters_are_found_in_any_block() {
        let ascii = "a: b\n".repeat(30);
        assert_eq!(first_disallowed(&ascii, false), None);
        // A control character after several clean blocks, at its exact offset.
        let late = format!("{ascii}c: \u{7}\n");
        assert_eq!(
            first_disallowed(&late, false),
            Some((ascii.len() + 3, '\u{7}'))
        );
        // Non-ASCII text that is allowed, then a C1 control in the same block.
        let mixed = format!("{ascii}d: \u{e9}t\u{e9}\u{85}\u{9b}\n");
        assert_eq!(
            first_disallowed(&mixed, false),
            Some((ascii.len() + 3 + 2 + 1 + 2 + 2, '\u{9b}'))
        );
        // DEL is printable for JSON, not for YAML.
        assert_eq!(first_disallowed("{\"a\": \"\u{7f}\"}", true), None);
        assert_eq!(first_disallowed("a: \u{7f}", false), Some((3, '\u{7f}')));
    }

    #[test]
    fn json_errors_say_json() {
        let (_, _, failure) = manifests("{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": [\n}\n");
        let failure = failure.unwrap();
        assert!(failure.reason.starts_with("invalid JSON: "), "{failure:?}");
        assert_eq!(failure.pos.line, 4);
    }

    #[test]
    fn broken_templates_are_skipped_but_valid_yaml_with_braces_is_scanned() {
        let template = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n  {{- include \"labels\" . | nindent 4 }}\n";
        assert!(matches!(
            load(template.as_bytes(), &Limits::default()),
            Loaded::Skipped(Skip::HelmTemplate)
        ));
        let config_map =
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  alert: \"{{ $labels.instance }} down\"\n";
        assert_eq!(manifests(config_map), (1, 0, None));
    }

    #[test]
    fn only_an_error_in_a_template_action_makes_a_file_a_template() {
        let skipped = |text: &str| {
            matches!(
                load(text.as_bytes(), &Limits::default()),
                Loaded::Skipped(Skip::HelmTemplate)
            )
        };
        // The error on a line with an action, and inside an action spanning lines.
        assert!(skipped("kind: Pod\nmetadata:\n  {{- include \"x\" . }}\n"));
        assert!(skipped("kind: Pod\n{{- if\n   and .a .b: [ }}\nx: 1\n"));
        // An error of its own in a file that holds actions elsewhere is a TG000.
        let text = "kind: Pod\nmetadata:\n  name: \"{{ .Values.name }}\"\n  labels: [a\n";
        assert!(!skipped(text));
        let (_, _, failure) = manifests(text);
        assert_eq!(failure.map(|f| f.pos.line), Some(5));
        // Lines end at a lone CR too, for the parser and for this test alike: the same
        // two files with old Mac line ends.
        assert!(skipped("kind: Pod\rmetadata:\r  {{- include \"x\" . }}\r"));
        assert!(!skipped(&text.replace('\n', "\r")));
    }

    #[test]
    fn binary_and_non_utf8_fail_at_their_position() {
        let Loaded::Failed(f) = load(b"a: 1\nb: \xff\n", &Limits::default()) else {
            panic!()
        };
        assert_eq!(
            (f.pos, f.reason.as_str()),
            (Pos { line: 2, col: 4 }, "not valid UTF-8 (byte 0xFF)")
        );
        let Loaded::Failed(f) = load(b"a: 1\n\0", &Limits::default()) else {
            panic!()
        };
        assert_eq!(f.pos, Pos { line: 2, col: 1 });
    }
}
