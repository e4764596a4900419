#!/usr/bin/env bash
# Generates the Python messages and gRPC stubs of proto/ into
# clients/python/src/daisychain/v1 (or into OUT_DIR/daisychain/v1 when an
# output directory is given), with grpcio-tools from a pinned virtualenv in
# .cache/venv-codegen. Part of `npm run generate`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${1:-$root/clients/python/src}
venv=$root/.cache/venv-codegen
req=$root/clients/python/requirements-codegen.txt
marker=$venv/.requirements.sha256
hash=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -f "$marker" ] || [ "$(cat "$marker")" != "$hash" ] || ! "$venv/bin/python" -c 'import grpc_tools' 2>/dev/null; then
  rm -rf "$venv"
  mkdir -p "$root/.cache"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$req"
  echo "$hash" >"$marker"
fi
mkdir -p "$out/daisychain/v1"
rm -f "$out"/daisychain/v1/*_pb2*.py "$out"/daisychain/v1/*_pb2*.pyi
cd "$root/proto"
"$venv/bin/python" -m grpc_tools.protoc -I. --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" daisychain/v1/*.proto
touch "$out/daisychain/v1/__init__.py"
