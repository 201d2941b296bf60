/** PostgreSQL through node-postgres (pg), with a connection pool per server process. */
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { errCode, type DialectAdapter } from './dialect-adapter.js';

export const postgresAdapter: DialectAdapter = {
  name: 'postgres',
  supportsReturning: true,
  createDialect(url, opts) {
    return new PostgresDialect({
      pool: new pg.Pool({
        host: url.host ?? '127.0.0.1',
        port: url.port ?? 5432,
        user: url.user,
        password: url.password,
        database: url.database,
        max: opts.poolSize,
      }),
    });
  },
  isDuplicate: (err) => errCode(err) === '23505',
  // serialization_failure, deadlock_detected, lock_not_available
  isTransient: (err) => ['40001', '40P01', '55P03'].includes(String(errCode(err))),
};
