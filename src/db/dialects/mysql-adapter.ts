/** MariaDB and MySQL through mysql2, with a connection pool per server process. */
import { createPool } from 'mysql2';
import { MysqlDialect } from 'kysely';
import type { DialectAdapter } from './dialect-adapter.js';

const errno = (err: unknown) => (err as { errno?: number } | null)?.errno;

export const mysqlAdapter: DialectAdapter = {
  name: 'mysql',
  supportsReturning: false,
  createDialect(url, opts) {
    return new MysqlDialect({
      pool: createPool({
        host: url.host ?? '127.0.0.1',
        port: url.port ?? 3306,
        user: url.user,
        password: url.password,
        database: url.database,
        connectionLimit: opts.poolSize,
        charset: 'utf8mb4',
        supportBigNumbers: true,
      }),
    });
  },
  // ER_DUP_ENTRY
  isDuplicate: (err) => errno(err) === 1062,
  // ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT, WSREP deadlock (Galera)
  isTransient: (err) => [1213, 1205, 1180].includes(errno(err) ?? 0),
};
