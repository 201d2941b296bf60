/**
 * nucleon-lab: a multi-host cloud simulated on one machine. Every "host" is a network namespace
 * (`<prefix>-hv1`, `<prefix>-net1`), joined to the others through an underlay bridge that lives in
 * a namespace of its own (`<prefix>-underlay`, 198.18.0.0/24, the benchmarking range). The outside
 * world is a bridge `br-ex` in `<prefix>-outside` carrying the outside host's addresses
 * (203.0.113.1/24 and 2001:db8:ff::1/64, forwarding on, no DAD); every network node (one or more)
 * has a veth `ext0` onto it, mapped as the flat physical network `public`. Agents run as processes
 * of the machine that act inside their host's namespace (`[agent] host_namespace`), so that they
 * reach the servers and RabbitMQ on the machine's loopback; the namespaces they make themselves
 * (`qdhcp-…`, `qrouter-…`) carry the host's prefix. Nothing is made in, or changed about, the
 * machine's own namespace. `hostDown`/`hostUp` crash a host and bring it back, for failover tests.
 *
 * The commands are rendered by pure functions (`render*`) and run by the I/O functions below them.
 * Everything the lab makes is named from its prefix, so `down` removes it all from the names
 * alone, also after a crash that lost `lab.json`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCidr, parseIp } from '../core/ip.js';
import { isGone } from '../linux/daemon.js';
import { execIn } from '../linux/ip-netns.js';
import type { CommandRunner } from '../linux/runner.js';

export interface LabOptions {
  prefix: string;
  hypervisors: string[];
  /** One or more: each runs the L2, DHCP, L3 and metering agents and has an `ext0` to the outside. */
  networkNodes: string[];
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

export type HostRole = 'compute' | 'network';

export interface LabHost {
  namespace: string;
  underlayIp: string;
  role: HostRole;
  /** Set by `hostDown` (agents and processes killed, links down), cleared by `hostUp`. */
  down?: boolean;
}

export interface LabState {
  prefix: string;
  stateDir: string;
  transportUrl: string;
  /** host name (the API's `binding:host_id`) → its namespace, underlay address, role */
  hosts: Record<string, LabHost>;
  agents: LabAgent[];
  /** The outside world: `bridge` in `namespace` carries `ip` and `ip6`; each network node's `ext0` is a port of it. */
  outside: { namespace: string; bridge: string; ip: string; ip6: string };
}

export const PREFIX_RE = /^[a-z][a-z0-9]{0,9}$/;
const HOST_RE = /^[a-z][a-z0-9]{0,10}$/;
/** Host names whose namespace would be taken for another of the lab's (`<prefix>-vm-…`, `<prefix>-outside`). */
const RESERVED_HOSTS = ['vm', 'underlay', 'outside'];

export const labStateDir = (prefix: string) => `/run/nucleon-lab/${prefix}`;
export const hostNamespace = (prefix: string, host: string) => `${prefix}-${host}`;
export const vmNamespace = (prefix: string, vm: string) => `${prefix}-vm-${vm}`;
export const underlayNamespace = (prefix: string) => `${prefix}-underlay`;
/** The names of a host's links: `ul0` (underlay) and, on a network node, `ext0` (outside), with their peers. */
export const UNDERLAY_LINK = 'ul0';
export const EXTERNAL_LINK = 'ext0';
const underlayPeer = (host: string) => `ul-${host}`;
const outsidePeer = (host: string) => `ex-${host}`;

/** The lab's network nodes, in the order they were made. */
export const networkNodes = (state: Pick<LabState, 'hosts'>): string[] => Object.keys(state.hosts).filter((h) => state.hosts[h].role === 'network');

/** Whether a namespace belongs to `host`: its own, or one its agents made (`<prefix>-<host>-qrouter-…`). */
export const isHostNamespace = (prefix: string, host: string, ns: string): boolean => ns === hostNamespace(prefix, host) || ns.startsWith(`${hostNamespace(prefix, host)}-`);

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

/** A comma-separated list of host names (`hv1, hv2`). */
export const parseHostList = (text: string): string[] =>
  text
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);

/** The network nodes from `--network-nodes a,b` or its one-node spelling `--network-node a` (not both); net1 when neither. */
export function parseNetworkNodes(single: string | undefined, list: string | undefined): string[] {
  if (single !== undefined && list !== undefined) throw new Error('give --network-node or --network-nodes, not both');
  return parseHostList(list ?? single ?? 'net1');
}

