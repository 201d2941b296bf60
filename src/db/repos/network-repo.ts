/** Rows of networks and their segments, and the batch loads that build network views. */
import type { Executor, NetworkRow, SegmentRow } from '../schema.js';
import { chunks } from './listing.js';

export async function networkRow(trx: Executor, id: string): Promise<NetworkRow | undefined> {
  return trx.selectFrom('networks').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function segmentsOf(trx: Executor, ids: string[]): Promise<Map<string, SegmentRow[]>> {
  const out = new Map<string, SegmentRow[]>(ids.map((id) => [id, []]));
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = await trx.selectFrom('network_segments').selectAll().where('network_id', 'in', part).orderBy('segment_index').execute();
    for (const r of rows) out.get(r.network_id)?.push(r);
  }
  return out;
}

export async function subnetIdsOf(trx: Executor, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = await trx.selectFrom('subnets').select(['id', 'network_id']).where('network_id', 'in', part).orderBy('id').execute();
    for (const r of rows) out.get(r.network_id)?.push(r.id);
  }
  return out;
}
