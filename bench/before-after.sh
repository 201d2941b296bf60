#!/usr/bin/env bash
# Before/after throughput of one change, measured in one run on the same machine: bench.py against
# a Nucleon server (SQLite, compiled JS, 1 API process) built from BASE and one built from this
# tree, in turns (A B A B …) so that load on the machine hits both alike. Writes
# bench/results/before-after.json; bench/report.mjs renders it in RESULTS.md.
#
#   bench/before-after.sh BASE_REV [ROUNDS]      (default 3 rounds)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE="${1:?usage: bench/before-after.sh BASE_REV [ROUNDS]}"; ROUNDS="${2:-3}"
PORT="${PORT:-19882}"; API_WORKERS=1; RUNTIME=dist
BENCH_PY="${BENCH_PY:-$REPO/../shared/reference/bench.py}"; PYTHON="${PYTHON:-/usr/bin/python3}"
STAMP="$(date +%Y%m%d-%H%M%S)"; WORK="${WORK:-${TMPDIR:-/tmp}/nucleon-before-after-$STAMP}"
mkdir -p "$WORK"
[[ -f "$BENCH_PY" ]] || die "no bench.py at $BENCH_PY"
cleanup() { stop_nucleon; git -C "$REPO" worktree remove --force "$WORK/base-src" >/dev/null 2>&1 || true; }
trap cleanup EXIT

BASE_COMMIT="$(git -C "$REPO" rev-parse "$BASE")"; HEAD_COMMIT="$(git -C "$REPO" rev-parse HEAD)"
git -C "$REPO" worktree add --detach "$WORK/base-src" "$BASE_COMMIT" >/dev/null 2>&1
ln -s "$(readlink -f "$REPO/node_modules")" "$WORK/base-src/node_modules"
build_dist "$WORK/base-src" "$WORK/dist-before"
build_dist "$REPO" "$WORK/dist-after"

runs=()
for round in $(seq 1 "$ROUNDS"); do
  for side in before after; do
    SRC="$([[ $side == before ]] && echo "$WORK/base-src" || echo "$REPO")"; DIST="$WORK/dist-$side"; STATE_NAME="$side-$round"
    start_nucleon "$side-$round" ""
    out="$WORK/$side-$round.json"
    timeout 1500 "$PYTHON" "$BENCH_PY" "http://127.0.0.1:$PORT" --noauth --project-id "ba-$STAMP-$side-$round" --label "$side" --out "$out" >/dev/null 2>"$out.stderr" || log "bench.py failed ($side $round): $(tail -3 "$out.stderr")"
    stop_nucleon
    runs+=("$out")
    log "round $round $side done"
  done
done

node - "$BASE_COMMIT" "$HEAD_COMMIT" "$BENCH_DIR/results/before-after.json" "${runs[@]}" <<'JS'
const fs = require('node:fs');
const [base, head, outFile, ...files] = process.argv.slice(2);
const PHASES = ['port_create_seq', 'port_create_conc', 'router_add_interface', 'port_update', 'port_delete_conc'];
const runs = files.filter((f) => fs.existsSync(f)).map((f) => { const j = JSON.parse(fs.readFileSync(f, 'utf8')); return { side: j.label, phases: Object.fromEntries(PHASES.filter((n) => j.phases[n]).map((n) => [n, { ops_per_s: j.phases[n].ops_per_s, p50_ms: j.phases[n].p50_ms, errors: j.phases[n].errors }])) }; });
fs.writeFileSync(outFile, JSON.stringify({ generated: new Date().toISOString(), base, head, phases: PHASES, runs }, null, 1) + '\n');
console.log(outFile);
JS
