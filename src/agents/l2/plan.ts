/**
 * The Linux bridge agent's host state and its planner: what a host should have for the ports bound
 * to it (a bridge `brq<net-id[:11]>` per network, a VXLAN device `vxlan-<vni>` with flooding
 * entries toward the other hosts' tunnel IPs, the taps of VMs joined to their bridge), and the
 * ordered commands that take the observed state there. Pure and deterministic: the runner
 * (src/linux/) executes the commands, observe.ts reads the state. Only objects whose names we own
 * (`brq…`, `vxlan-…`) are ever deleted; taps belong to whoever plugged them.
 */

export interface BridgeState {
  mtu: number;
}

export interface VxlanState {
  vni: number;
  /** The local tunnel address. */
  local: string;
  mtu: number;
}

export interface L2HostState {
  bridges: Map<string, BridgeState>;
  vxlans: Map<string, VxlanState>;
  /** Device (tap or vxlan) → the bridge it is joined to; a device present but joined to none maps to null. */
  masters: Map<string, string | null>;
  /** Flooding entries: `<vxlan device> <remote tunnel IP>`. */
  floods: Set<string>;
}

export type L2Command =
  | { op: 'add-bridge'; name: string; mtu: number }
  | { op: 'add-vxlan'; name: string; vni: number; local: string; mtu: number }
  | { op: 'set-mtu'; name: string; mtu: number }
  | { op: 'set-master'; name: string; master: string }
  | { op: 'set-up'; name: string }
  | { op: 'add-flood'; dev: string; dst: string }
  | { op: 'del-flood'; dev: string; dst: string }
  | { op: 'del-link'; name: string };

/** A port bound to this host, as the agent learns it from the server. */
export interface BoundPort {
  id: string;
  network_id: string;
  network_type: string;
  segmentation_id: number | null;
  mtu: number;
}

export const bridgeName = (networkId: string) => `brq${networkId.slice(0, 11)}`;
export const tapName = (portId: string) => `tap${portId.slice(0, 11)}`;
export const vxlanName = (vni: number) => `vxlan-${vni}`;
const OWNED = /^(brq|vxlan-)/;

export const emptyL2State = (): L2HostState => ({ bridges: new Map(), vxlans: new Map(), masters: new Map(), floods: new Set() });

/**
 * What the host should have. `taps`: the taps present on the host (a port whose tap is not
 * plugged yet gets its bridge, not a membership). `peers`: the other hosts' tunnel IPs per VNI.
 */
export function desiredL2(ports: BoundPort[], taps: Set<string>, tunnelIp: string, peers: Map<number, string[]>): L2HostState {
  const want = emptyL2State();
  for (const p of [...ports].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (p.network_type !== 'vxlan' && p.network_type !== 'local') continue; // flat/vlan: bridge_mappings, not here yet
    const br = bridgeName(p.network_id);
    want.bridges.set(br, { mtu: p.mtu });
    if (p.network_type === 'vxlan' && p.segmentation_id !== null) {
      const vx = vxlanName(p.segmentation_id);
      want.vxlans.set(vx, { vni: p.segmentation_id, local: tunnelIp, mtu: p.mtu });
      want.masters.set(vx, br);
      for (const dst of peers.get(p.segmentation_id) ?? []) if (dst !== tunnelIp) want.floods.add(`${vx} ${dst}`);
    }
    const tap = tapName(p.id);
    if (taps.has(tap)) want.masters.set(tap, br);
  }
  return want;
}

/**
 * The commands from `have` to `want`, in a safe order: bridges, then VXLAN devices (a changed VNI
 * or local address means a new device), MTUs, memberships, links up, flooding entries, and last the
 * deletions of what we own and no longer want. Empty when `have` already matches.
 */
