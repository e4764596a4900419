#!/usr/bin/env bash
# Creates .cache/venv-client: the Python client installed as a user would
# (`pip install ./clients/python`) plus pytest and zarr-python, pinned by
# requirements-venv.txt. The client's tests and the Python workers of the
# main job run in it. Reinstalls the client every time (it is small), the
# rest only when the requirements change.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=$root/.cache/venv-client
bash "$root/clients/python/ensure-venv.sh" "$venv" "$root/clients/python/requirements-venv.txt" zarr
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check --no-deps --force-reinstall "$root/clients/python"
