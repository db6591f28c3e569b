#!/usr/bin/env python3
"""Independent reference census of a manifest corpus (tokenguard SPEC sections 3, 4.1, 4.2).

Deliberately NOT derived from the Rust scanner: it re-implements file discovery, file
classification (ok / invalid / helm-template / kustomization) and the counting of objects,
workloads and ServiceAccounts with PyYAML, so that an integration test can compare the
scanner's counts with it.  Usage: corpus_census.py CORPUS_DIR  ->  one JSON object on stdout.

- Walks recursively *.yaml, *.yml, *.json and files named Kustomization; skips hidden
  directories; never follows symlinks.
- After an optional UTF-8 BOM, a file whose first non-blank character is '{' is JSON (as in
  kubectl), anything else a YAML 1.1 stream read with libyaml's safe loader; timestamps and
  the '=' value tag stay plain strings (kubectl does not build them either).
- A mapping with a duplicate key keeps the last value, as kubectl's non-strict reader does.
- "files" is sorted by path as a plain string ('-' sorts before '/'); invalid files carry an
  "error" field, "LINE:COL: message" where a position is known.
"""
import json
import os
import sys

import yaml

WORKLOAD_KINDS = {  # API group -> kinds (the core group "" only with apiVersion "v1")
    "": {"Pod", "PodTemplate", "ReplicationController"},
    "apps": {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"},
    "batch": {"Job", "CronJob"},
    "argoproj.io": {"Rollout"},
}
APPS_IN_EXTENSIONS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}
EXTENSIONS = (".yaml", ".yml", ".json")
KUSTOMIZATION_NAMES = {"kustomization.yaml", "kustomization.yml", "Kustomization"}
STATUSES = ("helm-template", "invalid", "kustomization", "ok")
COUNTS = ("objects", "workloads", "serviceAccounts")

if not hasattr(yaml, "CSafeLoader"):
    # The pure-Python parser rejects YAML that libyaml and go-yaml accept (a tab after a plain
    # scalar, in this corpus), so the census would silently differ: refuse instead.
    sys.exit("corpus_census.py: needs PyYAML built with libyaml (yaml.CSafeLoader)")


class CensusLoader(yaml.CSafeLoader):
    """libyaml safe loader keeping timestamps and the YAML 1.1 '=' value tag as strings.
    Like kubectl (go-yaml v2, encoding/json), it keeps the last of two equal keys."""


for _tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"):
    CensusLoader.add_constructor(_tag, yaml.SafeLoader.construct_yaml_str)


def walk(root):
    """Relative paths ('/' separators) of candidate files, sorted as strings."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]  # symlinked dirs: not walked
        for name in filenames:
            full = os.path.join(dirpath, name)
            wanted = name.endswith(EXTENSIONS) or name == "Kustomization"
            if wanted and not os.path.islink(full):
                found.append(os.path.relpath(full, root).replace(os.sep, "/"))
    return sorted(found)


def in_chart_templates(root, rel):
    """True if an ancestor folder is named `templates` and its parent holds a Chart.yaml."""
    parts = rel.split("/")[:-1]
    return any(part == "templates" and os.path.isfile(os.path.join(root, *parts[:i], "Chart.yaml"))
               for i, part in enumerate(parts))


def describe(err):
    """One-line error message, prefixed with a 1-based LINE:COL where one is known."""
    if isinstance(err, json.JSONDecodeError):
        return f"{err.lineno}:{err.colno}: {err.msg}"
    if isinstance(err, UnicodeDecodeError):
        return f"not UTF-8: byte 0x{err.object[err.start]:02x} at offset {err.start}"
    if isinstance(err, yaml.MarkedYAMLError):
        text = " ".join(p for p in (err.context, err.problem) if p)
        mark = err.problem_mark or err.context_mark
        return f"{mark.line + 1}:{mark.column + 1}: {text}" if mark else text
    return " ".join(str(err).split()) or type(err).__name__


def parse(text):
    """Documents of a JSON file or a YAML stream; raises on any error."""
    if text.lstrip()[:1] == "{":
        return [json.loads(text)]
    return list(yaml.load_all(text, Loader=CensusLoader))


def is_object(doc):
    return (isinstance(doc, dict)
            and isinstance(doc.get("apiVersion"), str) and doc["apiVersion"] != ""
            and isinstance(doc.get("kind"), str) and doc["kind"] != "")


def objects_of(docs):
    """Kubernetes objects of a stream: *List kinds with `items` expanded, kustomize excluded."""
    out = []
    for doc in docs:
        if not is_object(doc) or doc["apiVersion"].startswith("kustomize.config.k8s.io/"):
            continue
        if doc["kind"].endswith("List") and isinstance(doc.get("items"), list):
            out.extend(item for item in doc["items"] if is_object(item))
        else:
            out.append(doc)
    return out


def is_workload(obj):
    api, kind = obj["apiVersion"], obj["kind"]
    if api == "extensions/v1beta1":
        return kind in APPS_IN_EXTENSIONS
    if "/" not in api:
        return api == "v1" and kind in WORKLOAD_KINDS[""]
    return kind in WORKLOAD_KINDS.get(api.split("/", 1)[0], ())


def census_file(root, rel):
    entry = {"path": rel, "status": "ok", **dict.fromkeys(COUNTS, 0)}
    if in_chart_templates(root, rel):
        return entry | {"status": "helm-template"}
    if rel.rsplit("/", 1)[-1] in KUSTOMIZATION_NAMES:
        return entry | {"status": "kustomization"}
    with open(os.path.join(root, rel), "rb") as f:
        raw = f.read()
    text = None
    try:
        text = raw.decode("utf-8-sig")  # a leading BOM is dropped, as kubectl does
        objs = objects_of(parse(text))
    except (ValueError, RecursionError, yaml.YAMLError) as err:  # ValueError: JSON, UTF-8
        if text is not None and "{{" in text:
            return entry | {"status": "helm-template"}
        return entry | {"status": "invalid", "error": describe(err)}
    entry["objects"] = len(objs)
    entry["workloads"] = sum(1 for o in objs if is_workload(o))
    entry["serviceAccounts"] = sum(1 for o in objs
                                   if o["apiVersion"] == "v1" and o["kind"] == "ServiceAccount")
    return entry


def census(root):
    files = [census_file(root, rel) for rel in walk(root)]
    totals = {key: sum(f[key] for f in files) for key in COUNTS}
    totals["files"] = len(files)
    totals["status"] = {s: sum(1 for f in files if f["status"] == s) for s in STATUSES}
    return {"files": files, "totals": totals}


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: corpus_census.py CORPUS_DIR", file=sys.stderr)
        return 2
    json.dump(census(argv[1]), sys.stdout, sort_keys=True, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
