#!/usr/bin/env bash
# The durable server's soak: 10^5 blocks, 4 pool workers, the server
# SIGKILLed 3 times at random moments and restarted on the same address and
# state directory (`serve FILE --state-dir`). Prints one JSON line; fails
# when the run fails or loses a block.
# Environment: BLOCKS, WORKERS, KILLS, BLOCK_DELAY_MS, SEED (bench/server-restarts/server-restarts.ts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
npx tsc -p tsconfig.json
node dist/bench/server-restarts/server-restarts.js
