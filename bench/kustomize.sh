#!/usr/bin/env bash
# The Kustomize benchmark of issue 13, in one run:
#  (a) every Kustomize root of the real corpus (a kustomization no other one lists under
#      resources, bases or components; `xtask kustomize-roots`) that `kubectl kustomize`
#      renders, rendered once by `kubectl kustomize` and once by `tokenguard render`, one
#      process per root, interleaved root by root: total wall time of each and the ratio
#      (target: tokenguard at least 50x faster);
#  (a2) the same roots rendered in one process (`xtask render-roots`: tokenguard's own
#      `render` command through the library, the stream printed to memory, RUNS passes):
#      the median total wall and CPU time against kubectl's total of (a), and the slowest
#      roots; the renderer's own speed, without a process start-up per root. Both (a)
#      and (a2) are reported; neither replaces the other;
#  (b) `tokenguard scan` of the real corpus with rendering against `--no-kustomize`,
#      interleaved (target: at most 1.5x);
#  (c) linearity: `tokenguard scan` of two generated Kustomize repositories (`xtask
#      gen-kustomize`), 100 and 1,000 overlays over 10 and 100 bases, interleaved
#      (target: 10x the overlays in at most 11x the time, as compare.sh's linearity).
# Parts that need `tokenguard render` or `--no-kustomize` say so when the binary lacks
# them, and measure the other side anyway. Prints a Markdown table (paste it into
# bench/RESULTS.md) and keeps it in $BENCH_DIR/kustomize-results.md.
#
#   bench/kustomize.sh                 # the full run (about a minute of kubectl)
#   RUNS=3 bench/kustomize.sh
#
# Environment:
#   BENCH_DIR        work directory: generated corpora, root lists, results (default target/bench)
#   RUNS             timed runs per scan in (b) and (c) and passes of (a2) (default 5); (a)
#                    renders each root once
#   SEED             generator seed (default 1)
#   OVERLAYS_SMALL   overlays of the small generated corpus (default 100)
#   OVERLAYS_LARGE   overlays of the large generated corpus (default 1000)
#   THREADS          tokenguard's --threads for the scans (default 2)
#   REAL_CORPUS      real projects' manifests (default ../shared/corpus; (a), (a2) and (b) skipped if missing)
#   KUBECTL          the kubectl to compare with (default: kubectl on PATH; (a) and (a2) skipped if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=${BENCH_DIR:-$repo/target/bench}
runs=${RUNS:-5}
seed=${SEED:-1}
small=${OVERLAYS_SMALL:-100}
large=${OVERLAYS_LARGE:-1000}
threads=${THREADS:-2}
real=${REAL_CORPUS:-$repo/../shared/corpus}
kubectl=${KUBECTL:-kubectl}
mkdir -p "$work"
results=$work/kustomize-results.md

step() { printf '\n==> %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

load_before=$(load)
step "load before building: $load_before (1, 5, 15 min) on $(nproc) cores"
step "cargo build --release (tokenguard and the xtask benchmark helpers)"
cargo build --locked --release -p tokenguard -p xtask >&2
target=${CARGO_TARGET_DIR:-$repo/target}
xtask=$target/release/xtask
tokenguard=$target/release/tokenguard

# What this binary can do: `render` is a subcommand of its own (an unknown one prints the
# top-level help), `--no-kustomize` a flag of scan.
has_render=0
if "$tokenguard" render --help 2>/dev/null | grep -q 'Usage: tokenguard render'; then
	has_render=1
fi
has_no_kustomize=0
if "$tokenguard" scan --help 2>/dev/null | grep -q -- '--no-kustomize'; then
	has_no_kustomize=1
fi
lacks() { echo "not measured: this tokenguard ($("$tokenguard" --version)) has no $1"; }

# One run of a command, output discarded; prints xtask measure's summary line
# (`runs=1 wall_median=S wall_min=S cpu_median=S peak_rss_kib=K failed=F`).
measure_once() { "$xtask" measure --quiet -- "$@" </dev/null 2>/dev/null; }
# A field of such a line.
field() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }
# The median (the lower middle, as xtask's) and the largest of numbers, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR ? v[int((NR + 1) / 2)] : "") }'; }
largest() { sort -g | tail -n 1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
	if (v == "n/a") { print "not measured"; exit }
	met = (op == ">=") ? v >= t : v <= t
	print (met ? "**met**" : "**missed**") }'; }

