/**
 * The subnet pool service plug-in: `/v2.0/subnetpools` with its prefix actions (extensions
 * `subnet_allocation`, `subnetpool-prefix-ops`), and subnets allocated from pools, joined to the
 * core through the ML2 `allocateFromPool` hook (`subnetpool_id`, and `use_default_subnetpool` of
 * extension `default-subnetpools`).
 */
import type { ServiceDeps } from '../../app.js';
import { subnetpoolExtensions, subnetpoolResource } from '../../api/resources/subnetpools.js';
import type { ServicePlugin } from '../plugin-api.js';
import { poolAllocator } from './pool-allocation.js';
import { SubnetPoolOps } from './pool-ops.js';

export function subnetPoolPlugin({ database, ml2 }: ServiceDeps): ServicePlugin {
  const pools = new SubnetPoolOps(database, ml2.hooks);
  ml2.hooks.allocateFromPool = poolAllocator(pools);
  return {
    resources: [subnetpoolResource()],
    extensions: subnetpoolExtensions(),
    collections: () => ({ subnetpools: pools }),
  };
}
