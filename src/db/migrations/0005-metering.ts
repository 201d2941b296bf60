/** Migration 0005: metering labels and their rules (neutron's meteringlabels / meteringlabelrules). */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('metering_labels')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'varchar(1024)', (c) => c.notNull())
    .addColumn('shared', 'boolean', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_metering_labels_project_id').on('metering_labels').column('project_id').execute();

  await db.schema
    .createTable('metering_label_rules')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('metering_label_id', 'varchar(36)', (c) => c.notNull().references('metering_labels.id').onDelete('cascade'))
    .addColumn('direction', 'varchar(16)', (c) => c.notNull())
    .addColumn('excluded', 'boolean', (c) => c.notNull())
    .addColumn('remote_ip_prefix', 'varchar(64)')
    .addColumn('source_ip_prefix', 'varchar(64)')
    .addColumn('destination_ip_prefix', 'varchar(64)')
    .execute();
  await db.schema.createIndex('ix_metering_label_rules_label').on('metering_label_rules').column('metering_label_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['metering_label_rules', 'metering_labels']) await db.schema.dropTable(t).ifExists().execute();
}
