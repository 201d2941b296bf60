/**
 * `auth_strategy = noauth`: the request context comes from headers. Without `X-Project-Id` the
 * caller is an admin of project `fake_project_id` (as Neutron's noauth); `X-Roles` (comma list)
 * sets the roles, and without it the caller is an admin.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { makeContext, type RequestContext } from '../../core/context.js';

export function noauthContext(headers: IncomingHttpHeaders, requestId: string): RequestContext {
  const h = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const project = h('x-project-id') ?? h('x-tenant-id');
  const rolesHeader = h('x-roles');
  const roles = rolesHeader === undefined ? ['admin'] : rolesHeader.split(',').map((r) => r.trim()).filter(Boolean);
  return makeContext({ requestId, projectId: project ?? 'fake_project_id', userId: h('x-user-id') ?? '', roles });
}
