#!/usr/bin/env bash
# Installs FerretDB v1 (MongoDB wire protocol over SQLite) from the Go module
# proxy into a per-user cache that survives clean clones:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/daisychain/ferretdb-v1.24.2/bin/ferretdb
# Idempotent: a binary that reports the pinned version is kept. Prints the
# binary's path on stdout (progress goes to stderr). GO selects the toolchain
# (default: go on PATH, else /usr/local/go/bin/go).
#
# A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2`
# builds a binary that panics at start: the module as published lacks the
# generated build/version/version.txt that FerretDB's own release task writes.
# So the module is downloaded, copied out of the read-only module cache, given
# that one file, and `go install`ed from there.
set -euo pipefail
version=v1.24.2
module=github.com/FerretDB/FerretDB
cache=${XDG_CACHE_HOME:-$HOME/.cache}/daisychain/ferretdb-$version
bin=$cache/bin/ferretdb

installed_ok() {
  # Read the whole output first: `grep -q` closing the pipe early would make
  # the pipeline fail under pipefail.
  local out
  [ -x "$bin" ] && out=$("$bin" --version 2>/dev/null) && [[ $out == *"version: $version"* ]]
}

if ! installed_ok; then
  go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
  echo "ferretdb: building $version with $go (one-time, cached in $cache)" >&2
  start=$(date +%s)
  mkdir -p "$cache"
  src=$(mktemp -d "$cache/src.XXXXXX")
  trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
  # GOFLAGS cleared so a caller's -mod=vendor or similar cannot leak in.
  export GOFLAGS=
  moddir=$(cd "$src" && "$go" mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$moddir" ] || { echo "ferretdb: go mod download gave no module directory" >&2; exit 1; }
  cp -R "$moddir/." "$src/FerretDB"
  chmod -R u+w "$src/FerretDB"
  echo "$version" >"$src/FerretDB/build/version/version.txt"
  mkdir -p "$cache/bin"
  (cd "$src/FerretDB" && GOBIN="$cache/bin" "$go" install ./cmd/ferretdb) >&2
  if ! installed_ok; then
    echo "ferretdb: $bin does not report version $version" >&2
    "$bin" --version >&2 || true
    exit 1
  fi
  echo "ferretdb: built in $(($(date +%s) - start)) s" >&2
fi
echo "$bin"
