/**
 * Quota rows: per-project limits that differ from the defaults (`quotas`), and the usage rows a
 * quota check locks (`quota_usages`). Counting happens under that lock, in an UPDATE, so that it
 * reads the newest committed rows on every database (a plain SELECT in MySQL's REPEATABLE READ
 * would read the transaction's snapshot instead).
 */
import { sql } from 'kysely';
import type { Executor } from '../schema.js';

export interface QuotaRow {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaUsageRow {
  project_id: string;
  resource: string;
  /** The count taken by the latest quota check (informative; the rows themselves are the truth). */
  in_use: number;
  /** Bumped by every check: the UPDATE that takes the row lock. */
  version: number;
}

declare module '../schema.js' {
  interface Schema {
    quotas: QuotaRow;
    quota_usages: QuotaUsageRow;
  }
}

/** The project's limits that differ from the defaults, by resource. */
export async function limitsOf(trx: Executor, projectId: string): Promise<Map<string, number>> {
  const rows = await trx.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
  return new Map(rows.map((r) => [r.resource, Number(r.hard_limit)]));
}

export async function limitOf(trx: Executor, projectId: string, resource: string): Promise<number | undefined> {
  const row = await trx.selectFrom('quotas').select('hard_limit').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
  return row ? Number(row.hard_limit) : undefined;
}

/** Every project with at least one limit of its own, and those limits. */
export async function allLimits(trx: Executor): Promise<Map<string, Map<string, number>>> {
  const rows = await trx.selectFrom('quotas').selectAll().orderBy('project_id').orderBy('resource').execute();
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    if (!out.has(r.project_id)) out.set(r.project_id, new Map());
    out.get(r.project_id)!.set(r.resource, Number(r.hard_limit));
  }
  return out;
}

/** Sets one limit (update, else insert; a concurrent insert makes the transaction retry). */
export async function setLimit(trx: Executor, projectId: string, resource: string, limit: number): Promise<void> {
  const res = await trx.updateTable('quotas').set({ hard_limit: limit }).where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) await trx.insertInto('quotas').values({ project_id: projectId, resource, hard_limit: limit }).execute();
}

/** Removes the project's own limits; returns how many there were. */
export async function deleteLimits(trx: Executor, projectId: string): Promise<number> {
  const res = await trx.deleteFrom('quotas').where('project_id', '=', projectId).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/**
 * Takes the (project, resource) usage row lock for the rest of the transaction, creating the row
 * the first time. Two first-time creators collide on the primary key (or deadlock on MySQL's gap
 * lock); the loser's transaction is retried by Database.transaction and then finds the row.
 */
export async function lockUsage(trx: Executor, projectId: string, resource: string): Promise<void> {
  const res = await trx
    .updateTable('quota_usages')
    .set((eb) => ({ version: eb('version', '+', 1) }))
    .where('project_id', '=', projectId)
    .where('resource', '=', resource)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) await trx.insertInto('quota_usages').values({ project_id: projectId, resource, in_use: 0, version: 0 }).execute();
}

/**
 * Counts the project's rows in `tables` into its (locked) usage row and returns the count. Run after
 * lockUsage, as a statement of its own: PostgreSQL (READ COMMITTED) then counts with a snapshot taken
 * after the lock was granted, and MySQL/MariaDB read the newest committed rows, since the subquery of
 * an UPDATE is a locking read.
 */
export async function countLocked(trx: Executor, projectId: string, resource: string, tables: string[]): Promise<number> {
  if (!tables.length) return 0;
  const counts = tables.map((t) => sql<number>`(SELECT COUNT(*) FROM ${sql.table(t)} WHERE project_id = ${projectId})`);
  await trx
    .updateTable('quota_usages')
    .set({ in_use: sql<number>`${sql.join(counts, sql` + `)}` })
    .where('project_id', '=', projectId)
    .where('resource', '=', resource)
    .execute();
  const row = await trx.selectFrom('quota_usages').select('in_use').where('project_id', '=', projectId).where('resource', '=', resource).executeTakeFirstOrThrow();
  return Number(row.in_use);
}

/** The project's rows in `tables` (no lock: for the details view). */
export async function countRows(trx: Executor, projectId: string, tables: string[]): Promise<number> {
  let n = 0;
  for (const t of tables) {
    const row = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${sql.table(t)} WHERE project_id = ${projectId}`.execute(trx);
    n += Number(row.rows[0]?.n ?? 0);
  }
  return n;
}
