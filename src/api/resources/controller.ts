/**
 * The one generic controller: list, show, create (single and bulk), update, delete and tags for
 * every collection, driven only by the resource's attribute definitions and its plug-in.
 * Extensions add attributes without touching this file.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { RequestContext } from '../../core/context.js';
import { HTTPMethodNotAllowed, HTTPNotFound, HTTPBadRequest, InvalidInput, PolicyRulesNotAuthorized } from '../../core/errors.js';
import type { ResourcePlugin, SubCollectionMount } from '../../plugins/plugin-api.js';
import { prepareItem, type ResourceDef } from './attributes.js';
import { selectFields, unwrapBody, type CanSee } from '../wire/envelope.js';
import { pageLinks } from '../wire/paging.js';
import { parseFields, parseListQuery, queryPairs } from '../wire/query.js';
import type { Policy } from '../policy/policy.js';

export interface ControllerDeps {
  contextOf(req: FastifyRequest): RequestContext;
  maxLimit: number;
  /** The public base URL of this request, e.g. `http://127.0.0.1:9696`. */
  baseUrl(req: FastifyRequest): string;
  policy: Policy;
}

type Params = { id: string; tag?: string };

/** `abc.json` → `abc`; other suffixes are not served. */
function stripJson(id: string): string {
  if (id.endsWith('.json')) return id.slice(0, -5);
  if (/\.(xml|yaml)$/.test(id)) throw new HTTPNotFound({ msg: 'The resource could not be found.' });
  return id;
}

/** `If-Match: revision_number=N` → N. */
function ifMatch(req: FastifyRequest): number | undefined {
  const raw = req.headers['if-match'];
  const m = typeof raw === 'string' ? /^revision_number=(\d+)$/.exec(raw.trim()) : null;
  return m ? Number(m[1]) : undefined;
}

