#!/usr/bin/env bash
# Installs grpcurl (the generic gRPC command-line client) from the Go module
# proxy into a per-user cache that survives clean clones:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/daisychain/grpcurl-v1.9.4/bin/grpcurl
# Idempotent: a binary that reports the pinned version is kept, so a cached
# run costs one `grpcurl -version`. Prints the binary's path on stdout
# (progress goes to stderr). GO selects the toolchain (default: go on PATH,
# else /usr/local/go/bin/go). Used by tests/server/grpcurl.test.ts, which
# tests/run-all.sh runs with DAISYCHAIN_GRPCURL set to this path.
set -euo pipefail
version=v1.9.4
module=github.com/fullstorydev/grpcurl
cache=${XDG_CACHE_HOME:-$HOME/.cache}/daisychain/grpcurl-$version
bin=$cache/bin/grpcurl

installed_ok() {
  # Read the whole output first: `grep -q` closing the pipe early would make
  # the pipeline fail under pipefail.
  local out
  [ -x "$bin" ] && out=$("$bin" -version 2>&1) && [[ $out == *"$version"* ]]
}

if ! installed_ok; then
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  echo "grpcurl: building $version with $go (one-time, cached in $cache)" >&2
  start=$(date +%s)
  mkdir -p "$cache/bin"
  # GOFLAGS cleared so a caller's -mod=vendor or similar cannot leak in; run
  # outside any module so the project's own go.mod (if it ever has one) does
  # not take part.
  # grpcurl's releases stamp their version with -X main.version (else it
  # says "dev build"); the same stamp lets installed_ok recognise this build.
  (cd "$cache" && GOFLAGS= GOBIN="$cache/bin" "$go" install -ldflags="-X main.version=$version" \
    "$module/cmd/grpcurl@$version") >&2
  if ! installed_ok; then
    echo "grpcurl: $bin does not report version $version" >&2
    "$bin" -version >&2 || true
    exit 1
  fi
  echo "grpcurl: built in $(($(date +%s) - start)) s" >&2
fi
echo "$bin"
