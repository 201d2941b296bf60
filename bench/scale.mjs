#!/usr/bin/env node
/**
 * Scale phase (Node stdlib only): 1 network + 1 /16 subnet, N ports created by C concurrent clients,
 * then L single-request listings of every port (GET /v2.0/ports), then S port shows by C clients.
 * Samples the summed RSS of the server's process group (Linux /proc) every 0.25 s.
 *
 *   node bench/scale.mjs --url http://127.0.0.1:19881 [--ports 10000] [--clients 8] [--lists 5]
 *        [--shows 5000] [--project-id P] [--server-pgid PGID] [--label TEXT] [--out FILE]
 * Set --lists 0 / --shows 0 / --ports 0 to skip a step (the profile run uses that).
 * --reuse-network: don't create a network; list/show what exists (for a server restarted on a full DB).
 */
import http from 'node:http';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:19881' },
    ports: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '8' },
    lists: { type: 'string', default: '5' },
    shows: { type: 'string', default: '5000' },
    'project-id': { type: 'string', default: 'benchscale' },
    'server-pgid': { type: 'string' },
    'reuse-network': { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
    out: { type: 'string' },
  },
});
const N = Number(a.ports), C = Number(a.clients), L = Number(a.lists), S = Number(a.shows);
const project = a['project-id'];
const base = new URL(a.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: C });
const headers = { 'X-Project-Id': project, 'X-Tenant-Id': project, 'X-Roles': 'admin', Accept: 'application/json' };

function request(method, path, body) {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: '/v2.0' + path, agent, timeout: 120000,
        headers: data ? { ...headers, 'Content-Type': 'application/json', 'Content-Length': data.length } : headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const ms = performance.now() - t0; // to the last byte; JSON parsing below is not timed
          const raw = Buffer.concat(chunks);
          let parsed = null;
          try { parsed = raw.length ? JSON.parse(raw) : null; } catch { parsed = raw.toString().slice(0, 300); }
          resolve({ status: res.statusCode, body: parsed, ms, bytes: raw.length });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 599, body: `connection error: ${e.message}`, ms: performance.now() - t0, bytes: 0 }));
    if (data) req.write(data);
    req.end();
  });
}

// --- RSS of the server's process group (same method as bench.py's RssSampler)
const pgid = a['server-pgid'] ? Number(a['server-pgid']) : null;
function groupProcs() {
  const out = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      const status = fs.readFileSync(`/proc/${d}/status`, 'utf8');
      const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(d), cmd: cmd.slice(0, 80), rss_kib: kib('VmRSS'), hwm_kib: kib('VmHWM') });
    } catch { /* process went away */ }
  }
  return out;
}
const mib = (kib) => Math.round((kib / 1024) * 10) / 10;
const rssNow = () => (pgid ? mib(groupProcs().reduce((s, p) => s + p.rss_kib, 0)) : null);
let peakKib = 0;
const sampler = pgid
  ? setInterval(() => { peakKib = Math.max(peakKib, groupProcs().reduce((s, p) => s + p.rss_kib, 0)); }, 250)
  : null;

