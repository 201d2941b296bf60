/**
 * Segment allocations: one row per (type, physical network, id) in use. The primary key stops two
 * servers from taking the same VNI or VLAN; the loser's transaction is retried and sees it taken.
 */
import type { Executor } from '../schema.js';

export async function isSegmentTaken(trx: Executor, type: string, physnet: string | null, id: number): Promise<boolean> {
  const row = await trx
    .selectFrom('segment_allocations')
    .select('network_id')
    .where('network_type', '=', type)
    .where('physical_network', '=', physnet ?? '')
    .where('segmentation_id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

export async function insertSegmentAllocation(trx: Executor, type: string, physnet: string | null, id: number, networkId: string): Promise<void> {
  await trx
    .insertInto('segment_allocations')
    .values({ network_type: type, physical_network: physnet ?? '', segmentation_id: id, network_id: networkId })
    .execute();
}

/** Ids in use within [min, max] for one type and physical network. */
export async function usedSegmentIds(trx: Executor, type: string, physnet: string | null, min: number, max: number): Promise<Set<number>> {
  const rows = await trx
    .selectFrom('segment_allocations')
    .select('segmentation_id')
    .where('network_type', '=', type)
    .where('physical_network', '=', physnet ?? '')
    .where('segmentation_id', '>=', min)
    .where('segmentation_id', '<=', max)
    .execute();
  return new Set(rows.map((r) => Number(r.segmentation_id)));
}

/**
 * Takes a free id from the ranges: random probes first (so concurrent servers rarely collide),
 * then a scan; undefined when every id is in use.
 */
export async function allocateFromRanges(
  trx: Executor,
  type: string,
  physnet: string | null,
  ranges: Array<[number, number]>,
  networkId: string,
): Promise<number | undefined> {
  for (const [min, max] of ranges) {
    const used = await usedSegmentIds(trx, type, physnet, min, max);
    const size = max - min + 1;
    if (used.size >= size) continue;
    let pick: number | undefined;
    for (let i = 0; i < 32 && pick === undefined; i++) {
      const candidate = min + Math.floor(Math.random() * size);
      if (!used.has(candidate)) pick = candidate;
    }
    for (let id = min; pick === undefined && id <= max; id++) if (!used.has(id)) pick = id;
    if (pick === undefined) continue;
    await insertSegmentAllocation(trx, type, physnet, pick, networkId);
    return pick;
  }
  return undefined;
}
