/**
 * Floating IPs: an address on an external network, held by a port of its own (device_owner
 * network:floatingip, no project), optionally associated with a fixed IP of a port whose subnet a
 * router connects to that external network. Association rules, checks and texts are Neutron's.
 */
import { newId, type RequestContext } from '../../core/context.js';
import { BadRequest, ExternalGatewayForFloatingIPNotFound, ExternalIpAddressExhausted, FloatingIPNotFound, FloatingIPPortAlreadyAssociated } from '../../core/errors.js';
import { canonicalIp, parseIp } from '../../core/ip.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, bumpRevisionBy, deleteTagsOf, standardValues, tagsOf } from '../../db/repos/standard-attr-repo.js';
import { DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW, ROUTER_INTERFACE_OWNERS, disassociatePort, portsById, type FloatingIpRow } from '../../db/repos/l3-repo.js';
import { bool, type Executor, type PortRow } from '../../db/schema.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import { allocationsOf, elevated, type L3Deps } from './l3-support.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  ['id', 'floating_ip_address', 'floating_network_id', 'router_id', 'fixed_ip_address', 'status', 'project_id', 'description', 'revision_number', 'created_at', 'updated_at'].map((c) => [c, c]),
);
Object.assign(COLUMNS, { tenant_id: 'project_id', port_id: 'fixed_port_id' });

type Association = Pick<FloatingIpRow, 'fixed_port_id' | 'fixed_ip_address' | 'router_id'>;
const NONE: Association = { fixed_port_id: null, fixed_ip_address: null, router_id: null };

const isV4 = (ip: string) => parseIp(ip)?.version === 4;
const fipError = (msg: string) => new BadRequest({ resource: 'floatingip', msg });

export class FloatingIpOps implements ResourcePlugin {
  readonly tags;

