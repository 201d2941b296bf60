/**
 * The DHCP agent's host state and its planner. Per network with a served subnet the host has a
 * namespace `<prefix>qdhcp-<net-id>`, a veth pair (`tap<port[:11]>` in the host namespace, where the
 * L2 agent joins it to the network's bridge; `ns-<port[:11]>` in the qdhcp namespace with the DHCP
 * port's MAC, MTU and addresses), the files dnsmasq reads in `<state_path>/dhcp/<net-id>/`, and one
 * dnsmasq. `planDhcp(want, have)` gives the ordered commands (as data) between two states: parents
 * first, files before the process that reads them, SIGHUP only when a file changed, a restart when
 * the command line or the addresses changed, and last the removal of networks we no longer serve.
 * `renderDhcp` puts a command in the agents' shared vocabulary (src/linux/), which renders its argv.
 * Only `<prefix>qdhcp-…` namespaces, their `ns-…` devices and our state directories are touched.
 */
import type { HostCommand } from '../../linux/host-command.js';
import { renderNsCommand, type NsCommand, type NsDevice } from '../netns-device.js';
import { nsDeviceName, renderDnsmasqArgv, renderFiles, servedSubnets, type DhcpNetwork, type DhcpPort, type DnsmasqOptions } from './render.js';

export type { NsDevice };

export interface DhcpNetworkState {
  netns: string;
  /** Whether the namespace exists (always true in a desired state). */
  hasNetns: boolean;
  /** `ns-…` devices in the namespace. */
  devices: Map<string, NsDevice>;
  /** The network's state directory. */
  dir: string;
  /** Files of `dir` (name → content); a missing file is absent. */
  files: Map<string, string>;
  /** dnsmasq: its command line and, when observed, its pid. */
  process: { argv: string[]; pid: number } | null;
}

/** Network id → its state. */
export type DhcpHostState = Map<string, DhcpNetworkState>;

export type DhcpCommand = NsCommand | { op: 'start-dnsmasq'; netns: string; argv: string[] } | { op: 'reload-dnsmasq'; pid: number } | { op: 'stop-dnsmasq'; pid: number };

export interface DhcpLayout extends DnsmasqOptions {
  /** `[agent] namespace_prefix`. */
  prefix: string;
  /** Absolute `<state_path>/dhcp`. */
  stateDir: string;
}

export const qdhcpNamespace = (prefix: string, networkId: string) => `${prefix}qdhcp-${networkId}`;
export const networkDir = (stateDir: string, networkId: string) => `${stateDir}/${networkId}`;
export const tapOf = (nsDevice: string) => `tap${nsDevice.slice(3)}`;

function prefixLen(cidr: string): string {
  return cidr.split('/')[1];
}

/**
 * What the host should have: one entry per network that has a served subnet and a DHCP port
 * (`dhcpPorts`: network id → the port the server gave this host).
 */
export function desiredDhcp(networks: DhcpNetwork[], dhcpPorts: Map<string, DhcpPort>, o: DhcpLayout): DhcpHostState {
  const want: DhcpHostState = new Map();
  for (const net of networks) {
    const port = dhcpPorts.get(net.id);
    const served = servedSubnets(net);
    if (!port || !served.length) continue;
    const cidrOf = new Map(served.map((s) => [s.id, s.cidr]));
    const addrs = port.fixed_ips.filter((ip) => cidrOf.has(ip.subnet_id)).map((ip) => `${ip.ip_address}/${prefixLen(cidrOf.get(ip.subnet_id)!)}`);
    const name = nsDeviceName(port.id);
    const dir = networkDir(o.stateDir, net.id);
    want.set(net.id, {
      netns: qdhcpNamespace(o.prefix, net.id),
      hasNetns: true,
      devices: new Map([[name, { mac: port.mac_address.toLowerCase(), mtu: net.mtu, addrs: addrs.sort() }]]),
      dir,
      files: renderFiles(net, port, o),
      process: { argv: renderDnsmasqArgv(net, name, dir, o), pid: 0 },
    });
  }
  return want;
}

