/**
 * A small Networking API client for nucleon-compute and nucleon-lab. Without credentials it talks
 * to a noauth server (the admin context, or `X-Project-Id` when a project is given); with
 * `OS_AUTH_URL`, `OS_USERNAME`, `OS_PASSWORD`, `OS_PROJECT_NAME` (and the domain variables) it gets
 * a Keystone token and, unless a URL is given, the network endpoint from the token's catalog.
 */
export interface ApiResponse {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ApiClient {
  get(path: string): Promise<ApiResponse>;
  post(path: string, body: unknown): Promise<ApiResponse>;
  put(path: string, body: unknown): Promise<ApiResponse>;
  delete(path: string): Promise<ApiResponse>;
}

export interface ApiOptions {
  url?: string;
  projectId?: string;
  env?: NodeJS.ProcessEnv;
}

/** A Neutron error body as one line: `NetworkNotFound: Network x could not be found.` */
export function errorText(r: ApiResponse): string {
  const e = r.body?.NeutronError as { type?: string; message?: string } | undefined;
  return e ? `${e.type}: ${e.message}` : `HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`;
}

async function keystone(env: NodeJS.ProcessEnv): Promise<{ token: string; endpoint?: string }> {
  const auth = {
    auth: {
      identity: {
        methods: ['password'],
        password: {
          user: { name: env.OS_USERNAME, password: env.OS_PASSWORD, domain: { name: env.OS_USER_DOMAIN_NAME ?? 'Default' } },
        },
      },
      scope: { project: { name: env.OS_PROJECT_NAME, domain: { name: env.OS_PROJECT_DOMAIN_NAME ?? 'Default' } } },
    },
  };
  const base = String(env.OS_AUTH_URL).replace(/\/+$/, '');
  const r = await fetch(`${base.endsWith('/v3') ? base : `${base}/v3`}/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(auth) });
  if (r.status !== 201) throw new Error(`Keystone refused the credentials (HTTP ${r.status})`);
  const token = r.headers.get('x-subject-token') as string;
  const body = (await r.json()) as { token: { catalog?: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> } };
  const svc = body.token.catalog?.find((c) => c.type === 'network');
  const endpoint = svc?.endpoints.find((e) => e.interface === (env.OS_INTERFACE ?? 'public'))?.url ?? svc?.endpoints[0]?.url;
  return { token, endpoint };
}

export function apiClient(opts: ApiOptions = {}): ApiClient {
  const env = opts.env ?? process.env;
  let session: Promise<{ base: string; headers: Record<string, string> }> | undefined;
  const open = () =>
    (session ??= (async () => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      let base = opts.url;
      if (env.OS_AUTH_URL && env.OS_USERNAME) {
        const k = await keystone(env);
        headers['x-auth-token'] = k.token;
        base ??= k.endpoint;
      } else if (opts.projectId) headers['x-project-id'] = opts.projectId;
      return { base: (base ?? 'http://127.0.0.1:9696').replace(/\/+$/, ''), headers };
    })());
  const call = async (method: string, path: string, body?: unknown): Promise<ApiResponse> => {
    const s = await open();
    let r: Response;
    try {
      r = await fetch(`${s.base}${path}`, { method, headers: s.headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach the Networking API at ${s.base} (${cause?.code ?? cause?.message ?? (err as Error).message}); set --url or NUCLEON_URL`);
    }
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : {} };
  };
  return {
    get: (p) => call('GET', p),
    post: (p, b) => call('POST', p, b),
    put: (p, b) => call('PUT', p, b),
    delete: (p) => call('DELETE', p),
  };
}
