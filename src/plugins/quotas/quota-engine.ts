/**
 * The quota engine: limits (configured defaults, overridden per project), usage counted from the
 * resources' own rows, and the check every create runs inside its transaction. No in-process
 * state decides anything: the check locks the project's usage row of the resource and then counts,
 * so N server processes on one PostgreSQL or MariaDB never let a project past its limit.
 */
import type { Config } from '../../config/config.js';
import type { RequestContext } from '../../core/context.js';
import { OverQuota } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import type { Executor } from '../../db/schema.js';
import { countLocked, countRows, limitOf, limitsOf, lockUsage } from '../../db/repos/quota-repo.js';
import { QUOTA_RESOURCES, type QuotaResource } from '../../api/resources/quotas.js';

/** Where each resource's rows live (every table has `project_id`). */
const TABLES: Record<QuotaResource, string[]> = {
  network: ['networks'],
  subnet: ['subnets'],
  subnetpool: ['subnetpools'],
  port: ['ports'],
  router: ['routers'],
  floatingip: ['floatingips'],
  rbac_policy: ['network_rbacs', 'security_group_rbacs'],
  security_group: ['security_groups'],
  security_group_rule: ['security_group_rules'],
};

export const isQuotaResource = (r: string): r is QuotaResource => (QUOTA_RESOURCES as readonly string[]).includes(r);

export interface QuotaDetail {
  limit: number;
  used: number;
  reserved: number;
}

export class QuotaEngine {
  readonly defaults: Record<QuotaResource, number>;
  /** The counted tables that exist, found once at start (a plug-in's tables may be missing). */
  private readonly existing: Promise<Set<string> | undefined>;

  constructor(readonly database: Database, config: Config) {
    const q = config.QUOTAS;
    this.defaults = {
      network: q.quota_network,
      subnet: q.quota_subnet,
      // Neutron has no option of its own for subnet pools: they take [QUOTAS] default_quota
      subnetpool: q.default_quota,
      port: q.quota_port,
      router: q.quota_router,
      floatingip: q.quota_floatingip,
      rbac_policy: q.quota_rbac_policy,
      security_group: q.quota_security_group,
      security_group_rule: q.quota_security_group_rule,
    };
    this.existing = database.db.introspection.getTables().then(
      (tables) => new Set(tables.map((t) => t.name)),
      () => undefined,
    );
  }

  /** The tables counted for `resource`, those that exist. */
  private async tablesOf(resource: QuotaResource): Promise<string[]> {
    const existing = await this.existing;
    return TABLES[resource].filter((t) => !existing || existing.has(t));
  }

  /** The project's limits: defaults merged with its own. */
  async limits(trx: Executor, projectId: string): Promise<Record<QuotaResource, number>> {
    const own = await limitsOf(trx, projectId);
    return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, own.get(r) ?? this.defaults[r]])) as Record<QuotaResource, number>;
  }

  async used(trx: Executor, projectId: string, resource: QuotaResource): Promise<number> {
    return countRows(trx, projectId, await this.tablesOf(resource));
  }

  async details(trx: Executor, projectId: string): Promise<Record<QuotaResource, QuotaDetail>> {
    const limits = await this.limits(trx, projectId);
    const out = {} as Record<QuotaResource, QuotaDetail>;
    for (const r of QUOTA_RESOURCES) out[r] = { limit: limits[r], used: await this.used(trx, projectId, r), reserved: 0 };
    return out;
  }

  /**
   * The ML2 `checkQuota` hook: refuses with OverQuota when `adding` more `resource`s would take the
   * project past its limit. Unlimited (-1) resources and resources without a quota are not counted.
   * Otherwise the project's usage row is locked until commit and the rows counted under the lock.
   */
  readonly check = async (trx: Executor, ctx: RequestContext, resource: string, adding: number, projectId?: string): Promise<void> => {
    if (!isQuotaResource(resource) || adding <= 0) return;
    const project = projectId ?? ctx.projectId;
    const limit = (await limitOf(trx, project, resource)) ?? this.defaults[resource];
    if (limit < 0) return;
    if (adding > limit) throw new OverQuota({ overs: [resource] });
    await lockUsage(trx, project, resource);
    const used = await countLocked(trx, project, resource, await this.tablesOf(resource));
    if (used + adding > limit) throw new OverQuota({ overs: [resource] });
  };

  async transaction<T>(work: (trx: Executor) => Promise<T>): Promise<T> {
    return this.database.transaction(work);
  }
}