export function registerResource(app: FastifyInstance, res: ResourceDef, plugin: ResourcePlugin, deps: ControllerDeps): void {
  const base = `/v2.0/${res.path ?? res.collection}`;
  const { policy } = deps;
  const seer = (ctx: RequestContext): CanSee => {
    const hidden = policy.hiddenAttributes(res, ctx);
    return (name: string) => !hidden.has(name);
  };
  const enforceWrite = (ctx: RequestContext, action: string) => policy.enforceWrite(ctx, action);
  const notFoundNone = async (req: FastifyRequest) => plugin.get(deps.contextOf(req), 'None');

  /** Neutron answers a write the caller may not even read with 404, not 403, not to reveal it exists. */
  const hideForbidden = async <T>(ctx: RequestContext, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      const readable = policy.readCheck(res, ctx);
      if (err instanceof PolicyRulesNotAuthorized && readable && !readable({})) throw new HTTPNotFound({ msg: 'The resource could not be found.' });
      throw err;
    }
  };

  const list = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = deps.contextOf(req);
    const pairs = queryPairs(req.url);
    const q = parseListQuery(res, pairs, deps.maxLimit);
    const readable = policy.readCheck(res, ctx);
    const listed = await plugin.list(ctx, q);
    const pages = (readable ? filterPages(listed, readable) : listed)[Symbol.asyncIterator]();
    const links = (count: number, ids: string[]) => pageLinks(`${deps.baseUrl(req)}${base}`, pairs, count, ids, q.limit, q.pageReverse);
    // One page (the common case): one body. More: streamed page by page as they are rendered.
    const first = await pages.next();
    const second = first.done ? first : await pages.next();
    if (second.done) {
      const items = first.done ? [] : first.value;
      const body: Record<string, unknown> = { [res.collection]: items.map((i) => selectFields(res, i, q.fields, seer(ctx))) };
      const l = links(items.length, items.map((i) => i.id as string));
      if (l.length) body[`${res.collection}_links`] = l;
      return reply.send(body);
    }
    const all = (async function* () {
      yield first.value as Record<string, unknown>[];
      yield second.value as Record<string, unknown>[];
      for (;;) {
        const next = await pages.next();
        if (next.done) return;
        yield next.value;
      }
    })();
    reply.header('content-type', 'application/json; charset=utf-8');
    return reply.send(Readable.from(streamCollection(res, all, q.fields, links, seer(ctx))));
  };

  const create = async (req: FastifyRequest, reply: FastifyReply) => {
    const ctx = deps.contextOf(req);
    const { items, bulk } = unwrapBody(res, req.body, 'post');
    if (bulk && res.allowBulk === false) throw new HTTPBadRequest({ msg: 'Bulk operation not supported' });
    const prepared = items.map((item) => {
      const full = ownItem(prepareItem(res, item, 'post'), ctx);
      policy.enforceAttributes(res, ctx, 'create', { ...pick(full, Object.keys(item)), project_id: full.project_id });
      return full;
    });
    const created = await plugin.create(ctx, prepared);
    const out = created.map((c) => selectFields(res, c, undefined, seer(ctx)));
    return reply.code(201).send(bulk ? { [res.collection]: out } : { [res.member]: out[0] });
  };

  const show = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const ctx = deps.contextOf(req);
    const item = await plugin.get(ctx, stripJson(req.params.id));
    const readable = policy.readCheck(res, ctx);
    if (readable && !readable(item)) throw new HTTPNotFound({ msg: 'The resource could not be found.' });
    return reply.send({ [res.member]: selectFields(res, item, parseFields(queryPairs(req.url)), seer(ctx)) });
  };

  const update = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const ctx = deps.contextOf(req);
    const id = stripJson(req.params.id);
    const { items } = unwrapBody(res, req.body, 'put');
    const changes = prepareItem(res, items[0], 'put');
    const item = await hideForbidden(ctx, async () => {
      policy.enforceAttributes(res, ctx, 'update', changes);
      return plugin.update(ctx, id, changes, ifMatch(req));
    });
    return reply.send({ [res.member]: selectFields(res, item, undefined, seer(ctx)) });
  };

  const remove = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const ctx = deps.contextOf(req);
    await hideForbidden(ctx, async () => {
      enforceWrite(ctx, `delete_${res.member}`);
      await plugin.delete(ctx, stripJson(req.params.id), ifMatch(req));
    });
    return reply.code(204).send();
  };

  const notAllowed = async () => {
    throw new HTTPMethodNotAllowed({ msg: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' });
  };

  for (const path of [base, `${base}.json`]) {
    app.get(path, list);
    app.post(path, create);
    app.put(path, notFoundNone);
    app.delete(path, notFoundNone);
    app.patch(path, notAllowed);
  }
  app.get(`${base}/:id`, show);
  app.put(`${base}/:id`, update);
  app.delete(`${base}/:id`, remove);
  app.post(`${base}/:id`, notAllowed);
  app.patch(`${base}/:id`, notAllowed);

  for (const [name, action] of Object.entries(plugin.collectionActions ?? {})) {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => reply.code(action.status ?? 200).send(await action.handler(deps.contextOf(req), req.body));
    app.route({ method: action.method, url: `${base}/${name}`, handler });
    app.route({ method: action.method, url: `${base}/${name}.json`, handler });
  }

  for (const [name, action] of Object.entries(plugin.actions ?? {})) {
    const path = `${base}/:id/${name}`;
    const handler = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
      const ctx = deps.contextOf(req);
      if (action.method !== 'GET') enforceWrite(ctx, `${name}`);
      const out = await action.handler(ctx, stripJson(req.params.id), req.body);
      return reply.code(action.status ?? 200).send(out);
    };
    app.route({ method: action.method, url: path, handler });
    app.route({ method: action.method, url: `${path}.json`, handler });
  }

  const tags = plugin.tags;
  if (!res.standardAttributes || !tags) return;
  const tagPaths = [`${base}/:id/tags`, `${base}/:id/tags.json`];
  for (const path of tagPaths) {
    app.get(path, async (req: FastifyRequest<{ Params: Params }>) => ({ tags: await tags.list(deps.contextOf(req), req.params.id) }));
    app.put(path, async (req: FastifyRequest<{ Params: Params }>) => {
      const body = req.body as Record<string, unknown> | undefined;
      if (!body || typeof body !== 'object' || Array.isArray(body) || !('tags' in body)) throw new InvalidInput({ error_message: 'Invalid tags body' });
      enforceWrite(deps.contextOf(req), `update_${res.collection}_tags`);
      return { tags: await tags.replace(deps.contextOf(req), req.params.id, checkTags(body.tags)) };
    });
    app.delete(path, async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
      enforceWrite(deps.contextOf(req), `delete_${res.collection}_tags`);
      await tags.removeAll(deps.contextOf(req), req.params.id);
      return reply.code(204).send();
    });
    app.post(path, async () => {
      throw new HTTPNotFound({ msg: 'not supported' });
    });
  }
  app.put(`${base}/:id/tags/:tag`, async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const tag = checkTags([req.params.tag])[0];
    enforceWrite(deps.contextOf(req), `create_${res.collection}_tags`);
    await tags.add(deps.contextOf(req), req.params.id, tag);
    return reply.code(201).send();
  });
  app.get(`${base}/:id/tags/:tag`, async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    await tags.check(deps.contextOf(req), req.params.id, req.params.tag as string);
    return reply.code(204).send();
  });
  app.delete(`${base}/:id/tags/:tag`, async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    enforceWrite(deps.contextOf(req), `delete_${res.collection}_tags`);
    await tags.remove(deps.contextOf(req), req.params.id, req.params.tag as string);
    return reply.code(204).send();
  });
}

