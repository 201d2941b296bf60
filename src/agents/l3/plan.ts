/**
 * The L3 agent's host state and its planner. Per router scheduled here (and administratively up)
 * the host has a namespace `<prefix>qrouter-<router-id>` with forwarding on; per router port a veth
 * pair, `tap<port[:11]>` in the host namespace (where the L2 agent joins it to the network's bridge,
 * as it does the DHCP agent's) and `qr-<port[:11]>` (an interface) or `qg-<port[:11]>` (the gateway)
 * in the router's namespace, with the port's MAC, MTU and addresses, floating IPs as /32s on `qg-`;
 * a default route per gateway subnet and the router's extra routes; the NAT table (nat.ts), applied
 * whole; and radvd (radvd.ts) when an interface's subnet has an `ipv6_ra_mode`. An HA router also
 * has its `ha-` device and keepalived (keepalived.ts), which owns the other devices' addresses and
 * the routes on whichever node is master.
 *
 * `planL3(want, have)` gives the ordered commands (as data) between two states: parents first
 * (namespace, switches, the new veths, then inside the namespace links up and addresses), then routes (their next hops are on-link by then), NAT,
 * radvd's file before radvd; deletions after additions; routers we no longer have last. `renderL3`
 * puts a command in the agents' shared vocabulary (src/linux/). Only `<prefix>qrouter-…`
 * namespaces, the `qr-`/`qg-` devices in them and our state directories are touched.
 */
import type { HostCommand } from '../../linux/host-command.js';
import { renderNsCommand, type NsCommand, type NsDevice } from '../netns-device.js';

export type RouterDevice = NsDevice;

/** A route through a next hop; `dst` as `ip -j route` prints it (`default`, a CIDR, a bare host address). */
export interface RouterRoute {
  dst: string;
  via: string;
}

export interface RouterState {
  netns: string;
  /** Whether the namespace exists (always true in a desired state). */
  hasNetns: boolean;
  /** Sysctls of the namespace (forwarding); a desired state lists what must hold. */
  sysctls: Map<string, string>;
  /** `qr-…` and `qg-…` devices in the namespace. */
  devices: Map<string, RouterDevice>;
  /** Routes through a next hop (connected routes are the kernel's), sorted by `routeKey`. */
  routes: RouterRoute[];
  /** The NAT table: its signature (`''` when there is none) and, in a desired state, its script. */
  nat: { signature: string; script: string[] };
  /** The router's state directory (radvd's files). */
  dir: string;
  /** Files of `dir` (name → content); a missing file is absent. */
  files: Map<string, string>;
  /** radvd: its command line and, when observed, its pid; null when none runs (or none is wanted). */
  radvd: { argv: string[]; pid: number } | null;
  /** keepalived (HA routers), as radvd. */
  keepalived: { argv: string[]; pid: number } | null;
  /**
   * An HA router (desired): the addresses of its `qr-`/`qg-` devices and its routes are keepalived's
   * (on the master only), so they are not planned; its new `qr-`/`qg-` devices make no IPv6
   * link-local address of their own (keepalived adds it with the others).
   */
  ha: boolean;
  /** What keepalived's notify script last wrote (observed): `master`, `backup`, `fault`, or ''. */
  haState: string;
}

/** Router id → its state. */
export type L3HostState = Map<string, RouterState>;

export type L3Command =
  | NsCommand
  | { op: 'sysctl'; netns: string; key: string; value: string }
  | { op: 'replace-route'; netns: string; dst: string; via: string }
  | { op: 'del-route'; netns: string; dst: string; via: string }
  | { op: 'set-nat'; netns: string; script: string[] }
  | { op: 'no-link-local'; netns: string; name: string }
  | { op: 'remove-file'; path: string }
  | { op: 'start-radvd'; netns: string; argv: string[] }
  | { op: 'reload-radvd'; pid: number }
  | { op: 'stop-radvd'; pid: number }
  | { op: 'start-keepalived'; netns: string; argv: string[] }
  | { op: 'reload-keepalived'; pid: number }
  | { op: 'stop-keepalived'; pid: number };

