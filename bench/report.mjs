#!/usr/bin/env node
/**
 * Writes bench/RESULTS.md from bench/results/{reference,nucleon-sqlite,nucleon-pg,scale-sqlite,scale-pg}.json
 * and {ops-reference,ops-sqlite,ops-pg}.json (bench/api-ops.mjs: security group rules, floating IPs).
 *   node bench/report.mjs [--results DIR] [--src NUCLEON_TREE] [--runtime tsx|dist] [--workers N] [--out FILE]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const here = path.dirname(new URL(import.meta.url).pathname);
const { values: a } = parseArgs({
  options: {
    results: { type: 'string', default: path.join(here, 'results') },
    src: { type: 'string', default: path.resolve(here, '..') },
    runtime: { type: 'string', default: 'tsx' },
    workers: { type: 'string', default: '1' },
    out: { type: 'string', default: path.join(here, 'RESULTS.md') },
  },
});
const load = (f) => {
  try { return JSON.parse(fs.readFileSync(path.join(a.results, f), 'utf8')); } catch { return null; }
};
const sh = (cmd, args) => {
  try { return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { return null; }
};
const ref = load('reference.json'), sq = load('nucleon-sqlite.json'), pg = load('nucleon-pg.json');
const ssq = load('scale-sqlite.json'), spg = load('scale-pg.json');
const oref = load('ops-reference.json'), osq = load('ops-sqlite.json'), opg = load('ops-pg.json');
const systems = [['reference', ref], ['Nucleon-SQLite', sq], ['Nucleon-PG', pg]];

const ROUTER = new Set(['router_create', 'router_add_interface']);
const PHASES = ['net_subnet_create', 'port_create_seq', 'port_create_conc', 'port_list_all', 'port_list_paged', 'port_show',
  'port_update', 'port_delete_conc', 'network_create', 'network_delete', 'router_subnets_setup', 'router_create',
  'router_add_interface', 'cleanup'];
const f = (v, d = 2) => (v == null ? '–' : Number(v).toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 }));
const ratio = (x, y) => (x == null || y == null || y === 0 ? '–' : `${f(x / y, x / y >= 100 ? 0 : x / y >= 10 ? 1 : 2)}×`);

/** Nucleon router phases are "not implemented" when they did nothing or every call failed (404). */
function status(name, r) {
  const p = r?.phases?.[name];
  if (!r) return { na: 'not run' };
  if (!p) return { na: 'phase not reached' };
  if (r !== ref && ROUTER.has(name) && (p.ops === 0 || p.errors === p.ops)) return { na: 'N/A (routers not implemented)' };
  return { p };
}
// cleanup's op mix differs when the server had no routers (then it only deletes the 2 networks)
const comparable = (name, p, rp) => name !== 'cleanup' || (p?.ops != null && p.ops === rp?.ops);

const L = [];
const now = new Date();
const commit = sh('git', ['-C', a.src, 'rev-parse', 'HEAD']) ?? 'unknown';
const subject = sh('git', ['-C', a.src, 'log', '-1', '--format=%s']) ?? '';
const dirty = (sh('git', ['-C', a.src, 'status', '--porcelain', '--', 'src']) ?? '').length > 0;
const pgVersion = sh('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-Atc', 'SHOW server_version']);
const cpuModel = os.cpus()[0]?.model ?? '?';
L.push('# Nucleon benchmark results', '');
L.push(`Generated ${now.toISOString().replace(/\.\d+Z$/, 'Z')} by \`bench/run.sh\` (this file by \`bench/report.mjs\` from \`bench/results/*.json\`).`, '');
L.push(`* **Machine**: ${sh('nproc', []) ?? os.cpus().length} CPUs (nproc; ${cpuModel}), ${f(os.totalmem() / 2 ** 30, 1)} GiB RAM, ${os.type()} ${os.release()}; ` +
  `Node ${process.version}, ${sh('/usr/bin/python3', ['--version']) ?? 'python3 ?'} (client), PostgreSQL ${pgVersion ?? '?'} on 127.0.0.1:5432.`);
