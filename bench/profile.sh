#!/bin/bash
# CPU profile of Nucleon on SQLite (node --cpu-prof) in two sessions on the same database:
#   create: N ports created by 8 concurrent clients (bench/scale.mjs), then a clean stop;
#   list:   the server restarted on that database, L x GET /v2.0/ports (all N ports), clean stop.
#   show:   restarted again, S x GET /v2.0/ports/{id} by 8 clients (one listing first for the ids).
#   sql:    (no profiler) 1,000 port creates and 1 listing with bench/sql-count.mjs preloaded: SQL
#           statements prepared per request.
# Writes bench/results/profile/{create,list}.cpuprofile, {create,list}.md (bench/cpuprofile-top.mjs)
# and sql-count.json. Default runtime dist (tsc output with source maps, so the profile shows .ts lines;
# under tsx every transformed module is one line).
# Usage: bench/profile.sh [--src DIR] [--runtime dist|tsx] [--port P] [--ports N (10000)] [--lists L (20)] [--shows S (40000)]
#        [--interval US (500)]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SRC="$REPO"; RUNTIME=dist; API_WORKERS=1; PORT=19882; NPORTS=10000; NLISTS=20; NSHOWS=40000; INTERVAL=500
while [[ $# -gt 0 ]]; do
  case "$1" in
    --src) SRC="$(cd "$2" && pwd)"; shift ;;
    --runtime) RUNTIME="$2"; shift ;;
    --port) PORT="$2"; shift ;;
    --ports) NPORTS="$2"; shift ;;
    --lists) NLISTS="$2"; shift ;;
    --shows) NSHOWS="$2"; shift ;;
    --interval) INTERVAL="$2"; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
OUT="$BENCH_DIR/results/profile"
WORK="${WORK:-${TMPDIR:-/tmp}/nucleon-profile-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT" "$WORK"
trap stop_nucleon EXIT
DIST=""
if [[ "$RUNTIME" == dist ]]; then DIST="$WORK/dist"; build_dist "$SRC" "$DIST"; fi
COMMIT="$(git -C "$SRC" rev-parse --short=12 HEAD)"

session() {  # NAME SCALE_ARGS...
  local name="$1"; shift
  rm -rf "$WORK/prof-$name"
  STATE_NAME=prof start_nucleon "prof-$name" "" --cpu-prof --cpu-prof-dir="$WORK/prof-$name" --cpu-prof-interval "$INTERVAL"
  ps -o rss= -p "$NUCLEON_PGID" | awk '{printf "[bench] server RSS after start: %.1f MiB\n", $1/1024}' >&2
  node "$BENCH_DIR/scale.mjs" --url "http://127.0.0.1:$PORT" --project-id profile --server-pgid "$NUCLEON_PGID" \
    --clients 8 --shows 0 --out "$OUT/$name-scale.json" "$@" >/dev/null || log "scale.mjs reported errors ($OUT/$name-scale.json)"
  stop_nucleon
  # the main thread's profile (thread id 0) is the largest file
  local f; f="$(ls -S "$WORK/prof-$name"/*.cpuprofile 2>/dev/null | head -1)"
  [[ -n "$f" ]] || die "no .cpuprofile written for $name (did the server exit cleanly?)"
  cp "$f" "$OUT/$name.cpuprofile"
  node "$BENCH_DIR/cpuprofile-top.mjs" "$OUT/$name.cpuprofile" --title "$name: Nucleon ${COMMIT} on SQLite, runtime $RUNTIME ($*)" > "$OUT/$name.md"
  log "profile $name -> $OUT/$name.md"
}
session create --ports "$NPORTS" --lists 0
session list --ports 0 --reuse-network --lists "$NLISTS"
session show --ports 0 --reuse-network --lists 1 --shows "$NSHOWS"

# SQL statements per request (fresh database, no profiler)
SQL_COUNT_FROM="$( [[ "$RUNTIME" == dist ]] && echo "$DIST" || echo "$SRC")/package.json" SQL_COUNT_OUT="$WORK/sql-create.json" \
  STATE_NAME=sql-create start_nucleon sql-create "" --import "$BENCH_DIR/sql-count.mjs"
node "$BENCH_DIR/scale.mjs" --url "http://127.0.0.1:$PORT" --project-id profile --ports 1000 --lists 0 --shows 0 >/dev/null
stop_nucleon
SQL_COUNT_FROM="$( [[ "$RUNTIME" == dist ]] && echo "$DIST" || echo "$SRC")/package.json" SQL_COUNT_OUT="$WORK/sql-list.json" \
  STATE_NAME=sql-create start_nucleon sql-list "" --import "$BENCH_DIR/sql-count.mjs"
node "$BENCH_DIR/scale.mjs" --url "http://127.0.0.1:$PORT" --project-id profile --ports 0 --reuse-network --lists 1 --shows 0 >/dev/null
stop_nucleon
node -e '
const [c, l] = process.argv.slice(1, 3).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
const out = { note: "better-sqlite3 prepare() calls; create: 1 network + 1 subnet + 1000 port creates (8 clients) on a fresh DB; list: 1 GET /v2.0/ports of those 1000 ports (server restarted); start-up migrations included in both", create: c, list: l };
require("fs").writeFileSync(process.argv[3], JSON.stringify(out, null, 1));
console.error("[bench] SQL statements: create session " + c.total + ", list session " + l.total);
' "$WORK/sql-create.json" "$WORK/sql-list.json" "$OUT/sql-count.json"
log "work dir $WORK"
