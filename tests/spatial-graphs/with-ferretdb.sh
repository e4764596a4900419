#!/usr/bin/env bash
# with-ferretdb.sh CMD...: runs CMD with DAISYCHAIN_MONGO_URL pointing at a
# FerretDB started for it (or at the caller's own server, if already set).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/ferretdb.sh"
start_ferretdb
"$@"
