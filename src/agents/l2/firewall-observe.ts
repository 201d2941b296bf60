/**
 * What the security group firewall has on a host, read back from the kernel: `nft -j list ruleset`
 * and br_netfilter's sysctls, parsed into firewall.ts's FirewallState. `parseFirewall` is pure;
 * `observeFirewall` reads through a CommandRunner (in namespace `netns` when given). Only our two
 * tables (`inet nucleon`, `bridge nucleon`) are looked at.
 */
import type { CommandRunner } from '../../linux/runner.js';
import { execIn } from '../../linux/ip-netns.js';
import { BASE_CHAINS, BRIDGE_NF, DISPATCH_MAPS, emptyFirewallState, PORT_CHAIN, TABLE, TRACKING_SETS, type FirewallState } from './firewall.js';

type NftObject = Record<string, Record<string, unknown> | undefined>;
interface NftChain {
  family: string;
  table: string;
  name: string;
  hook?: string;
  prio?: number;
}
interface NftSet {
  family: string;
  table: string;
  name: string;
  type?: string;
  map?: string;
  elem?: unknown[];
}

const ours = (o: { family?: unknown; table?: unknown }, family?: string) => o.table === TABLE && (family === undefined || o.family === family);

/** Our tables' state from `nft -j list ruleset` output and the sysctls' values. */
export function parseFirewall(ruleset: { nftables?: NftObject[] }, sysctls: Map<string, string>): FirewallState {
  const s = emptyFirewallState();
  s.sysctls = new Map(sysctls);
  const objects = ruleset.nftables ?? [];
  const chains = new Map<string, NftChain>();
  const rules = new Map<string, Array<{ comment?: string }>>();
  const tables = new Set<string>();
  for (const o of objects) {
    if (o.table && o.table.name === TABLE) tables.add(String(o.table.family));
    const chain = o.chain as NftChain | undefined;
    if (chain && ours(chain)) chains.set(`${chain.family} ${chain.name}`, chain);
    const rule = o.rule as { family: string; table: string; chain: string; comment?: string } | undefined;
    if (rule && ours(rule)) rules.set(`${rule.family} ${rule.chain}`, [...(rules.get(`${rule.family} ${rule.chain}`) ?? []), rule]);
    const set = (o.set ?? o.map) as NftSet | undefined;
    if (o.map && set && ours(set, 'inet') && set.name === 'zones' && set.type === 'ifname') {
      tables.add('map zones');
      for (const e of set.elem ?? []) if (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number') s.zones.set(e[0], e[1]);
    }
    if (!set || !ours(set, 'bridge')) continue;
    if (o.map && (DISPATCH_MAPS as readonly string[]).includes(set.name) && set.type === 'ifname' && set.map === 'verdict') {
      tables.add(`map ${set.name}`);
      for (const e of set.elem ?? []) {
        const [key, verdict] = e as [string, { jump?: { target?: string } }];
        if (verdict?.jump?.target === `${set.name}-${key}`) s.dispatch.add(`${set.name} ${key}`);
      }
    } else if (o.set && TRACKING_SETS.some((x) => x.name === set.name && x.type === set.type)) {
      tables.add(`set ${set.name}`);
      s.tracking.set(set.name, new Set((set.elem ?? []).filter((e): e is string => typeof e === 'string')));
    } else if (o.set && set.name.startsWith('sg-') && (set.type === 'ipv4_addr' || set.type === 'ipv6_addr')) {
      s.sets.set(set.name, { type: set.type, elements: new Set((set.elem ?? []).filter((e): e is string => typeof e === 'string')) });
    }
  }
  s.base =
    tables.has('inet') &&
    tables.has('bridge') &&
    [...DISPATCH_MAPS, 'zones'].every((m) => tables.has(`map ${m}`)) &&
    TRACKING_SETS.every((x) => tables.has(`set ${x.name}`)) &&
    BASE_CHAINS.every((b) => {
      const c = chains.get(`${b.family} ${b.name}`);
      return c?.hook === b.hook && c.prio === b.prio && (rules.get(`${b.family} ${b.name}`) ?? []).length === b.rules.length;
    });
  for (const [key, c] of chains) {
    if (c.family !== 'bridge' || !PORT_CHAIN.test(c.name)) continue;
    const body = rules.get(key) ?? [];
    const sig = body[body.length - 1]?.comment ?? '';
    const m = /^nucleon (\d+) [0-9a-f]+$/.exec(sig);
    s.chains.set(c.name, m && Number(m[1]) === body.length ? sig : '');
  }
  return s;
}

export async function observeFirewall(run: CommandRunner, netns?: string): Promise<FirewallState> {
  const sysctls = new Map<string, string>();
  for (const key of BRIDGE_NF) {
    const value = await run.run(execIn(netns, ['sysctl', '-n', key]), { read: true }).catch(() => '');
    sysctls.set(key, value.trim());
  }
  const ruleset = JSON.parse((await run.run(execIn(netns, ['nft', '-j', 'list', 'ruleset']), { read: true })) || '{}') as { nftables?: NftObject[] };
  return parseFirewall(ruleset, sysctls);
}
