/**
 * Tags of any standard-attribute resource, for the `/{collection}/{id}/tags` sub-resource: each
 * change bumps the resource's revision like any other change.
 */
import { NeutronError, TagNotFound, TagResourceNotFound } from '../core/errors.js';
import type { Database } from '../db/database.js';
import { addTag, bumpRevision, removeTag, replaceTags, tagsOf, type StdTable } from '../db/repos/standard-attr-repo.js';
import type { RequestContext } from '../core/context.js';
import type { TagOps } from './plugin-api.js';

export function tagOps(database: Database, table: StdTable, get: (ctx: RequestContext, id: string) => Promise<unknown>): TagOps {
  const type = table;
  const exists = async (ctx: RequestContext, id: string) => {
    try {
      await get(ctx, id);
    } catch (err) {
      if (err instanceof NeutronError && err.status === 404) throw new TagResourceNotFound({ resource: table, resource_id: id });
      throw err;
    }
  };
  return {
    async list(ctx, id) {
      await exists(ctx, id);
      return (await tagsOf(database.db, type, [id])).get(id) ?? [];
    },
    async replace(ctx, id, tags) {
      await exists(ctx, id);
      await database.transaction(async (trx) => {
        await replaceTags(trx, type, id, tags);
        await bumpRevision(trx, table, id);
      });
      return [...new Set(tags)];
    },
    async add(ctx, id, tag) {
      await exists(ctx, id);
      await database.transaction(async (trx) => {
        if (await addTag(trx, type, id, tag)) await bumpRevision(trx, table, id);
      });
    },
    async check(ctx, id, tag) {
      const tags = await this.list(ctx, id);
      if (!tags.includes(tag)) throw new TagNotFound({ tag });
    },
    async remove(ctx, id, tag) {
      await exists(ctx, id);
      await database.transaction(async (trx) => {
        if (!(await removeTag(trx, type, id, tag))) throw new TagNotFound({ tag });
        await bumpRevision(trx, table, id);
      });
    },
    async removeAll(ctx, id) {
      await exists(ctx, id);
      await database.transaction(async (trx) => {
        await replaceTags(trx, type, id, []);
        await bumpRevision(trx, table, id);
      });
    },
  };
}
