#!/usr/bin/env bash
# Runs the scan for the GitHub Action (action.yml, step "scan"): the text report to the
# log, workflow annotations (input `annotations`), SARIF for code scanning, and a
# Markdown summary of findings by rule and level to $GITHUB_STEP_SUMMARY.
#
# It exits 0 whatever the scan found, so that the SARIF is uploaded first; the action's
# last step (gate.sh) then exits with the scan's exit code (output `exit-code`).
#
# Env: TOKENGUARD_BIN (from install.sh), INPUT_PATH (paths, one per line),
# INPUT_CONFIG, INPUT_FAIL_ON, INPUT_SARIF_FILE, INPUT_CATEGORY, INPUT_ANNOTATIONS,
# GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_SERVER_URL,
# GITHUB_REPOSITORY, GITHUB_SHA.
# Outputs: findings, errors, sarif-file, exit-code.
set -euo pipefail

bin="${TOKENGUARD_BIN:?TOKENGUARD_BIN is not set (the install step sets it)}"
workspace="${GITHUB_WORKSPACE:-$PWD}"
work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tokenguard"
mkdir -p "$work"
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi; }

sarif="${INPUT_SARIF_FILE:-}"
[ -n "$sarif" ] || sarif="$work/tokenguard.sarif"
case "$sarif" in
  /* | [A-Za-z]:[\\/]*) ;;
  *) sarif="$workspace/$sarif" ;;
esac
mkdir -p "$(dirname "$sarif")"
annotations="$work/annotations.txt"
summary="$work/summary.md"
rm -f "$sarif" "$annotations" "$summary"

args=(scan --fail-on "${INPUT_FAIL_ON:-error}" --sarif "$sarif" --github "$annotations" --markdown "$summary")
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_CATEGORY:-}" ] || args+=(--category "$INPUT_CATEGORY")
if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ] && [ -n "${GITHUB_SHA:-}" ]; then
  args+=(--link-base "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/")
fi
paths=()
while IFS= read -r p || [ -n "$p" ]; do
  p="${p%$'\r'}"
  [ -z "$p" ] || paths+=("$p")
done <<<"${INPUT_PATH:-.}"
[ ${#paths[@]} -gt 0 ] || paths=(.)
args+=(-- "${paths[@]}")

cd "$workspace"
# The text report quotes file names from the repository: keep the runner from reading
# any line of it as a workflow command.
stop="tokenguard-$RANDOM$RANDOM$RANDOM"
echo "::stop-commands::$stop"
set +e
"$bin" "${args[@]}"
rc=$?
set -e
echo "::$stop::"

output exit-code "$rc"
if [ "$rc" -gt 1 ] || [ ! -f "$annotations" ]; then
  echo "::error title=tokenguard::tokenguard could not scan (exit code $rc): see the step's log"
  output findings 0
  output errors 0
  output sarif-file ""
  exit 0
fi

# Annotation lines are `::LEVEL PROPERTIES::MESSAGE`; properties escape `:`, so the
# first `::` after the level ends them. Findings have a rule title; skipped-file notes
# have the title `tokenguard`.
findings="$(grep -c '^::[a-z]* [^:]*title=TG[0-9][0-9][0-9] ' "$annotations" || true)"
errors="$(grep -c '^::error [^:]*title=TG[0-9][0-9][0-9] ' "$annotations" || true)"
if [ "${INPUT_ANNOTATIONS:-true}" = "true" ]; then
  cat "$annotations"
fi
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  cat "$summary" >>"$GITHUB_STEP_SUMMARY"
fi
output findings "$findings"
output errors "$errors"
output sarif-file "$sarif"
echo "tokenguard: $findings finding(s), $errors error(s); exit code $rc (fail-on: ${INPUT_FAIL_ON:-error})"
