#!/usr/bin/env node
/**
 * nucleon-lab: a simulated multi-host cloud on one machine (src/lab/lab.ts), for trying Nucleon
 * and for the end-to-end tests. Needs root and iproute2; touches nothing outside its namespaces.
 *
 *   nucleon-lab up [--prefix lab] [--hosts hv1,hv2] [--network-nodes net1[,net2…]] [--transport rabbit|inproc]
 *                  [--transport-url rabbit://guest:guest@127.0.0.1:5672/] [--report-interval 5]
 *                  [--url http://127.0.0.1:9696] [--state-dir /run/nucleon-lab/<prefix>]
 *   (--network-node NAME is the one-node spelling of --network-nodes; --transport inproc: no broker;
 *    this process also runs a server on --url, SQLite under the state directory, with every host's
 *    agents, until Ctrl-C or `nucleon-lab down`)
 *   nucleon-lab status [--prefix lab] [--url …]
 *   nucleon-lab host-down --host net1 [--prefix lab]   (a crash: agents and the host's daemons killed, links down)
 *   nucleon-lab host-up --host net1 [--prefix lab] [--url …]
 *   nucleon-lab down [--prefix lab]
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ProcessRunner } from '../linux/runner.js';
import fs from 'node:fs';
import path from 'node:path';
import { labDown, labStateDir, labStatus, labUp, parseHostList, parseNetworkNodes, preflight, saveLab, type LabState } from '../lab/lab.js';
import { hostDown, hostUp } from '../lab/host-failure.js';
import { runLabInProcess } from '../lab/inproc.js';
import { apiClient, type ApiClient } from '../compute/api-client.js';

const USAGE = `usage: nucleon-lab up [--prefix P] [--hosts hv1,hv2] [--network-nodes net1,net2] [--transport rabbit|inproc]
                      [--transport-url URL] [--report-interval S] [--url API] [--state-dir DIR]
       nucleon-lab status [--prefix P] [--url API]
       nucleon-lab host-down --host H [--prefix P] [--state-dir DIR]
       nucleon-lab host-up --host H [--prefix P] [--url API] [--state-dir DIR]
       nucleon-lab down [--prefix P] [--state-dir DIR]
`;

const COMMANDS = ['up', 'down', 'status', 'host-down', 'host-up'];

/** Waits (bounded) until the servers list the agents of `hosts` alive; says how many do. Not fatal when no server answers. */
async function waitForAgents(api: ApiClient, url: string, state: LabState, hosts: string[], say: (l: string) => void): Promise<void> {
  const expected = state.agents.filter((a) => hosts.includes(a.host)).length;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await api.get('/v2.0/agents').catch(() => undefined);
    const rows = r?.status === 200 ? (r.body.agents as Array<Record<string, unknown>>) : [];
    const up = rows.filter((a) => a.alive && hosts.includes(a.host as string)).length;
    if (up >= expected) {
      say(`all ${expected} agents report to ${url}`);
      return;
    }
    if (Date.now() > deadline) {
      say(`only ${up} of ${expected} agents report to ${url} after 30 s (see the logs in ${state.stateDir}/logs)`);
      return;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prefix: { type: 'string', default: 'lab' },
      hosts: { type: 'string', default: 'hv1,hv2' },
      'network-node': { type: 'string' },
      'network-nodes': { type: 'string' },
      host: { type: 'string' },
      transport: { type: 'string', default: 'rabbit' },
      'transport-url': { type: 'string', default: 'rabbit://guest:guest@127.0.0.1:5672/' },
      'report-interval': { type: 'string', default: '5' },
      url: { type: 'string', default: process.env.NUCLEON_URL ?? 'http://127.0.0.1:9696' },
      'state-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd] = positionals;
  if (values.help || !cmd || !COMMANDS.includes(cmd)) {
    process.stderr.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (process.getuid?.() !== 0) throw new Error('nucleon-lab needs root (it makes network namespaces)');
  const prefix = values.prefix as string;
  const stateDir = values['state-dir'] ?? labStateDir(prefix);
  const run = new ProcessRunner(pino({ level: process.env.NUCLEON_LAB_LOG ?? 'warn' }));
  const say = (l: string) => process.stdout.write(`${l}\n`);
  if (cmd === 'down') {
    await labDown(run, prefix, stateDir, say);
    return 0;
  }
  const api = apiClient({ url: values.url as string });
  if (cmd === 'host-down' || cmd === 'host-up') {
    if (!values.host) throw new Error(`${cmd} needs --host`);
    if (cmd === 'host-down') {
      await hostDown(run, prefix, stateDir, values.host, say);
      return 0;
    }
    const state = await hostUp(run, prefix, stateDir, values.host, say);
    await waitForAgents(api, values.url as string, state, [values.host], say);
    return 0;
  }
  if (cmd === 'status') {
    const s = await labStatus(run, prefix, stateDir);
    if (!s.state && !s.namespaces.length) {
      say(`lab '${prefix}' is down`);
      return 1;
    }
    const known = await api.get('/v2.0/agents').then((r) => (r.status === 200 ? (r.body.agents as Array<Record<string, unknown>>) : undefined)).catch(() => undefined);
    say(`lab '${prefix}': ${s.namespaces.length} namespaces (${s.namespaces.join(', ')})`);
    if (s.state) {
      for (const [name, h] of Object.entries(s.state.hosts)) say(`host ${name.padEnd(11)} ${h.role.padEnd(7)} ${h.namespace}, underlay ${h.underlayIp}${h.down ? ', DOWN (nucleon-lab host-up)' : ''}`);
      const o = s.state.outside;
      say(`outside world: ${o.namespace}, ${o.bridge} ${o.ip} ${o.ip6}`);
    }
    for (const a of s.agents) {
      const type = { l2: 'Linux bridge agent', dhcp: 'DHCP agent', l3: 'L3 agent', metering: 'Metering agent' }[a.kind];
      const row = known?.find((k) => k.host === a.host && k.agent_type === type);
      const server = known ? (row ? (row.alive ? 'alive' : 'down') : 'not registered') : 'server not reachable';
      say(`agent ${a.kind.padEnd(8)} on ${a.host.padEnd(11)} pid ${String(a.pid).padEnd(7)} ${a.running ? 'running' : 'NOT RUNNING'}; server says: ${server}`);
    }
    return s.agents.every((a) => a.running) ? 0 : 1;
  }
  if (values.transport !== 'rabbit' && values.transport !== 'inproc') throw new Error(`--transport ${values.transport}: rabbit or inproc`);
  const inproc = values.transport === 'inproc';
  const hosts = parseHostList(String(values.hosts));
  const opts = {
    prefix,
    hypervisors: hosts,
    networkNodes: parseNetworkNodes(values['network-node'], values['network-nodes']),
    transportUrl: inproc ? 'inproc://' : (values['transport-url'] as string),
    stateDir,
    reportInterval: Number(values['report-interval']),
  };
  await preflight(opts, run);
  if (inproc) return upInProcess(opts, run, say, new URL(values.url as string));
  try {
    const state = await labUp(opts, run, say);
    await waitForAgents(api, values.url as string, state, Object.keys(state.hosts), say);
    say(`lab '${prefix}' is up; boot VMs with: nucleon-compute --lab ${prefix} boot --host ${hosts[0]} --network NET NAME`);
    return 0;
  } catch (err) {
    process.stderr.write(`nucleon-lab: ${(err as Error).message}\nremoving what was made\n`);
    await labDown(run, prefix, stateDir, say).catch(() => undefined);
    return 1;
  }
}

/** The lab, a server and all its agents in this process, until a signal takes it all down. */
async function upInProcess(opts: Parameters<typeof labUp>[0], run: ProcessRunner, say: (l: string) => void, url: URL): Promise<number> {
  const state = await labUp(opts, run, say);
  fs.mkdirSync(path.join(opts.stateDir, 'logs'), { recursive: true });
  const logger = pino({ level: 'info' }, pino.destination({ dest: path.join(opts.stateDir, 'logs', 'lab.log'), sync: false }));
  let lab: Awaited<ReturnType<typeof runLabInProcess>>;
  try {
    lab = await runLabInProcess(state, { host: url.hostname, port: Number(url.port || 9696) }, logger);
  } catch (err) {
    process.stderr.write(`nucleon-lab: ${(err as Error).message}\nremoving what was made\n`);
    await labDown(run, opts.prefix, opts.stateDir, say).catch(() => undefined);
    return 1;
  }
  saveLab(state);
  say(`server on ${url.origin} with ${state.agents.length} agents in this process (logs: ${opts.stateDir}/logs/lab.log)`);
  say(`lab '${opts.prefix}' is up; boot VMs with: nucleon-compute --lab ${opts.prefix} --url ${url.origin} boot --host ${opts.hypervisors[0]} --network NET NAME`);
  say('Ctrl-C (or nucleon-lab down) takes it down');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await lab.stop();
  logger.flush();
  await labDown(run, opts.prefix, opts.stateDir, say);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nucleon-lab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
