/**
 * Security groups on the Linux bridge agent's taps, in nftables: the firewall's state on a host,
 * the state wanted for the answer of `security_group_info_for_devices`, the planner, a model of
 * what its commands do (for the tests), and their rendering into the shared vocabulary (`nft -f -`
 * transactions and `sysctl`, src/linux/nft.ts).
 * Pure and deterministic, like plan.ts; observe-firewall.ts reads the state back from the kernel.
 *
 * The layout (why: ARCHITECTURE.md, "Security groups"): with br_netfilter on in the host
 * namespace, bridged IP packets pass conntrack, in a conntrack zone per bridge (map `zones`, so
 * that equal addresses on two networks are two connections); table `inet nucleon` turns the
 * connection state into two mark bits (conntrack cannot be asked from the bridge family on this
 * kernel), and table `bridge nucleon` filters per tap: base chain `prerouting` dispatches on the
 * input port through map `egress` to `egress-tap…` (what a VM sends), base chain `forward` on the
 * output port through map `ingress` to `ingress-tap…` (what it receives). Remote groups' members are sets
 * `sg-<group>-4|6`. Stateless ports' packets are not tracked: bridge chain `untracked`, before
 * br_netfilter, marks what such a port sends or is sent (sets of taps and MACs) unless the other end
 * is a stateful port of this host, and `inet` raw turns the mark into `notrack`. A port's two
 * chains are replaced in one transaction; the last rule of each carries a signature of its rules
 * (`nucleon <count> <digest>`), which is how a restarted agent knows from the kernel alone whether
 * a chain is still what it wants.
 */
import { createHash } from 'node:crypto';
import type { NftCommand } from '../../linux/nft.js';
import { bridgeName, tapName } from './plan.js';
import { egressRules, ingressRules, isStateful, macsOf, memberSetName, MARK_ESTABLISHED, MARK_INVALID, MARK_UNTRACKED, type FilteredPort, type SecurityGroupRule } from './firewall-rules.js';

export const TABLE = 'nucleon';
/** br_netfilter's switches, per network namespace: bridged IPv4/IPv6 packets go through conntrack. */
export const BRIDGE_NF = ['net.bridge.bridge-nf-call-ip6tables', 'net.bridge.bridge-nf-call-iptables'];

const mark = (bit: number) => `0x${bit.toString(16)}`;
/**
 * The base chains (family, name, hook, priority, rules), created once and checked on every pass.
 * `untracked` runs before br_netfilter (bridge priority 0) hands the packet to the `inet` hooks: it
 * marks a packet that a stateless port sends or is sent, unless the other end is a stateful port of
 * this host (which keeps its replies allowed by state); `raw` then leaves a marked packet untracked.
 */
export const BASE_CHAINS = [
  {
    family: 'bridge',
    name: 'untracked',
    hook: 'prerouting',
    prio: -300,
    rules: [
      `meta mark set meta mark & ${mark(~MARK_UNTRACKED >>> 0)}`,
      `iifname @stateless-taps ether daddr != @stateful-macs meta mark set meta mark | ${mark(MARK_UNTRACKED)}`,
      `ether daddr @stateless-macs iifname != @stateful-taps meta mark set meta mark | ${mark(MARK_UNTRACKED)}`,
    ],
  },
  { family: 'inet', name: 'raw', hook: 'prerouting', prio: -300, rules: [`meta mark & ${mark(MARK_UNTRACKED)} == ${mark(MARK_UNTRACKED)} notrack accept`, 'ct zone set iifname map @zones'] },
  {
    family: 'inet',
    name: 'prerouting',
    hook: 'prerouting',
    prio: -150,
    rules: [
      `meta mark set meta mark & ${mark(~(MARK_ESTABLISHED | MARK_INVALID) >>> 0)}`,
      `ct state established,related meta mark set meta mark | ${mark(MARK_ESTABLISHED)}`,
      `ct state invalid meta mark set meta mark | ${mark(MARK_INVALID)}`,
    ],
  },
  { family: 'bridge', name: 'prerouting', hook: 'prerouting', prio: 10, rules: ['iifname vmap @egress'] },
  { family: 'bridge', name: 'forward', hook: 'forward', prio: -10, rules: ['oifname vmap @ingress'] },
] as const;
/** The dispatch maps: interface name → jump to that port's chain. */
export const DISPATCH_MAPS = ['egress', 'ingress'] as const;
export const PORT_CHAIN = /^(egress|ingress)-(tap.+)$/;
/** The sets the `untracked` chain reads: this host's filtered ports' taps and MACs, by kind. */
export const TRACKING_SETS = [
  { name: 'stateful-macs', type: 'ether_addr' },
  { name: 'stateful-taps', type: 'ifname' },
  { name: 'stateless-macs', type: 'ether_addr' },
  { name: 'stateless-taps', type: 'ifname' },
] as const;