export function planL2(want: L2HostState, have: L2HostState): L2Command[] {
  const cmds: L2Command[] = [];
  const up: string[] = [];
  const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const recreate = new Set<string>();

  for (const [name, br] of sorted(want.bridges)) {
    const cur = have.bridges.get(name);
    if (!cur) {
      cmds.push({ op: 'add-bridge', name, mtu: br.mtu });
      up.push(name);
    } else if (cur.mtu !== br.mtu) cmds.push({ op: 'set-mtu', name, mtu: br.mtu });
  }
  for (const [name, vx] of sorted(want.vxlans)) {
    const cur = have.vxlans.get(name);
    if (cur && (cur.vni !== vx.vni || cur.local !== vx.local)) {
      cmds.push({ op: 'del-link', name });
      recreate.add(name);
    }
    if (!cur || recreate.has(name)) {
      cmds.push({ op: 'add-vxlan', name, vni: vx.vni, local: vx.local, mtu: vx.mtu });
      up.push(name);
    } else if (cur.mtu !== vx.mtu) cmds.push({ op: 'set-mtu', name, mtu: vx.mtu });
  }
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
  const owned = [...have.vxlans.keys(), ...have.bridges.keys()].filter((n) => OWNED.test(n));
  for (const name of owned.sort()) if (!want.vxlans.has(name) && !want.bridges.has(name)) cmds.push({ op: 'del-link', name });
  return cmds;
}

/** What the commands do to a host, as a model (for tests and dry runs): the state after them. */
export function applyL2(state: L2HostState, cmds: L2Command[]): L2HostState {
  const s: L2HostState = { bridges: new Map(state.bridges), vxlans: new Map(state.vxlans), masters: new Map(state.masters), floods: new Set(state.floods) };
  for (const c of cmds) {
    switch (c.op) {
      case 'add-bridge':
        if (s.bridges.has(c.name)) throw new Error(`${c.name} exists`);
        s.bridges.set(c.name, { mtu: c.mtu });
        break;
      case 'add-vxlan':
        if (s.vxlans.has(c.name)) throw new Error(`${c.name} exists`);
        s.vxlans.set(c.name, { vni: c.vni, local: c.local, mtu: c.mtu });
        s.masters.set(c.name, null);
        break;
      case 'set-mtu': {
        const link = s.bridges.get(c.name) ?? s.vxlans.get(c.name);
        if (!link) throw new Error(`no ${c.name}`);
        (s.bridges.has(c.name) ? s.bridges : s.vxlans).set(c.name, { ...link, mtu: c.mtu } as never);
        break;
      }
      case 'set-master':
        if (!s.bridges.has(c.master)) throw new Error(`no bridge ${c.master}`);
        if (!s.masters.has(c.name)) throw new Error(`no device ${c.name}`);
        s.masters.set(c.name, c.master);
        break;
      case 'set-up':
        break;
      case 'add-flood':
        if (!s.vxlans.has(c.dev)) throw new Error(`no ${c.dev}`);
        s.floods.add(`${c.dev} ${c.dst}`);
        break;
      case 'del-flood':
        s.floods.delete(`${c.dev} ${c.dst}`);
        break;
      case 'del-link':
        s.bridges.delete(c.name);
        s.vxlans.delete(c.name);
        s.masters.delete(c.name);
        for (const [dev, m] of s.masters) if (m === c.name) s.masters.set(dev, null);
        for (const f of [...s.floods]) if (f.startsWith(`${c.name} `)) s.floods.delete(f);
        break;
    }
  }
  return s;
}

/** The argv of a command (iproute2), in namespace `netns` when given. */
export function renderL2(c: L2Command, netns?: string): string[] {
  const ip = netns ? ['ip', '-n', netns] : ['ip'];
  const bridge = netns ? ['ip', 'netns', 'exec', netns, 'bridge'] : ['bridge'];
  switch (c.op) {
    case 'add-bridge':
      return [...ip, 'link', 'add', c.name, 'mtu', String(c.mtu), 'type', 'bridge'];
    case 'add-vxlan':
      return [...ip, 'link', 'add', c.name, 'mtu', String(c.mtu), 'type', 'vxlan', 'id', String(c.vni), 'local', c.local, 'dstport', '4789', 'nolearning'];
    case 'set-mtu':
      return [...ip, 'link', 'set', c.name, 'mtu', String(c.mtu)];
    case 'set-master':
      return [...ip, 'link', 'set', c.name, 'master', c.master];
    case 'set-up':
      return [...ip, 'link', 'set', c.name, 'up'];
    case 'add-flood':
      return [...bridge, 'fdb', 'append', '00:00:00:00:00:00', 'dev', c.dev, 'dst', c.dst];
    case 'del-flood':
      return [...bridge, 'fdb', 'del', '00:00:00:00:00:00', 'dev', c.dev, 'dst', c.dst];
    case 'del-link':
      return [...ip, 'link', 'del', c.name];
  }
}
