/**
 * Subnet pools: create (prefixes compacted, prefix length bounds defaulted and checked, one default
 * pool per IP version), show and list (own and shared pools; admins see all), update (a pool's
 * prefixes only grow), delete (refused while subnets hold allocations from the pool), tags, and
 * the `add_prefixes` / `remove_prefixes` actions. The answers keep Neutron's shapes: prefix
 * lengths as strings (numbers in an update's answer), prefixes in address order where Neutron
 * answers what it computed (create, update, add_prefixes) and in text order where it answers what
 * it read back (show, list, remove_prefixes).
 */
import { newId, type RequestContext } from '../../core/context.js';
import {
  AddressScopeNotFound,
  AddrFormatError,
  HTTPBadRequest,
  IllegalSubnetPoolPrefixUpdate,
  InvalidInput,
  PolicyRulesNotAuthorized,
  SubnetPoolDeleteError,
  SubnetPoolNotFound,
} from '../../core/errors.js';
import { formatCidr, parseCidr, type Cidr, type IpVersion } from '../../core/ip.js';
import { pyStr } from '../../core/py-repr.js';
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import type { Database } from '../../db/database.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, deleteTagsOf, standardValues, tagsOf } from '../../db/repos/standard-attr-repo.js';
import { bool, dbBool, type Executor } from '../../db/schema.js';
import { intersects, subtractCidrs } from '../../ipam/subnet-alloc.js';
import type { Events } from '../events.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import { checkBounds, grownPrefixes, newBounds, readPrefixes, type PrefixBounds } from './pool-checks.js';
import { allocationsOf, claimPool, prefixesOf, writePrefixes, type SubnetPoolRow } from './pool-repo.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  [
    'id',
    'name',
    'project_id',
    'ip_version',
    'default_prefixlen',
    'min_prefixlen',
    'max_prefixlen',
    'shared',
    'is_default',
    'default_quota',
    'address_scope_id',
    'description',
    'revision_number',
    'created_at',
    'updated_at',
  ].map((c) => [c, c]),
);
COLUMNS.tenant_id = 'project_id';

const BOUNDS = ['min_prefixlen', 'max_prefixlen', 'default_prefixlen'] as const;

/** Prefixes as Neutron computed them (address order) or as it read them back (text order). */
type PrefixOrder = 'address' | 'text';

const given = (v: unknown) => v !== NOT_SPECIFIED && v !== undefined;
const cidrs = (texts: string[]) => texts.map((t) => parseCidr(t) as Cidr);

export class SubnetPoolOps implements ResourcePlugin {
  readonly tags;

  constructor(
    private readonly database: Database,
    private readonly events: Events,
  ) {
    this.tags = tagOps(database, 'subnetpools', (ctx, id) => this.get(ctx, id));
  }

