#!/usr/bin/env bash
# Runs the GitHub Action's own shell steps (action/install.sh, scan.sh, gate.sh) as the
# runner would, with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE and
# RUNNER_TEMP in a temporary directory, and checks their outputs, the job summary and
# the annotations. No network: the release download is served from a file:// URL,
# `cargo install` is a stub, and the code scanning API is a local server that answers
# 403 as GitHub does for a private repository without Advanced Security. Needs git and
# python3.
#
#   ci/test-action.sh [BINARY]      (default: target/release/tokenguard)
#
# Exit 0 when every check passes.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$repo/target/release/tokenguard}"
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
[ -x "$bin" ] || { echo "test-action: no binary at $bin (build it first)" >&2; exit 2; }

tmp="$(mktemp -d)"
api_pid=""
trap '[ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {  # description, command...
  local what="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "  ok    $what"
  else
    failed=$((failed + 1))
    echo "  FAIL  $what"
  fi
}
has() { grep -qF -- "$2" "$1"; }
lacks() { ! grep -qF -- "$2" "$1"; }
output_of() { sed -n "s/^$2=//p" "$1" | tail -n 1; }
equals() { [ "$1" = "$2" ] || { echo "        expected '$2', got '$1'"; return 1; }; }

# A runner-like environment: the action checked out at $repo, a workspace with the demo
# repository, and the files the runner reads back.
fresh_runner() {
  rm -rf "$tmp/runner"
  mkdir -p "$tmp/runner/temp" "$tmp/runner/workspace"
  cp -R "$repo/fixtures/demo/." "$tmp/runner/workspace/"
  : >"$tmp/runner/output"
  : >"$tmp/runner/summary"
  export GITHUB_ACTION_PATH="$repo"
  export GITHUB_WORKSPACE="$tmp/runner/workspace"
  export GITHUB_OUTPUT="$tmp/runner/output"
  export GITHUB_STEP_SUMMARY="$tmp/runner/summary"
  export RUNNER_TEMP="$tmp/runner/temp"
  export RUNNER_OS=Linux RUNNER_ARCH=X64
  export GITHUB_SERVER_URL=https://github.com GITHUB_REPOSITORY=octo/shop
  export GITHUB_SHA=0123456789abcdef0123456789abcdef01234567
  unset TOKENGUARD_BINARY TOKENGUARD_VERSION TOKENGUARD_RELEASE_URL TOKENGUARD_REPOSITORY
  unset INPUT_PATH INPUT_CONFIG INPUT_FAIL_ON INPUT_SARIF_FILE INPUT_CATEGORY INPUT_ANNOTATIONS
  unset INPUT_UPLOAD_SARIF TOKENGUARD_SARIF_FILE TOKENGUARD_GITHUB_TOKEN GITHUB_API_URL
  unset TOKENGUARD_DIFF_BASE TOKENGUARD_EXIT_CODE TOKENGUARD_UPLOAD_OUTCOME
}
# The step as action.yml runs it: `bash "$GITHUB_ACTION_PATH/action/NAME.sh"`.
step() { (cd "$GITHUB_WORKSPACE" && bash "$GITHUB_ACTION_PATH/action/$1.sh"); }

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n 1)"

echo "action.yml runs these scripts with these inputs"
for script in install scan upload-check gate; do
  check "step runs action/$script.sh" has "$repo/action.yml" "run: bash \"\$GITHUB_ACTION_PATH/action/$script.sh\""
done
for var in INPUT_PATH INPUT_CONFIG INPUT_FAIL_ON INPUT_SARIF_FILE INPUT_CATEGORY INPUT_ANNOTATIONS \
  INPUT_UPLOAD_SARIF TOKENGUARD_BIN TOKENGUARD_VERSION TOKENGUARD_EXIT_CODE TOKENGUARD_DIFF_BASE \
  TOKENGUARD_SARIF_FILE TOKENGUARD_GITHUB_TOKEN TOKENGUARD_UPLOAD_OUTCOME; do
  check "action.yml sets $var" has "$repo/action.yml" "$var: \${{"