/** Validates the options; throws a message fit for the user. */
export function checkOptions(o: LabOptions): void {
  if (!PREFIX_RE.test(o.prefix)) throw new Error(`--prefix '${o.prefix}': 1-10 lower-case letters and digits, starting with a letter`);
  if (!o.networkNodes.length) throw new Error('at least one network node');
  const all = [...o.hypervisors, ...o.networkNodes];
  for (const h of all) if (!HOST_RE.test(h)) throw new Error(`host '${h}': 1-11 lower-case letters and digits, starting with a letter`);
  for (const h of all) if (RESERVED_HOSTS.includes(h)) throw new Error(`host '${h}': the name is the lab's own (${RESERVED_HOSTS.join(', ')})`);
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

/** A host's agent configuration: its own `host`, its namespace and prefix, its underlay address; `public:ext0` on a network node. */
export function renderAgentConfig(o: Pick<LabOptions, 'prefix' | 'transportUrl' | 'stateDir' | 'reportInterval'>, host: string, ip: string, role: HostRole): string {
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
    // a network node reaches the outside world through ext0: the flat physical network `public`
    ...(role === 'network' ? ['[linux_bridge]', `physical_interface_mappings = public:${EXTERNAL_LINK}`, ''] : []),
  ].join('\n');
}

/** The agents each host gets: all four on a network node, the L2 agent on a hypervisor. */
export const agentKinds = (role: HostRole): LabAgent['kind'][] => (role === 'network' ? ['l2', 'dhcp', 'l3', 'metering'] : ['l2']);

/** Where a lab host's agent configuration is. */
export const hostConfigPath = (stateDir: string, host: string) => path.join(stateDir, `${host}.ini`);

/** The outside world of lab `prefix`, as `labUp` makes it. */
export const desiredOutside = (prefix: string): LabState['outside'] => ({ namespace: `${prefix}-outside`, bridge: 'br-ex', ip: '203.0.113.1/24', ip6: '2001:db8:ff::1/64' });

/** The underlay: its namespace and bridge `br-ul`. */
export function renderUnderlay(prefix: string): string[][] {
  const ul = underlayNamespace(prefix);
  return [
    ['ip', 'netns', 'add', ul],
    ['ip', '-n', ul, 'link', 'add', 'br-ul', 'type', 'bridge'],
    ['ip', '-n', ul, 'link', 'set', 'br-ul', 'up'],
  ];
}

/** A host: its namespace and its veth `ul0`, addressed `ip`, whose peer is a port of the underlay bridge. */
export function renderHost(prefix: string, host: string, ip: string): string[][] {
  const ns = hostNamespace(prefix, host);
  const ul = underlayNamespace(prefix);
  return [
    ['ip', 'netns', 'add', ns],
    ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
    ['ip', 'link', 'add', UNDERLAY_LINK, 'netns', ns, 'type', 'veth', 'peer', 'name', underlayPeer(host), 'netns', ul],
    ['ip', '-n', ul, 'link', 'set', underlayPeer(host), 'master', 'br-ul', 'up'],
    ['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', UNDERLAY_LINK],
    ['ip', '-n', ns, 'link', 'set', UNDERLAY_LINK, 'up'],
  ];
}

/**
 * The outside world: a namespace whose bridge carries the outside host's IPv4 and IPv6 addresses.
 * It forwards (the upstream router of every network node's routers, which may route back through it
 * with `outsideRoute`), takes no router advertisements, and does no duplicate address detection,
 * so its addresses work at once. Multicast snooping is off: VRRP and neighbour discovery flood to
 * every port whoever has just become master, as on a plain switch.
 */
export function renderOutside(out: LabState['outside']): string[][] {
  const ns = out.namespace;
  const sysctls = ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.all.accept_ra=0', 'net.ipv6.conf.default.accept_ra=0', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0'];
  return [
    ['ip', 'netns', 'add', ns],
    ['ip', '-n', ns, 'link', 'set', 'lo', 'up'],
    execIn(ns, ['sysctl', '-q', '-w', ...sysctls]),
    ['ip', '-n', ns, 'link', 'add', out.bridge, 'type', 'bridge', 'mcast_snooping', '0'],
    execIn(ns, ['sysctl', '-q', '-w', `net.ipv6.conf.${out.bridge}.accept_dad=0`, `net.ipv6.conf.${out.bridge}.accept_ra=0`]),
    ['ip', '-n', ns, 'addr', 'add', out.ip, 'dev', out.bridge],
    ['ip', '-n', ns, 'addr', 'add', out.ip6, 'dev', out.bridge, 'nodad'],
    ['ip', '-n', ns, 'link', 'set', out.bridge, 'up'],
  ];
}