export interface L3Layout {
  /** `[agent] namespace_prefix`. */
  prefix: string;
  /** Absolute `<state_path>/l3`. */
  stateDir: string;
  /** `[DEFAULT] min_rtr_adv_interval` / `max_rtr_adv_interval` (seconds), as Neutron's. */
  minRtrAdvInterval: number;
  maxRtrAdvInterval: number;
  /** `[DEFAULT] ha_vrrp_advert_int` (seconds), as Neutron's. */
  haVrrpAdvertInt: number;
}

export const qrouterNamespace = (prefix: string, routerId: string) => `${prefix}qrouter-${routerId}`;
export const routerDir = (stateDir: string, routerId: string) => `${stateDir}/${routerId}`;
export const interfaceName = (portId: string) => `qr-${portId.slice(0, 11)}`;
export const gatewayName = (portId: string) => `qg-${portId.slice(0, 11)}`;
export const haName = (portId: string) => `ha-${portId.slice(0, 11)}`;
/** The host end of a router device's veth (what the L2 agent joins to the bridge). */
export const tapOf = (device: string) => `tap${device.slice(3)}`;
export const routeKey = (r: RouterRoute) => `${r.via.includes(':') ? 6 : 4} ${r.dst}`;

/** What a router namespace must have switched on: forwarding of both families. */
export const ROUTER_SYSCTLS: ReadonlyArray<[string, string]> = [
  ['net.ipv4.ip_forward', '1'],
  ['net.ipv6.conf.all.forwarding', '1'],
];

/** keepalived's pid files (renderKeepalivedArgv): the parent's and its VRRP child's. */
const PID_FILES = ['keepalived.pid', 'keepalived-vrrp.pid'];
const sortedKeys = <V>(m: Map<string, V>) => [...m.keys()].sort();
const sameArgv = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The commands from `have` to `want`; empty when they match. */
export function planL3(want: L3HostState, have: L3HostState): L3Command[] {
  const cmds: L3Command[] = [];
  for (const id of sortedKeys(want)) cmds.push(...planRouter(want.get(id)!, have.get(id)));
  for (const id of sortedKeys(have)) if (!want.has(id)) cmds.push(...planRemoval(have.get(id)!));
  return cmds;
}

/** planL3 router by router, in the same order, so that what becomes of each can be told per router. */
export function planL3ByRouter(want: L3HostState, have: L3HostState): Array<{ id: string; cmds: L3Command[] }> {
  const ids = [...new Set([...want.keys(), ...have.keys()])].sort((a, b) => Number(!want.has(a)) - Number(!want.has(b)) || (a < b ? -1 : 1));
  return ids.map((id) => ({ id, cmds: want.has(id) ? planRouter(want.get(id)!, have.get(id)) : planRemoval(have.get(id)!) }));
}