L.push(`* **Nucleon**: commit \`${commit.slice(0, 12)}\`${dirty ? ' **+ uncommitted changes in src/**' : ''} (“${subject}”), ` +
  `source tree \`${a.src}\`, runtime \`${a.runtime === 'dist' ? 'node (tsc output)' : 'node --import tsx'}\`, api_workers ${a.workers}, request logging at its default (info, to a file). ` +
  `A fresh database per run (SQLite file under a new state_path; a new PostgreSQL database, dropped afterwards).`);
// /usr/bin/time -o: the JSON is the last line (a non-zero exit adds a line before it)
const cpu = (file) => { try { return JSON.parse(fs.readFileSync(path.join(a.results, file + '.cpu'), 'utf8').trim().split('\n').at(-1)); } catch { return null; } };
for (const [n, r, file] of [['reference', ref, 'reference.json'], ['Nucleon-SQLite', sq, 'nucleon-sqlite.json'], ['Nucleon-PG', pg, 'nucleon-pg.json'], ['scale-SQLite', ssq], ['scale-PG', spg],
  ['api-ops reference', oref], ['api-ops SQLite', osq], ['api-ops PG', opg]]) {
  if (!r) continue;
  const c = file && cpu(file);
  L.push(`* ${n}: run started ${r.started}; label “${r.label}”` +
    (c ? `; bench.py client CPU ${f(c.client_user_s + c.client_sys_s, 1)} s over ${f(c.client_wall_s, 1)} s wall.` : '.'));
}
if (ref?.server) L.push(`* **Reference**: real neutron-server 21 (Debian), noauth, ${ref.server.api_worker_processes} api worker(s), ${ref.server.processes} processes in its group (api + rpc workers + parent), MariaDB (RSS of MariaDB / PostgreSQL is not counted for either side).`);
// bench.py records 'quota PUT <status>' (null: run with --no-quota, as older Nucleon runs were)
const qnote = (r) => (!r ? null : r.quota ?? 'not tried (--no-quota)');
L.push('* Client: `/work/shared/reference/bench.py` (Python, http.client keep-alive, 8 threads for the `_conc` phases) on the same machine; it first lifts the project\'s quotas with an admin `PUT /v2.0/quotas/<project>` ' +
  `(${systems.filter(([, r]) => r).map(([n, r]) => `${n}: ${qnote(r)}`).join('; ')}). RSS is the sampled (0.25 s) sum over the server's process group.`);
L.push('');

// ---------------------------------------------------------------- targets
const sqp = (n) => sq?.phases?.[n];
const targets = [];
const tgt = (what, measured, pass, pgMeasured, note = '') => targets.push([what, measured, pgMeasured, pass == null ? '–' : pass ? '**pass**' : '**FAIL**', note]);
tgt('≥ 1,000 port creates/s, 8 clients (bench.py `port_create_conc`)', sqp('port_create_conc') && `${f(sqp('port_create_conc').ops_per_s)}/s`,
  sqp('port_create_conc') ? sqp('port_create_conc').ops_per_s >= 1000 : null, pg?.phases?.port_create_conc && `${f(pg.phases.port_create_conc.ops_per_s)}/s`, '500 creates');
tgt('… same, 10,000 creates (scale phase)', ssq?.steps?.port_create_conc && `${f(ssq.steps.port_create_conc.ops_per_s)}/s`,
  ssq?.steps?.port_create_conc ? ssq.steps.port_create_conc.ops_per_s >= 1000 : null, spg?.steps?.port_create_conc && `${f(spg.steps.port_create_conc.ops_per_s)}/s`, 'informative');
tgt('p99 < 10 ms, sequential port create (`port_create_seq`)', sqp('port_create_seq') && `${f(sqp('port_create_seq').p99_ms)} ms`,
  sqp('port_create_seq') ? sqp('port_create_seq').p99_ms < 10 : null, pg?.phases?.port_create_seq && `${f(pg.phases.port_create_seq.p99_ms)} ms`);
