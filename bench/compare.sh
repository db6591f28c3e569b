#!/usr/bin/env bash
# The benchmark, in one run: tokenguard end to end (whole processes, 1 and 2 threads)
# against the parse-only ceiling (saphyr-parser events over the same files, same run),
# their ratio, peak RSS, linearity (2,000 against 20,000 generated files) and, when
# checkov can be had, checkov on the real corpus. Prints a Markdown table (paste it into
# bench/RESULTS.md) and keeps it in $BENCH_DIR/results.md.
#
#   bench/compare.sh                   # the full run
#   RUNS=3 SKIP_CHECKOV=1 bench/compare.sh
#
# Environment:
#   BENCH_DIR        work directory: corpora, checkov's venv, results (default target/bench)
#   RUNS             timed runs per program, corpus and thread count (default 5)
#   SEED             generator seed (default 1)
#   FILES_SMALL      generated corpus for linearity (default 2000)
#   FILES_LARGE      generated corpus for throughput (default 20000)
#   REAL_CORPUS      real projects' manifests (default ../shared/corpus; skipped if missing)
#   SKIP_CHECKOV=1   do not install or run checkov
#   CHECKOV          a checkov executable to use instead of installing one
#   CHECKOV_TIMEOUT  seconds before checkov is stopped and reported as not finished (1800)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${BENCH_DIR:-$repo/target/bench}
runs=${RUNS:-5}
seed=${SEED:-1}
small=${FILES_SMALL:-2000}
large=${FILES_LARGE:-20000}
real=${REAL_CORPUS:-$repo/../shared/corpus}
checkov_timeout=${CHECKOV_TIMEOUT:-1800}
mkdir -p "$work"

step() { printf '\n==> %s\n' "$*" >&2; }

step "load before building: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) on $(nproc) cores"
step "cargo build --release (tokenguard and the xtask benchmark helpers)"
cargo build --locked --release -p tokenguard -p xtask >&2
target=${CARGO_TARGET_DIR:-$repo/target}
xtask=$target/release/xtask
tokenguard=$target/release/tokenguard

# A corpus is generated again only when the generator's source or the seed changed.
generate() {
	local files=$1 dir=$work/generated-$1-seed$seed
	local stamp
	stamp=$(cat xtask/src/corpus.rs xtask/src/value.rs | sha256sum | cut -c1-16)
	if [ "$(cat "$dir/.generator" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$dir"
		"$xtask" gen-corpus --out "$dir" --files "$files" --seed "$seed" >&2
		echo "$stamp" >"$dir/.generator"
	fi
	echo "$dir"
}

step "corpora"
corpora=()
if [ -d "$real" ]; then
	corpora+=(--corpus "real=$(cd "$real" && pwd)")
else
	echo "no real corpus at $real: only generated corpora are measured" >&2
fi
small_dir=$(generate "$small")
large_dir=$(generate "$large")
corpora+=(--corpus "generated-$small=$small_dir" --corpus "generated-$large=$large_dir")

checkov_args=()
if [ "${SKIP_CHECKOV:-}" = 1 ]; then
	checkov_args=(--checkov-note "skipped: SKIP_CHECKOV=1")
elif [ ! -d "$real" ]; then
	checkov_args=(--checkov-note "skipped: no real corpus to compare on")
else
	checkov=${CHECKOV:-}
	if [ -z "$checkov" ] && command -v checkov >/dev/null; then
		checkov=$(command -v checkov)
	fi
	if [ -z "$checkov" ] && [ ! -x "$work/venv/bin/checkov" ]; then
		step "installing checkov into $work/venv (pip)"
		if python3 -m venv "$work/venv" >&2 &&
			"$work/venv/bin/pip" install --quiet --disable-pip-version-check checkov >&2; then
			:
		else
			echo "could not install checkov with pip: the table has no checkov row" >&2
		fi
	fi
	if [ -z "$checkov" ] && [ -x "$work/venv/bin/checkov" ]; then
		checkov=$work/venv/bin/checkov
	fi
	if [ -n "$checkov" ]; then
		echo "checkov: $checkov ($("$checkov" --version 2>/dev/null || echo '?'))" >&2
		checkov_args=(--checkov "$checkov" --checkov-corpus real --checkov-timeout "$checkov_timeout")
	else
		checkov_args=(--checkov-note "skipped: checkov is not installed and pip could not install it")
	fi
fi

step "measuring ($runs runs each; this takes a few minutes)"
"$xtask" bench \
	--tokenguard "$tokenguard" \
	"${corpora[@]}" \
	--runs "$runs" \
	--threads 1,2 \
	--linear "generated-$small,generated-$large" \
	"${checkov_args[@]}" \
	--command "bench/compare.sh (RUNS=$runs SEED=$seed FILES_SMALL=$small FILES_LARGE=$large)" \
	--output "$work/results.md"
echo >&2
echo "(kept in $work/results.md)" >&2
