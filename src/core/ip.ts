/**
 * IP address and CIDR arithmetic for both families, on bigints so that IPv4 and IPv6 share one code
 * path. Parsing is strict (what Neutron accepts), formatting is canonical (what Neutron returns).
 * Pure functions over ipaddr.js; no I/O.
 */
import ipaddr from 'ipaddr.js';

export type IpVersion = 4 | 6;

export interface Cidr {
  version: IpVersion;
  /** First address of the network, as a number. */
  network: bigint;
  prefix: number;
}

const bits = (v: IpVersion) => (v === 4 ? 32 : 128);

/** Parses one address strictly; undefined when it is not a valid IPv4 or IPv6 address. */
export function parseIp(text: string): { version: IpVersion; value: bigint } | undefined {
  if (typeof text !== 'string') return undefined;
  if (text.includes('%')) return undefined; // zone ids are not addresses Neutron stores
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
    const bytes = ipaddr.IPv4.parse(text).toByteArray();
    if (bytes.join('.') !== text) return undefined; // leading zeros are ambiguous (octal)
    return { version: 4, value: bytesToBigInt(bytes) };
  }
  if (ipaddr.IPv6.isValid(text) && text.includes(':')) {
    return { version: 6, value: bytesToBigInt(ipaddr.IPv6.parse(text).toByteArray()) };
  }
  return undefined;
}

export const isIp = (text: unknown): boolean => typeof text === 'string' && parseIp(text) !== undefined;

/** Parses `addr/prefix`; `host` keeps the address as written (host bits may be set). */
export function parseCidr(text: string): (Cidr & { host: bigint }) | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  let prefix = bits(addr.version);
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > bits(addr.version)) return undefined;
  }
  return { version: addr.version, network: addr.value & netmask(addr.version, prefix), prefix, host: addr.value };
}

export function netmask(version: IpVersion, prefix: number): bigint {
  const width = BigInt(bits(version));
  const all = (1n << width) - 1n;
  return (all << (width - BigInt(prefix))) & all;
}

export const cidrSize = (c: Cidr): bigint => 1n << BigInt(bits(c.version) - c.prefix);
export const cidrLast = (c: Cidr): bigint => c.network + cidrSize(c) - 1n;
export const cidrContains = (c: Cidr, version: IpVersion, value: bigint): boolean =>
  c.version === version && value >= c.network && value <= cidrLast(c);
export const cidrsOverlap = (a: Cidr, b: Cidr): boolean =>
  a.version === b.version && a.network <= cidrLast(b) && b.network <= cidrLast(a);

export function formatIp(version: IpVersion, value: bigint): string {
  const n = version === 4 ? 4 : 16;
  const bytes: number[] = [];
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return version === 4 ? bytes.join('.') : ipaddr.fromByteArray(bytes).toString();
}

export const formatCidr = (c: Cidr): string => `${formatIp(c.version, c.network)}/${c.prefix}`;

/** Canonical text of an address ('2001:DB8::0001' → '2001:db8::1'); input must be valid. */
export function canonicalIp(text: string): string {
  const p = parseIp(text);
  if (!p) throw new Error(`not an IP address: ${text}`);
  return formatIp(p.version, p.value);
}

/** The SLAAC address of a MAC in a /64 (modified EUI-64, RFC 4291). */
export function eui64Address(prefix: Cidr, mac: string): bigint {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [b[0] ^ 0x02, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  return prefix.network | bytesToBigInt(iid);
}

function bytesToBigInt(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

const MAC_RE = /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;

/** A unicast-or-not MAC in any of the usual notations, normalised to lower case with colons. */
export function parseMac(text: unknown): string | undefined {
  if (typeof text !== 'string' || !MAC_RE.test(text)) return undefined;
  const mac = text.toLowerCase().replace(/-/g, ':');
  if (mac === '00:00:00:00:00:00') return undefined;
  return mac;
}
