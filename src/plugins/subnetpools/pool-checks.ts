/**
 * What Neutron's SubnetPoolReader decides about a pool, pure: the IP version its prefixes imply,
 * the prefixes compacted, the prefix length bounds with their defaults and Neutron's checks, and
 * which prefix changes an update may make (a pool only grows by update). No I/O.
 */
import {
  EmptySubnetPoolPrefixList,
  IllegalSubnetPoolPrefixBounds,
  IllegalSubnetPoolPrefixUpdate,
  PrefixVersionMismatch,
} from '../../core/errors.js';
import { parseCidr, type Cidr, type IpVersion } from '../../core/ip.js';
import { compactCidrs, covers } from '../../ipam/subnet-alloc.js';

/** Neutron's defaults per IP version: bounds, and the unspecified address of AnySubnetRequest. */
export const VERSION_INFO = {
  4: { bits: 32, minPrefixlen: 8, wildcard: '0.0.0.0' },
  6: { bits: 128, minPrefixlen: 64, wildcard: '::' },
} as const;

export interface PrefixBounds {
  min_prefixlen: number;
  max_prefixlen: number;
  default_prefixlen: number;
}

const cidrsOf = (texts: string[]): Cidr[] => texts.map((t) => parseCidr(t) as Cidr);

/** The IP version of a new pool's prefixes (all the same) and the prefixes compacted. */
export function readPrefixes(texts: string[]): { version: IpVersion; prefixes: Cidr[] } {
  if (!texts.length) throw new EmptySubnetPoolPrefixList();
  const cidrs = cidrsOf(texts);
  const version = cidrs[0].version;
  if (cidrs.some((c) => c.version !== version)) throw new PrefixVersionMismatch();
  return { version, prefixes: compactCidrs(version, cidrs) };
}

/**
 * An update's prefixes: every address the pool had must stay (IllegalSubnetPoolPrefixUpdate
 * otherwise), in one IP version. Returns them compacted.
 */
export function grownPrefixes(version: IpVersion, current: Cidr[], texts: string[]): Cidr[] {
  const wanted = cidrsOf(texts);
  if (!covers(version, wanted, current)) throw new IllegalSubnetPoolPrefixUpdate({ msg: 'Existing prefixes must be a subset of the new prefixes' });
  if (wanted.some((c) => c.version !== version)) throw new PrefixVersionMismatch();
  return compactCidrs(version, wanted);
}

/**
 * The bounds of a new pool: min 8 (IPv4) or 64 (IPv6), max the address width, default the min,
 * unless given. Then Neutron's checks, in its order.
 */
export function newBounds(version: IpVersion, given: Partial<PrefixBounds>): PrefixBounds {
  const min = given.min_prefixlen ?? VERSION_INFO[version].minPrefixlen;
  const bounds = { min_prefixlen: min, max_prefixlen: given.max_prefixlen ?? VERSION_INFO[version].bits, default_prefixlen: given.default_prefixlen ?? min };
  checkBounds(version, bounds);
  return bounds;
}

export function checkBounds(version: IpVersion, b: PrefixBounds): void {
  const refuse = (prefix_type: string, prefixlen: number, base_prefix_type: string, base_prefixlen: number) => {
    throw new IllegalSubnetPoolPrefixBounds({ prefix_type, prefixlen, base_prefix_type, base_prefixlen });
  };
  if (b.min_prefixlen > b.max_prefixlen) refuse('min_prefixlen', b.min_prefixlen, 'max_prefixlen', b.max_prefixlen);
  if (b.max_prefixlen > VERSION_INFO[version].bits) refuse('max_prefixlen', b.max_prefixlen, 'ip_version_max', VERSION_INFO[version].bits);
  if (b.default_prefixlen < b.min_prefixlen) refuse('default_prefixlen', b.default_prefixlen, 'min_prefixlen', b.min_prefixlen);
  if (b.default_prefixlen > b.max_prefixlen) refuse('default_prefixlen', b.default_prefixlen, 'max_prefixlen', b.max_prefixlen);
}