export interface MemberSet {
  type: 'ipv4_addr' | 'ipv6_addr';
  elements: Set<string>;
}

export interface FirewallState {
  sysctls: Map<string, string>;
  /** Both tables, their base chains with their rules, and the dispatch maps are in place. */
  base: boolean;
  /** Per-port chains (`egress-tap…`, `ingress-tap…`) → their signature ('' when it has none or was altered). */
  chains: Map<string, string>;
  /** Dispatch entries `<map> <tap>` (e.g. `egress tap0123456789a`) that jump to that tap's chain. */
  dispatch: Set<string>;
  /** Remote groups' member sets. */
  sets: Map<string, MemberSet>;
  /** `TRACKING_SETS` name → its elements (taps or MACs); a name absent is an empty set. */
  tracking: Map<string, Set<string>>;
  /** Bridge → its conntrack zone (1–65535); in a wanted state 0, for "any free one". */
  zones: Map<string, number>;
  /** Wanted state only: each per-port chain's rules (the signature in `chains` is theirs). */
  rules: Map<string, string[]>;
}

/** What the server answers to `security_group_info_for_devices`. */
export interface SecurityGroupInfo {
  devices: Record<string, FilteredPort>;
  security_groups: Record<string, SecurityGroupRule[]>;
  sg_member_ips: Record<string, { IPv4?: string[]; IPv6?: string[] }>;
}

export type FirewallCommand =
  | { op: 'sysctl'; key: string; value: string }
  | { op: 'base' }
  | { op: 'zones'; add: Array<[bridge: string, zone: number]>; del: string[] }
  | { op: 'tracking'; add: Array<[set: string, element: string]>; del: Array<[set: string, element: string]> }
  | { op: 'set'; name: string; type: MemberSet['type']; create: boolean; add: string[]; del: string[] }
  | { op: 'port'; tap: string; chains: Array<{ name: string; rules: string[] }>; dispatch: string[] }
  | { op: 'del-port'; tap: string; chains: string[]; dispatch: string[] }
  | { op: 'del-set'; name: string };

export const emptyFirewallState = (): FirewallState => ({
  sysctls: new Map(),
  base: false,
  chains: new Map(),
  dispatch: new Set(),
  sets: new Map(),
  tracking: new Map(),
  zones: new Map(),
  rules: new Map(),
});

/** The comment of a chain's last rule: how many rules it has and a digest of them. */
export function signature(rules: string[]): string {
  return `nucleon ${rules.length + 1} ${createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16)}`;
}

/**
 * What the host should have: br_netfilter on, the base, and per port with port security (not a
 * `network:*` port, which Neutron trusts) its two chains and dispatch entries, its tap and MACs in
 * the tracking sets of its kind (stateful or stateless), and the member sets its rules name. Ports
 * without port security get nothing: their traffic is not looked at.
 */
