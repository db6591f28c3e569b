#!/usr/bin/env bash
# Runs the GitHub Action's own shell steps (action/install.sh, scan.sh, gate.sh) as the
# runner would, with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_WORKSPACE and
# RUNNER_TEMP in a temporary directory, and checks their outputs, the job summary and
# the annotations. No network: the release download is served from a file:// URL and
# `cargo install` is a stub.
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
trap 'rm -rf "$tmp"' EXIT
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
}
# The step as action.yml runs it: `bash "$GITHUB_ACTION_PATH/action/NAME.sh"`.
step() { (cd "$GITHUB_WORKSPACE" && bash "$GITHUB_ACTION_PATH/action/$1.sh"); }

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$repo/Cargo.toml" | head -n 1)"

echo "action.yml runs these scripts with these inputs"
for script in install scan gate; do
  check "step runs action/$script.sh" has "$repo/action.yml" "run: bash \"\$GITHUB_ACTION_PATH/action/$script.sh\""
done
for var in INPUT_PATH INPUT_CONFIG INPUT_FAIL_ON INPUT_SARIF_FILE INPUT_CATEGORY INPUT_ANNOTATIONS \
  TOKENGUARD_BIN TOKENGUARD_VERSION TOKENGUARD_EXIT_CODE; do
  check "action.yml sets $var" has "$repo/action.yml" "$var: \${{"
done

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

echo "test-action: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
