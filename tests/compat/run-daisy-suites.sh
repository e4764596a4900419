#!/usr/bin/env bash
# run-daisy-suites.sh [BRANCH...] [-- PYTEST_ARGS...]
# Runs daisy's own test files (branches master = daisy 1.x and v2.0 = daisy
# 2.0 by default) against daisychain: exports each branch's tests/ and
# examples/ into a temporary directory, rewrites `import daisy` (and
# `daisy.v2`, `daisy.v1_compat`, `daisy.logging`) to daisychain, runs pytest
# once per test file from the branch's root and prints a table of collected /
# passed / failed / skipped per file. Not part of the test command: see
# README.md beside this script.
#
# Environment:
#   DAISY_REPO    git directory or URL of funkelab/daisy
#                 (default: /work/.mirror/funkelab+daisy/repo, else GitHub)
#   PYTHON        interpreter with daisychain and pytest installed
#                 (default: .cache/venv-client/bin/python of this tree)
#   OUT           where the exported suites, logs and JUnit files go
#                 (default: a new temporary directory, kept and printed)
#   TEST_TIMEOUT  seconds per test (pytest-timeout, installed on the side into
#                 $OUT/plugins when missing; default 120)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-$root/.cache/venv-client/bin/python}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/daisy-suites.XXXXXX")}
mkdir -p "$OUT"

branches=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do branches+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#branches[@]} -eq 0 ] && branches=(master v2.0)

repo=${DAISY_REPO:-/work/.mirror/funkelab+daisy/repo}
if ! git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  url=${DAISY_REPO:-https://github.com/funkelab/daisy.git}
  echo "run-daisy-suites: no daisy git directory at $repo; cloning $url" >&2
  git clone --quiet --bare "$url" "$OUT/daisy.git"
  repo=$OUT/daisy.git
fi

# pytest-timeout (daisy's tests mark timeouts) and filelock (some tests import
# it), beside daisychain rather than in the project's locks.
plugins=$OUT/plugins
if ! "$PYTHON" -c "import pytest_timeout, filelock" 2>/dev/null; then
  if [ ! -e "$plugins/pytest_timeout.py" ]; then
    uv=$(command -v uv || echo "$root/.cache/venv-uv/bin/uv")
    "$uv" pip install --quiet --python "$PYTHON" --target "$plugins" --no-deps pytest-timeout filelock
  fi
  export PYTHONPATH=$plugins${PYTHONPATH:+:$PYTHONPATH}
fi

# The import change a user makes, and nothing else.
rewrite() {
  sed -i -E \
    -e 's/^([[:space:]]*)import daisy(\.v2|\.v1_compat)? as /\1import daisychain as /' \
    -e 's/^([[:space:]]*)import daisy([[:space:]]*(#.*)?)$/\1import daisychain as daisy\2/' \
    -e 's/^([[:space:]]*)import daisy\.logging as /\1import daisychain.logging as /' \
    -e 's/^([[:space:]]*)from daisy(\.v2|\.v1_compat)? import /\1from daisychain import /' \
    -e 's/^([[:space:]]*)from daisy\.([a-z_.]+) import /\1from daisychain.\2 import /' \
    "$@"
}

row() {
  "$PYTHON" - "$@" >>"$OUT/table.txt" <<'PY'
import sys
import xml.etree.ElementTree as ET

path, branch, file = sys.argv[1:4]
try:
    suite = ET.parse(path).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    tests, errors, failures, skipped = (int(suite.get(k, 0)) for k in ("tests", "errors", "failures", "skipped"))
except (OSError, ET.ParseError):
    tests = errors = failures = skipped = -1
failed = errors + failures
passed = tests - failed - skipped if tests >= 0 else -1
print(f"{branch:7s} {file:44s} {tests:9d} {passed:6d} {failed:6d} {skipped:7d}")
PY
}

printf '%-7s %-44s %9s %6s %6s %7s\n' branch file collected passed failed skipped >"$OUT/table.txt"
for branch in "${branches[@]}"; do
  dir=$OUT/$branch
  rm -rf "$dir" && mkdir -p "$dir"
  git -C "$repo" archive "$branch" tests examples | tar -x -C "$dir"
  find "$dir" -name '*.py' -print0 | while IFS= read -r -d '' f; do rewrite "$f"; done
  mkdir -p "$dir/.results"
  (cd "$dir" && find tests -name 'test_*.py' | sort) | while read -r file; do
    name=${file//\//_}
    (cd "$dir" && timeout 1800 "$PYTHON" -m pytest -p no:cacheprovider -q -rA \
      --timeout "$TEST_TIMEOUT" --junitxml ".results/$name.xml" "$file" "$@" \
      >".results/$name.log" 2>&1 </dev/null) || true
    row "$dir/.results/$name.xml" "$branch" "$file"
    # A file that imports daisy internals daisychain has not (daisy.tcp,
    # daisy.messages, ...) fails whole at collection; run it again with those
    # imports made lenient (the names become None) so that its other tests say
    # something too. Marked "(lenient)" in the table.
    if grep -q "ERROR collecting" "$dir/.results/$name.log"; then
      lenient=${file%.py}_lenient.py
      (cd "$dir" && "$PYTHON" - "$file" >"$lenient" <<'PY'
import re
import sys

pattern = re.compile(r"^(\s*)(?:from (daisychain(?:\.\w+)*) import (.+)|import (daisychain\.\w+)(?: as (\w+))?)\s*$")
for line in open(sys.argv[1]):
    match = pattern.match(line)
    if not match or match.group(4) == "daisychain.logging":
        sys.stdout.write(line)
        continue
    indent, module = match.group(1), match.group(2)
    if module is None:
        imports = [(f"import {match.group(4)}" + (f" as {match.group(5)}" if match.group(5) else ""),
                    match.group(5) or "daisychain")]
    else:
        names = [n.strip() for n in match.group(3).strip("()").split(",") if n.strip()]
        imports = [(f"from {module} import {n}", n.split(" as ")[-1]) for n in names]
    for statement, bound in imports:
        sys.stdout.write(f"{indent}try:\n{indent}    {statement}\n{indent}except ImportError:\n{indent}    {bound} = None\n")
PY
      )
      (cd "$dir" && timeout 1800 "$PYTHON" -m pytest -p no:cacheprovider -q -rA \
        --timeout "$TEST_TIMEOUT" --junitxml ".results/$name.lenient.xml" "$lenient" "$@" \
        >".results/$name.lenient.log" 2>&1 </dev/null) || true
      row "$dir/.results/$name.lenient.xml" "$branch" "$file (lenient)"
    fi
  done
done
cat "$OUT/table.txt"
echo "logs: $OUT/<branch>/.results/"
