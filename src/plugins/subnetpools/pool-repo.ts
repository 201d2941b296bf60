/**
 * Rows of subnet pools and their prefixes (tables of migration 0007), and the compare-and-swap on a
 * pool's `allocation_version` that every change to what the pool can hand out goes through.
 */
import { RetryRequest } from '../../db/database.js';
import type { Executor, StandardColumns } from '../../db/schema.js';
import { chunks } from '../../db/repos/listing.js';

export interface SubnetPoolRow extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  ip_version: number;
  default_prefixlen: number;
  min_prefixlen: number;
  max_prefixlen: number;
  shared: number | boolean;
  is_default: number | boolean;
  /** The ip_version while the pool is the default one, else NULL: unique, so one default per version. */
  default_version: number | null;
  default_quota: number | null;
  address_scope_id: string | null;
  allocation_version: number;
}

declare module '../../db/schema.js' {
  interface Schema {
    subnetpools: SubnetPoolRow;
    subnetpool_prefixes: { subnetpool_id: string; cidr: string };
  }
}

/** The prefixes of each pool, as stored (compacted, canonical text). */
export async function prefixesOf(trx: Executor, poolIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(poolIds.map((id) => [id, []]));
  for (const part of chunks(poolIds)) {
    if (!part.length) continue;
    const rows = await trx.selectFrom('subnetpool_prefixes').selectAll().where('subnetpool_id', 'in', part).execute();
    for (const r of rows) out.get(r.subnetpool_id)?.push(r.cidr);
  }
  return out;
}

export async function writePrefixes(trx: Executor, poolId: string, cidrs: string[]): Promise<void> {
  await trx.deleteFrom('subnetpool_prefixes').where('subnetpool_id', '=', poolId).execute();
  if (cidrs.length) await trx.insertInto('subnetpool_prefixes').values(cidrs.map((cidr) => ({ subnetpool_id: poolId, cidr }))).execute();
}

/** The CIDRs of the subnets allocated from a pool, with their owners. */
export async function allocationsOf(trx: Executor, poolId: string): Promise<Array<{ cidr: string; project_id: string }>> {
  return trx.selectFrom('subnets').select(['cidr', 'project_id']).where('subnetpool_id', '=', poolId).execute();
}

/**
 * Claims the pool for this transaction: bumps `allocation_version` if it is still the one read with
 * `pool`, else throws RetryRequest. The UPDATE reads the newest committed row on every database
 * (and waits for a concurrent claimer to finish), so of two transactions that read the same version
 * only one gets past here; the other runs again and sees what the first allocated. Whatever the
 * transaction read before its claim therefore still holds when it commits.
 */
export async function claimPool(trx: Executor, pool: Pick<SubnetPoolRow, 'id' | 'allocation_version'>): Promise<void> {
  const res = await trx
    .updateTable('subnetpools')
    .set({ allocation_version: Number(pool.allocation_version) + 1 })
    .where('id', '=', pool.id)
    .where('allocation_version', '=', pool.allocation_version)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw new RetryRequest(`subnet pool ${pool.id} changed concurrently`);
}
