#!/usr/bin/env bash
# Creates (or updates) the virtualenv .cache/venv-daisy1 of the daisy 1.2.3
# test oracle from tests/oracle/requirements-daisy1.txt. Idempotent: when the
# marker inside the venv holds the sha256 of the requirements file and the venv
# imports daisy 1.2.3, nothing is done. PYTHON selects the interpreter used to
# create the venv (default python3).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
venv="$root/.cache/venv-daisy1"
req="$here/requirements-daisy1.txt"
marker="$venv/.oracle-requirements.sha256"
python=${PYTHON:-python3}

hash=$(sha256sum "$req" | cut -d' ' -f1)
daisy_ok() {
  "$venv/bin/python" -c 'import importlib.metadata as m, sys; import daisy; sys.exit(m.version("daisy") != "1.2.3")' \
    >/dev/null 2>&1
}

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$hash" ] && [ -x "$venv/bin/python" ] && daisy_ok; then
  echo "oracle venv: .cache/venv-daisy1 is up to date"
  exit 0
fi

action="updated"
if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  mkdir -p "$root/.cache"
  "$python" -m venv "$venv"
  action="created"
fi
"$venv/bin/python" -m pip install --quiet --no-input --disable-pip-version-check -r "$req"
if ! daisy_ok; then
  echo "oracle venv: .cache/venv-daisy1 does not import daisy 1.2.3" >&2
  exit 1
fi
echo "$hash" >"$marker"
echo "oracle venv: $action .cache/venv-daisy1 from tests/oracle/requirements-daisy1.txt"
