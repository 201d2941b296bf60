/**
 * Routers: create/show/list/update/delete, the gateway (router-gateway.ts), extra routes and the
 * member actions (router-interfaces.ts, extra-routes.ts), HA routers' network, VRRP id and ports
 * (ha-routers.ts). Revision numbers move as Neutron's do: 1 after create (3 with a gateway), +1
 * per update, more when the gateway port changes.
 */
import { newId, type RequestContext } from '../../core/context.js';
import { BadRequest, RouterExternalGatewayInUseByFloatingIp, RouterInUse, RouterNotFound } from '../../core/errors.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, bumpRevisionBy, deleteTagsOf, standardValues, tagsOf } from '../../db/repos/standard-attr-repo.js';
import { gatewaysOf, interfaceOwner, lockRouter, routerPorts, routerRow, routesOf, type RouterRow } from '../../db/repos/l3-repo.js';
import { bool, dbBool, type Executor } from '../../db/schema.js';
import { canonicalRoutes } from '../../api/resources/routers.js';
import { listPages, type MemberAction, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import { extendViews } from '../extensions.js';
import { elevated, type L3Deps } from './l3-support.js';
import { RouterGateway, type GatewayRequest } from './router-gateway.js';
import { RouterInterfaces } from './router-interfaces.js';
import { ExtraRoutes } from './extra-routes.js';
import { checkRoutesAgainstPorts, type Route } from './router-checks.js';
import type { HaRouters } from './ha-routers.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  ['id', 'name', 'admin_state_up', 'status', 'project_id', 'description', 'revision_number', 'created_at', 'updated_at'].map((c) => [c, c]),
);
COLUMNS.tenant_id = 'project_id';

export class RouterOps implements ResourcePlugin {
  readonly tags;
  readonly actions: Record<string, MemberAction>;
  readonly gateway: RouterGateway;

  constructor(
    private readonly deps: L3Deps,
    private readonly ha: HaRouters,
  ) {
    this.tags = tagOps(deps.database, 'routers', (ctx, id) => this.get(ctx, id));
    this.gateway = new RouterGateway(deps);
    const interfaces = new RouterInterfaces(deps, this);
    const routes = new ExtraRoutes(deps, this);
    this.actions = {
      add_router_interface: { method: 'PUT', handler: (ctx, id, body) => interfaces.add(ctx, id, body) },
      remove_router_interface: { method: 'PUT', handler: (ctx, id, body) => interfaces.remove(ctx, id, body) },
      add_extraroutes: { method: 'PUT', handler: (ctx, id, body) => routes.change(ctx, id, body, 'add') },
      remove_extraroutes: { method: 'PUT', handler: (ctx, id, body) => routes.change(ctx, id, body, 'remove') },
    };
  }