/** A network node's link to the outside: `ext0` in the host (no address), its peer `ex-<host>` a port of the outside bridge. */
export function renderExternalLink(prefix: string, out: LabState['outside'], host: string): string[][] {
  const ns = hostNamespace(prefix, host);
  return [
    ['ip', 'link', 'add', EXTERNAL_LINK, 'netns', ns, 'type', 'veth', 'peer', 'name', outsidePeer(host), 'netns', out.namespace],
    ['ip', '-n', out.namespace, 'link', 'set', outsidePeer(host), 'master', out.bridge, 'up'],
    ['ip', '-n', ns, 'link', 'set', EXTERNAL_LINK, 'up'],
  ];
}

/**
 * Both ends of every link that joins `host` to the rest (`ul0` and its underlay port; on a network
 * node `ext0` and its port on the outside bridge), set up or down. Down on both ends, nothing the
 * host's namespaces send (VRRP, gratuitous ARP, neighbour advertisements) reaches anyone, and
 * nothing that happens inside the host can bring the link back.
 */
export function renderHostLinks(state: Pick<LabState, 'prefix' | 'hosts' | 'outside'>, host: string, updown: 'up' | 'down'): string[][] {
  const ns = state.hosts[host].namespace;
  const ul = underlayNamespace(state.prefix);
  const links = [
    ['ip', '-n', ns, 'link', 'set', UNDERLAY_LINK, updown],
    ['ip', '-n', ul, 'link', 'set', underlayPeer(host), updown],
  ];
  if (state.hosts[host].role === 'network') {
    links.push(['ip', '-n', ns, 'link', 'set', EXTERNAL_LINK, updown], ['ip', '-n', state.outside.namespace, 'link', 'set', outsidePeer(host), updown]);
  }
  return links;
}

/**
 * A route in the outside world only (never the machine's): to `cidr` (a project's prefix, IPv4 or
 * IPv6) via `via` (a router's gateway address on the outside bridge's subnet); `via` null removes it.
 */
export function renderOutsideRoute(state: Pick<LabState, 'outside'>, cidr: string, via: string | null): string[] {
  const c = parseCidr(cidr);
  if (!c) throw new Error(`route: '${cidr}' is not a CIDR`);
  const family = c.version === 6 ? '-6' : '-4';
  const ip = ['ip', '-n', state.outside.namespace, family, 'route'];
  if (via === null) return [...ip, 'del', cidr, 'dev', state.outside.bridge];
  const gw = parseIp(via);
  if (!gw || gw.version !== c.version) throw new Error(`route to ${cidr}: the gateway '${via}' is not an IPv${c.version} address`);
  return [...ip, 'replace', cidr, 'via', via, 'dev', state.outside.bridge];
}

/** Adds (or with `via` null removes) a route in the lab's outside namespace back to a project's prefix. */
export async function outsideRoute(run: CommandRunner, state: Pick<LabState, 'outside'>, cidr: string, via: string | null): Promise<void> {
  await run.run(renderOutsideRoute(state, cidr, via));
}

async function runAll(run: CommandRunner, commands: string[][]): Promise<void> {
  for (const argv of commands) await run.run(argv);
}

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
  const state: LabState = { prefix: o.prefix, stateDir: o.stateDir, transportUrl: o.transportUrl, hosts: {}, agents: [], outside: desiredOutside(o.prefix) };
  const save = () => saveLab(state);
  save();
  await runAll(run, renderUnderlay(o.prefix));
  say(`underlay: namespace ${underlayNamespace(o.prefix)}, bridge br-ul, 198.18.0.0/24`);
  const hosts: Array<[string, HostRole]> = [...o.hypervisors.map((h) => [h, 'compute'] as [string, HostRole]), ...o.networkNodes.map((h) => [h, 'network'] as [string, HostRole])];
  for (const [i, [host, role]] of hosts.entries()) {
    const ip = `198.18.0.${i + 1}`;
    await runAll(run, renderHost(o.prefix, host, ip));
    state.hosts[host] = { namespace: hostNamespace(o.prefix, host), underlayIp: ip, role };
    save();
    say(`host ${host} (${role}): namespace ${state.hosts[host].namespace}, underlay ${ip}`);
  }
  const out = state.outside;
  await runAll(run, renderOutside(out));
  for (const host of o.networkNodes) await runAll(run, renderExternalLink(o.prefix, out, host));
  say(`outside world: namespace ${out.namespace}, bridge ${out.bridge} (${out.ip}, ${out.ip6}), linked to ${o.networkNodes.join(', ')} as ${EXTERNAL_LINK}`);
  for (const [host, role] of hosts) {
    const conf = hostConfigPath(o.stateDir, host);
    fs.writeFileSync(conf, renderAgentConfig(o, host, state.hosts[host].underlayIp, role));
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

/** The daemons a lab's hosts run: its agents, and what they start (dnsmasq, keepalived and its children, radvd). */
const LAB_DAEMONS = /nucleon-agent|dnsmasq|keepalived|radvd/;

/** The lab's daemons (`LAB_DAEMONS`) whose command line mentions `needle` (the lab's state directory, or a host's part of it). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(needle) && LAB_DAEMONS.test(cmd)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Signals `pids` (SIGTERM, then SIGKILL to whoever is still there after `graceMs`) and waits until they are gone. */
export async function stopProcesses(pids: number[], graceMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        /* gone */
      }
    }
  };
  const waitGone = async (ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const left = [];
      for (const pid of pids) if (!(await isGone(pid))) left.push(pid);
      if (!left.length || Date.now() > deadline) return left.length;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  if (graceMs > 0) {
    signal('SIGTERM');
    if (!(await waitGone(graceMs))) return;
  }
  signal('SIGKILL');
  await waitGone(2000);
}

