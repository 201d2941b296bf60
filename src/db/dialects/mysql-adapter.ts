/** MariaDB and MySQL through mysql2, with a connection pool per server process. */
import { MysqlDialect, type MysqlPool } from 'kysely';
import type { DatabaseUrl, DialectAdapter } from './dialect-adapter.js';

const errno = (err: unknown) => (err as { errno?: number } | null)?.errno;

/** The driver is loaded only when MariaDB/MySQL is the database in use. */
async function makePool(url: DatabaseUrl, connectionLimit: number): Promise<MysqlPool> {
  const { createPool } = await import('mysql2');
  return createPool({
    host: url.host ?? '127.0.0.1',
    port: url.port ?? 3306,
    user: url.user,
    password: url.password,
    database: url.database,
    connectionLimit,
    charset: 'utf8mb4',
    supportBigNumbers: true,
  }) as unknown as MysqlPool;
}

export const mysqlAdapter: DialectAdapter = {
  name: 'mysql',
  supportsReturning: false,
  createDialect: (url, opts) => new MysqlDialect({ pool: () => makePool(url, opts.poolSize) }),
  // ER_DUP_ENTRY
  isDuplicate: (err) => errno(err) === 1062,
  // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, WSREP deadlock (Galera)
  isTransient: (err) => [1213, 1205, 1180].includes(errno(err) ?? 0),
};