async function* filterPages(pages: AsyncIterable<Record<string, unknown>[]>, keep: (item: Record<string, unknown>) => boolean) {
  for await (const page of pages) yield page.filter(keep);
}

/** Serves a sub-collection under the members of `res`; methods it does not have are 404 as in Neutron. */
export function registerSubCollection(app: FastifyInstance, res: ResourceDef, mount: SubCollectionMount, contextOf: (req: FastifyRequest) => RequestContext): void {
  const { sub } = mount;
  const path = `/v2.0/${res.path ?? res.collection}/:id/${mount.name}`;
  type SubParams = { id: string; subId: string };
  const missing = async () => {
    throw new HTTPNotFound({ msg: 'The resource could not be found.' });
  };
  for (const p of [path, `${path}.json`]) {
    app.get(p, sub.list ? async (req: FastifyRequest<{ Params: SubParams }>) => sub.list!(contextOf(req), req.params.id) : missing);
    app.post(p, sub.add ? async (req: FastifyRequest<{ Params: SubParams }>, reply: FastifyReply) => reply.code(201).send(await sub.add!(contextOf(req), req.params.id, req.body)) : missing);
  }
  app.delete(
    `${path}/:subId`,
    sub.remove
      ? async (req: FastifyRequest<{ Params: SubParams }>, reply: FastifyReply) => {
          await sub.remove!(contextOf(req), req.params.id, stripJson(req.params.subId));
          return reply.code(204).send();
        }
      : missing,
  );
}

/** `{"<collection>": [...], "<collection>_links": [...]}` written one rendered page at a time. */
async function* streamCollection(
  res: ResourceDef,
  pages: AsyncIterable<Record<string, unknown>[]>,
  fields: string[] | undefined,
  links: (count: number, ids: string[]) => unknown[],
  canSee: CanSee,
): AsyncGenerator<string> {
  yield `{"${res.collection}":[`;
  let first: string | undefined;
  let last: string | undefined;
  let sep = '';
  let count = 0;
  for await (const page of pages) {
    if (!page.length) continue;
    count += page.length;
    first ??= page[0].id as string;
    last = page[page.length - 1].id as string;
    yield sep + page.map((i) => JSON.stringify(selectFields(res, i, fields, canSee))).join(',');
    sep = ',';
  }
  const l = links(count, first === undefined ? [] : first === last ? [first] : [first, last as string]);
  yield l.length ? `],"${res.collection}_links":${JSON.stringify(l)}}` : ']}';
}

const pick = (o: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));

/** Fills `project_id`/`tenant_id` from the context; refuses two that differ. */
function ownItem(item: Record<string, unknown>, ctx: RequestContext): Record<string, unknown> {
  const { tenant_id: tenant, project_id: project } = item;
  if (tenant !== undefined && project !== undefined && tenant !== project) throw new HTTPBadRequest({ msg: "'project_id' and 'tenant_id' do not match" });
  const owner = (project ?? tenant ?? ctx.projectId) as string;
  const { tenant_id: _dropped, ...rest } = item;
  return { ...rest, project_id: owner };
}

function checkTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw new InvalidInput({ error_message: `'${typeof tags === 'string' ? tags : JSON.stringify(tags)}' is not a list` });
  const seen = new Set<string>();
  for (const t of tags) {
    if (typeof t !== 'string' || t.includes('\u0000')) throw new InvalidInput({ error_message: `'${JSON.stringify(t)}' is not a valid string` });
    if (t.length > 255) throw new InvalidInput({ error_message: `'${t}' exceeds maximum length of 255` });
    if (seen.has(t)) throw new InvalidInput({ error_message: `Duplicate items in the list: '${t}'` });
    seen.add(t);
  }
  return tags as string[];
}