tgt('≥ 5,000 port shows/s, 1 client (bench.py `port_show`, sequential)', sqp('port_show') && `${f(sqp('port_show').ops_per_s)}/s`,
  sqp('port_show') ? sqp('port_show').ops_per_s >= 5000 : null, pg?.phases?.port_show && `${f(pg.phases.port_show.ops_per_s)}/s`,
  'one Python client: includes its per-request overhead');
tgt('≥ 5,000 port shows/s, 8 clients (scale phase, 10,000 ports)', ssq?.steps?.port_show_conc && `${f(ssq.steps.port_show_conc.ops_per_s)}/s`,
  ssq?.steps?.port_show_conc ? ssq.steps.port_show_conc.ops_per_s >= 5000 : null, spg?.steps?.port_show_conc && `${f(spg.steps.port_show_conc.ops_per_s)}/s`);
const lst = (s) => s?.steps?.port_list_all;
tgt('10,000 ports in one GET /v2.0/ports < 250 ms (median of 5)', lst(ssq) && `${f(lst(ssq).median_ms)} ms (${lst(ssq).ports_returned[0] ?? 0} ports)`,
  lst(ssq) ? lst(ssq).median_ms < 250 && lst(ssq).ports_returned.every((n) => n >= 10000) : null, lst(spg) && `${f(lst(spg).median_ms)} ms`);
const rssMB = (mib) => (mib == null ? null : `${f(mib, 1)} MiB = ${f((mib * 2 ** 20) / 1e6, 1)} MB`);
const under150 = (mib) => (mib == null ? null : (mib * 2 ** 20) / 1e6 < 150);
// true peak: VmHWM summed over the group's processes (>= the 0.25 s samples, which can miss a short spike)
const peak = (s) => (s?.server ? Math.max(s.server.peak_total_rss_mib_sampled, s.server.sum_of_per_process_peak_rss_mib) : null);
tgt('RSS with 10,000 ports < 150 MB: after the creates, before any listing', rssMB(ssq?.rss_mib?.after_create),
  under150(ssq?.rss_mib?.after_create), rssMB(spg?.rss_mib?.after_create), 'current RSS of the group');
tgt('RSS with 10,000 ports < 150 MB: peak incl. 5 listings of all 10,000 and 5,000 shows', rssMB(peak(ssq)),
  under150(peak(ssq)), rssMB(peak(spg)), 'VmHWM (true peak) of the server');
// ---------------------------------------------------------------- routers, SG rules, floating IPs (issue 3)
// [label, source, kind ('bench' = bench.py phase, 'ops' = api-ops.mjs phase), phase name]
const OPS = [
  ['router create', 'bench.py `router_create` (50 routers, no gateway)', 'bench', 'router_create'],
  ['router add_router_interface (by subnet)', 'bench.py `router_add_interface` (one /24 each)', 'bench', 'router_add_interface'],
  ['security group rule create', 'api-ops.mjs `sg_rule_create` (500, fresh group)', 'ops', 'sg_rule_create'],
  ['floating IP create + associate', 'api-ops.mjs `fip_create_associate` (200, port_id given)', 'ops', 'fip_create_associate'],
];
const OPS_SYSTEMS = [['reference', ref, oref], ['Nucleon-SQLite', sq, osq], ['Nucleon-PG', pg, opg]];
/** {p} with the measured phase, or {na: text} when it was not run / is not implemented / its setup failed. */
function opCell(kind, name, benchRun, opsRun) {
  if (kind === 'bench') {
    const c = status(name, benchRun);
    return c.na === 'N/A (routers not implemented)' ? { na: 'N/A (not implemented)' } : c;
  }
  if (!opsRun) return { na: 'not run' };
  const p = opsRun.phases?.[name];
  if (!p) return { na: opsRun.failed ? 'aborted' : 'phase not reached' };
  if (p.unavailable) return { na: `N/A (not implemented: ${p.status ?? '?'})`, why: p.reason };
  if (p.setup_failed) return { na: `setup failed (${p.status ?? 'error'})`, why: p.reason };
  if (!p.ops || p.errors === p.ops) return { na: `N/A (all ${p.ops} calls failed)`, why: p.error_samples?.[0] };
  return { p };
}
const opsTable = OPS.map(([label, source, kind, name]) => ({ label, source, kind, name,
  cells: OPS_SYSTEMS.map(([sys, b, o]) => ({ sys, ...opCell(kind, name, b, o) })) }));