function planRouter(w: RouterState, h: RouterState | undefined): L3Command[] {
  const cmds: L3Command[] = [];
  const { netns } = w;
  const cur = h?.hasNetns ? h : undefined;
  if (!cur) cmds.push({ op: 'add-netns', netns });
  for (const [key, value] of w.sysctls) if (cur?.sysctls.get(key) !== value) cmds.push({ op: 'sysctl', netns, key, value });
  const dels: L3Command[] = [];
  // the new veths first (host namespace side), then what is done inside: each side one batch
  const inside: L3Command[] = [];
  let readdressed = false;
  const vip = (name: string) => w.ha && /^q[rg]-/.test(name);
  for (const name of sortedKeys(w.devices)) {
    const d = w.devices.get(name)!;
    const old = cur?.devices.get(name);
    if (!old) {
      cmds.push({ op: 'add-veth', netns, name, tap: tapOf(name), mac: d.mac, mtu: d.mtu }, { op: 'set-up', netns: null, name: tapOf(name) });
      if (vip(name)) inside.push({ op: 'no-link-local', netns, name });
      inside.push({ op: 'set-up', netns, name });
    } else if (old.mac !== d.mac || old.mtu !== d.mtu) inside.push({ op: 'set-link', netns, name, mac: d.mac, mtu: d.mtu });
    if (vip(name)) continue;
    const had = new Set(old?.addrs ?? []);
    for (const cidr of d.addrs) if (!had.has(cidr)) inside.push({ op: 'add-addr', netns, name, cidr });
    for (const cidr of had) {
      // keepalived's primary address on the HA device is not the agent's to remove
      if (d.addrs.includes(cidr) || (w.ha && name.startsWith('ha-'))) continue;
      dels.push({ op: 'del-addr', netns, name, cidr });
      if (name.startsWith('qr-') && cidr.includes(':')) readdressed = true;
    }
  }
  for (const name of sortedKeys(cur?.devices ?? new Map())) if (!w.devices.has(name)) dels.push({ op: 'del-link', netns, name });
  cmds.push(...inside);
  if (!w.ha) {
    const kept = new Map((cur?.routes ?? []).map((r) => [routeKey(r), r]));
    for (const r of w.routes) {
      const old = kept.get(routeKey(r));
      if (!old || old.via !== r.via) cmds.push({ op: 'replace-route', netns, dst: r.dst, via: r.via });
    }
    const wantRoutes = new Set(w.routes.map(routeKey));
    for (const r of cur?.routes ?? []) if (!wantRoutes.has(routeKey(r))) cmds.push({ op: 'del-route', netns, dst: r.dst, via: r.via });
  }
  if (w.nat.signature !== (cur?.nat.signature ?? '')) cmds.push({ op: 'set-nat', netns, script: w.nat.script });
  const changed = new Set<string>();
  for (const name of sortedKeys(w.files)) {
    if (h?.files.get(name) === w.files.get(name)) continue;
    cmds.push({ op: 'write-file', path: `${w.dir}/${name}`, content: w.files.get(name)! });
    changed.add(name);
  }
  // keepalived first: it puts the addresses radvd advertises from
  const ka = h?.keepalived;
  if (w.keepalived) {
    const restart = ka && (!cur || !sameArgv(ka.argv, w.keepalived.argv));
    if (ka && restart) cmds.push({ op: 'stop-keepalived', pid: ka.pid });
    // a pid file naming a process that is not reaped yet would make the new keepalived think itself running
    if (!ka || restart) cmds.push(...PID_FILES.map((f) => ({ op: 'remove-file' as const, path: `${w.dir}/${f}` })), { op: 'start-keepalived', netns, argv: w.keepalived.argv });
    else if (changed.has('keepalived.conf')) cmds.push({ op: 'reload-keepalived', pid: ka.pid });
  } else if (ka) cmds.push({ op: 'stop-keepalived', pid: ka.pid });
  const proc = h?.radvd;
  if (w.radvd) {
    // radvd binds to the interfaces it found at start: a new interface, or a new namespace, needs a restart
    const restart = proc && (!cur || !sameArgv(proc.argv, w.radvd.argv) || readdressed || [...w.devices.keys()].some((n) => n.startsWith('qr-') && !cur.devices.has(n)));
    if (proc && restart) cmds.push({ op: 'stop-radvd', pid: proc.pid });
    if (!proc || restart) cmds.push({ op: 'start-radvd', netns, argv: w.radvd.argv });
    else if (changed.has('radvd.conf')) cmds.push({ op: 'reload-radvd', pid: proc.pid });
  } else if (proc) cmds.push({ op: 'stop-radvd', pid: proc.pid });
  cmds.push(...dels);
  if (!w.files.size && h?.files.size) cmds.push({ op: 'remove-dir', path: h.dir });
  else for (const name of sortedKeys(h?.files ?? new Map())) if (!w.files.has(name)) cmds.push({ op: 'remove-file', path: `${h!.dir}/${name}` });
  return cmds;
}