  /**
   * A router the caller may see (admins: any; others: their project's). `forUpdate`: lock it
   * first, for a change that reads and then writes the router's ports or routes.
   */
  async visibleRow(trx: Executor, ctx: RequestContext, id: string, forUpdate = false): Promise<RouterRow> {
    if (forUpdate) await lockRouter(trx, id);
    const row = await routerRow(trx, id);
    if (!row || !(ctx.isAdmin || row.project_id === ctx.projectId)) throw new RouterNotFound({ router_id: id });
    return row;
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    const { database, events } = this.deps;
    return database.transaction(async (trx) => {
      await events.publish(trx, 'router', 'before_create', { ctx, items });
      const out: string[] = [];
      for (const item of items) {
        const ha = this.ha.requested(item);
        const row: RouterRow = {
          id: newId(),
          project_id: item.project_id as string,
          name: item.name as string,
          status: 'ACTIVE',
          admin_state_up: dbBool(item.admin_state_up),
          enable_snat: dbBool(true),
          gw_port_id: null,
          distributed: dbBool(item.distributed === true),
          availability_zone_hints: JSON.stringify(item.availability_zone_hints ?? []),
          ha: dbBool(ha),
          ha_vr_id: null,
          ...standardValues(item.description as string),
          revision_number: 1,
        };
        await trx.insertInto('routers').values(row).execute();
        if (ha) row.ha_vr_id = await this.ha.setUp(trx, row);
        await events.publish(trx, 'router', 'precommit_create', { ctx, request: item, current: row });
        const info = item.external_gateway_info as GatewayRequest | null;
        if (info) await bumpRevisionBy(trx, 'routers', row.id, 1 + (await this.gateway.apply(trx, ctx, row, info)));
        out.push(row.id);
      }
      const views = await this.views(trx, out);
      for (const current of views) await events.publish(trx, 'router', 'after_create', { ctx, current });
      return views;
    });
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const row = await this.visibleRow(this.deps.database.db, ctx, id);
    return (await this.viewsOf(this.deps.database.db, [row]))[0];
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.deps.database.db;
    const spec: ListSpec = {
      table: 'routers',
      tagType: 'routers',
      columns: COLUMNS,
      markerNotFound: (id) => new RouterNotFound({ router_id: id }),
      booleans: new Set(['admin_state_up']),
      scope: ctx.isAdmin ? undefined : (eb) => eb('routers.project_id', '=', ctx.projectId),
    };
    return listPages<RouterRow>(db, spec, q, (part) => this.viewsOf(db, part));
  }

  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    const { events } = this.deps;
    return this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id, true);
      const original = events.wants('router', 'after_update') ? (await this.viewsOf(trx, [row]))[0] : undefined;
      await bumpRevision(trx, 'routers', id, ifMatch, false);
      const set: Partial<RouterRow> = {};
      if ('name' in changes) set.name = changes.name as string;
      if ('description' in changes) set.description = changes.description as string;
      if ('admin_state_up' in changes) set.admin_state_up = dbBool(changes.admin_state_up);
      const haChanged = typeof changes.ha === 'boolean' && changes.ha !== bool(row.ha);
      if (haChanged) {
        // Neutron's _validate_migration: the router as this update leaves it decides
        if ('admin_state_up' in set ? bool(set.admin_state_up!) : bool(row.admin_state_up))
          throw new BadRequest({
            resource: 'router',
            msg: 'Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade',
          });
        set.ha = dbBool(changes.ha);
      }
      if (typeof changes.distributed === 'boolean' && changes.distributed !== bool(row.distributed)) {
        // Neutron's _validate_router_migration: the router as it was before this update decides
        if (bool(row.admin_state_up))
          throw new BadRequest({
            resource: 'router',
            msg: "Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade",
          });
        set.distributed = dbBool(changes.distributed);
      }
      if (Object.keys(set).length) await trx.updateTable('routers').set(set).where('id', '=', id).execute();
      if (haChanged || 'distributed' in set) await this.reshape(trx, ctx, row, changes);
      if ('routes' in changes) await this.replaceRoutes(trx, id, changes.routes as Route[]);
      let bumps = Object.keys(changes).length ? 1 : 0;
      if ('external_gateway_info' in changes) {
        if (Object.keys(changes).length > 1) bumps += 1;
        bumps += await this.gateway.apply(trx, ctx, row, changes.external_gateway_info as GatewayRequest | null);
      }
      await bumpRevisionBy(trx, 'routers', id, bumps);
      const [current] = await this.views(trx, [id]);
      if (original) await events.publish(trx, 'router', 'after_update', { ctx, request: changes, original, current });
      return current;
    });
  }

  /**
   * After `ha` or `distributed` changed (row written): the VRRP id and HA network are taken or
   * released, interfaces change owner, and the router is scheduled again (`precommit_update`: the
   * agents plug-in unbinds and rebinds it, each binding bringing or taking its HA port).
   */
  private async reshape(trx: Executor, ctx: RequestContext, original: RouterRow, request: Resource): Promise<void> {
    let current = (await routerRow(trx, original.id))!;
    if (bool(current.ha) && !bool(original.ha)) current = { ...current, ha_vr_id: await this.ha.setUp(trx, current) };
    const [from, to] = [interfaceOwner(original), interfaceOwner(current)];
    if (from !== to) await this.ha.migrateInterfaces(trx, original.id, from, to);
    await this.deps.events.publish(trx, 'router', 'precommit_update', { ctx, request, original, current });
    if (bool(original.ha) && !bool(current.ha)) await this.ha.tearDown(trx, original);
  }

  /** Checks the routes against the router's ports, then stores exactly them. */
  async replaceRoutes(trx: Executor, routerId: string, routes: Route[]): Promise<void> {
    await checkRoutesAgainstPorts(trx, routerId, routes);
    await trx.deleteFrom('router_routes').where('router_id', '=', routerId).execute();
    const rows = canonicalRoutes(routes).map((r) => ({ router_id: routerId, ...r }));
    if (rows.length) await trx.insertInto('router_routes').values(rows).execute();
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id, true);
      if (ifMatch !== undefined) await bumpRevision(trx, 'routers', id, ifMatch, false);
      const ports = await routerPorts(trx, id);
      const interfaces = ports.filter((p) => p.port_type === interfaceOwner(row)).map((p) => p.port_id);
      if (interfaces.length) throw new RouterInUse({ router_id: id, reason: `has ports still attached: ${interfaces.join(', ')}` });
      const fip = await trx.selectFrom('floatingips').select('id').where('router_id', '=', id).executeTakeFirst();
      if (fip && row.gw_port_id) {
        const gw = await trx.selectFrom('ports').select('network_id').where('id', '=', row.gw_port_id).executeTakeFirst();
        throw new RouterExternalGatewayInUseByFloatingIp({ router_id: id, net_id: gw?.network_id ?? '' });
      }
      await this.deps.events.publish(trx, 'router', 'precommit_delete', { ctx, original: row, internal: false });
      await this.deps.events.publish(trx, 'router', 'after_delete', async () => ({ ctx, original: (await this.viewsOf(trx, [row]))[0] }));
      await this.gateway.removeFor(trx, ctx, row);
      for (const p of ports) if (p.port_id !== row.gw_port_id) await this.deps.core.deletePort(trx, elevated(ctx), p.port_id);
      if (bool(row.ha)) await this.ha.tearDown(trx, row);
      await deleteTagsOf(trx, 'routers', id);
      await trx.deleteFrom('routers').where('id', '=', id).execute();
    });
  }

  async views(trx: Executor, ids: string[]): Promise<Resource[]> {
    const rows = ids.length ? await trx.selectFrom('routers').selectAll().where('id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.viewsOf(
      trx,
      ids.map((id) => byId.get(id)).filter((r): r is RouterRow => r !== undefined),
    );
  }

  /** The wire form, in Neutron's key order: three queries per page, whatever its size. */
  async viewsOf(trx: Executor, rows: RouterRow[]): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const gwIds = rows.map((r) => r.gw_port_id).filter((g): g is string => g !== null);
    const [gateways, routes, tags] = await Promise.all([gatewaysOf(trx, gwIds), routesOf(trx, ids), tagsOf(trx, 'routers', ids)]);
    const views = rows.map((r) => {
      const gw = r.gw_port_id ? gateways.get(r.gw_port_id) : undefined;
      return {
        id: r.id,
        name: r.name,
        tenant_id: r.project_id,
        admin_state_up: bool(r.admin_state_up),
        status: r.status,
        external_gateway_info: gw ? { network_id: gw.network_id, external_fixed_ips: gw.external_fixed_ips, enable_snat: bool(r.enable_snat) } : null,
        description: r.description,
        distributed: bool(r.distributed),
        ha: bool(r.ha),
        routes: routes.get(r.id) ?? [],
        tags: tags.get(r.id) ?? [],
        created_at: r.created_at,
        updated_at: r.updated_at,
        revision_number: Number(r.revision_number),
        project_id: r.project_id,
      };
    });
    await extendViews(this.deps.core.extensions.router, trx, views);
    return views;
  }
}
