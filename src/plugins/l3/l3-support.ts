/**
 * What the L3 plug-in's parts share: their dependencies, the ports it creates and deletes through
 * the core plug-in (hooks included), and the visibility rules of the rows it reads. Every function
 * that takes `trx` runs inside the caller's transaction and does no other I/O.
 */
import type { RequestContext } from '../../core/context.js';
import { BadRequest, SubnetNotFound } from '../../core/errors.js';
import { NOT_SPECIFIED, prepareItem, type ResourceDef } from '../../api/resources/attributes.js';
import { buildRegistry } from '../../api/resources/registry.js';
import type { Database } from '../../db/database.js';
import { deletePortRows } from '../../db/repos/port-repo.js';
import type { Executor, SubnetRow } from '../../db/schema.js';
import { DbIpam } from '../../ipam/db-ipam.js';
import type { Ml2Plugin } from '../ml2/ml2-plugin.js';
import { runHooks } from '../ml2/hooks.js';
import type { Resource } from '../plugin-api.js';

/** Neutron's defaults for `[DEFAULT] max_routes` and `enable_snat_by_default`. */
export const MAX_ROUTES = 30;
export const ENABLE_SNAT_BY_DEFAULT = true;

export interface L3Deps {
  database: Database;
  ml2: Ml2Plugin;
  ipam: DbIpam;
  /** The core `ports` resource, for complete create items of the ports this plug-in owns. */
  portDef: ResourceDef;
}

export function l3Deps(database: Database, ml2: Ml2Plugin): L3Deps {
  const portDef = buildRegistry().get('ports');
  if (!portDef) throw new Error('the core ports resource is missing');
  return { database, ml2, ipam: new DbIpam(), portDef };
}

/** The same caller with admin rights: gateway and floating IP ports belong to no project. */
export const elevated = (ctx: RequestContext): RequestContext => ({ ...ctx, isAdmin: true });

export interface ServicePortSpec {
  network_id: string;
  project_id: string;
  device_id: string;
  device_owner: string;
  fixed_ips?: Array<{ subnet_id?: string; ip_address?: string }>;
}

/**
 * Creates a port the L3 plug-in owns through the core plug-in (IPAM, MAC, hooks), with every
 * attribute at its default except these; router and floating IP ports have no port security,
 * as Neutron gives `network:*` ports. Returns the rendered port.
 */
export async function createServicePort(deps: L3Deps, trx: Executor, ctx: RequestContext, spec: ServicePortSpec): Promise<Resource> {
  const item = prepareItem(
    deps.portDef,
    { network_id: spec.network_id, device_id: spec.device_id, device_owner: spec.device_owner, name: '', admin_state_up: true, port_security_enabled: false },
    'post',
  );
  item.project_id = spec.project_id;
  item.fixed_ips = spec.fixed_ips ?? NOT_SPECIFIED;
  return deps.ml2.ports.createInTransaction(trx, ctx, item);
}

/** Deletes a port on the plug-in's behalf: every `beforePortDelete` hook runs with `internal`. */
export async function deleteServicePort(deps: L3Deps, trx: Executor, ctx: RequestContext, id: string): Promise<void> {
  const port = await trx.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
  if (!port) return;
  await runHooks(deps.ml2.hooks.beforePortDelete, trx, ctx, port, true);
  await deletePortRows(trx, id);
}


/** A subnet the caller may see (own, or on a network it may see). */
export async function visibleSubnet(deps: L3Deps, trx: Executor, ctx: RequestContext, id: string): Promise<SubnetRow> {
  const row = await trx.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new SubnetNotFound({ subnet_id: id });
  if (!ctx.isAdmin && row.project_id !== ctx.projectId) {
    try {
      await deps.ml2.networks.visibleRow(trx, ctx, row.network_id);
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
