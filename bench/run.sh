#!/bin/bash
# Benchmark Nucleon (SQLite and PostgreSQL) against the reference neutron-server with the reference
# client ../shared/reference/bench.py, then security group rules and floating IPs (bench/api-ops.mjs, on the
# same server right after bench.py), plus a 10,000-port scale phase (bench/scale.mjs); writes
# bench/results/*.json and bench/RESULTS.md (bench/report.mjs).
#
# Usage: bench/run.sh [options]
#   --src DIR          Nucleon source tree to run (default: this repo). Run a snapshot when src/ is
#                      being edited: git worktree add /tmp/wt HEAD && ln -s $PWD/node_modules /tmp/wt/
#   --skip-reference   reuse bench/results/reference.json and ops-reference.json (the reference run takes
#                      5-10 minutes for bench.py plus ~4 minutes for api-ops.mjs)
#   --skip-sqlite / --skip-pg / --skip-scale   leave out a backend or the 10,000-port phase
#   --skip-ops         leave out bench/api-ops.mjs (SG rules, floating IPs) everywhere; the report keeps old JSON
#   --skip-datapath    leave out bench/convergence.ts and bench/l2-resync.ts (they need root and RabbitMQ)
#   --runtime tsx|dist dist (default): compiled JS, as `npm start` runs it; tsx: node --import tsx src/cli/nucleon-server.ts;
#                      dist: compile with tsc into the work dir and run the JS
#   --workers N        NUCLEON_DEFAULT__API_WORKERS (default 1)
#   --port P           Nucleon port (default 19881)          --scale-ports N   (default 10000)
#   --ref-url URL      reference endpoint (default http://127.0.0.1:19696)
#   --results DIR      where the JSON goes (default bench/results; the report then goes to DIR/RESULTS.md
#                      instead of bench/RESULTS.md). bench/results/runtime-dist/ (a --runtime dist run)
#                      is shown in bench/RESULTS.md as a runtime comparison when present.
#   --no-report        don't write the report
# Env: BENCH_PY (default REPO/../shared/reference/bench.py), PYTHON (/usr/bin/python3), WORK (temp dir).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SRC="$REPO"; SKIP_REF=0; SKIP_SQLITE=0; SKIP_PG=0; SKIP_SCALE=0; RUNTIME=dist; API_WORKERS=1; PORT=19881
SCALE_PORTS=10000; REF_URL=http://127.0.0.1:19696; REPORT=1; RES="$BENCH_DIR/results"; SKIP_OPS=0; SKIP_DATAPATH=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --src) SRC="$(cd "$2" && pwd)"; shift ;;
    --skip-reference) SKIP_REF=1 ;;
    --skip-sqlite) SKIP_SQLITE=1 ;;
    --skip-pg) SKIP_PG=1 ;;
    --skip-scale) SKIP_SCALE=1 ;;
    --skip-ops) SKIP_OPS=1 ;;
    --skip-datapath) SKIP_DATAPATH=1 ;;
    --runtime) RUNTIME="$2"; shift ;;
    --workers) API_WORKERS="$2"; shift ;;
    --port) PORT="$2"; shift ;;
    --scale-ports) SCALE_PORTS="$2"; shift ;;
    --ref-url) REF_URL="$2"; shift ;;
    --results) RES="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    --no-report) REPORT=0 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
