/**
 * Datapath convergence (issue 6's target: p50 < 500 ms): how long from "boot a VM" (the port is
 * created through the API) until the VM holds its DHCP lease and answers a ping from a VM on the
 * other hypervisor. A nucleon-server process (SQLite) and a nucleon-lab (two hypervisors and a
 * network node; agents over RabbitMQ in a virtual host of this run), then N VMs booted one after
 * the other, alternating hosts, each timed. Needs root and RabbitMQ. Writes
 * bench/results/convergence.json.
 *
 *   node --import tsx bench/convergence.ts [--vms 20]
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ProcessRunner } from '../src/linux/runner.js';
import { labDown, labStateDir, labUp } from '../src/lab/lab.js';
import { apiClient } from '../src/compute/api-client.js';
import { Compute } from '../src/compute/compute.js';

const { values } = parseArgs({ options: { vms: { type: 'string', default: '20' }, out: { type: 'string', default: path.join(import.meta.dirname, 'results', 'convergence.json') } } });
const N = Number(values.vms);
const ROOT = path.resolve(import.meta.dirname, '..');
const PREFIX = `cv${randomBytes(2).toString('hex')}`;
const VHOST = `nucleon-bench-${PREFIX}`;
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
const port = await new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as net.AddressInfo).port;
    s.close(() => resolve(p));
  });
});
const state = fs.mkdtempSync('/tmp/nucleon-convergence-');
sh('rabbitmqctl', '-q', 'add_vhost', VHOST);
sh('rabbitmqctl', '-q', 'set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*');
const transportUrl = `rabbit://guest:guest@127.0.0.1:5672/${VHOST}`;
const server = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/nucleon-server.ts')], {
  env: {
    ...process.env,
    NUCLEON_DEFAULT__BIND_PORT: String(port),
    NUCLEON_DEFAULT__STATE_PATH: state,
    NUCLEON_DEFAULT__TRANSPORT_URL: transportUrl,
    NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS: 'false',
  },
  stdio: ['ignore', fs.openSync(path.join(state, 'server.log'), 'a'), 'inherit'],
});
const url = `http://127.0.0.1:${port}`;
const api = apiClient({ url });
const run = new ProcessRunner(pino({ level: 'warn' }), 60_000);
const result: Record<string, unknown> = { tool: 'bench/convergence.ts', started: new Date().toISOString(), vms: N };
try {
  for (let i = 0; ; i++) {
    if (await api.get('/v2.0/networks').then((r) => r.status === 200, () => false)) break;
    if (i > 150) throw new Error('nucleon-server did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  const lab = await labUp({ prefix: PREFIX, hypervisors: ['hv1', 'hv2'], networkNodes: ['net1'], transportUrl, stateDir: labStateDir(PREFIX), reportInterval: 2 }, run, () => {});
  for (let i = 0; ; i++) {
    const agents = (await api.get('/v2.0/agents')).body.agents as Array<{ alive: boolean }>;
    if (agents.filter((a) => a.alive).length === lab.agents.length) break;
    if (i > 150) throw new Error('agents did not register');
    await new Promise((r) => setTimeout(r, 200));
  }
  const compute = new Compute(api, run, lab);
  const netw = (await api.post('/v2.0/networks', { network: { name: 'bench' } })).body.network;
  await api.post('/v2.0/subnets', { subnet: { network_id: netw.id, cidr: '10.99.0.0/24', ip_version: 4 } });
  // the first VM also brings up the network's DHCP namespace and dnsmasq: timed apart
  let t0 = performance.now();
  const first = await compute.boot({ name: 'anchor', host: 'hv1', network: netw.id, securityGroups: [], timeoutMs: 60_000 });
  result.first_vm_ms = Math.round(performance.now() - t0);
  const anchorIp = first.port.fixed_ips[0].ip_address as string;
  const times: number[] = [];
  for (let i = 0; i < N; i++) {
    const host = i % 2 ? 'hv1' : 'hv2';
    t0 = performance.now();
    const vm = await compute.boot({ name: `vm${i}`, host, network: netw.id, securityGroups: [], timeoutMs: 60_000 });
    // reachable: one ping from the anchor VM (on hv1) answered
    for (let k = 0; ; k++) {
      const ok = await run.run(['ip', 'netns', 'exec', vm.record.namespace, 'ping', '-c', '1', '-W', '1', anchorIp], { read: true }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (k > 20) throw new Error(`vm${i} never reached the anchor`);
    }
    times.push(performance.now() - t0);
  }
  result.convergence_ms = { p50: Math.round(pct(times, 50)), p95: Math.round(pct(times, 95)), max: Math.round(Math.max(...times)), all: times.map(Math.round) };
  result.target = { p50_ms_below: 500, met: pct(times, 50) < 500 };
  for (const r of compute.records()) await compute.delete(r.name);
} finally {
  await labDown(run, PREFIX, labStateDir(PREFIX), () => {}).catch((err) => process.stderr.write(`lab down: ${err}\n`));
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  sh('rabbitmqctl', '-q', 'delete_vhost', VHOST);
  fs.rmSync(state, { recursive: true, force: true });
}
fs.mkdirSync(path.dirname(values.out as string), { recursive: true });
fs.writeFileSync(values.out as string, `${JSON.stringify(result, null, 1)}\n`);
process.stdout.write(`${JSON.stringify(result)}\n`);
