/**
 * `auth_strategy = keystone`: every request but the version document carries `X-Auth-Token`,
 * validated against Keystone (identity/keystone-tokens.ts). Answers as keystonemiddleware does,
 * so clients react as they would in front of Neutron: no or a bad token → 401 with
 * `WWW-Authenticate: Keystone uri="…"`; Keystone unreachable → 503, never an open door.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { makeContext, type RequestContext } from '../../core/context.js';
import { KeystoneUnavailable, type KeystoneTokens } from '../../identity/keystone-tokens.js';

export interface AuthOutcome {
  context?: RequestContext;
  /** Set when the request must be answered right away (401 or 503). */
  reply?: { status: number; headers: Record<string, string>; body: unknown };
}

const unauthorized = (uri: string): AuthOutcome['reply'] => ({
  status: 401,
  headers: { 'www-authenticate': `Keystone uri="${uri}"` },
  body: { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } },
});

export async function keystoneContext(tokens: KeystoneTokens, headers: FastifyRequest['headers'], requestId: string): Promise<AuthOutcome> {
  const raw = headers['x-auth-token'];
  const token = Array.isArray(raw) ? raw[0] : raw;
  if (!token) return { reply: unauthorized(tokens.authenticateUri) };
  try {
    const info = await tokens.validate(token);
    if (!info) return { reply: unauthorized(tokens.authenticateUri) };
    return { context: makeContext({ requestId, projectId: info.projectId, userId: info.userId, roles: info.roles }) };
  } catch (err) {
    if (!(err instanceof KeystoneUnavailable)) throw err;
    return {
      reply: {
        status: 503,
        headers: {},
        body: { error: { code: 503, title: 'Service Unavailable', message: 'The server is currently unavailable. Please try again at a later time.' } },
      },
    };
  }
}

/** Sends an AuthOutcome's reply. */
export function sendAuthReply(reply: FastifyReply, out: NonNullable<AuthOutcome['reply']>): FastifyReply {
  return reply.code(out.status).headers(out.headers).send(out.body);
}