  /** A pool the caller may see and allocate from: its own, a shared one, or any for an admin. */
  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<SubnetPoolRow> {
    const row = await trx.selectFrom('subnetpools').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || !this.mayUse(ctx, row)) throw new SubnetPoolNotFound({ subnetpool_id: id });
    return row;
  }

  /** The default pool of an IP version, when there is one the caller may see. */
  async defaultRow(trx: Executor, ctx: RequestContext, version: IpVersion): Promise<SubnetPoolRow | undefined> {
    const row = await trx.selectFrom('subnetpools').selectAll().where('default_version', '=', version).executeTakeFirst();
    return row && this.mayUse(ctx, row) ? row : undefined;
  }

  private mayUse(ctx: RequestContext, row: SubnetPoolRow): boolean {
    return ctx.isAdmin || row.project_id === ctx.projectId || bool(row.shared);
  }

  /**
   * A pool the caller may change: its own, or any for an admin; another project's shared pool is
   * 403. Neutron names the rules it checked: the action's, and for a member action on a shared
   * pool also `<action>:shared` (the pool's `shared` counts as set in the target).
   */
  private async ownedRow(trx: Executor, ctx: RequestContext, id: string, action: string, memberAction = false): Promise<SubnetPoolRow> {
    const row = await this.visibleRow(trx, ctx, id);
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyRulesNotAuthorized({ rules: memberAction ? [action, `${action}:shared`] : [action] });
    return row;
  }

  /** One default pool per IP version (the unique `default_version` settles two servers racing). */
  private async refuseSecondDefault(trx: Executor, version: number): Promise<void> {
    if (await trx.selectFrom('subnetpools').select('id').where('default_version', '=', version).executeTakeFirst())
      throw new InvalidInput({ error_message: 'A default subnetpool for this IP family has already been set. Only one default may exist per IP family' });
  }

  /** One pool at a time: the resource refuses bulk creates (`allowBulk: false`), as Neutron does. */
  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    const [item] = items;
    const { version, prefixes } = readPrefixes(item.prefixes as string[]);
    const bounds = newBounds(version, Object.fromEntries(BOUNDS.filter((b) => given(item[b])).map((b) => [b, item[b] as number])));
    const id = newId();
    await this.database.transaction(async (trx) => {
      await this.events.publish(trx, 'subnetpool', 'before_create', { ctx, items });
      if (item.is_default) await this.refuseSecondDefault(trx, version);
      if (given(item.address_scope_id) && item.address_scope_id !== null) throw new AddressScopeNotFound({ address_scope_id: item.address_scope_id as string });
      await trx
        .insertInto('subnetpools')
        .values({
          id,
          project_id: item.project_id as string,
          name: item.name as string,
          ip_version: version,
          ...bounds,
          shared: dbBool(item.shared),
          is_default: dbBool(item.is_default),
          default_version: item.is_default ? version : null,
          default_quota: given(item.default_quota) ? (item.default_quota as number) : null,
          address_scope_id: null,
          allocation_version: 0,
          ...standardValues(item.description as string),
        })
        .execute();
      await writePrefixes(trx, id, prefixes.map(formatCidr));
    });
    return this.views(this.database.db, [id], 'address');
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const row = await this.visibleRow(this.database.db, ctx, id);
    return (await this.viewsOf(this.database.db, [row], 'text'))[0];
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.database.db;
    const spec: ListSpec = {
      table: 'subnetpools',
      tagType: 'subnetpools',
      columns: COLUMNS,
      booleans: new Set(['shared', 'is_default']),
      markerNotFound: (id) => new SubnetPoolNotFound({ subnetpool_id: id }),
      scope: ctx.isAdmin ? undefined : (eb) => eb.or([eb('subnetpools.project_id', '=', ctx.projectId), eb('subnetpools.shared', '=', 1)]),
    };
    return listPages<SubnetPoolRow>(db, spec, q, (part) => this.viewsOf(db, part, 'text'));
  }

  /**
   * Every update bumps the revision, as Neutron's does (it rewrites the prefixes). Its answer is
   * Neutron's too: prefix lengths as numbers, `default_quota` only when set, `address_scope_id`
   * only when the update named it.
   */
  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    await this.database.transaction(async (trx) => {
      const row = await this.ownedRow(trx, ctx, id, 'update_subnetpool');
      const version = Number(row.ip_version) as IpVersion;
      let prefixes: Cidr[] | undefined;
      if ('prefixes' in changes) prefixes = grownPrefixes(version, cidrs(await this.prefixTexts(trx, id)), changes.prefixes as string[]);
      const bounds = Object.fromEntries(BOUNDS.map((b) => [b, b in changes ? (changes[b] as number) : Number(row[b])])) as unknown as PrefixBounds;
      checkBounds(version, bounds);
      const isDefault = 'is_default' in changes ? (changes.is_default as boolean) : bool(row.is_default);
      if (isDefault && !bool(row.is_default)) await this.refuseSecondDefault(trx, version);
      if ('address_scope_id' in changes && changes.address_scope_id !== null) throw new AddressScopeNotFound({ address_scope_id: changes.address_scope_id as string });
      await claimPool(trx, row);
      await bumpRevision(trx, 'subnetpools', id, ifMatch);
      const set: Partial<SubnetPoolRow> = { ...bounds, is_default: dbBool(isDefault), default_version: isDefault ? version : null };
      if ('name' in changes) set.name = changes.name as string;
      if ('description' in changes) set.description = changes.description as string;
      if ('default_quota' in changes) set.default_quota = changes.default_quota as number;
      await trx.updateTable('subnetpools').set(set).where('id', '=', id).execute();
      if (prefixes) await writePrefixes(trx, id, prefixes.map(formatCidr));
    });
    const [view] = await this.views(this.database.db, [id], 'address');
    for (const b of BOUNDS) view[b] = Number(view[b]);
    if (view.default_quota === null) delete view.default_quota;
    if (!('address_scope_id' in changes)) delete view.address_scope_id;
    return view;
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.database.transaction(async (trx) => {
      const row = await this.ownedRow(trx, ctx, id, 'delete_subnetpool');
      if (ifMatch !== undefined) await bumpRevision(trx, 'subnetpools', id, ifMatch, false);
      await claimPool(trx, row);
      if (await trx.selectFrom('subnets').select('id').where('subnetpool_id', '=', id).executeTakeFirst())
        throw new SubnetPoolDeleteError({ reason: 'Subnet pool has existing allocations' });
      await deleteTagsOf(trx, 'subnetpools', id);
      await trx.deleteFrom('subnetpool_prefixes').where('subnetpool_id', '=', id).execute();
      await trx.deleteFrom('subnetpools').where('id', '=', id).execute();
    });
  }

  readonly actions = {
    add_prefixes: { method: 'PUT' as const, handler: (ctx: RequestContext, id: string, body: unknown) => this.addPrefixes(ctx, id, body) },
    remove_prefixes: { method: 'PUT' as const, handler: (ctx: RequestContext, id: string, body: unknown) => this.removePrefixes(ctx, id, body) },
  };

  /** `add_prefixes`: the pool grows by the prefixes given (an update of `prefixes`). */
  private async addPrefixes(ctx: RequestContext, id: string, body: unknown): Promise<Resource> {
    const texts = operationPrefixes(body);
    const prefixes = await this.database.transaction(async (trx) => {
      const row = await this.ownedRow(trx, ctx, id, 'add_prefixes', true);
      const current = await this.prefixTexts(trx, id);
      const grown = grownPrefixes(Number(row.ip_version) as IpVersion, cidrs(current), [...current, ...parsedPrefixes(texts).map(formatCidr)]);
      await claimPool(trx, row);
      await bumpRevision(trx, 'subnetpools', id);
      await writePrefixes(trx, id, grown.map(formatCidr));
      return grown;
    });
    return { prefixes: ordered(prefixes.map(formatCidr), 'address') };
  }

  /**
   * `remove_prefixes`: the pool shrinks by the prefixes given, unless a subnet was allocated from
   * them. Removing what the pool does not hold changes nothing. Neither bumps the revision (nor
   * does Neutron's).
   */
  private async removePrefixes(ctx: RequestContext, id: string, body: unknown): Promise<Resource> {
    const texts = operationPrefixes(body);
    return this.database.transaction(async (trx) => {
      const row = await this.ownedRow(trx, ctx, id, 'remove_prefixes', true);
      const removal = parsedPrefixes(texts);
      const current = await this.prefixTexts(trx, id);
      if (!intersects(cidrs(current), removal)) return { prefixes: ordered(current, 'text') };
      await claimPool(trx, row);
      const allocated = cidrs((await allocationsOf(trx, id)).map((a) => a.cidr));
      if (intersects(allocated, removal)) throw new IllegalSubnetPoolPrefixUpdate({ msg: 'One or more the prefixes to be removed is in use by a subnet.' });
      const left = subtractCidrs(Number(row.ip_version) as IpVersion, cidrs(current), removal).map(formatCidr);
      await writePrefixes(trx, id, left);
      return { prefixes: left };
    });
  }

  private async prefixTexts(trx: Executor, id: string): Promise<string[]> {
    return (await prefixesOf(trx, [id])).get(id) ?? [];
  }

  async views(trx: Executor, ids: string[], order: PrefixOrder): Promise<Resource[]> {
    const rows = ids.length ? await trx.selectFrom('subnetpools').selectAll().where('id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.viewsOf(trx, ids.map((id) => byId.get(id)).filter((r): r is SubnetPoolRow => r !== undefined), order);
  }

  private async viewsOf(trx: Executor, rows: SubnetPoolRow[], order: PrefixOrder): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const [prefixes, tags] = await Promise.all([prefixesOf(trx, ids), tagsOf(trx, 'subnetpools', ids)]);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      tenant_id: r.project_id,
      project_id: r.project_id,
      // Neutron answers the prefix lengths as strings (its dict maker str()s them)
      default_prefixlen: String(r.default_prefixlen),
      min_prefixlen: String(r.min_prefixlen),
      max_prefixlen: String(r.max_prefixlen),
      is_default: bool(r.is_default),
      shared: bool(r.shared),
      prefixes: ordered(prefixes.get(r.id) ?? [], order),
      ip_version: Number(r.ip_version),
      default_quota: r.default_quota === null ? null : Number(r.default_quota),
      address_scope_id: r.address_scope_id,
      description: r.description,
      tags: tags.get(r.id) ?? [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: Number(r.revision_number),
    }));
  }
}

function ordered(texts: string[], order: PrefixOrder): string[] {
  if (order === 'text') return [...texts].sort();
  return cidrs(texts)
    .sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : 0))
    .map(formatCidr);
}

/** The body of a prefix action: `{"prefixes": [...]}`, a list that is not empty. */
function operationPrefixes(body: unknown): unknown[] {
  const prefixes = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>).prefixes : undefined;
  if (!Array.isArray(prefixes) || !prefixes.length) throw new HTTPBadRequest({ msg: 'Request body contains invalid data' });
  return prefixes;
}

/** Prefixes of an action, parsed as netaddr parses them (host bits allowed). */
function parsedPrefixes(texts: unknown[]): Cidr[] {
  return texts.map((t) => {
    const c = typeof t === 'string' ? parseCidr(t) : undefined;
    if (!c) throw new AddrFormatError({ input: pyStr(t) });
    return { version: c.version, network: c.network, prefix: c.prefix };
  });
}
