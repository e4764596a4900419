#!/usr/bin/env bash
# Creates .cache/venv-client: the Python client installed as a user would
# (`pip install ./clients/python`) plus pytest, pinned by requirements-test.txt.
# Reinstalls the client every time (it is small), the rest only when the
# requirements change.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=$root/.cache/venv-client
bash "$root/clients/python/ensure-venv.sh" "$venv" "$root/clients/python/requirements-test.txt" pytest
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check --no-deps --force-reinstall "$root/clients/python"
