/**
 * Neutron's policy, as far as the resource definitions can express it, in oslo.policy's rule
 * language (rules.ts): writes need the `member` or `admin` role (a `reader` only reads), a non-admin
 * creates only in its own project, attributes marked admin-only are set only by admins and those
 * marked admin-visible are shown only to admins. Every check has Neutron's rule name
 * (`create_network`, `create_network:provider:network_type`, `get_port:binding:host_id`…), and a
 * policy file (`[oslo_policy] policy_file`, YAML or JSON) overrides any of them. Owner and
 * visibility checks stay in the plug-ins (another project's resource is 404, as in Neutron).
 */
import fs from 'node:fs';
import YAML from 'yaml';
import type { RequestContext } from '../../core/context.js';
import { PolicyRulesNotAuthorized } from '../../core/errors.js';
import type { AttributeDef, ResourceDef } from '../resources/attributes.js';
import { evaluate, parseRule, PolicyParseError, type Credentials, type RuleSet } from './rules.js';

/** Rules every other rule builds on; any of them can be overridden. */
const BASE_RULES: Record<string, string> = {
  context_is_admin: 'role:admin',
  admin_only: 'rule:context_is_admin',
  owner: 'project_id:%(project_id)s',
  admin_or_owner: 'rule:context_is_admin or rule:owner',
  member: 'role:member or role:admin',
  create: 'rule:context_is_admin or (rule:member and rule:owner)',
  write: 'rule:context_is_admin or rule:member',
  default: 'rule:write',
  // Neutron checks an attribute's rule on update whenever it is given: a member who owns the
  // default pool may not even set is_default to false (create_subnetpool:is_default, and :shared,
  // come from the attributes being admin-only, where giving the default value is harmless)
  'update_subnetpool:is_default': 'rule:admin_only',
};

export class Policy {
  private readonly rules: RuleSet = new Map();
  private readonly overridden: Set<string>;

  /** `overrides`: rule name → rule text (a policy file's content). Throws PolicyParseError naming the rule. */
  constructor(overrides: Record<string, string> = {}) {
    this.overridden = new Set(Object.keys(overrides));
    for (const [name, text] of Object.entries({ ...BASE_RULES, ...overrides })) this.rules.set(name, parseNamed(name, text));
  }

  /** The policy of a server: the `[oslo_policy] policy_file` overrides if one is configured. */
  static forConfig(config: { oslo_policy: { policy_file: string } }): Policy {
    return config.oslo_policy.policy_file ? Policy.fromFile(config.oslo_policy.policy_file) : new Policy();
  }

  /** Default rules a service plug-in brings (`get_agent: rule:admin_only`); a policy file's rule wins. */
  addDefaults(defaults: Record<string, string>): void {
    for (const [name, text] of Object.entries(defaults)) if (!this.overridden.has(name)) this.rules.set(name, parseNamed(name, text));
    this.hiddenCache.clear();
  }

