/**
 * What the DHCP and L3 agents share: a namespace of their own per network or router
 * (`<prefix>qdhcp-<id>`, `<prefix>qrouter-<id>`) whose devices are veth peers of taps in the host
 * namespace (where the L2 agent joins them to the networks' bridges), plus a state directory of
 * files. The commands that make and unmake such a namespace (as data, each agent's plan adding its
 * own), their rendering in the agents' shared vocabulary (src/linux/), and the parsers of what
 * `ip -j` prints about them. Pure.
 */
import type { HostCommand } from '../linux/host-command.js';

export interface NsDevice {
  mac: string;
  mtu: number;
  /** `address/prefix`, sorted; link-local IPv6 addresses are the kernel's and not listed. */
  addrs: string[];
}

export type NsCommand =
  | { op: 'add-netns'; netns: string }
  /** `tap` in the host namespace, its peer `name` in `netns` with the port's MAC and MTU. */
  | { op: 'add-veth'; netns: string; name: string; tap: string; mac: string; mtu: number }
  | { op: 'set-link'; netns: string; name: string; mac: string; mtu: number }
  /** `netns` null: the tap, in the host namespace. */
  | { op: 'set-up'; netns: string | null; name: string }
  | { op: 'add-addr'; netns: string; name: string; cidr: string }
  | { op: 'del-addr'; netns: string; name: string; cidr: string }
  | { op: 'del-link'; netns: string; name: string }
  | { op: 'write-file'; path: string; content: string }
  | { op: 'del-netns'; netns: string }
  | { op: 'remove-dir'; path: string };

/** The command in the agents' shared vocabulary (src/linux/host-command.ts); a tap (no namespace) goes in the host namespace. */
export function renderNsCommand(c: NsCommand): HostCommand {
  switch (c.op) {
    case 'add-netns':
      return { tool: 'netns', op: 'add', name: c.netns };
    case 'add-veth':
      return { tool: 'ip-link', op: 'add', name: c.tap, mtu: c.mtu, kind: { type: 'veth', peer: c.name, peerAddress: c.mac, peerMtu: c.mtu, peerNetns: c.netns } };
    case 'set-link':
      return { tool: 'ip-link', op: 'set', netns: c.netns, name: c.name, address: c.mac, mtu: c.mtu };
    case 'set-up':
      return { tool: 'ip-link', op: 'set', netns: c.netns ?? undefined, name: c.name, up: true };
    case 'add-addr':
      return { tool: 'ip-addr', op: 'add', netns: c.netns, dev: c.name, cidr: c.cidr };
    case 'del-addr':
      return { tool: 'ip-addr', op: 'del', netns: c.netns, dev: c.name, cidr: c.cidr };
    case 'del-link':
      return { tool: 'ip-link', op: 'del', netns: c.netns, name: c.name };
    case 'write-file':
      return { tool: 'file', op: 'write', path: c.path, content: c.content };
    case 'del-netns':
      return { tool: 'netns', op: 'del', name: c.netns };
    case 'remove-dir':
      return { tool: 'file', op: 'remove', path: c.path };
  }
}

export const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Resource id → namespace, for the namespaces named `<prefix><kind>-<uuid>` in `ip -j netns list`. */
export function parseAgentNamespaces(list: Array<{ name?: string }>, prefix: string, kind: 'qdhcp' | 'qrouter'): Map<string, string> {
  const re = new RegExp(`^${escape(prefix)}${kind}-(${UUID})$`);
  const out = new Map<string, string>();
  for (const n of list) {
    const m = re.exec(n.name ?? '');
    if (m) out.set(m[1], n.name!);
  }
  return out;
}

export interface IpAddrLink {
  ifname: string;
  address?: string;
  mtu?: number;
  addr_info?: Array<{ local?: string; prefixlen?: number; family?: string; scope?: string }>;
}

/** The devices of `ip -j addr show` whose names `ours` accepts; link-local and host-scope addresses are left out. */
export function parseNsDevices(links: IpAddrLink[], ours: RegExp): Map<string, NsDevice> {
  const out = new Map<string, NsDevice>();
  for (const l of links) {
    if (!ours.test(l.ifname)) continue;
    const addrs = (l.addr_info ?? []).filter((a) => a.local && a.scope !== 'link' && a.scope !== 'host').map((a) => `${a.local}/${a.prefixlen}`);
    out.set(l.ifname, { mac: (l.address ?? '').toLowerCase(), mtu: l.mtu ?? 1500, addrs: addrs.sort() });
  }
  return out;
}
