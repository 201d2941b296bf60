/**
 * nucleon-lab: a multi-host cloud simulated on one machine. Every "host" is a network namespace
 * (`<prefix>-hv1`, `<prefix>-net1`), joined to the others through an underlay bridge that lives in
 * a namespace of its own (`<prefix>-underlay`, 198.18.0.0/24, the benchmarking range); the network
 * node also has a link (`ext0`) to `<prefix>-outside`, a namespace that plays the outside world
 * (203.0.113.1/24), mapped as the flat physical network `public`. Agents run as processes of the machine that act inside their host's namespace
 * (`[agent] host_namespace`), so that they reach the servers and RabbitMQ on the machine's loopback;
 * the namespaces they make themselves (`qdhcp-…`) carry the host's prefix. Nothing is made in, or
 * changed about, the machine's own namespace.
 *
 * Everything the lab makes is named from its prefix, so `down` removes it all from the names
 * alone, also after a crash that lost `lab.json`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandRunner } from '../linux/runner.js';

export interface LabOptions {
  prefix: string;
  hypervisors: string[];
  networkNode: string;
  /** `rabbit://…`: agents are processes of their own; `inproc://`: the caller runs them (and a server) in its own process. */
  transportUrl: string;
  stateDir: string;
  reportInterval: number;
}

export interface LabAgent {
  host: string;
  kind: 'l2' | 'dhcp' | 'l3' | 'metering';
  pid: number;
  config: string;
  log: string;
}

export interface LabState {
  prefix: string;
  stateDir: string;
  transportUrl: string;
  /** host name (the API's `binding:host_id`) → its namespace, underlay address */
  hosts: Record<string, { namespace: string; underlayIp: string; role: 'compute' | 'network' }>;
  agents: LabAgent[];
  outside: { namespace: string; ip: string };
}

export const PREFIX_RE = /^[a-z][a-z0-9]{0,9}$/;
const HOST_RE = /^[a-z][a-z0-9]{0,10}$/;

export const labStateDir = (prefix: string) => `/run/nucleon-lab/${prefix}`;
export const hostNamespace = (prefix: string, host: string) => `${prefix}-${host}`;
export const vmNamespace = (prefix: string, vm: string) => `${prefix}-vm-${vm}`;

export function saveLab(state: LabState): void {
  fs.writeFileSync(path.join(state.stateDir, 'lab.json'), `${JSON.stringify(state, null, 2)}\n`);
}

export function readLab(prefix: string, stateDir = labStateDir(prefix)): LabState | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, 'lab.json'), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** Validates the options; throws a message fit for the user. */
export function checkOptions(o: LabOptions): void {
  if (!PREFIX_RE.test(o.prefix)) throw new Error(`--prefix '${o.prefix}': 1-10 lower-case letters and digits, starting with a letter`);
  const all = [...o.hypervisors, o.networkNode];
  for (const h of all) if (!HOST_RE.test(h)) throw new Error(`host '${h}': 1-11 lower-case letters and digits, starting with a letter`);
  if (new Set(all).size !== all.length) throw new Error('host names must differ');
  if (all.length > 200) throw new Error('at most 200 hosts');
  if (!/^(rabbit:\/\/|inproc:\/\/$)/.test(o.transportUrl)) throw new Error(`transport '${o.transportUrl}': rabbit://… (agents as processes) or inproc:// (one process)`);
}

/** The agent entry point beside this module (`.ts` under tsx, `.js` when compiled), and how to run it. */
function agentCommand(): string[] {
  const here = fileURLToPath(import.meta.url);
  const ext = path.extname(here);
  return [process.execPath, ...process.execArgv, path.join(path.dirname(here), '..', 'cli', `nucleon-agent${ext}`)];
}

