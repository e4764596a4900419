#!/usr/bin/env bash
# ensure-venv.sh VENV REQUIREMENTS PROBE_MODULE
# Creates VENV from the pinned REQUIREMENTS file unless it is already built
# from that very file (a marker holds its sha256) and imports PROBE_MODULE.
# PYTHON selects the interpreter (default python3).
set -euo pipefail
venv=$1 req=$2 probe=$3
marker=$venv/.requirements.sha256
hash=$(sha256sum "$req" | cut -d' ' -f1)
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$hash" ] && "$venv/bin/python" -c "import $probe" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$req"
echo "$hash" >"$marker"
