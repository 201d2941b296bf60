/** Migration 0002: security groups, their rules, the per-project default group and port bindings. */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('security_groups')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('stateful', 'boolean', (c) => c.notNull())
    .addColumn('description', 'varchar(255)', (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_security_groups_project_id').on('security_groups').column('project_id').execute();

  await db.schema
    .createTable('security_group_rules')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('ethertype', 'varchar(8)', (c) => c.notNull())
    .addColumn('protocol', 'varchar(40)')
    .addColumn('port_range_min', 'integer')
    .addColumn('port_range_max', 'integer')
    .addColumn('remote_ip_prefix', 'varchar(64)')
    .addColumn('normalized_cidr', 'varchar(64)')
    .addColumn('remote_group_id', 'varchar(36)', (c) => c.references('security_groups.id').onDelete('cascade'))
    .addColumn('description', 'varchar(255)')
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_security_group_rules_group').on('security_group_rules').column('security_group_id').execute();
  await db.schema.createIndex('ix_security_group_rules_remote_group').on('security_group_rules').column('remote_group_id').execute();

  // One default group per project: the primary key settles two servers creating it at once.
  await db.schema
    .createTable('default_security_groups')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id').onDelete('cascade'))
    .execute();

  await db.schema
    .createTable('port_security_groups')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id'))
    .addPrimaryKeyConstraint('pk_port_security_groups', ['port_id', 'security_group_id'])
    .execute();
  await db.schema.createIndex('ix_port_security_groups_group').on('port_security_groups').column('security_group_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['port_security_groups', 'default_security_groups', 'security_group_rules', 'security_groups']) await db.schema.dropTable(t).ifExists().execute();
}
