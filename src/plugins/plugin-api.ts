/**
 * What the generic API controller calls. A plug-in serves one collection: it validates what the
 * attribute definitions cannot (cross-field and database checks), owns the transaction, and
 * returns resources as wire-named records. It never sees HTTP.
 */
import type { RequestContext } from '../core/context.js';
import type { ListQuery } from '../db/repos/listing.js';

export type Resource = Record<string, unknown>;

export interface ResourcePlugin {
  /** Creates all items in one transaction: either every item exists afterwards or none does. */
  create(ctx: RequestContext, items: Resource[]): Promise<Resource[]>;
  /** Throws the resource's NotFound when it does not exist or the caller may not see it. */
  get(ctx: RequestContext, id: string): Promise<Resource>;
  list(ctx: RequestContext, q: ListQuery): Promise<Resource[]>;
  /** `ifMatch`: the revision the client requires (412 when it differs). */
  update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource>;
  delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void>;
  /** Tag operations on one resource (standard attributes); absent when the resource has no tags. */
  tags?: TagOps;
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
