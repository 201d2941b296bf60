/**
 * HA routers (extension `l3-ha`, Neutron's l3_hamode_db): a router with `ha` (or created without it
 * while `[DEFAULT] l3_ha` is on) runs VRRP between the L3 agents hosting it. Each project with HA
 * routers has one HA network (`HA network tenant <project>`, owned by no project, so only admins see
 * it) with a subnet on `l3_ha_net_cidr`, made with its first HA router and deleted with its last;
 * each HA router has a VRRP id unique on that network (1..254); each L3 agent hosting one has an HA
 * port there (`network:router_ha_interface`, bound to the agent's host), made and removed with the
 * agent's binding (the `agent_binding` precommit events), and recorded in
 * `ha_router_agent_port_bindings` with the state the agent reports. The interfaces of an HA router
 * are `network:ha_router_replicated_interface` ports. Everything runs inside the caller's
 * transaction. Creating a project's first HA router and deleting its last take the row lock of the
 * project's `ha_router_networks` row first, so two servers never leave a router without its network.
 */
import { makeContext, type RequestContext } from '../../core/context.js';
import { NoVRIDAvailable } from '../../core/errors.js';
import { parseCidr, formatCidr } from '../../core/ip.js';
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import type { Config } from '../../config/config.js';
import { allocatedVrIds, claimHaNetwork, DEVICE_OWNER_ROUTER_HA_INTF, haNetworkOf } from '../../db/repos/l3-ha-repo.js';
import { bool, type Executor } from '../../db/schema.js';
import { routerRow, type RouterRow } from '../../db/repos/l3-repo.js';
import type { Resource } from '../plugin-api.js';
import type { Events } from '../events.js';
import type { L3Deps } from './l3-support.js';
import type { BindingChange } from '../agents/scheduler.js';

/** Neutron's VR_ID_RANGE: VRRP ids 1..254. */
const MAX_VR_ID = 254;

/** Neutron's names (`HA network tenant <project>`…), cut to the 255 characters a name column holds. */
const nameOf = (what: string, projectId: string) => `${what} ${projectId}`.slice(0, 255);

const ADMIN: RequestContext = makeContext({ projectId: '', roles: ['admin'], isAdmin: true, requestId: 'l3-ha' });

export type HaOptions = Pick<Config['DEFAULT'], 'l3_ha' | 'max_l3_agents_per_router' | 'l3_ha_net_cidr' | 'l3_ha_network_type' | 'l3_ha_network_physical_name'>;

/** Neutron's checks at start (HANetworkCIDRNotValid, HAMaximumAgentsNumberNotValid); a bad option stops the server. */
export function checkHaOptions(o: HaOptions): void {
  const c = parseCidr(o.l3_ha_net_cidr);
  if (!c || !o.l3_ha_net_cidr.includes('/') || formatCidr(c) !== o.l3_ha_net_cidr.toLowerCase())
    throw new Error(`The HA Network CIDR specified in the configuration file isn't valid; ${o.l3_ha_net_cidr}.`);
  if (o.max_l3_agents_per_router < 0)
    throw new Error(
      `max_l3_agents_per_router ${o.max_l3_agents_per_router} config parameter is not valid as it cannot be negative. It must be 1 or greater. Alternatively, it can be 0 to mean unlimited.`,
    );
}

export class HaRouters {
  constructor(private readonly deps: L3Deps & { ha: HaOptions }) {
    checkHaOptions(deps.ha);
  }

  /** Whether a router created from `item` is HA: its `ha`, else `[DEFAULT] l3_ha` (Neutron's _is_ha). */
  requested(item: Resource): boolean {
    const ha = item.ha;
    return ha === NOT_SPECIFIED || ha === undefined || ha === null ? this.deps.ha.l3_ha : ha === true;
  }

  /**
   * A router becomes HA (created so, or `ha` set): its project's HA network (made with the first HA
   * router) and a free VRRP id there, written on the router. NoVRIDAvailable when all 254 are taken.
   */
  async setUp(trx: Executor, router: RouterRow): Promise<number> {
    const network = (await claimHaNetwork(trx, router.project_id)) ?? (await this.createNetwork(trx, router.project_id));
    const taken = await allocatedVrIds(trx, network);
    let vrId = 1;
    while (taken.has(vrId)) vrId++;
    if (vrId > MAX_VR_ID) throw new NoVRIDAvailable({ router_id: router.id });
    // two servers choosing the same id collide on the primary key; the loser's transaction retries
    await trx.insertInto('ha_router_vrid_allocations').values({ network_id: network, vr_id: vrId }).execute();
    await trx.updateTable('routers').set({ ha_vr_id: vrId }).where('id', '=', router.id).execute();
    return vrId;
  }

