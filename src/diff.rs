//! The lines a change adds, read from a unified diff (`git diff`), so that reports can
//! put the findings on those lines first: GitHub shows only the first 10 annotations of
//! each level in a step, and a pull request's own lines are the ones its author reads.
//!
//! Hunk bodies are read by their line counts, never by their look, so an added line
//! that itself reads `+++ b/x` or `@@ -1 +1 @@` is content, not a header.

use std::collections::BTreeMap;

/// Lines added or changed on the new side of a diff, by path (relative, with `/`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangedLines {
    /// Per path: sorted, disjoint, non-adjacent ranges of 1-based lines, both ends included.
    files: BTreeMap<String, Vec<(u32, u32)>>,
}

/// A diff that cannot be read as a unified diff, with the line where reading stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct DiffError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The new side of the file whose hunks come next.
enum NewSide {
    /// No `+++` line yet.
    Unknown,
    /// `+++ /dev/null`: the file is deleted, it adds no line.
    Deleted,
    Path(String),
}

impl ChangedLines {
    /// Reads the output of `git diff` (any number of context lines; `--unified=0` is
    /// the smallest). `file` names the diff in errors. Paths are the new side's, with
    /// git's `b/` prefix removed and its C-style quoting undone.
    pub fn parse(text: &[u8], file: &str) -> Result<Self, DiffError> {
        let error = |line: usize, message: String| DiffError {
            file: file.to_owned(),
            line,
            message,
        };
        let text = text.strip_suffix(b"\n").unwrap_or(text);
        let mut files: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        let mut side = NewSide::Unknown;
        let mut lines = text.split(|&b| b == b'\n').zip(1..);
        while let Some((raw, number)) = lines.next() {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if let Some(name) = line.strip_prefix(b"+++ ") {
                side = new_side(name).map_err(|m| error(number, m))?;
                continue;
            }
            if !line.starts_with(b"@@ ") {
                // `diff --git`, `index`, `---`, mode and rename lines, `\ No newline...`.
                continue;
            }
            let hunk = Hunk::parse(line).ok_or_else(|| {
                error(
                    number,
                    "a hunk header is `@@ -START[,COUNT] +START[,COUNT] @@`".to_owned(),
                )
            })?;
            let added = match &side {
                NewSide::Unknown => {
                    return Err(error(
                        number,
                        "a hunk before any `+++` line naming its file".to_owned(),
                    ));
                }
                NewSide::Deleted => None,
                NewSide::Path(path) => Some(files.entry(path.clone()).or_default()),
            };
            read_hunk(hunk, &mut lines, added).map_err(|(at, m)| error(at.unwrap_or(number), m))?;
        }
        for ranges in files.values_mut() {
            merge(ranges);
        }
        files.retain(|_, ranges| !ranges.is_empty());
        Ok(ChangedLines { files })
    }

    /// Whether any line from `first` to `last` (1-based, both included) of `path` is
    /// added or changed.
    pub fn touches(&self, path: &str, first: u32, last: u32) -> bool {
        let Some(ranges) = self.files.get(path) else {
            return false;
        };
        let next = ranges.partition_point(|&(_, end)| end < first);
        ranges.get(next).is_some_and(|&(start, _)| start <= last)
    }
}

/// The counts of a hunk header, `@@ -START[,COUNT] +START[,COUNT] @@ ...`.
struct Hunk {
    old_count: u32,
    new_start: u32,
    new_count: u32,
}

