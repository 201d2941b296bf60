#!/usr/bin/env node
/**
 * Security group rules and floating IPs (issue 3's benchmark additions; Node stdlib only). Router
 * create / add_router_interface are bench.py's router_create / router_add_interface phases.
 *
 *   sg_rule_create         R rules (default 500) POSTed one after the other by one client into a fresh
 *                          group (ingress tcp, port i..i, all distinct)
 *   fip_create_associate   F (default 200) × POST /v2.0/floatingips {floating_network_id, port_id}, one
 *                          client, sequential. Not timed (setup): an external network (router:external)
 *                          with a /22 subnet, a router with that gateway, an internal network + /22 subnet
 *                          attached to the router, F ports on it.
 *
 *   node bench/api-ops.mjs --url http://127.0.0.1:19881 [--project-id P] [--rules 500] [--fips 200]
 *        [--setup-clients 4] [--label TEXT] [--out FILE]
 *
 * Quotas are lifted first with an admin PUT /v2.0/quotas/<project> (all -1) when that answers 200
 * (then reset with DELETE at the end); otherwise that is said on stderr and recorded in the JSON.
 * A phase whose endpoint does not exist yet (404/405/501 on the probe or on its first request) is
 * recorded as {unavailable: true, status, reason} instead of failing the run; a setup step that fails
 * otherwise gives {setup_failed: true, status, reason}. Everything created is deleted again (404 on
 * delete counts as gone), including the project's `default` security group the server makes lazily.
 * Latencies are client-side, to the last byte, over one keep-alive HTTP/1.1 connection.
 * Exit code 1 on any error in a timed phase, a failed setup or cleanup, else 0 (unavailable is not an error).
 */
import http from 'node:http';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:19881' },
    'project-id': { type: 'string', default: `apiops-${Math.random().toString(16).slice(2, 10)}` },
    rules: { type: 'string', default: '500' },
    fips: { type: 'string', default: '200' },
    'setup-clients': { type: 'string', default: '4' },
    label: { type: 'string', default: '' },
    out: { type: 'string' },
  },
});
const RULES = Number(a.rules), FIPS = Number(a.fips), SETUP_C = Math.max(1, Number(a['setup-clients']));
const project = a['project-id'];
const base = new URL(a.url);
const prefix = base.pathname.replace(/\/+$/, '').replace(/\/v2\.0$/, '') + '/v2.0';
const agent = new http.Agent({ keepAlive: true, maxSockets: SETUP_C });
// Reference noauth: with X-Project-Id the context is admin without a project, so every create body
// carries project_id (as bench.py does); Nucleon's noauth reads the same headers.
const headers = { 'X-Project-Id': project, 'X-Tenant-Id': project, 'X-Roles': 'admin', Accept: 'application/json' };
const log = (m) => console.error(`[api-ops ${new Date().toISOString().slice(11, 19)}] ${m}`);

function request(method, path, body) {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: prefix + path, agent, timeout: 120000,
        headers: data ? { ...headers, 'Content-Type': 'application/json', 'Content-Length': data.length } : headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - t0; // to the last byte; JSON parsing is not timed
          const raw = Buffer.concat(chunks);
          let parsed = null;
          try { parsed = raw.length ? JSON.parse(raw) : null; } catch { parsed = raw.toString().slice(0, 300); }
          resolve({ status: res.statusCode, body: parsed, ms });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 599, body: `connection error: ${e.message}`, ms: performance.now() - t0 }));
    if (data) req.write(data);
    req.end();
  });
}
const brief = (r) => `${r.status} ${(typeof r.body === 'string' ? r.body : JSON.stringify(r.body) ?? '').slice(0, 300)}`;
const ok = (r) => r.status >= 200 && r.status < 300;
const missing = (st) => st === 404 || st === 405 || st === 501;
/** The endpoint itself is unknown (not e.g. PortNotFound): 405/501, or a 404 that is not a specific Neutron error. */
const unknownEndpoint = (res) => res.status === 405 || res.status === 501 ||
  (res.status === 404 && (res.body?.NeutronError?.type ?? 'HTTPNotFound') === 'HTTPNotFound');