const opPass = (c) => (c.p ? c.p.p50_ms < 10 && c.p.errors === 0 : false);
const opsAnyNucleon = opsTable.some((o) => o.cells[1].p || o.cells[1].na !== 'not run');
const opsPassCount = opsTable.filter((o) => opPass(o.cells[1])).length;
tgt('p50 < 10 ms for router create, add interface, SG rule create, floating IP create+associate (section below)',
  opsAnyNucleon ? `${opsPassCount} of ${opsTable.length} under 10 ms` : null, opsAnyNucleon ? opsPassCount === opsTable.length : null,
  opsAnyNucleon ? `${opsTable.filter((o) => o.cells[2].p && o.cells[2].p.p50_ms < 10).length} of ${opsTable.length}` : null, 'issue 3; N/A counts as not met');

L.push('## Targets (on SQLite)', '', '| target | Nucleon-SQLite | pass/fail | Nucleon-PG (info) | note |', '|---|---:|:---:|---:|---|');
for (const [w, m, p, pass, note] of targets) L.push(`| ${w} | ${m ?? 'not run'} | ${pass} | ${p ?? '–'} | ${note} |`);
L.push('');

// ---------------------------------------------------------------- datapath convergence (issue 6): section
{
  const cv = load('convergence.json'), rs = load('l2-resync.json');
  if (cv || rs) {
    L.push('## Datapath convergence', '',
      'Issue 6\'s targets, measured on real namespaces (root). `bench/convergence.ts`: a nucleon-server process (SQLite), a nucleon-lab ' +
      '(two hypervisors, a network node, agents over RabbitMQ), and VMs booted one after the other on alternating hosts by the compute library; ' +
      'each is timed from the port create to a DHCP lease in the VM and an answered ping to the network\'s first VM (on hv1: across the VXLAN underlay for the half booted on hv2). ' +
      '`bench/l2-resync.ts`: one L2 agent\'s full sync with N ports bound to its host and their taps plugged (bridge, VXLAN device, ' +
      'N taps joined and filtered by their security groups, N ports reported up), then an idle sync, then one after its bridge, VXLAN device and rules were deleted. No reference column: ' +
      'the reference stack here runs no agents.', '',
      '| target | measured | pass/fail | note |', '|---|---:|:---:|---|');
    if (cv?.convergence_ms) L.push(`| port created → lease + ping, p50 < 500 ms (${cv.vms} VMs) | p50 ${cv.convergence_ms.p50} ms, p95 ${cv.convergence_ms.p95} ms, max ${cv.convergence_ms.max} ms | ${cv.convergence_ms.p50 < 500 ? '**pass**' : '**FAIL**'} | the network's first VM (not counted): ${cv.first_vm_ms} ms |`);
    if (rs?.first_sync) L.push(`| L2 agent full resync, ${rs.ports} ports on its host, < 10 s | ${f(rs.first_sync.ms / 1000)} s (${rs.first_sync.commands} planned changes, ${rs.active_after_first_sync} ports ACTIVE) | ${rs.first_sync.ms < 10_000 && rs.active_after_first_sync === rs.ports ? '**pass**' : '**FAIL**'} | idle resync ${rs.idle_sync.ms} ms (${rs.idle_sync.commands} changes); rebuild after the bridge, VXLAN device and nftables rules were deleted ${f(rs.rebuild_sync.ms / 1000)} s. Changes: one iproute2 command each for links, all security group changes in one nft transaction |`);
    L.push('', `Runs: ${[cv && `convergence ${cv.started}`, rs && `l2-resync ${rs.started}`].filter(Boolean).join(', ')}.`, '');
  }
}

