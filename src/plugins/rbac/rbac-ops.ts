/**
 * `/v2.0/rbac-policies`: create (quota `rbac_policy`), show, list (no pagination, no sort keys),
 * update of `target_tenant`, delete. The object type decides what a policy may do and what depends
 * on it; this file owns the rows, the caller's view of them and the policy rules (non-admins see
 * and change only their own policies, and never target `*`).
 */
import { newId, type RequestContext } from '../../core/context.js';
import { DuplicateRbacPolicy, InvalidActionForType, PolicyRulesNotAuthorized, RbacPolicyNotFound } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../db/schema.js';
import type { ListQuery } from '../../db/repos/listing.js';
import { findPolicy, insertPolicy, WILDCARD, type RbacPolicyRow } from '../../db/repos/rbac-repo.js';
import { inPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import type { Events } from '../events.js';
import type { RbacObjectType } from './object-types.js';

type Located = { row: RbacPolicyRow; type: RbacObjectType };

const FILTER_COLUMNS: Record<string, keyof RbacPolicyRow> = {
  id: 'id',
  object_id: 'object_id',
  target_tenant: 'target_tenant',
  action: 'action',
  project_id: 'project_id',
  tenant_id: 'project_id',
};

export class RbacOps implements ResourcePlugin {
  private readonly types: Map<string, RbacObjectType>;

  constructor(
    private readonly database: Database,
    private readonly events: Events,
    types: RbacObjectType[],
  ) {
    this.types = new Map(types.map((t) => [t.name, t]));
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    for (const item of items)
      if (!ctx.isAdmin && item.target_tenant === WILDCARD) throw new PolicyRulesNotAuthorized({ rules: ['create_rbac_policy', 'create_rbac_policy:target_tenant'] });
    return this.database.transaction(async (trx) => {
      await this.events.publish(trx, 'rbac_policy', 'before_create', { ctx, items });
      const out: Resource[] = [];
      for (const item of items) {
        const type = this.types.get(item.object_type as string)!;
        const row: RbacPolicyRow = {
          id: newId(),
          project_id: item.project_id as string,
          object_id: item.object_id as string,
          action: item.action as string,
          target_tenant: item.target_tenant as string,
        };
        if (!type.actions.includes(row.action)) throw new InvalidActionForType({ action: row.action, object_type: type.name, valid_actions: [...type.actions] });
        await type.beforeCreate(trx, ctx, row);
        // checked first: a duplicate key would only make the transaction retry
        if (await findPolicy(trx, type.table, row.object_id, row.action, row.target_tenant)) throw new DuplicateRbacPolicy();
        await insertPolicy(trx, type.table, row);
        await type.afterChange(trx, row, 'create');
        out.push(view(row, type));
      }
      return out;
    });
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const { row, type } = await this.locate(this.database.db, ctx, id);
    return view(row, type);
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const wantedTypes = q.filters.object_type as string[] | undefined;
    const items: Resource[] = [];
    for (const type of this.types.values()) {
      if (wantedTypes && !wantedTypes.includes(type.name)) continue;
      let sel = this.database.db.selectFrom(type.table).selectAll();
      if (!ctx.isAdmin) sel = sel.where('project_id', '=', ctx.projectId);
      for (const [attr, values] of Object.entries(q.filters)) {
        const column = FILTER_COLUMNS[attr];
        if (column) sel = sel.where(column, 'in', values as string[]);
      }
      for (const row of await sel.execute()) items.push(view(row, type));
    }
    items.sort((a, b) => ((a.id as string) < (b.id as string) ? -1 : 1));
    // no pagination for RBAC policies (Neutron's allow_pagination=False): one page, no links
    q.limit = undefined;
    return inPages(items, async (part) => part);
  }

  async update(ctx: RequestContext, id: string, changes: Resource): Promise<Resource> {
    return this.database.transaction(async (trx) => {
      const { row, type } = await this.locate(trx, ctx, id);
      if (!('target_tenant' in changes)) return view(row, type);
      const target = changes.target_tenant as string;
      if (!ctx.isAdmin && target === WILDCARD) throw new PolicyRulesNotAuthorized({ rules: ['update_rbac_policy', 'update_rbac_policy:target_tenant'] });
      if (target === row.target_tenant) return view(row, type);
      await type.beforeUpdate(trx, ctx, row, target);
      if (await findPolicy(trx, type.table, row.object_id, row.action, target)) throw new DuplicateRbacPolicy();
      await trx.updateTable(type.table).set({ target_tenant: target }).where('id', '=', id).execute();
      const updated = { ...row, target_tenant: target };
      await type.afterChange(trx, updated, 'update');
      return view(updated, type);
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.database.transaction(async (trx) => {
      const { row, type } = await this.locate(trx, ctx, id);
      await type.beforeDelete(trx, ctx, row);
      await trx.deleteFrom(type.table).where('id', '=', id).execute();
      await type.afterChange(trx, row, 'delete');
    });
  }

  /** The policy and its type; a policy of another project is not found for non-admins. */
  private async locate(trx: Executor, ctx: RequestContext, id: string): Promise<Located> {
    for (const type of this.types.values()) {
      const row = await trx.selectFrom(type.table).selectAll().where('id', '=', id).executeTakeFirst();
      if (row && (ctx.isAdmin || row.project_id === ctx.projectId)) return { row, type };
    }
    throw new RbacPolicyNotFound({ id, object_type: 'unknown' });
  }
}

function view(r: RbacPolicyRow, type: RbacObjectType): Resource {
  return {
    id: r.id,
    project_id: r.project_id,
    action: r.action,
    object_id: r.object_id,
    target_tenant: r.target_tenant,
    object_type: type.name,
    tenant_id: r.project_id,
  };
}