done
# The upload step, from its name to the next step: it runs only when upload-check says
# so, and its failure never fails the job (the runner goes on to the gate).
awk '/- name: Upload SARIF/{on=1} on && /- name: Gate/{on=0} on' "$repo/action.yml" >"$tmp/upload-step"
check "the upload runs when upload-check says so" has "$tmp/upload-step" "if: steps.upload-check.outputs.upload == 'true'"
check "the upload step continues on error" has "$tmp/upload-step" "continue-on-error: true"
check "the gate reads the upload's outcome" has "$repo/action.yml" 'TOKENGUARD_UPLOAD_OUTCOME: ${{ steps.upload.outcome }}'
check "the diff base defaults to the pull request's base" has "$repo/action.yml" 'TOKENGUARD_DIFF_BASE: ${{ inputs.diff-base || github.event.pull_request.base.sha }}'

echo "install: a given binary"
fresh_runner
export TOKENGUARD_BINARY="$bin"
step install >"$tmp/log" 2>&1
check "install exits 0" equals "$?" 0
installed="$(output_of "$GITHUB_OUTPUT" path)"
check "output path is an executable" test -x "$installed"
check "output source=binary" equals "$(output_of "$GITHUB_OUTPUT" source)" binary
check "output version=$version" equals "$(output_of "$GITHUB_OUTPUT" version)" "$version"

echo "install: a release asset checked against SHA256SUMS"
fresh_runner
release="$tmp/release/v$version"
asset="tokenguard-v$version-x86_64-unknown-linux-musl"
mkdir -p "$release" "$tmp/pack/$asset"
cp "$bin" "$tmp/pack/$asset/tokenguard"
tar -czf "$release/$asset.tar.gz" -C "$tmp/pack" "$asset"
(cd "$release" && sha256sum "$asset.tar.gz" >SHA256SUMS && echo "0000000000000000000000000000000000000000000000000000000000000000  tokenguard-v$version-x86_64-apple-darwin.tar.gz" >>SHA256SUMS)
export TOKENGUARD_RELEASE_URL="file://$tmp/release"
step install >"$tmp/log" 2>&1
check "install exits 0" equals "$?" 0
check "output source=release" equals "$(output_of "$GITHUB_OUTPUT" source)" release
check "the log names the verified checksum" has "$tmp/log" "verified $asset.tar.gz (sha256 "
check "the installed binary runs" bash -c "\"$(output_of "$GITHUB_OUTPUT" path)\" --version >/dev/null"

echo "install: a tampered asset is refused, with no fallback"
fresh_runner
export TOKENGUARD_RELEASE_URL="file://$tmp/release"
printf 'tampered' >>"$release/$asset.tar.gz"
export PATH="$tmp/stub:$PATH"
mkdir -p "$tmp/stub"
printf '#!/bin/sh\necho "cargo $*" >>"%s/cargo.log"\nexit 1\n' "$tmp" >"$tmp/stub/cargo"
chmod +x "$tmp/stub/cargo"
step install >"$tmp/log" 2>&1
check "install fails" equals "$?" 1
check "the log says checksum mismatch" has "$tmp/log" "checksum mismatch for $asset.tar.gz"
check "no path output" equals "$(output_of "$GITHUB_OUTPUT" path)" ""
check "cargo was not run" test ! -e "$tmp/cargo.log"

