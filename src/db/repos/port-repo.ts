/** Rows of ports with their IP allocations, allowed address pairs and extra DHCP options. */
import type { AllowedAddressPairRow, Executor, ExtraDhcpOptRow, IpAllocationRow } from '../schema.js';
import { chunks } from './listing.js';

export interface PortChildren {
  ips: Map<string, IpAllocationRow[]>;
  pairs: Map<string, AllowedAddressPairRow[]>;
  opts: Map<string, ExtraDhcpOptRow[]>;
}

export async function portChildren(trx: Executor, ids: string[]): Promise<PortChildren> {
  const out: PortChildren = { ips: new Map(), pairs: new Map(), opts: new Map() };
  for (const id of ids) {
    out.ips.set(id, []);
    out.pairs.set(id, []);
    out.opts.set(id, []);
  }
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const [ips, pairs, opts] = await Promise.all([
      trx.selectFrom('ip_allocations').selectAll().where('port_id', 'in', part).execute(),
      trx.selectFrom('allowed_address_pairs').selectAll().where('port_id', 'in', part).execute(),
      trx.selectFrom('extra_dhcp_opts').selectAll().where('port_id', 'in', part).execute(),
    ]);
    for (const r of ips) out.ips.get(r.port_id)?.push(r);
    for (const r of pairs) out.pairs.get(r.port_id)?.push(r);
    for (const r of opts) out.opts.get(r.port_id)?.push(r);
  }
  return out;
}

/** Deletes a port and everything hanging from it (children cascade; tags are removed here). */
export async function deletePortRows(trx: Executor, id: string): Promise<void> {
  await trx.deleteFrom('tags').where('resource_type', '=', 'ports').where('resource_id', '=', id).execute();
  await trx.deleteFrom('ip_allocations').where('port_id', '=', id).execute();
  await trx.deleteFrom('allowed_address_pairs').where('port_id', '=', id).execute();
  await trx.deleteFrom('extra_dhcp_opts').where('port_id', '=', id).execute();
  await trx.deleteFrom('ports').where('id', '=', id).execute();
}
