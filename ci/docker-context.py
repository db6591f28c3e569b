"""Copies what the Dockerfile's COPY instructions take from the build context into an
empty directory, as `docker build` would, and prints the directory its `cargo build`
runs in. Used by ci/check-shipping.sh to build the image's sources without a Docker
engine.

    python3 ci/docker-context.py CONTEXT OUT [DOCKERFILE]
        (CONTEXT holds .dockerignore and, unless DOCKERFILE names another, the Dockerfile)

What it understands of a Dockerfile (and refuses the rest, exit 1): line continuations,
comments, FROM, WORKDIR, COPY in shell form with --chown, --chmod, --link or --from
(which copies from another stage or image, so it takes nothing from the context),
wildcards in sources, and the first RUN that calls `cargo build`. .dockerignore is applied as Docker applies it: the
last pattern that matches a path or one of its parent directories decides, `!` re-includes,
`*` and `?` stop at `/`, `**` spans directories.
"""

import os
import posixpath
import re
import shutil
import sys


def fail(message):
    print(f"docker-context: {message}", file=sys.stderr)
    sys.exit(1)


def instructions(text):
    """(line number, keyword, arguments) per instruction, continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        yield start, keyword.upper(), rest.strip()
    if pending:
        fail("the Dockerfile ends inside a continued line")


def glob_regex(pattern):
    """A Go filepath.Match pattern (plus `**`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                fail(f"bad character class in pattern {pattern!r}")
            body = pattern[i + 1 : end]
            if body.startswith("^"):
                body = "^" + body[1:].replace("\\", "\\\\")
            else:
                body = body.replace("\\", "\\\\")
            out.append(f"[{body}]")
            i = end + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return re.compile("".join(out) + r"\Z")


def ignore_rules(context):
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return []
    rules = []
    for raw in open(path, encoding="utf-8").read().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = posixpath.normpath(line[1:].strip() if keep else line).lstrip("/")
        rules.append((keep, pattern, glob_regex(pattern)))
    return rules


def ignored(rules, path):
    """Whether .dockerignore leaves `path` (relative, with `/`) out of the context."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for keep, _, regex in rules:
        if any(regex.match(p) for p in prefixes):
            verdict = not keep
    return verdict


def context_files(context, rules):
    """Every file of the context that .dockerignore lets through, relative, sorted."""
    def may_hold_included(rel):  # whether a `!` pattern can reach below directory `rel`
        for keep, pattern, _ in rules:
            literal = re.split(r"[*?\[\\]", pattern, maxsplit=1)[0]
            if keep and (not literal or literal.startswith(rel + "/")):
                return True
        return False

    found = []
    for top, dirs, files in os.walk(context):
        rel_top = os.path.relpath(top, context).replace(os.sep, "/")
        # An excluded directory is skipped unless an exception can re-include within it.
        dirs[:] = sorted(
            d for d in dirs
            if not ignored(rules, posixpath.normpath(posixpath.join(rel_top, d)))
            or may_hold_included(posixpath.normpath(posixpath.join(rel_top, d)))
        )
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(top, name), context).replace(os.sep, "/")
            if not ignored(rules, rel):
                found.append(rel)
    return found


def copy(context, out, files, sources, dest, workdir, where):
    """One COPY: a directory's contents go into dest; a file goes to dest, or into it
    when dest ends with `/` or there are several sources or wildcards."""
    dirs = {"/".join(f.split("/")[:n]) for f in files for n in range(1, f.count("/") + 1)}
    dest_abs = posixpath.normpath(posixpath.join(workdir, dest))
    wildcards = any(c in s for s in sources for c in "*?[")
    into_dir = dest.endswith("/") or len(sources) > 1 or wildcards
    for source in sources:
        source = posixpath.normpath(source).lstrip("/")
        if source in ("", "."):
            matched = [""]
        else:
            regex = glob_regex(source)
            matched = sorted(p for p in set(files) | dirs if regex.match(p))
        if not matched:
            fail(f"{where}: COPY source {source!r} is not in the build context "
                 "(missing, or excluded by .dockerignore)")
        for entry in matched:
            if entry in files:
                name = posixpath.basename(entry)
                pairs = [(entry, posixpath.join(dest_abs, name) if into_dir else dest_abs)]
            else:
                prefix = entry + "/" if entry else ""
                pairs = [(f, posixpath.join(dest_abs, f[len(prefix):]))
                         for f in files if f.startswith(prefix)]
            for source_file, target in pairs:
                target = os.path.join(out, target.lstrip("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(os.path.join(context, source_file), target)


def main():
    if len(sys.argv) not in (3, 4):
        fail("usage: docker-context.py CONTEXT OUT [DOCKERFILE]")
    context, out = sys.argv[1], sys.argv[2]
    dockerfile = sys.argv[3] if len(sys.argv) == 4 else os.path.join(context, "Dockerfile")
    if os.path.exists(out) and os.listdir(out):
        fail(f"{out} is not empty")
    rules = ignore_rules(context)
    files = context_files(context, rules)
    text = open(dockerfile, encoding="utf-8").read()
    workdir, build_dir = "/", None
    name = os.path.basename(dockerfile)
    for number, keyword, args in instructions(text):
        where = f"{name}:{number}"
        if keyword == "FROM":
            workdir = "/"
        elif keyword == "WORKDIR":
            workdir = posixpath.normpath(posixpath.join(workdir, args))
        elif keyword in ("COPY", "ADD"):
            words = args.split()
            if words and words[0].startswith("["):
                fail(f"{where}: {keyword} in JSON form is not understood here")
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            if any(f.startswith("--from=") for f in flags):
                continue
            understood = ("--chown=", "--chmod=", "--link")
            if any(not f.startswith(understood) for f in flags) or any("$" in p for p in paths):
                fail(f"{where}: `{keyword} {args}` is not understood here")
            if keyword == "ADD" or len(paths) < 2:
                fail(f"{where}: `{keyword} {args}` is not understood here")
            copy(context, out, files, paths[:-1], paths[-1], workdir, where)
        elif keyword == "RUN" and build_dir is None and "cargo build" in args:
            build_dir = workdir
    if build_dir is None:
        fail(f"no RUN instruction of {name} calls `cargo build`")
    print(os.path.join(out, build_dir.lstrip("/")))


main()
