/**
 * Networks: creation with a segment from the type drivers, MTU from the segment, update rules
 * (provider attributes are fixed once set), and deletion that removes DHCP ports and refuses while
 * other ports remain.
 */
import { newId, type RequestContext } from '../../core/context.js';
import { InvalidInput, NetworkInUse, NetworkNotFound, PolicyNotAuthorized } from '../../core/errors.js';
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import { bool, dbBool, type NetworkRow, type Executor } from '../../db/schema.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { networkRow, segmentsOf, subnetIdsOf } from '../../db/repos/network-repo.js';
import { networkAccessible, networkSharedWith, networkVisibleTo } from '../../db/repos/rbac-repo.js';
import { bumpRevision, deleteTagsOf, standardValues, tagsOf } from '../../db/repos/standard-attr-repo.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import type { Ml2Deps } from './ml2-plugin.js';
import type { InternalNetworkSpec } from '../core-plugin.js';
import type { SegmentRequest } from './driver-api.js';
import { extendViews } from '../extensions.js';

const COLUMNS: Record<string, string> = {
  id: 'id',
  name: 'name',
  project_id: 'project_id',
  tenant_id: 'project_id',
  status: 'status',
  admin_state_up: 'admin_state_up',
  shared: 'shared',
  mtu: 'mtu',
  'router:external': 'router_external',
  port_security_enabled: 'port_security_enabled',
  description: 'description',
  revision_number: 'revision_number',
  created_at: 'created_at',
  updated_at: 'updated_at',
  dns_domain: 'dns_domain',
};
const BOOLEANS = new Set(['admin_state_up', 'shared', 'router:external', 'port_security_enabled']);

/** The network types that DHCP ports are deleted with (Neutron's auto-delete owners). */
export const AUTO_DELETE_OWNERS = ['network:dhcp'];

export class NetworkOps implements ResourcePlugin {
  readonly tags;

  constructor(private readonly deps: Ml2Deps) {
    this.tags = tagOps(deps.database, 'networks', (ctx, id) => this.get(ctx, id));
  }

  /** Rows the caller may see: own networks and those an RBAC policy opens to it (admins see all). */
  visible(ctx: RequestContext): ListSpec['scope'] {
    if (ctx.isAdmin) return undefined;
    return (eb) => networkVisibleTo(eb, ctx.projectId);
  }

  /** Only the owner (or an admin) changes or deletes a network; others who see it get 403. */
  private ownerOnly(ctx: RequestContext, row: NetworkRow, action: string): void {
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized({ action });
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    const reqs = items.map((item) => this.providerRequest(item));
    return this.deps.database.transaction(async (trx) => {
      await this.deps.events.publish(trx, 'network', 'before_create', { ctx, items });
      const ids: string[] = [];
      for (let i = 0; i < items.length; i++) ids.push(await this.createOne(trx, ctx, items[i], reqs[i]));
      const views = await this.views(trx, ids, ctx);
      for (const current of views) await this.deps.events.publish(trx, 'network', 'after_create', { ctx, current });
      return views;
    });
  }

  /** A plug-in's own network (core-plugin.ts), inside its transaction: no quota, the same events as an API create. */
  async createInternal(trx: Executor, ctx: RequestContext, spec: InternalNetworkSpec): Promise<Resource> {
    const item: Resource = {
      name: spec.name,
      project_id: spec.project_id,
      tenant_id: spec.project_id,
      description: '',
      admin_state_up: true,
      shared: false,
      'router:external': false,
      port_security_enabled: true,
      availability_zone_hints: [],
      dns_domain: '',
      mtu: NOT_SPECIFIED,
      'provider:network_type': spec['provider:network_type'] ?? NOT_SPECIFIED,
      'provider:physical_network': spec['provider:physical_network'] ?? NOT_SPECIFIED,
      'provider:segmentation_id': NOT_SPECIFIED,
    };
    const id = await this.createOne(trx, ctx, item, this.providerRequest(item));
    const [current] = await this.views(trx, [id], ctx);
    await this.deps.events.publish(trx, 'network', 'after_create', { ctx, current });
    return current;
  }

  private providerRequest(item: Resource): SegmentRequest | undefined {
    const type = item['provider:network_type'];
    const physnet = item['provider:physical_network'];
    const segid = item['provider:segmentation_id'];
    if (type === NOT_SPECIFIED || type === undefined) {
      if ((physnet !== NOT_SPECIFIED && physnet !== undefined) || (segid !== NOT_SPECIFIED && segid !== undefined))
        throw new InvalidInput({ error_message: 'network_type required' });
      return undefined;
    }
    const req: SegmentRequest = { network_type: type as string };
    if (physnet !== NOT_SPECIFIED) req.physical_network = physnet as string | null;
    if (segid !== NOT_SPECIFIED) req.segmentation_id = segid as number | null;
    this.deps.types.validate(req);
    return req;
  }

