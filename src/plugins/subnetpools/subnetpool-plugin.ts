/**
 * The subnet pool service plug-in: `/v2.0/subnetpools` with its prefix actions (extensions
 * `subnet_allocation`, `subnetpool-prefix-ops`), and subnets allocated from pools, joined to the
 * core as its pool allocator (CorePlugin.setPoolAllocator) (`subnetpool_id`, and `use_default_subnetpool` of
 * extension `default-subnetpools`).
 */
import type { ServiceDeps } from '../../app.js';
import { subnetpoolExtensions, subnetpoolResource } from '../../api/resources/subnetpools.js';
import type { ServicePlugin } from '../plugin-api.js';
import { poolAllocator } from './pool-allocation.js';
import { SubnetPoolOps } from './pool-ops.js';
import type { SubnetPoolRow } from './pool-repo.js';

declare module '../events.js' {
  interface EventMap {
    subnetpool: Pick<Lifecycle<SubnetPoolRow>, 'before_create'>;
  }
}

export function subnetPoolPlugin({ database, core, events }: ServiceDeps): ServicePlugin {
  events.declare('subnetpool', ['before_create']);
  const pools = new SubnetPoolOps(database, events);
  core.setPoolAllocator(poolAllocator(pools));
  return {
    resources: [subnetpoolResource()],
    extensions: subnetpoolExtensions(),
    collections: () => ({ subnetpools: pools }),
  };
}
