/** Migration 0009: the result of binding a port (ML2's binding: `vif_type` and `vif_details`). */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('ports').addColumn('binding_vif_type', 'varchar(64)', (c) => c.notNull().defaultTo('unbound')).execute();
  await db.schema.alterTable('ports').addColumn('binding_vif_details', 'varchar(4095)', (c) => c.notNull().defaultTo('{}')).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('ports').dropColumn('binding_vif_details').execute();
  await db.schema.alterTable('ports').dropColumn('binding_vif_type').execute();
}