function planRemoval(h: RouterState): L3Command[] {
  const cmds: L3Command[] = [];
  if (h.radvd) cmds.push({ op: 'stop-radvd', pid: h.radvd.pid });
  if (h.keepalived) cmds.push({ op: 'stop-keepalived', pid: h.keepalived.pid });
  // the namespace takes its devices, addresses, routes, NAT table and the taps' peers along
  if (h.hasNetns) cmds.push({ op: 'del-netns', netns: h.netns });
  cmds.push({ op: 'remove-dir', path: h.dir });
  return cmds;
}

/** What the commands do to a host, as a model (for tests): the state after them. */
export function applyL3Model(state: L3HostState, cmds: L3Command[], natSignature: (script: string[]) => string, stateDir: string): L3HostState {
  const s: L3HostState = new Map(
    [...state].map(([id, r]) => [
      id,
      {
        ...r,
        sysctls: new Map(r.sysctls),
        devices: new Map([...r.devices].map(([k, d]) => [k, { ...d, addrs: [...d.addrs] }])),
        routes: r.routes.map((x) => ({ ...x })),
        nat: { ...r.nat },
        files: new Map(r.files),
      },
    ]),
  );
  const idOf = (netns: string) => netns.slice(netns.indexOf('qrouter-') + 8);
  const byNetns = (netns: string) => {
    const r = s.get(idOf(netns));
    if (!r?.hasNetns) throw new Error(`no namespace ${netns}`);
    return r;
  };
  const dev = (netns: string, name: string) => {
    const d = byNetns(netns).devices.get(name);
    if (!d) throw new Error(`no device ${name} in ${netns}`);
    return d;
  };
  let nextPid = Math.max(999, ...[...s.values()].flatMap((r) => [r.radvd?.pid ?? 0, r.keepalived?.pid ?? 0])) + 1;
  for (const c of cmds) {
    switch (c.op) {
      case 'add-netns': {
        const cur = s.get(idOf(c.netns));
        if (cur?.hasNetns) throw new Error(`${c.netns} exists`);
        s.set(idOf(c.netns), { netns: c.netns, hasNetns: true, sysctls: new Map(), devices: new Map(), routes: [], nat: { signature: '', script: [] }, dir: routerDir(stateDir, idOf(c.netns)), files: cur?.files ?? new Map(), radvd: cur?.radvd ?? null, keepalived: cur?.keepalived ?? null, ha: false, haState: cur?.haState ?? '' });
        break;
      }
      case 'sysctl':
        byNetns(c.netns).sysctls.set(c.key, c.value);
        break;
      case 'add-veth':
        if (byNetns(c.netns).devices.has(c.name)) throw new Error(`${c.name} exists`);
        byNetns(c.netns).devices.set(c.name, { mac: c.mac, mtu: c.mtu, addrs: [] });
        break;
      case 'set-link':
        Object.assign(dev(c.netns, c.name), { mac: c.mac, mtu: c.mtu });
        break;
      case 'set-up':
        break;
      case 'add-addr': {
        const d = dev(c.netns, c.name);
        if (d.addrs.includes(c.cidr)) throw new Error(`${c.cidr} exists on ${c.name}`);
        d.addrs = [...d.addrs, c.cidr].sort();
        break;
      }
      case 'del-addr': {
        const d = dev(c.netns, c.name);
        d.addrs = d.addrs.filter((a) => a !== c.cidr);
        break;
      }
      case 'del-link':
        byNetns(c.netns).devices.delete(c.name);
        break;
      case 'replace-route': {
        const r = byNetns(c.netns);
        r.routes = [...r.routes.filter((x) => routeKey(x) !== routeKey(c)), { dst: c.dst, via: c.via }].sort((a, b) => (routeKey(a) < routeKey(b) ? -1 : 1));
        break;
      }
      case 'del-route': {
        const r = byNetns(c.netns);
        r.routes = r.routes.filter((x) => routeKey(x) !== routeKey(c));
        break;
      }
      case 'set-nat':
        byNetns(c.netns).nat = { signature: natSignature(c.script), script: c.script };
        break;
      case 'write-file': {
        const id = c.path.split('/').at(-2)!;
        const r = s.get(id) ?? { netns: '', hasNetns: false, sysctls: new Map(), devices: new Map(), routes: [], nat: { signature: '', script: [] }, dir: '', files: new Map(), radvd: null, keepalived: null, ha: false, haState: '' };
        r.dir = c.path.slice(0, c.path.lastIndexOf('/'));
        r.files.set(c.path.slice(c.path.lastIndexOf('/') + 1), c.content);
        s.set(id, r);
        break;
      }
      case 'start-radvd': {
        const r = byNetns(c.netns);
        if (r.radvd) throw new Error(`radvd already runs in ${c.netns}`);
        r.radvd = { argv: c.argv, pid: nextPid++ };
        break;
      }
      case 'remove-file': {
        const r = s.get(c.path.split('/').at(-2)!);
        r?.files.delete(c.path.slice(c.path.lastIndexOf('/') + 1));
        break;
      }
      case 'reload-radvd':
      case 'reload-keepalived':
      case 'no-link-local':
        break;
      case 'stop-radvd':
        for (const r of s.values()) if (r.radvd?.pid === c.pid) r.radvd = null;
        break;
      case 'start-keepalived': {
        const r = byNetns(c.netns);
        if (r.keepalived) throw new Error(`keepalived already runs in ${c.netns}`);
        r.keepalived = { argv: c.argv, pid: nextPid++ };
        break;
      }
      case 'stop-keepalived':
        for (const r of s.values()) if (r.keepalived?.pid === c.pid) r.keepalived = null;
        break;
      case 'del-netns': {
        const r = byNetns(c.netns);
        Object.assign(r, { hasNetns: false, sysctls: new Map(), devices: new Map(), routes: [], nat: { signature: '', script: [] } });
        break;
      }
      case 'remove-dir': {
        const id = c.path.split('/').at(-1)!;
        const r = s.get(id);
        if (r && !r.hasNetns) s.delete(id);
        else if (r) r.files = new Map();
        break;
      }
    }
  }
  return s;
}

