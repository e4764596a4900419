#!/usr/bin/env bash
# Creates .cache/venv-client: the Python client installed as a user would
# (`pip install ./clients/python`) plus pytest, pinned by requirements-test.txt.
# Reinstalls the client every time (it is small), the rest only when the
# requirements change.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=$root/.cache/venv-client
req=$root/clients/python/requirements-test.txt
marker=$venv/.requirements.sha256
hash=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -f "$marker" ] || [ "$(cat "$marker")" != "$hash" ] || ! "$venv/bin/python" -c 'import pytest' 2>/dev/null; then
  rm -rf "$venv"
  mkdir -p "$root/.cache"
  "${PYTHON:-python3}" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$req"
  echo "$hash" >"$marker"
fi
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check --no-deps --force-reinstall "$root/clients/python"
