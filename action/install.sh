#!/usr/bin/env bash
# Installs tokenguard for the GitHub Action (action.yml, step "install").
#
# 1. TOKENGUARD_BINARY set: that binary is used as it is (tests, or a runner that
#    brings its own build).
# 2. Else the release asset for this runner's OS and architecture is downloaded from
#    the project's GitHub release v$VERSION and checked against the release's
#    SHA256SUMS; a mismatch is an error, never a fallback.
# 3. No such release, or no asset for this platform: the action's own source (the ref
#    the workflow pinned) is built with `cargo install --locked`; an explicit `version`
#    other than the action's own is built from its git tag instead.
#
# Env: TOKENGUARD_VERSION (input `version`; default: the version in the action's
# Cargo.toml), TOKENGUARD_REPOSITORY (default: the action's repository, else
# tokenguard/tokenguard), TOKENGUARD_RELEASE_URL (default:
# https://github.com/$TOKENGUARD_REPOSITORY/releases/download), RUNNER_OS, RUNNER_ARCH,
# RUNNER_TEMP, GITHUB_OUTPUT.
# Outputs: path (the binary), version, source (binary|release|cargo).
set -euo pipefail

action_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tokenguard-install"
rm -rf "$work"
mkdir -p "$work/bin" "$work/download"

fail() { echo "tokenguard install: $*" >&2; exit 1; }
say() { echo "tokenguard install: $*"; }
output() { if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi; }

exe=""
case "${RUNNER_OS:-$(uname -s)}" in
  Linux) os=linux ;;
  macOS | Darwin) os=macos ;;
  Windows | MINGW* | MSYS* | CYGWIN*) os=windows; exe=".exe" ;;
  *) os=unknown ;;
esac
case "${RUNNER_ARCH:-$(uname -m)}" in
  X64 | x86_64 | amd64 | AMD64) arch=x86_64 ;;
  ARM64 | arm64 | aarch64) arch=aarch64 ;;
  *) arch=unknown ;;
esac
bin="$work/bin/tokenguard$exe"

finish() {  # source, version
  "$bin" --version >/dev/null || fail "$bin does not run"
  output path "$bin"
  output version "$2"
  output source "$1"
  say "installed $("$bin" --version) ($1) at $bin"
  exit 0
}

if [ -n "${TOKENGUARD_BINARY:-}" ]; then
  [ -f "$TOKENGUARD_BINARY" ] || fail "TOKENGUARD_BINARY=$TOKENGUARD_BINARY is not a file"
  cp "$TOKENGUARD_BINARY" "$bin"
  chmod +x "$bin"
  finish binary "$("$bin" --version | awk '{print $NF}')"
fi

own_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n 1)"
version="${TOKENGUARD_VERSION:-}"
version="${version#v}"
[ -n "$version" ] || version="$own_version"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] \
  || fail "version '$version' is not a version number such as 0.1.0"
repo="${TOKENGUARD_REPOSITORY:-}"
[ -n "$repo" ] || repo="tokenguard/tokenguard"
[[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || fail "repository '$repo' is not OWNER/NAME"
base="${TOKENGUARD_RELEASE_URL:-https://github.com/$repo/releases/download}/v$version"

case "$os-$arch" in
  linux-x86_64 | linux-aarch64) target="$arch-unknown-linux-musl"; archive=tar.gz ;;
  macos-x86_64 | macos-aarch64) target="$arch-apple-darwin"; archive=tar.gz ;;
  windows-x86_64) target="x86_64-pc-windows-msvc"; archive=zip ;;
  *) target="" archive="" ;;
esac
asset="tokenguard-v$version-$target.$archive"

proto="=https"
case "$base" in file://*) proto="=file" ;; esac
fetch() {  # url, file
  curl --proto "$proto" --tlsv1.2 --fail --silent --show-error --location \
    --retry 3 --retry-delay 2 --output "$2" "$1"
}
sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | awk '{print $1}'
  else shasum -a 256 "$1" | awk '{print $1}'; fi
}

expected=""
if [ -z "$target" ]; then
  say "no release build for $os/$arch"
elif fetch "$base/SHA256SUMS" "$work/download/SHA256SUMS" 2>"$work/download/error"; then
  expected="$(awk -v a="$asset" '$2 == a || $2 == "*" a { print $1 }' "$work/download/SHA256SUMS")"
  [ -n "$expected" ] || say "release v$version has no asset $asset"
else
  say "no release v$version at $base ($(tr '\n' ' ' <"$work/download/error"))"
fi

if [ -n "$expected" ]; then
  [[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fail "SHA256SUMS has no valid checksum for $asset"
  fetch "$base/$asset" "$work/download/$asset" || fail "cannot download $base/$asset"
  actual="$(sha256 "$work/download/$asset")"
  [ "$actual" = "$expected" ] \
    || fail "checksum mismatch for $asset: expected $expected, got $actual; not installing it"
  say "verified $asset (sha256 $actual)"
  mkdir -p "$work/unpacked"
  if [ "$archive" = zip ]; then
    if command -v unzip >/dev/null; then unzip -q "$work/download/$asset" -d "$work/unpacked"
    elif command -v 7z >/dev/null; then 7z x -y -o"$work/unpacked" "$work/download/$asset" >/dev/null
    else powershell -NoProfile -Command "Expand-Archive -LiteralPath '$work/download/$asset' -DestinationPath '$work/unpacked'"
    fi
  else
    tar -xzf "$work/download/$asset" -C "$work/unpacked"
  fi
  found="$(find "$work/unpacked" -type f -name "tokenguard$exe" | head -n 1)"
  [ -n "$found" ] || fail "$asset holds no tokenguard$exe"
  mv "$found" "$bin"
  chmod +x "$bin"
  finish release "$version"
fi

command -v cargo >/dev/null \
  || fail "no release asset to install and no cargo to build from source (add a Rust toolchain step, or set version to a released one)"
export CARGO_TARGET_DIR="$work/target"
if [ "$version" = "$own_version" ]; then
  say "building the action's own source (v$version) with cargo install --locked"
  cargo install --locked --quiet --root "$work" --path "$action_dir"
else
  say "building v$version from its git tag with cargo install --locked"
  cargo install --locked --quiet --root "$work" --git "https://github.com/$repo" --tag "v$version" tokenguard
fi
finish cargo "$version"
