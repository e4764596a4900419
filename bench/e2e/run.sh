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
# loopback must use).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
workers=${WORKERS:-1 2 4 8}
blocks=${BLOCKS:-50000}
daisy1_blocks=${DAISY1_BLOCKS:-200}
prefetch=${PREFETCH:-32}
repeats=${REPEATS:-1}

bash clients/python/env/make-venv.sh daisy1 daisy2 client >&2
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
  for w in $workers; do
    run "daisychain, $w workers" node dist/bench/e2e/e2e-bench.js --workers "$w" --blocks "$blocks" --prefetch "$prefetch"
    run "daisychain (Python), $w workers" node dist/bench/e2e/e2e-bench.js --workers "$w" --blocks "$blocks" --prefetch "$prefetch" --python .cache/venv-client/bin/python
    run "daisychain TLS+token, $w workers" node dist/bench/e2e/e2e-bench.js --workers "$w" --blocks "$blocks" --prefetch "$prefetch" --secure 1
    run "  (Python), $w workers" node dist/bench/e2e/e2e-bench.js --workers "$w" --blocks "$blocks" --prefetch "$prefetch" --secure 1 --python .cache/venv-client/bin/python
    run "daisy 2.0.0, $w workers" .cache/venv-daisy2/bin/python bench/e2e/daisy_e2e_bench.py --workers "$w" --blocks "$blocks" --budget 300
    run "daisy 1.2.3, $w workers" .cache/venv-daisy1/bin/python bench/e2e/daisy_e2e_bench.py --workers "$w" --blocks "$daisy1_blocks" --budget 300
  done
done
rm -f "$out.err"
.cache/venv-daisy1/bin/python bench/e2e/format_table.py "$out"
echo "raw results: $out"
[ "$failures" -eq 0 ]
