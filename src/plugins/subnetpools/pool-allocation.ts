/**
 * Subnets from pools (the ML2 `allocateFromPool` hook), inside the subnet create's transaction, as
 * Neutron's SubnetAllocator does it: the pool named (or the default pool of the IP version that the
 * caller may see), the requested CIDR (given, or the gateway's network at the prefix length) or a
 * prefix length (given, or the pool's default), the pool's bounds, its per-project prefix quota,
 * then what is free. The pool is claimed (claimPool) before its allocations are read, so that a
 * concurrent allocation from the same pool, on this server or another, runs again and sees this one.
 */
import type { RequestContext } from '../../core/context.js';
import {
  AddrFormatError,
  BadRequest,
  MaxPrefixSubnetAllocationError,
  MinPrefixSubnetAllocationError,
  SubnetAllocationError,
  SubnetPoolQuotaExceeded,
} from '../../core/errors.js';
import { parseCidr, type Cidr, type IpVersion } from '../../core/ip.js';
import type { Executor } from '../../db/schema.js';
import { availableBlocks, isAvailable, pickSubnet, quotaUnits } from '../../ipam/subnet-alloc.js';
import type { PoolSubnet, PoolSubnetRequest } from '../core-plugin.js';
import { VERSION_INFO } from './pool-checks.js';
import { allocationsOf, claimPool, prefixesOf } from './pool-repo.js';
import type { SubnetPoolOps } from './pool-ops.js';

const cidrOf = (text: string) => parseCidr(text) as Cidr;

export function poolAllocator(pools: SubnetPoolOps) {
  return async (trx: Executor, ctx: RequestContext, req: PoolSubnetRequest): Promise<PoolSubnet> => {
    const pool = req.subnetpool_id !== undefined ? await pools.visibleRow(trx, ctx, req.subnetpool_id) : await pools.defaultRow(trx, ctx, req.ip_version);
    if (!pool) throw new BadRequest({ resource: 'subnets', msg: `No default subnetpool found for IPv${req.ip_version}` });
    const version = Number(pool.ip_version) as IpVersion;
    if (req.ip_version !== version) throw new BadRequest({ resource: 'subnets', msg: `Cannot allocate IPv${req.ip_version} subnet from IPv${version} subnet pool` });

    const wanted = requested(version, req, Number(pool.default_prefixlen));
    const prefixlen = wanted.cidr?.prefix ?? wanted.prefixlen;
    if (prefixlen > Number(pool.max_prefixlen)) throw new MaxPrefixSubnetAllocationError({ prefixlen, max_prefixlen: Number(pool.max_prefixlen) });
    if (prefixlen < Number(pool.min_prefixlen)) throw new MinPrefixSubnetAllocationError({ prefixlen, min_prefixlen: Number(pool.min_prefixlen) });

    await claimPool(trx, pool);
    const allocations = await allocationsOf(trx, pool.id);
    // 0 or none: no quota (Neutron tests the quota for truth)
    if (pool.default_quota) {
      const used = allocations.filter((a) => a.project_id === req.project_id).reduce((n, a) => n + quotaUnits(version, cidrOf(a.cidr).prefix), 0);
      if (used + quotaUnits(version, prefixlen) > Number(pool.default_quota)) throw new SubnetPoolQuotaExceeded();
    }
    const prefixes = ((await prefixesOf(trx, [pool.id])).get(pool.id) ?? []).map(cidrOf);
    const free = availableBlocks(version, prefixes, allocations.map((a) => cidrOf(a.cidr)));
    if (wanted.cidr) {
      if (!isAvailable(free, wanted.cidr)) throw new SubnetAllocationError({ reason: 'Cannot allocate requested subnet from the available set of prefixes' });
      return { subnetpool_id: pool.id, cidr: wanted.cidr, chosen: false };
    }
    const cidr = pickSubnet(free, prefixlen);
    if (!cidr) throw new SubnetAllocationError({ reason: `Insufficient prefix space to allocate subnet size /${prefixlen}` });
    return { subnetpool_id: pool.id, cidr, chosen: true };
  };
}

/**
 * Neutron's subnet request: a specific CIDR when one is given, or when a gateway is (its network at
 * the prefix length); otherwise any subnet of the prefix length. A prefix length wider than the
 * address is netaddr's AddrFormatError, as in Neutron.
 */
function requested(version: IpVersion, req: PoolSubnetRequest, defaultPrefixlen: number): { cidr?: Cidr; prefixlen: number } {
  if (req.cidr !== undefined) return { cidr: cidrOf(req.cidr), prefixlen: cidrOf(req.cidr).prefix };
  const prefixlen = req.prefixlen ?? defaultPrefixlen;
  const base = req.gateway_ip ?? VERSION_INFO[version].wildcard;
  const c = parseCidr(`${base}/${prefixlen}`);
  if (!c) throw new AddrFormatError({ input: `${base}/${prefixlen}` });
  return req.gateway_ip === undefined ? { prefixlen } : { cidr: { version: c.version, network: c.network, prefix: c.prefix }, prefixlen };
}
