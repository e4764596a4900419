#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs of proto/ into
# clients/python/src/daisychain/v1 (or into OUT_DIR/daisychain/v1 when an
# output directory is given), with grpcio-tools from the locked virtualenv
# .cache/venv-codegen (clients/python/env). Part of `npm run generate`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$root/clients/python/src}
venv=$root/.cache/venv-codegen
bash "$root/clients/python/env/make-venv.sh" codegen
mkdir -p "$out/daisychain/v1"
rm -f "$out"/daisychain/v1/*_pb2*.py "$out"/daisychain/v1/*_pb2*.pyi
cd "$root/proto"
"$venv/bin/python" -m grpc_tools.protoc -I. --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" daisychain/v1/*.proto
touch "$out/daisychain/v1/__init__.py"