export function desiredFirewall(info: SecurityGroupInfo): FirewallState {
  const want = emptyFirewallState();
  const ports = Object.values(info.devices)
    .filter((p) => p.port_security_enabled !== false && !p.device_owner?.startsWith('network:'))
    .sort((a, b) => (a.port_id < b.port_id ? -1 : 1));
  // a host with nothing to filter is left as it is: no sysctl, no table (the all-in-one server on
  // a machine that hosts no VM changes nothing); once made, the base stays
  if (ports.length) {
    want.base = true;
    for (const key of BRIDGE_NF) want.sysctls.set(key, '1');
  }
  for (const p of ports) {
    const tap = tapName(p.port_id);
    if (p.network_id) want.zones.set(bridgeName(p.network_id), 0);
    const rules = (p.security_groups ?? []).flatMap((g) => info.security_groups[g] ?? []);
    const stateful = isStateful(rules);
    const kind = stateful ? 'stateful' : 'stateless';
    for (const [name, elements] of [[`${kind}-taps`, [tap]], [`${kind}-macs`, macsOf(p)]] as const) {
      want.tracking.set(name, new Set([...(want.tracking.get(name) ?? []), ...elements]));
    }
    for (const r of rules) {
      if (!r.remote_group_id || r.remote_address_group_id) continue;
      const v6 = r.ethertype === 'IPv6';
      const members = info.sg_member_ips[r.remote_group_id]?.[v6 ? 'IPv6' : 'IPv4'] ?? [];
      want.sets.set(memberSetName(r.remote_group_id, v6 ? 6 : 4), { type: v6 ? 'ipv6_addr' : 'ipv4_addr', elements: new Set(members) });
    }
    for (const [name, body] of [[`egress-${tap}`, egressRules(p, rules, stateful)], [`ingress-${tap}`, ingressRules(rules, stateful)]] as const) {
      want.chains.set(name, signature(body));
      want.rules.set(name, body);
    }
    for (const m of DISPATCH_MAPS) want.dispatch.add(`${m} ${tap}`);
  }
  return want;
}

