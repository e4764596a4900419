#!/usr/bin/env bash
# Worker import time: fresh processes importing daisychain's entries
# ('daisychain/client', the root, 'daisychain/core'), the Python client
# (`import daisychain`) and daisy 2.0.0 (`import daisy`), side by side in one
# run. Run it with `npm run bench:imports` (which builds dist/ first) or,
# after a build, `bash bench/imports/run.sh [options]`. Raw JSON lines are
# kept in .cache/bench/imports-<timestamp>.jsonl; a table is printed at the end.
#
# Options (also from the environment, in brackets):
#   --repeats N      fresh processes per case (default 20) [REPEATS]
#   --before DIR     also import('daisychain') in DIR, another daisychain tree
#                    built with npm ci and npx tsc (e.g. a `git worktree` of
#                    the commit before a change) [BEFORE]
#   --skip-setup     do not make the client and daisy 2.0.0 virtualenvs
#                    (clients/python/env/make-venv.sh)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

repeats=${REPEATS:-20}
before=${BEFORE:-}
setup=1

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --repeats) repeats=${2:?}; shift 2 ;;
    --before) before=${2:?}; shift 2 ;;
    --skip-setup) setup=0; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
  esac
done
[[ $repeats =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad --repeats" >&2; exit 2; }

bench_js=dist/bench/imports/imports-bench.js
if [ ! -f "$bench_js" ]; then
  echo "run.sh: $bench_js is missing; run \`npm run build\` (or \`npm run bench:imports\`)" >&2
  exit 1
fi
before_args=()
if [ -n "$before" ]; then
  before=$(cd "$before" && pwd)
  if [ ! -f "$before/dist/src/index.js" ]; then
    echo "run.sh: $before/dist/src/index.js is missing; build that tree (npm ci && npx tsc -p tsconfig.json)" >&2
    exit 1
  fi
  label="before ($(git -C "$before" rev-parse --short HEAD 2>/dev/null || basename "$before"))"
  before_args=(--before "$before" --before-label "$label")
fi
if [ "$setup" = 1 ]; then
  bash clients/python/env/make-venv.sh client daisy2 >&2
fi

load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
if awk -v l="$load" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "run.sh: warning: load average $load on $(nproc) cores; the numbers will be noisy" >&2
fi

mkdir -p .cache/bench
out=.cache/bench/imports-$(date -u +%Y%m%dT%H%M%SZ).jsonl
node "$bench_js" --repeats "$repeats" \
  --python-client .cache/venv-client/bin/python --python-daisy2 .cache/venv-daisy2/bin/python \
  "${before_args[@]}" >"$out"
echo "raw results: $out" >&2
python3 bench/imports/format_table.py "$out"