function agentConfig(o: LabOptions, host: string, ip: string, role: 'compute' | 'network'): string {
  return [
    '[DEFAULT]',
    `host = ${host}`,
    `transport_url = ${o.transportUrl}`,
    `state_path = ${path.join(o.stateDir, host)}`,
    '',
    '[agent]',
    'datapath = true',
    `host_namespace = ${hostNamespace(o.prefix, host)}`,
    `namespace_prefix = ${hostNamespace(o.prefix, host)}-`,
    `report_interval = ${o.reportInterval}`,
    '',
    '[vxlan]',
    `local_ip = ${ip}`,
    '',
    // the network node reaches the outside world through ext0: the flat physical network `public`
    ...(role === 'network' ? ['[linux_bridge]', 'physical_interface_mappings = public:ext0', ''] : []),
  ].join('\n');
}

/** The agents each host gets: all four on the network node, the L2 agent on a hypervisor. */
export const agentKinds = (role: 'compute' | 'network'): LabAgent['kind'][] => (role === 'network' ? ['l2', 'dhcp', 'l3', 'metering'] : ['l2']);

/** Where a lab host's agent configuration is. */
export const hostConfigPath = (stateDir: string, host: string) => path.join(stateDir, `${host}.ini`);

/** Starts one agent process of a lab host, detached, logging to the lab's state directory. */
export function startAgent(o: Pick<LabOptions, 'stateDir'>, host: string, kind: LabAgent['kind'], config: string): LabAgent {
  const log = path.join(o.stateDir, 'logs', `${host}-${kind}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const fd = fs.openSync(log, 'a');
  const [cmd, ...args] = agentCommand();
  const child = spawn(cmd, [...args, kind, '--config-file', config], { detached: true, stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  child.unref();
  return { host, kind, pid: child.pid as number, config, log };
}

/** What must hold before anything is made: valid options, and no lab of this prefix around. */
export async function preflight(o: LabOptions, run: CommandRunner): Promise<void> {
  checkOptions(o);
  if (readLab(o.prefix, o.stateDir)) throw new Error(`lab '${o.prefix}' is already up (nucleon-lab down --prefix ${o.prefix} first)`);
  const existing = await labNamespaces(run, o.prefix);
  if (existing.length) throw new Error(`namespaces of lab '${o.prefix}' exist already (${existing.join(', ')}): nucleon-lab down --prefix ${o.prefix}`);
}

/** Builds the hosts, the underlay and the outside world, and starts the agents. */
export async function labUp(o: LabOptions, run: CommandRunner, say: (line: string) => void): Promise<LabState> {
  await preflight(o, run);
  fs.mkdirSync(o.stateDir, { recursive: true });
  const underlay = `${o.prefix}-underlay`;
  const state: LabState = { prefix: o.prefix, stateDir: o.stateDir, transportUrl: o.transportUrl, hosts: {}, agents: [], outside: { namespace: `${o.prefix}-outside`, ip: '203.0.113.1/24' } };
  const save = () => saveLab(state);
  save();
  await run.run(['ip', 'netns', 'add', underlay]);
  await run.run(['ip', '-n', underlay, 'link', 'add', 'br-ul', 'type', 'bridge']);
  await run.run(['ip', '-n', underlay, 'link', 'set', 'br-ul', 'up']);
  say(`underlay: namespace ${underlay}, bridge br-ul, 198.18.0.0/24`);
  const hosts: Array<[string, 'compute' | 'network']> = [...o.hypervisors.map((h) => [h, 'compute'] as [string, 'compute']), [o.networkNode, 'network']];
  for (const [i, [host, role]] of hosts.entries()) {
    const ns = hostNamespace(o.prefix, host);
    const ip = `198.18.0.${i + 1}`;
    await run.run(['ip', 'netns', 'add', ns]);
    await run.run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    await run.run(['ip', 'link', 'add', 'ul0', 'netns', ns, 'type', 'veth', 'peer', 'name', `ul-${host}`, 'netns', underlay]);
    await run.run(['ip', '-n', underlay, 'link', 'set', `ul-${host}`, 'master', 'br-ul', 'up']);
    await run.run(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'ul0']);
    await run.run(['ip', '-n', ns, 'link', 'set', 'ul0', 'up']);
    state.hosts[host] = { namespace: ns, underlayIp: ip, role };
    save();
    say(`host ${host} (${role}): namespace ${ns}, underlay ${ip}`);
  }
  const out = state.outside.namespace;
  const net = hostNamespace(o.prefix, o.networkNode);
  await run.run(['ip', 'netns', 'add', out]);
  await run.run(['ip', '-n', out, 'link', 'set', 'lo', 'up']);
  await run.run(['ip', 'link', 'add', 'ex0', 'netns', out, 'type', 'veth', 'peer', 'name', 'ext0', 'netns', net]);
  await run.run(['ip', '-n', out, 'addr', 'add', state.outside.ip, 'dev', 'ex0']);
  await run.run(['ip', '-n', out, 'link', 'set', 'ex0', 'up']);
  await run.run(['ip', '-n', net, 'link', 'set', 'ext0', 'up']);
  say(`outside world: namespace ${out} (${state.outside.ip}), linked to ${o.networkNode} as ext0`);
  for (const [host, role] of hosts) {
    const conf = hostConfigPath(o.stateDir, host);
    fs.writeFileSync(conf, agentConfig(o, host, state.hosts[host].underlayIp, role));
    if (o.transportUrl === 'inproc://') continue; // the caller runs them
    for (const kind of agentKinds(role)) {
      const agent = startAgent(o, host, kind, conf);
      state.agents.push(agent);
      save();
      say(`agent ${kind} on ${host}: pid ${agent.pid}, log ${agent.log}`);
    }
  }
  return state;
}

/** The namespaces whose names say they belong to lab `prefix`. */
export async function labNamespaces(run: CommandRunner, prefix: string): Promise<string[]> {
  const out = await run.run(['ip', '-j', 'netns', 'list'], { read: true });
  const list = (JSON.parse(out.trim() || '[]') as Array<{ name: string }>).map((n) => n.name);
  return list.filter((n) => n.startsWith(`${prefix}-`)).sort();
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Agents and dnsmasq processes whose command line mentions `needle` (the lab's state directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(needle) && /nucleon-agent|dnsmasq/.test(cmd)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function stopProcesses(pids: number[]): Promise<void> {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Stops the lab's agents and every process in its namespaces, and deletes the namespaces and state. */
export async function labDown(run: CommandRunner, prefix: string, stateDir: string, say: (line: string) => void): Promise<void> {
  if (!PREFIX_RE.test(prefix)) throw new Error(`--prefix '${prefix}': 1-10 lower-case letters and digits, starting with a letter`);
  const state = readLab(prefix, stateDir);
  // an in-process lab taking itself down must not signal itself
  const agents = [...new Set((state?.agents ?? []).map((a) => a.pid))].filter((pid) => pid !== process.pid);
  await stopProcesses([...new Set([...agents, ...processesMentioning(`${stateDir}/`)])]);
  if (agents.length) say(`stopped ${agents.length} agent process${agents.length > 1 ? 'es' : ''}`);
  const namespaces = await labNamespaces(run, prefix);
  for (const ns of namespaces) {
    const pids = (await run.run(['ip', 'netns', 'pids', ns], { read: true })).split('\n').filter(Boolean).map(Number);
    await stopProcesses(pids);
  }
  // VMs and qdhcp namespaces first, hosts, then the underlay (their links go with them)
  const order = (n: string) => (n.endsWith('-underlay') ? 2 : state?.hosts && Object.values(state.hosts).some((h) => h.namespace === n) ? 1 : 0);
  for (const ns of [...namespaces].sort((a, b) => order(a) - order(b))) {
    await run.run(['ip', 'netns', 'del', ns]).catch(() => undefined);
  }
  say(`removed ${namespaces.length} namespaces`);
  fs.rmSync(stateDir, { recursive: true, force: true });
}

export async function labStatus(run: CommandRunner, prefix: string, stateDir: string): Promise<{ state?: LabState; namespaces: string[]; agents: Array<LabAgent & { running: boolean }> }> {
  const state = readLab(prefix, stateDir);
  const namespaces = await labNamespaces(run, prefix);
  return { state, namespaces, agents: (state?.agents ?? []).map((a) => ({ ...a, running: alive(a.pid) })) };
}