// --- statistics (same interpolation as bench.py's pct)
function pct(sorted, p) {
  if (!sorted.length) return null;
  const k = ((sorted.length - 1) * p) / 100, f = Math.floor(k), c = Math.min(f + 1, sorted.length - 1);
  return sorted[f] + (sorted[c] - sorted[f]) * (k - f);
}
const r2 = (v) => (v == null ? null : Math.round(v * 100) / 100);
function summary(lat, wallMs, errors, samples) {
  const s = [...lat].sort((x, y) => x - y);
  return { ops: s.length, errors, wall_s: r2(wallMs / 1000), ops_per_s: s.length ? r2(s.length / (wallMs / 1000)) : null,
    p50_ms: r2(pct(s, 50)), p95_ms: r2(pct(s, 95)), p99_ms: r2(pct(s, 99)), max_ms: r2(s.at(-1)),
    ...(samples.length ? { error_samples: samples } : {}) };
}
async function concurrent(count, clients, fn) {
  const lat = [], samples = [];
  let errors = 0, next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let i = next++; i < count; i = next++) {
      const r = await fn(i);
      lat.push(r.ms);
      if (r.status < 200 || r.status > 299) {
        errors++;
        if (samples.length < 5) samples.push(`${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
    }
  }));
  return { lat, errors, samples, wallMs: performance.now() - t0 };
}

const result = { tool: 'bench/scale.mjs', endpoint: a.url, label: a.label, started: new Date().toISOString(),
  params: { ports: N, clients: C, lists: L, shows: S }, steps: {}, rss_mib: {} };
let failed = null;
try {
  result.rss_mib.start = rssNow();
  let netId = null;
  // Lift the project's quotas (as bench.py does): 10,000 ports are far over the default 500.
  const q = await request('PUT', `/quotas/${project}`, { quota: { network: -1, subnet: -1, port: -1 } });
  result.quota_lifted = q.status === 200 ? true : `PUT /v2.0/quotas answered ${q.status}`;
  if (!a['reuse-network']) {
    const tag = Math.random().toString(16).slice(2, 8);
    const net = await request('POST', '/networks', { network: { name: `scale-net-${tag}`, project_id: project } });
    if (net.status !== 201) throw new Error(`network create: ${net.status} ${JSON.stringify(net.body)}`);
    netId = net.body.network.id;
    const cidr = `10.${100 + (parseInt(tag, 16) % 100)}.0.0/16`;
    const sub = await request('POST', '/subnets', { subnet: { network_id: netId, ip_version: 4, cidr, name: `scale-sub-${tag}`, project_id: project } });
    if (sub.status !== 201) throw new Error(`subnet create: ${sub.status} ${JSON.stringify(sub.body)}`);
    result.cidr = cidr;
  }
  const ids = [];
  if (N > 0) {
    const r = await concurrent(N, C, async (i) => {
      const res = await request('POST', '/ports', { port: { network_id: netId, name: `scale-p-${i}`, project_id: project } });
      if (res.status === 201) ids.push(res.body.port.id);
      return res;
    });
    result.steps.port_create_conc = summary(r.lat, r.wallMs, r.errors, r.samples);
    result.rss_mib.after_create = rssNow();
  }
  if (L > 0) {
    const times = [], counts = [];
    let bytes = 0, errors = 0, sample = null;
    for (let i = 0; i < L; i++) {
      const res = await request('GET', '/ports');
      times.push(r2(res.ms));
      if (res.status !== 200) { errors++; sample ??= `${res.status} ${JSON.stringify(res.body).slice(0, 300)}`; continue; }
      counts.push(res.body.ports.length);
      bytes = res.bytes;
      if (!ids.length) ids.push(...res.body.ports.map((p) => p.id));
    }
    const s = [...times].sort((x, y) => x - y);
    result.steps.port_list_all = { requests: L, errors, ports_returned: counts, bytes, times_ms: times,
      median_ms: r2(pct(s, 50)), min_ms: s[0], max_ms: s.at(-1), ...(sample ? { error_sample: sample } : {}) };
    result.rss_mib.after_list = rssNow();
  }
  if (S > 0 && ids.length) {
    const r = await concurrent(S, C, (i) => request('GET', `/ports/${ids[i % ids.length]}`));
    result.steps.port_show_conc = summary(r.lat, r.wallMs, r.errors, r.samples);
    result.rss_mib.after_show = rssNow();
  }
} catch (e) {
  failed = String(e?.message ?? e);
}
result.failed = failed;
if (sampler) {
  clearInterval(sampler);
  peakKib = Math.max(peakKib, groupProcs().reduce((s, p) => s + p.rss_kib, 0));
  const ps = groupProcs();
  result.server = { pgid, processes: ps.length, peak_total_rss_mib_sampled: mib(peakKib),
    sum_of_per_process_peak_rss_mib: mib(ps.reduce((s, p) => s + p.hwm_kib, 0)),
    per_process: ps.map((p) => ({ pid: p.pid, cmd: p.cmd.slice(0, 60), rss_mib: mib(p.rss_kib), peak_rss_mib: mib(p.hwm_kib) })) };
}
agent.destroy();
const out = JSON.stringify(result, null, 1);
if (a.out) fs.writeFileSync(a.out, out + '\n');
console.log(out);
const errs = Object.values(result.steps).reduce((s, x) => s + (x.errors ?? 0), 0);
process.exit(failed || errs ? 1 : 0);