// --- statistics (same interpolation as bench.py's pct)
function pct(sorted, p) {
  if (!sorted.length) return null;
  const k = ((sorted.length - 1) * p) / 100, f = Math.floor(k), c = Math.min(f + 1, sorted.length - 1);
  return sorted[f] + (sorted[c] - sorted[f]) * (k - f);
}
const r2 = (v) => (v == null ? null : Math.round(v * 100) / 100);
function summary(lat, wallMs, errors, samples, extra = {}) {
  const s = [...lat].sort((x, y) => x - y);
  return { ops: s.length, errors, wall_s: r2(wallMs / 1000), ops_per_s: s.length ? r2(s.length / (wallMs / 1000)) : null,
    p50_ms: r2(pct(s, 50)), p95_ms: r2(pct(s, 95)), p99_ms: r2(pct(s, 99)),
    mean_ms: s.length ? r2(s.reduce((x, y) => x + y, 0) / s.length) : null, max_ms: r2(s.at(-1)),
    ...extra, ...(samples.length ? { error_samples: samples } : {}) };
}
/** Sequential timed phase. fn(i) -> {res, error?: string}. Stops early (unavailable) if the first call is a 404/405/501. */
async function timed(count, fn) {
  const lat = [], samples = [];
  let errors = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const { res, error } = await fn(i);
    if (i === 0 && unknownEndpoint(res)) return { unavailable: true, status: res.status, reason: `first request answered ${brief(res)}` };
    lat.push(res.ms);
    const bad = error ?? (ok(res) ? null : brief(res));
    if (bad) { errors++; if (samples.length < 5) samples.push(bad); }
  }
  return summary(lat, performance.now() - t0, errors, samples);
}
/** Untimed helper: fn over items with SETUP_C clients; results in order. After a throw no new item is
 * started; the calls under way finish (so their cleanup is recorded), then the first error is thrown. */
async function pool(items, fn) {
  const out = new Array(items.length);
  let next = 0, err = null;
  await Promise.all(Array.from({ length: Math.min(SETUP_C, items.length) }, async () => {
    for (let i = next++; i < items.length && !err; i = next++) {
      try { out[i] = await fn(items[i], i); } catch (e) { err ??= e; }
    }
  }));
  if (err) throw err;
  return out;
}

class SetupError extends Error {
  constructor(what, res) { super(`${what}: ${brief(res)}`); this.status = res.status; this.res = res; }
}
const setup = { requests: 0, errors: 0, wall_ms: 0 };
/** Untimed setup call; throws SetupError unless 2xx. */
async function must(what, method, path, body) {
  const res = await request(method, path, body);
  setup.requests++; setup.wall_ms += res.ms;
  if (!ok(res)) { setup.errors++; throw new SetupError(`${method} /v2.0${path} (${what})`, res); }
  return res.body;
}
const asPhaseFailure = (e) => (e instanceof SetupError
  ? (unknownEndpoint(e.res) ? { unavailable: true, status: e.status, reason: `setup: ${e.message}` } : { setup_failed: true, status: e.status, reason: e.message })
  : { setup_failed: true, status: null, reason: String(e?.stack ?? e) });

// cleanup: {kind, req: [method, path, body]}; run kind by kind in CLEANUP_ORDER; 404 counts as already gone
const undo = [];
const CLEANUP_ORDER = ['fip', 'port', 'router-if', 'router', 'net', 'sg', 'default-sg', 'quota'];
async function cleanupAll() {
  const t0 = performance.now();
  let requests = 0, errors = 0;
  const samples = [];
  const run = async ([method, path, body]) => {
    const res = await request(method, path, body);
    requests++;
    if (!ok(res) && res.status !== 404) { errors++; if (samples.length < 5) samples.push(`${method} ${path}: ${brief(res)}`); }
  };
  // fixed dependency order; deletes of one kind run with SETUP_C clients
  for (const kind of CLEANUP_ORDER) await pool(undo.filter((u) => u.kind === kind).map((u) => u.req), run);
  return { requests, errors, wall_s: r2((performance.now() - t0) / 1000), ...(samples.length ? { error_samples: samples } : {}) };
}

