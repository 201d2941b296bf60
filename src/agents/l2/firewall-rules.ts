/**
 * The security group firewall's rules for one port, as nftables statements (bridge family): what
 * a VM may send (`egress-tap…`: anti-spoofing, DHCP as a client only, then its groups' egress
 * rules) and what it may receive (`ingress-tap…`: replies, DHCP replies, neighbour discovery, then
 * its groups' ingress rules); both end in a drop. Connection state comes from the packet mark that
 * the `inet` prerouting chain sets from conntrack (see firewall.ts); a port in stateless groups
 * (`stateful = false`) gets the same chains without it: its packets are not tracked, so nothing
 * passes as a reply, and its rules must allow both ways. Pure: Neutron's payloads in, statement
 * texts out.
 */

/** A security group rule as `security_group_info_for_devices` gives it (Neutron's fields). */
export interface SecurityGroupRule {
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  normalized_cidr?: string | null;
  remote_group_id: string | null;
  remote_address_group_id?: string | null;
  /** Whether the rule's group is stateful, on every rule, as Neutron's answer has it (absent: stateful). */
  stateful?: boolean;
}

/** A port's details as `security_group_info_for_devices` gives them. */
export interface FilteredPort {
  port_id: string;
  network_id?: string;
  mac_address: string;
  fixed_ips: Array<{ ip_address: string }>;
  allowed_address_pairs?: Array<{ ip_address: string; mac_address?: string }>;
  port_security_enabled?: boolean;
  security_groups?: string[];
  device_owner?: string;
}

/** Mark bits the `inet` prerouting chain sets from conntrack, read by the per-port chains. */
export const MARK_ESTABLISHED = 0x40000000;
export const MARK_INVALID = 0x20000000;
/** Mark bit the bridge `untracked` chain sets on a stateless port's packets, so that `inet` raw skips conntrack for them. */
export const MARK_UNTRACKED = 0x10000000;

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
export const ESTABLISHED = `meta mark & ${hex(MARK_ESTABLISHED)} == ${hex(MARK_ESTABLISHED)} accept`;
export const INVALID = `meta mark & ${hex(MARK_INVALID)} == ${hex(MARK_INVALID)} drop`;

/**
 * Whether a port is filtered statefully: Neutron's agent asks its groups' rules (a port's groups
 * are all stateful or all stateless, the API sees to that), so a stateless group with no rule at
 * all is filtered statefully, which changes nothing but conntrack entries: nothing passes anyway.
 */
export const isStateful = (rules: SecurityGroupRule[]) => !rules.some((r) => r.stateful === false);

/** The set holding the member addresses of a remote group, per IP version. */
export const memberSetName = (groupId: string, version: 4 | 6) => `sg-${groupId}-${version}`;

/** Neutron's protocol names (neutron-lib's IP_PROTOCOL_MAP) and their numbers. */
const PROTOCOLS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, icmpv6: 58, igmp: 2, ipip: 4, 'ipv6-encap': 41,
  'ipv6-frag': 44, 'ipv6-icmp': 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, 'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46,
  sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
}; // prettier-ignore
const WITH_PORTS = new Set([6, 17, 33, 132, 136]);

const isV6 = (ip: string) => ip.includes(':');
const hostCidr = (ip: string) => (ip.includes('/') ? ip : `${ip}/${isV6(ip) ? 128 : 32}`);

/** The IPv6 link-local address a MAC gives (EUI-64), as Neutron allows it besides the fixed IPs. */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 0x02;
  const words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
  return `fe80::${words.map((w) => w.toString(16)).join(':')}`;
}

/** One security group rule as a statement; undefined for what this firewall cannot express (address groups). */
export function renderRule(r: SecurityGroupRule, direction: 'ingress' | 'egress'): string | undefined {
  if (r.remote_address_group_id) return undefined;
  const v6 = r.ethertype === 'IPv6';
  const parts = [v6 ? 'ether type ip6' : 'ether type ip'];
  const side = direction === 'ingress' ? 'saddr' : 'daddr';
  const family = v6 ? 'ip6' : 'ip';
  const prefix = r.normalized_cidr ?? r.remote_ip_prefix;
  if (prefix && !/\/0$/.test(prefix)) parts.push(`${family} ${side} ${prefix}`);
  if (r.remote_group_id) parts.push(`${family} ${side} @${memberSetName(r.remote_group_id, v6 ? 6 : 4)}`);
  const name = r.protocol === null || r.protocol === 'any' ? undefined : r.protocol.toLowerCase();
  if (name !== undefined) {
    let proto = PROTOCOLS[name] ?? Number(name);
    if (!Number.isInteger(proto)) return undefined;
    if (v6 && proto === 1) proto = 58;
    parts.push(`meta l4proto ${proto}`);
    if (WITH_PORTS.has(proto) && r.port_range_min !== null) {
      const max = r.port_range_max ?? r.port_range_min;
      parts.push(`th dport ${max === r.port_range_min ? max : `${r.port_range_min}-${max}`}`);
    } else if (proto === 1 || proto === 58) {
      const icmp = proto === 1 ? 'icmp' : 'icmpv6';
      if (r.port_range_min !== null) parts.push(`${icmp} type ${r.port_range_min}`);
      if (r.port_range_min !== null && r.port_range_max !== null) parts.push(`${icmp} code ${r.port_range_max}`);
    }
  }
  return [...parts, 'accept'].join(' ');
}

