#!/usr/bin/env bash
# Decides whether the action uploads its SARIF to code scanning (action.yml, step
# "upload-check"), and says in one line of the log why not.
#
# Code scanning on a private repository needs GitHub Advanced Security (Code Security):
# without it the upload fails with HTTP 403, whatever the findings. One read of the code
# scanning API tells before the upload. Only a 403 skips the upload: any other answer
# (404 on a repository that never had an analysis, a network error) leaves it to the
# upload, whose failure the action reports and ignores as well (gate.sh).
#
# Env: INPUT_UPLOAD_SARIF, TOKENGUARD_SARIF_FILE (output `sarif-file` of scan.sh),
# TOKENGUARD_GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY, RUNNER_TEMP, GITHUB_OUTPUT.
# Outputs: upload (true|false).
set -euo pipefail

work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tokenguard"
mkdir -p "$work"
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi; }
skip() {
  echo "tokenguard: SARIF not uploaded to code scanning: $*"
  output upload false
  exit 0
}

# As the expression `inputs.upload-sarif == 'true'` did: case does not matter.
upload="$(printf '%s' "${INPUT_UPLOAD_SARIF:-true}" | tr '[:upper:]' '[:lower:]')"
[ "$upload" = "true" ] || skip "upload-sarif is '${INPUT_UPLOAD_SARIF}'"
[ -n "${TOKENGUARD_SARIF_FILE:-}" ] || skip "the scan wrote no SARIF"

api="${GITHUB_API_URL:-https://api.github.com}"
repo="${GITHUB_REPOSITORY:-}"
if [ -n "${TOKENGUARD_GITHUB_TOKEN:-}" ] && [[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] \
  && command -v curl >/dev/null; then
  body="$work/code-scanning-analyses.json"
  rm -f "$body"
  # The token goes in on standard input, never on a command line.
  status="$(printf 'Authorization: Bearer %s\n' "$TOKENGUARD_GITHUB_TOKEN" \
    | curl --silent --max-time 30 --header @- \
      --header 'Accept: application/vnd.github+json' --header 'X-GitHub-Api-Version: 2022-11-28' \
      --output "$body" --write-out '%{http_code}' \
      "$api/repos/$repo/code-scanning/analyses?per_page=1")" || status="none"
  if [ "$status" = 403 ]; then
    message="$(sed -n 's/.*"message" *: *"\([^"]*\)".*/\1/p' "$body" 2>/dev/null | head -n 1 | tr -d '\000-\037' | cut -c 1-200)"
    skip "GitHub answers 403 (${message:-no message}); private repositories need GitHub Advanced Security, and the job needs \`security-events: write\`. Annotations, the job summary and the gate do not need code scanning."
  fi
fi
echo "tokenguard: uploading the SARIF to code scanning"
output upload true
