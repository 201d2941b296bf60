/**
 * Links as commands (`ip link add|set|del`): bridges, VXLAN and VLAN devices, veth pairs. A
 * command's `netns` is where the link lives; without it, the namespace the caller renders in (the
 * agent's host namespace).
 */
import { ipIn } from './ip-netns.js';

export type LinkKind =
  | { type: 'bridge' }
  /** No `local` (a single host): a device that floods nowhere. Learning off: l2population fills the FDB. */
  | { type: 'vxlan'; vni: number; local?: string; dstport: number }
  | { type: 'vlan'; parent: string; vid: number }
  /** The peer is made in `peerNetns`, with its own MAC and MTU. */
  | { type: 'veth'; peer: string; peerAddress: string; peerMtu: number; peerNetns: string };

export type IpLinkCommand =
  | { tool: 'ip-link'; op: 'add'; netns?: string; name: string; mtu: number; kind: LinkKind }
  /** Each given attribute is set; `up` brings the link up; `addrgenmode none`: no IPv6 link-local address of its own. */
  | { tool: 'ip-link'; op: 'set'; netns?: string; name: string; address?: string; mtu?: number; master?: string; up?: true; addrgenmode?: 'none' }
  | { tool: 'ip-link'; op: 'del'; netns?: string; name: string };

export function renderIpLink(c: IpLinkCommand, netns?: string): string[] {
  const ip = ipIn(c.netns ?? netns);
  switch (c.op) {
    case 'add': {
      const k = c.kind;
      const mtu = ['mtu', String(c.mtu)];
      switch (k.type) {
        case 'bridge':
          return [...ip, 'link', 'add', c.name, ...mtu, 'type', 'bridge'];
        case 'vlan':
          return [...ip, 'link', 'add', 'link', k.parent, 'name', c.name, ...mtu, 'type', 'vlan', 'id', String(k.vid)];
        case 'vxlan':
          return [...ip, 'link', 'add', c.name, ...mtu, 'type', 'vxlan', 'id', String(k.vni), ...(k.local ? ['local', k.local] : []), 'dstport', String(k.dstport), 'nolearning'];
        case 'veth':
          return [...ip, 'link', 'add', c.name, ...mtu, 'type', 'veth', 'peer', 'name', k.peer, 'address', k.peerAddress, 'mtu', String(k.peerMtu), 'netns', k.peerNetns];
      }
      break;
    }
    case 'set':
      return [
        ...ip,
        'link',
        'set',
        c.name,
        ...(c.address ? ['address', c.address] : []),
        ...(c.mtu !== undefined ? ['mtu', String(c.mtu)] : []),
        ...(c.master ? ['master', c.master] : []),
        ...(c.addrgenmode ? ['addrgenmode', c.addrgenmode] : []),
        ...(c.up ? ['up'] : []),
      ];
    case 'del':
      return [...ip, 'link', 'del', c.name];
  }
}
