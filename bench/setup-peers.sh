#!/usr/bin/env bash
# Creates the two peer virtualenvs the benchmarks compare daisychain with:
#   .cache/venv-daisy1  daisy 1.2.3 (pure Python)
#   .cache/venv-daisy2  daisy 2.0.0 (Rust core), pinned by bench/requirements-daisy2.txt
# Idempotent: a venv is rebuilt only when its requirements file changed (a
# marker inside the venv holds the file's sha256) or the venv is broken.
# PYTHON selects the interpreter used to create the venvs (default python3).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
python=${PYTHON:-python3}

# ensure_venv DIR REQUIREMENTS EXPECTED_DAISY_VERSION
ensure_venv() {
  local dir=$1 req=$2 want=$3
  local hash marker
  hash=$(sha256sum "$req" | cut -d' ' -f1)
  marker="$dir/.bench-requirements.sha256"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$hash" ] && [ -x "$dir/bin/python" ] \
    && "$dir/bin/python" -c 'import daisy' >/dev/null 2>&1; then
    return 0
  fi
  echo "setup-peers: creating $dir from $req" >&2
  rm -rf "$dir"
  "$python" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --no-input -r "$req"
  check_version "$dir" "$want"
  echo "$hash" >"$marker"
}

# check_version DIR EXPECTED_DAISY_VERSION
check_version() {
  local dir=$1 want=$2 got
  got=$("$dir/bin/python" -c 'import importlib.metadata as m; print(m.version("daisy"))')
  if [ "$got" != "$want" ]; then
    echo "setup-peers: $dir has daisy $got, expected $want" >&2
    exit 1
  fi
}

mkdir -p .cache

# daisy 1.2.3: tests/oracle/setup.sh owns .cache/venv-daisy1 when it exists.
if [ -f tests/oracle/setup.sh ]; then
  bash tests/oracle/setup.sh
  check_version .cache/venv-daisy1 1.2.3
else
  ensure_venv .cache/venv-daisy1 bench/requirements-daisy1.txt 1.2.3
fi

ensure_venv .cache/venv-daisy2 bench/requirements-daisy2.txt 2.0.0
