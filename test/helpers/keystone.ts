/**
 * A real Keystone for the tests that need one: 127.0.0.1:5000 (override with NUCLEON_TEST_KEYSTONE),
 * admin user `admin` / `secret` in project `admin` (the reference stack's bootstrap; override with
 * NUCLEON_TEST_KEYSTONE_ADMIN_PASSWORD). The helpers create their own projects and users through
 * Keystone's API. Keystone under uwsgi's http-socket may reset a reused connection, so every call
 * is retried a few times.
 */
export const KEYSTONE = process.env.NUCLEON_TEST_KEYSTONE ?? 'http://127.0.0.1:5000';
export const ADMIN_PASSWORD = process.env.NUCLEON_TEST_KEYSTONE_ADMIN_PASSWORD ?? 'secret';

async function call(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  let last: unknown;
  for (let i = 0; i < 5; i++) {
    try {
      return await fetch(`${KEYSTONE}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json', ...(token ? { 'X-Auth-Token': token } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      last = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Keystone ${method} ${path}: ${(last as Error)?.message}`);
}

/** Why Keystone cannot be used here, or undefined. */
export async function keystoneUnavailable(): Promise<string | undefined> {
  try {
    await passwordToken('admin', ADMIN_PASSWORD, 'admin');
    return undefined;
  } catch (err) {
    return `no Keystone with admin/${'*'.repeat(ADMIN_PASSWORD.length)} at ${KEYSTONE}: ${(err as Error).message}`;
  }
}

export async function passwordToken(user: string, password: string, project: string): Promise<{ token: string; projectId: string; userId: string }> {
  const r = await call('POST', '/v3/auth/tokens', {
    auth: {
      identity: { methods: ['password'], password: { user: { name: user, password, domain: { name: 'Default' } } } },
      scope: { project: { name: project, domain: { name: 'Default' } } },
    },
  });
  if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { token: { project: { id: string }; user: { id: string } } };
  return { token: r.headers.get('x-subject-token')!, projectId: body.token.project.id, userId: body.token.user.id };
}

async function findOrCreate(kind: 'projects' | 'users' | 'roles', name: string, admin: string, extra: Record<string, unknown> = {}): Promise<string> {
  const listed = await call('GET', `/v3/${kind}?name=${encodeURIComponent(name)}`, undefined, admin);
  const found = ((await listed.json()) as Record<string, Array<{ id: string }>>)[kind]?.[0];
  if (found) return found.id;
  const created = await call('POST', `/v3/${kind}`, { [kind.slice(0, -1)]: { name, domain_id: 'default', ...extra } }, admin);
  if (created.status !== 201) throw new Error(`create ${kind} ${name}: ${created.status} ${await created.text()}`);
  return ((await created.json()) as Record<string, { id: string }>)[kind.slice(0, -1)].id;
}

/** A project with a user holding `role` in it; returns a token of that user. */
export async function userWithRole(project: string, user: string, role: string): Promise<{ token: string; projectId: string; userId: string }> {
  const admin = (await passwordToken('admin', ADMIN_PASSWORD, 'admin')).token;
  const projectId = await findOrCreate('projects', project, admin);
  const userId = await findOrCreate('users', user, admin, { password: 'secret-' + user, default_project_id: projectId });
  const roleId = await findOrCreate('roles', role, admin);
  const put = await call('PUT', `/v3/projects/${projectId}/users/${userId}/roles/${roleId}`, undefined, admin);
  if (put.status >= 300) throw new Error(`role ${role} for ${user}: ${put.status}`);
  return passwordToken(user, 'secret-' + user, project);
}

/** Points the catalog's `network` service (created when missing) at `url`, on all three interfaces. */
export async function pointNetworkEndpoint(url: string): Promise<void> {
  const admin = (await passwordToken('admin', ADMIN_PASSWORD, 'admin')).token;
  const services = ((await (await call('GET', '/v3/services?type=network', undefined, admin)).json()) as { services: Array<{ id: string }> }).services;
  let serviceId = services[0]?.id;
  if (!serviceId) {
    const created = await call('POST', '/v3/services', { service: { type: 'network', name: 'neutron', enabled: true } }, admin);
    serviceId = ((await created.json()) as { service: { id: string } }).service.id;
  }
  const endpoints = ((await (await call('GET', `/v3/endpoints?service_id=${serviceId}`, undefined, admin)).json()) as { endpoints: Array<{ id: string; interface: string }> }).endpoints;
  for (const iface of ['public', 'internal', 'admin']) {
    const existing = endpoints.find((e) => e.interface === iface);
    const r = existing
      ? await call('PATCH', `/v3/endpoints/${existing.id}`, { endpoint: { url } }, admin)
      : await call('POST', '/v3/endpoints', { endpoint: { service_id: serviceId, interface: iface, url, region_id: 'RegionOne', enabled: true } }, admin);
    if (r.status >= 300) throw new Error(`network endpoint ${iface}: ${r.status} ${await r.text()}`);
  }
}

/** Environment of a nucleon-server in Keystone mode, validating tokens as admin (tests only). */
export function keystoneServerEnv(statePath: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NUCLEON_DEFAULT__STATE_PATH: statePath,
    NUCLEON_DEFAULT__AUTH_STRATEGY: 'keystone',
    NUCLEON_KEYSTONE_AUTHTOKEN__AUTH_URL: KEYSTONE,
    NUCLEON_KEYSTONE_AUTHTOKEN__USERNAME: 'admin',
    NUCLEON_KEYSTONE_AUTHTOKEN__PASSWORD: ADMIN_PASSWORD,
    NUCLEON_KEYSTONE_AUTHTOKEN__PROJECT_NAME: 'admin',
    ...extra,
  };
}
