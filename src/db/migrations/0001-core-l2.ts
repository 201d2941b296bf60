/**
 * Migration 0001: networks, segments, subnets, ports, IP allocations, tags. Written with Kysely's
 * schema builder only, so one file serves SQLite, PostgreSQL and MariaDB.
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
    .createTable('networks')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('shared', 'boolean', (c) => c.notNull())
    .addColumn('mtu', 'integer', (c) => c.notNull())
    .addColumn('router_external', 'boolean', (c) => c.notNull())
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
    .addColumn('availability_zone_hints', 'varchar(255)', (c) => c.notNull())
    .addColumn('dns_domain', NAME, (c) => c.notNull())
    .$call(standardColumns)
    .execute();
  await db.schema.createIndex('ix_networks_project_id').on('networks').column('project_id').execute();

  await db.schema
    .createTable('network_segments')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('network_id', ID, (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)')
    .addColumn('segmentation_id', 'integer')
    .addColumn('segment_index', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_network_segments_network_id').on('network_segments').column('network_id').execute();

  await db.schema
    .createTable('segment_allocations')
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('physical_network', 'varchar(64)', (c) => c.notNull())
    .addColumn('segmentation_id', 'integer', (c) => c.notNull())
    .addColumn('network_id', ID, (c) => c.notNull().references('networks.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('pk_segment_allocations', ['network_type', 'physical_network', 'segmentation_id'])
    .execute();

  await db.schema
    .createTable('subnets')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('network_id', ID, (c) => c.notNull().references('networks.id'))
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', IP, (c) => c.notNull())
    .addColumn('gateway_ip', IP)
    .addColumn('enable_dhcp', 'boolean', (c) => c.notNull())
    .addColumn('ipv6_ra_mode', 'varchar(16)')
    .addColumn('ipv6_address_mode', 'varchar(16)')
    .$call(standardColumns)
    .execute();
  await db.schema.createIndex('ix_subnets_network_id').on('subnets').column('network_id').execute();

  await db.schema
    .createTable('allocation_pools')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('subnet_id', ID, (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('first_ip', IP, (c) => c.notNull())
    .addColumn('last_ip', IP, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_allocation_pools_subnet_id').on('allocation_pools').column('subnet_id').execute();

  await db.schema
    .createTable('dns_nameservers')
    .addColumn('subnet_id', ID, (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('address', IP, (c) => c.notNull())
    .addColumn('order', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_dns_nameservers', ['subnet_id', 'address'])
    .execute();

  await db.schema
    .createTable('subnet_routes')
    .addColumn('subnet_id', ID, (c) => c.notNull().references('subnets.id').onDelete('cascade'))
    .addColumn('destination', IP, (c) => c.notNull())
    .addColumn('nexthop', IP, (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnet_routes', ['subnet_id', 'destination', 'nexthop'])
    .execute();

  await db.schema
    .createTable('ports')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('network_id', ID, (c) => c.notNull().references('networks.id'))
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'boolean', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('device_id', NAME, (c) => c.notNull())
    .addColumn('device_owner', NAME, (c) => c.notNull())
    .addColumn('port_security_enabled', 'boolean', (c) => c.notNull())
    .addColumn('dns_name', NAME, (c) => c.notNull())
    .addColumn('binding_host_id', NAME, (c) => c.notNull())
    .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('binding_profile', 'varchar(4095)', (c) => c.notNull())
    .$call(standardColumns)
    .addUniqueConstraint('uniq_ports_network_id_mac_address', ['network_id', 'mac_address'])
    .execute();
  await db.schema.createIndex('ix_ports_project_id').on('ports').column('project_id').execute();
  await db.schema.createIndex('ix_ports_device_id').on('ports').column('device_id').execute();

  await db.schema
    .createTable('ip_allocations')
    .addColumn('port_id', ID, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('ip_address', IP, (c) => c.notNull())
    .addColumn('subnet_id', ID, (c) => c.notNull().references('subnets.id'))
    .addColumn('network_id', ID, (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_ip_allocations', ['subnet_id', 'ip_address'])
    .execute();
  await db.schema.createIndex('ix_ip_allocations_port_id').on('ip_allocations').column('port_id').execute();

  await db.schema
    .createTable('allowed_address_pairs')
    .addColumn('port_id', ID, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('ip_address', IP, (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_allowed_address_pairs', ['port_id', 'mac_address', 'ip_address'])
    .execute();

  await db.schema
    .createTable('extra_dhcp_opts')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('port_id', ID, (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('opt_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('opt_value', NAME, (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addUniqueConstraint('uniq_extra_dhcp_opts_port_name_version', ['port_id', 'opt_name', 'ip_version'])
    .execute();

  await db.schema
    .createTable('tags')
    .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('resource_id', ID, (c) => c.notNull())
    .addColumn('tag', NAME, (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_tags', ['resource_type', 'resource_id', 'tag'])
    .execute();
  await db.schema.createIndex('ix_tags_tag').on('tags').column('tag').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const t of [
    'tags',
    'extra_dhcp_opts',
    'allowed_address_pairs',
    'ip_allocations',
    'ports',
    'subnet_routes',
    'dns_nameservers',
    'allocation_pools',
    'subnets',
    'segment_allocations',
    'network_segments',
    'networks',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function standardColumns(t: any) {
  return t
    .addColumn('description', NAME, (c: any) => c.notNull())
    .addColumn('revision_number', 'integer', (c: any) => c.notNull())
    .addColumn('created_at', STAMP, (c: any) => c.notNull())
    .addColumn('updated_at', STAMP, (c: any) => c.notNull());
}
