#!/usr/bin/env bash
# Which of the graph provider's query shapes the MongoDB-wire server answers
# from an index (bench/spatial-graphs/server-queries.ts): on the FerretDB the tests
# use, or on the server at DAISYCHAIN_MONGO_URL.
# `npm run bench:server-queries -- [DOCUMENTS]` (default 100000).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
source tests/spatial-graphs/ferretdb.sh
start_ferretdb
node dist/bench/spatial-graphs/server-queries.js "$@"
