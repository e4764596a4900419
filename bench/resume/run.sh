#!/usr/bin/env bash
# Resume from done markers: daisychain vs daisy 2.0.0 on copies of one
# tracking group. Run it with `npm run bench:resume` (which builds dist/
# first) or, after a build, `bash bench/resume/run.sh [--repeats N]`.
#
# A 3-D task of ~10^7 blocks (215 per axis) with read-write conflicts, whose
# group (daisy 2.0.0's layout, written by src/tracking's BlockTracker) marks
# every block done but those of the last level, is resumed by:
#   - daisychain, in-process Scheduler (acquire/release to the end);
#   - daisychain, runBlockwise (loopback server, in-process worker), until the
#     first block reaches the worker;
#   - daisy 2.0.0, run_blockwise(multiprocessing=False) to the end.
# Each run gets a fresh copy of the group (a resume marks the last level).
# Raw JSON lines go to .cache/bench/resume-<timestamp>.jsonl; a table with
# ratios is printed at the end.
#
# Options: --repeats N (runs per row, the table shows the median; default 1)
#          --skip-setup (do not make the daisy 2.0.0 venv)
# BENCH_SCALE=0.01 shrinks the block count for a smoke run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

repeats=1
setup=1
scale=${BENCH_SCALE:-1}
while [ $# -gt 0 ]; do
  case $1 in
    --repeats) repeats=${2:?}; shift 2 ;;
    --skip-setup) setup=0; shift ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $repeats =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad --repeats" >&2; exit 2; }
[[ $scale =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: BENCH_SCALE is not a number: $scale" >&2; exit 2; }
ts_bench=dist/bench/resume/resume-bench.js
[ -f "$ts_bench" ] || { echo "run.sh: $ts_bench is missing; run \`npm run build\` (or \`npm run bench:resume\`)" >&2; exit 1; }
if [ "$setup" = 1 ]; then
  bash clients/python/env/make-venv.sh daisy2 >&2
fi

mkdir -p .cache/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=.cache/bench/resume-$stamp.jsonl
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

read -r load1 load5 load15 _ </proc/loadavg
printf '{"meta": true, "timestamp": "%s", "scale": %s, "cores": %s, "node": "%s", "loadavg": [%s, %s, %s]}\n' \
  "$stamp" "$scale" "$(nproc)" "$(node --version)" "$load1" "$load5" "$load15" >>"$out"

echo "resume benchmark (BENCH_SCALE=$scale), raw results: $out" >&2
echo "  writing the tracking group" >&2
group=$(node "$ts_bench" --mode make-group --basedir "$work/group" --scale "$scale")
printf '%s\n' "$group" >>"$out"
per_axis=$(printf '%s\n' "$group" | sed -n 's/.*"perAxis":\([0-9]*\).*/\1/p')

# run_one LABEL COMMAND... (the command gets --basedir <fresh copy>)
run_one() {
  local label=$1 copy="$work/copy" line
  shift
  rm -rf "$copy"
  cp -r "$work/group" "$copy"
  printf '  %-40s ' "$label" >&2
  if line=$("$@" --basedir "$copy" 2>"$work/stderr" | grep '^{' | tail -n1); then
    echo ok >&2
  else
    echo FAILED >&2
    sed 's/^/    /' "$work/stderr" >&2
  fi
  printf '%s\n' "$line" >>"$out"
}

for ((r = 0; r < repeats; r++)); do
  run_one 'daisychain Scheduler' node "$ts_bench" --mode scheduler --scale "$scale"
  run_one 'daisychain runBlockwise (first block)' node "$ts_bench" --mode run-blockwise --scale "$scale"
  run_one 'daisy 2.0.0 run_blockwise (serial)' .cache/venv-daisy2/bin/python bench/resume/daisy_resume_bench.py --per-axis "$per_axis"
done
python3 bench/resume/format_table.py "$out"
