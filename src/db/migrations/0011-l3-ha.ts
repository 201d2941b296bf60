/**
 * Migration 0011: HA routers (extension `l3-ha`, Neutron's l3_hamode tables). Routers get `ha` and
 * their VRRP id `ha_vr_id`; `ha_router_networks` names each project's HA network (one per project:
 * the primary key makes two servers creating it at once collide, and the loser retries and finds
 * the winner's); `ha_router_vrid_allocations` keeps VRRP ids unique within an HA network;
 * `ha_router_agent_port_bindings` records, per L3 agent hosting an HA router, its HA port and the
 * VRRP state the agent reported (unique per router and agent). Kysely's schema builder only, so one
 * file serves SQLite, PostgreSQL and MariaDB.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('routers').addColumn('ha', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  await db.schema.alterTable('routers').addColumn('ha_vr_id', 'integer').execute();

  await db.schema
    .createTable('ha_router_networks')
    .addColumn('project_id', 'varchar(255)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().unique().references('networks.id').onDelete('cascade'))
    .execute();

  await db.schema
    .createTable('ha_router_vrid_allocations')
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('vr_id', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_ha_router_vrid_allocations', ['network_id', 'vr_id'])
    .execute();

  await db.schema
    .createTable('ha_router_agent_port_bindings')
    .addColumn('port_id', 'varchar(36)', (c) => c.primaryKey().references('ports.id').onDelete('cascade'))
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('l3_agent_id', 'varchar(36)', (c) => c.references('agents.id').onDelete('cascade'))
    .addColumn('state', 'varchar(16)', (c) => c.notNull().defaultTo('standby'))
    .addUniqueConstraint('uniq_ha_router_agent_port_bindings0port_id0l3_agent_id', ['router_id', 'l3_agent_id'])
    .execute();
  await db.schema.createIndex('ix_ha_router_agent_port_bindings_agent').on('ha_router_agent_port_bindings').column('l3_agent_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of ['ha_router_agent_port_bindings', 'ha_router_vrid_allocations', 'ha_router_networks']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('routers').dropColumn('ha_vr_id').execute();
  await db.schema.alterTable('routers').dropColumn('ha').execute();
}
