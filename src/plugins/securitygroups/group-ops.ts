/**
 * Security groups: the per-project `default` group (created lazily, once, with Neutron's default
 * rules), creation with the two egress rules, updates, and deletion refused while ports use a group.
 */
import { newId, type RequestContext } from '../../core/context.js';
import {
  PolicyNotAuthorized,
  SecurityGroupCannotRemoveDefault,
  SecurityGroupCannotUpdateDefault,
  SecurityGroupInUse,
  SecurityGroupNotFound,
} from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, deleteTagsOf, nowStamp, standardValues, tagsOf } from '../../db/repos/standard-attr-repo.js';
import { bool, dbBool, type Executor } from '../../db/schema.js';
import type { Events } from '../events.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import { rulesOf, type SecurityGroupRow, type SecurityGroupRuleRow } from './sg-repo.js';
import { securityGroupAccessible, securityGroupVisibleTo } from '../../db/repos/rbac-repo.js';
import { renderRule } from './rule-ops.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  ['id', 'name', 'stateful', 'project_id', 'description', 'revision_number', 'created_at', 'updated_at'].map((c) => [c, c]),
);
COLUMNS.tenant_id = 'project_id';

type RuleSeed = Pick<SecurityGroupRuleRow, 'direction' | 'ethertype' | 'remote_group_id'>;

export class SecurityGroupOps implements ResourcePlugin {
  readonly tags;

  constructor(private readonly database: Database, private readonly events: Events) {
    this.tags = tagOps(database, 'security_groups', (ctx, id) => this.get(ctx, id));
  }

  /** The project's default group, created on first need. A concurrent creator makes this transaction retry. */
  async ensureDefault(trx: Executor, projectId: string): Promise<string> {
    const found = await trx.selectFrom('default_security_groups').select('security_group_id').where('project_id', '=', projectId).executeTakeFirst();
    if (found) return found.security_group_id;
    const id = newId();
    await this.insertGroup(trx, id, projectId, 'default', 'Default security group', true, [
      { direction: 'ingress', ethertype: 'IPv4', remote_group_id: id },
      { direction: 'ingress', ethertype: 'IPv6', remote_group_id: id },
      { direction: 'egress', ethertype: 'IPv4', remote_group_id: null },
      { direction: 'egress', ethertype: 'IPv6', remote_group_id: null },
    ]);
    await trx.insertInto('default_security_groups').values({ project_id: projectId, security_group_id: id }).execute();
    return id;
  }

