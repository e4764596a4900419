# Sourced by the test and bench commands (bash). Defines start_ferretdb, which
# builds FerretDB if needed (setup-ferretdb.sh), starts it on a free loopback
# port with a fresh SQLite directory, waits until it accepts connections,
# exports DAISYCHAIN_MONGO_URL, and registers an EXIT trap that stops it and
# removes its data. A caller that already set DAISYCHAIN_MONGO_URL (a real
# mongod, say) keeps it and nothing is started.

start_ferretdb() {
  if [ -n "${DAISYCHAIN_MONGO_URL:-}" ]; then
    echo "ferretdb: using DAISYCHAIN_MONGO_URL=$DAISYCHAIN_MONGO_URL" >&2
    return 0
  fi
  local here bin port debug_port
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  bin=$(bash "$here/setup-ferretdb.sh")
  FERRETDB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/daisychain-ferretdb.XXXXXX")
  read -r port debug_port < <(free_ports 2)
  "$bin" --handler=sqlite --sqlite-url="file:$FERRETDB_DIR/data/" --state-dir="$FERRETDB_DIR" \
    --listen-addr="127.0.0.1:$port" --debug-addr="127.0.0.1:$debug_port" \
    --telemetry=disable --log-level=warn >"$FERRETDB_DIR/ferretdb.log" 2>&1 &
  FERRETDB_PID=$!
  trap stop_ferretdb EXIT
  mkdir -p "$FERRETDB_DIR/data"
  local i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      export DAISYCHAIN_MONGO_URL="mongodb://127.0.0.1:$port/"
      echo "ferretdb: listening on 127.0.0.1:$port (pid $FERRETDB_PID)" >&2
      return 0
    fi
    if ! kill -0 "$FERRETDB_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "ferretdb: did not start; its log:" >&2
  cat "$FERRETDB_DIR/ferretdb.log" >&2
  return 1
}

stop_ferretdb() {
  if [ -n "${FERRETDB_PID:-}" ]; then
    kill "$FERRETDB_PID" 2>/dev/null || true
    wait "$FERRETDB_PID" 2>/dev/null || true
    FERRETDB_PID=
  fi
  if [ -n "${FERRETDB_DIR:-}" ]; then rm -rf "$FERRETDB_DIR"; fi
}

# Prints N distinct free TCP ports on 127.0.0.1 (the kernel's choice).
free_ports() {
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer().listen(0, "127.0.0.1", next);
      servers.push(s);
    };
    next();' "$1"
}
