#!/usr/bin/env bash
# Checks everything that ships tokenguard into CI systems, with independent validators:
#   - actionlint and zizmor --offline on .github/workflows/ and action.yml: no finding;
#   - action.yml, the workflows and the GitLab template against SchemaStore's schemas;
#   - the GitHub Action's shell steps run locally (ci/test-action.sh);
#   - GitLab Code Quality output against the Code Quality schema, with fingerprints
#     unique and stable across runs; the GitLab template's jobs run locally;
#   - `tokenguard config-schema` is a valid JSON Schema that accepts every config
#     fixture and rejects unknown keys;
#   - the pre-commit manifest (when pre-commit is installed), the Dockerfile's shape, and
#     that exactly what it COPYs (with .dockerignore applied) builds: ci/docker-context.py.
#
#   ci/check-shipping.sh            (from anywhere; run ../shared/tools/sarif-validate/install.sh
#                                    and `cargo build --release --locked` first)
#
# Env: VALIDATORS_HOME (default $HOME/.cache/tokenguard-validators), TOKENGUARD (the
# binary; default target/release/tokenguard). Exit 0 when every check passes.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
VH="${VALIDATORS_HOME:-$HOME/.cache/tokenguard-validators}"
BIN="${TOKENGUARD:-target/release/tokenguard}"
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
CODEQUALITY_SCHEMA="../shared/tools/sarif-validate/gitlab-codequality.schema.json"
PY="$VH/.venv/bin/python"
CJS="$VH/.venv/bin/check-jsonschema"

for need in "$BIN" "$VH/.venv/bin/actionlint" "$VH/.venv/bin/zizmor" "$CJS" "$PY" "$CODEQUALITY_SCHEMA"; do
  [ -e "$need" ] || {
    echo "check-shipping: missing $need (build with cargo build --release --locked; install validators with ../shared/tools/sarif-validate/install.sh)" >&2
    exit 2
  }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0
