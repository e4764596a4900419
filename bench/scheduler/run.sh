#!/usr/bin/env bash
# In-process scheduler benchmark: daisychain vs daisy 2.0.0 vs daisy 1.2.3,
# side by side in one run. Run it with `npm run bench:scheduler` (which builds
# dist/ first) or, after a build, `bash bench/scheduler/run.sh [options]`.
#
# Every case runs in its own fresh process per implementation, so that the
# peak RSS belongs to that case alone. Raw JSON lines are kept in
# .cache/bench/scheduler-<timestamp>.jsonl; a table is printed at the end.
#
# Options (also from the environment, in brackets):
#   --cases LIST              comma-separated: conflict,no-conflict,first-block,
#                             first-block-warm
#   --impls LIST              comma-separated: daisychain,daisy2,daisy1
#                             (daisychain also runs the first-block cases
#                             with DAISYCHAIN_NO_WARMUP=1, in its own column)
#   --daisy1-budget SECONDS   stop daisy 1.2.3 runs after this long and
#                             extrapolate (default 60; 0 = no limit) [DAISY1_BUDGET]
#   --daisy2-budget SECONDS   the same for daisy 2.0.0 (default 0) [DAISY2_BUDGET]
#   --daisychain-budget SECONDS  the same for daisychain (default 0) [DAISYCHAIN_BUDGET]
#   --first-block-repeats N   fresh processes per implementation for the
#                             first-block case; the table shows the median
#                             (default 11) [FIRST_BLOCK_REPEATS]
#   --skip-setup              do not make the peer venvs (clients/python/env)
# BENCH_SCALE=0.1 shrinks every case (block counts × 0.1) for a smoke run.
# DAISYCHAIN_BENCH_JS overrides the compiled daisychain side
# (default dist/bench/scheduler/scheduler-bench.js).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"

cases=conflict,no-conflict,first-block,first-block-warm
impls=daisychain,daisy2,daisy1
daisy1_budget=${DAISY1_BUDGET:-60}
daisy2_budget=${DAISY2_BUDGET:-0}
daisychain_budget=${DAISYCHAIN_BUDGET:-0}
first_block_repeats=${FIRST_BLOCK_REPEATS:-11}
scale=${BENCH_SCALE:-1}
setup=1

usage() {
  sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case $1 in
    --cases) cases=${2:?}; shift 2 ;;
    --impls) impls=${2:?}; shift 2 ;;
    --daisy1-budget) daisy1_budget=${2:?}; shift 2 ;;
    --daisy2-budget) daisy2_budget=${2:?}; shift 2 ;;
    --daisychain-budget) daisychain_budget=${2:?}; shift 2 ;;
    --first-block-repeats) first_block_repeats=${2:?}; shift 2 ;;
    --skip-setup) setup=0; shift ;;
    -h|--help) usage ;;
    *) echo "run.sh: unknown option $1" >&2; usage ;;
  esac
done
number_re='^[0-9]+([.][0-9]+)?$'
for value in "$daisy1_budget" "$daisy2_budget" "$daisychain_budget" "$scale"; do
  [[ $value =~ $number_re ]] || { echo "run.sh: not a number: $value" >&2; exit 2; }