# Times one scan command RUNS times; appends "wall cpu rss failed" lines to the file $1.
scan_args=(--threads "$threads" --format sarif --output /dev/null --fail-on never)
time_scan() {
	local log=$1 dir=$2 line
	shift 2
	line=$(measure_once "$tokenguard" scan "$dir" --root "$dir" "${scan_args[@]}" "$@")
	echo "$(field wall_median "$line") $(field cpu_median "$line") $(field peak_rss_kib "$line") $(field failed "$line")" >>"$log"
}
# "median wall, median CPU, largest RSS in MiB, failed runs" of such a file.
summarize() {
	local log=$1
	printf '%s | %s | %.1f | %s' \
		"$(cut -d' ' -f1 "$log" | median)" \
		"$(cut -d' ' -f2 "$log" | median)" \
		"$(cut -d' ' -f3 "$log" | largest | awk '{ print $1 / 1024 }')" \
		"$(awk '{ s += $4 } END { print s + 0 }' "$log")"
}

{
	echo "## Kustomize rendering: bench/kustomize.sh"
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- build: $("$tokenguard" --version) (commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))," \
		"$(rustc --version)"
	echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
	echo "- command: \`bench/kustomize.sh\` (RUNS=$runs SEED=$seed OVERLAYS_SMALL=$small OVERLAYS_LARGE=$large THREADS=$threads)"
	echo "- scans run as \`tokenguard scan DIR --root DIR ${scan_args[*]}\`"
} >"$results"

# (a) kubectl kustomize against tokenguard render, root by root.
step "(a) rendering every root of the real corpus"
{
	echo
	echo "### (a) Every root of the real corpus: \`kubectl kustomize\` against \`tokenguard render\`"
	echo
} >>"$results"
if [ ! -d "$real" ]; then
	echo "not measured: no real corpus at $real" >>"$results"
elif ! command -v "$kubectl" >/dev/null; then
	echo "not measured: $kubectl is not installed (it is the oracle and the baseline)" >>"$results"
