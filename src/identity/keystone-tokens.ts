/**
 * Validates Keystone v3 tokens as keystonemiddleware does: the server holds a service token of
 * its own (password authentication, renewed before expiry or when refused), checks each user
 * token with `GET /v3/auth/tokens`, and caches a validation for `token_cache_time` seconds (never
 * past the token's own expiry). Keystone unreachable → KeystoneUnavailable (the API answers 503);
 * an unknown, expired or revoked token → undefined (the API answers 401).
 */
import type { Config } from '../config/config.js';

export interface TokenInfo {
  userId: string;
  projectId: string;
  roles: string[];
  expiresAt: number;
}

export class KeystoneUnavailable extends Error {}

const CACHE_LIMIT = 10_000;

export class KeystoneTokens {
  private serviceToken?: { token: string; expiresAt: number };
  private readonly cache = new Map<string, { info: TokenInfo; until: number }>();
  private readonly base: string;

  constructor(
    private readonly opts: Config['keystone_authtoken'],
    private readonly fetchImpl: typeof fetch = fetch,
  ) {
    if (!opts.auth_url) throw new Error('[keystone_authtoken] auth_url is required with auth_strategy = keystone');
    this.base = opts.auth_url.replace(/\/+$/, '').replace(/\/v3$/, '');
  }

  /** Where clients should authenticate (the WWW-Authenticate header). */
  get authenticateUri(): string {
    return (this.opts.www_authenticate_uri || this.opts.auth_url).replace(/\/+$/, '');
  }

  async validate(userToken: string, now = Date.now()): Promise<TokenInfo | undefined> {
    const hit = this.cache.get(userToken);
    if (hit && hit.until > now) return hit.info;
    if (hit) this.cache.delete(userToken);
    let res = await this.request('GET', '/v3/auth/tokens', { 'X-Auth-Token': await this.service(now), 'X-Subject-Token': userToken });
    if (res.status === 401) {
      // our own token was refused (expired, revoked, Keystone restarted with new keys): renew once
      this.serviceToken = undefined;
      res = await this.request('GET', '/v3/auth/tokens', { 'X-Auth-Token': await this.service(now), 'X-Subject-Token': userToken });
    }
    if (res.status === 404 || res.status === 401 || res.status === 403) return undefined;
    if (res.status !== 200) throw new KeystoneUnavailable(`Keystone answered ${res.status} to a token validation`);
    const body = (await res.json()) as { token: KeystoneToken };
    const info = parseToken(body.token);
    if (info.expiresAt <= now) return undefined;
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(userToken, { info, until: Math.min(info.expiresAt, now + this.opts.token_cache_time * 1000) });
    return info;
  }

  private async service(now: number): Promise<string> {
    if (this.serviceToken && this.serviceToken.expiresAt - 60_000 > now) return this.serviceToken.token;
    const o = this.opts;
    const res = await this.request('POST', '/v3/auth/tokens', { 'Content-Type': 'application/json' }, {
      auth: {
        identity: { methods: ['password'], password: { user: { name: o.username, password: o.password, domain: { name: o.user_domain_name } } } },
        scope: { project: { name: o.project_name, domain: { name: o.project_domain_name } } },
      },
    });
    if (res.status !== 201) throw new KeystoneUnavailable(`Keystone refused the service credentials (${res.status})`);
    const token = res.headers.get('x-subject-token') ?? '';
    const body = (await res.json()) as { token: KeystoneToken };
    this.serviceToken = { token, expiresAt: Date.parse(body.token.expires_at) };
    return token;
  }

  private async request(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
    let last: unknown;
    for (let attempt = 0; attempt < Math.max(1, this.opts.http_request_max_retries); attempt++) {
      try {
        return await this.fetchImpl(`${this.base}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.opts.http_connect_timeout * 1000),
        });
      } catch (err) {
        last = err;
      }
    }
    throw new KeystoneUnavailable(`Keystone at ${this.base} is unreachable: ${(last as Error)?.message ?? last}`);
  }
}

interface KeystoneToken {
  expires_at: string;
  user: { id: string };
  project?: { id: string };
  roles?: Array<{ name: string }>;
}

export function parseToken(t: KeystoneToken): TokenInfo {
  return {
    userId: t.user.id,
    projectId: t.project?.id ?? '',
    roles: (t.roles ?? []).map((r) => r.name),
    expiresAt: Date.parse(t.expires_at),
  };
}
