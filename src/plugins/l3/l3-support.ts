/**
 * What the L3 plug-in's parts share: their dependencies (the core plug-in's narrow interface, which
 * creates, changes and deletes the router, gateway and floating IP ports with their events), and
 * the visibility rules of the rows it reads. Every function
 * that takes `trx` runs inside the caller's transaction and does no other I/O.
 */
import type { RequestContext } from '../../core/context.js';
import { BadRequest, SubnetNotFound } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { Executor, SubnetRow } from '../../db/schema.js';
import type { CorePlugin } from '../core-plugin.js';
import type { Events } from '../events.js';

/** Neutron's defaults for `[DEFAULT] max_routes` and `enable_snat_by_default`. */
export const MAX_ROUTES = 30;
export const ENABLE_SNAT_BY_DEFAULT = true;

export interface L3Deps {
  database: Database;
  core: CorePlugin;
  events: Events;
}

/** The same caller with admin rights: gateway and floating IP ports belong to no project. */
export const elevated = (ctx: RequestContext): RequestContext => ({ ...ctx, isAdmin: true });

/** A subnet the caller may see (own, or on a network it may see). */
export async function visibleSubnet(deps: L3Deps, trx: Executor, ctx: RequestContext, id: string): Promise<SubnetRow> {
  const row = await trx.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new SubnetNotFound({ subnet_id: id });
  if (!ctx.isAdmin && row.project_id !== ctx.projectId) {
    try {
      await deps.core.networkRow(trx, ctx, row.network_id);
    } catch {
      throw new SubnetNotFound({ subnet_id: id });
    }
  }
  return row;
}

/** Neutron refuses IPv6 subnets whose hosts take router advertisements from outside. */
export function checkSubnetAddressMode(s: SubnetRow): void {
  if (Number(s.ip_version) === 6 && s.ipv6_ra_mode === null && s.ipv6_address_mode !== null)
    throw new BadRequest({ resource: 'router', msg: `IPv6 subnet ${s.id} configured to receive RAs from an external router cannot be added to Neutron Router.` });
}

/** The addresses of ports, sorted by address text (the order Neutron lists them in). */
export async function allocationsOf(trx: Executor, portIds: string[]): Promise<Array<{ port_id: string; subnet_id: string; ip_address: string }>> {
  if (!portIds.length) return [];
  return trx
    .selectFrom('ip_allocations')
    .select(['port_id', 'subnet_id', 'ip_address'])
    .where('port_id', 'in', portIds)
    .orderBy('ip_address')
    .execute();
}