/** The processes inside namespace `ns` (`ip netns pids`); none when it is gone. */
export async function namespacePids(run: CommandRunner, ns: string): Promise<number[]> {
  const out = await run.run(['ip', 'netns', 'pids', ns], { read: true }).catch(() => '');
  return out.split('\n').filter(Boolean).map(Number);
}

/**
 * Stops every process inside `namespaces`, again until none is left (bounded): a daemon whose
 * children are killed before it may start new ones (keepalived restarts a VRRP child that dies).
 * `graceMs` 0: SIGKILL at once, as a crash.
 */
export async function stopNamespaceProcesses(run: CommandRunner, namespaces: string[], graceMs = 5000): Promise<number> {
  let stopped = 0;
  for (let round = 0; round < 5; round++) {
    const pids: number[] = [];
    for (const ns of namespaces) pids.push(...(await namespacePids(run, ns)));
    const live = [];
    for (const pid of new Set(pids)) if (!(await isGone(pid))) live.push(pid);
    if (!live.length) break;
    await stopProcesses(live, graceMs);
    stopped += live.length;
  }
  return stopped;
}

/** The order namespaces are deleted in: VMs and what the agents made, then hosts, the outside, the underlay last (the links go with them). */
export function planNamespaceRemoval(prefix: string, namespaces: string[], state?: Pick<LabState, 'hosts'>): string[] {
  const hostNs = new Set(Object.values(state?.hosts ?? {}).map((h) => h.namespace));
  const rank = (n: string) => (n === underlayNamespace(prefix) ? 3 : n === desiredOutside(prefix).namespace ? 2 : hostNs.has(n) ? 1 : 0);
  return [...namespaces].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Stops the lab's agents and every process in its namespaces, and deletes the namespaces and state (the agents' state dirs with it). */
export async function labDown(run: CommandRunner, prefix: string, stateDir: string, say: (line: string) => void): Promise<void> {
  if (!PREFIX_RE.test(prefix)) throw new Error(`--prefix '${prefix}': 1-10 lower-case letters and digits, starting with a letter`);
  const state = readLab(prefix, stateDir);
  // an in-process lab taking itself down must not signal itself
  const agents = [...new Set((state?.agents ?? []).map((a) => a.pid))].filter((pid) => pid !== process.pid && alive(pid));
  await stopProcesses([...new Set([...agents, ...processesMentioning(`${stateDir}/`)])]);
  if (agents.length) say(`stopped ${agents.length} agent process${agents.length > 1 ? 'es' : ''}`);
  const namespaces = await labNamespaces(run, prefix);
  const inside = await stopNamespaceProcesses(run, namespaces);
  if (inside) say(`stopped ${inside} process${inside > 1 ? 'es' : ''} inside the lab's namespaces`);
  // whatever started meanwhile outside the namespaces and names the state directory
  await stopProcesses(processesMentioning(`${stateDir}/`));
  for (const ns of planNamespaceRemoval(prefix, namespaces, state)) {
    await run.run(['ip', 'netns', 'del', ns]).catch(() => undefined);
  }
  say(`removed ${namespaces.length} namespaces`);
  fs.rmSync(stateDir, { recursive: true, force: true });
}

export async function labStatus(run: CommandRunner, prefix: string, stateDir: string): Promise<{ state?: LabState; namespaces: string[]; agents: Array<LabAgent & { running: boolean }> }> {
  const state = readLab(prefix, stateDir);
  const namespaces = await labNamespaces(run, prefix);
  const agents = [];
  for (const a of state?.agents ?? []) agents.push({ ...a, running: !(await isGone(a.pid)) });
  return { state, namespaces, agents };
}
