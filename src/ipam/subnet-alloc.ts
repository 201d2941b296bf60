/**
 * Subnet allocation from subnet pools, pure: sets of prefixes compacted into CIDRs the way netaddr's
 * IPSet does it for Neutron, the space a pool still has free, the CIDR Neutron's allocator picks for
 * a prefix length, and the units of a pool's per-project prefix quota. No I/O; the database side is
 * the subnet pool plug-in.
 */
import { cidrLast, cidrsOverlap, type Cidr, type IpVersion } from '../core/ip.js';
import type { Range } from './allocator.js';

const BITS = { 4: 32, 6: 128 } as const;

/** Sorted, merged ranges of the CIDRs of one IP version. */
function rangesOf(cidrs: Cidr[]): Range[] {
  const sorted = cidrs.map((c) => ({ first: c.network, last: cidrLast(c) })).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Range[] = [];
  for (const r of sorted) {
    const prev = out[out.length - 1];
    if (prev && r.first <= prev.last + 1n) prev.last = r.last > prev.last ? r.last : prev.last;
    else out.push({ ...r });
  }
  return out;
}

/** The fewest CIDRs that cover a range exactly, in address order. */
function cidrsOfRange(version: IpVersion, r: Range): Cidr[] {
  const bits = BITS[version];
  const out: Cidr[] = [];
  let first = r.first;
  while (first <= r.last) {
    let prefix = 0;
    // the largest block aligned on `first` that ends inside the range
    while (prefix < bits && (first & ((1n << BigInt(bits - prefix)) - 1n)) !== 0n) prefix++;
    while (first + (1n << BigInt(bits - prefix)) - 1n > r.last) prefix++;
    out.push({ version, network: first, prefix });
    first += 1n << BigInt(bits - prefix);
  }
  return out;
}

/** The union of `cidrs` as the fewest CIDRs, in address order (netaddr's IPSet.compact + iter_cidrs). */
export function compactCidrs(version: IpVersion, cidrs: Cidr[]): Cidr[] {
  return rangesOf(cidrs.filter((c) => c.version === version)).flatMap((r) => cidrsOfRange(version, r));
}

/** `from` less every address of `remove`, compacted. */
export function subtractCidrs(version: IpVersion, from: Cidr[], remove: Cidr[]): Cidr[] {
  const cut = rangesOf(remove.filter((c) => c.version === version));
  const out: Range[] = [];
  for (const r of rangesOf(from.filter((c) => c.version === version))) {
    let first = r.first;
    for (const hole of cut) {
      if (hole.last < first || hole.first > r.last) continue;
      if (hole.first > first) out.push({ first, last: hole.first - 1n });
      first = hole.last + 1n;
    }
    if (first <= r.last) out.push({ first, last: r.last });
  }
  return out.flatMap((r) => cidrsOfRange(version, r));
}

/** Whether every address of `inner` is in `outer`. */
export function covers(version: IpVersion, outer: Cidr[], inner: Cidr[]): boolean {
  return subtractCidrs(version, inner, outer).length === 0;
}

/** Whether any address is in both. */
export const intersects = (a: Cidr[], b: Cidr[]): boolean => a.some((x) => b.some((y) => cidrsOverlap(x, y)));

/**
 * What a pool can still hand out, in the order Neutron's allocator tries it: the smallest blocks
 * first (longest prefix), then by address, so that large blocks stay whole as long as possible.
 */
export function availableBlocks(version: IpVersion, prefixes: Cidr[], allocated: Cidr[]): Cidr[] {
  return subtractCidrs(version, prefixes, allocated)
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.prefix - a.c.prefix || a.i - b.i)
    .map(({ c }) => c);
}

/** The first `prefixlen` subnet of the first available block large enough, or undefined. */
export function pickSubnet(available: Cidr[], prefixlen: number): Cidr | undefined {
  const block = available.find((b) => b.prefix <= prefixlen);
  return block && { version: block.version, network: block.network, prefix: prefixlen };
}

/** Whether `cidr` lies wholly in what is available. */
export const isAvailable = (available: Cidr[], cidr: Cidr): boolean => covers(cidr.version, available, [cidr]);

/**
 * A prefix quota counts addresses in units: /32s for IPv4, /64s for IPv6 (a longer IPv6 prefix is
 * a fraction of a unit), as Neutron's SubnetAllocator does.
 */
export function quotaUnits(version: IpVersion, prefixlen: number): number {
  return 2 ** ((version === 4 ? 32 : 64) - prefixlen);
}
