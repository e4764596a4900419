#!/usr/bin/env bash
# Graph provider benchmark: nodes/s and edges/s written block by block and
# read by ROI, FerretDB (MongoDbGraphProvider) and the embedded SQLite
# provider in one run. `npm run bench:graphs -- [NODES] [WRITE_BLOCKS_PER_AXIS] [READ_ROIS_PER_AXIS]`
# (default 1000000 8 2). DAISYCHAIN_MONGO_URL set: that server instead of FerretDB.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
bash clients/python/env/make-venv.sh daisy1 >&2
if [ -z "${DAISYCHAIN_MONGO_URL:-}" ]; then export MONGO_LABEL="FerretDB 1.24.2"; fi
source tests/spatial-graphs/ferretdb.sh
start_ferretdb
mkdir -p .cache/bench
out=.cache/bench/graphs-$(date -u +%Y%m%dT%H%M%SZ).jsonl
node dist/bench/spatial-graphs/graph-bench.js "$@" | tee "$out" >&2
.cache/venv-daisy1/bin/python bench/spatial-graphs/format_table.py "$out"
