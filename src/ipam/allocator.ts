/**
 * IPAM arithmetic, pure: default gateway and allocation pools of a subnet, validation of pools
 * given by the client (Neutron's errors), and the choice of a free address. The database side
 * (db-ipam.ts) supplies what is taken; nothing here does I/O.
 */
import {
  GatewayConflictWithAllocationPools,
  InvalidAllocationPool,
  OutOfBoundsAllocationPool,
  OverlappingAllocationPools,
} from '../core/errors.js';
import { cidrLast, formatCidr, formatIp, parseIp, type Cidr, type IpVersion } from '../core/ip.js';

export interface Range {
  first: bigint;
  last: bigint;
}

/** The addresses a port may get: v4 excludes the network and broadcast addresses. */
export function usableRange(c: Cidr): Range {
  if (c.version === 4 && c.prefix < 31) return { first: c.network + 1n, last: cidrLast(c) - 1n };
  if (c.version === 6) return { first: c.network + 1n, last: cidrLast(c) };
  return { first: c.network, last: cidrLast(c) };
}

/** Neutron's default gateway: the first host address for IPv4, the subnet-router anycast address for IPv6. */
export function defaultGateway(c: Cidr): bigint {
  return c.version === 6 ? c.network : usableRange(c).first;
}

/** The usable range less the gateway, split around it when it falls inside. */
export function defaultPools(c: Cidr, gateway: bigint | null): Range[] {
  const r = usableRange(c);
  if (gateway === null || gateway < r.first || gateway > r.last) return r.first <= r.last ? [r] : [];
  const out: Range[] = [];
  if (gateway > r.first) out.push({ first: r.first, last: gateway - 1n });
  if (gateway < r.last) out.push({ first: gateway + 1n, last: r.last });
  return out;
}

const rangeText = (v: IpVersion, r: Range) => `${formatIp(v, r.first)}-${formatIp(v, r.last)}`;

/** Checks client pools against the subnet: valid, ordered, inside, disjoint, clear of the gateway. */
export function validatePools(c: Cidr, pools: Array<{ start: string; end: string }>, gateway: bigint | null): Range[] {
  const ranges: Range[] = [];
  for (const p of pools) {
    const s = parseIp(p.start);
    const e = parseIp(p.end);
    if (!s || !e || s.version !== c.version || e.version !== c.version || s.value > e.value)
      throw new InvalidAllocationPool({ pool: `{'start': '${p.start}', 'end': '${p.end}'}` });
    const r = { first: s.value, last: e.value };
    const u = usableRange(c);
    if (r.first < u.first || r.last > u.last) throw new OutOfBoundsAllocationPool({ pool: rangeText(c.version, r), subnet_cidr: formatCidr(c) });
    ranges.push(r);
  }
  const sorted = [...ranges].sort((a, b) => (a.first < b.first ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].first <= sorted[i - 1].last)
      throw new OverlappingAllocationPools({
        pool_1: rangeText(c.version, sorted[i - 1]),
        pool_2: rangeText(c.version, sorted[i]),
        subnet_cidr: formatCidr(c),
      });
  }
  if (gateway !== null) {
    const hit = ranges.find((r) => gateway >= r.first && gateway <= r.last);
    if (hit) throw new GatewayConflictWithAllocationPools({ ip_address: formatIp(c.version, gateway), pool: rangeText(c.version, hit) });
  }
  return ranges;
}

export const poolSize = (pools: Range[]): bigint => pools.reduce((n, r) => n + (r.last - r.first + 1n), 0n);

/** A uniformly random address of the pools (for probing large, sparse subnets). */
export function randomInPools(pools: Range[], random: () => number = Math.random): bigint | undefined {
  const total = poolSize(pools);
  if (total === 0n) return undefined;
  // 53 random bits are plenty for choosing; reduce modulo the pool size.
  let k = BigInt(Math.floor(random() * 2 ** 53)) % total;
  for (const r of pools) {
    const n = r.last - r.first + 1n;
    if (k < n) return r.first + k;
    k -= n;
  }
  return undefined;
}

/**
 * Free addresses of the pools, skipping `taken` and `exclude`, at most `max` of them, in order.
 * Callers pick one at random so that concurrent allocators rarely choose the same one.
 */
export function freeInPools(pools: Range[], taken: Set<bigint>, exclude: Set<bigint>, max: number): bigint[] {
  const out: bigint[] = [];
  for (const r of pools) {
    for (let a = r.first; a <= r.last && out.length < max; a++) if (!taken.has(a) && !exclude.has(a)) out.push(a);
    if (out.length >= max) break;
  }
  return out;
}
