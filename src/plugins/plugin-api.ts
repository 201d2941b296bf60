/**
 * What the generic API controller calls. A plug-in serves one collection: it validates what the
 * attribute definitions cannot (cross-field and database checks), owns the transaction, and
 * returns resources as wire-named records. It never sees HTTP.
 */
import type { RequestContext } from '../core/context.js';
import { listRows, type ListQuery, type ListSpec } from '../db/repos/listing.js';
import type { Executor } from '../db/schema.js';
import type { ExtensionDef, ResourceDef } from '../api/resources/attributes.js';

export type Resource = Record<string, unknown>;

/**
 * A list result: the items rendered page by page, so that a list of 10,000 ports is read, rendered
 * and sent in slices instead of being held whole in memory.
 */
export type ResourcePages = AsyncIterable<Resource[]>;

/** Renders rows already in memory in slices of `size`; each slice's rows are released once rendered. */
export function inPages<R>(rows: R[], render: (rows: R[]) => Promise<Resource[]>, size = PAGE_SIZE): ResourcePages {
  return (async function* () {
    while (rows.length) yield await render(rows.splice(0, size));
  })();
}

const PAGE_SIZE = 500;

/**
 * Reads a list from the database `size` rows at a time (keyset pagination from the last row read),
 * rendering each slice. The first slice is read before this resolves, so that a bad query (an
 * unknown marker) fails before any byte is sent. A reversed page is read whole (it is reversed at
 * the end); so is one whose limit fits one slice.
 */
export async function listPages<R extends { id: string }>(
  trx: Executor,
  spec: ListSpec,
  q: ListQuery,
  render: (rows: R[]) => Promise<Resource[]>,
  size = PAGE_SIZE,
): Promise<ResourcePages> {
  if (q.pageReverse || (q.limit !== undefined && q.limit <= size)) return inPages(await listRows<R>(trx, spec, q), render, size);
  let rows = await listRows<R>(trx, spec, { ...q, limit: size });
  let remaining = q.limit === undefined ? Infinity : q.limit - rows.length;
  return (async function* () {
    for (;;) {
      const last = rows[rows.length - 1] as (R & Record<string, unknown>) | undefined;
      const full = rows.length === size;
      if (rows.length) yield await render(rows);
      if (!full || remaining <= 0 || !last) return;
      rows = await listRows<R>(trx, spec, { ...q, marker: last.id, markerRow: last, limit: Math.min(size, remaining) });
      remaining -= rows.length;
    }
  })();
}

export interface ResourcePlugin {
  /** Creates all items in one transaction: either every item exists afterwards or none does. */
  create(ctx: RequestContext, items: Resource[]): Promise<Resource[]>;
  /** Throws the resource's NotFound when it does not exist or the caller may not see it. */
  get(ctx: RequestContext, id: string): Promise<Resource>;
  /** Validates the query (throws before anything is sent), then returns the rendered pages. */
  list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages>;
  /** `ifMatch`: the revision the client requires (412 when it differs). */
  update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource>;
  delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void>;
  /** Tag operations on one resource (standard attributes); absent when the resource has no tags. */
  tags?: TagOps;
  /**
   * Member actions, served at `/v2.0/{collection}/{id}/{name}` (Neutron's `add_router_interface`,
   * quota `details`…). The handler gets the raw JSON body and returns the response body as is.
   */
  actions?: Record<string, MemberAction>;
  /** Collection actions, served at `/v2.0/{collection}/{name}` (quota `tenant`/`project`); they win over `{id}`. */
  collectionActions?: Record<string, CollectionAction>;
}

/**
 * A collection under another resource's members, as Neutron's scheduler extensions have:
 * `GET /v2.0/{parent}/{id}/{name}` lists, `POST` adds (201), `DELETE …/{name}/{subId}` removes (204).
 * The plug-in enforces its policy; bodies are passed and returned as they are.
 */
export interface SubCollection {
  list?(ctx: RequestContext, id: string): Promise<unknown>;
  add?(ctx: RequestContext, id: string, body: unknown): Promise<unknown>;
  remove?(ctx: RequestContext, id: string, subId: string): Promise<void>;
}

/** Where a sub-collection is served: `/v2.0/{parent's path}/{id}/{name}`. */
export interface SubCollectionMount {
  parent: string;
  name: string;
  sub: SubCollection;
}

export interface CollectionAction {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  handler(ctx: RequestContext, body: unknown): Promise<unknown>;
  status?: number;
}

export interface MemberAction {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  handler(ctx: RequestContext, id: string, body: unknown): Promise<unknown>;
  /** HTTP status of a success (200 unless said). */
  status?: number;
}

/**
 * A service plug-in (security groups, L3, quotas, RBAC): the resources and extensions it adds to
 * the API, and the plug-in objects that serve its collections. It joins the core resources through
 * the ML2 hooks it registers when built.
 */
export interface ServicePlugin {
  resources: ResourceDef[];
  extensions: ExtensionDef[];
  collections(): Record<string, ResourcePlugin>;
  /** Sub-collections it serves under members of its own or other collections. */
  subCollections?: SubCollectionMount[];
  /** Its default policy rules (Neutron's names); a policy file overrides them. */
  policies?: Record<string, string>;
}

export interface TagOps {
  list(ctx: RequestContext, id: string): Promise<string[]>;
  replace(ctx: RequestContext, id: string, tags: string[]): Promise<string[]>;
  add(ctx: RequestContext, id: string, tag: string): Promise<void>;
  /** Throws TagNotFound when the tag is absent. */
  check(ctx: RequestContext, id: string, tag: string): Promise<void>;
  remove(ctx: RequestContext, id: string, tag: string): Promise<void>;
  removeAll(ctx: RequestContext, id: string): Promise<void>;
}
