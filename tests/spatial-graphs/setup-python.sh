#!/usr/bin/env bash
# Creates .cache/venv-graphs from tests/spatial-graphs/requirements.txt (pinned);
# idempotent: kept while the requirements' sha256 is unchanged.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bash "$root/clients/python/ensure-venv.sh" "$root/.cache/venv-graphs" "$root/tests/spatial-graphs/requirements.txt" \
  funlib.persistence.graphs
