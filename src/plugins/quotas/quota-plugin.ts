/**
 * The quotas service plug-in: `/v2.0/quotas` (projects with limits of their own), show (defaults
 * merged with the project's own limits), update and reset (admins only), `…/{project}/details`
 * (limit, used, reserved), `…/{project}/default` and `…/tenant`, `…/project`; plus the `checkQuota`
 * hook every create in ML2 and the service plug-ins runs.
 */
import type { ServiceDeps } from '../../app.js';
import { PRIORITY } from '../events.js';
import type { RequestContext } from '../../core/context.js';
import { AdminRequired, HTTPBadRequest, HTTPNotImplemented, PolicyNotAuthorized, TenantQuotaNotFound } from '../../core/errors.js';
import { allLimits, deleteLimits, setLimit } from '../../db/repos/quota-repo.js';
import type { ListQuery } from '../../db/repos/listing.js';
import { QUOTA_RESOURCES, quotaExtensions, quotaResource } from '../../api/resources/quotas.js';
import { inPages, type Resource, type ResourcePages, type ResourcePlugin, type ServicePlugin } from '../plugin-api.js';
import { isQuotaResource, QuotaEngine } from './quota-engine.js';

/** Python truthiness of a request flag (`check_limit`). */
const truthy = (v: unknown) => !(v === undefined || v === null || v === false || v === 0 || v === '' || (Array.isArray(v) && !v.length));

export class QuotaOps implements ResourcePlugin {
  constructor(private readonly engine: QuotaEngine) {}

  /** Non-admins may read their own project's quota only (Neutron's `get_quota`: admin). */
  private mayRead(ctx: RequestContext, projectId: string): void {
    if (!ctx.isAdmin && projectId !== ctx.projectId) throw new PolicyNotAuthorized({ action: 'get_quota' });
  }

  async create(): Promise<Resource[]> {
    throw new HTTPNotImplemented({ msg: 'POST requests are not supported on this resource.' });
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    this.mayRead(ctx, id);
    return this.engine.limits(this.engine.database.db, id);
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    if (!ctx.isAdmin) throw new PolicyNotAuthorized({ action: 'get_quota' });
    const wanted = [...(q.filters.project_id ?? []), ...(q.filters.tenant_id ?? [])] as string[];
    const own = await allLimits(this.engine.database.db);
    const items: Resource[] = [];
    for (const [project, limits] of own) {
      if (wanted.length && !wanted.includes(project)) continue;
      const merged: Resource = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, limits.get(r) ?? this.engine.defaults[r]]));
      items.push({ ...merged, project_id: project, tenant_id: project });
    }
    // no pagination: the list is one page whatever the query says
    q.limit = undefined;
    return inPages(items, async (part) => part);
  }

  async update(ctx: RequestContext, id: string, changes: Resource): Promise<Resource> {
    if (!ctx.isAdmin) throw new PolicyNotAuthorized({ action: 'update_quota' });
    const { force: _force, check_limit: checkLimit, ...limits } = changes;
    return this.engine.transaction(async (trx) => {
      for (const [resource, limit] of Object.entries(limits)) {
        if (!isQuotaResource(resource) || !truthy(checkLimit) || (limit as number) < 0) continue;
        const used = await this.engine.used(trx, id, resource);
        if (used > (limit as number))
          throw new HTTPBadRequest({ msg: `Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}` });
      }
      for (const [resource, limit] of Object.entries(limits)) await setLimit(trx, id, resource, limit as number);
      return this.engine.limits(trx, id);
    });
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    if (!ctx.isAdmin) throw new PolicyNotAuthorized({ action: 'delete_quota' });
    await this.engine.transaction(async (trx) => {
      if ((await deleteLimits(trx, id)) === 0) throw new TenantQuotaNotFound({ tenant_id: id });
    });
  }

  readonly actions = {
    details: {
      method: 'GET' as const,
      handler: async (ctx: RequestContext, id: string) => {
        if (!ctx.isAdmin && id !== ctx.projectId) throw new AdminRequired({ reason: 'Only admin is authorized to access quotas for another project' });
        return { quota: await this.engine.details(this.engine.database.db, id) };
      },
    },
    default: {
      method: 'GET' as const,
      handler: async (ctx: RequestContext, id: string) => {
        this.mayRead(ctx, id);
        return { quota: { ...this.engine.defaults } };
      },
    },
  };

  readonly collectionActions = {
    tenant: { method: 'GET' as const, handler: async (ctx: RequestContext) => ({ tenant: { tenant_id: ctx.projectId } }) },
    project: { method: 'GET' as const, handler: async (ctx: RequestContext) => ({ project: { project_id: ctx.projectId } }) },
  };
}

/**
 * Builds the plug-in and joins the quota check to every create (ML2's and the service plug-ins'):
 * a `before_create` subscriber, first of all, once per owning project in a fixed order (no
 * lock-order deadlocks between two creators of several projects' resources).
 */
export function quotaPlugin(deps: ServiceDeps): ServicePlugin & { engine: QuotaEngine } {
  const engine = new QuotaEngine(deps.database, deps.config);
  for (const resource of QUOTA_RESOURCES)
    deps.events.subscribe(
      resource,
      'before_create',
      async ({ ctx, items }, trx) => {
        const counts = new Map<string, number>();
        for (const item of items) {
          const project = typeof item.project_id === 'string' ? item.project_id : ctx.projectId;
          counts.set(project, (counts.get(project) ?? 0) + 1);
        }
        for (const project of [...counts.keys()].sort()) await engine.check(trx, ctx, resource, counts.get(project)!, project);
      },
      { priority: PRIORITY.QUOTA, name: 'quota' },
    );
  const ops = new QuotaOps(engine);
  return {
    engine,
    resources: [quotaResource()],
    extensions: quotaExtensions(),
    collections: () => ({ quotas: ops }),
  };
}
