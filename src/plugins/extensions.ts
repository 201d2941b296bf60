/**
 * The read side of extensions: what service plug-ins add to the core resources as they are
 * rendered (`security_groups` on ports, `availability_zones` on networks, `shared` per caller)
 * and the list filters they bring (`security_groups=ID`). Kept apart from the resource events
 * (events.ts) on purpose: rendering is not a change, has no phases and no order, and runs on every
 * read, so it is a plain list of batch functions per resource.
 */
import type { RequestContext } from '../core/context.js';
import type { SpecialFilter } from '../db/repos/listing.js';
import type { Executor } from '../db/schema.js';
import type { Resource } from './plugin-api.js';

/** Adds attributes to rendered items (a batch: one query for a page, not one per item). `ctx`: who asks. */
export type Extender = (trx: Executor, views: Resource[], ctx?: RequestContext) => Promise<void>;

export interface ReadExtensions {
  network: Extender[];
  subnet: Extender[];
  port: Extender[];
  router: Extender[];
  /** List filters on port attributes that extensions add. */
  portFilters: Record<string, SpecialFilter>;
}

export const emptyExtensions = (): ReadExtensions => ({ network: [], subnet: [], port: [], router: [], portFilters: {} });

/** Runs every extender of a resource over `views`. */
export async function extendViews(extenders: Extender[], trx: Executor, views: Resource[], ctx?: RequestContext): Promise<void> {
  if (!views.length) return;
  for (const e of extenders) await e(trx, views, ctx);
}
