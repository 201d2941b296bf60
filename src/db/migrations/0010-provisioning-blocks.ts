/**
 * Migration 0010: provisioning blocks (Neutron's `provisioningblocks`). A bound port goes ACTIVE
 * only once every entity that must set it up has said so: the L2 agent (its tap is joined and
 * filtered) and, where a DHCP agent with a datapath hosts its network, the DHCP agent (dnsmasq
 * knows its address). One row per port and entity still to report.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('provisioning_blocks')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('entity', 'varchar(16)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_provisioning_blocks', ['port_id', 'entity'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('provisioning_blocks').execute();
}
