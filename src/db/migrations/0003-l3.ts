/**
 * Migration 0003: routers, the ports they own, their extra routes, and floating IPs. Kysely's
 * schema builder only, so one file serves SQLite, PostgreSQL and MariaDB. The unique constraints
 * are what keep two servers from attaching one port to two routers or giving one fixed IP two
 * floating IPs: the loser's transaction is retried and then sees the winner's row.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const ID = 'varchar(36)';
const NAME = 'varchar(255)';
const IP = 'varchar(64)';
const STAMP = 'varchar(32)';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('routers')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('enable_snat', 'boolean', (c) => c.notNull())
    .addColumn('gw_port_id', ID, (c) => c.references('ports.id'))
    .$call(standardColumns)
    .execute();
  await db.schema.createIndex('ix_routers_project_id').on('routers').column('project_id').execute();

  await db.schema
    .createTable('router_ports')
    .addColumn('port_id', ID, (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
    .addColumn('router_id', ID, (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('port_type', NAME, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_router_ports_router_id').on('router_ports').column('router_id').execute();

  await db.schema
    .createTable('router_routes')
    .addColumn('router_id', ID, (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('destination', IP, (c) => c.notNull())
    .addColumn('nexthop', IP, (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_router_routes', ['router_id', 'destination', 'nexthop'])
    .execute();

  await db.schema
    .createTable('floatingips')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('floating_ip_address', IP, (c) => c.notNull())
    .addColumn('floating_network_id', ID, (c) => c.notNull().references('networks.id'))
    .addColumn('floating_port_id', ID, (c) => c.notNull().unique().references('ports.id').onDelete('cascade'))
    .addColumn('fixed_port_id', ID, (c) => c.references('ports.id').onDelete('set null'))
    .addColumn('fixed_ip_address', IP)
    .addColumn('router_id', ID, (c) => c.references('routers.id'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .$call(standardColumns)
    .addUniqueConstraint('uniq_floatingips_network_address', ['floating_network_id', 'floating_ip_address'])
    .addUniqueConstraint('uniq_floatingips_network_fixed_port_ip', ['floating_network_id', 'fixed_port_id', 'fixed_ip_address'])
    .execute();
  await db.schema.createIndex('ix_floatingips_project_id').on('floatingips').column('project_id').execute();
  await db.schema.createIndex('ix_floatingips_fixed_port_id').on('floatingips').column('fixed_port_id').execute();
  await db.schema.createIndex('ix_floatingips_router_id').on('floatingips').column('router_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['floatingips', 'router_routes', 'router_ports', 'routers']) await db.schema.dropTable(t).ifExists().execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function standardColumns(t: any) {
  return t
    .addColumn('description', NAME, (c: any) => c.notNull())
    .addColumn('revision_number', 'integer', (c: any) => c.notNull())
    .addColumn('created_at', STAMP, (c: any) => c.notNull())
    .addColumn('updated_at', STAMP, (c: any) => c.notNull());
}
