/**
 * Migration 0006: the routers' `distributed` flag (extension `dvr`). Existing routers are
 * centralized, as Neutron's `router_distributed` default makes new ones. Kysely's schema builder
 * only, so one file serves SQLite, PostgreSQL and MariaDB.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('routers')
    .addColumn('distributed', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('routers').dropColumn('distributed').execute();
}
