/** Rows of ports with their IP allocations, allowed address pairs and extra DHCP options. */
import type { AllowedAddressPairRow, Executor, ExtraDhcpOptRow, IpAllocationRow } from '../schema.js';
import { sql } from 'kysely';
import { chunks } from './listing.js';
import { prepared } from './prepared.js';

export interface PortChildren {
  ips: Map<string, Array<Pick<IpAllocationRow, 'subnet_id' | 'ip_address'>>>;
  pairs: Map<string, Array<Pick<AllowedAddressPairRow, 'mac_address' | 'ip_address'>>>;
  opts: Map<string, Array<Pick<ExtraDhcpOptRow, 'opt_name' | 'opt_value' | 'ip_version'>>>;
  tags: Map<string, string[]>;
}

/** An integer NULL in every dialect (a bare NULL is text to PostgreSQL in a UNION). */
const NO_INT = sql<number | null>`NULLIF(0, 0)`;

/**
 * Addresses, address pairs, DHCP options and tags of ports, in one UNION ALL query per 500 ports:
 * showing a port is the hottest read, and this is one round trip instead of four.
 */
function childrenQuery(trx: Executor, op: 'in' | '=', ids: string[] | string) {
  return trx
    .selectFrom('ip_allocations')
    .select([sql<string>`'ip'`.as('k'), 'port_id as p', 'subnet_id as a', 'ip_address as b', NO_INT.as('c')])
    .where('port_id', op, ids)
    .unionAll(
      trx
        .selectFrom('allowed_address_pairs')
        .select([sql<string>`'pair'`.as('k'), 'port_id as p', 'mac_address as a', 'ip_address as b', NO_INT.as('c')])
        .where('port_id', op, ids),
    )
    .unionAll(
      trx
        .selectFrom('extra_dhcp_opts')
        .select([sql<string>`'opt'`.as('k'), 'port_id as p', 'opt_name as a', 'opt_value as b', 'ip_version as c'])
        .where('port_id', op, ids),
    )
    .unionAll(
      trx
        .selectFrom('tags')
        .select([sql<string>`'tag'`.as('k'), 'resource_id as p', 'tag as a', 'tag as b', NO_INT.as('c')])
        .where('resource_type', '=', 'ports')
        .where('resource_id', op, ids),
    );
}

/** One port's children: the query compiled once (a port show is the hottest read). */
const childrenOfOne = prepared((trx, id: string) => childrenQuery(trx, '=', id));

export async function portChildren(trx: Executor, ids: string[]): Promise<PortChildren> {
  const out: PortChildren = { ips: new Map(), pairs: new Map(), opts: new Map(), tags: new Map() };
  for (const id of ids) {
    out.ips.set(id, []);
    out.pairs.set(id, []);
    out.opts.set(id, []);
    out.tags.set(id, []);
  }
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = part.length === 1 ? await childrenOfOne(trx, part[0]) : await childrenQuery(trx, 'in', part).execute();
    for (const r of rows) {
      if (r.k === 'ip') out.ips.get(r.p)?.push({ subnet_id: r.a, ip_address: r.b });
      else if (r.k === 'pair') out.pairs.get(r.p)?.push({ mac_address: r.a, ip_address: r.b });
      else if (r.k === 'opt') out.opts.get(r.p)?.push({ opt_name: r.a, opt_value: r.b, ip_version: Number(r.c) });
      else out.tags.get(r.p)?.push(r.a);
    }
  }
  for (const t of out.tags.values()) t.sort();
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
