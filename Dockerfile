# tokenguard in a container: a static musl binary on distroless/static, run as a
# non-root user, with no shell or package manager at run time.
#
#   docker build -t tokenguard .
#   docker run --rm -v "$PWD:/src:ro" tokenguard scan .
#
# The image's working directory is /src; mount the repository there (read-only is
# enough unless you write reports into it: `--output`, `--sarif`...).

ARG RUST_VERSION=1.88

# Build: Alpine's Rust targets musl, whose binaries are static by default.
FROM rust:${RUST_VERSION}-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /build
# Everything `cargo build --locked` reads: the manifest and lockfile, the workspace
# member xtask/ (benchmark helpers) and the [[bench]] target Cargo.toml declares; cargo
# refuses a workspace with either missing. ci/check-shipping.sh builds exactly these.
COPY Cargo.toml Cargo.lock ./
COPY xtask ./xtask
COPY benches ./benches
COPY src ./src
# The registry and target directories are build caches: a change to src/ rebuilds only
# tokenguard itself. The binary is stripped of symbols for a smaller image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/build/target \
    CARGO_PROFILE_RELEASE_STRIP=symbols cargo build --release --locked \
    && install -D -m 0755 target/release/tokenguard /out/tokenguard \
    && if ldd /out/tokenguard 2>/dev/null | grep -q '=>'; then echo "not a static binary" >&2; exit 1; fi

# Run: no shell, no libc needed; user 65532 (nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tokenguard /usr/local/bin/tokenguard
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/tokenguard"]
CMD ["scan", "."]