// ---------------------------------------------------------------- routers, SG rules, floating IPs: section
{
  L.push('## Routers, security group rules, floating IPs', '',
    'Issue 3\'s benchmark additions. Routers come from bench.py\'s `router_create` / `router_add_interface` phases (Python client, one thread; ' +
    'the reference and Nucleon runs above). Security group rules and floating IPs come from `bench/api-ops.mjs` (Node client, one keep-alive connection, ' +
    'sequential), run on the same server right after bench.py, with its own project: `sg_rule_create` POSTs 500 distinct ingress TCP rules into a fresh group; ' +
    '`fip_create_associate` POSTs 200 floating IPs with `floating_network_id` and `port_id`; its setup (not timed) is an external network (`router:external`) with a /22 subnet, ' +
    'a router with that gateway, an internal network + /22 subnet attached to the router and 200 ports. Latencies are client-side, to the last byte.', '');
  const p50txt = (cs) => (cs.p ? `${f(cs.p.p50_ms)} ms` : cs.na);
  L.push('**Target (issue 3): < 10 ms p50 for every one of these operations on SQLite** (and no errors) — ' +
    (opsAnyNucleon ? `**${opsPassCount === opsTable.length ? 'pass' : 'FAIL'}** (${opsPassCount} of ${opsTable.length} operations met; N/A counts as not met).` : 'not run.'), '',
    '| operation | source | Nucleon-SQLite p50 | pass/fail | Nucleon-PG p50 (info) | reference p50 | ref p50 ÷ SQLite p50 | ref p50 ÷ PG p50 |',
    '|---|---|---:|:---:|---:|---:|---:|---:|');
  for (const o of opsTable) {
    const [r, s, g] = o.cells;
    const rat = (c) => (c.p && r.p ? ratio(r.p.p50_ms, c.p.p50_ms) : '–');
    L.push(`| ${o.label} | ${o.source} | ${p50txt(s)} | ${s.na === 'not run' ? '–' : opPass(s) ? '**pass**' : '**FAIL**'} | ${p50txt(g)} | ${p50txt(r)} | ${rat(s)} | ${rat(g)} |`);
  }
  L.push('', '| operation | system | ops | errors | ops/s | p50 ms | p95 ms | p99 ms | ops/s ÷ ref | ref p50 ÷ p50 |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const o of opsTable) {
    const rp = o.cells[0].p;
    for (const c of o.cells) {
      if (!c.p) { L.push(`| ${o.label} | ${c.sys} | ${c.na} | | | | | | | |`); continue; }
      const cmp = c.sys !== 'reference' && rp;
      L.push(`| ${o.label} | ${c.sys} | ${c.p.ops} | ${c.p.errors} | ${f(c.p.ops_per_s)} | ${f(c.p.p50_ms)} | ${f(c.p.p95_ms)} | ${f(c.p.p99_ms)} | ` +
        `${cmp ? ratio(c.p.ops_per_s, rp.ops_per_s) : '–'} | ${cmp ? ratio(rp.p50_ms, c.p.p50_ms) : '–'} |`);
    }
  }
  L.push('');
  for (const [sys, , o] of OPS_SYSTEMS) {
    if (!o) { L.push(`* api-ops ${sys}: not run.`); continue; }
    const q = o.quota ? (o.quota.lifted ? 'quotas lifted (PUT 200, reset afterwards)' : `quota PUT answered ${o.quota.status}: quotas not lifted`) : 'quota not tried';
    const na = Object.entries(o.phases ?? {}).filter(([, p]) => p.unavailable || p.setup_failed).map(([k, p]) => `${k}: ${p.reason}`);
    L.push(`* api-ops ${sys} (started ${o.started}): ${q}; endpoint probes ${Object.entries(o.probes ?? {}).map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
      `setup ${o.setup?.requests ?? 0} requests in ${f(o.setup?.time_s ?? 0)} s (${o.setup?.errors ?? 0} errors); cleanup ${o.cleanup?.requests ?? 0} requests in ${f(o.cleanup?.wall_s ?? 0)} s (${o.cleanup?.errors ?? 0} errors)` +
      `${o.failed ? `; **failed**: ${o.failed.split('\n')[0]}` : ''}.`);
    for (const t of na) L.push(`  * ${t.replaceAll('|', '\\|')}`);
    for (const [k, p] of Object.entries(o.phases ?? {})) for (const e of p.error_samples ?? []) L.push(`  * ${k} error: \`${e}\``);
    for (const e of o.cleanup?.error_samples ?? []) L.push(`  * cleanup error: \`${e}\``);
  }
  L.push('');
}

