/**
 * Rows of the L3 service plug-in (routers, their ports and extra routes, floating IPs), added to
 * the Schema by module augmentation, and the batch loads that build router and floating IP views
 * (a fixed number of queries per page, whatever its size).
 */
import { nowStamp } from './standard-attr-repo.js';
import { chunks } from './listing.js';
import { bool, type Executor, type PortRow, type StandardColumns } from '../schema.js';

type Bool = number | boolean;

export interface RouterRow extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  status: string;
  admin_state_up: Bool;
  enable_snat: Bool;
  /** The port on the external network (device_owner network:router_gateway), or null. */
  gw_port_id: string | null;
  /** Extension `dvr`: an attribute only (Nucleon has no L3 agents to distribute to). */
  distributed: Bool;
  /** JSON list of zone names (migration 0008); checked against the agents' zones by the agents plug-in. */
  availability_zone_hints: string;
  /** Extension `l3-ha` (migration 0011): VRRP across the L3 agents hosting the router. */
  ha: Bool;
  /** The router's VRRP id on its project's HA network (HA routers only). */
  ha_vr_id: number | null;
}

/** Which ports belong to which router; the primary key on port_id keeps a port on one router. */
export interface RouterPortRow {
  router_id: string;
  port_id: string;
  /** The port's device_owner when it was attached (network:router_interface, network:router_gateway). */
  port_type: string;
}

export interface RouterRouteRow {
  router_id: string;
  destination: string;
  nexthop: string;
}

/**
 * Unique (floating_network_id, floating_ip_address) and (floating_network_id, fixed_port_id,
 * fixed_ip_address): one address per external network, one floating IP per fixed IP.
 */
export interface FloatingIpRow extends StandardColumns {
  id: string;
  project_id: string;
  floating_ip_address: string;
  floating_network_id: string;
  floating_port_id: string;
  fixed_port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
}

declare module '../schema.js' {
  interface Schema {
    routers: RouterRow;
    router_ports: RouterPortRow;
    router_routes: RouterRouteRow;
    floatingips: FloatingIpRow;
  }
}

export const DEVICE_OWNER_ROUTER_INTF = 'network:router_interface';
export const DEVICE_OWNER_ROUTER_GW = 'network:router_gateway';
export const DEVICE_OWNER_FLOATINGIP = 'network:floatingip';
/** Owners of the ports a router uses on its internal networks (Neutron's ROUTER_INTERFACE_OWNERS). */
export const ROUTER_INTERFACE_OWNERS = [DEVICE_OWNER_ROUTER_INTF, 'network:ha_router_replicated_interface', 'network:router_interface_distributed'];
/**
 * The device owner of a router's interfaces (Neutron's _get_device_owner): an HA router that is not
 * distributed has `network:ha_router_replicated_interface` ports, any other `network:router_interface`.
 */
export const interfaceOwner = (router: Pick<RouterRow, 'ha' | 'distributed'>): string =>
  bool(router.ha) && !bool(router.distributed) ? 'network:ha_router_replicated_interface' : DEVICE_OWNER_ROUTER_INTF;
/** Ports that only the L3 plug-in may delete (Neutron's router_device_owners). */
export const L3_DEVICE_OWNERS = ['network:ha_router_replicated_interface', DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_FLOATINGIP];

/** One attached port's address, with the subnet's CIDR and gateway. */
export interface RouterAddress {
  port_id: string;
  port_type: string;
  network_id: string;
  subnet_id: string;
  ip_address: string;
  cidr: string;
  gateway_ip: string | null;
}

export async function routerRow(trx: Executor, id: string): Promise<RouterRow | undefined> {
  return trx.selectFrom('routers').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Takes the router's row lock (a write that changes nothing) so that changes of one router
 * (gateway, interfaces, routes) run one after another on every database; read the row after it.
 */
export async function lockRouter(trx: Executor, id: string): Promise<void> {
  await trx
    .updateTable('routers')
    .set((eb) => ({ revision_number: eb.ref('revision_number') }))
    .where('id', '=', id)
    .execute();
}

/** Every address of every port attached to the router (ports without addresses do not appear). */
export async function routerAddresses(trx: Executor, routerId: string): Promise<RouterAddress[]> {
  return trx
    .selectFrom('router_ports')
    .innerJoin('ports', 'ports.id', 'router_ports.port_id')
    .innerJoin('ip_allocations', 'ip_allocations.port_id', 'router_ports.port_id')
    .innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
    .select([
      'router_ports.port_id',
      'router_ports.port_type',
      'ports.network_id',
      'ip_allocations.subnet_id',
      'ip_allocations.ip_address',
      'subnets.cidr',
      'subnets.gateway_ip',
    ])
    .where('router_ports.router_id', '=', routerId)
    .orderBy('router_ports.port_id')
    .execute();
}

/** The ports attached to a router, with their type. */
export async function routerPorts(trx: Executor, routerId: string): Promise<RouterPortRow[]> {
  return trx.selectFrom('router_ports').selectAll().where('router_id', '=', routerId).orderBy('port_id').execute();
}

export async function routesOf(trx: Executor, ids: string[]): Promise<Map<string, Array<{ destination: string; nexthop: string }>>> {
  const out = new Map<string, Array<{ destination: string; nexthop: string }>>(ids.map((id) => [id, []]));
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = await trx.selectFrom('router_routes').selectAll().where('router_id', 'in', part).orderBy('destination').orderBy('nexthop').execute();
    for (const r of rows) out.get(r.router_id)?.push({ destination: r.destination, nexthop: r.nexthop });
  }
  return out;
}

export interface GatewayInfo {
  network_id: string;
  external_fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
}

/** Gateway ports by id: their network and addresses (addresses in text order, as Neutron lists them). */
export async function gatewaysOf(trx: Executor, portIds: string[]): Promise<Map<string, GatewayInfo>> {
  const out = new Map<string, GatewayInfo>();
  for (const part of chunks(portIds)) {
    if (!part.length) continue;
    const rows = await trx
      .selectFrom('ports')
      .leftJoin('ip_allocations', 'ip_allocations.port_id', 'ports.id')
      .select(['ports.id', 'ports.network_id', 'ip_allocations.subnet_id', 'ip_allocations.ip_address'])
      .where('ports.id', 'in', part)
      .orderBy('ip_allocations.ip_address')
      .execute();
    for (const r of rows) {
      let g = out.get(r.id);
      if (!g) out.set(r.id, (g = { network_id: r.network_id, external_fixed_ips: [] }));
      if (r.subnet_id && r.ip_address) g.external_fixed_ips.push({ subnet_id: r.subnet_id, ip_address: r.ip_address });
    }
  }
  return out;
}

/** The fixed ports of floating IPs, by id, for `port_details`. */
export async function portsById(trx: Executor, ids: string[]): Promise<Map<string, PortRow>> {
  const out = new Map<string, PortRow>();
  for (const part of chunks([...new Set(ids)])) {
    if (!part.length) continue;
    for (const r of await trx.selectFrom('ports').selectAll().where('id', 'in', part).execute()) out.set(r.id, r);
  }
  return out;
}


/** Clears the association of every floating IP on the port (its revision moves on). Returns how many. */
export async function disassociatePort(trx: Executor, portId: string): Promise<number> {
  const res = await trx
    .updateTable('floatingips')
    .set((eb) => ({ fixed_port_id: null, fixed_ip_address: null, router_id: null, revision_number: eb('revision_number', '+', 1), updated_at: nowStamp() }))
    .where('fixed_port_id', '=', portId)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}
