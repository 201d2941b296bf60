/**
 * buildServer(deps): the Fastify application. One body parser (any content type is read as JSON,
 * as Neutron does), one root error handler that renders every failure through wire/fault.ts, the
 * version documents, the extension list, and one generic controller per collection.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { ExtensionNotFound, HTTPBadRequest, HTTPNotFound, HTTPRequestEntityTooLarge, NeutronError } from '../core/errors.js';
import type { RequestContext } from '../core/context.js';
import type { ResourcePlugin, SubCollectionMount } from '../plugins/plugin-api.js';
import { noauthContext } from './auth/noauth.js';
import { keystoneContext, sendAuthReply } from './auth/keystone.js';
import { KeystoneTokens } from '../identity/keystone-tokens.js';
import type { Policy } from './policy/policy.js';
import type { ResourceRegistry } from './resources/attributes.js';
import { registerResource, registerSubCollection } from './resources/controller.js';
import { renderFault } from './wire/fault.js';

export interface ServerDeps {
  config: Config;
  registry: ResourceRegistry;
  plugins: Record<string, ResourcePlugin>;
  /** Sub-collections a plug-in adds under another's members (`/v2.0/networks/{id}/dhcp-agents`). */
  subCollections?: SubCollectionMount[];
  policy: Policy;
  logger: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    neutronContext?: RequestContext;
  }
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.DEFAULT.max_request_body_size,
    genReqId: () => `req-${randomUUID()}`,
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: true },
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HTTPBadRequest({ msg: 'Body contains invalid data' }), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-openstack-request-id', req.id);
    // no identifier, name or filter value may hold a NUL character (PostgreSQL cannot even compare one)
    if (/%00/.test(req.url)) throw new HTTPBadRequest({ msg: 'The request URL contains a NUL character' });
  });
  if (deps.config.DEFAULT.auth_strategy === 'keystone') {
    const tokens = new KeystoneTokens(deps.config.keystone_authtoken);
    app.addHook('onRequest', async (req, reply) => {
      if (req.url === '/' || req.url.startsWith('/?')) return; // the version document is public
      const out = await keystoneContext(tokens, req.headers, req.id);
      if (out.reply) {
        if (out.reply.status === 503) req.log.error('Keystone is unreachable; answering 503');
        return sendAuthReply(reply, out.reply);
      }
      req.neutronContext = out.context;
    });
  } else if (deps.config.DEFAULT.auth_strategy !== 'noauth') {
    throw new Error(`[DEFAULT] auth_strategy must be noauth or keystone, not '${deps.config.DEFAULT.auth_strategy}'`);
  }
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: req.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });

  app.setErrorHandler((err, req, reply) => {
    let e: unknown = err;
    const code = (err as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new HTTPRequestEntityTooLarge({ msg: 'Request is too large.' });
    else if (code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') e = new HTTPBadRequest({ msg: 'Body contains invalid data' });
    const fault = renderFault(e);
    if (fault.status >= 500 && !(e instanceof NeutronError)) req.log.error({ err }, 'unexpected error');
    reply.code(fault.status).send(fault.body);
  });
  app.setNotFoundHandler((_req, reply) => {
    const fault = renderFault(new HTTPNotFound({ msg: 'The resource could not be found.' }));
    reply.code(fault.status).send(fault.body);
  });

  const baseUrl = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? `${deps.config.DEFAULT.bind_host}:${deps.config.DEFAULT.bind_port}`}`;
  const contextOf = (req: FastifyRequest) => (req.neutronContext ??= noauthContext(req.headers, req.id));

  app.get('/', async (req) => ({ versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ rel: 'self', href: `${baseUrl(req)}/v2.0/` }] }] }));
  app.get('/v2.0', async (req) => ({
    resources: [...deps.registry.resources.values()].map((r) => ({
      name: r.member,
      collection: r.collection,
      links: [{ rel: 'self', href: `${baseUrl(req)}/v2.0/${r.path ?? r.collection}` }],
    })),
  }));
  const extensionView = (e: (typeof deps.registry.extensions)[number]) => ({ name: e.name, alias: e.alias, description: e.description, updated: e.updated, links: [] });
  for (const path of ['/v2.0/extensions', '/v2.0/extensions.json'])
    app.get(path, async () => ({ extensions: deps.registry.extensions.map(extensionView) }));
  app.get('/v2.0/extensions/:alias', async (req: FastifyRequest<{ Params: { alias: string } }>) => {
    const alias = req.params.alias.replace(/\.json$/, '');
    const ext = deps.registry.extensions.find((e) => e.alias === alias);
    if (!ext) throw new ExtensionNotFound({ alias });
    return { extension: extensionView(ext) };
  });

  const { policy } = deps;
  for (const [collection, plugin] of Object.entries(deps.plugins)) {
    const res = deps.registry.get(collection);
    if (!res) throw new Error(`no resource definition for ${collection}`);
    registerResource(app, res, plugin, { contextOf, baseUrl, policy, maxLimit: deps.config.DEFAULT.pagination_max_limit });
  }
  for (const mount of deps.subCollections ?? []) {
    const res = deps.registry.get(mount.parent);
    if (!res) throw new Error(`no resource definition for ${mount.parent}`);
    registerSubCollection(app, res, mount, contextOf);
  }
  return app;
}
