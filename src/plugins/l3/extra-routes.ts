/**
 * `PUT /v2.0/routers/{id}/add_extraroutes` and `remove_extraroutes` (extension
 * `extraroute-atomic`): the server merges the given routes into the router's (or takes them out)
 * inside one transaction, so concurrent clients cannot lose each other's routes. Answers
 * `{"router": …}` like a router update.
 */
import type { RequestContext } from '../../core/context.js';
import { HTTPBadRequest } from '../../core/errors.js';
import { unwrapBody } from '../../api/wire/envelope.js';
import { canonicalRoutes, isRoutes, routerResource } from '../../api/resources/routers.js';
import { routesOf } from '../../db/repos/l3-repo.js';
import { bumpRevision } from '../../db/repos/standard-attr-repo.js';
import type { Resource } from '../plugin-api.js';
import type { L3Deps } from './l3-support.js';
import type { Route } from './router-checks.js';
import type { RouterOps } from './router-ops.js';

const ROUTER = routerResource();

/**
 * Old plus new, exact duplicates once; same destination with another next hop is kept. Grouped
 * by destination in first-seen order, as Neutron builds the list.
 */
export function mergeRoutes(old: Route[], add: Route[]): Route[] {
  const byDestination = new Map<string, string[]>();
  for (const r of [...old, ...add]) {
    const hops = byDestination.get(r.destination) ?? [];
    if (!hops.includes(r.nexthop)) hops.push(r.nexthop);
    byDestination.set(r.destination, hops);
  }
  return [...byDestination].flatMap(([destination, hops]) => hops.map((nexthop) => ({ destination, nexthop })));
}

/** Old without the given ones; removing a route that is not there is no error. */
export const subtractRoutes = (old: Route[], remove: Route[]): Route[] =>
  old.filter((o) => !remove.some((r) => r.destination === o.destination && r.nexthop === o.nexthop));

export class ExtraRoutes {
  constructor(
    private readonly deps: L3Deps,
    private readonly routers: RouterOps,
  ) {}

  async change(ctx: RequestContext, routerId: string, body: unknown, how: 'add' | 'remove'): Promise<Resource> {
    const given = this.routesOf(body);
    await this.deps.database.transaction(async (trx) => {
      await this.routers.visibleRow(trx, ctx, routerId, true);
      const old = (await routesOf(trx, [routerId])).get(routerId) ?? [];
      const next = how === 'add' ? mergeRoutes(old, given) : subtractRoutes(old, given);
      await this.routers.replaceRoutes(trx, routerId, next);
      await bumpRevision(trx, 'routers', routerId);
    });
    return { router: await this.routers.get(ctx, routerId) };
  }

  /** `{"router": {"routes": [...]}}`, validated like `routes` in an update; other keys are ignored. */
  private routesOf(body: unknown): Route[] {
    const { items } = unwrapBody(ROUTER, body, 'put');
    if (!('routes' in items[0])) throw new HTTPBadRequest({ msg: "Failed to parse request. Required attribute 'routes' not specified" });
    const routes = items[0].routes === null ? [] : items[0].routes;
    const why = isRoutes(routes);
    if (why) throw new HTTPBadRequest({ msg: `Invalid input for routes. Reason: ${why}.` });
    return canonicalRoutes(routes as Route[]);
  }
}
