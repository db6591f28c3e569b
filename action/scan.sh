#!/usr/bin/env bash
# Runs the scan for the GitHub Action (action.yml, step "scan"): the text report to the
# log, workflow annotations (input `annotations`), SARIF for code scanning, and a
# Markdown summary of findings by rule and level to $GITHUB_STEP_SUMMARY.
#
# It exits 0 whatever the scan found, so that the SARIF is uploaded first; the action's
# last step (gate.sh) then exits with the scan's exit code (output `exit-code`).
#
# GitHub shows only 10 annotations of each level in a step: with TOKENGUARD_DIFF_BASE
# (input `diff-base`, else the pull request's base commit), the diff from there to HEAD
# goes to `tokenguard --diff`, which writes the annotations on the changed lines first.
#
# Env: TOKENGUARD_BIN (from install.sh), INPUT_PATH (paths, one per line),
# INPUT_CONFIG, INPUT_FAIL_ON, INPUT_SARIF_FILE, INPUT_CATEGORY, INPUT_ANNOTATIONS,
# TOKENGUARD_DIFF_BASE, GITHUB_WORKSPACE, RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
# GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_SHA.
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
changes="$work/changes.diff"
rm -f "$sarif" "$annotations" "$summary" "$changes"

# Writes the diff from BASE (its merge base with HEAD when the history has it) to HEAD
# into $changes and says so; or says in one line why the annotations keep report order.
# The files come from the pull request: the external diff and textconv drivers that its
# .gitattributes could name stay off (git's config is the workflow's own).
pr_diff() {  # base
  local base="$1" commit from
  local fallback="annotations in report order, not changed lines first"
  command -v git >/dev/null || { echo "tokenguard: $fallback: git is not installed"; return 1; }
  git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
    || { echo "tokenguard: $fallback: the workspace is not a git checkout"; return 1; }
  case "$base" in -* | *[[:space:]]*) echo "tokenguard: $fallback: '$base' is not a commit"; return 1 ;; esac
  if ! commit="$(git rev-parse --verify --quiet "$base^{commit}")"; then
    # actions/checkout fetches only the commit under test unless fetch-depth says more.
    if [[ "$base" =~ ^[0-9a-f]{40}([0-9a-f]{24})?$ ]]; then
      GIT_TERMINAL_PROMPT=0 git fetch --quiet --no-tags --depth=1 origin "$base" >/dev/null 2>&1 || true
    fi
    commit="$(git rev-parse --verify --quiet "$base^{commit}")" || {
      echo "tokenguard: $fallback: the base commit $base is not in the checkout and cannot be fetched (actions/checkout with fetch-depth: 0 has it)"
      return 1
    }
  fi
  from="$(git merge-base "$commit" HEAD 2>/dev/null)" || from="$commit"
  git diff --no-ext-diff --no-textconv --no-color --find-renames --unified=0 \
    --src-prefix=a/ --dst-prefix=b/ "$from" HEAD -- >"$changes" 2>/dev/null \
    || { echo "tokenguard: $fallback: git diff $from HEAD failed"; return 1; }
  echo "tokenguard: annotations on the lines changed since ${from:0:12} come first"
}

args=(scan --fail-on "${INPUT_FAIL_ON:-error}" --sarif "$sarif" --github "$annotations" --markdown "$summary")
[ -z "${INPUT_CONFIG:-}" ] || args+=(--config "$INPUT_CONFIG")
[ -z "${INPUT_CATEGORY:-}" ] || args+=(--category "$INPUT_CATEGORY")
if [ -n "${GITHUB_SERVER_URL:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ] && [ -n "${GITHUB_SHA:-}" ]; then
  args+=(--link-base "$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/")
fi
if [ -n "${TOKENGUARD_DIFF_BASE:-}" ] && (cd "$workspace" && pr_diff "$TOKENGUARD_DIFF_BASE"); then
  args+=(--diff "$changes")
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