  private async createOne(trx: Executor, ctx: RequestContext, item: Resource, req: SegmentRequest | undefined): Promise<string> {
    const id = newId();
    const hints = item.availability_zone_hints as string[];
    const row: NetworkRow = {
      id,
      project_id: item.project_id as string,
      name: item.name as string,
      status: 'ACTIVE',
      admin_state_up: dbBool(item.admin_state_up),
      shared: dbBool(item.shared),
      mtu: 0,
      router_external: dbBool(item['router:external'] === NOT_SPECIFIED ? false : item['router:external']),
      port_security_enabled: dbBool(item.port_security_enabled),
      availability_zone_hints: JSON.stringify(hints ?? []),
      dns_domain: (item.dns_domain as string | undefined) ?? '',
      ...standardValues(item.description as string),
    };
    await trx.insertInto('networks').values(row).execute();
    const seg = await this.deps.types.allocate(trx, id, req);
    await trx
      .insertInto('network_segments')
      .values({ id: newId(), network_id: id, network_type: seg.network_type, physical_network: seg.physical_network, segmentation_id: seg.segmentation_id, segment_index: 0 })
      .execute();
    const maxMtu = this.deps.types.mtu(seg);
    const mtu = item.mtu === NOT_SPECIFIED || item.mtu === undefined ? maxMtu : (item.mtu as number);
    if (mtu > maxMtu) throw new InvalidInput({ error_message: `Requested MTU is too big, maximum is ${maxMtu}` });
    // the segment is a change of the network: Neutron reports revision 1 after create
    await trx.updateTable('networks').set({ mtu, revision_number: 1 }).where('id', '=', id).execute();
    await this.deps.events.publish(trx, 'network', 'precommit_create', { ctx, request: item, current: { ...row, mtu, revision_number: 1 } });
    return id;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const row = await this.visibleRow(this.deps.database.db, ctx, id);
    return (await this.views(this.deps.database.db, [row.id], ctx))[0];
  }

  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<NetworkRow> {
    const row = await networkRow(trx, id);
    if (!row || !(ctx.isAdmin || row.project_id === ctx.projectId || (await networkAccessible(trx, id, ctx.projectId))))
      throw new NetworkNotFound({ net_id: id });
    return row;
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.deps.database.db;
    const spec: ListSpec = {
      table: 'networks',
      tagType: 'networks',
      columns: COLUMNS,
      markerNotFound: (id) => new NetworkNotFound({ net_id: id }),
      booleans: BOOLEANS,
      scope: this.visible(ctx),
      special: {
        // shared with the caller's project (or everyone), as Neutron filters it
        shared: (eb, v) => (v[0] ? networkSharedWith(eb, ctx.projectId) : eb.not(networkSharedWith(eb, ctx.projectId))),
        'provider:network_type': (eb, v) => segmentFilter(eb, 'network_type', v),
        'provider:physical_network': (eb, v) => segmentFilter(eb, 'physical_network', v),
        'provider:segmentation_id': (eb, v) => segmentFilter(eb, 'segmentation_id', v),
        subnets: (eb, v) =>
          eb.exists(eb.selectFrom('subnets').select('subnets.id').whereRef('subnets.network_id', '=', 'networks.id').where('subnets.id', 'in', v as string[])),
      },
    };
    return listPages<NetworkRow>(db, spec, q, (part) => this.viewsOf(db, part, ctx));
  }

  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    const { events } = this.deps;
    return this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      this.ownerOnly(ctx, row, 'update_network');
      const original = events.wants('network', 'after_update') ? (await this.viewsOf(trx, [row], ctx))[0] : undefined;
      await events.publish(trx, 'network', 'before_update', { ctx, request: changes, original: row });
      const seg = (await segmentsOf(trx, [id])).get(id)?.[0];
      for (const k of ['provider:network_type', 'provider:physical_network', 'provider:segmentation_id'] as const) {
        if (!(k in changes)) continue;
        const current = k === 'provider:network_type' ? seg?.network_type : k === 'provider:physical_network' ? seg?.physical_network : seg?.segmentation_id;
        if (changes[k] !== current) throw new InvalidInput({ error_message: 'Plugin does not support updating the following provider network attributes: ' + k });
      }
      const set: Partial<NetworkRow> = {};
      if ('name' in changes) set.name = changes.name as string;
      if ('description' in changes) set.description = changes.description as string;
      if ('admin_state_up' in changes) set.admin_state_up = dbBool(changes.admin_state_up);
      if ('shared' in changes) set.shared = dbBool(changes.shared);
      if ('router:external' in changes) set.router_external = dbBool(changes['router:external']);
      if ('port_security_enabled' in changes) set.port_security_enabled = dbBool(changes.port_security_enabled);
      if ('dns_domain' in changes) set.dns_domain = changes.dns_domain as string;
      if ('mtu' in changes) {
        const max = seg ? this.deps.types.mtu({ network_type: seg.network_type, physical_network: seg.physical_network, segmentation_id: seg.segmentation_id }) : row.mtu;
        if ((changes.mtu as number) > max) throw new InvalidInput({ error_message: `Requested MTU is too big, maximum is ${max}` });
        set.mtu = changes.mtu as number;
      }
      await bumpRevision(trx, 'networks', id, ifMatch, Object.keys(changes).length > 0);
      if (Object.keys(set).length) await trx.updateTable('networks').set(set).where('id', '=', id).execute();
      const after = (await networkRow(trx, id))!;
      await events.publish(trx, 'network', 'precommit_update', { ctx, request: changes, original: row, current: after });
      const [current] = await this.viewsOf(trx, [after], ctx);
      if (original) await events.publish(trx, 'network', 'after_update', { ctx, request: changes, original, current });
      return current;
    });
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.deps.database.transaction(async (trx) => {
      const network = await this.visibleRow(trx, ctx, id);
      this.ownerOnly(ctx, network, 'delete_network');
      if (ifMatch !== undefined) await bumpRevision(trx, 'networks', id, ifMatch, false);
      await this.deleteRow(trx, ctx, network, false);
    });
  }

  /** A plug-in's own network goes (core-plugin.ts), inside its transaction; nothing when it is gone. */
  async deleteInternal(trx: Executor, ctx: RequestContext, id: string): Promise<void> {
    const network = await networkRow(trx, id);
    if (network) await this.deleteRow(trx, ctx, network, true);
  }

  private async deleteRow(trx: Executor, ctx: RequestContext, network: NetworkRow, internal: boolean): Promise<void> {
    const id = network.id;
    await this.deps.events.publish(trx, 'network', 'precommit_delete', { ctx, original: network, internal });
    await this.deps.events.publish(trx, 'network', 'after_delete', async () => ({ ctx, original: (await this.viewsOf(trx, [network], ctx))[0] }));
    const ports = await trx.selectFrom('ports').select(['id', 'device_owner']).where('network_id', '=', id).execute();
    const blocking = ports.filter((p) => !AUTO_DELETE_OWNERS.includes(p.device_owner));
    if (blocking.length) throw new NetworkInUse({ net_id: id, port_ids: blocking.map((p) => p.id) });
    for (const p of ports) await this.deps.deletePort(trx, ctx, p.id);
    const subnets = await trx.selectFrom('subnets').select('id').where('network_id', '=', id).execute();
    for (const s of subnets) await deleteTagsOf(trx, 'subnets', s.id);
    await trx.deleteFrom('subnets').where('network_id', '=', id).execute();
    await deleteTagsOf(trx, 'networks', id);
    await trx.deleteFrom('networks').where('id', '=', id).execute();
  }

  /** `ctx`: who asks (`shared` is per caller); without it, `shared` means shared with everyone. */
  async views(trx: Executor, ids: string[], ctx?: RequestContext): Promise<Resource[]> {
    const rows = ids.length ? await trx.selectFrom('networks').selectAll().where('id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.viewsOf(trx, ids.map((id) => byId.get(id)).filter((r): r is NetworkRow => r !== undefined), ctx);
  }

  private async viewsOf(trx: Executor, rows: NetworkRow[], ctx?: RequestContext): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const [segs, subnets, tags] = await Promise.all([segmentsOf(trx, ids), subnetIdsOf(trx, ids), tagsOf(trx, 'networks', ids)]);
    const views = rows.map((r) => {
      const seg = segs.get(r.id)?.[0];
      return {
        id: r.id,
        name: r.name,
        tenant_id: r.project_id,
        project_id: r.project_id,
        admin_state_up: bool(r.admin_state_up),
        mtu: Number(r.mtu),
        status: r.status,
        subnets: subnets.get(r.id) ?? [],
        shared: bool(r.shared),
        port_security_enabled: bool(r.port_security_enabled),
        'router:external': bool(r.router_external),
        'provider:network_type': seg?.network_type ?? null,
        'provider:physical_network': seg?.physical_network ?? null,
        'provider:segmentation_id': seg?.segmentation_id ?? null,
        availability_zone_hints: JSON.parse(r.availability_zone_hints || '[]'),
        availability_zones: [],
        dns_domain: r.dns_domain,
        description: r.description,
        tags: tags.get(r.id) ?? [],
        created_at: r.created_at,
        updated_at: r.updated_at,
        revision_number: Number(r.revision_number),
      };
    });
    await extendViews(this.deps.extensions.network, trx, views, ctx);
    return views;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function segmentFilter(eb: any, column: string, values: unknown[]) {
  return eb.exists(
    eb.selectFrom('network_segments').select('network_segments.id').whereRef('network_segments.network_id', '=', 'networks.id').where(`network_segments.${column}`, 'in', values),
  );
}