[[ "$RUNTIME" == tsx || "$RUNTIME" == dist ]] || die "--runtime tsx|dist"
BENCH_PY="${BENCH_PY:-$REPO/../shared/reference/bench.py}"
PYTHON="${PYTHON:-/usr/bin/python3}"
STAMP="$(date +%Y%m%d-%H%M%S)"
WORK="${WORK:-${TMPDIR:-/tmp}/nucleon-bench-$STAMP}"
mkdir -p "$RES" "$WORK"
[[ -f "$BENCH_PY" ]] || die "no bench.py at $BENCH_PY"
[[ -f "$SRC/src/cli/nucleon-server.ts" ]] || die "$SRC is not a Nucleon source tree"
[[ -e "$SRC/node_modules" ]] || die "$SRC has no node_modules (symlink the repo's)"
PG_DBS=()
cleanup() { stop_nucleon; for d in "${PG_DBS[@]}"; do pg_drop "$d"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

COMMIT="$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)"
DIRTY="$(git -C "$SRC" status --porcelain -- src 2>/dev/null | head -c1 || true)"
log "source $SRC at ${COMMIT:0:12}${DIRTY:+ (+ uncommitted changes in src/)}; work dir $WORK"
DIST=""
if [[ "$RUNTIME" == dist ]]; then DIST="$WORK/dist"; build_dist "$SRC" "$DIST"; fi

run_bench_py() {  # OUT LABEL URL PGID [extra bench.py args]
  local out="$1" label="$2" url="$3" pgid="$4"; shift 4
  local rc=0
  # the client's own CPU time (it shares the machine's cores with the server) goes to OUT.cpu
  /usr/bin/time -f '{"client_user_s": %U, "client_sys_s": %S, "client_wall_s": %e}' -o "$out.cpu" \
    timeout 1500 "$PYTHON" "$BENCH_PY" "$url" --noauth --project-id "bench-$STAMP" --server-pgid "$pgid" \
    --label "$label" --out "$out" "$@" >/dev/null 2>"$out.stderr" || rc=$?
  [[ -s "$out.stderr" ]] || rm -f "$out.stderr"
  log "bench.py exit $rc -> $out"
}

run_api_ops() {  # OUT LABEL URL: security group rules + floating IPs (bench/api-ops.mjs); N/A phases are recorded, not fatal
  local out="$1" label="$2" url="$3" rc=0
  [[ "$SKIP_OPS" == 0 ]] || return 0
  timeout 1200 node "$BENCH_DIR/api-ops.mjs" --url "$url" --project-id "ops-$STAMP" --label "$label" --out "$out" \
    >/dev/null 2>"$out.stderr" || rc=$?
  log "api-ops.mjs exit $rc -> $out"
}

nucleon_backend() {  # KIND (sqlite|pg)
  local kind="$1" conn="" db=""
  local label="Nucleon ${COMMIT:0:12}${DIRTY:++dirty} on $kind, runtime $RUNTIME, api_workers $API_WORKERS"
  if [[ "$kind" == pg ]]; then db="nucleon_bench_${STAMP//-/_}_a"; pg_create "$db"; PG_DBS+=("$db"); conn="$PG_URL_BASE/$db"; fi
  log "=== Nucleon $kind: bench.py ==="
  start_nucleon "$kind" "$conn"
  # no --no-quota: bench.py lifts the quotas (default 10 routers, 500 ports) and records a 404 from a server without them
  run_bench_py "$RES/nucleon-$kind.json" "$label" "http://127.0.0.1:$PORT" "$NUCLEON_PGID" --max-seconds 900
  log "=== Nucleon $kind: api-ops.mjs (security group rules, floating IPs; same server) ==="
  run_api_ops "$RES/ops-$kind.json" "$label" "http://127.0.0.1:$PORT"
  stop_nucleon
  [[ -z "$db" ]] || pg_drop "$db"
  if [[ "$SKIP_SCALE" == 0 ]]; then
    log "=== Nucleon $kind: scale phase ($SCALE_PORTS ports, fresh database) ==="
    if [[ "$kind" == pg ]]; then db="nucleon_bench_${STAMP//-/_}_b"; pg_create "$db"; PG_DBS+=("$db"); conn="$PG_URL_BASE/$db"; fi
    start_nucleon "$kind-scale" "$conn"
    node "$BENCH_DIR/scale.mjs" --url "http://127.0.0.1:$PORT" --ports "$SCALE_PORTS" --clients 8 --lists 5 \
      --shows 5000 --project-id "scale-$STAMP" --server-pgid "$NUCLEON_PGID" --label "$label" \
      --out "$RES/scale-$kind.json" >/dev/null || log "scale phase reported errors (see $RES/scale-$kind.json)"
    stop_nucleon
    [[ -z "$db" ]] || pg_drop "$db"
  fi
  grep -h '"level":[56]0' "$WORK/$kind.log" "$WORK/$kind-scale.log" 2>/dev/null | head -20 > "$RES/nucleon-$kind-server-errors.log" || true
  [[ -s "$RES/nucleon-$kind-server-errors.log" ]] || rm -f "$RES/nucleon-$kind-server-errors.log"
}

if [[ "$SKIP_DATAPATH" == 0 ]]; then
  if [[ "$(id -u)" == 0 ]]; then
    log "=== datapath: convergence (20 VMs in a lab) and an L2 agent's resync with 500 ports ==="
    (cd "$SRC" && node --import tsx "$BENCH_DIR/convergence.ts" --vms 20 --out "$RES/convergence.json" >/dev/null) || log "convergence bench failed"
    (cd "$SRC" && node --import tsx "$BENCH_DIR/l2-resync.ts" --ports 500 --out "$RES/l2-resync.json" >/dev/null) || log "l2-resync bench failed"
  else
    log "datapath benchmarks need root (network namespaces): skipped"
  fi
fi

[[ "$SKIP_SQLITE" == 1 ]] || nucleon_backend sqlite
[[ "$SKIP_PG" == 1 ]] || nucleon_backend pg

if [[ "$SKIP_REF" == 0 ]]; then
  log "=== reference neutron-server at $REF_URL: bench.py (several minutes) ==="
  if ! curl -s -o /dev/null --max-time 5 "$REF_URL/v2.0/networks"; then
    log "reference not answering: AUTH=noauth neutron.sh start"
    AUTH=noauth "$(dirname "$BENCH_PY")/neutron.sh" start
    sleep 3
  fi
  REF_PGID="$(cat /var/tmp/refstack/run/neutron.pid)"
  REF_WORKERS="$(grep -E '^api_workers' /var/tmp/refstack/neutron/neutron.conf 2>/dev/null | awk -F= '{gsub(/ /,"",$2); print $2}')"
  run_bench_py "$RES/reference.json.new" "reference neutron-server 21 (Debian), noauth, api_workers=${REF_WORKERS:-?}" \
    "$REF_URL" "$REF_PGID" --max-seconds 1200
  mv "$RES/reference.json.new" "$RES/reference.json"; mv "$RES/reference.json.new.cpu" "$RES/reference.json.cpu"
  [[ ! -f "$RES/reference.json.new.stderr" ]] || mv "$RES/reference.json.new.stderr" "$RES/reference.json.stderr"
  if [[ "$SKIP_OPS" == 0 ]]; then
    log "=== reference: api-ops.mjs (security group rules, floating IPs; ~4 minutes) ==="
    run_api_ops "$RES/ops-reference.json.new" "reference neutron-server 21 (Debian), noauth, api_workers=${REF_WORKERS:-?}" "$REF_URL"
    if [[ -s "$RES/ops-reference.json.new" ]]; then
      mv "$RES/ops-reference.json.new" "$RES/ops-reference.json"; mv "$RES/ops-reference.json.new.stderr" "$RES/ops-reference.json.stderr"
    else
      log "api-ops.mjs wrote no JSON for the reference: keeping the previous ops-reference.json"; rm -f "$RES/ops-reference.json.new"
    fi
  fi
else
  [[ -f "$RES/reference.json" ]] || log "--skip-reference but no $RES/reference.json: the report will have no reference column"
  [[ -f "$RES/ops-reference.json" || "$SKIP_OPS" == 1 ]] || log "--skip-reference but no $RES/ops-reference.json: no reference numbers for SG rules / floating IPs"
fi

if [[ "$REPORT" == 1 ]]; then
  REPORT_OUT="$BENCH_DIR/RESULTS.md"; [[ "$RES" == "$BENCH_DIR/results" ]] || REPORT_OUT="$RES/RESULTS.md"
  node "$BENCH_DIR/report.mjs" --results "$RES" --src "$SRC" --runtime "$RUNTIME" --workers "$API_WORKERS" --out "$REPORT_OUT"
fi
log "server logs and state in $WORK"