const tag = Math.random().toString(16).slice(2, 8);
const r = parseInt(tag, 16) % 64;
const result = { tool: 'bench/api-ops.mjs', endpoint: a.url, label: a.label, project_id: project, started: new Date().toISOString(),
  params: { rules: RULES, fips: FIPS, setup_clients: SETUP_C }, quota: null, probes: {}, phases: {}, setup: null, cleanup: null, failed: null };

try {
  // quotas (defaults: security_group_rule 100, floatingip 50 would stop the workload)
  const q = await request('PUT', `/quotas/${project}`, { quota: { network: -1, subnet: -1, port: -1, router: -1,
    floatingip: -1, security_group: -1, security_group_rule: -1 } });
  result.quota = { status: q.status, lifted: q.status === 200, ...(q.status === 200 ? {} : { answer: brief(q) }) };
  if (q.status === 200) undo.push({ kind: 'quota', req: ['DELETE', `/quotas/${project}`] });
  log(q.status === 200 ? `quotas of ${project} lifted` : `quota PUT answered ${q.status}: quotas NOT lifted (running with the server's defaults)`);

  for (const p of ['/security-groups', '/security-group-rules', '/routers', '/floatingips']) {
    result.probes[p] = (await request('GET', `${p}?limit=1`)).status;
  }

  // ---------------------------------------------------------------- security group rules
  if (missing(result.probes['/security-groups']) || missing(result.probes['/security-group-rules'])) {
    const [p, st] = Object.entries(result.probes).find(([k, v]) => k.startsWith('/security') && missing(v));
    result.phases.sg_rule_create = { unavailable: true, status: st, reason: `GET /v2.0${p} answered ${st}` };
  } else {
    try {
      const sg = await must('security group', 'POST', '/security-groups', { security_group: { name: `apiops-sg-${tag}`, project_id: project } });
      const sgId = sg.security_group.id;
      undo.push({ kind: 'sg', req: ['DELETE', `/security-groups/${sgId}`] });
      const ruleIds = [];
      result.phases.sg_rule_create = await timed(RULES, async (i) => {
        const res = await request('POST', '/security-group-rules', { security_group_rule: { security_group_id: sgId,
          direction: 'ingress', ethertype: 'IPv4', protocol: 'tcp', port_range_min: 1000 + i, port_range_max: 1000 + i, project_id: project } });
        if (res.status === 201) ruleIds.push(res.body.security_group_rule.id);
        return { res };
      });
      // rules go with their group; deleting them one by one is not needed
      if (result.phases.sg_rule_create.ops != null) result.phases.sg_rule_create.rules_created = ruleIds.length;
    } catch (e) {
      result.phases.sg_rule_create = asPhaseFailure(e);
    }
  }
  log(`sg_rule_create: ${JSON.stringify(result.phases.sg_rule_create).slice(0, 200)}`);

  // ---------------------------------------------------------------- floating IPs
  const fipMissing = ['/routers', '/floatingips'].find((p) => missing(result.probes[p]));
  if (fipMissing) {
    result.phases.fip_create_associate = { unavailable: true, status: result.probes[fipMissing], reason: `GET /v2.0${fipMissing} answered ${result.probes[fipMissing]}` };
  } else {
    try {
      const ext = await must('external network', 'POST', '/networks', { network: { name: `apiops-ext-${tag}`, 'router:external': true, project_id: project } });
      const extId = ext.network.id;
      undo.push({ kind: 'net', req: ['DELETE', `/networks/${extId}`] });
      if (ext.network['router:external'] !== true) throw new SetupError('external network', { status: 0, body: 'router:external not set in the answer' });
      await must('external subnet', 'POST', '/subnets', { subnet: { network_id: extId, ip_version: 4, cidr: `198.18.${4 * r}.0/22`,
        enable_dhcp: false, name: `apiops-ext-sub-${tag}`, project_id: project } });
      const net = await must('internal network', 'POST', '/networks', { network: { name: `apiops-int-${tag}`, project_id: project } });
      const netId = net.network.id;
      undo.push({ kind: 'net', req: ['DELETE', `/networks/${netId}`] });
      const sub = await must('internal subnet', 'POST', '/subnets', { subnet: { network_id: netId, ip_version: 4,
        cidr: `192.168.${4 * r}.0/22`, name: `apiops-int-sub-${tag}`, project_id: project } });
      const subId = sub.subnet.id;
      const rt = await must('router with gateway', 'POST', '/routers', { router: { name: `apiops-r-${tag}`,
        external_gateway_info: { network_id: extId }, project_id: project } });
      const rid = rt.router.id;
      undo.push({ kind: 'router', req: ['DELETE', `/routers/${rid}`] });
      await must('router interface', 'PUT', `/routers/${rid}/add_router_interface`, { subnet_id: subId });
      undo.push({ kind: 'router-if', req: ['PUT', `/routers/${rid}/remove_router_interface`, { subnet_id: subId }] });
      const t0 = performance.now();
      const ports = await pool(Array.from({ length: FIPS }, (_, i) => i), async (i) => {
        const p = await must(`port ${i}`, 'POST', '/ports', { port: { network_id: netId, name: `apiops-p-${tag}-${i}`, project_id: project } });
        undo.push({ kind: 'port', req: ['DELETE', `/ports/${p.port.id}`] });
        return p.port.id;
      });
      log(`fip setup: ${setup.requests} requests (${FIPS} ports in ${r2((performance.now() - t0) / 1000)} s)`);
      let fips = 0;
      result.phases.fip_create_associate = await timed(FIPS, async (i) => {
        const res = await request('POST', '/floatingips', { floatingip: { floating_network_id: extId, port_id: ports[i], project_id: project } });
        if (res.status !== 201) return { res };
        const f = res.body.floatingip;
        undo.push({ kind: 'fip', req: ['DELETE', `/floatingips/${f.id}`] });
        fips++;
        if (f.port_id !== ports[i] || f.router_id !== rid || !f.fixed_ip_address)
          return { res, error: `201 but not associated: port_id ${f.port_id}, router_id ${f.router_id}, fixed_ip_address ${f.fixed_ip_address}` };
        return { res };
      });
      if (result.phases.fip_create_associate.ops != null) result.phases.fip_create_associate.fips_created = fips;
    } catch (e) {
      result.phases.fip_create_associate = asPhaseFailure(e);
    }
  }
  log(`fip_create_associate: ${JSON.stringify(result.phases.fip_create_associate).slice(0, 200)}`);
} catch (e) {
  result.failed = String(e?.stack ?? e);
}
result.setup = { requests: setup.requests, errors: setup.errors, time_s: r2(setup.wall_ms / 1000) };

// ---------------------------------------------------------------- cleanup
// the project's default group (made lazily by the server for the ports / groups)
const dflt = await request('GET', `/security-groups?project_id=${encodeURIComponent(project)}&name=default&fields=id`);
if (dflt.status === 200) for (const g of dflt.body?.security_groups ?? []) undo.push({ kind: 'default-sg', req: ['DELETE', `/security-groups/${g.id}`] });
result.cleanup = await cleanupAll();
log(`cleanup: ${result.cleanup.requests} requests, ${result.cleanup.errors} errors in ${result.cleanup.wall_s} s`);

agent.destroy();
const out = JSON.stringify(result, null, 1);
if (a.out) fs.writeFileSync(a.out, out + '\n');
console.log(out);
const bad = result.failed || result.cleanup.errors ||
  Object.values(result.phases).some((p) => p.setup_failed || p.errors);
process.exit(bad ? 1 : 0);
