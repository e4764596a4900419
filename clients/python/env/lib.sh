# Sourced by make-venv.sh and lock.sh: the paths, the table and uv itself.
# shellcheck shell=bash

env_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$env_dir/../../.." && pwd)
cache=$root/.cache
# One marker name for every venv: the sha256 of what it was built from.
marker_name=.venv-lock.sha256

# The machines reach PyPI but not the hosts of uv's prebuilt Pythons: only
# interpreters already installed may be used, and a failing download must not
# be tried (it costs seconds of DNS retries) before uv falls back to them.
export UV_PYTHON_DOWNLOADS=never
export UV_PYTHON_PREFERENCE=only-system

# env_row NAME: prints NAME's line of envs.tsv, or fails naming the known ones.
env_row() {
  local row
  row=$(awk -F'\t' -v n="$1" '$1 == n' "$env_dir/envs.tsv")
  if [ -z "$row" ]; then
    echo "make-venv: no environment '$1' in clients/python/env/envs.tsv (known: $(env_names | paste -sd ' '))" >&2
    return 2
  fi
  printf '%s\n' "$row"
}

env_names() {
  awk -F'\t' '!/^#/ && NF {print $1}' "$env_dir/envs.tsv"
}

# ensure_uv: .cache/venv-uv holds the pinned uv. It is the one venv made with
# the standard library's venv and pip, so that a machine with only python3
# can start; its lock has hashes like every other.
uv=$cache/venv-uv/bin/uv
ensure_uv() {
  local venv=$cache/venv-uv want
  want=$(sha256sum "$env_dir/uv.txt" | cut -d' ' -f1)
  if [ "$(cat "$venv/$marker_name" 2>/dev/null)" = "$want" ] && "$uv" --version >/dev/null 2>&1; then
    return 0
  fi
  echo "make-venv: installing uv into .cache/venv-uv" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check --no-deps --require-hashes \
    -r "$env_dir/uv.txt"
  echo "$want" >"$venv/$marker_name"
}

# Runs the rest of the calling script under one lock, so that two scripts
# setting up at once (tests and a benchmark) never build the same venv twice
# at the same time. flock is util-linux; without it there is no lock.
lock_setup() {
  mkdir -p "$cache"
  if command -v flock >/dev/null; then
    exec {setup_lock_fd}>"$cache/.make-venv.lock"
    flock "$setup_lock_fd"
  fi
}
