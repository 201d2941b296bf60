/**
 * RBAC policy rows (one table per object type, as Neutron's `networkrbacs`) and the conditions
 * that decide who sees a network: its owner, and any project a policy targets (by id or `*`).
 * `shared` on a network is per caller: an `access_as_shared` policy for `*` or for the caller.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Executor, Schema } from '../schema.js';
import { chunks } from './listing.js';

export interface RbacPolicyRow {
  id: string;
  project_id: string;
  object_id: string;
  action: string;
  target_tenant: string;
}

declare module '../schema.js' {
  interface Schema {
    network_rbacs: RbacPolicyRow;
    security_group_rbacs: RbacPolicyRow;
  }
}

export type RbacTable = 'network_rbacs' | 'security_group_rbacs';

export const ACCESS_SHARED = 'access_as_shared';
export const ACCESS_EXTERNAL = 'access_as_external';
export const WILDCARD = '*';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<Schema, any>;

/** Networks `projectId` may see: its own, and those a policy (any action) targets it or everyone with. */
export function networkVisibleTo(eb: AnyEb, projectId: string): Expression<SqlBool> {
  return eb.or([
    eb('networks.project_id', '=', projectId),
    eb.exists(
      eb
        .selectFrom('network_rbacs')
        .select('network_rbacs.id')
        .whereRef('network_rbacs.object_id', '=', 'networks.id')
        .where('network_rbacs.target_tenant', 'in', [projectId, WILDCARD]),
    ),
  ]);
}

/** Security groups `projectId` may see and use: its own, and those shared with it or everyone. */
export function securityGroupVisibleTo(eb: AnyEb, projectId: string): Expression<SqlBool> {
  return eb.or([
    eb('security_groups.project_id', '=', projectId),
    eb.exists(
      eb
        .selectFrom('security_group_rbacs')
        .select('security_group_rbacs.id')
        .whereRef('security_group_rbacs.object_id', '=', 'security_groups.id')
        .where('security_group_rbacs.target_tenant', 'in', [projectId, WILDCARD]),
    ),
  ]);
}

/** Whether a policy shares security group `id` with `projectId`. */
export async function securityGroupAccessible(trx: Executor, id: string, projectId: string): Promise<boolean> {
  const row = await trx.selectFrom('security_group_rbacs').select('id').where('object_id', '=', id).where('target_tenant', 'in', [projectId, WILDCARD]).executeTakeFirst();
  return row !== undefined;
}

/** Networks shared with `projectId` (the `shared` attribute and filter, as Neutron computes them). */
export function networkSharedWith(eb: AnyEb, projectId: string, column = 'networks.id'): Expression<SqlBool> {
  return eb.exists(
    eb
      .selectFrom('network_rbacs')
      .select('network_rbacs.id')
      .whereRef('network_rbacs.object_id', '=', column as never)
      .where('network_rbacs.action', '=', ACCESS_SHARED)
      .where('network_rbacs.target_tenant', 'in', [projectId, WILDCARD]),
  );
}

/** Whether some policy lets `projectId` see network `id`. */
export async function networkAccessible(trx: Executor, id: string, projectId: string): Promise<boolean> {
  const row = await trx.selectFrom('network_rbacs').select('id').where('object_id', '=', id).where('target_tenant', 'in', [projectId, WILDCARD]).executeTakeFirst();
  return row !== undefined;
}

/** Of `ids`, the networks shared with `projectId`. */
export async function networksSharedWith(trx: Executor, ids: string[], projectId: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks(ids)) {
    if (!part.length) continue;
    const rows = await trx
      .selectFrom('network_rbacs')
      .select('object_id')
      .where('object_id', 'in', part)
      .where('action', '=', ACCESS_SHARED)
      .where('target_tenant', 'in', [projectId, WILDCARD])
      .execute();
    for (const r of rows) out.add(r.object_id);
  }
  return out;
}

export async function policiesOf(trx: Executor, table: RbacTable, objectId: string, action?: string): Promise<RbacPolicyRow[]> {
  let q = trx.selectFrom(table).selectAll().where('object_id', '=', objectId);
  if (action) q = q.where('action', '=', action);
  return q.orderBy('id').execute();
}

export async function findPolicy(trx: Executor, table: RbacTable, objectId: string, action: string, target: string): Promise<RbacPolicyRow | undefined> {
  return trx.selectFrom(table).selectAll().where('object_id', '=', objectId).where('action', '=', action).where('target_tenant', '=', target).executeTakeFirst();
}

export async function insertPolicy(trx: Executor, table: RbacTable, row: RbacPolicyRow): Promise<void> {
  await trx.insertInto(table).values(row).execute();
}