else
	echo "kubectl: $("$kubectl" version --client 2>/dev/null | tr '\n' ' ')" >&2
	"$xtask" kustomize-roots "$real" >"$work/kustomize-roots.txt"
	# One line per root kubectl renders: kubectl's wall and CPU seconds, then tokenguard's
	# and whether it failed (`- - -` without a render command).
	renders=$work/kustomize-renders.log
	: >"$renders"
	: >"$work/kustomize-kubectl-failed.txt"
	while IFS= read -r root; do
		line=$(measure_once "$kubectl" kustomize "$real/$root")
		if [ "$(field failed "$line")" != 0 ]; then
			echo "$root" >>"$work/kustomize-kubectl-failed.txt"
			continue
		fi
		times="$(field wall_median "$line") $(field cpu_median "$line")"
		if [ "$has_render" = 1 ]; then
			line=$(measure_once "$tokenguard" render "$real/$root")
			times="$times $(field wall_median "$line") $(field cpu_median "$line") $(field failed "$line")"
		else
			times="$times - - -"
		fi
		echo "$times $root" >>"$renders"
	done <"$work/kustomize-roots.txt"
	awk '$5 != 0 && $5 != "-" { print substr($0, index($0, $6)) }' "$renders" >"$work/kustomize-render-failed.txt"
	roots=$(wc -l <"$work/kustomize-roots.txt")
	rendered=$(wc -l <"$renders")
	render_failed=$(wc -l <"$work/kustomize-render-failed.txt")
	# "roots, failed, total wall, total CPU, ms per root" of kubectl (column 1: wall, 2:
	# CPU) or tokenguard (3, 4 and 5: failed) over the lines that pass the awk condition $2.
	totals() {
		awk -v c="$1" "$2"' { n++; w += $c; u += $(c + 1); f += (c == 3 && $5 != 0) }
			END { printf "%d | %d | %.3f | %.3f | %.1f", n, f, w, u, n ? w * 1000 / n : 0 }' "$renders"
	}
	total() { awk -v c="$1" "$2"' { s += $c } END { print s + 0 }' "$renders"; }
	{
		echo "$roots roots; \`kubectl kustomize\` renders $rendered of them, the others are left out" \
			"(listed in \`kustomize-kubectl-failed.txt\` of the work directory)."
		echo
		echo "| program | roots | failed | wall s (total) | CPU s (total) | wall ms per root (mean) |"
		echo "|---|---:|---:|---:|---:|---:|"
		if [ "$has_render" = 1 ]; then
			echo "| kubectl kustomize | $(totals 1 1) |"
			echo "| tokenguard render | $(totals 3 1) |"
			if [ "$render_failed" != 0 ]; then
				# shellcheck disable=SC2016 # an awk condition, not a shell expansion
				ok='$5 == 0'
				echo "| kubectl kustomize, roots both render | $(totals 1 "$ok") |"
				echo "| tokenguard render, roots both render | $(totals 3 "$ok") |"
			fi
			echo
			speedup=$(ratio "$(total 1 1)" "$(total 3 1)")
			cpu_speedup=$(ratio "$(total 2 1)" "$(total 4 1)")
			if [ "$render_failed" = 0 ]; then
				echo "- tokenguard render is ${speedup}x faster than kubectl kustomize over the same $rendered roots" \
					"(${cpu_speedup}x less CPU time); target at least 50x: $(verdict "$speedup" '>=' 50)"
			else
				echo "- tokenguard render exited non-zero on $render_failed of the $rendered roots" \
					"(\`kustomize-render-failed.txt\`), so the target (at least 50x over every root) is" \
					"**not met**; it was ${speedup}x faster over all of them, and" \
					"$(ratio "$(total 1 "$ok")" "$(total 3 "$ok")")x over the $((rendered - render_failed)) it rendered"
			fi
		else
			echo "| kubectl kustomize | $(totals 1 1) |"
			echo
			echo "- tokenguard render: $(lacks 'render command')"
		fi
	} >>"$results"

	# (a2) The roots kubectl rendered in (a), in one process.
	step "(a2) the same roots in one process ($runs passes)"
	{
		echo
		echo "### (a2) The same roots in one process: \`xtask render-roots\` against kubectl's total of (a)"
		echo
	} >>"$results"
	if [ "$has_render" = 1 ]; then
		cut -d' ' -f6- "$renders" >"$work/kustomize-rendered-roots.txt"
		in_process=$("$xtask" render-roots --runs "$runs" --slowest 5 "$real" "$work/kustomize-rendered-roots.txt")
		summary=$(head -n 1 <<<"$in_process")
		wall=$(field wall_median "$summary")
		speedup=$(ratio "$(total 1 1)" "$wall")
		{
			echo "| program | roots | failed | wall s (total, median of $runs) | CPU s (total, median) | wall ms per root (mean) |"
			echo "|---|---:|---:|---:|---:|---:|"
			echo "| kubectl kustomize, from (a) | $(totals 1 1) |"
			echo "| tokenguard's render, one process | $rendered | $(field failed "$summary") | $wall |" \
				"$(field cpu_median "$summary") | $(awk -v w="$wall" -v n="$rendered" 'BEGIN { printf "%.2f", n ? w * 1000 / n : 0 }') |"
			echo
			echo "- in one process tokenguard's render is ${speedup}x faster than kubectl kustomize's processes" \
				"over the same $rendered roots; target at least 50x: $(verdict "$speedup" '>=' 50)"
			echo "- slowest roots (median of the passes):$(tail -n +2 <<<"$in_process" | awk '{ printf " %s %s ms;", $2, $1 }' | sed 's/;$//')"
		} >>"$results"
	else
		lacks 'render command' >>"$results"
	fi
fi

# (b) A scan of the real corpus with and without rendering.
step "(b) scanning the real corpus with and without rendering ($runs runs each)"
{
	echo
	echo "### (b) Scan of the real corpus with rendering against \`--no-kustomize\`"
	echo
} >>"$results"
if [ ! -d "$real" ]; then
	echo "not measured: no real corpus at $real" >>"$results"
else
	real_dir=$(cd "$real" && pwd)
	rm -f "$work/kustomize-scan-rendering.log" "$work/kustomize-scan-plain.log"
	for _ in $(seq "$runs"); do
		time_scan "$work/kustomize-scan-rendering.log" "$real_dir"
		if [ "$has_no_kustomize" = 1 ]; then
			time_scan "$work/kustomize-scan-plain.log" "$real_dir" --no-kustomize
		fi
	done
	{
		echo "| scan | runs | wall s (median) | CPU s (median) | peak RSS MiB | failed runs |"
		echo "|---|---:|---:|---:|---:|---:|"
		if [ "$has_no_kustomize" = 1 ]; then
			echo "| rendering | $runs | $(summarize "$work/kustomize-scan-rendering.log") |"
			echo "| --no-kustomize | $runs | $(summarize "$work/kustomize-scan-plain.log") |"
			echo
			cost=$(ratio "$(cut -d' ' -f1 "$work/kustomize-scan-rendering.log" | median)" \
				"$(cut -d' ' -f1 "$work/kustomize-scan-plain.log" | median)")
			echo "- rendering takes ${cost}x the time of file-by-file scanning; target at most 1.5x: $(verdict "$cost" '<=' 1.5)"
		else
			echo "| default (no --no-kustomize: file by file) | $runs | $(summarize "$work/kustomize-scan-rendering.log") |"
			echo
			echo "- with against without rendering: $(lacks '--no-kustomize flag')"
		fi
	} >>"$results"