run() {  # name, command...: PASS/FAIL with the command's output indented
  local name="$1" out rc
  shift
  out="$("$@" 2>&1)"
  rc=$?
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1))
    printf '  [PASS] %s\n' "$name"
  else
    failed=$((failed + 1))
    printf '  [FAIL] %s (exit %d)\n' "$name" "$rc"
  fi
  [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/         /'
}

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)"
workflows=(.github/workflows/*.yml)

echo "== GitHub workflows and action"
run "actionlint .github/workflows/" "$VH/.venv/bin/actionlint" "${workflows[@]}"
zizmor_clean() {
  local out
  out="$("$VH/.venv/bin/zizmor" --offline --no-progress .github/workflows action.yml 2>&1)" || { printf '%s\n' "$out"; return 1; }
  printf '%s\n' "$out" | grep -F 'No findings to report'
}
run "zizmor --offline .github/workflows action.yml: no findings" zizmor_clean
run "check-jsonschema vendor.github-actions action.yml" "$CJS" --builtin-schema vendor.github-actions action.yml
run "check-jsonschema vendor.github-workflows .github/workflows/*.yml" "$CJS" --builtin-schema vendor.github-workflows "${workflows[@]}"
pinned() {  # every remote action is pinned by a full commit SHA with a version comment
  local bad
  bad="$(grep -hE '^\s*(- )?uses:' action.yml "${workflows[@]}" | grep -vE 'uses: \./' \
    | grep -vE 'uses: [^@ ]+@[0-9a-f]{40} # v[0-9]+\.[0-9]+\.[0-9]+$')"
  [ -z "$bad" ] || { echo "not pinned by SHA with a version comment:"; echo "$bad"; return 1; }
}
run "every action pinned by commit SHA, with a version comment" pinned
if command -v shellcheck >/dev/null; then
  run "shellcheck action/*.sh ci/*.sh" shellcheck -S warning action/*.sh ci/*.sh
else
  echo "  [SKIP] shellcheck (not installed)"
fi
run "the action's shell steps, run locally (ci/test-action.sh)" bash ci/test-action.sh "$BIN"

echo "== GitLab"
run "check-jsonschema vendor.gitlab-ci ci/tokenguard.gitlab-ci.yml" "$CJS" --builtin-schema vendor.gitlab-ci ci/tokenguard.gitlab-ci.yml
template_version() {
  grep -qE "^  TOKENGUARD_VERSION: \"$version\"$" ci/tokenguard.gitlab-ci.yml \
    || { echo "TOKENGUARD_VERSION in the template is not $version (Cargo.toml)"; return 1; }
}
run "the template installs this version ($version)" template_version

codequality() {  # name, scan arguments...: two runs, schema, no BOM, unique and stable fingerprints
  local name="$1"
  shift
  "$BIN" scan --format gitlab --fail-on never --output "$TMP/$name.1.json" "$@" || return 1
  "$BIN" scan --format gitlab --fail-on never --output "$TMP/$name.2.json" "$@" || return 1
  "$CJS" --schemafile "$CODEQUALITY_SCHEMA" "$TMP/$name.1.json" || return 1
  cmp "$TMP/$name.1.json" "$TMP/$name.2.json" || { echo "two runs differ"; return 1; }
  "$PY" - "$TMP/$name.1.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert not raw.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM at the start (GitLab rejects it)"
issues = json.loads(raw)
assert issues, "no issues: nothing was checked"
prints = [i["fingerprint"] for i in issues]
dups = sorted({p for p in prints if prints.count(p) > 1})
assert not dups, f"duplicate fingerprints: {dups}"
print(f"{len(issues)} issues, {len(set(prints))} distinct fingerprints, "
      f"severities {sorted({i['severity'] for i in issues})}")
PY
}
run "Code Quality of fixtures/demo: schema, unique and stable fingerprints" codequality demo --root fixtures/demo fixtures/demo
run "Code Quality of all fixtures/: schema, unique and stable fingerprints" codequality all --root . fixtures

gitlab_jobs() {  # runs the template's two job scripts in sh, as a runner would
  local release="$TMP/gl-release/v$version" asset="tokenguard-v$version-x86_64-unknown-linux-musl"
  mkdir -p "$release" "$TMP/gl-pack/$asset" "$TMP/gl-project"
  cp "$BIN" "$TMP/gl-pack/$asset/tokenguard"
  tar -czf "$release/$asset.tar.gz" -C "$TMP/gl-pack" "$asset"
  (cd "$release" && sha256sum "$asset.tar.gz" >SHA256SUMS)
  cp -R fixtures/demo/. "$TMP/gl-project/"
  "$PY" - ci/tokenguard.gitlab-ci.yml "$TMP" <<'PY' || return 1
import sys, ruamel.yaml
doc = ruamel.yaml.YAML(typ="safe").load(open(sys.argv[1]))
out = sys.argv[2]
with open(f"{out}/gl-vars.sh", "w") as f:
    for k, v in doc["variables"].items():
        f.write(f"export {k}='{v}'\n")
for job in ("tokenguard", "tokenguard-gate"):
    with open(f"{out}/gl-{job}.sh", "w") as f:
        f.write("\n".join(doc[job]["script"]) + "\n")
PY
  [ "$(uname -m)" = x86_64 ] || { echo "(the local release is x86_64 only)"; return 0; }
  local rc
  (cd "$TMP/gl-project" && . "$TMP/gl-vars.sh" && export TOKENGUARD_RELEASE_URL="file://$TMP/gl-release" \
    && sh -e "$TMP/gl-tokenguard.sh" >"$TMP/gl-job.log" 2>&1)
  rc=$?
  [ $rc -eq 0 ] || { cat "$TMP/gl-job.log"; echo "the scan job failed (exit $rc)"; return 1; }
  [ "$(cat "$TMP/gl-project/tokenguard.status")" = 1 ] || { echo "tokenguard.status is not 1"; return 1; }
  "$CJS" --schemafile "$CODEQUALITY_SCHEMA" "$TMP/gl-project/gl-code-quality-report.json" || return 1
  grep -q '"version": "2.1.0"' "$TMP/gl-project/tokenguard.sarif" || { echo "no SARIF"; return 1; }
  (cd "$TMP/gl-project" && . "$TMP/gl-vars.sh" && sh -e "$TMP/gl-tokenguard-gate.sh" >"$TMP/gl-gate.log" 2>&1)
  rc=$?
  [ $rc -eq 1 ] || { cat "$TMP/gl-gate.log"; echo "the gate job exited $rc, not 1"; return 1; }
  echo 0 >"$TMP/gl-project/tokenguard.status"
  (cd "$TMP/gl-project" && . "$TMP/gl-vars.sh" && sh -e "$TMP/gl-tokenguard-gate.sh" >/dev/null 2>&1) \
    || { echo "the gate job fails on status 0"; return 1; }
  echo "scan job exit 0 with status 1 and a valid report; gate job exit 1 (and 0 on a clean status)"
}
run "the template's jobs, run locally in sh" gitlab_jobs

echo "== Config schema"
schema() {
  "$BIN" config-schema >"$TMP/schema.json" || return 1
  "$CJS" --check-metaschema "$TMP/schema.json"
}
run "tokenguard config-schema is a valid JSON Schema" schema
configs=()
while IFS= read -r f; do configs+=("$f"); done < <(find fixtures -name .tokenguard.yaml -o -name .tokenguard.yml | sort)
fixture_configs() {  # every config tokenguard accepts, the schema accepts too
  local accepted=() f
  [ ${#configs[@]} -gt 0 ] || { echo "no config fixtures found"; return 1; }
  for f in "${configs[@]}"; do
    if "$BIN" rules --config "$f" >/dev/null 2>&1; then
      accepted+=("$f")
    elif "$CJS" --schemafile "$TMP/schema.json" "$f" >/dev/null 2>&1; then
      echo "note: $f is an invalid config (tokenguard rejects it); the schema cannot tell"
    else
      echo "note: $f is an invalid config; tokenguard and the schema both reject it"
    fi
  done
  [ ${#accepted[@]} -gt 0 ] || { echo "no valid config fixture"; return 1; }
  "$CJS" --schemafile "$TMP/schema.json" "${accepted[@]}"
}
run "the schema accepts every valid config fixture (${#configs[@]}: ${configs[*]})" fixture_configs
schema_rejects() {
  printf 'trusted:\n  - serviceAccount: a/b\n    reasn: typo\n' >"$TMP/bad.tokenguard.yaml"
  ! "$CJS" --schemafile "$TMP/schema.json" "$TMP/bad.tokenguard.yaml" >/dev/null
}
run "the schema rejects an unknown key" schema_rejects
init_config() {  # init's output, as written and with its entries uncommented, fits the schema
  mkdir -p "$TMP/init"
  cp -R fixtures/demo/. "$TMP/init/"
  rm -f "$TMP/init/.tokenguard.yaml"
  "$BIN" init --root "$TMP/init" "$TMP/init" || return 1
  sed -n '/^# trusted:$/,/^#$/p' "$TMP/init/.tokenguard.yaml" | sed -e '$d' -e 's/^# //' \
    -e 's/reason: ""/reason: needs the API/' >"$TMP/init/uncommented.yaml"
  "$CJS" --schemafile "$TMP/schema.json" "$TMP/init/.tokenguard.yaml" "$TMP/init/uncommented.yaml" || return 1
  "$BIN" scan --root "$TMP/init" --config "$TMP/init/uncommented.yaml" --quiet "$TMP/init" >"$TMP/init/scan.txt"
  ! grep -q 'TG001' "$TMP/init/scan.txt" || { cat "$TMP/init/scan.txt"; echo "TG001 left after trusting init's entries"; return 1; }
}
run "init's config and its uncommented entries fit the schema and trust what they list" init_config

echo "== pre-commit and Docker"
if command -v pre-commit >/dev/null; then
  run "pre-commit validate-manifest .pre-commit-hooks.yaml" pre-commit validate-manifest .pre-commit-hooks.yaml
else
  echo "  [SKIP] pre-commit validate-manifest (pre-commit is not installed)"
fi
dockerfile() {
  local final
  final="$(grep -E '^FROM ' Dockerfile | tail -n 1)"
  echo "$final" | grep -qE 'distroless/static|scratch' || { echo "final stage is not distroless/static or scratch: $final"; return 1; }
  [ "$(grep -cE '^FROM ' Dockerfile)" -ge 2 ] || { echo "not multi-stage"; return 1; }
  grep -qE '^USER (65532|nonroot)' Dockerfile || { echo "no non-root USER"; return 1; }
  grep -qE '^ENTRYPOINT \["/' Dockerfile || { echo "ENTRYPOINT is not exec form"; return 1; }
}
run "Dockerfile: multi-stage, distroless/static final stage, non-root, exec-form entrypoint" dockerfile
docker_context() {  # DOCKERFILE: build only what it COPYs, .dockerignore applied
  local context="target/docker-context" target="$PWD/target" dir
  grep -qE 'cargo build --release --locked' "$1" || { echo "$1 does not run cargo build --release --locked"; return 1; }
  rm -rf "$context" && mkdir -p "$context" || return 1
  dir="$("$PY" ci/docker-context.py . "$context" "$1")" || return 1
  # `cargo check` reads every file `cargo build` reads (manifests, workspace members,
  # declared targets, modules) and so fails the same way on a missing one, in seconds:
  # the image's release build (LTO) takes minutes. A fixed directory and this checkout's
  # target/ let it reuse the compiled dependencies from one run to the next.
  (cd "$dir" && CARGO_TARGET_DIR="$target" cargo check --locked --quiet 2>&1) || return 1
  echo "cargo check --locked passes on the $(find "$context" -type f | wc -l) files $1 copies"
}
run "Docker build context: the Dockerfile's COPYs hold everything cargo build --locked reads" docker_context Dockerfile
docker_context_fails_without_xtask() {  # the check can fail: without the workspace member, it does
  sed '/^COPY xtask /d' Dockerfile >"$TMP/Dockerfile.no-xtask"
  ! grep -q '^COPY xtask ' "$TMP/Dockerfile.no-xtask" || return 1
  local out
  if out="$(docker_context "$TMP/Dockerfile.no-xtask")"; then echo "it passed: $out"; return 1; fi
  printf '%s\n' "$out" | grep -q 'failed to load manifest for workspace member' \
    || { printf '%s\n' "$out"; return 1; }
  echo "without COPY xtask: cargo cannot load the workspace member, as docker build could not"
}
run "... and fails on the Dockerfile without COPY xtask (as before the fix)" docker_context_fails_without_xtask

echo "check-shipping: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
