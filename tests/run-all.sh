#!/usr/bin/env bash
# Sets up everything the tests need (Node packages, the Python virtualenv with
# the daisy oracle) and runs all tests: TypeScript, then Python.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash tests/oracle/setup.sh

echo "== TypeScript tests"
npm run --silent build
node --test --test-reporter=spec dist/tests/

echo "== Python lint (ruff)"
.cache/venv-daisy1/bin/ruff check .
.cache/venv-daisy1/bin/ruff format --check .

echo "== Python tests"
PYTHONHASHSEED=0 .cache/venv-daisy1/bin/python -m pytest -q tests/oracle