impl Hunk {
    fn parse(line: &[u8]) -> Option<Hunk> {
        let line = std::str::from_utf8(line).ok()?;
        let ranges = line.strip_prefix("@@ -")?;
        let (old, rest) = ranges.split_once(" +")?;
        let (new, _) = rest.split_once(" @@")?;
        let range = |text: &str| -> Option<(u32, u32)> {
            match text.split_once(',') {
                Some((start, count)) => Some((number(start)?, number(count)?)),
                None => Some((number(text)?, 1)),
            }
        };
        let (_, old_count) = range(old)?;
        let (new_start, new_count) = range(new)?;
        Some(Hunk {
            old_count,
            new_start,
            new_count,
        })
    }
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Reads a hunk's body, adding the new side's `+` lines to `added` (`None`: a deleted
/// file). An error is the line it happened on (`None`: the header's) and why.
fn read_hunk<'a>(
    hunk: Hunk,
    lines: &mut impl Iterator<Item = (&'a [u8], usize)>,
    mut added: Option<&mut Vec<(u32, u32)>>,
) -> Result<(), (Option<usize>, String)> {
    let (mut old_left, mut new_left, mut at) = (hunk.old_count, hunk.new_count, hunk.new_start);
    while old_left > 0 || new_left > 0 {
        let Some((raw, number)) = lines.next() else {
            return Err((None, "the diff ends inside this hunk".to_owned()));
        };
        let too_many = || {
            (
                Some(number),
                "more lines in this hunk than its header counts".to_owned(),
            )
        };
        match raw.first() {
            Some(b'+') => {
                new_left = new_left.checked_sub(1).ok_or_else(too_many)?;
                if let Some(added) = added.as_deref_mut() {
                    added.push((at, at));
                }
                at = at.saturating_add(1);
            }
            Some(b'-') => old_left = old_left.checked_sub(1).ok_or_else(too_many)?,
            // Context; some tools strip the space of an empty context line.
            Some(b' ' | b'\r') | None => {
                old_left = old_left.checked_sub(1).ok_or_else(too_many)?;
                new_left = new_left.checked_sub(1).ok_or_else(too_many)?;
                at = at.saturating_add(1);
            }
            // `\ No newline at end of file`
            Some(b'\\') => {}
            Some(_) => {
                return Err((
                    Some(number),
                    "a line in a hunk starts with ' ', '+', '-' or '\\'".to_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// Sorts ranges and joins those that overlap or touch.
fn merge(ranges: &mut Vec<(u32, u32)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for &(start, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if start <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    *ranges = merged;
}

/// The path of a `+++ ` line: `/dev/null`, or `b/PATH`, quoted by git when it holds
/// special characters, and followed by a tab when it holds a space (or by a tab and a
/// date, from GNU diff).
fn new_side(name: &[u8]) -> Result<NewSide, String> {
    let name = if name.first() == Some(&b'"') {
        unquote(&name[1..])
            .ok_or_else(|| "a quoted file name without its closing quote".to_owned())?
    } else {
        let end = name.iter().position(|&b| b == b'\t').unwrap_or(name.len());
        name[..end].to_vec()
    };
    if name == b"/dev/null" {
        return Ok(NewSide::Deleted);
    }
    match name.strip_prefix(b"b/") {
        Some(path) => Ok(NewSide::Path(String::from_utf8_lossy(path).into_owned())),
        None => Err(format!(
            "`+++ {}` has no `b/` prefix; write the diff with git's default prefixes (`git diff --dst-prefix=b/` where diff.noprefix or diff.mnemonicPrefix is set)",
            String::from_utf8_lossy(&name)
        )),
    }
}

/// Undoes git's C-style quoting of a name (after its opening quote), up to the closing
/// quote: `\a \b \t \n \v \f \r \" \\` and three octal digits for a byte.
fn unquote(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().copied();
    while let Some(b) = bytes.next() {
        match b {
            b'"' => return Some(out),
            b'\\' => {
                let escaped = bytes.next()?;
                out.push(match escaped {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 0x0b,
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'0'..=b'3' => {
                        let digit = |d: u8| (b'0'..=b'7').contains(&d).then(|| d - b'0');
                        let (high, low) = (digit(bytes.next()?)?, digit(bytes.next()?)?);
                        (escaped - b'0') * 64 + high * 8 + low
                    }
                    other => other,
                });
            }
            other => out.push(other),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ChangedLines {
        ChangedLines::parse(text.as_bytes(), "pr.diff").expect("a valid diff")
    }

    fn lines(lines: &[&str]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn ranges(changed: &ChangedLines, path: &str) -> Vec<(u32, u32)> {
        changed.files.get(path).cloned().unwrap_or_default()
    }

    #[test]
    fn added_lines_of_unified_zero_and_context_diffs() {
        let diff = lines(&[
            "diff --git a/apps/api.yaml b/apps/api.yaml",
            "index 1111111..2222222 100644",
            "--- a/apps/api.yaml",
            "+++ b/apps/api.yaml",
            "@@ -3,0 +4,2 @@ metadata:",
            "+  labels:",
            "+    a: b",
            "@@ -10 +12 @@ spec:",
            "-      serviceAccountName: old",
            "+      serviceAccountName: api",
            "@@ -20,2 +21,0 @@",
            "-  x: 1",
            "-  y: 2",
            "diff --git a/web.yaml b/web.yaml",
            "--- a/web.yaml",
            "+++ b/web.yaml",
            "@@ -1,4 +1,5 @@",
            " kind: Pod",
            "-metadata: {}",
            "+metadata:",
            "+  name: web",
            " spec:",
            "",
            "\\ No newline at end of file",
        ]);
        let changed = parse(&diff);
        assert_eq!(ranges(&changed, "apps/api.yaml"), [(4, 5), (12, 12)]);
        assert_eq!(ranges(&changed, "web.yaml"), [(2, 3)]);
        assert_eq!(changed.files.len(), 2);
        assert!(changed.touches("apps/api.yaml", 12, 12));
        assert!(changed.touches("apps/api.yaml", 1, 4));
        assert!(changed.touches("apps/api.yaml", 5, 9));
        assert!(!changed.touches("apps/api.yaml", 6, 11));
        assert!(!changed.touches("apps/api.yaml", 13, 40));
        assert!(!changed.touches("web.yaml", 1, 1));
        assert!(!changed.touches("other.yaml", 1, 100));
    }

    #[test]
    fn content_that_looks_like_headers_is_content() {
        // Added lines reading `++ b/evil.yaml` and `@ -1 +1 @@` show as headers.
        let diff =
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -0,0 +1,3 @@\n+++ b/evil.yaml\n+@@ -1 +1 @@\n+ok\n";
        let changed = parse(diff);
        assert_eq!(ranges(&changed, "x.yaml"), [(1, 3)]);
        assert_eq!(changed.files.len(), 1);
    }

    #[test]
    fn new_deleted_renamed_quoted_and_spaced_files() {
        let diff = "--- /dev/null\n+++ b/new.yaml\n@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n\
--- a/gone.yaml\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a: 1\n-b: 2\n\
diff --git a/old.yaml b/moved.yaml\nsimilarity index 100%\nrename from old.yaml\nrename to moved.yaml\n\
--- \"a/caf\\303\\251.yaml\"\n+++ \"b/caf\\303\\251 \\\"x\\\".yaml\"\n@@ -1 +1 @@\n-a\n+b\n\
--- a/with space.yaml\t\n+++ b/with space.yaml\t\n@@ -7 +7 @@\n-a\n+b\n";
        let changed = parse(diff);
        assert_eq!(ranges(&changed, "new.yaml"), [(1, 2)]);
        assert_eq!(ranges(&changed, "café \"x\".yaml"), [(1, 1)]);
        assert_eq!(ranges(&changed, "with space.yaml"), [(7, 7)]);
        assert_eq!(changed.files.len(), 3, "{changed:?}");
    }

    #[test]
    fn crlf_diffs_and_an_empty_diff() {
        let changed = parse("--- a/w.yaml\r\n+++ b/w.yaml\r\n@@ -2,0 +3 @@\r\n+x: 1\r\n");
        assert_eq!(ranges(&changed, "w.yaml"), [(3, 3)]);
        assert_eq!(parse(""), ChangedLines::default());
    }

    #[test]
    fn malformed_diffs_say_where() {
        let err = |text: &str| {
            ChangedLines::parse(text.as_bytes(), "pr.diff")
                .expect_err("an invalid diff")
                .to_string()
        };
        assert_eq!(
            err("@@ -1 +1 @@\n-a\n+b\n"),
            "pr.diff:1: a hunk before any `+++` line naming its file"
        );
        assert_eq!(
            err("+++ b/a\n@@ -1 +x @@\n"),
            "pr.diff:2: a hunk header is `@@ -START[,COUNT] +START[,COUNT] @@`"
        );
        assert_eq!(
            err("+++ b/a\n@@ -1,2 +1,2 @@\n a\n"),
            "pr.diff:2: the diff ends inside this hunk"
        );
        assert_eq!(
            err("+++ b/a\n@@ -1 +1,2 @@\n+a\n+b\n+c\n"),
            "pr.diff:5: more lines in this hunk than its header counts"
        );
        assert_eq!(
            err("+++ b/a\n@@ -1 +1 @@\n-a\n-b\n"),
            "pr.diff:4: more lines in this hunk than its header counts"
        );
        assert_eq!(
            err("+++ b/a\n@@ -1 +1 @@\n*a\n"),
            "pr.diff:3: a line in a hunk starts with ' ', '+', '-' or '\\'"
        );
        assert!(
            err("+++ a.yaml\n").starts_with("pr.diff:1: `+++ a.yaml` has no `b/` prefix"),
            "{}",
            err("+++ a.yaml\n")
        );
        assert_eq!(
            err("+++ \"b/a\n"),
            "pr.diff:1: a quoted file name without its closing quote"
        );
        assert_eq!(
            err("+++ b/a\n@@ -1 +99999999999 @@\n"),
            "pr.diff:2: a hunk header is `@@ -START[,COUNT] +START[,COUNT] @@`"
        );
    }
}