echo "install: no release for this platform builds the action's source with cargo"
fresh_runner
export RUNNER_OS=Windows RUNNER_ARCH=ARM64
export TOKENGUARD_RELEASE_URL="file://$tmp/release"
# The stub "builds" by copying the binary to --root/bin, as cargo install does.
cat >"$tmp/stub/cargo" <<STUB
#!/bin/sh
echo "cargo \$*" >>"$tmp/cargo.log"
while [ \$# -gt 0 ]; do [ "\$1" = --root ] && root="\$2"; shift; done
mkdir -p "\$root/bin" && cp "$bin" "\$root/bin/tokenguard" && cp "$bin" "\$root/bin/tokenguard.exe"
STUB
step install >"$tmp/log" 2>&1
check "install exits 0" equals "$?" 0
check "output source=cargo" equals "$(output_of "$GITHUB_OUTPUT" source)" cargo
check "cargo install --locked --path <the action>" has "$tmp/cargo.log" "install --locked --quiet --root $RUNNER_TEMP/tokenguard-install --path $repo"
rm -f "$tmp/cargo.log"
fresh_runner
export TOKENGUARD_RELEASE_URL="file://$tmp/nowhere" TOKENGUARD_VERSION=v9.8.7
step install >"$tmp/log" 2>&1
check "another version without a release builds its tag" has "$tmp/cargo.log" "--git https://github.com/tokenguard/tokenguard --tag v9.8.7 tokenguard"
fresh_runner
export TOKENGUARD_VERSION='1.0; rm -rf /'
step install >"$tmp/log" 2>&1
check "a malformed version is refused" equals "$?" 1

echo "scan: findings, outputs, annotations and the job summary"
fresh_runner
export TOKENGUARD_BIN="$bin" INPUT_PATH="." INPUT_FAIL_ON=error INPUT_ANNOTATIONS=true
# A file whose name is a workflow command: the text report must not let it through.
cp "$GITHUB_WORKSPACE/apps/api.yaml" "$GITHUB_WORKSPACE/::warning::injected.yaml"
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "scan exits 0 whatever it found" equals "$?" 0
check "output exit-code=1 (errors at fail-on error)" equals "$(output_of "$GITHUB_OUTPUT" exit-code)" 1
check "output findings=12" equals "$(output_of "$GITHUB_OUTPUT" findings)" 12
check "output errors=6" equals "$(output_of "$GITHUB_OUTPUT" errors)" 6
sarif="$(output_of "$GITHUB_OUTPUT" sarif-file)"
check "output sarif-file is the SARIF in RUNNER_TEMP" equals "$sarif" "$RUNNER_TEMP/tokenguard/tokenguard.sarif"
check "the SARIF file is SARIF 2.1.0" has "$sarif" '"version": "2.1.0"'
check "the SARIF has the default category" has "$sarif" '"id": "tokenguard/"'
check "annotation for TG014 on its line" has "$tmp/stdout" "::error file=apps/api.yaml,line=20,endLine=20,col=7,endColumn=29,title=TG014 privileged-token-automount-untrusted::Deployment shop/api mounts an API token"
check "annotation with an escaped file name" has "$tmp/stdout" "::error file=%3A%3Awarning%3A%3Ainjected.yaml,line=20"
check "notes are notices" has "$tmp/stdout" "::notice file=ci/nightly-report.yaml,line=12"
# Between ::stop-commands::TOKEN and ::TOKEN:: the runner reads no command.
stop="$(sed -n 's/^::stop-commands::\(.*\)$/\1/p' "$tmp/stdout")"
check "the text report runs with workflow commands stopped" test -n "$stop"
check "... and they are resumed after it" has "$tmp/stdout" "::$stop::"
awk -v s="::stop-commands::$stop" -v e="::$stop::" '$0==s{on=1;next} $0==e{on=0} on' "$tmp/stdout" >"$tmp/text"
# (and even there, the text report defuses a line that would start with `::`)
check "the injected name is only inside the stopped block" has "$tmp/text" '\u{3a}:warning::injected.yaml:20:7: error[TG014]'
awk -v e="::$stop::" 'f; $0==e{f=1}' "$tmp/stdout" >"$tmp/after"
check "after the block, every line is a command or the closing note" bash -c "! grep -v -e '^::' -e '^tokenguard: 12 finding' '$tmp/after'"
check "summary: title with the counts" has "$GITHUB_STEP_SUMMARY" "## tokenguard: 6 errors, 5 warnings, 1 note"
check "summary: table header by rule and level" has "$GITHUB_STEP_SUMMARY" "| Rule | | Error | Warning | Note |"
check "summary: TG014 row" has "$GITHUB_STEP_SUMMARY" "| TG014 | privileged-token-automount-untrusted | 2 | 0 | 0 |"
check "summary: totals" has "$GITHUB_STEP_SUMMARY" "| **Total** | | **6** | **5** | **1** |"
check "summary: a top finding linked to its line at the commit" has "$GITHUB_STEP_SUMMARY" "[apps/api.yaml:20](https://github.com/octo/shop/blob/$GITHUB_SHA/apps/api.yaml#L20)"
check "summary: a linked name is escaped and percent-encoded" has "$GITHUB_STEP_SUMMARY" "[::warning::injected.yaml:20](https://github.com/octo/shop/blob/$GITHUB_SHA/%3A%3Awarning%3A%3Ainjected.yaml#L20)"
(export TOKENGUARD_EXIT_CODE=1; step gate >/dev/null 2>&1)
check "gate fails the job with exit-code 1" equals "$?" 1

echo "scan: inputs"
fresh_runner
export TOKENGUARD_BIN="$bin" INPUT_PATH=$'apps\nci\n' INPUT_FAIL_ON=never INPUT_ANNOTATIONS=false \
  INPUT_SARIF_FILE=reports/tg.sarif INPUT_CATEGORY=manifests/apps
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "scan exits 0" equals "$?" 0
check "fail-on never: exit-code=0" equals "$(output_of "$GITHUB_OUTPUT" exit-code)" 0
# 8 findings in apps and ci, and no TG013: the trust entry for monitoring/prometheus
# is not judged when no scanned object is in namespace monitoring.
check "two paths: only their findings" equals "$(output_of "$GITHUB_OUTPUT" findings)" 8
check "annotations false: no annotation" lacks "$tmp/stdout" "::error file="
check "sarif-file relative to the workspace" equals "$(output_of "$GITHUB_OUTPUT" sarif-file)" "$GITHUB_WORKSPACE/reports/tg.sarif"
check "category in the SARIF" has "$GITHUB_WORKSPACE/reports/tg.sarif" '"id": "manifests/apps"'
check "the summary is still written" has "$GITHUB_STEP_SUMMARY" "| TG001 | token-automount-untrusted | 2 | 0 | 0 |"
(export TOKENGUARD_EXIT_CODE=0; step gate >/dev/null 2>&1)
check "gate passes with exit-code 0" equals "$?" 0

echo "scan: a clean repository"
fresh_runner
rm -rf "${GITHUB_WORKSPACE:?}"/* "${GITHUB_WORKSPACE:?}"/.tokenguard.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' >"$GITHUB_WORKSPACE/cm.yaml"
export TOKENGUARD_BIN="$bin"
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "exit-code=0" equals "$(output_of "$GITHUB_OUTPUT" exit-code)" 0
check "findings=0" equals "$(output_of "$GITHUB_OUTPUT" findings)" 0
check "errors=0" equals "$(output_of "$GITHUB_OUTPUT" errors)" 0
check "summary says no findings" has "$GITHUB_STEP_SUMMARY" "## tokenguard: no findings"

echo "scan: a broken config fails after the step, with no SARIF to upload"
fresh_runner
export TOKENGUARD_BIN="$bin" INPUT_CONFIG=bad.yaml
printf 'trusted:\n  - serviceAccount: a/b\n' >"$GITHUB_WORKSPACE/bad.yaml"
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "scan exits 0" equals "$?" 0
check "exit-code=2" equals "$(output_of "$GITHUB_OUTPUT" exit-code)" 2
check "sarif-file is empty (upload skipped)" equals "$(output_of "$GITHUB_OUTPUT" sarif-file)" ""
check "the config error is in the log" has "$tmp/stderr" "bad.yaml:2:5: a trusted entry needs \`reason\`"
check "an error annotation says the scan failed" has "$tmp/stdout" "::error title=tokenguard::tokenguard could not scan (exit code 2)"
(export TOKENGUARD_EXIT_CODE=2; step gate >/dev/null 2>&1)
check "gate exits 2" equals "$?" 2

# The code scanning API as GitHub answers it: 403 for a private repository without
# Advanced Security (octo/shop), 404 for one that never had an analysis (octo/public).
# Every request goes to api.log as `PATH AUTHORIZATION`.
cat >"$tmp/api.py" <<'PY'
import http.server, sys
class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(sys.argv[2], "a") as log:
            log.write(f"{self.path} {self.headers.get('Authorization')}\n")
        if self.path.startswith("/repos/octo/shop/code-scanning/analyses"):
            status, body = 403, '{"message":"Advanced Security must be enabled for this repository to use code scanning.","documentation_url":"https://docs.github.com/rest","status":"403"}'
        else:
            status, body = 404, '{"message":"no analysis found","status":"404"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Api)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_port))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
PY
python3 "$tmp/api.py" "$tmp/api.port" "$tmp/api.log" &
api_pid=$!
for _ in $(seq 100); do [ -s "$tmp/api.port" ] && break; sleep 0.1; done
api_url="http://127.0.0.1:$(cat "$tmp/api.port" 2>/dev/null)"

echo "a private repository without Advanced Security: code scanning answers 403, the job passes"
fresh_runner
rm -rf "${GITHUB_WORKSPACE:?}"/* "${GITHUB_WORKSPACE:?}"/.tokenguard.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' >"$GITHUB_WORKSPACE/cm.yaml"
export TOKENGUARD_BINARY="$bin"
step install >"$tmp/job.log" 2>&1
TOKENGUARD_BIN="$(output_of "$GITHUB_OUTPUT" path)"
export TOKENGUARD_BIN
step scan >>"$tmp/job.log" 2>&1
TOKENGUARD_SARIF_FILE="$(output_of "$GITHUB_OUTPUT" sarif-file)"
export INPUT_UPLOAD_SARIF=true TOKENGUARD_SARIF_FILE
export TOKENGUARD_GITHUB_TOKEN=test-token GITHUB_API_URL="$api_url"
step upload-check >"$tmp/check.log" 2>&1
check "upload-check exits 0" equals "$?" 0
check "the API was asked with the job's token" has "$tmp/api.log" "/repos/octo/shop/code-scanning/analyses?per_page=1 Bearer test-token"
check "output upload=false" equals "$(output_of "$GITHUB_OUTPUT" upload)" false
check "one line in the log says why" equals "$(cat "$tmp/check.log")" "tokenguard: SARIF not uploaded to code scanning: GitHub answers 403 (Advanced Security must be enabled for this repository to use code scanning.); private repositories need GitHub Advanced Security, and the job needs \`security-events: write\`. Annotations, the job summary and the gate do not need code scanning."
# The upload step does not run (its outcome is `skipped`); the gate decides alone.
TOKENGUARD_EXIT_CODE="$(output_of "$GITHUB_OUTPUT" exit-code)"
(export TOKENGUARD_EXIT_CODE TOKENGUARD_UPLOAD_OUTCOME=skipped; step gate >"$tmp/gate.log" 2>&1)
check "the gate passes: no findings" equals "$?" 0
check "the gate says nothing more" equals "$(cat "$tmp/gate.log")" ""
check "the job summary is written" has "$GITHUB_STEP_SUMMARY" "## tokenguard: no findings"

echo "upload-check: a repository where code scanning works (404: no analysis yet) uploads"
fresh_runner
export INPUT_UPLOAD_SARIF=True TOKENGUARD_SARIF_FILE="$tmp/x.sarif" TOKENGUARD_GITHUB_TOKEN=test-token
export GITHUB_API_URL="$api_url" GITHUB_REPOSITORY=octo/public
step upload-check >"$tmp/check.log" 2>&1
check "output upload=true (upload-sarif: True, in any case as before)" equals "$(output_of "$GITHUB_OUTPUT" upload)" true
check "the log says it uploads" equals "$(cat "$tmp/check.log")" "tokenguard: uploading the SARIF to code scanning"
fresh_runner
export INPUT_UPLOAD_SARIF=false TOKENGUARD_SARIF_FILE="$tmp/x.sarif"
step upload-check >"$tmp/check.log" 2>&1
check "upload-sarif false: upload=false" equals "$(output_of "$GITHUB_OUTPUT" upload)" false
check "... and one line says so" equals "$(cat "$tmp/check.log")" "tokenguard: SARIF not uploaded to code scanning: upload-sarif is 'false'"
fresh_runner
export INPUT_UPLOAD_SARIF=true TOKENGUARD_SARIF_FILE=""
step upload-check >"$tmp/check.log" 2>&1
check "no SARIF (the scan failed): upload=false" equals "$(output_of "$GITHUB_OUTPUT" upload)" false

echo "gate: an upload that failed anyway (a fork's read-only token) does not decide the job"
fresh_runner
(export TOKENGUARD_EXIT_CODE=0 TOKENGUARD_UPLOAD_OUTCOME=failure; step gate >"$tmp/gate.log" 2>&1)
check "gate passes with exit-code 0" equals "$?" 0
check "one line says the upload failed" equals "$(cat "$tmp/gate.log")" "tokenguard: the SARIF upload to code scanning failed (see its step's log: code scanning needs \`security-events: write\`, and GitHub Advanced Security on a private repository); it does not decide the job"
(export TOKENGUARD_EXIT_CODE=1 TOKENGUARD_UPLOAD_OUTCOME=failure; step gate >/dev/null 2>&1)
check "gate still fails with exit-code 1" equals "$?" 1

# A pull request on the demo: it changes line 12 of ci/nightly-report.yaml and adds
# platform/ci-token.yaml. As actions/checkout leaves it: a shallow clone of the head
# commit, without the base commit.
echo "scan: annotations on the pull request's lines come first"
git_quiet() { git -c user.name=t -c user.email=t@example.com -c init.defaultBranch=main "$@" >/dev/null 2>&1; }
origin="$tmp/origin"
rm -rf "$origin" && mkdir -p "$origin"
cp -R "$repo/fixtures/demo/." "$origin/"
rm "$origin/platform/ci-token.yaml"
sed -i.bak 's/^          serviceAccount: reporter$/          serviceAccount: reports/' "$origin/ci/nightly-report.yaml"
rm "$origin/ci/nightly-report.yaml.bak"
git_quiet -C "$origin" init && git_quiet -C "$origin" add -A && git_quiet -C "$origin" commit -m base
base_sha="$(git -C "$origin" rev-parse HEAD)"
cp -R "$repo/fixtures/demo/." "$origin/"
git_quiet -C "$origin" add -A && git_quiet -C "$origin" commit -m "the pull request"
git -C "$origin" config uploadpack.allowReachableSHA1InWant true
fresh_runner
rm -rf "$GITHUB_WORKSPACE"
git_quiet clone --depth=1 "file://$origin" "$GITHUB_WORKSPACE"
check "the checkout lacks the base commit" bash -c "! git -C '$GITHUB_WORKSPACE' cat-file -e '$base_sha^{commit}' 2>/dev/null"
export TOKENGUARD_BIN="$bin" TOKENGUARD_DIFF_BASE="$base_sha"
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "exit-code=1" equals "$(output_of "$GITHUB_OUTPUT" exit-code)" 1
check "the log says the changed lines come first" has "$tmp/stdout" "tokenguard: annotations on the lines changed since ${base_sha:0:12} come first"
stop="$(sed -n 's/^::stop-commands::\(.*\)$/\1/p' "$tmp/stdout")"
awk -v e="::$stop::" 'f && /^::/; $0==e{f=1}' "$tmp/stdout" | sed 's/,endLine=.*title=\([A-Z0-9]*\) .*/ \1/' >"$tmp/order"
printf '%s\n' \
  "::error file=ci/nightly-report.yaml,line=12 TG001" \
  "::notice file=ci/nightly-report.yaml,line=12 TG009" \
  "::warning file=ci/nightly-report.yaml,line=12 TG011" \
  "::error file=platform/ci-token.yaml,line=8 TG005" \
  "::warning file=apps/api.yaml,line=4 TG002" \
  "::error file=apps/api.yaml,line=20 TG014" \
  "::error file=apps/frontend.yaml,line=13 TG001" \
  "::warning file=apps/frontend.yaml,line=13 TG010" \
  "::warning file=apps/worker.yaml,line=25 TG010" \
  "::error file=platform/broken.yaml,line=5 TG000" >"$tmp/expected-order"
check "annotations: the pull request's lines first, then report order" cmp -s "$tmp/order" "$tmp/expected-order"
cmp -s "$tmp/order" "$tmp/expected-order" || diff "$tmp/expected-order" "$tmp/order" | sed 's/^/        /'

echo "scan: a base commit that cannot be fetched leaves report order, and says so"
fresh_runner
rm -rf "$GITHUB_WORKSPACE"
git_quiet clone --depth=1 "file://$origin" "$GITHUB_WORKSPACE"
export TOKENGUARD_BIN="$bin" TOKENGUARD_DIFF_BASE=0123456789abcdef0123456789abcdef01234567
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "scan exits 0" equals "$?" 0
check "exit-code=1" equals "$(output_of "$GITHUB_OUTPUT" exit-code)" 1
check "one line says why" has "$tmp/stdout" "tokenguard: annotations in report order, not changed lines first: the base commit 0123456789abcdef0123456789abcdef01234567 is not in the checkout and cannot be fetched (actions/checkout with fetch-depth: 0 has it)"
check "the first annotation is the first in report order" equals "$(grep -m 1 '^::[a-z]* file=' "$tmp/stdout" | cut -d, -f1-2)" "::warning file=apps/api.yaml,line=4"
fresh_runner
export TOKENGUARD_BIN="$bin" TOKENGUARD_DIFF_BASE=main
step scan >"$tmp/stdout" 2>"$tmp/stderr"
check "not a git checkout: one line says so" has "$tmp/stdout" "tokenguard: annotations in report order, not changed lines first: the workspace is not a git checkout"

echo "test-action: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
