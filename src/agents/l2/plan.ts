/**
 * The Linux bridge agent's host state and its planner: what a host should have for the ports bound
 * to it (a bridge `brq<net-id[:11]>` per network, a VXLAN device `vxlan-<vni>` with flooding
 * entries toward the other hosts' tunnel IPs and a unicast entry per remote port (Neutron's
 * l2population), a flat network's physical interface joined to its bridge (`[linux_bridge]
 * physical_interface_mappings`) or its ports joined to an existing bridge (`bridge_mappings`), the
 * taps of VMs joined to their bridge), and the
 * ordered commands that take the observed state there. Pure and deterministic: `renderL2` puts a
 * command in the shared vocabulary (src/linux/), `applyCommands` runs it, observe.ts reads the
 * state. Only objects whose names we own (`brq…`, `vxlan-…`, VLAN devices of mapped interfaces)
 * are ever deleted; taps belong to whoever plugged them.
 */
import { FLOOD_MAC } from '../../linux/bridge-fdb.js';
import type { HostCommand } from '../../linux/host-command.js';

export interface BridgeState {
  mtu: number;
}

export interface VxlanState {
  vni: number;
  /** The local tunnel address. */
  local: string;
  mtu: number;
}

/** A VLAN subinterface of a mapped physical interface (`<iface>.<vid>`). */
export interface VlanState {
  parent: string;
  vid: number;
  mtu: number;
}

export interface L2HostState {
  bridges: Map<string, BridgeState>;
  vxlans: Map<string, VxlanState>;
  /** VLAN subinterfaces of the mapped interfaces (only those are observed, so only those are ever deleted). */
  vlans: Map<string, VlanState>;
  /** Device (tap or vxlan) → the bridge it is joined to; a device present but joined to none maps to null. */
  masters: Map<string, string | null>;
  /** Flooding entries: `<vxlan device> <remote tunnel IP>`. */
  floods: Set<string>;
  /** Unicast entries toward remote ports: `<vxlan device> <mac> <remote tunnel IP>`. */
  fdb: Set<string>;
  /** Our bridges and VXLAN devices that are administratively down (made by a pass that failed before `set-up`). */
  down: Set<string>;
}

export type L2Command =
  | { op: 'add-bridge'; name: string; mtu: number }
  | { op: 'add-vxlan'; name: string; vni: number; local: string; mtu: number }
  | { op: 'add-vlan'; name: string; parent: string; vid: number; mtu: number }
  | { op: 'set-mtu'; name: string; mtu: number }
  | { op: 'set-master'; name: string; master: string }
  | { op: 'set-up'; name: string }
  | { op: 'add-flood'; dev: string; dst: string }
  | { op: 'del-flood'; dev: string; dst: string }
  | { op: 'add-fdb'; dev: string; mac: string; dst: string }
  | { op: 'del-fdb'; dev: string; mac: string; dst: string }
  | { op: 'del-link'; name: string };

/** A port bound to this host, as the agent learns it from the server. */
export interface BoundPort {
  id: string;
  network_id: string;
  network_type: string;
  segmentation_id: number | null;
  physical_network?: string | null;
  mtu: number;
}

/** A port on another host of one of our VXLAN networks: its MAC behind that host's tunnel IP. */
export interface RemotePort {
  mac: string;
  dst: string;
}

/** `[linux_bridge]` mappings: physical network → interface to join to the network's bridge, or → existing bridge. */
export interface L2Mappings {
  interfaces: Record<string, string>;
  bridges: Record<string, string>;
}

/** `physnet:name` entries of a `[linux_bridge]` option; throws naming the option on a bad entry. */
export function parseMappings(entries: string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const m = /^([^:\s]+):([^:\s]{1,15})$/.exec(e);
    if (!m) throw new Error(`[linux_bridge] ${option}: '${e}' is not physnet:name (a device name has at most 15 characters)`);
    if (m[1] in out) throw new Error(`[linux_bridge] ${option}: physical network '${m[1]}' is mapped twice`);
    out[m[1]] = m[2];
  }
  return out;
}

