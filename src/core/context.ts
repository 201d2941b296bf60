/** Who is asking: the request context every plug-in call receives. No I/O. */
import { randomUUID } from 'node:crypto';

export interface RequestContext {
  requestId: string;
  userId: string;
  projectId: string;
  roles: string[];
  isAdmin: boolean;
}

export function makeContext(p: Partial<RequestContext> & { projectId: string }): RequestContext {
  const roles = p.roles ?? [];
  return {
    requestId: p.requestId ?? `req-${randomUUID()}`,
    userId: p.userId ?? '',
    projectId: p.projectId,
    roles,
    isAdmin: p.isAdmin ?? roles.includes('admin'),
  };
}

export const newId = (): string => randomUUID();
