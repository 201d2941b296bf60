# Shared by bench/run.sh and bench/profile.sh (sourced). Starts/stops one Nucleon server in its own
# process group (setsid) and creates/drops the PostgreSQL database of a run. Everything on 127.0.0.1.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
PG_URL_BASE="${PG_URL_BASE:-postgresql://postgres@127.0.0.1:5432}"
PSQL=(psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# build_dist SRC OUT: compiles SRC with tsc into OUT (for --runtime dist); prints the server entry point.
build_dist() {
  local src="$1" out="$2"
  rm -rf "$out"; mkdir -p "$out"
  # emits even when (concurrently edited) tests fail to type-check; the entry point must exist
  "$src/node_modules/.bin/tsc" -p "$src" --outDir "$out" --sourceMap true >"$out.tsc.log" 2>&1 || log "tsc reported errors (see $out.tsc.log); using its output"
  ln -s "$(readlink -f "$src/node_modules")" "$out/node_modules"
  cp "$src/package.json" "$out/package.json"   # "type": "module"
  [[ -f "$out/src/cli/nucleon-server.js" ]] || die "tsc produced no $out/src/cli/nucleon-server.js"
}

# start_nucleon NAME CONNECTION [NODE_OPTS...]   (CONNECTION empty: SQLite under the state dir)
# Uses: SRC, WORK, PORT, API_WORKERS, RUNTIME (tsx|dist), DIST. Sets NUCLEON_PGID.
start_nucleon() {
  local name="$1" conn="$2"; shift 2
  local state="$WORK/state-${STATE_NAME:-$name}" logf="$WORK/$name.log" pidf="$WORK/$name.pgid"
  mkdir -p "$state"
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/"; then die "port $PORT is already in use"; fi
  # the V8 flags nucleon-server's own shebang (and `npm start`) run it with
  local flags; read -ra flags <<< "$(sed -n '1s|^#!/usr/bin/env -S node||p' "$SRC/src/cli/nucleon-server.ts")"
  local entry=("${flags[@]}" --import tsx src/cli/nucleon-server.ts) dir="$SRC"
  if [[ "$RUNTIME" == dist ]]; then entry=("${flags[@]}" src/cli/nucleon-server.js); dir="$DIST"; fi
  # bash -c's $$ is the session (and process-group) leader whether or not setsid had to fork
  (cd "$dir" && NUCLEON_DEFAULT__BIND_PORT="$PORT" NUCLEON_DEFAULT__BIND_HOST=127.0.0.1 \
     NUCLEON_DEFAULT__STATE_PATH="$state" NUCLEON_DATABASE__CONNECTION="$conn" \
     NUCLEON_DEFAULT__API_WORKERS="$API_WORKERS" NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS=false \
     setsid bash -c 'echo $$ > "$0"; exec node "$@"' "$pidf" "$@" "${entry[@]}" >"$logf" 2>&1 < /dev/null &)
  local i
  for i in $(seq 1 300); do
    [[ -s "$pidf" ]] && curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:$PORT/v2.0/networks" 2>/dev/null | grep -q 200 && break
    sleep 0.2
  done
  NUCLEON_PGID="$(cat "$pidf" 2>/dev/null)"
  [[ -n "$NUCLEON_PGID" ]] && kill -0 -- "-$NUCLEON_PGID" 2>/dev/null || { tail -20 "$logf" >&2; die "nucleon ($name) did not start"; }
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/v2.0/networks" || { tail -20 "$logf" >&2; stop_nucleon; die "nucleon ($name) not answering"; }
  log "nucleon $name up on 127.0.0.1:$PORT (pgid $NUCLEON_PGID, runtime $RUNTIME, api_workers $API_WORKERS, log $logf)"
}

# stop_nucleon: SIGTERM to the group (the server exits cleanly, which also writes --cpu-prof files), then SIGKILL.
stop_nucleon() {
  [[ -n "${NUCLEON_PGID:-}" ]] || return 0
  kill -TERM -- "-$NUCLEON_PGID" 2>/dev/null || true
  local i
  for i in $(seq 1 100); do kill -0 -- "-$NUCLEON_PGID" 2>/dev/null || break; sleep 0.2; done
  if kill -0 -- "-$NUCLEON_PGID" 2>/dev/null; then log "group $NUCLEON_PGID still alive: SIGKILL"; kill -KILL -- "-$NUCLEON_PGID" 2>/dev/null || true; fi
  NUCLEON_PGID=""
}

pg_create() { "${PSQL[@]}" -c "CREATE DATABASE \"$1\"" >/dev/null; }
pg_drop() { "${PSQL[@]}" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true; }