export const bridgeName = (networkId: string) => `brq${networkId.slice(0, 11)}`;
export const tapName = (portId: string) => `tap${portId.slice(0, 11)}`;
export const vxlanName = (vni: number) => `vxlan-${vni}`;
const OWNED = /^(brq|vxlan-)/;

export const emptyL2State = (): L2HostState => ({ bridges: new Map(), vxlans: new Map(), vlans: new Map(), masters: new Map(), floods: new Set(), fdb: new Set(), down: new Set() });

/** Neutron's name of a VLAN subinterface: `<iface>.<vid>`, the interface name cut so that it fits in 15 characters. */
export const vlanName = (iface: string, vid: number) => `${iface.slice(0, 15 - String(vid).length - 1)}.${vid}`;

/**
 * What the host should have. `taps`: the taps present on the host (a port whose tap is not
 * plugged yet gets its bridge, not a membership). `peers`: the other hosts' tunnel IPs per VNI;
 * `remote`: the other hosts' ports per VNI. Flat and vlan networks are served through `mappings`
 * (flat: the mapped interface or bridge; vlan: a VLAN subinterface `<iface>.<vid>` of the mapped
 * interface); a port of a physical network without a mapping is skipped (its binding failed anyway).
 */
export function desiredL2(
  ports: BoundPort[],
  taps: Set<string>,
  tunnelIp: string,
  peers: Map<number, string[]>,
  opts: { mappings?: L2Mappings; remote?: Map<number, RemotePort[]> } = {},
): L2HostState {
  const want = emptyL2State();
  const mappings = opts.mappings ?? { interfaces: {}, bridges: {} };
  for (const p of [...ports].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const tap = tapName(p.id);
    let br = bridgeName(p.network_id);
    if (p.network_type === 'flat') {
      const physnet = p.physical_network ?? '';
      const existing = mappings.bridges[physnet];
      const iface = mappings.interfaces[physnet];
      if (existing) br = existing; // someone else's bridge: join it, never make or delete it
      else if (iface) {
        want.bridges.set(br, { mtu: p.mtu });
        want.masters.set(iface, br);
      } else continue;
    } else if (p.network_type === 'vlan') {
      const iface = mappings.interfaces[p.physical_network ?? ''];
      if (!iface || p.segmentation_id === null) continue; // vlan only through physical_interface_mappings
      const vl = vlanName(iface, p.segmentation_id);
      want.bridges.set(br, { mtu: p.mtu });
      want.vlans.set(vl, { parent: iface, vid: p.segmentation_id, mtu: p.mtu });
      want.masters.set(vl, br);
    } else if (p.network_type === 'vxlan' || p.network_type === 'local') {
      want.bridges.set(br, { mtu: p.mtu });
      if (p.network_type === 'vxlan' && p.segmentation_id !== null) {
        const vx = vxlanName(p.segmentation_id);
        want.vxlans.set(vx, { vni: p.segmentation_id, local: tunnelIp, mtu: p.mtu });
        want.masters.set(vx, br);
        for (const dst of peers.get(p.segmentation_id) ?? []) if (dst !== tunnelIp) want.floods.add(`${vx} ${dst}`);
        for (const r of opts.remote?.get(p.segmentation_id) ?? []) if (r.dst !== tunnelIp) want.fdb.add(`${vx} ${r.mac} ${r.dst}`);
      }
    } else continue; // another type: not served by this agent
    if (taps.has(tap)) want.masters.set(tap, br);
  }
  return want;
}

/**
 * The commands from `have` to `want`, in a safe order: bridges, then VXLAN and VLAN devices (a
 * changed VNI or local address, or a changed parent or VLAN id, means a new device), MTUs,
 * memberships, links up, flooding and unicast entries, and last the deletions of what we own and no
 * longer want. Empty when `have` already matches.
 */