  /** Reads a policy file (YAML or JSON, a map of rule name to rule). Throws with the file and the reason. */
  static fromFile(path: string): Policy {
    let doc: unknown;
    try {
      doc = YAML.parse(fs.readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`policy file ${path}: ${(err as Error).message}`);
    }
    if (doc === null || doc === undefined) return new Policy();
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`policy file ${path}: expected a map of rule names to rules`);
    const overrides: Record<string, string> = {};
    for (const [name, rule] of Object.entries(doc as Record<string, unknown>)) {
      if (typeof rule !== 'string') throw new Error(`policy file ${path}: rule '${name}' is not a string`);
      overrides[name] = rule;
    }
    try {
      return new Policy(overrides);
    } catch (err) {
      throw new Error(`policy file ${path}: ${(err as Error).message}`);
    }
  }

  /** Whether `rule` (falling back to `fallback`, then `default`) allows this caller on this target. */
  check(name: string, ctx: RequestContext, target: Record<string, unknown> = {}, fallback = 'default'): boolean {
    const rule = this.rules.get(name) ?? this.rules.get(fallback) ?? this.rules.get('default')!;
    const creds: Credentials = { roles: ctx.roles, project_id: ctx.projectId, user_id: ctx.userId, is_admin: ctx.isAdmin };
    const t = { project_id: ctx.projectId, tenant_id: ctx.projectId, ...target };
    return evaluate(rule, this.rules, creds, t);
  }

  /** Whether a rule of this name is defined (by default, by a plug-in or by the policy file). */
  has(name: string): boolean {
    return this.rules.has(name);
  }

  /**
   * Neutron's read rule of a resource (`get_agent`), when one is defined: the caller sees an item
   * only if it allows them. Undefined when the resource has none (its plug-in decides visibility).
   */
  readCheck(res: ResourceDef, ctx: RequestContext): ((item: Record<string, unknown>) => boolean) | undefined {
    const rule = `get_${res.member}`;
    if (!this.rules.has(rule)) return undefined;
    return (item) => this.check(rule, ctx, item, 'admin_only');
  }

  /** A write with Neutron's rule name (`delete_network`, `add_router_interface`…). */
  enforceWrite(ctx: RequestContext, action: string): void {
    if (!this.check(action, ctx, {}, 'write')) throw new PolicyRulesNotAuthorized({ rules: [action] });
  }

  /** A create or update: the action's rule, then one rule per attribute given that has its own. */
  enforceAttributes(res: ResourceDef, ctx: RequestContext, action: 'create' | 'update', given: Record<string, unknown>): void {
    const rule = `${action}_${res.member}`;
    const target = { ...given, tenant_id: given.project_id ?? ctx.projectId };
    if (!this.check(rule, ctx, target, action === 'create' ? 'create' : 'write')) throw new PolicyRulesNotAuthorized({ rules: [rule] });
    const denied = Object.keys(given).filter((k) => {
      const def = res.attributes[k];
      if (!def) return false;
      const own = this.rules.has(`${rule}:${k}`);
      if (!own && (!def.adminOnly || isHarmless(def, given[k]))) return false;
      return !this.check(`${rule}:${k}`, ctx, target, 'admin_only');
    });
    if (denied.length) throw new PolicyRulesNotAuthorized({ rules: [rule, ...denied.map((k) => `${rule}:${k}`)] });
  }

  /** The attributes of a resource this caller may not see: computed once per request, not per item. */
  hiddenAttributes(res: ResourceDef, ctx: RequestContext | undefined): Set<string> {
    // the answer depends only on who asks: remembered per resource and caller (bounded)
    const key = ctx ? `${res.collection}\u0000${ctx.isAdmin}\u0000${ctx.projectId}\u0000${ctx.userId}\u0000${ctx.roles.join(',')}` : res.collection;
    let hidden = this.hiddenCache.get(key);
    if (hidden) return hidden;
    hidden = new Set<string>();
    for (const [name, def] of Object.entries(res.attributes)) if (!this.canSee(res, name, def, ctx)) hidden.add(name);
    if (this.hiddenCache.size >= 4096) this.hiddenCache.clear();
    this.hiddenCache.set(key, hidden);
    return hidden;
  }

  private readonly hiddenCache = new Map<string, Set<string>>();

  /** Whether the caller may see an attribute (`get_<resource>:<attribute>`). */
  canSee(res: ResourceDef, name: string, def: AttributeDef, ctx: RequestContext | undefined): boolean {
    if (!ctx) return true;
    const rule = `get_${res.member}:${name}`;
    if (!def.adminVisible && !this.rules.has(rule)) return true;
    return this.check(rule, ctx, {}, 'admin_only');
  }
}

function parseNamed(name: string, text: string) {
  try {
    return parseRule(text);
  } catch (err) {
    throw new PolicyParseError(`policy rule '${name}': ${(err as Error).message}`);
  }
}

/** Setting an admin-only flag to its default is allowed (e.g. `shared: false`). */
function isHarmless(def: AttributeDef, value: unknown): boolean {
  return 'default' in def && typeof def.default !== 'symbol' && def.default === value;
}
