/**
 * What an RBAC object type (network, security group) must answer: which actions it has, and the
 * checks and side effects around a policy's creation, retargeting and removal. Every method runs
 * inside the caller's transaction and throws a NeutronError to refuse.
 */
import type { RequestContext } from '../../core/context.js';
import type { Executor } from '../../db/schema.js';
import type { RbacPolicyRow, RbacTable } from '../../db/repos/rbac-repo.js';

export interface RbacObjectType {
  name: string;
  table: RbacTable;
  actions: readonly string[];
  /** The object exists for the caller and the caller may share it (admin or owner). */
  beforeCreate(trx: Executor, ctx: RequestContext, policy: RbacPolicyRow): Promise<void>;
  /** Nobody loses access that their resources depend on when the policy moves to `target`. */
  beforeUpdate(trx: Executor, ctx: RequestContext, policy: RbacPolicyRow, target: string): Promise<void>;
  beforeDelete(trx: Executor, ctx: RequestContext, policy: RbacPolicyRow): Promise<void>;
  /** After the policy row was written, changed or removed (caches, revision numbers). */
  afterChange(trx: Executor, policy: RbacPolicyRow, event: 'create' | 'update' | 'delete'): Promise<void>;
}

/** How Neutron reports a refusal from one of its callbacks: `Callback <name> failed with "<reason>"`. */
export const callbackFailure = (callback: string, reason: string): string => `Callback ${callback} failed with "${reason}"`;