done
[[ $first_block_repeats =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad --first-block-repeats" >&2; exit 2; }

# The compiled daisychain side; DAISYCHAIN_BENCH_JS points at another build.
ts_bench=${DAISYCHAIN_BENCH_JS:-dist/bench/scheduler/scheduler-bench.js}
py_bench=bench/scheduler/daisy_scheduler_bench.py
if [[ ,$impls, == *,daisychain,* ]] && [ ! -f "$ts_bench" ]; then
  echo "run.sh: $ts_bench is missing; run \`npm run build\` (or \`npm run bench:scheduler\`)" >&2
  exit 1
fi
if [ "$setup" = 1 ]; then
  bash clients/python/env/make-venv.sh daisy1 daisy2 >&2
fi
py2=.cache/venv-daisy2/bin/python
py1=.cache/venv-daisy1/bin/python

mkdir -p .cache/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=.cache/bench/scheduler-$stamp.jsonl
: >"$out"

# One line of context first: the machine and its load (the benchmark wants
# an otherwise idle machine; a load average near the core count skews it).
read -r load1 load5 load15 _ </proc/loadavg
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
cores=$(nproc)
node_version=$(node --version)
printf '{"meta": true, "timestamp": "%s", "scale": %s, "cpu": "%s", "cores": %s, "node": "%s", "loadavg": [%s, %s, %s], "budgets": {"daisychain": %s, "daisy 2.0.0": %s, "daisy 1.2.3": %s}, "first_block_repeats": %s}\n' \
  "$stamp" "$scale" "${cpu//\"/}" "$cores" "$node_version" "$load1" "$load5" "$load15" \
  "$daisychain_budget" "$daisy2_budget" "$daisy1_budget" "$first_block_repeats" >>"$out"
if awk -v l="$load1" 'BEGIN { exit !(l > 0.7) }'; then
  echo "run.sh: warning: load average is $load1 on $cores cores; other jobs will skew the numbers" >&2
fi

failures=0
# run_one LABEL BUDGET CASE COMMAND...
run_one() {
  local label=$1 budget=$2 bench_case=$3
  shift 3
  local guard=() line rc=0 err
  # An outer limit for budgeted runs, in case the in-process budget cannot
  # fire (a long native call): twice the budget plus a minute.
  if [ "$budget" != 0 ] && [ "$budget" != 0.0 ]; then
    guard=(timeout --kill-after=10 "$(awk -v b="$budget" 'BEGIN { printf "%d", 2 * b + 60 }')")
  fi
  err=$(mktemp)
  printf '  %-12s %-12s ' "$label" "$bench_case" >&2
  line=$(BENCH_SCALE=$scale "${guard[@]}" "$@" --case "$bench_case" --budget "$budget" --impl "$label" 2>"$err") || rc=$?
  line=$(printf '%s\n' "$line" | grep '^{' | tail -n1 || true)
  if [ -n "$line" ]; then
    printf '%s\n' "$line" >>"$out"
  else
    local detail
    # The tail of stderr, made safe to embed in a JSON string.
    detail=$(tail -c 400 "$err" | tr '\n\t' '  ' | tr -d '\000-\037"' | tr "\\\\" /)
    printf '{"impl": "%s", "case": "%s", "ok": false, "crashed": true, "errors": ["exit status %s: %s"]}\n' \
      "$label" "$bench_case" "$rc" "$detail" >>"$out"
  fi
  if [ "$rc" != 0 ]; then
    failures=$((failures + 1))
    echo "FAILED (exit status $rc)" >&2
    sed 's/^/    /' "$err" >&2
  else
    echo "ok" >&2
  fi
  rm -f "$err"
}

echo "scheduler benchmark (BENCH_SCALE=$scale), raw results: $out" >&2
IFS=, read -r -a case_list <<<"$cases"
IFS=, read -r -a impl_list <<<"$impls"
for bench_case in "${case_list[@]}"; do
  repeats=1
  [[ $bench_case == first-block* ]] && repeats=$first_block_repeats
  for ((r = 0; r < repeats; r++)); do
    for impl in "${impl_list[@]}"; do
      case $impl in
        daisychain)
          run_one daisychain "$daisychain_budget" "$bench_case" node "$ts_bench"
          # The first block without the warm-up done at import, to show what
          # the warm-up buys and what it costs (import time).
          if [[ $bench_case == first-block* ]]; then
            run_one "daisychain, no warm-up" "$daisychain_budget" "$bench_case" env DAISYCHAIN_NO_WARMUP=1 node "$ts_bench"
          fi
          ;;
        daisy2) run_one "daisy 2.0.0" "$daisy2_budget" "$bench_case" "$py2" "$py_bench" ;;
        daisy1) run_one "daisy 1.2.3" "$daisy1_budget" "$bench_case" "$py1" "$py_bench" ;;
        *) echo "run.sh: unknown implementation $impl" >&2; exit 2 ;;
      esac
    done
  done
done

fmt_python=$py2
[ -x "$fmt_python" ] || fmt_python=python3
"$fmt_python" bench/scheduler/format_table.py "$out"
if [ "$failures" -gt 0 ]; then
  echo "run.sh: $failures run(s) failed; see the errors above and $out" >&2
  exit 1
fi