const sameArgv = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const sortedKeys = <V>(m: Map<string, V>) => [...m.keys()].sort();

/** The commands from `have` to `want`; empty when they match. */
export function planDhcp(want: DhcpHostState, have: DhcpHostState): DhcpCommand[] {
  const cmds: DhcpCommand[] = [];
  for (const id of sortedKeys(want)) {
    const w = want.get(id)!;
    const h = have.get(id);
    const { netns } = w;
    if (!h?.hasNetns) cmds.push({ op: 'add-netns', netns });
    let rebind = false;
    for (const name of sortedKeys(w.devices)) {
      const d = w.devices.get(name)!;
      const cur = h?.hasNetns ? h.devices.get(name) : undefined;
      const tap = tapOf(name);
      if (!cur) {
        cmds.push({ op: 'add-veth', netns, name, tap, mac: d.mac, mtu: d.mtu });
        cmds.push({ op: 'set-up', netns: null, name: tap }, { op: 'set-up', netns, name });
        rebind = true;
      } else if (cur.mac !== d.mac || cur.mtu !== d.mtu) cmds.push({ op: 'set-link', netns, name, mac: d.mac, mtu: d.mtu });
      const old = new Set(cur?.addrs ?? []);
      for (const cidr of d.addrs) if (!old.has(cidr)) cmds.push({ op: 'add-addr', netns, name, cidr });
      for (const cidr of old) if (!d.addrs.includes(cidr)) cmds.push({ op: 'del-addr', netns, name, cidr });
      if (cur && (d.addrs.some((a) => !old.has(a)) || [...old].some((a) => !d.addrs.includes(a)))) rebind = true;
    }
    for (const name of sortedKeys(h?.devices ?? new Map())) if (!w.devices.has(name)) cmds.push({ op: 'del-link', netns, name });
    let changed = false;
    for (const name of sortedKeys(w.files)) {
      if (h?.files.get(name) === w.files.get(name)) continue;
      cmds.push({ op: 'write-file', path: `${w.dir}/${name}`, content: w.files.get(name)! });
      changed = true;
    }
    const proc = h?.process;
    const argv = w.process!.argv;
    // dnsmasq binds to the addresses it found at start (--bind-interfaces): new ones need a restart
    if (proc && (!sameArgv(proc.argv, argv) || rebind)) cmds.push({ op: 'stop-dnsmasq', pid: proc.pid });
    if (!proc || !sameArgv(proc.argv, argv) || rebind) cmds.push({ op: 'start-dnsmasq', netns, argv });
    else if (changed) cmds.push({ op: 'reload-dnsmasq', pid: proc.pid });
  }
  for (const id of sortedKeys(have)) {
    if (want.has(id)) continue;
    const h = have.get(id)!;
    if (h.process) cmds.push({ op: 'stop-dnsmasq', pid: h.process.pid });
    if (h.hasNetns) {
      for (const name of sortedKeys(h.devices)) cmds.push({ op: 'del-link', netns: h.netns, name });
      cmds.push({ op: 'del-netns', netns: h.netns });
    }
    cmds.push({ op: 'remove-dir', path: h.dir });
  }
  return cmds;
}

/**
 * planDhcp network by network, in the same order (served networks first, then those to remove), so
 * that what becomes of each command can be told per network (a network with a failed command is
 * not ready).
 */
export function planDhcpByNetwork(want: DhcpHostState, have: DhcpHostState): Array<{ id: string; cmds: DhcpCommand[] }> {
  const pick = (s: DhcpHostState, id: string): DhcpHostState => new Map(s.has(id) ? [[id, s.get(id)!]] : []);
  const ids = [...new Set([...want.keys(), ...have.keys()])].sort((a, b) => Number(!want.has(a)) - Number(!want.has(b)) || (a < b ? -1 : 1));
  return ids.map((id) => ({ id, cmds: planDhcp(pick(want, id), pick(have, id)) }));
}

