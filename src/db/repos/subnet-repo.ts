/** Rows of subnets with their pools, name servers and host routes, loaded in batches for views. */
import type { AllocationPoolRow, DnsNameserverRow, Executor, SubnetRouteRow } from '../schema.js';
import { chunks } from './listing.js';

export interface SubnetChildren {
  pools: Map<string, AllocationPoolRow[]>;
  dns: Map<string, DnsNameserverRow[]>;
  routes: Map<string, SubnetRouteRow[]>;
}

export async function subnetChildren(trx: Executor, ids: string[]): Promise<SubnetChildren> {
  const out: SubnetChildren = { pools: new Map(), dns: new Map(), routes: new Map() };
  for (const id of ids) {
    out.pools.set(id, []);
    out.dns.set(id, []);
    out.routes.set(id, []);
  }
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const [pools, dns, routes] = await Promise.all([
      trx.selectFrom('allocation_pools').selectAll().where('subnet_id', 'in', part).execute(),
      trx.selectFrom('dns_nameservers').selectAll().where('subnet_id', 'in', part).orderBy('order').execute(),
      trx.selectFrom('subnet_routes').selectAll().where('subnet_id', 'in', part).execute(),
    ]);
    for (const r of pools) out.pools.get(r.subnet_id)?.push(r);
    for (const r of dns) out.dns.get(r.subnet_id)?.push(r);
    for (const r of routes) out.routes.get(r.subnet_id)?.push(r);
  }
  return out;
}
