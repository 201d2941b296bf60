/**
 * Security group rules: checked together (rule-checks.ts), refused when the same rule exists,
 * created in bulk for one project, deleted; every change bumps the group's revision.
 */
import { newId, type RequestContext } from '../../core/context.js';
import {
  DuplicateSecurityGroupRuleInPost,
  SecurityGroupNotFound,
  SecurityGroupRuleExists,
  SecurityGroupRuleNotFound,
  SecurityGroupRulesNotSingleTenant,
} from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, nowStamp } from '../../db/repos/standard-attr-repo.js';
import type { Executor } from '../../db/schema.js';
import type { Events } from '../events.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { checkRule, normalizedCidr, sameRule, type RuleFields } from './rule-checks.js';
import type { SecurityGroupRuleRow } from './sg-repo.js';
import type { SecurityGroupOps } from './group-ops.js';
import { securityGroupVisibleTo } from '../../db/repos/rbac-repo.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  [
    'id',
    'security_group_id',
    'remote_group_id',
    'direction',
    'protocol',
    'port_range_min',
    'port_range_max',
    'ethertype',
    'remote_ip_prefix',
    'normalized_cidr',
    'project_id',
    'description',
    'revision_number',
    'created_at',
    'updated_at',
  ].map((c) => [c, c]),
);
COLUMNS.tenant_id = 'project_id';

export function renderRule(r: SecurityGroupRuleRow): Resource {
  return {
    id: r.id,
    tenant_id: r.project_id,
    project_id: r.project_id,
    security_group_id: r.security_group_id,
    ethertype: r.ethertype,
    direction: r.direction,
    protocol: r.protocol,
    port_range_min: r.port_range_min === null ? null : Number(r.port_range_min),
    port_range_max: r.port_range_max === null ? null : Number(r.port_range_max),
    remote_ip_prefix: r.remote_ip_prefix,
    remote_address_group_id: null,
    normalized_cidr: r.normalized_cidr,
    remote_group_id: r.remote_group_id,
    description: r.description,
    created_at: r.created_at,
    updated_at: r.updated_at,
    revision_number: Number(r.revision_number),
  };
}

const fieldsOf = (r: Resource | SecurityGroupRuleRow): RuleFields => ({
  direction: r.direction as string,
  ethertype: r.ethertype as string,
  protocol: (r.protocol as string | null) ?? null,
  port_range_min: r.port_range_min === null || r.port_range_min === undefined ? null : Number(r.port_range_min),
  port_range_max: r.port_range_max === null || r.port_range_max === undefined ? null : Number(r.port_range_max),
  remote_ip_prefix: (r.remote_ip_prefix as string | null) ?? null,
  remote_group_id: (r.remote_group_id as string | null) ?? null,
});

export class SecurityGroupRuleOps implements ResourcePlugin {
  constructor(
    private readonly database: Database,
    private readonly events: Events,
    private readonly groups: SecurityGroupOps,
  ) {}

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    if (new Set(items.map((i) => i.project_id)).size > 1) throw new SecurityGroupRulesNotSingleTenant();
    for (const item of items) checkRule(fieldsOf(item));
    for (let i = 0; i < items.length; i++)
      for (let j = 0; j < i; j++)
        if (items[i].security_group_id === items[j].security_group_id && sameRule(fieldsOf(items[i]), fieldsOf(items[j]))) throw new DuplicateSecurityGroupRuleInPost();
    return this.database.transaction(async (trx) => {
      await this.events.publish(trx, 'security_group_rule', 'before_create', { ctx, items });
      const out: Resource[] = [];
      for (const item of items) {
        const groupId = item.security_group_id as string;
        await this.groups.ownedRow(trx, ctx, groupId, 'create_security_group_rule');
        const remote = item.remote_group_id as string | null;
        if (remote !== null && !(await trx.selectFrom('security_groups').select('id').where('id', '=', remote).executeTakeFirst()))
          throw new SecurityGroupNotFound({ id: remote });
        const existing = await trx.selectFrom('security_group_rules').selectAll().where('security_group_id', '=', groupId).execute();
        const same = existing.find((e) => sameRule(fieldsOf(e), fieldsOf(item)));
        if (same) throw new SecurityGroupRuleExists({ rule_id: same.id });
        const now = nowStamp();
        const row: SecurityGroupRuleRow = {
          id: newId(),
          project_id: item.project_id as string,
          security_group_id: groupId,
          ...fieldsOf(item),
          normalized_cidr: normalizedCidr((item.remote_ip_prefix as string | null) ?? null),
          description: (item.description as string) ?? '',
          revision_number: 0,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto('security_group_rules').values(row).execute();
        await bumpRevision(trx, 'security_groups', groupId);
        const current = renderRule(row);
        await this.events.publish(trx, 'security_group_rule', 'after_create', { ctx, current });
        out.push(current);
      }
      return out;
    });
  }

  private async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<SecurityGroupRuleRow> {
    const row = await trx.selectFrom('security_group_rules').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SecurityGroupRuleNotFound({ id });
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) {
      try {
        await this.groups.visibleRow(trx, ctx, row.security_group_id);
      } catch {
        throw new SecurityGroupRuleNotFound({ id });
      }
    }
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    return renderRule(await this.visibleRow(this.database.db, ctx, id));
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const spec: ListSpec = {
      table: 'security_group_rules',
      columns: COLUMNS,
      markerNotFound: (id) => new SecurityGroupRuleNotFound({ id }),
      scope: ctx.isAdmin
        ? undefined
        : (eb) =>
            eb.or([
              eb('security_group_rules.project_id', '=', ctx.projectId),
              eb.exists(
                eb
                  .selectFrom('security_groups')
                  .select('security_groups.id')
                  .whereRef('security_groups.id', '=', 'security_group_rules.security_group_id')
                  .where((e) => securityGroupVisibleTo(e, ctx.projectId)),
              ),
            ]),
      special: {
        // no rule has an address group: all rules when asked for none, else none (SQLite binds no booleans)
        remote_address_group_id: (eb, v) => eb(eb.lit(v.includes(null) || v.includes('') ? 1 : 0), '=', 1),
      },
    };
    return listPages<SecurityGroupRuleRow>(this.database.db, spec, q, async (part) => part.map(renderRule));
  }

  async update(ctx: RequestContext, id: string): Promise<Resource> {
    return this.get(ctx, id);
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) await this.groups.ownedRow(trx, ctx, row.security_group_id, 'delete_security_group_rule');
      await trx.deleteFrom('security_group_rules').where('id', '=', id).execute();
      await bumpRevision(trx, 'security_groups', row.security_group_id);
      await this.events.publish(trx, 'security_group_rule', 'after_delete', { ctx, original: renderRule(row) });
    });
  }
}