  private async insertGroup(trx: Executor, id: string, projectId: string, name: string, description: string, stateful: boolean, rules: RuleSeed[]): Promise<void> {
    await trx
      .insertInto('security_groups')
      .values({ id, project_id: projectId, name, stateful: dbBool(stateful), ...standardValues(description), revision_number: 1 })
      .execute();
    const now = nowStamp();
    await trx
      .insertInto('security_group_rules')
      .values(
        rules.map((r) => ({
          id: newId(),
          project_id: projectId,
          security_group_id: id,
          ...r,
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
          normalized_cidr: null,
          description: null,
          revision_number: 0,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    const ids = await this.database.transaction(async (trx) => {
      const out: string[] = [];
      await this.events.publish(trx, 'security_group', 'before_create', { ctx, items });
      for (const item of items) await this.ensureDefault(trx, item.project_id as string);
      for (const item of items) {
        const id = newId();
        await this.insertGroup(trx, id, item.project_id as string, item.name as string, item.description as string, item.stateful as boolean, [
          { direction: 'egress', ethertype: 'IPv4', remote_group_id: null },
          { direction: 'egress', ethertype: 'IPv6', remote_group_id: null },
        ]);
        out.push(id);
      }
      return out;
    });
    return this.views(this.database.db, ids);
  }

  /** A group the caller may see and use on its ports: its own, one shared with it by RBAC, or any for an admin. */
  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<SecurityGroupRow> {
    const row = await trx.selectFrom('security_groups').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SecurityGroupNotFound({ id });
    if (ctx.isAdmin || row.project_id === ctx.projectId || (await securityGroupAccessible(trx, id, ctx.projectId))) return row;
    throw new SecurityGroupNotFound({ id });
  }

  /** A group the caller may change (and add rules to): its own, or any for an admin; a shared one is 403. */
  async ownedRow(trx: Executor, ctx: RequestContext, id: string, action: string): Promise<SecurityGroupRow> {
    const row = await this.visibleRow(trx, ctx, id);
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new PolicyNotAuthorized({ action });
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const row = await this.visibleRow(this.database.db, ctx, id);
    return (await this.viewsOf(this.database.db, [row], ctx))[0];
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    if (ctx.projectId) await this.database.transaction((trx) => this.ensureDefault(trx, ctx.projectId));
    const db = this.database.db;
    const spec: ListSpec = {
      table: 'security_groups',
      tagType: 'security_groups',
      columns: COLUMNS,
      booleans: new Set(['stateful']),
      markerNotFound: (id) => new SecurityGroupNotFound({ id }),
      scope: ctx.isAdmin ? undefined : (eb) => securityGroupVisibleTo(eb, ctx.projectId),
      special: {
        shared: (eb, values) => {
          const shared = eb.exists(
            eb
              .selectFrom('security_group_rbacs')
              .select('security_group_rbacs.id')
              .whereRef('security_group_rbacs.object_id', '=', 'security_groups.id')
              .where('security_group_rbacs.target_tenant', 'in', [ctx.projectId, '*']),
          );
          const wanted = values.map((v) => v === true || v === 'True' || v === 'true' || v === '1');
          // both values: every group (a condition always true, as a comparison: SQLite binds no booleans)
          return wanted.includes(true) && wanted.includes(false) ? eb(eb.lit(1), '=', eb.lit(1)) : wanted[0] ? shared : eb.not(shared);
        },
      },
    };
    return listPages<SecurityGroupRow>(db, spec, q, (part) => this.viewsOf(db, part, ctx));
  }

  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    await this.database.transaction(async (trx) => {
      const row = await this.ownedRow(trx, ctx, id, 'update_security_group');
      // a port's groups are all stateful or all stateless, so a group in use keeps its kind (Neutron's rule)
      if ('stateful' in changes && changes.stateful !== bool(row.stateful) && (await this.inUse(trx, id))) throw new SecurityGroupInUse({ id });
      if ('name' in changes && row.name === 'default' && changes.name !== 'default' && (await this.isDefault(trx, id))) throw new SecurityGroupCannotUpdateDefault();
      await bumpRevision(trx, 'security_groups', id, ifMatch, Object.keys(changes).length > 0);
      const set: Partial<SecurityGroupRow> = {};
      if ('name' in changes) set.name = changes.name as string;
      if ('description' in changes) set.description = changes.description as string;
      if ('stateful' in changes) set.stateful = dbBool(changes.stateful);
      if (Object.keys(set).length) await trx.updateTable('security_groups').set(set).where('id', '=', id).execute();
    });
    return this.get(ctx, id);
  }

  private async inUse(trx: Executor, id: string): Promise<boolean> {
    return (await trx.selectFrom('port_security_groups').select('port_id').where('security_group_id', '=', id).executeTakeFirst()) !== undefined;
  }

  private async isDefault(trx: Executor, id: string): Promise<boolean> {
    return (await trx.selectFrom('default_security_groups').select('project_id').where('security_group_id', '=', id).executeTakeFirst()) !== undefined;
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.database.transaction(async (trx) => {
      await this.ownedRow(trx, ctx, id, 'delete_security_group');
      if (ifMatch !== undefined) await bumpRevision(trx, 'security_groups', id, ifMatch, false);
      if (!ctx.isAdmin && (await this.isDefault(trx, id))) throw new SecurityGroupCannotRemoveDefault();
      if (await this.inUse(trx, id)) throw new SecurityGroupInUse({ id });
      await trx.deleteFrom('default_security_groups').where('security_group_id', '=', id).execute();
      // other groups' rules naming this one go with it: the agents filtering for those groups hear of it
      const naming = await trx.selectFrom('security_group_rules').selectAll().where('remote_group_id', '=', id).where('security_group_id', '!=', id).execute();
      await trx.deleteFrom('security_group_rules').where('remote_group_id', '=', id).execute();
      for (const r of naming) await this.events.publish(trx, 'security_group_rule', 'after_delete', { ctx, original: renderRule(r) });
      await trx.deleteFrom('security_group_rules').where('security_group_id', '=', id).execute();
      await trx.deleteFrom('security_group_rbacs').where('object_id', '=', id).execute();
      await deleteTagsOf(trx, 'security_groups', id);
      await trx.deleteFrom('security_groups').where('id', '=', id).execute();
    });
  }

  /** Groups shared with the caller's project (or with everyone) by an RBAC policy: `shared` is per caller, as in Neutron. */
  private async sharedWith(trx: Executor, ids: string[], ctx?: RequestContext): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const targets = ctx?.projectId ? [ctx.projectId, '*'] : ['*'];
    const rows = await trx.selectFrom('security_group_rbacs').select('object_id').where('object_id', 'in', ids).where('target_tenant', 'in', targets).execute();
    return new Set(rows.map((r) => r.object_id));
  }

  async views(trx: Executor, ids: string[]): Promise<Resource[]> {
    const rows = ids.length ? await trx.selectFrom('security_groups').selectAll().where('id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.viewsOf(trx, ids.map((id) => byId.get(id)).filter((r): r is SecurityGroupRow => r !== undefined));
  }

  private async viewsOf(trx: Executor, rows: SecurityGroupRow[], ctx?: RequestContext): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const [rules, tags, shared] = await Promise.all([rulesOf(trx, ids), tagsOf(trx, 'security_groups', ids), this.sharedWith(trx, ids, ctx)]);
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      stateful: bool(r.stateful),
      tenant_id: r.project_id,
      project_id: r.project_id,
      description: r.description,
      shared: shared.has(r.id),
      security_group_rules: (rules.get(r.id) ?? []).map(renderRule),
      tags: tags.get(r.id) ?? [],
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: Number(r.revision_number),
    }));
  }
}
