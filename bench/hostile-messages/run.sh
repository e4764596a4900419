#!/usr/bin/env bash
# Hostile messages: 14 Releases of 650,000 block ids the stream does not hold
# (3.9 MB each, finding 1) against a `daisychain serve` process; prints one
# JSON line of figures (the server's peak RSS, the largest round trip of an
# honest worker meanwhile, whether the server still serves) and a summary.
# Exits non-zero when the server stops serving.
# Environment: SERVER_ROOT (a built daisychain checkout whose server to
# measure; default this one), MESSAGES, IDS, MAX_SECONDS
# (bench/hostile-messages/hostile-messages.ts).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
npx tsc -p tsconfig.json
node dist/bench/hostile-messages/hostile-messages.js