fi

# (c) Linearity on generated Kustomize repositories. A corpus is generated again only
# when the generator's source or the seed changed (corpus.rs holds its random numbers).
generate() {
	local overlays=$1 dir=$work/kustomize-$1-seed$seed
	local stamp
	stamp=$(cat xtask/src/kustomize_corpus.rs xtask/src/corpus.rs xtask/src/value.rs | sha256sum | cut -c1-16)
	if [ "$(cat "$dir/.generator" 2>/dev/null)" != "$stamp" ]; then
		rm -rf "$dir"
		"$xtask" gen-kustomize --out "$dir" --overlays "$overlays" --seed "$seed" >&2
		echo "$stamp" >"$dir/.generator"
	fi
	echo "$dir"
}
step "(c) linearity: $small against $large generated overlays ($runs runs each)"
small_dir=$(generate "$small")
large_dir=$(generate "$large")
for size in small large; do
	rm -f "$work/kustomize-linear-$size.log" "$work/kustomize-linear-$size-plain.log"
done
for _ in $(seq "$runs"); do
	time_scan "$work/kustomize-linear-small.log" "$small_dir"
	time_scan "$work/kustomize-linear-large.log" "$large_dir"
	if [ "$has_no_kustomize" = 1 ]; then
		time_scan "$work/kustomize-linear-small-plain.log" "$small_dir" --no-kustomize
		time_scan "$work/kustomize-linear-large-plain.log" "$large_dir" --no-kustomize
	fi
done
files() { find "$1" -type f -not -name '.*' \( -name '*.yaml' -o -name '*.yml' \) | wc -l; }
mb() { find "$1" -type f -not -name '.*' \( -name '*.yaml' -o -name '*.yml' \) -printf '%s\n' | awk '{ s += $1 } END { printf "%.2f", s / 1e6 }'; }
# scan renders kustomizations in the binaries that can turn it off.
scan_kind=rendering
if [ "$has_no_kustomize" = 0 ]; then
	scan_kind="default (no --no-kustomize: file by file)"
fi
{
	echo
	echo "### (c) Linearity: generated Kustomize repositories (\`xtask gen-kustomize\`, seed $seed)"
	echo
	echo "| corpus | overlays | bases | YAML files | MB | scan | wall s (median) | CPU s (median) | peak RSS MiB | failed runs |"
	echo "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"
	for size in small large; do
		if [ "$size" = small ]; then n=$small dir=$small_dir; else n=$large dir=$large_dir; fi
		bases=$(((n + 9) / 10))
		echo "| kustomize-$n | $n | $bases | $(files "$dir") | $(mb "$dir") | $scan_kind | $(summarize "$work/kustomize-linear-$size.log") |"
		if [ "$has_no_kustomize" = 1 ]; then
			echo "| kustomize-$n | $n | $bases | $(files "$dir") | $(mb "$dir") | --no-kustomize | $(summarize "$work/kustomize-linear-$size-plain.log") |"
		fi
	done
	echo
	growth=$(ratio "$(cut -d' ' -f1 "$work/kustomize-linear-large.log" | median)" \
		"$(cut -d' ' -f1 "$work/kustomize-linear-small.log" | median)")
	cpu_growth=$(ratio "$(cut -d' ' -f2 "$work/kustomize-linear-large.log" | median)" \
		"$(cut -d' ' -f2 "$work/kustomize-linear-small.log" | median)")
	times=$(ratio "$large" "$small")
	if [ "$has_no_kustomize" = 1 ]; then
		echo "- ${times}x the overlays took ${growth}x the wall time (${cpu_growth}x the CPU time) with rendering;" \
			"target at most $(awk -v t="$times" 'BEGIN { printf "%.1f", t * 1.1 }')x: $(verdict "$growth" '<=' "$(awk -v t="$times" 'BEGIN { print t * 1.1 }')")"
	else
		echo "- ${times}x the overlays took ${growth}x the wall time (${cpu_growth}x the CPU time) scanned file by file;" \
			"with rendering: $(lacks 'scan that renders (no --no-kustomize flag)')"
	fi
	echo
	echo "- load average (1, 5, 15 min): $load_before before building, $(load) after"
} >>"$results"

echo >&2
cat "$results"
echo >&2
echo "(kept in $results)" >&2
