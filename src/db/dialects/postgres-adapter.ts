/** PostgreSQL through node-postgres (pg), with a connection pool per server process. */
import type { Pool } from 'pg';
import { PostgresDialect } from 'kysely';
import { errCode, type DatabaseUrl, type DialectAdapter } from './dialect-adapter.js';

/** The driver is loaded only when PostgreSQL is the database in use. */
async function makePool(url: DatabaseUrl, max: number): Promise<Pool> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    host: url.host ?? '127.0.0.1',
    port: url.port ?? 5432,
    user: url.user,
    password: url.password,
    database: url.database,
    max,
  });
  // An idle connection that the server closes (restart, failover, pg_terminate_backend) is an
  // 'error' event on the pool: without a listener it would end the process. The pool drops the
  // connection and opens a new one on the next query.
  pool.on('error', (err) => process.emitWarning(`PostgreSQL connection lost: ${err.message}`));
  return pool;
}

export const postgresAdapter: DialectAdapter = {
  name: 'postgres',
  supportsReturning: true,
  createDialect: (url, opts) => new PostgresDialect({ pool: () => makePool(url, opts.poolSize) }),
  isDuplicate: (err) => errCode(err) === '23505',
  // serialization_failure, deadlock_detected, lock_not_available
  isTransient: (err) => ['40001', '40P01', '55P03'].includes(String(errCode(err))),
};
