#!/usr/bin/env python3
"""Which files of a directory kubectl's kind of reader loads, judged with PyYAML's libyaml
loader (the C library go-yaml v2 is a port of), for tokenguard's differential test.

Usage: libyaml_reads.py DIR  ->  one JSON object on stdout: relative path ('/' separators)
-> null when the file loads, else the reader's error on one line.

Every *.yaml, *.yml and *.json file outside hidden directories, symbolic links not
followed. As kubectl does: a leading UTF-8 BOM is dropped; a file whose first non-blank
character is '{' is JSON (Python's json module); anything else a YAML 1.1 stream read with
libyaml's safe loader, keeping the last of two equal keys, with timestamps and the '='
value tag left as strings (kubectl does not build them either).
"""
import json
import os
import sys

import yaml

if not hasattr(yaml, "CSafeLoader"):
    sys.exit("libyaml_reads.py: needs PyYAML built with libyaml (yaml.CSafeLoader)")


class KubectlLikeLoader(yaml.CSafeLoader):
    """libyaml's safe loader with timestamps and the '=' value tag kept as strings."""


for _tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value"):
    KubectlLikeLoader.add_constructor(_tag, yaml.SafeLoader.construct_yaml_str)


def files(root):
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            full = os.path.join(dirpath, name)
            if name.endswith((".yaml", ".yml", ".json")) and not os.path.islink(full):
                yield os.path.relpath(full, root).replace(os.sep, "/")


def error_of(path):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8-sig")
        if text.lstrip()[:1] == "{":
            json.loads(text)
        else:
            for _ in yaml.load_all(text, Loader=KubectlLikeLoader):
                pass
    except (ValueError, RecursionError, yaml.YAMLError) as err:  # ValueError: JSON, UTF-8
        return " ".join(str(err).split()) or type(err).__name__
    return None


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: libyaml_reads.py DIR", file=sys.stderr)
        return 2
    result = {rel: error_of(os.path.join(argv[1], rel)) for rel in sorted(files(argv[1]))}
    json.dump(result, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
