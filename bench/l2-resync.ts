/**
 * Full resync of a Linux bridge agent with N ports on its host (issue 6's target: 500 ports < 10 s).
 * A server in this process (SQLite, in-process bus), one host namespace with N taps already
 * plugged (veth pairs whose other ends sit in one "VMs" namespace), N ports bound to that host on
 * one VXLAN network. Measured, with the agent's notifications stopped: its first full sync on a host
 * that has only the taps (bridge, VXLAN device, N taps joined and filtered by their security
 * groups, N ports reported up), a second one with nothing to do, and one after the bridge, the
 * VXLAN device and the nftables rules were deleted behind its back. Needs root. Writes bench/results/l2-resync.json.
 *
 *   node --import tsx bench/l2-resync.ts [--ports 500]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { L2Driver } from '../src/agents/drivers.js';
import { AgentRuntime } from '../src/agents/agent-runtime.js';
import { ProcessRunner } from '../src/linux/runner.js';
import { tapName } from '../src/agents/l2/plan.js';

const { values } = parseArgs({ options: { ports: { type: 'string', default: '500' }, out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'l2-resync.json') } } });
const N = Number(values.ports);
const PREFIX = `nb${randomBytes(2).toString('hex')}`;
const HOST = `${PREFIX}-hv`;
const VMS = `${PREFIX}-vms`;
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const batch = (ns: string, lines: string[]) => execFileSync('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });

if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
const state = fs.mkdtempSync('/tmp/nucleon-l2-resync-');
const logger = pino({ level: 'warn' });
const app = await createApp(loadConfig([], { NUCLEON_DEFAULT__STATE_PATH: state, NUCLEON_QUOTAS__QUOTA_PORT: '-1' }), { logger });
await app.server.ready();
const inject = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
  const r = await app.server.inject({ method, url, payload: payload as object });
  if (r.statusCode >= 300) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json();
};
const result: Record<string, unknown> = { tool: 'bench/l2-resync.ts', started: new Date().toISOString(), ports: N };
try {
  for (const ns of [HOST, VMS]) sh('ip', 'netns', 'add', ns);
  const config = loadConfig([], { NUCLEON_DEFAULT__HOST: HOST, NUCLEON_AGENT__REPORT_INTERVAL: '3600' });
  const driver = new L2Driver(app.transport, HOST, logger, { runner: new ProcessRunner(logger), netns: HOST, localIp: '198.18.0.1' });
  const runtime = new AgentRuntime({ config, transport: app.transport, driver, logger });
  await runtime.start(); // registers the agent: binding needs a live one
  const net = (await inject('POST', '/v2.0/networks', { network: { name: 'bench' } })).network;
  await inject('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.128.0.0/16', ip_version: 4, enable_dhcp: false } });
  const ids: string[] = [];
  for (let i = 0; i < N; i += 100) {
    const items = Array.from({ length: Math.min(100, N - i) }, () => ({ network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova' }));
    ids.push(...(await inject('POST', '/v2.0/ports', { ports: items })).ports.map((p: { id: string }) => p.id));
  }
  // the agent goes away (its notifications' syncs finish first), and the host is left with nothing of its
  await runtime.stop();
  // the host loses what the agent made: bridge, VXLAN device, security group rules (in the bench's namespace only)
  const wipe = () => {
    for (const dev of [`brq${net.id.slice(0, 11)}`, `vxlan-${net['provider:segmentation_id']}`]) {
      try {
        sh('ip', '-n', HOST, 'link', 'del', dev);
      } catch {
        /* not there */
      }
    }
    sh('ip', 'netns', 'exec', HOST, 'nft', 'flush', 'ruleset');
  };
  wipe();
  // every tap plugged at once (ip -batch), peers in the VMs namespace
  batch(HOST, ids.flatMap((id, i) => [`link add ${tapName(id)} type veth peer name e${i} netns ${VMS}`, `link set ${tapName(id)} up`]));
  const timed = async (what: string) => {
    const t0 = process.hrtime.bigint();
    await driver.fullSync();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    result[what] = { ms: Math.round(ms), commands: driver.lastCommands };
    process.stderr.write(`${what}: ${Math.round(ms)} ms, ${driver.lastCommands} commands\n`);
  };
  await timed('first_sync');
  const active = (await inject('GET', `/v2.0/ports?network_id=${net.id}&status=ACTIVE&fields=id`)).ports.length;
  result.active_after_first_sync = active;
  await timed('idle_sync');
  // the host loses its state again (taps stay plugged): the agent rebuilds it
  wipe();
  await timed('rebuild_sync');
  result.target = { first_sync_ms_below: 10_000, met: (result.first_sync as { ms: number }).ms < 10_000 && active === N };
} finally {
  for (const ns of [VMS, HOST]) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      /* not made */
    }
  }
  await app.close();
  fs.rmSync(state, { recursive: true, force: true });
}
fs.mkdirSync(path.dirname(values.out as string), { recursive: true });
fs.writeFileSync(values.out as string, `${JSON.stringify(result, null, 1)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
