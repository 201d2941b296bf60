/**
 * Migration 0008: agents and their scheduling (neutron's agents, networkdhcpagentbindings,
 * routerl3agentbindings), and the routers' availability zone hints.
 * `binding_index` is unique per network / router: two servers scheduling the same network at once
 * collide on it, and the loser's transaction retries and finds the network already hosted.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('agent_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('binary', 'varchar(255)', (c) => c.notNull())
    .addColumn('topic', 'varchar(255)', (c) => c.notNull())
    .addColumn('host', 'varchar(255)', (c) => c.notNull())
    .addColumn('availability_zone', 'varchar(255)')
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('started_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('heartbeat_timestamp', 'varchar(32)', (c) => c.notNull())
    .addColumn('description', 'varchar(1024)')
    .addColumn('configurations', 'text', (c) => c.notNull())
    .addColumn('resource_versions', 'text')
    .addColumn('load', 'integer', (c) => c.notNull())
    .addColumn('resources_synced', 'boolean')
    .addUniqueConstraint('uniq_agents0agent_type0host', ['agent_type', 'host'])
    .execute();

  await db.schema
    .createTable('network_dhcp_agent_bindings')
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('dhcp_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('binding_index', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_network_dhcp_agent_bindings', ['network_id', 'dhcp_agent_id'])
    .addUniqueConstraint('uniq_network_dhcp_agent_bindings0network_id0binding_index', ['network_id', 'binding_index'])
    .execute();
  await db.schema.createIndex('ix_network_dhcp_agent_bindings_agent').on('network_dhcp_agent_bindings').column('dhcp_agent_id').execute();

  await db.schema
    .createTable('router_l3_agent_bindings')
    .addColumn('router_id', 'varchar(36)', (c) => c.notNull().references('routers.id').onDelete('cascade'))
    .addColumn('l3_agent_id', 'varchar(36)', (c) => c.notNull().references('agents.id').onDelete('cascade'))
    .addColumn('binding_index', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_router_l3_agent_bindings', ['router_id', 'l3_agent_id'])
    .addUniqueConstraint('uniq_router_l3_agent_bindings0router_id0binding_index', ['router_id', 'binding_index'])
    .execute();
  await db.schema.createIndex('ix_router_l3_agent_bindings_agent').on('router_l3_agent_bindings').column('l3_agent_id').execute();

  await db.schema.alterTable('routers').addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull().defaultTo('[]')).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('routers').dropColumn('availability_zone_hints').execute();
  for (const t of ['router_l3_agent_bindings', 'network_dhcp_agent_bindings', 'agents']) await db.schema.dropTable(t).ifExists().execute();
}