/** The MACs a port may send from: its own and its allowed address pairs'. */
export const macsOf = (p: FilteredPort) => [...new Set(sources(p).map((s) => s.mac))].sort();

/** The (MAC, address) pairs a port may send from: its own, and its allowed address pairs. */
function sources(p: FilteredPort): Array<{ mac: string; ip: string }> {
  const mac = p.mac_address.toLowerCase();
  const out = p.fixed_ips.map((f) => ({ mac, ip: hostCidr(f.ip_address) }));
  for (const pair of p.allowed_address_pairs ?? []) out.push({ mac: (pair.mac_address ?? mac).toLowerCase(), ip: hostCidr(pair.ip_address) });
  for (const m of new Set([mac, ...out.map((s) => s.mac)])) out.push({ mac: m, ip: `${linkLocal(m)}/128` });
  return out;
}

const list = (xs: string[]) => `{ ${[...new Set(xs)].sort().join(', ')} }`;
const bare = (cidr: string) => cidr.replace(/\/(32|128)$/, '');

/**
 * What the VM may send: only from its addresses, DHCP and neighbour discovery as a client, then
 * (stateful) replies and not invalid packets, then its egress rules.
 */
export function egressRules(p: FilteredPort, rules: SecurityGroupRule[], stateful = true): string[] {
  const src = sources(p);
  const v4 = src.filter((s) => !isV6(s.ip));
  const v6 = src.filter((s) => isV6(s.ip));
  const out = [
    `ether saddr != ${list(src.map((s) => s.mac))} drop`,
    v4.length ? `ether type arp arp saddr ether . arp saddr ip ${list([...v4.map((s) => `${s.mac} . ${bare(s.ip)}`), `${p.mac_address.toLowerCase()} . 0.0.0.0`])} accept` : undefined,
    'ether type arp drop',
    'ether type ip ip saddr 0.0.0.0 ip daddr 255.255.255.255 udp sport 68 udp dport 67 accept',
    'ether type ip6 ip6 saddr :: meta l4proto 58 icmpv6 type { 131, 135, 143 } accept',
    v4.length ? `ether type ip ether saddr . ip saddr != ${list(v4.map((s) => `${s.mac} . ${bare(s.ip)}`))} drop` : 'ether type ip drop',
    `ether type ip6 ether saddr . ip6 saddr != ${list(v6.map((s) => `${s.mac} . ${bare(s.ip)}`))} drop`,
    'ether type != { ip, ip6 } drop',
    'ether type ip udp sport 68 udp dport 67 accept',
    'ether type ip udp sport 67 udp dport 68 drop',
    'ether type ip6 udp sport 546 udp dport 547 accept',
    'ether type ip6 udp sport 547 udp dport 546 drop',
    'ether type ip6 meta l4proto 58 icmpv6 type 134 drop',
    'ether type ip6 meta l4proto 58 icmpv6 type { 130, 131, 132, 133, 135, 136, 143 } accept',
    ...(stateful ? [ESTABLISHED, INVALID] : []),
  ];
  return [...out, ...groupRules(rules, 'egress')].filter((r): r is string => r !== undefined);
}

/** What the VM may receive: (stateful) replies and not invalid packets, DHCP replies, ARP and neighbour discovery, then its ingress rules. */
export function ingressRules(rules: SecurityGroupRule[], stateful = true): string[] {
  return [
    ...(stateful ? [ESTABLISHED, INVALID] : []),
    'ether type arp accept',
    'ether type ip udp sport 67 udp dport 68 accept',
    'ether type ip6 udp sport 547 udp dport 546 accept',
    'ether type ip6 meta l4proto 58 icmpv6 type { 130, 134, 135, 136 } accept',
    ...groupRules(rules, 'ingress'),
  ];
}

function groupRules(rules: SecurityGroupRule[], direction: 'ingress' | 'egress'): string[] {
  const out = rules.filter((r) => r.direction === direction).map((r) => renderRule(r, direction));
  return [...new Set(out.filter((r): r is string => r !== undefined))].sort();
}