/** What the commands do to a host, as a model (for tests): the state after them. */
export function applyDhcpModel(state: DhcpHostState, cmds: DhcpCommand[]): DhcpHostState {
  const netOf = (path: string) => path.split('/').at(-2)!;
  const s: DhcpHostState = new Map(
    [...state].map(([id, n]) => [id, { ...n, devices: new Map([...n.devices].map(([k, d]) => [k, { ...d, addrs: [...d.addrs] }])), files: new Map(n.files) }]),
  );
  const byNetns = (netns: string) => {
    const n = [...s.values()].find((x) => x.netns === netns && x.hasNetns);
    if (!n) throw new Error(`no namespace ${netns}`);
    return n;
  };
  let nextPid = Math.max(999, ...[...s.values()].map((n) => n.process?.pid ?? 0)) + 1;
  for (const c of cmds) {
    switch (c.op) {
      case 'add-netns': {
        const id = c.netns.slice(c.netns.indexOf('qdhcp-') + 6);
        const cur = s.get(id);
        if (cur?.hasNetns) throw new Error(`${c.netns} exists`);
        s.set(id, { netns: c.netns, hasNetns: true, devices: new Map(), dir: cur?.dir ?? '', files: cur?.files ?? new Map(), process: cur?.process ?? null });
        break;
      }
      case 'add-veth':
        if (byNetns(c.netns).devices.has(c.name)) throw new Error(`${c.name} exists`);
        byNetns(c.netns).devices.set(c.name, { mac: c.mac, mtu: c.mtu, addrs: [] });
        break;
      case 'set-link': {
        const d = byNetns(c.netns).devices.get(c.name)!;
        Object.assign(d, { mac: c.mac, mtu: c.mtu });
        break;
      }
      case 'set-up':
        break;
      case 'add-addr':
        byNetns(c.netns).devices.get(c.name)!.addrs = [...byNetns(c.netns).devices.get(c.name)!.addrs, c.cidr].sort();
        break;
      case 'del-addr': {
        const d = byNetns(c.netns).devices.get(c.name)!;
        d.addrs = d.addrs.filter((a) => a !== c.cidr);
        break;
      }
      case 'del-link':
        byNetns(c.netns).devices.delete(c.name);
        break;
      case 'write-file': {
        const n = s.get(netOf(c.path))!;
        n.dir = c.path.slice(0, c.path.lastIndexOf('/'));
        n.files.set(c.path.slice(c.path.lastIndexOf('/') + 1), c.content);
        break;
      }
      case 'start-dnsmasq': {
        const n = byNetns(c.netns);
        if (n.process) throw new Error(`dnsmasq already runs in ${c.netns}`);
        n.process = { argv: c.argv, pid: nextPid++ };
        break;
      }
      case 'reload-dnsmasq':
        break;
      case 'stop-dnsmasq':
        for (const n of s.values()) if (n.process?.pid === c.pid) n.process = null;
        break;
      case 'del-netns':
        byNetns(c.netns).hasNetns = false;
        break;
      case 'remove-dir':
        s.delete(c.path.split('/').at(-1)!);
        break;
    }
  }
  return s;
}

/** The command in the agents' shared vocabulary (src/linux/host-command.ts); the tap (no namespace) goes in the host namespace. */
export function renderDhcp(c: DhcpCommand): HostCommand {
  switch (c.op) {
    case 'start-dnsmasq':
      return { tool: 'daemon', op: 'start', netns: c.netns, argv: c.argv };
    case 'reload-dnsmasq':
      return { tool: 'daemon', op: 'reload', pid: c.pid };
    case 'stop-dnsmasq':
      return { tool: 'daemon', op: 'stop', pid: c.pid };
    default:
      return renderNsCommand(c);
  }
}
