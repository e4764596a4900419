#!/usr/bin/env bash
# End-to-end benchmark: no-op blocks per second through run_blockwise with
# 1, 2, 4 and 8 worker processes, daisychain (TS workers) side by side with
# daisy 2.0.0 and daisy 1.2.3 in one run; prints a table with ratios.
# Run it with `npm run bench:e2e` (which builds dist/ first).
#
# Environment: WORKERS (default "1 2 4 8"), BLOCKS (daisychain and daisy
# 2.0.0, default 50000), DAISY1_BLOCKS (default 200: daisy 1.2.3 manages
# ~25 blocks/s per worker, see bench/README.md), PREFETCH (daisychain
# workers, default 32), REPEATS (default 1). Each daisychain row runs twice:
# plaintext on loopback, and over TLS with tokens (what a server beyond
# loopback must use). The Python workers also run with prefetch 1 (daisy's
# default: one round trip per block, as daisy 2.0.0's workers do).
#
# TRACKING (default "off on"): done markers off on every side (daisy 2.0.0's
# default: it tracks only under set_tracking_basedir), then on on every side
# (daisychain's default); one table per mode, each against daisy 2.0.0 doing
# the same. daisy 1.2.3 keeps no markers and runs only with "off".
#
# ROWS chooses the rows (default "ts python driver tls daisy2 daisy1"; "python"
# is both Python rows, prefetch PREFETCH and prefetch 1; "driver" is daisy's
# driver script run with `import daisychain as daisy`; "normal", not in the
# default, is the prefetch-1 Python row again with the pool's workers under
# the default policy, DAISYCHAIN_WORKER_SCHEDULING=normal, instead of
# SCHED_BATCH). BEFORE_PYTHON=PY adds
# the two Python rows again with the workers run by PY, labelled "before"
# (a venv with another build of the client, e.g. from a worktree of an older
# commit: `bash clients/python/env/make-venv.sh client` there), to compare two
# clients side by side in one run against the same server.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
workers=${WORKERS:-1 2 4 8}
blocks=${BLOCKS:-50000}
daisy1_blocks=${DAISY1_BLOCKS:-200}
prefetch=${PREFETCH:-32}
repeats=${REPEATS:-1}
tracking_modes=${TRACKING:-off on}
rows=" ${ROWS:-ts python driver tls daisy2 daisy1} "
before_python=${BEFORE_PYTHON:-}
want() { [[ $rows == *" $1 "* ]]; }

venvs="client"
want daisy1 && venvs="$venvs daisy1"
want daisy2 && venvs="$venvs daisy2"
# shellcheck disable=SC2086 # one word per venv
bash clients/python/env/make-venv.sh $venvs >&2
mkdir -p .cache/bench
out=.cache/bench/e2e-$(date -u +%Y%m%dT%H%M%SZ).jsonl
printf '{"meta": true, "cores": %s, "node": "%s", "loadavg_at_start": "%s", "blocks": %s, "daisy1_blocks": %s, "prefetch": %s}\n' \
  "$(nproc)" "$(node --version)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$blocks" "$daisy1_blocks" "$prefetch" >"$out"
failures=0
run() {
  local label=$1
  shift
  printf '  %-26s ' "$label" >&2
  if "$@" >>"$out" 2>"$out.err"; then echo ok >&2; else
    failures=$((failures + 1))
    echo "FAILED" >&2
    sed 's/^/    /' "$out.err" >&2
  fi
}
for ((r = 0; r < repeats; r++)); do
  for mode in $tracking_modes; do
    echo "done markers $mode:" >&2
    for w in $workers; do
      bench=(node dist/bench/e2e/e2e-bench.js --workers "$w" --blocks "$blocks" --tracking "$mode")
      py=.cache/venv-client/bin/python
      if want ts; then
        run "daisychain, $w workers" "${bench[@]}" --prefetch "$prefetch"
      fi
      if want python; then
        run "  (Python), $w workers" "${bench[@]}" --prefetch "$prefetch" --python "$py" --impl "daisychain (Python workers)"
        run "  (Python, prefetch 1)" "${bench[@]}" --prefetch 1 --python "$py" --impl "daisychain (Python workers, prefetch 1)"
        if [ -n "$before_python" ]; then
          run "  (Python before)" "${bench[@]}" --prefetch "$prefetch" --python "$before_python" --impl "daisychain (Python workers, before)"
          run "  (Python before, prefetch 1)" "${bench[@]}" --prefetch 1 --python "$before_python" --impl "daisychain (Python workers, before, prefetch 1)"
        fi
      fi
      if want normal; then
        run "  (Python, p1, SCHED_OTHER)" env DAISYCHAIN_WORKER_SCHEDULING=normal "${bench[@]}" --prefetch 1 --python "$py" --impl "daisychain (Python workers, prefetch 1, SCHED_OTHER)"
      fi
      if want tls; then
        run "daisychain TLS+token, $w workers" "${bench[@]}" --prefetch "$prefetch" --secure 1
        run "  (Python), $w workers" "${bench[@]}" --prefetch "$prefetch" --secure 1 --python "$py"
      fi
      if want driver; then
        # The same driver script as daisy's rows, with `import daisychain as daisy`: run_blockwise from Python,
        # its server started by the package, the no-op block function in Python worker processes.
        run "daisychain Python driver" env DAISY_E2E_LIBRARY=daisychain "$py" bench/e2e/daisy_e2e_bench.py --workers "$w" --blocks "$blocks" --budget 300 --tracking "$mode" --impl "daisychain (Python driver)"
      fi
      if want daisy2; then
        run "daisy 2.0.0, $w workers" .cache/venv-daisy2/bin/python bench/e2e/daisy_e2e_bench.py --workers "$w" --blocks "$blocks" --budget 300 --tracking "$mode"
      fi
      if want daisy1 && [ "$mode" = off ]; then  # daisy 1.2.3 keeps no done markers
        run "daisy 1.2.3, $w workers" .cache/venv-daisy1/bin/python bench/e2e/daisy_e2e_bench.py --workers "$w" --blocks "$daisy1_blocks" --budget 300
      fi
    done
  done
done
rm -f "$out.err"
.cache/venv-client/bin/python bench/e2e/format_table.py "$out"
echo "raw results: $out"
[ "$failures" -eq 0 ]
