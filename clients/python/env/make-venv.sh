#!/usr/bin/env bash
# make-venv.sh [NAME...]
# Makes each named environment of envs.tsv (all of them when none is named)
# as .cache/venv-NAME from its lock NAME.txt, with uv. A venv is rebuilt only
# when its lock or its line of envs.tsv changed (the marker inside it holds
# their sha256) or its interpreter no longer runs; otherwise this is a no-op,
# except that venvs with client=yes get clients/python reinstalled.
# Exit status 3: an environment's Python version is not installed here (the
# caller may skip what needs it); 2: unknown name.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# find_python SPEC: prints the absolute path of the interpreter SPEC asks for
# (see envs.tsv), or returns 3. The path, not a command name, goes to uv:
# pyenv's shims (python3.10 on PATH) refuse to run versions not selected.
find_python() {
  local spec=$1 candidate
  if [[ $spec == *+ ]]; then
    candidate=${PYTHON:-python3}
    python_at "$candidate" ">=" "${spec%+}" && return 0
    echo "make-venv: $candidate is not Python ${spec%+} or later (set PYTHON)" >&2
    return 3
  fi
  local override="PYTHON${spec//./}"
  for candidate in "${!override:-}" "python$spec" "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/"$spec".*/bin/python; do
    [ -n "$candidate" ] && python_at "$candidate" "==" "$spec" && return 0
  done
  echo "make-venv: no Python $spec installed (python$spec on PATH, a pyenv version, or $override=/path/to/python$spec)" >&2
  return 3
}

# python_at CANDIDATE OP X.Y: prints CANDIDATE's sys.executable when it runs
# and its version OP X.Y holds.
python_at() {
  "$1" - "$2" "$3" 2>/dev/null <<'PY'
import sys

want = tuple(int(part) for part in sys.argv[2].split("."))
have = sys.version_info[:2]
if (have >= want) if sys.argv[1] == ">=" else (have == want):
    print(sys.executable)
else:
    sys.exit(1)
PY
}

# make_env NAME
make_env() {
  local row name spec client check venv lock want python start
  row=$(env_row "$1")
  IFS=$'\t' read -r name spec client check <<<"$row"
  venv=$cache/venv-$name
  lock=$env_dir/$name.txt
  # "compile-bytecode": venvs made before their .pyc files were are made again.
  want=$({ cat "$lock"; printf '%s\n' "$row" compile-bytecode; } | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$venv/$marker_name" 2>/dev/null)" != "$want" ] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    start=$SECONDS
    python=$(find_python "$spec")
    rm -rf "$venv"
    "$uv" venv --quiet --python "$python" "$venv"
    # --compile-bytecode: .pyc files written at install, as pip writes them. These
    # machines set PYTHONDONTWRITEBYTECODE=1, so without them every process
    # (every benchmark worker) compiles its imports from source: 0.2 s of CPU
    # instead of 0.07 for a worker's `import daisychain.client` (bench/README.md).
    "$uv" pip sync --quiet --python "$venv/bin/python" --require-hashes --compile-bytecode "$lock"
    if [ "$client" = yes ]; then install_client "$venv"; fi
    "$venv/bin/python" -c "$check"
    echo "$want" >"$venv/$marker_name"
    echo "make-venv: built .cache/venv-$name from clients/python/env/$name.txt ($((SECONDS - start)) s)" >&2
  elif [ "$client" = yes ]; then
    install_client "$venv"
  fi
}

# install_client VENV: clients/python built and installed as `pip install
# ./clients/python` would (non-editable, so its packaging is what is tested).
# --refresh-package: uv's cache of a local build is keyed on pyproject.toml
# alone, so an edited source file would otherwise reinstall the old build.
# The lock pins the client's dependencies; pip check proves they satisfy it.
install_client() {
  local venv=$1
  "$uv" pip install --quiet --python "$venv/bin/python" --no-deps --compile-bytecode \
    --reinstall-package daisychain --refresh-package daisychain \
    --build-constraints "$env_dir/build.txt" "$root/clients/python"
  "$uv" pip check --quiet --python "$venv/bin/python"
}

lock_setup
ensure_uv
if [ "$#" -eq 0 ]; then
  mapfile -t names < <(env_names)
  set -- "${names[@]}"
fi
for name in "$@"; do
  make_env "$name"
done
