#!/usr/bin/env bash
# Sets up everything the tests need (Node packages, the Python virtualenvs of
# the daisy oracle, the client, the array round trips and the graph checks,
# FerretDB for the graph tests) and runs all tests: TypeScript, then Python.
# DAISYCHAIN_MONGO_URL set by the caller (a real mongod) replaces the
# FerretDB this starts.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
# Every Python virtualenv but the optional Python 3.10 one (a no-op when
# their locks are unchanged; clients/python/env/README.md).
bash clients/python/env/make-venv.sh daisy1 daisy2 client graphs arrays-zarr2 arrays-zarr3 codegen
# FerretDB (built once into ~/.cache/daisychain, ~80 s cold) on a free
# loopback port, stopped when this script exits; exports DAISYCHAIN_MONGO_URL.
source tests/spatial-graphs/ferretdb.sh
start_ferretdb
# grpcurl (built once into ~/.cache/daisychain, ~65 s cold) for the test of
# health and reflection with a generic client (tests/server/grpcurl.test.ts).
DAISYCHAIN_GRPCURL=$(bash tests/server/setup-grpcurl.sh)
export DAISYCHAIN_GRPCURL

echo "== Protocol: buf lint, buf breaking against the previous commit, generated code up to date"
npx --no-install buf lint
if git rev-parse -q --verify HEAD~1 >/dev/null && [ -n "$(git ls-tree HEAD~1 proto buf.yaml 2>/dev/null)" ]; then
  if git grep -q '^option go_package' HEAD~1 -- proto; then
    npx --no-install buf breaking --against '.git#ref=HEAD~1'
  else
    # The language options (go_package, java_*, csharp_namespace) were first
    # set after that commit, and buf counts "unset -> set" as a break: it is
    # one for code generated in those languages, and none had been. Against a
    # baseline without them, buf.yaml's rules less those five; against any
    # later one, every rule.
    npx --no-install buf breaking --against '.git#ref=HEAD~1' --config '{"version": "v2", "modules": [{"path": "proto"}],
      "breaking": {"use": ["FILE"], "except": ["FILE_SAME_CSHARP_NAMESPACE", "FILE_SAME_GO_PACKAGE",
      "FILE_SAME_JAVA_MULTIPLE_FILES", "FILE_SAME_JAVA_OUTER_CLASSNAME", "FILE_SAME_JAVA_PACKAGE"]}}'
  fi
fi
generated=$(mktemp -d)
npx --no-install buf generate -o "$generated"
if ! diff -r "$generated/src/gen" src/gen >/dev/null; then
  echo "src/gen is stale: run \`npm run generate\` and commit the result" >&2
  diff -r "$generated/src/gen" src/gen | head -20 >&2
  exit 1
fi
bash clients/python/generate.sh "$generated/python"
if ! diff -r "$generated/python/daisychain/v1" clients/python/src/daisychain/v1 >/dev/null; then
  echo "clients/python/src/daisychain/v1 is stale: run \`npm run generate\` and commit the result" >&2
  diff -r "$generated/python/daisychain/v1" clients/python/src/daisychain/v1 | head -20 >&2
  exit 1
fi
rm -rf "$generated"

echo "== Layers: src/ imports follow the layer order in .dependency-cruiser.cjs, no cycles"
npm run --silent lint:layers

echo "== TypeScript tests"
npm run --silent build
node --test --test-reporter=spec dist/tests/

echo "== Python lint (ruff)"
.cache/venv-daisy1/bin/ruff check .
.cache/venv-daisy1/bin/ruff format --check .

echo "== Python tests: the daisy oracle, then the Python client against the real server"
PYTHONHASHSEED=0 .cache/venv-daisy1/bin/python -m pytest -q tests/oracle
.cache/venv-client/bin/python -m pytest -q clients/python/tests
# Again on Python 3.10, the oldest the client supports, where one is installed
# (a pyenv version, python3.10 on PATH, or PYTHON310=/path/to/python3.10);
# make-venv.sh exits 3 when there is none.
py310=0
bash clients/python/env/make-venv.sh client-py310 || py310=$?
case $py310 in
  0) .cache/venv-client-py310/bin/python -m pytest -q -p no:cacheprovider clients/python/tests ;;
  3) echo "no Python 3.10 interpreter found: the Python client was tested on $(python3 --version) only" >&2 ;;
  *) exit "$py310" ;;
esac

echo "== Python tests: arrays written by daisychain read by zarr-python 2 and 3, funlib.persistence and h5py, and back"
# Each file needs its own zarr-python major version, hence two runs.
.cache/venv-arrays-zarr2/bin/python -m pytest -q -p no:cacheprovider -W ignore::FutureWarning tests/arrays/test_zarr2_n5_hdf5.py
.cache/venv-arrays-zarr3/bin/python -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning tests/arrays/test_zarr3.py

echo "== Python tests: daisy's graph provider (funlib.persistence) and sqlite3 read what daisychain wrote"
.cache/venv-graphs/bin/python -m pytest -q tests/spatial-graphs