export function planL2(want: L2HostState, have: L2HostState): L2Command[] {
  const cmds: L2Command[] = [];
  const up: string[] = [];
  const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const recreate = new Set<string>();

  /** Links of one kind: made when missing, made again when `differs` (what cannot change in place), else MTU and up fixed. */
  const ensure = <V extends { mtu: number }>(wanted: Map<string, V>, present: Map<string, V>, add: (name: string, v: V) => L2Command, differs: (cur: V, v: V) => boolean = () => false) => {
    for (const [name, v] of sorted(wanted)) {
      const cur = present.get(name);
      if (cur && differs(cur, v)) {
        cmds.push({ op: 'del-link', name });
        recreate.add(name);
      }
      if (!cur || recreate.has(name)) {
        cmds.push(add(name, v));
        up.push(name);
      } else {
        if (cur.mtu !== v.mtu) cmds.push({ op: 'set-mtu', name, mtu: v.mtu });
        if (have.down.has(name)) up.push(name);
      }
    }
  };
  ensure(want.bridges, have.bridges, (name, br) => ({ op: 'add-bridge', name, mtu: br.mtu }));
  ensure(
    want.vxlans,
    have.vxlans,
    (name, vx) => ({ op: 'add-vxlan', name, vni: vx.vni, local: vx.local, mtu: vx.mtu }),
    (cur, vx) => cur.vni !== vx.vni || cur.local !== vx.local,
  );
  ensure(
    want.vlans,
    have.vlans,
    (name, vl) => ({ op: 'add-vlan', name, parent: vl.parent, vid: vl.vid, mtu: vl.mtu }),
    (cur, vl) => cur.parent !== vl.parent || cur.vid !== vl.vid,
  );
  for (const [dev, master] of sorted(want.masters)) {
    const fresh = recreate.has(dev) || !have.masters.has(dev);
    if (master !== null && (fresh || have.masters.get(dev) !== master)) cmds.push({ op: 'set-master', name: dev, master });
  }
  for (const name of up.sort()) cmds.push({ op: 'set-up', name });
  for (const f of [...want.floods].sort()) {
    const [dev] = f.split(' ');
    if (!have.floods.has(f) || recreate.has(dev)) cmds.push({ op: 'add-flood', dev, dst: f.split(' ')[1] });
  }
  for (const f of [...have.floods].sort()) {
    const [dev, dst] = f.split(' ');
    if (!want.floods.has(f) && want.vxlans.has(dev) && !recreate.has(dev)) cmds.push({ op: 'del-flood', dev, dst });
  }
  // unicast entries: stale ones first (a MAC that moved to another host is replaced below)
  const wantMac = new Set([...want.fdb].map((f) => f.split(' ').slice(0, 2).join(' ')));
  for (const f of [...have.fdb].sort()) {
    const [dev, mac, dst] = f.split(' ');
    if (!want.fdb.has(f) && want.vxlans.has(dev) && !recreate.has(dev) && !wantMac.has(`${dev} ${mac}`)) cmds.push({ op: 'del-fdb', dev, mac, dst });
  }
  for (const f of [...want.fdb].sort()) {
    const [dev, mac, dst] = f.split(' ');
    if (!have.fdb.has(f) || recreate.has(dev)) cmds.push({ op: 'add-fdb', dev, mac, dst });
  }
  const owned = [...have.vxlans.keys(), ...have.bridges.keys()].filter((n) => OWNED.test(n));
  for (const name of [...owned, ...have.vlans.keys()].sort()) if (!want.vxlans.has(name) && !want.bridges.has(name) && !want.vlans.has(name)) cmds.push({ op: 'del-link', name });
  return cmds;
}

