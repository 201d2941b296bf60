#!/usr/bin/env node
/**
 * nucleon-lab: a simulated multi-host cloud on one machine (src/lab/lab.ts), for trying Nucleon
 * and for the end-to-end tests. Needs root and iproute2; touches nothing outside its namespaces.
 *
 *   nucleon-lab up [--prefix lab] [--hosts hv1,hv2] [--network-node net1] [--transport rabbit]
 *                  [--transport-url rabbit://guest:guest@127.0.0.1:5672/] [--report-interval 5]
 *                  [--url http://127.0.0.1:9696] [--state-dir /run/nucleon-lab/<prefix>]
 *   nucleon-lab status [--prefix lab] [--url …]
 *   nucleon-lab down [--prefix lab]
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ProcessRunner } from '../linux/runner.js';
import { labDown, labStateDir, labStatus, labUp, preflight } from '../lab/lab.js';
import { apiClient } from '../compute/api-client.js';

const USAGE = `usage: nucleon-lab up [--prefix P] [--hosts hv1,hv2] [--network-node net1] [--transport rabbit|inproc]
                      [--transport-url URL] [--report-interval S] [--url API] [--state-dir DIR]
       nucleon-lab status [--prefix P] [--url API]
       nucleon-lab down [--prefix P] [--state-dir DIR]
`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      prefix: { type: 'string', default: 'lab' },
      hosts: { type: 'string', default: 'hv1,hv2' },
      'network-node': { type: 'string', default: 'net1' },
      transport: { type: 'string', default: 'rabbit' },
      'transport-url': { type: 'string', default: 'rabbit://guest:guest@127.0.0.1:5672/' },
      'report-interval': { type: 'string', default: '5' },
      url: { type: 'string', default: process.env.NUCLEON_URL ?? 'http://127.0.0.1:9696' },
      'state-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd] = positionals;
  if (values.help || !cmd || !['up', 'down', 'status'].includes(cmd)) {
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
  if (cmd === 'status') {
    const s = await labStatus(run, prefix, stateDir);
    if (!s.state && !s.namespaces.length) {
      say(`lab '${prefix}' is down`);
      return 1;
    }
    const known = await api.get('/v2.0/agents').then((r) => (r.status === 200 ? (r.body.agents as Array<Record<string, unknown>>) : undefined)).catch(() => undefined);
    say(`lab '${prefix}': ${s.namespaces.length} namespaces (${s.namespaces.join(', ')})`);
    for (const a of s.agents) {
      const type = { l2: 'Linux bridge agent', dhcp: 'DHCP agent', l3: 'L3 agent', metering: 'Metering agent' }[a.kind];
      const row = known?.find((k) => k.host === a.host && k.agent_type === type);
      const server = known ? (row ? (row.alive ? 'alive' : 'down') : 'not registered') : 'server not reachable';
      say(`agent ${a.kind.padEnd(8)} on ${a.host.padEnd(11)} pid ${String(a.pid).padEnd(7)} ${a.running ? 'running' : 'NOT RUNNING'}; server says: ${server}`);
    }
    return s.agents.every((a) => a.running) ? 0 : 1;
  }
  if (values.transport !== 'rabbit') {
    throw new Error("--transport inproc: the in-process bus only joins components of one process, and the lab's agents are processes of their own; use --transport rabbit");
  }
  const hosts = String(values.hosts)
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const opts = {
    prefix,
    hypervisors: hosts,
    networkNode: values['network-node'] as string,
    transportUrl: values['transport-url'] as string,
    stateDir,
    reportInterval: Number(values['report-interval']),
  };
  await preflight(opts, run);
  try {
    const state = await labUp(opts, run, say);
    const expected = state.agents.length;
    // wait (bounded) until the servers list every agent alive; not fatal when no server answers yet
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await api.get('/v2.0/agents').catch(() => undefined);
      const rows = r?.status === 200 ? (r.body.agents as Array<Record<string, unknown>>) : [];
      const up = rows.filter((a) => a.alive && state.hosts[a.host as string]).length;
      if (up >= expected) {
        say(`all ${expected} agents report to ${values.url}`);
        break;
      }
      if (Date.now() > deadline) {
        say(`only ${up} of ${expected} agents report to ${values.url} after 30 s (see the logs in ${stateDir}/logs)`);
        break;
      }
      await new Promise((res) => setTimeout(res, 500));
    }
    say(`lab '${prefix}' is up; boot VMs with: nucleon-compute --lab ${prefix} boot --host ${hosts[0]} --network NET NAME`);
    return 0;
  } catch (err) {
    process.stderr.write(`nucleon-lab: ${(err as Error).message}\nremoving what was made\n`);
    await labDown(run, prefix, stateDir, say).catch(() => undefined);
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`nucleon-lab: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
