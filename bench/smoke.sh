#!/usr/bin/env bash
# CI's benchmark smoke: a few hundred generated files through the release binary and the
# parse-only ceiling, once each at 1 and 2 threads, and the table. It asserts nothing
# about time (CI machines are shared); it fails only if a program fails, so that the
# benchmark harness cannot rot.
set -euo pipefail
cd "$(dirname "$0")/.."
files=${SMOKE_FILES:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --locked --release -p tokenguard -p xtask
bin=${CARGO_TARGET_DIR:-target}/release
"$bin"/xtask gen-corpus --out "$work/corpus" --files "$files" --seed 1
"$bin"/xtask bench \
	--tokenguard "$bin"/tokenguard \
	--corpus "generated-$files=$work/corpus" \
	--runs 1 \
	--threads 1,2 \
	--checkov-note "not run in the smoke test" \
	--command "bench/smoke.sh"
