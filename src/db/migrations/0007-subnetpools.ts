/**
 * Migration 0007: subnet pools (extension `subnet_allocation`), their prefixes, and the subnets'
 * `subnetpool_id`. Two columns carry the concurrency rules: the unique `default_version` (the pool's
 * ip_version while it is the default pool, else NULL) allows one default pool per IP version, and
 * `allocation_version` is compared and bumped by every change to what a pool can hand out, so that
 * two servers allocating from one pool at once cannot both succeed from the same view.
 * Kysely's schema builder only, so one file serves SQLite, PostgreSQL and MariaDB.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const ID = 'varchar(36)';
const NAME = 'varchar(255)';
const STAMP = 'varchar(32)';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('subnetpools')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('project_id', NAME, (c) => c.notNull())
    .addColumn('name', NAME, (c) => c.notNull())
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('default_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('min_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('max_prefixlen', 'integer', (c) => c.notNull())
    .addColumn('shared', 'boolean', (c) => c.notNull())
    .addColumn('is_default', 'boolean', (c) => c.notNull())
    .addColumn('default_version', 'integer', (c) => c.unique())
    .addColumn('default_quota', 'integer')
    .addColumn('address_scope_id', ID)
    .addColumn('allocation_version', 'integer', (c) => c.notNull())
    .addColumn('description', NAME, (c) => c.notNull())
    .addColumn('revision_number', 'integer', (c) => c.notNull())
    .addColumn('created_at', STAMP, (c) => c.notNull())
    .addColumn('updated_at', STAMP, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ix_subnetpools_project_id').on('subnetpools').column('project_id').execute();

  await db.schema
    .createTable('subnetpool_prefixes')
    .addColumn('subnetpool_id', ID, (c) => c.notNull().references('subnetpools.id').onDelete('cascade'))
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('pk_subnetpool_prefixes', ['subnetpool_id', 'cidr'])
    .execute();

  // a pool with subnets is never deleted (the plug-in refuses); the key is the last line of defence
  await db.schema
    .alterTable('subnets')
    .addColumn('subnetpool_id', ID, (c) => c.references('subnetpools.id'))
    .execute();
  await db.schema.createIndex('ix_subnets_subnetpool_id').on('subnets').column('subnetpool_id').execute();
}

// No down(): nucleon-db-manage has no downgrade, and the subnets' foreign key to subnetpools is
// removed differently by each database (SQLite cannot drop a column that a foreign key names).