// ---------------------------------------------------------------- before/after of one change
const ba = load('before-after.json');
if (ba) {
  const med = (xs) => { const v = xs.filter((x) => x != null).sort((p, q) => p - q); return v.length ? v[Math.floor(v.length / 2)] : null; };
  L.push('## Before and after one change (bench/before-after.sh)', '',
    `bench.py on SQLite against a server built from \`${ba.base.slice(0, 12)}\` (before) and from \`${ba.head.slice(0, 12)}\` (after), ` +
    `in turns in one run (${ba.runs.length / 2} rounds each, ${ba.generated}); ops/s per round and the median. Same machine, same client; ` +
    'the reference server is not part of this comparison (see the tables below for it).', '',
    '| phase | before ops/s (rounds) | after ops/s (rounds) | before median | after median | after ÷ before |', '|---|---|---|---:|---:|---:|');
  for (const name of ba.phases) {
    const side = (s) => ba.runs.filter((r) => r.side === s).map((r) => r.phases[name]?.ops_per_s ?? null);
    const [b, af] = [side('before'), side('after')];
    L.push(`| ${name} | ${b.map((x) => f(x, 0)).join(', ')} | ${af.map((x) => f(x, 0)).join(', ')} | ${f(med(b), 0)} | ${f(med(af), 0)} | ${ratio(med(af), med(b))} |`);
  }
  const errs = ba.runs.flatMap((r) => Object.entries(r.phases).filter(([, p]) => p.errors).map(([n, p]) => `${r.side} ${n}: ${p.errors}`));
  L.push('', errs.length ? `Errors: ${errs.join('; ')}.` : 'No request failed in any round.', '');
}

// ---------------------------------------------------------------- bench.py summary
L.push('## bench.py phases: throughput summary', '',
  'Ratios: Nucleon ops/s ÷ reference ops/s (higher is better for Nucleon). Per-phase tables below add latencies and reference p50 ÷ Nucleon p50.', '',
  '| phase | reference ops/s | SQLite ops/s | PG ops/s | SQLite ÷ ref | PG ÷ ref |', '|---|---:|---:|---:|---:|---:|');
for (const name of PHASES) {
  const cells = systems.map(([, r]) => status(name, r));
  const rp = cells[0].p;
  const txt = (c) => (c.na ? c.na : f(c.p.ops_per_s));
  const rat = (c) => (c.na || !rp || !comparable(name, c.p, rp) ? '–' : ratio(c.p.ops_per_s, rp.ops_per_s));
  L.push(`| ${name} | ${txt(cells[0])} | ${txt(cells[1])} | ${txt(cells[2])} | ${rat(cells[1])} | ${rat(cells[2])} |`);
}
L.push('');

