/**
 * RBAC on security groups (`access_as_shared`, extension `rbac-security-groups`), as Neutron's
 * generic RBAC object mixin does it: only the owner (or an admin) shares a group, and a project
 * loses access only when none of its ports use the group.
 */
import { sql } from 'kysely';
import type { RequestContext } from '../../core/context.js';
import { InvalidInput, RbacPolicyInUse } from '../../core/errors.js';
import type { Executor } from '../../db/schema.js';
import { ACCESS_SHARED, findPolicy, policiesOf, WILDCARD, type RbacPolicyRow } from '../../db/repos/rbac-repo.js';
import { callbackFailure, type RbacObjectType } from './object-types.js';

const CALLBACK = 'neutron.objects.securitygroup.SecurityGroup.validate_rbac_policy_change';

export class SecurityGroupRbac implements RbacObjectType {
  readonly name = 'security_group';
  readonly table = 'security_group_rbacs' as const;
  readonly actions = [ACCESS_SHARED] as const;

  /** The security group plug-in's table, read by name. */
  private async ownerOf(trx: Executor, id: string): Promise<string | undefined> {
    const r = await sql<{ project_id: string }>`SELECT project_id FROM security_groups WHERE id = ${id}`.execute(trx);
    return r.rows[0]?.project_id;
  }

  async beforeCreate(trx: Executor, ctx: RequestContext, p: RbacPolicyRow): Promise<void> {
    const owner = await this.ownerOf(trx, p.object_id);
    if (owner === undefined) throw new InvalidInput({ error_message: callbackFailure(CALLBACK, `Security group ${p.object_id} does not exist`) });
    if (!ctx.isAdmin && owner !== ctx.projectId)
      throw new InvalidInput({ error_message: callbackFailure(CALLBACK, 'Only admins can manipulate policies on objects they do not own') });
  }

  async beforeUpdate(trx: Executor, ctx: RequestContext, p: RbacPolicyRow, target: string): Promise<void> {
    const owner = await this.ownerOf(trx, p.object_id);
    if (!ctx.isAdmin && owner !== ctx.projectId)
      throw new RbacPolicyInUse({ object_id: p.object_id, details: callbackFailure(CALLBACK, 'Only admins can manipulate policies on objects they do not own') });
    if (target === p.target_tenant || target === WILDCARD) return;
    await this.ensureUnused(trx, p, owner);
  }

  async beforeDelete(trx: Executor, _ctx: RequestContext, p: RbacPolicyRow): Promise<void> {
    await this.ensureUnused(trx, p, await this.ownerOf(trx, p.object_id));
  }

  async afterChange(trx: Executor, p: RbacPolicyRow): Promise<void> {
    await sql`UPDATE security_groups SET revision_number = revision_number + 1 WHERE id = ${p.object_id}`.execute(trx);
  }

  /** Neutron's _validate_rbac_policy_delete: the projects whose ports use the group keep access. */
  private async ensureUnused(trx: Executor, p: RbacPolicyRow, owner: string | undefined): Promise<void> {
    if (owner === p.target_tenant) return;
    const bound = new Set(
      (
        await sql<{ project_id: string }>`SELECT DISTINCT ports.project_id FROM ports
          JOIN port_security_groups psg ON psg.port_id = ports.id WHERE psg.security_group_id = ${p.object_id}`.execute(trx)
      ).rows.map((r) => r.project_id),
    );
    let inUse: boolean;
    if (p.target_tenant !== WILDCARD) {
      if (await findPolicy(trx, this.table, p.object_id, ACCESS_SHARED, WILDCARD)) return;
      inUse = bound.has(p.target_tenant);
    } else {
      const others = new Set((await policiesOf(trx, this.table, p.object_id, ACCESS_SHARED)).map((r) => r.target_tenant).filter((t) => t !== WILDCARD));
      inUse = [...bound].some((b) => !others.has(b));
    }
    if (inUse) throw new RbacPolicyInUse({ object_id: p.object_id, details: `project_id=${p.target_tenant}` });
  }
}
