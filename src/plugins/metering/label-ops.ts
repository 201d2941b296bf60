/**
 * Metering labels: admin-only writes (Neutron's default policy), reads by admins and by readers of
 * the owning project. Deleting a label deletes its rules.
 */
import type { Events } from '../events.js';
import { newId, type RequestContext } from '../../core/context.js';
import { MeteringLabelNotFound, MeteringNotImplemented, PolicyRulesNotAuthorized } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { ListQuery, ListSpec } from '../../db/repos/listing.js';
import { bool, type Executor } from '../../db/schema.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import type { MeteringLabelRow } from './metering-repo.js';

const COLUMNS: Record<string, string> = { id: 'id', name: 'name', description: 'description', shared: 'shared', project_id: 'project_id', tenant_id: 'project_id' };

export function renderLabel(r: MeteringLabelRow): Resource {
  return { id: r.id, name: r.name, description: r.description, shared: bool(r.shared), project_id: r.project_id, tenant_id: r.project_id };
}

/** Refuses a write by a non-admin with Neutron's rule name. */
export function adminOnly(ctx: RequestContext, rule: string): void {
  if (!ctx.isAdmin) throw new PolicyRulesNotAuthorized({ rules: [rule] });
}

export class MeteringLabelOps implements ResourcePlugin {
  constructor(
    private readonly database: Database,
    private readonly events: Events,
  ) {}

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    adminOnly(ctx, 'create_metering_label');
    return this.database.transaction(async (trx) => {
      const out: Resource[] = [];
      for (const item of items) {
        const row: MeteringLabelRow = {
          id: newId(),
          project_id: item.project_id as string,
          name: item.name as string,
          description: item.description as string,
          shared: item.shared ? 1 : 0,
        };
        await trx.insertInto('metering_labels').values(row).execute();
        const current = renderLabel(row);
        await this.events.publish(trx, 'metering_label', 'after_create', { ctx, current });
        out.push(current);
      }
      return out;
    });
  }

  /** The label if the caller may see it (admin, or the owning project); otherwise MeteringLabelNotFound. */
  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<MeteringLabelRow> {
    const row = await trx.selectFrom('metering_labels').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new MeteringLabelNotFound({ label_id: id });
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    return renderLabel(await this.visibleRow(this.database.db, ctx, id));
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const spec: ListSpec = {
      table: 'metering_labels',
      columns: COLUMNS,
      booleans: new Set(['shared']),
      markerNotFound: (id) => new MeteringLabelNotFound({ label_id: id }),
      scope: ctx.isAdmin ? undefined : (eb) => eb('metering_labels.project_id', '=', ctx.projectId),
    };
    return listPages<MeteringLabelRow>(this.database.db, spec, q, async (part) => part.map(renderLabel));
  }

  /** Nothing of a label is updatable (the API layer refuses every attribute); an empty update is 501, as in Neutron. */
  async update(ctx: RequestContext, id: string): Promise<Resource> {
    await this.visibleRow(this.database.db, ctx, id);
    adminOnly(ctx, 'update_metering_label');
    throw new MeteringNotImplemented();
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      adminOnly(ctx, 'delete_metering_label');
      await this.events.publish(trx, 'metering_label', 'after_delete', { ctx, original: renderLabel(row) });
      await trx.deleteFrom('metering_label_rules').where('metering_label_id', '=', id).execute();
      await trx.deleteFrom('metering_labels').where('id', '=', id).execute();
    });
  }
}