// ---------------------------------------------------------------- per-phase tables
L.push('## bench.py phases in detail', '');
for (const name of PHASES) {
  L.push(`### ${name}`, '', '| system | ops | errors | ops/s | p50 ms | p95 ms | p99 ms | ops/s vs ref | ref p50 ÷ p50 |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rp = status(name, ref).p;
  for (const [sys, r] of systems) {
    const c = status(name, r);
    if (c.na) { L.push(`| ${sys} | ${c.na} | | | | | | | |`); continue; }
    const p = c.p;
    const isRef = r === ref;
    const cmp = !isRef && rp && comparable(name, p, rp);
    L.push(`| ${sys} | ${p.ops} | ${p.errors} | ${f(p.ops_per_s)} | ${f(p.p50_ms)} | ${f(p.p95_ms)} | ${f(p.p99_ms)} | ${cmp ? ratio(p.ops_per_s, rp.ops_per_s) : '–'} | ${cmp ? ratio(rp.p50_ms, p.p50_ms) : '–'} |`);
  }
  if (name === 'cleanup') L.push('', 'cleanup removes router interfaces and routers, then the networks; it is compared only where it made as many calls as on the reference (without routers Nucleon only deletes the 2 networks).');
  if (name === 'router_subnets_setup') L.push('', 'router_subnets_setup is 1 network + 50 /24 subnets (no router calls), so Nucleon runs it.');
  L.push('');
}

// ---------------------------------------------------------------- scale
L.push('## Scale phase: 10,000 ports (bench/scale.mjs, Nucleon only)', '',
  '1 network + 1 /16 subnet on a fresh database, ports created by 8 concurrent clients (Node http keep-alive), then 5 × `GET /v2.0/ports` (all ports, one request, timed to the last byte), then 5,000 shows by 8 clients. Not run against the reference (at ~3.5 creates/s 10,000 ports take ~50 minutes).', '',
  '| | Nucleon-SQLite | Nucleon-PG |', '|---|---:|---:|');
const sc = (s, fn) => { try { return s ? fn(s) ?? '–' : 'not run'; } catch { return '–'; } };
const rows = [
  ['port creates (8 clients): ops/s', (s) => f(s.steps.port_create_conc.ops_per_s)],
  ['… p50 / p95 / p99 ms', (s) => `${f(s.steps.port_create_conc.p50_ms)} / ${f(s.steps.port_create_conc.p95_ms)} / ${f(s.steps.port_create_conc.p99_ms)}`],
  ['… errors', (s) => s.steps.port_create_conc.errors],
  ['GET /v2.0/ports: median ms (min–max)', (s) => `${f(lst(s).median_ms)} (${f(lst(s).min_ms)}–${f(lst(s).max_ms)})`],
  ['… ports returned, response bytes', (s) => `${lst(s).ports_returned.join('/')}, ${f(lst(s).bytes / 1e6, 1)} MB`],
  ['port shows (8 clients): ops/s', (s) => f(s.steps.port_show_conc.ops_per_s)],
  ['… p50 / p95 / p99 ms', (s) => `${f(s.steps.port_show_conc.p50_ms)} / ${f(s.steps.port_show_conc.p95_ms)} / ${f(s.steps.port_show_conc.p99_ms)}`],
  ['RSS MiB: start / after creates / after listings / after shows', (s) => `${s.rss_mib.start} / ${s.rss_mib.after_create} / ${s.rss_mib.after_list} / ${s.rss_mib.after_show}`],
  ['RSS MiB: peak (sampled, group) / sum of per-process VmHWM', (s) => `${s.server.peak_total_rss_mib_sampled} / ${s.server.sum_of_per_process_peak_rss_mib}`],
  ['failure', (s) => s.failed ?? 'none'],
];
for (const [label, fn] of rows) L.push(`| ${label} | ${sc(ssq, fn)} | ${sc(spg, fn)} |`);
L.push('');

// ---------------------------------------------------------------- runtime comparison (optional)
const dsq = (() => { try { return JSON.parse(fs.readFileSync(path.join(a.results, 'runtime-dist', 'scale-sqlite.json'), 'utf8')); } catch { return null; } })();
if (dsq && ssq) {
  L.push('## Runtime: `node --import tsx` vs compiled JS (scale phase, SQLite)', '',
    `The compiled run (\`bench/run.sh --runtime dist --results bench/results/runtime-dist\`, tsc output run with plain node) started ${dsq.started}; label “${dsq.label}”.`, '',
    '| | node --import tsx | node (tsc output) |', '|---|---:|---:|');
  for (const [label, fn] of rows.filter(([l]) => !l.startsWith('failure'))) L.push(`| ${label} | ${sc(ssq, fn)} | ${sc(dsq, fn)} |`);
  L.push('');
}

// ---------------------------------------------------------------- RSS
L.push('## Server memory (peak RSS, sampled every 0.25 s, summed over the server process group)', '',
  '| run | processes | peak RSS MiB | sum of per-process peaks MiB |', '|---|---:|---:|---:|');
for (const [n, r] of [['reference, bench.py', ref], ['Nucleon-SQLite, bench.py', sq], ['Nucleon-PG, bench.py', pg], ['Nucleon-SQLite, scale', ssq], ['Nucleon-PG, scale', spg]])
  if (r?.server) L.push(`| ${n} | ${r.server.processes} | ${f(r.server.peak_total_rss_mib_sampled, 1)} | ${f(r.server.sum_of_per_process_peak_rss_mib, 1)} |`);
L.push('', '"processes" counts those alive at the end of the run; under `node --import tsx` an esbuild service process is part of the group while it lives.', '');

// ---------------------------------------------------------------- errors
L.push('## Errors and checks', '');
for (const [n, r] of systems) {
  if (!r) continue;
  const na = ([k, p]) => r !== ref && ROUTER.has(k) && (p.ops === 0 || p.errors === p.ops);
  const bad = Object.entries(r.phases).filter((e) => e[1].errors && !na(e));
  const routerNa = Object.entries(r.phases).filter((e) => e[1].errors && na(e));
  const ip = r.ip_check;
  L.push(`* **${n}**: ${bad.length ? bad.map(([k, p]) => `${k}: ${p.errors} error(s)`).join(', ') : routerNa.length ? 'no errors outside router phases' : 'no errors'}; ` +
    `IP check ${ip ? `${ip.ok ? 'ok' : 'FAILED'} (${ip.distinct_ips} distinct IPs / ${ip.ports_created} ports, ${ip.duplicate_ips} duplicates, ${ip.ports_listed} listed)` : 'not reached'}; ` +
    `aborted: ${r.aborted ?? 'no'}; deadline hit: ${r.deadline_hit ? 'yes' : 'no'}.`);
  for (const [k, p] of bad) for (const s of p.error_samples ?? []) L.push(`  * ${k}: \`${s}\``);
  for (const [k, p] of routerNa) L.push(`  * ${k} (expected, not implemented): ${p.errors} × \`${(p.error_samples ?? [])[0] ?? ''}\``);
}
for (const [n, s] of [['scale-SQLite', ssq], ['scale-PG', spg]]) {
  if (!s) continue;
  const errs = Object.entries(s.steps).filter(([, p]) => p.errors);
  L.push(`* **${n}**: ${errs.length ? errs.map(([k, p]) => `${k}: ${p.errors} error(s) ${(p.error_samples ?? [p.error_sample]).map((e) => `\`${e}\``).join(' ')}`).join('; ') : 'no errors'}${s.failed ? `; failed: ${s.failed}` : ''}.`);
}
for (const k of ['sqlite', 'pg']) {
  const file = path.join(a.results, `nucleon-${k}-server-errors.log`);
  if (fs.existsSync(file)) L.push(`* Nucleon-${k} server logged errors: see \`bench/results/nucleon-${k}-server-errors.log\`.`);
}
L.push('');
fs.writeFileSync(a.out, L.join('\n'));
console.error(`[bench] wrote ${a.out}`);