  /**
   * A router stops being HA or goes: its remaining HA ports and its VRRP id are released, and the
   * project's HA network goes too when no other HA router of the project is left.
   */
  async tearDown(trx: Executor, router: RouterRow): Promise<void> {
    for (const b of await trx.selectFrom('ha_router_agent_port_bindings').select('port_id').where('router_id', '=', router.id).execute())
      await this.deps.core.deletePort(trx, ADMIN, b.port_id);
    await trx.updateTable('routers').set({ ha_vr_id: null }).where('id', '=', router.id).execute();
    const network = await claimHaNetwork(trx, router.project_id);
    if (!network) return;
    if (router.ha_vr_id !== null) await trx.deleteFrom('ha_router_vrid_allocations').where('network_id', '=', network).where('vr_id', '=', router.ha_vr_id).execute();
    // a statement of its own after the lock: it sees HA routers committed meanwhile (PostgreSQL's
    // new snapshot; MariaDB's subquery of a DELETE is a locking read)
    const gone = await trx
      .deleteFrom('ha_router_networks')
      .where('project_id', '=', router.project_id)
      .where(({ not, exists, selectFrom }) =>
        not(exists(selectFrom('routers').select('routers.id').where('routers.project_id', '=', router.project_id).where('routers.ha', '=', 1 as never).where('routers.id', '!=', router.id))),
      )
      .executeTakeFirst();
    if (Number(gone.numDeletedRows)) await this.deps.core.deleteNetwork(trx, ADMIN, network);
  }

  /** Interfaces change owner when `ha` does (Neutron's _migrate_router_ports): the ports and their router_ports rows. */
  async migrateInterfaces(trx: Executor, routerId: string, from: string, to: string): Promise<void> {
    const ports = await trx.selectFrom('router_ports').select('port_id').where('router_id', '=', routerId).where('port_type', '=', from).execute();
    for (const p of ports) {
      await this.deps.core.updatePort(trx, ADMIN, p.port_id, { device_owner: to });
      await trx.updateTable('router_ports').set({ port_type: to }).where('port_id', '=', p.port_id).execute();
    }
  }

  /** Each L3 agent binding of an HA router brings its HA port, and takes it away when it goes. */
  subscribe(events: Events): void {
    events.subscribe('agent_binding', 'precommit_create', async ({ change }, trx) => this.addPort(trx, change), { name: 'l3-ha: an HA port per L3 agent' });
    events.subscribe('agent_binding', 'precommit_delete', async ({ change }, trx) => this.removePorts(trx, change), { name: 'l3-ha: an HA port per L3 agent' });
  }

  private async addPort(trx: Executor, change: BindingChange): Promise<void> {
    if (change.kind !== 'router') return;
    const router = await routerRow(trx, change.id);
    if (!router || !bool(router.ha)) return;
    const network = (await haNetworkOf(trx, router.project_id)) ?? (await this.createNetwork(trx, router.project_id));
    const port = await this.deps.core.createPort(trx, ADMIN, {
      network_id: network,
      project_id: '',
      name: nameOf('HA port tenant', router.project_id),
      device_id: router.id,
      device_owner: DEVICE_OWNER_ROUTER_HA_INTF,
      'binding:host_id': change.host,
    });
    const portId = port.id as string;
    await trx.insertInto('router_ports').values({ router_id: router.id, port_id: portId, port_type: DEVICE_OWNER_ROUTER_HA_INTF }).execute();
    // unique (router, agent): a second port for the same agent is a collision, retried
    await trx.insertInto('ha_router_agent_port_bindings').values({ port_id: portId, router_id: router.id, l3_agent_id: change.agentId, state: 'standby' }).execute();
  }

  private async removePorts(trx: Executor, change: BindingChange): Promise<void> {
    if (change.kind !== 'router') return;
    const ports = await trx.selectFrom('ha_router_agent_port_bindings').select('port_id').where('router_id', '=', change.id).where('l3_agent_id', '=', change.agentId).execute();
    for (const p of ports) await this.deps.core.deletePort(trx, ADMIN, p.port_id);
  }

  /** The project's HA network and subnet (Neutron's _create_ha_network, _create_ha_subnet); returns its id. */
  private async createNetwork(trx: Executor, projectId: string): Promise<string> {
    const o = this.deps.ha;
    const network = await this.deps.core.createNetwork(trx, ADMIN, {
      name: nameOf('HA network tenant', projectId),
      project_id: '',
      ...(o.l3_ha_network_type ? { 'provider:network_type': o.l3_ha_network_type } : {}),
      ...(o.l3_ha_network_physical_name ? { 'provider:physical_network': o.l3_ha_network_physical_name } : {}),
    });
    const id = network.id as string;
    await this.deps.core.createSubnet(trx, ADMIN, {
      network_id: id,
      project_id: '',
      name: nameOf('HA subnet tenant', projectId),
      ip_version: 4,
      cidr: o.l3_ha_net_cidr,
      enable_dhcp: false,
      gateway_ip: null,
    });
    // one per project: a concurrent creator collides on the primary key and retries
    await trx.insertInto('ha_router_networks').values({ project_id: projectId, network_id: id }).execute();
    return id;
  }
}
