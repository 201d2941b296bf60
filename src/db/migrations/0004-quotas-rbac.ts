/**
 * Migration 0004: per-project quota limits, the quota usage rows that creators lock, and RBAC
 * policies on networks and security groups. Networks that were shared or external before RBAC
 * existed get the `*` policies Neutron would have created for them.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const ID = 'varchar(36)';
const NAME = 'varchar(255)';

export async function up(db: AnyDb): Promise<void> {
  // Limits that differ from the configured defaults, one row per (project, resource).
  await db.schema
    .createTable('quotas')
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('resource', 'varchar(64)', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_quotas', ['project_id', 'resource'])
    .execute();

  // One row per (project, resource) that a quota check locks (UPDATE) before it counts the
  // resource's rows, so that concurrent creators in one project serialize on it.
  await db.schema
    .createTable('quota_usages')
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('resource', 'varchar(64)', (c) => c.notNull())
    .addColumn('in_use', 'integer', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_quota_usages', ['project_id', 'resource'])
    .execute();

  for (const [table, objects] of [
    ['network_rbacs', 'networks'],
    ['security_group_rbacs', 'security_groups'],
  ] as const) {
    await db.schema
      .createTable(table)
      .addColumn('id', ID, (c) => c.primaryKey())
      .addColumn('project_id', NAME, (c) => c.notNull())
      .addColumn('object_id', ID, (c) => c.notNull().references(`${objects}.id`).onDelete('cascade'))
      .addColumn('action', 'varchar(64)', (c) => c.notNull())
      .addColumn('target_tenant', NAME, (c) => c.notNull())
      .addUniqueConstraint(`uq_${table}_target_object_action`, ['target_tenant', 'object_id', 'action'])
      .execute();
    await db.schema.createIndex(`ix_${table}_object_id`).on(table).column('object_id').execute();
    await db.schema.createIndex(`ix_${table}_project_id`).on(table).column('project_id').execute();
  }

  // quota counts of subnets by project
  await db.schema.createIndex('ix_subnets_project_id').on('subnets').column('project_id').execute();

  const nets = await db.selectFrom('networks').select(['id', 'project_id', 'shared', 'router_external']).execute();
  const policies = nets.flatMap((n) => [
    ...(isTrue(n.shared) ? [{ id: randomUUID(), project_id: n.project_id, object_id: n.id, action: 'access_as_shared', target_tenant: '*' }] : []),
    ...(isTrue(n.router_external) ? [{ id: randomUUID(), project_id: n.project_id, object_id: n.id, action: 'access_as_external', target_tenant: '*' }] : []),
  ]);
  for (let i = 0; i < policies.length; i += 500) await db.insertInto('network_rbacs').values(policies.slice(i, i + 500)).execute();
}

export async function down(db: AnyDb): Promise<void> {
  // ix_subnets_project_id stays: dropping an index is spelled differently on each database.
  for (const t of ['security_group_rbacs', 'network_rbacs', 'quota_usages', 'quotas']) await db.schema.dropTable(t).ifExists().execute();
}

const isTrue = (v: unknown) => v === true || v === 1 || v === '1';