/** The command in the agents' shared vocabulary (src/linux/host-command.ts); a tap (no namespace) goes in the host namespace. */
export function renderL3(c: L3Command): HostCommand {
  switch (c.op) {
    case 'sysctl':
      return { tool: 'sysctl', netns: c.netns, key: c.key, value: c.value };
    case 'replace-route':
      return { tool: 'ip-route', op: 'replace', netns: c.netns, dst: c.dst, via: c.via };
    case 'del-route':
      return { tool: 'ip-route', op: 'del', netns: c.netns, dst: c.dst, via: c.via };
    case 'set-nat':
      return { tool: 'nft', netns: c.netns, script: c.script };
    case 'start-radvd':
      return { tool: 'daemon', op: 'start', netns: c.netns, argv: c.argv };
    case 'reload-radvd':
      return { tool: 'daemon', op: 'reload', pid: c.pid };
    case 'stop-radvd':
    case 'stop-keepalived':
      return { tool: 'daemon', op: 'stop', pid: c.pid };
    case 'start-keepalived':
      return { tool: 'daemon', op: 'start', netns: c.netns, argv: c.argv };
    case 'reload-keepalived':
      return { tool: 'daemon', op: 'reload', pid: c.pid };
    case 'remove-file':
      return { tool: 'file', op: 'remove', path: c.path };
    case 'no-link-local':
      return { tool: 'ip-link', op: 'set', netns: c.netns, name: c.name, addrgenmode: 'none' };
    default:
      return renderNsCommand(c);
  }
}
