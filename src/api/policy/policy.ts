/**
 * Neutron's default policy, the parts that the resource definitions can express: writes need the
 * `member` or `admin` role (a `reader` only reads); attributes marked admin-only may be set only by
 * admins, and those marked admin-visible are shown only to admins; a non-admin creates only in its
 * own project. Owner and visibility checks live in the plug-ins (a resource of another project is
 * 404). Errors are Neutron's PolicyNotAuthorized with the rules it names.
 */
import type { RequestContext } from '../../core/context.js';
import { PolicyRulesNotAuthorized } from '../../core/errors.js';
import type { AttributeDef, ResourceDef } from '../resources/attributes.js';

export const canWrite = (ctx: RequestContext): boolean => ctx.isAdmin || ctx.roles.includes('member');

/** `action`: Neutron's rule name, e.g. `create_network`. Throws when a reader tries to write. */
export function enforceWrite(ctx: RequestContext, action: string): void {
  if (!canWrite(ctx)) throw new PolicyRulesNotAuthorized({ rules: [action] });
}

/** A create or update by a non-admin that sets admin-only attributes, or owns another project's item. */
export function enforceAttributes(res: ResourceDef, ctx: RequestContext, action: 'create' | 'update', given: Record<string, unknown>): void {
  const rule = `${action}_${res.member}`;
  enforceWrite(ctx, rule);
  if (ctx.isAdmin) return;
  const denied = Object.keys(given).filter((k) => res.attributes[k]?.adminOnly && !isHarmless(res.attributes[k], given[k]));
  if (action === 'create' && typeof given.project_id === 'string' && given.project_id !== ctx.projectId) denied.unshift('project_id');
  if (denied.length) throw new PolicyRulesNotAuthorized({ rules: [rule, ...denied.filter((k) => k !== 'project_id').map((k) => `${rule}:${k}`)] });
}

/** Setting an admin-only flag to its default is allowed (e.g. `shared: false`). */
function isHarmless(def: AttributeDef, value: unknown): boolean {
  return 'default' in def && typeof def.default !== 'symbol' && def.default === value;
}

export const canSee = (def: AttributeDef, ctx: RequestContext | undefined): boolean => !def.adminVisible || !ctx || ctx.isAdmin;