  constructor(private readonly deps: L3Deps) {
    this.tags = tagOps(deps.database, 'floatingips', (ctx, id) => this.get(ctx, id));
  }

  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<FloatingIpRow> {
    const row = await trx.selectFrom('floatingips').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !(ctx.isAdmin || row.project_id === ctx.projectId)) throw new FloatingIPNotFound({ floatingip_id: id });
    return row;
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    const { events } = this.deps;
    return this.deps.database.transaction(async (trx) => {
      await events.publish(trx, 'floatingip', 'before_create', { ctx, items });
      const rows: FloatingIpRow[] = [];
      for (const item of items) rows.push(await this.createOne(trx, ctx, item));
      const views = await this.viewsOf(trx, rows);
      for (const current of views) await events.publish(trx, 'floatingip', 'after_create', { ctx, current });
      return views;
    });
  }

  private async createOne(trx: Executor, ctx: RequestContext, item: Resource): Promise<FloatingIpRow> {
    const networkId = item.floating_network_id as string;
    const network = await this.deps.core.networkRow(trx, ctx, networkId);
    if (!bool(network.router_external)) throw fipError(`Network ${networkId} is not a valid external network`);
    const v4 = await trx.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('ip_version', '=', 4).executeTakeFirst();
    if (!v4) throw fipError(`Network ${networkId} does not contain any IPv4 subnet`);

    const id = newId();
    const fixed: { subnet_id?: string; ip_address?: string } = {};
    if (item.subnet_id) fixed.subnet_id = item.subnet_id as string;
    if (item.floating_ip_address) fixed.ip_address = item.floating_ip_address as string;
    const port = await this.deps.core.createPort(trx, elevated(ctx), {
      network_id: networkId,
      project_id: '',
      device_id: id,
      device_owner: DEVICE_OWNER_FLOATINGIP,
      fixed_ips: Object.keys(fixed).length ? [fixed] : undefined,
      // the port's status is not applicable; Neutron writes its device_id once more after the floating IP row
      status: 'N/A',
      revision_number: 2,
    });
    const address = (port.fixed_ips as Array<{ ip_address: string }>).find((f) => isV4(f.ip_address));
    if (!address) throw new ExternalIpAddressExhausted({ net_id: networkId });

    const row: FloatingIpRow = {
      id,
      project_id: item.project_id as string,
      floating_ip_address: address.ip_address,
      floating_network_id: networkId,
      floating_port_id: port.id as string,
      ...NONE,
      status: 'DOWN',
      ...standardValues(item.description as string),
    };
    Object.assign(row, await this.association(trx, ctx, item, row));
    await trx.insertInto('floatingips').values(row).execute();
    return row;
  }

  /**
   * What the floating IP is associated with after this request (Neutron's rules): `port_id` picks
   * the port (and `fixed_ip_address` one of its IPv4 addresses), null clears; a request without
   * `port_id` keeps the port and re-derives the router; an empty update clears (as in Neutron).
   */
  private async association(trx: Executor, ctx: RequestContext, req: Resource, row: FloatingIpRow): Promise<Association> {
    if (req.fixed_ip_address && !req.port_id) throw fipError('fixed_ip_address cannot be specified without a port_id');
    if (req.port_id) {
      const assoc = await this.associate(trx, ctx, req.port_id as string, (req.fixed_ip_address as string | null | undefined) ?? undefined, row);
      const taken = await trx
        .selectFrom('floatingips')
        .select('id')
        .where('floating_network_id', '=', row.floating_network_id)
        .where('fixed_port_id', '=', assoc.fixed_port_id)
        .where('fixed_ip_address', '=', assoc.fixed_ip_address)
        .where('id', '!=', row.id)
        .executeTakeFirst();
      if (taken)
        throw new FloatingIPPortAlreadyAssociated({
          port_id: req.port_id as string,
          fip_id: row.id,
          floating_ip_address: row.floating_ip_address,
          fixed_ip: assoc.fixed_ip_address as string,
          net_id: row.floating_network_id,
        });
      return assoc;
    }
    if (Object.keys(req).length && !('port_id' in req) && row.fixed_port_id)
      return this.associate(trx, ctx, row.fixed_port_id, row.fixed_ip_address ?? undefined, row);
    return NONE;
  }

  private async associate(trx: Executor, ctx: RequestContext, portId: string, fixedIp: string | undefined, row: FloatingIpRow): Promise<Association> {
    const port = await this.deps.core.portRow(trx, ctx, portId);
    if (port.project_id !== row.project_id && !ctx.isAdmin)
      throw fipError(`Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant`);
    // Neutron leaves the placeholder of this text unfilled
    if (port.device_owner === 'network:dhcp') throw fipError('Port %(id)s is unable to be assigned a floating IP');
    const ips = await allocationsOf(trx, [port.id]);
    let chosen: { subnet_id: string; ip_address: string } | undefined;
    if (fixedIp) {
      if (!isV4(fixedIp)) throw fipError(`Cannot process floating IP association with ${fixedIp}, since that is not an IPv4 address`);
      chosen = ips.find((i) => i.ip_address === canonicalIp(fixedIp));
      if (!chosen) throw fipError(`Port ${port.id} does not have fixed ip ${fixedIp}`);
    } else {
      const v4 = ips.filter((i) => isV4(i.ip_address));
      if (!v4.length) throw fipError(`Cannot add floating IP to port ${port.id} that has no fixed IPv4 addresses`);
      if (v4.length > 1) throw fipError(`Port ${port.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`);
      chosen = v4[0];
    }
    const routerId = await this.routerFor(trx, port, chosen.subnet_id, row.floating_network_id);
    return { fixed_port_id: port.id, fixed_ip_address: chosen.ip_address, router_id: routerId };
  }

  /**
   * The router joining the port's subnet to the external network: one with an interface on the
   * subnet and its gateway on that network, preferring the one holding the subnet's gateway IP.
   */
  private async routerFor(trx: Executor, port: PortRow, subnetId: string, externalNetworkId: string): Promise<string> {
    const candidates = await trx
      .selectFrom('router_ports')
      .innerJoin('ports', 'ports.id', 'router_ports.port_id')
      .innerJoin('ip_allocations', 'ip_allocations.port_id', 'router_ports.port_id')
      .innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
      .innerJoin('routers', 'routers.id', 'router_ports.router_id')
      .innerJoin('ports as gw', 'gw.id', 'routers.gw_port_id')
      .select(['router_ports.router_id', 'ip_allocations.ip_address', 'subnets.gateway_ip'])
      .where('ports.network_id', '=', port.network_id)
      .where('router_ports.port_type', 'in', ROUTER_INTERFACE_OWNERS)
      .where('ip_allocations.subnet_id', '=', subnetId)
      .where('gw.network_id', '=', externalNetworkId)
      .where('gw.device_owner', '=', DEVICE_OWNER_ROUTER_GW)
      .orderBy('router_ports.router_id')
      .execute();
    const best = candidates.find((c) => c.ip_address === c.gateway_ip) ?? candidates[0];
    if (!best) throw new ExternalGatewayForFloatingIPNotFound({ subnet_id: subnetId, external_network_id: externalNetworkId, port_id: port.id });
    return best.router_id;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const row = await this.visibleRow(this.deps.database.db, ctx, id);
    return (await this.viewsOf(this.deps.database.db, [row]))[0];
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.deps.database.db;
    const spec: ListSpec = {
      table: 'floatingips',
      tagType: 'floatingips',
      columns: COLUMNS,
      markerNotFound: (id) => new FloatingIPNotFound({ floatingip_id: id }),
      scope: ctx.isAdmin ? undefined : (eb) => eb('floatingips.project_id', '=', ctx.projectId),
    };
    return listPages<FloatingIpRow>(db, spec, q, (part) => this.viewsOf(db, part));
  }

  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    const { events } = this.deps;
    return this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      const [original] = await this.viewsOf(trx, [row]);
      await bumpRevision(trx, 'floatingips', id, ifMatch, false);
      const assoc = await this.association(trx, ctx, changes, row);
      const moved = assoc.fixed_port_id !== row.fixed_port_id || assoc.fixed_ip_address !== row.fixed_ip_address || assoc.router_id !== row.router_id;
      const set: Partial<FloatingIpRow> = { ...assoc };
      if ('description' in changes) set.description = changes.description as string;
      await trx.updateTable('floatingips').set(set).where('id', '=', id).execute();
      await bumpRevisionBy(trx, 'floatingips', id, Object.keys(changes).length || moved ? 1 : 0);
      const [current] = await this.viewsOf(trx, [(await trx.selectFrom('floatingips').selectAll().where('id', '=', id).executeTakeFirst())!]);
      await events.publish(trx, 'floatingip', 'after_update', { ctx, request: changes, original, current });
      return current;
    });
  }

  /** A port that goes loses its floating IPs' association (inside the port delete's transaction); the routers hear of it. */
  async disassociatePort(trx: Executor, ctx: RequestContext, portId: string): Promise<void> {
    const rows = await trx.selectFrom('floatingips').selectAll().where('fixed_port_id', '=', portId).execute();
    if (!rows.length) return;
    const originals = await this.viewsOf(trx, rows);
    await disassociatePort(trx, portId);
    const currents = await this.viewsOf(trx, await trx.selectFrom('floatingips').selectAll().where('id', 'in', rows.map((r) => r.id)).execute());
    for (const original of originals)
      await this.deps.events.publish(trx, 'floatingip', 'after_update', { ctx, request: { port_id: null }, original, current: currents.find((c) => c.id === original.id) ?? original });
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      if (ifMatch !== undefined) await bumpRevision(trx, 'floatingips', id, ifMatch, false);
      await this.remove(trx, ctx, row);
    });
  }

  /** Deletes the floating IP and its port (a plug-in deletion: the hooks let it through). */
  async remove(trx: Executor, ctx: RequestContext, row: Pick<FloatingIpRow, 'id' | 'floating_port_id'>): Promise<void> {
    await this.deps.events.publish(trx, 'floatingip', 'after_delete', async () => ({
      ctx,
      original: (await this.viewsOf(trx, [(await trx.selectFrom('floatingips').selectAll().where('id', '=', row.id).executeTakeFirst())!]))[0],
    }));
    await deleteTagsOf(trx, 'floatingips', row.id);
    await trx.deleteFrom('floatingips').where('id', '=', row.id).execute();
    await this.deps.core.deletePort(trx, elevated(ctx), row.floating_port_id);
  }

  /** The wire form in Neutron's key order, `port_details` from the associated port. */
  async viewsOf(trx: Executor, rows: FloatingIpRow[]): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const [ports, tags] = await Promise.all([
      portsById(
        trx,
        rows.map((r) => r.fixed_port_id).filter((p): p is string => p !== null),
      ),
      tagsOf(trx, 'floatingips', ids),
    ]);
    return rows.map((r) => {
      const p = r.fixed_port_id ? ports.get(r.fixed_port_id) : undefined;
      return {
        id: r.id,
        tenant_id: r.project_id,
        floating_ip_address: r.floating_ip_address,
        floating_network_id: r.floating_network_id,
        router_id: r.router_id,
        port_id: r.fixed_port_id,
        fixed_ip_address: r.fixed_ip_address,
        status: r.status,
        description: r.description,
        port_details: p
          ? { name: p.name, network_id: p.network_id, mac_address: p.mac_address, admin_state_up: bool(p.admin_state_up), status: p.status, device_id: p.device_id, device_owner: p.device_owner }
          : null,
        tags: tags.get(r.id) ?? [],
        created_at: r.created_at,
        updated_at: r.updated_at,
        revision_number: Number(r.revision_number),
        project_id: r.project_id,
      };
    });
  }
}
