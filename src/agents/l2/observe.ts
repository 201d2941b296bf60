/**
 * What a host has, for the Linux bridge agent: links from `ip -j -d link show` and flooding
 * entries from `bridge -j fdb show`, parsed into the planner's L2HostState. `parseL2` is pure;
 * `observeL2` reads through a CommandRunner (in namespace `netns` when given).
 */
import type { CommandRunner } from '../../linux/runner.js';
import { execIn, ipIn } from '../../linux/ip-netns.js';
import { emptyL2State, type L2HostState } from './plan.js';

interface IpLink {
  ifname: string;
  mtu?: number;
  master?: string;
  flags?: string[];
  /** The parent of a VLAN device (`ip -j` prints `link`). */
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string } };
}

interface FdbEntry {
  mac?: string;
  ifname?: string;
  dst?: string;
}

/**
 * Our bridges and VXLAN devices, every tap with its bridge, the mapped physical interfaces (`also`)
 * with theirs, and our VXLAN devices' flooding and unicast entries.
 */
export function parseL2(links: IpLink[], fdb: FdbEntry[], also: ReadonlySet<string> = new Set()): L2HostState {
  const s = emptyL2State();
  for (const l of links) {
    const kind = l.linkinfo?.info_kind;
    const ours = (kind === 'bridge' && l.ifname.startsWith('brq')) || (kind === 'vxlan' && l.ifname.startsWith('vxlan-'));
    if (kind === 'bridge' && l.ifname.startsWith('brq')) s.bridges.set(l.ifname, { mtu: l.mtu ?? 1500 });
    else if (kind === 'vxlan' && l.ifname.startsWith('vxlan-')) {
      s.vxlans.set(l.ifname, { vni: l.linkinfo?.info_data?.id ?? -1, local: l.linkinfo?.info_data?.local ?? '', mtu: l.mtu ?? 1500 });
      s.masters.set(l.ifname, l.master ?? null);
    }
    // VLAN subinterfaces of the mapped interfaces are ours (made for vlan networks)
    const vlan = kind === 'vlan' && l.link !== undefined && also.has(l.link);
    if (vlan) {
      s.vlans.set(l.ifname, { parent: l.link as string, vid: l.linkinfo?.info_data?.id ?? -1, mtu: l.mtu ?? 1500 });
      s.masters.set(l.ifname, l.master ?? null);
    }
    if ((ours || vlan) && !(l.flags ?? []).includes('UP')) s.down.add(l.ifname);
    if (l.ifname.startsWith('tap') || also.has(l.ifname)) s.masters.set(l.ifname, l.master ?? null);
  }
  for (const e of fdb) {
    if (!e.dst || !e.ifname || !s.vxlans.has(e.ifname)) continue;
    if (e.mac === '00:00:00:00:00:00') s.floods.add(`${e.ifname} ${e.dst}`);
    else if (e.mac) s.fdb.add(`${e.ifname} ${e.mac} ${e.dst}`);
  }
  return s;
}

export async function observeL2(run: CommandRunner, netns?: string, also?: ReadonlySet<string>): Promise<L2HostState> {
  const links = JSON.parse((await run.run([...ipIn(netns), '-j', '-d', 'link', 'show'], { read: true })) || '[]') as IpLink[];
  const fdb = JSON.parse((await run.run(execIn(netns, ['bridge', '-j', 'fdb', 'show']), { read: true })) || '[]') as FdbEntry[];
  return parseL2(links, fdb, also);
}
