/**
 * Full resync of an L3 agent with N routers on its host (issue 12's target: 200 routers, each with
 * a gateway, two interfaces and two floating IPs, < 10 s from nothing). A server in this process
 * (SQLite, in-process bus), one host namespace, N routers scheduled to that host's L3 agent.
 * Measured, with the agent's notifications stopped: its first full sync on a host that has none
 * of it (N namespaces, 3N veths, addresses, routes, N NAT tables, 2N floating IPs reported ACTIVE),
 * a second one with nothing to do, and one after a quarter of the namespaces were deleted behind
 * its back. Needs root. Writes bench/results/l3-resync.json.
 *
 *   node --import tsx bench/l3-resync.ts [--routers 200]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { L3Driver } from '../src/agents/drivers.js';
import { AgentRuntime } from '../src/agents/agent-runtime.js';
import { l3Layout } from '../src/agents/l3/l3-agent.js';
import { ShellRunner } from '../src/linux/shell-runner.js';

const { values } = parseArgs({ options: { routers: { type: 'string', default: '200' }, out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'l3-resync.json') } } });
const N = Number(values.routers);
const PREFIX = `nc${randomBytes(2).toString('hex')}`;
const HOST = `${PREFIX}-net`;
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const ours = () => sh('ip', 'netns', 'list').split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${PREFIX}-`));

if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
const state = fs.mkdtempSync('/tmp/nucleon-l3-resync-');
const logger = pino({ level: 'warn' });
const unlimited = Object.fromEntries(['NETWORK', 'SUBNET', 'PORT', 'ROUTER', 'FLOATINGIP'].map((q) => [`NUCLEON_QUOTAS__QUOTA_${q}`, '-1']));
const app = await createApp(loadConfig([], { NUCLEON_DEFAULT__STATE_PATH: state, ...unlimited }), { logger });
await app.server.ready();
const inject = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
  const r = await app.server.inject({ method, url, payload: payload as object });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
};
const result: Record<string, unknown> = { tool: 'bench/l3-resync.ts', started: new Date().toISOString(), routers: N };
try {
  sh('ip', 'netns', 'add', HOST);
  const config = loadConfig([], { NUCLEON_DEFAULT__HOST: HOST, NUCLEON_DEFAULT__STATE_PATH: state, NUCLEON_AGENT__REPORT_INTERVAL: '3600', NUCLEON_AGENT__NAMESPACE_PREFIX: `${PREFIX}-` });
  const driver = new L3Driver(app.transport, HOST, logger, { runner: new ShellRunner(logger), netns: HOST, layout: l3Layout(config) });
  const runtime = new AgentRuntime({ config, transport: app.transport, driver, logger });
  await runtime.start(); // registers the agent: routers are scheduled to a live one
  const pub = (await inject('POST', '/v2.0/networks', { network: { name: 'public', 'router:external': true } })).network;
  await inject('POST', '/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '100.64.0.0/16', ip_version: 4, gateway_ip: '100.64.0.1', enable_dhcp: false } });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const router = (await inject('POST', '/v2.0/routers', { router: { name: `r${i}`, external_gateway_info: { network_id: pub.id } } })).router;
    for (let k = 0; k < 2; k++) {
      const net = (await inject('POST', '/v2.0/networks', { network: { name: `r${i}-n${k}` } })).network;
      const sub = (await inject('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: `10.${(i >> 7) + 2 * k * 2}.${(i & 127) * 2}.0/23`, ip_version: 4, enable_dhcp: false } })).subnet;
      await inject('PUT', `/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
      if (k === 0) {
        for (let f = 0; f < 2; f++) {
          const port = (await inject('POST', '/v2.0/ports', { port: { network_id: net.id } })).port;
          await inject('POST', '/v2.0/floatingips', { floatingip: { floating_network_id: pub.id, port_id: port.id } });
        }
      }
    }
  }
  result.setup_ms = Math.round(performance.now() - t0);
  // the agent goes away (its notifications' passes end first), and the host has nothing of it
  await runtime.stop();
  for (const ns of ours()) if (ns !== HOST) sh('ip', 'netns', 'del', ns);
  const timed = async (what: string) => {
    const t = process.hrtime.bigint();
    await driver.fullSync();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    result[what] = { ms: Math.round(ms), commands: driver.lastCommands };
    process.stderr.write(`${what}: ${Math.round(ms)} ms, ${driver.lastCommands} commands\n`);
  };
  await timed('first_sync');
  result.namespaces = ours().length - 1;
  const fips = (await inject('GET', '/v2.0/floatingips')).floatingips as Array<{ status: string }>;
  result.floating_ips_active = fips.filter((f) => f.status === 'ACTIVE').length;
  result.floating_ips = fips.length;
  await timed('idle_sync');
  const victims = ours().filter((n) => n !== HOST).slice(0, Math.ceil(N / 4));
  for (const ns of victims) sh('ip', 'netns', 'del', ns);
  await timed('rebuild_quarter');
  result.target = { ms_below: 10_000, met: (result.first_sync as { ms: number }).ms < 10_000 };
} finally {
  for (const ns of ours()) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      /* gone */
    }
  }
  await app.close();
  fs.rmSync(state, { recursive: true, force: true });
}
fs.mkdirSync(path.dirname(values.out as string), { recursive: true });
fs.writeFileSync(values.out as string, `${JSON.stringify(result, null, 1)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
