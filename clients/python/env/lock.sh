#!/usr/bin/env bash
# lock.sh [--upgrade] [NAME...]
# Compiles NAME.in into the lock NAME.txt (every package pinned, with hashes),
# for each environment of envs.tsv plus uv and build (the client's build
# backend); all of them when none is named. Versions already in a lock are
# kept unless --upgrade is given (or NAME.in asks for another), so a lock
# changes only where its input did. make-venv.sh then rebuilds exactly the
# venvs whose lock changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

upgrade=()
if [ "${1:-}" = --upgrade ]; then
  upgrade=(--upgrade)
  shift
fi
if [ "$#" -eq 0 ]; then
  mapfile -t names < <(env_names)
  set -- uv build "${names[@]}"
fi

lock_setup
ensure_uv
cd "$env_dir"
for name in "$@"; do
  case $name in
    # uv and build run on whatever python3 starts the bootstrap.
    uv | build) spec=3.10 ;;
    *) IFS=$'\t' read -r _ spec _ <<<"$(env_row "$name")" ;;
  esac
  # --universal: one lock for every Python from the env's minimum on and every
  # platform, so a machine whose python3 is newer still matches it.
  "$uv" pip compile --quiet --universal --python-version "${spec%+}" --generate-hashes \
    --custom-compile-command "bash clients/python/env/lock.sh $name" "${upgrade[@]}" \
    "$name.in" -o "$name.txt"
  echo "lock: clients/python/env/$name.txt" >&2
done