const sorted = <V>(m: Map<string, V>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const tapOf = (chainOrEntry: string) => (PORT_CHAIN.exec(chainOrEntry)?.[2] ?? chainOrEntry.split(' ')[1]) as string;

/**
 * The commands from `have` to `want`: sysctls, the base, conntrack zones of new bridges (the
 * lowest free numbers; a bridge keeps its zone while it is wanted) and of gone ones, the tracking
 * sets' elements (added and deleted in one command: a port that changed kind moves), member sets
 * (created or their elements changed), then one command per port whose chains or dispatch entries differ (its changed chains
 * replaced, nothing else touched), then what is left of deleted ports, and last unused sets.
 * Empty when `have` already matches.
 */
export function planFirewall(want: FirewallState, have: FirewallState): FirewallCommand[] {
  const cmds: FirewallCommand[] = [];
  for (const [key, value] of sorted(want.sysctls)) if (have.sysctls.get(key) !== value) cmds.push({ op: 'sysctl', key, value });
  // the base is needed for what is wanted, and also to clean up leftovers of ours in a broken one
  const leftovers = have.chains.size > 0 || have.dispatch.size > 0 || have.sets.size > 0 || have.zones.size > 0 || [...have.tracking.values()].some((s) => s.size > 0);
  if ((want.base || leftovers) && !have.base) cmds.push({ op: 'base' });
  const used = new Set(have.zones.values());
  const add: Array<[string, number]> = [];
  let next = 1;
  for (const [bridge] of sorted(want.zones)) {
    if (have.zones.has(bridge)) continue;
    while (used.has(next)) next++;
    if (next > 65535) break; // more bridges than zones: the rest share zone 0
    add.push([bridge, next]);
    used.add(next);
  }
  const delZones = [...have.zones.keys()].filter((b) => !want.zones.has(b)).sort();
  if (add.length || delZones.length) cmds.push({ op: 'zones', add, del: delZones });
  const tracking = { add: [] as Array<[string, string]>, del: [] as Array<[string, string]> };
  for (const { name } of TRACKING_SETS) {
    const w = want.tracking.get(name) ?? new Set<string>();
    const h = have.tracking.get(name) ?? new Set<string>();
    tracking.del.push(...[...h].filter((e) => !w.has(e)).sort().map((e): [string, string] => [name, e]));
    tracking.add.push(...[...w].filter((e) => !h.has(e)).sort().map((e): [string, string] => [name, e]));
  }
  if (tracking.add.length || tracking.del.length) cmds.push({ op: 'tracking', ...tracking });
  for (const [name, s] of sorted(want.sets)) {
    const cur = have.sets.get(name);
    const add = [...s.elements].filter((e) => !cur?.elements.has(e)).sort();
    const del = [...(cur?.elements ?? [])].filter((e) => !s.elements.has(e)).sort();
    if (!cur || add.length || del.length) cmds.push({ op: 'set', name, type: s.type, create: !cur, add, del });
  }
  const wantTaps = new Set([...want.chains.keys(), ...want.dispatch].map(tapOf));
  for (const tap of [...wantTaps].sort()) {
    const chains = [`egress-${tap}`, `ingress-${tap}`]
      .filter((name) => want.chains.has(name) && have.chains.get(name) !== want.chains.get(name))
      .map((name) => ({ name, rules: want.rules.get(name) ?? [] }));
    const dispatch = [...want.dispatch].filter((d) => tapOf(d) === tap && !have.dispatch.has(d)).sort();
    if (chains.length || dispatch.length) cmds.push({ op: 'port', tap, chains, dispatch });
  }
  const haveTaps = new Set([...have.chains.keys(), ...have.dispatch].map(tapOf));
  for (const tap of [...haveTaps].sort()) {
    if (wantTaps.has(tap)) continue;
    const chains = [...have.chains.keys()].filter((c) => tapOf(c) === tap).sort();
    const dispatch = [...have.dispatch].filter((d) => tapOf(d) === tap).sort();
    cmds.push({ op: 'del-port', tap, chains, dispatch });
  }
  for (const name of [...have.sets.keys()].sort()) if (!want.sets.has(name)) cmds.push({ op: 'del-set', name });
  return cmds;
}

/** What the commands do to a host, as a model (for tests): the state after them. */
export function applyFirewall(state: FirewallState, cmds: FirewallCommand[]): FirewallState {
  const s: FirewallState = {
    sysctls: new Map(state.sysctls),
    base: state.base,
    chains: new Map(state.chains),
    dispatch: new Set(state.dispatch),
    sets: new Map([...state.sets].map(([k, v]) => [k, { type: v.type, elements: new Set(v.elements) }])),
    tracking: new Map([...state.tracking].map(([k, v]) => [k, new Set(v)])),
    zones: new Map(state.zones),
    rules: new Map(),
  };
  for (const c of cmds) {
    switch (c.op) {
      case 'sysctl':
        s.sysctls.set(c.key, c.value);
        break;
      case 'base':
        s.base = true;
        break;
      case 'zones':
        if (!s.base) throw new Error('zones before the table');
        for (const b of c.del) if (!s.zones.delete(b)) throw new Error(`no zone for ${b}`);
        for (const [b, z] of c.add) {
          if (s.zones.has(b) || [...s.zones.values()].includes(z)) throw new Error(`zone ${z} of ${b} taken`);
          s.zones.set(b, z);
        }
        break;
      case 'tracking':
        if (!s.base) throw new Error('tracking sets before the table');
        for (const [name, e] of c.del) if (!s.tracking.get(name)?.delete(e)) throw new Error(`${e} not in ${name}`);
        for (const [name, e] of c.add) s.tracking.set(name, new Set([...(s.tracking.get(name) ?? []), e]));
        break;
      case 'set': {
        if (!s.base) throw new Error(`set ${c.name} before the table`);
        const cur = s.sets.get(c.name);
        if (!cur && !c.create) throw new Error(`no set ${c.name}`);
        const elements = new Set(cur?.elements ?? []);
        for (const e of c.del) if (!elements.delete(e)) throw new Error(`${e} not in ${c.name}`);
        for (const e of c.add) elements.add(e);
        s.sets.set(c.name, { type: c.type, elements });
        break;
      }
      case 'port':
        if (!s.base) throw new Error(`port ${c.tap} before the table`);
        for (const ch of c.chains) s.chains.set(ch.name, signature(ch.rules));
        for (const d of c.dispatch) {
          if (!s.chains.has(`${d.split(' ')[0]}-${c.tap}`)) throw new Error(`${d} jumps to no chain`);
          s.dispatch.add(d);
        }
        break;
      case 'del-port':
        for (const d of c.dispatch) if (!s.dispatch.delete(d)) throw new Error(`no ${d}`);
        for (const ch of c.chains) {
          if ([...s.dispatch].some((d) => `${d.split(' ')[0]}-${tapOf(d)}` === ch)) throw new Error(`${ch} still in use`);
          if (!s.chains.delete(ch)) throw new Error(`no chain ${ch}`);
        }
        break;
      case 'del-set':
        if (!s.sets.delete(c.name)) throw new Error(`no set ${c.name}`);
        break;
    }
  }
  return s;
}

/** The nft commands of one transaction. */
export function nftScript(c: Exclude<FirewallCommand, { op: 'sysctl' }>): string[] {
  const t = `bridge ${TABLE}`;
  switch (c.op) {
    case 'base': {
      const out = [
        `add table inet ${TABLE}`,
        `add map inet ${TABLE} zones { typeof iifname : ct zone; }`,
        `add table ${t}`,
        ...DISPATCH_MAPS.map((m) => `add map ${t} ${m} { type ifname : verdict; }`),
        ...TRACKING_SETS.map((x) => `add set ${t} ${x.name} { type ${x.type}; }`),
      ];
      for (const b of BASE_CHAINS) {
        const chain = `${b.family} ${TABLE} ${b.name}`;
        out.push(`add chain ${chain} { type filter hook ${b.hook} priority ${b.prio}; policy accept; }`, `flush chain ${chain}`, ...b.rules.map((r) => `add rule ${chain} ${r}`));
      }
      return out;
    }
    case 'zones':
      return [
        ...(c.del.length ? [`delete element inet ${TABLE} zones { ${c.del.map((b) => `"${b}"`).join(', ')} }`] : []),
        ...(c.add.length ? [`add element inet ${TABLE} zones { ${c.add.map(([b, z]) => `"${b}" : ${z}`).join(', ')} }`] : []),
      ];
    case 'tracking': {
      const elements = (pairs: Array<[string, string]>, verb: string) =>
        TRACKING_SETS.flatMap(({ name, type }) => {
          const es = pairs.filter(([n]) => n === name).map(([, e]) => (type === 'ifname' ? `"${e}"` : e));
          return es.length ? [`${verb} element ${t} ${name} { ${es.join(', ')} }`] : [];
        });
      return [...elements(c.del, 'delete'), ...elements(c.add, 'add')];
    }
    case 'set':
      return [
        ...(c.create ? [`add set ${t} ${c.name} { type ${c.type}; }`] : []),
        ...(c.del.length ? [`delete element ${t} ${c.name} { ${c.del.join(', ')} }`] : []),
        ...(c.add.length ? [`add element ${t} ${c.name} { ${c.add.join(', ')} }`] : []),
      ];
    case 'port':
      return [
        ...c.chains.flatMap((ch) => [
          `add chain ${t} ${ch.name}`,
          `flush chain ${t} ${ch.name}`,
          ...ch.rules.map((r) => `add rule ${t} ${ch.name} ${r}`),
          `add rule ${t} ${ch.name} drop comment "${signature(ch.rules)}"`,
        ]),
        ...c.dispatch.map((d) => {
          const map = d.split(' ')[0];
          return `add element ${t} ${map} { "${c.tap}" : jump ${map}-${c.tap} }`;
        }),
      ];
    case 'del-port':
      return [...c.dispatch.map((d) => `delete element ${t} ${d.split(' ')[0]} { "${c.tap}" }`), ...c.chains.map((ch) => `delete chain ${t} ${ch}`)];
    case 'del-set':
      return [`delete set ${t} ${c.name}`];
  }
}

/** The command in the agents' shared vocabulary (src/linux/nft.ts): a `sysctl`, or one `nft -f -` transaction. */
export function renderFirewall(c: FirewallCommand): NftCommand {
  if (c.op === 'sysctl') return { tool: 'sysctl', key: c.key, value: c.value };
  return { tool: 'nft', script: nftScript(c) };
}

/**
 * A whole plan as few commands as can be: the sysctls one by one, then every nftables change in
 * one `nft -f -` transaction, in plan order. The kernel applies it all or nothing, so a failure
 * leaves the host as it was for the next pass to plan again; and 500 new ports cost one
 * transaction, not 500 (bench/l2-resync.ts).
 */
export function renderFirewallBatch(cmds: FirewallCommand[]): NftCommand[] {
  const out = cmds.filter((c) => c.op === 'sysctl').map(renderFirewall);
  const script = cmds.flatMap((c) => (c.op === 'sysctl' ? [] : nftScript(c)));
  if (script.length) out.push({ tool: 'nft', script });
  return out;
}

/** The groups a host's filters depend on: its ports' groups and the remote groups of their rules. */
export function groupsOf(info: SecurityGroupInfo): Set<string> {
  const out = new Set(Object.keys(info.security_groups));
  for (const rules of Object.values(info.security_groups)) for (const r of rules) if (r.remote_group_id) out.add(r.remote_group_id);
  return out;
}
