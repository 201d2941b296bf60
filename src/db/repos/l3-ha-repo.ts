/**
 * Rows of HA routers (migration 0011: Neutron's ha_router_networks, ha_router_vrid_allocations,
 * ha_router_agent_port_bindings), added to the Schema by module augmentation, and the queries the
 * L3 plug-in and the agents' RPC handlers share. Every function runs in the caller's transaction
 * (or on the database) and does no other I/O.
 */
import type { Executor } from '../schema.js';

/** The VRRP states an HA binding records (Neutron's VALID_HA_STATES). */
export const HA_STATES = ['active', 'standby', 'unknown'] as const;
export type HaState = (typeof HA_STATES)[number];

/** One per project with HA routers: its HA network. */
export interface HaRouterNetworkRow {
  project_id: string;
  network_id: string;
}

/** A VRRP id taken on an HA network; the primary key keeps ids unique per network. */
export interface HaRouterVridAllocationRow {
  network_id: string;
  vr_id: number;
}

/** An HA router's port for one L3 agent, and the state that agent reported. */
export interface HaRouterAgentPortBindingRow {
  port_id: string;
  router_id: string;
  l3_agent_id: string | null;
  state: string;
}

declare module '../schema.js' {
  interface Schema {
    ha_router_networks: HaRouterNetworkRow;
    ha_router_vrid_allocations: HaRouterVridAllocationRow;
    ha_router_agent_port_bindings: HaRouterAgentPortBindingRow;
  }
}

export const DEVICE_OWNER_ROUTER_HA_INTF = 'network:router_ha_interface';
export const DEVICE_OWNER_HA_REPLICATED_INT = 'network:ha_router_replicated_interface';

/**
 * Takes the row lock of the project's HA network and returns its id, or undefined when the project
 * has none (or it went meanwhile): a write that changes nothing, so that creating an HA router and
 * removing a project's last one run one after the other on every database.
 */
export async function claimHaNetwork(trx: Executor, projectId: string): Promise<string | undefined> {
  const res = await trx
    .updateTable('ha_router_networks')
    .set((eb) => ({ network_id: eb.ref('network_id') }))
    .where('project_id', '=', projectId)
    .executeTakeFirst();
  if (!Number(res.numUpdatedRows)) return undefined;
  const row = await trx.selectFrom('ha_router_networks').select('network_id').where('project_id', '=', projectId).executeTakeFirst();
  return row?.network_id;
}

/** The project's HA network, without a lock (reads). */
export async function haNetworkOf(trx: Executor, projectId: string): Promise<string | undefined> {
  return (await trx.selectFrom('ha_router_networks').select('network_id').where('project_id', '=', projectId).executeTakeFirst())?.network_id;
}

/** VRRP ids taken on an HA network. */
export async function allocatedVrIds(trx: Executor, networkId: string): Promise<Set<number>> {
  const rows = await trx.selectFrom('ha_router_vrid_allocations').select('vr_id').where('network_id', '=', networkId).execute();
  return new Set(rows.map((r) => Number(r.vr_id)));
}

/** HA bindings of routers, optionally only those of one agent. */
export async function haBindings(trx: Executor, routerIds: string[], agentId?: string): Promise<HaRouterAgentPortBindingRow[]> {
  if (!routerIds.length) return [];
  let q = trx.selectFrom('ha_router_agent_port_bindings').selectAll().where('router_id', 'in', routerIds);
  if (agentId !== undefined) q = q.where('l3_agent_id', '=', agentId);
  return q.orderBy('port_id').execute();
}

/** The ids of the routers among `ids` that are HA routers. */
export async function haRouterIds(trx: Executor, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await trx.selectFrom('routers').select('id').where('id', 'in', ids).where('ha', '=', 1 as never).execute();
  return new Set(rows.map((r) => r.id));
}
