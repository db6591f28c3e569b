#!/usr/bin/env bash
# The memory run: a generated corpus of 1,000,000 objects (about 4 GB in 600,000 files),
# written to a temporary directory, scanned once from disk at 2 threads with SARIF
# output, peak RSS reported, corpus deleted.
#
#   bench/memory.sh                    # OBJECTS=1000000 TMPDIR=/tmp
#   OBJECTS=100000 bench/memory.sh     # a tenth, for a quick look
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${OBJECTS:-1000000}
threads=${THREADS:-2}
format=${FORMAT:-sarif}
base=${TMPDIR:-/tmp}
# About 4.3 KB per object on disk, plus file system blocks: ask for 7 KB per object.
need_kb=$((objects * 7))
free_kb=$(df -Pk "$base" | awk 'NR == 2 { print $4 }')
if [ "$free_kb" -lt "$need_kb" ]; then
	echo "memory.sh: $base has $((free_kb / 1024)) MiB free, $((need_kb / 1024)) MiB needed" >&2
	exit 1
fi
work=$(mktemp -d "$base/tokenguard-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT

cargo build --locked --release -p tokenguard -p xtask
bin=${CARGO_TARGET_DIR:-target}/release
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin"/xtask gen-corpus --out "$work/corpus" --objects "$objects" --seed 1
# Drop nothing from the page cache on purpose: the run reads the files from disk or
# cache as a CI job would, and RSS counts only the process's own memory.
"$bin"/xtask measure -- "$bin"/tokenguard scan "$work/corpus" \
	--root "$work/corpus" --threads "$threads" --format "$format" --output /dev/null \
	--fail-on never
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
