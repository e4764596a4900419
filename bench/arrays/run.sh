#!/usr/bin/env bash
# Array throughput benchmark: MB/s of writing and then reading every
# chunk-aligned block of a 3-D volume, daisychain (TS, one process) side by
# side with zarr-python 3.1.6 (Zarr v2, v3) and zarr-python 2.18.7 (Zarr v2,
# N5) on the same data, in one run; prints a table with ratios.
# Run it with `npm run bench:arrays` (which builds dist/ first).
#
# Environment: BENCH_SCALE (default 1: a 512x512x256 volume; 0.1 shrinks its
# voxel count about tenfold, each axis rounded to whole blocks), BLOCK (block
# and chunk edge in voxels, default 64), REPEATS (default 1; the table shows
# medians), IMPLS (default "daisychain zarr3 zarr2"), FORMATS (default
# "zarr2,zarr3,n5"; each peer runs those it supports).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
scale=${BENCH_SCALE:-1}
block=${BLOCK:-64}
repeats=${REPEATS:-1}
impls=${IMPLS:-daisychain zarr3 zarr2}
formats=${FORMATS:-zarr2,zarr3,n5}
[[ $scale =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: BENCH_SCALE is not a number: $scale" >&2; exit 2; }
[[ $block =~ ^[1-9][0-9]*$ && $repeats =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: BLOCK and REPEATS are positive integers" >&2; exit 2; }

ts_bench=dist/bench/arrays/arrays-bench.js
py_bench=bench/arrays/zarr_python_bench.py
[ -f "$ts_bench" ] || { echo "run.sh: $ts_bench is missing; run \`npm run build\` (or \`npm run bench:arrays\`)" >&2; exit 1; }
py3=.cache/venv-arrays-zarr3/bin/python
py2=.cache/venv-arrays-zarr2/bin/python
bash clients/python/env/make-venv.sh arrays-zarr3 arrays-zarr2 >&2

# 512x512x256 voxels scaled by BENCH_SCALE (each axis by its cube root),
# each axis a whole number of blocks, at least one.
shape=$(awk -v s="$scale" -v b="$block" 'BEGIN {
  f = exp(log(s) / 3); n = split("512 512 256", full, " ")
  for (i = 1; i <= n; i++) { k = int(full[i] * f / b + 0.5); if (k < 1) k = 1; out = out (i > 1 ? "," : "") k * b }
  print out }')

mkdir -p .cache/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=.cache/bench/arrays-$stamp.jsonl
work=.cache/bench/arrays-work-$stamp
trap 'rm -rf "$work"' EXIT
"$py3" "$py_bench" generate --data "$work/data" --shape "$shape"

read -r load1 load5 load15 _ </proc/loadavg
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
printf '{"meta": true, "timestamp": "%s", "scale": %s, "shape": [%s], "block": %s, "repeats": %s, "cpu": "%s", "cores": %s, "node": "%s", "loadavg": [%s, %s, %s], "filesystem": "%s"}\n' \
  "$stamp" "$scale" "$shape" "$block" "$repeats" "${cpu//\"/}" "$(nproc)" "$(node --version)" "$load1" "$load5" "$load15" \
  "$(df --output=fstype "$work" | tail -n1)" >"$out"
if awk -v l="$load1" 'BEGIN { exit !(l > 0.7) }'; then
  echo "run.sh: warning: load average is $load1 on $(nproc) cores; other jobs will skew the numbers" >&2
fi

failures=0
# run_one LABEL COMMAND...: keeps the JSON lines the command prints; a crash
# becomes a failed record so that the table says so.
run_one() {
  local label=$1 rc=0 err lines
  shift
  err=$(mktemp)
  lines=$(mktemp)
  printf '  %-16s ' "$label" >&2
  "$@" --data "$work/data" --work "$work" --block "$block" --repeats "$repeats" >"$lines" 2>"$err" || rc=$?
  grep '^{' "$lines" >>"$out" || true
  if [ "$rc" != 0 ]; then
    failures=$((failures + 1))
    echo "FAILED (exit status $rc)" >&2
    sed 's/^/    /' "$err" >&2
    local detail
    detail=$(tail -c 400 "$err" | tr '\n\t' '  ' | tr -d '\000-\037"' | tr "\\\\" /)
    printf '{"impl": "%s", "format": "-", "compressor": "-", "dtype": "-", "op": "-", "ok": false, "errors": ["exit status %s: %s"]}\n' \
      "$label" "$rc" "$detail" >>"$out"
  else
    echo ok >&2
  fi
  rm -f "$err" "$lines"
}

# The formats a peer supports, among those asked for.
supported() {
  local list=() f
  for f in ${formats//,/ }; do [[ ,$1, == *,$f,* ]] && list+=("$f"); done
  local IFS=,
  echo "${list[*]}"
}

echo "arrays benchmark (BENCH_SCALE=$scale: $shape voxels, blocks of $block^3), raw results: $out" >&2
for impl in $impls; do
  case $impl in
    daisychain) run_one daisychain node "$ts_bench" --formats "$formats" ;;
    zarr3) [ -z "$(supported zarr2,zarr3)" ] || run_one "zarr-python 3" "$py3" "$py_bench" run --formats "$(supported zarr2,zarr3)" ;;
    zarr2) [ -z "$(supported zarr2,n5)" ] || run_one "zarr-python 2" "$py2" "$py_bench" run --formats "$(supported zarr2,n5)" ;;
    *) echo "run.sh: unknown implementation $impl (daisychain, zarr3, zarr2)" >&2; exit 2 ;;
  esac
done
"$py3" bench/arrays/format_table.py "$out" || failures=$((failures + 1))
echo "raw results: $out"
[ "$failures" -eq 0 ]
