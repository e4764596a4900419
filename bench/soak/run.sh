#!/usr/bin/env bash
# Soak: a 20,000-block run whose workers are SIGKILLed one at a time every
# 2 s, with the default maxWorkerRestarts (10); prints one JSON line of
# figures and fails when the run fails, is abandoned or loses a block.
# Environment: BLOCKS, WORKERS, BLOCK_DELAY_MS, KILL_EVERY_MS (bench/soak/soak.ts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
npx tsc -p tsconfig.json
node dist/bench/soak/soak.js