/** What the commands do to a host, as a model (for tests and dry runs): the state after them. */
export function applyL2(state: L2HostState, cmds: L2Command[]): L2HostState {
  const s: L2HostState = { bridges: new Map(state.bridges), vxlans: new Map(state.vxlans), vlans: new Map(state.vlans), masters: new Map(state.masters), floods: new Set(state.floods), fdb: new Set(state.fdb), down: new Set(state.down) };
  for (const c of cmds) {
    switch (c.op) {
      case 'add-bridge':
        if (s.bridges.has(c.name)) throw new Error(`${c.name} exists`);
        s.bridges.set(c.name, { mtu: c.mtu });
        s.down.add(c.name);
        break;
      case 'add-vxlan':
        if (s.vxlans.has(c.name)) throw new Error(`${c.name} exists`);
        s.vxlans.set(c.name, { vni: c.vni, local: c.local, mtu: c.mtu });
        s.masters.set(c.name, null);
        s.down.add(c.name);
        break;
      case 'add-vlan':
        if (s.vlans.has(c.name)) throw new Error(`${c.name} exists`);
        s.vlans.set(c.name, { parent: c.parent, vid: c.vid, mtu: c.mtu });
        s.masters.set(c.name, null);
        s.down.add(c.name);
        break;
      case 'set-mtu': {
        const map = [s.bridges, s.vxlans, s.vlans].find((m) => m.has(c.name)) as Map<string, { mtu: number }> | undefined;
        if (!map) throw new Error(`no ${c.name}`);
        map.set(c.name, { ...map.get(c.name)!, mtu: c.mtu });
        break;
      }
      case 'set-master':
        if (!s.bridges.has(c.master)) throw new Error(`no bridge ${c.master}`);
        if (!s.masters.has(c.name)) throw new Error(`no device ${c.name}`);
        s.masters.set(c.name, c.master);
        break;
      case 'set-up':
        s.down.delete(c.name);
        break;
      case 'add-flood':
        if (!s.vxlans.has(c.dev)) throw new Error(`no ${c.dev}`);
        s.floods.add(`${c.dev} ${c.dst}`);
        break;
      case 'del-flood':
        s.floods.delete(`${c.dev} ${c.dst}`);
        break;
      case 'add-fdb':
        if (!s.vxlans.has(c.dev)) throw new Error(`no ${c.dev}`);
        for (const f of [...s.fdb]) if (f.startsWith(`${c.dev} ${c.mac} `)) s.fdb.delete(f); // replace
        s.fdb.add(`${c.dev} ${c.mac} ${c.dst}`);
        break;
      case 'del-fdb':
        s.fdb.delete(`${c.dev} ${c.mac} ${c.dst}`);
        break;
      case 'del-link':
        s.bridges.delete(c.name);
        s.vxlans.delete(c.name);
        s.vlans.delete(c.name);
        s.masters.delete(c.name);
        s.down.delete(c.name);
        for (const [dev, m] of s.masters) if (m === c.name) s.masters.set(dev, null);
        for (const f of [...s.floods]) if (f.startsWith(`${c.name} `)) s.floods.delete(f);
        for (const f of [...s.fdb]) if (f.startsWith(`${c.name} `)) s.fdb.delete(f);
        break;
    }
  }
  return s;
}

/** The command in the agents' shared vocabulary (src/linux/host-command.ts, which renders the argv). */
export function renderL2(c: L2Command): HostCommand {
  switch (c.op) {
    case 'add-bridge':
      return { tool: 'ip-link', op: 'add', name: c.name, mtu: c.mtu, kind: { type: 'bridge' } };
    case 'add-vlan':
      return { tool: 'ip-link', op: 'add', name: c.name, mtu: c.mtu, kind: { type: 'vlan', parent: c.parent, vid: c.vid } };
    case 'add-vxlan':
      return { tool: 'ip-link', op: 'add', name: c.name, mtu: c.mtu, kind: { type: 'vxlan', vni: c.vni, local: c.local || undefined, dstport: 4789 } };
    case 'set-mtu':
      return { tool: 'ip-link', op: 'set', name: c.name, mtu: c.mtu };
    case 'set-master':
      return { tool: 'ip-link', op: 'set', name: c.name, master: c.master };
    case 'set-up':
      return { tool: 'ip-link', op: 'set', name: c.name, up: true };
    case 'add-flood':
      return { tool: 'bridge-fdb', op: 'append', mac: FLOOD_MAC, dev: c.dev, dst: c.dst };
    case 'del-flood':
      return { tool: 'bridge-fdb', op: 'del', mac: FLOOD_MAC, dev: c.dev, dst: c.dst };
    case 'add-fdb':
      return { tool: 'bridge-fdb', op: 'replace', mac: c.mac, dev: c.dev, dst: c.dst };
    case 'del-fdb':
      return { tool: 'bridge-fdb', op: 'del', mac: c.mac, dev: c.dev, dst: c.dst };
    case 'del-link':
      return { tool: 'ip-link', op: 'del', name: c.name };
  }
}
