/**
 * Security group rule semantics, pure: protocol names and numbers, port ranges (and ICMP type and
 * code), ethertype against the remote prefix, one remote only, and the identity of two rules for
 * duplicate detection. Neutron's errors from the catalogue.
 */
import {
  InvalidCIDR,
  SecurityGroupEthertypeConflictWithProtocol,
  SecurityGroupInvalidIcmpValue,
  SecurityGroupInvalidPortRange,
  SecurityGroupInvalidPortValue,
  SecurityGroupInvalidProtocolForPort,
  SecurityGroupMissingIcmpType,
  SecurityGroupMultipleRemoteEntites,
  SecurityGroupProtocolRequiredWithPorts,
  SecurityGroupRuleInvalidEtherType,
  SecurityGroupRuleInvalidProtocol,
  SecurityGroupRuleParameterConflict,
} from '../../core/errors.js';
import { formatCidr, formatIp, parseCidr } from '../../core/ip.js';

/** IANA numbers of the protocol names Neutron accepts (neutron-lib's IP_PROTOCOL_MAP). */
export const PROTOCOLS: Record<string, number> = {
  ah: 51, dccp: 33, egp: 8, esp: 50, gre: 47, hopopt: 0, icmp: 1, igmp: 2, ip: 0, ipip: 4,
  'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-icmp': 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60,
  'ipv6-route': 43, ospf: 89, pgm: 113, rsvp: 46, sctp: 132, tcp: 6, udp: 17, udplite: 136, vrrp: 112,
};
const PORT_PROTOCOLS = [6, 17, 33, 132, 136];
const ICMP_PROTOCOLS = [1, 58];
const IPV6_ONLY = ['ipv6-encap', 'ipv6-frag', 'ipv6-icmp', 'icmpv6', 'ipv6-nonxt', 'ipv6-opts', 'ipv6-route'];
const SUPPORTED = `[None, ${Object.keys(PROTOCOLS).map((p) => `'${p}'`).join(', ')}]`;

/** The protocol as Neutron stores it: a lower-case name, a number as text, or null. */
export function normaliseProtocol(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const text = String(value);
  if (/^\d+$/.test(text) && Number(text) <= 255) return String(Number(text));
  if (typeof value === 'string' && value.toLowerCase() in PROTOCOLS) return value.toLowerCase();
  throw new SecurityGroupRuleInvalidProtocol({ protocol: text, values: SUPPORTED });
}

export const protocolNumber = (p: string | null): number | null => (p === null ? null : /^\d+$/.test(p) ? Number(p) : PROTOCOLS[p]);

export function normaliseEthertype(value: unknown): string {
  const found = ['IPv4', 'IPv6'].find((e) => typeof value === 'string' && e.toLowerCase() === value.toLowerCase());
  if (!found) throw new SecurityGroupRuleInvalidEtherType({ ethertype: String(value) });
  return found;
}

export function normalisePort(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new SecurityGroupInvalidPortValue({ port: value });
  return n;
}

/** `10.0.0.1` → `10.0.0.1/32`; host bits kept as the client wrote them, as Neutron stores it. */
export function normalisePrefix(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  const c = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!c) throw new InvalidCIDR({ input: String(value) });
  return `${formatIp(c.version, c.host)}/${c.prefix}`;
}

export const normalizedCidr = (prefix: string | null): string | null => (prefix === null ? null : formatCidr(parseCidr(prefix)!));

export interface RuleFields {
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
}

/** Checks one rule's fields together; throws Neutron's error. */
export function checkRule(r: RuleFields): void {
  if (r.remote_ip_prefix !== null && r.remote_group_id !== null) throw new SecurityGroupMultipleRemoteEntites();
  if (r.remote_ip_prefix !== null) {
    const v = parseCidr(r.remote_ip_prefix)!.version;
    if ((v === 4) !== (r.ethertype === 'IPv4')) throw new SecurityGroupRuleParameterConflict({ ethertype: r.ethertype, cidr: r.remote_ip_prefix });
  }
  if (r.protocol !== null && r.ethertype === 'IPv4' && IPV6_ONLY.includes(r.protocol))
    throw new SecurityGroupEthertypeConflictWithProtocol({ ethertype: r.ethertype, protocol: r.protocol });
  const { port_range_min: min, port_range_max: max } = r;
  if (min === null && max === null) return;
  const proto = protocolNumber(r.protocol);
  if (proto === null) throw new SecurityGroupProtocolRequiredWithPorts();
  if (PORT_PROTOCOLS.includes(proto)) {
    if (min === 0 || max === 0) throw new SecurityGroupInvalidPortValue({ port: 0 });
    if (min === null || max === null || min > max) throw new SecurityGroupInvalidPortRange();
  } else if (ICMP_PROTOCOLS.includes(proto)) {
    for (const [field, attr, value] of [['type', 'port_range_min', min], ['code', 'port_range_max', max]] as const)
      if (value !== null && (value < 0 || value > 255)) throw new SecurityGroupInvalidIcmpValue({ field, attr, value });
    if (min === null && max !== null) throw new SecurityGroupMissingIcmpType({ value: max });
  } else {
    throw new SecurityGroupInvalidProtocolForPort({
      protocol: r.protocol as string,
      valid_port_protocols: "['tcp', 'udp', 'dccp', 'sctp', 'udplite', 'icmp', 'ipv6-icmp']",
    });
  }
}

/** Two rules are the same rule when they match the same traffic (protocol by number, prefix by network). */
export function sameRule(a: RuleFields, b: RuleFields): boolean {
  return (
    a.direction === b.direction &&
    a.ethertype === b.ethertype &&
    protocolNumber(a.protocol) === protocolNumber(b.protocol) &&
    a.port_range_min === b.port_range_min &&
    a.port_range_max === b.port_range_max &&
    normalizedCidr(a.remote_ip_prefix) === normalizedCidr(b.remote_ip_prefix) &&
    a.remote_group_id === b.remote_group_id
  );
}
