/**
 * Opens the database named by a Neutron-style connection URL (`sqlite:///path`, `postgresql://…`,
 * `mysql+pymysql://…`), runs schema migrations, and runs units of work in transactions that are
 * retried, whole, when a concurrent writer wins a race. The database is the only state shared by
 * server processes: correctness under concurrency comes from its constraints plus these retries.
 */
import { Kysely, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { DialectAdapter, DatabaseUrl } from './dialects/dialect-adapter.js';
import { sqliteAdapter } from './dialects/sqlite-adapter.js';
import { postgresAdapter } from './dialects/postgres-adapter.js';
import { mysqlAdapter } from './dialects/mysql-adapter.js';
import type { Schema, Executor } from './schema.js';
import { RetryLimitExceeded } from '../core/errors.js';
import * as m0001 from './migrations/0001-core-l2.js';
import * as m0002 from './migrations/0002-security-groups.js';
import * as m0003 from './migrations/0003-l3.js';
import * as m0004 from './migrations/0004-quotas-rbac.js';
import * as m0005 from './migrations/0005-metering.js';
import * as m0006 from './migrations/0006-router-distributed.js';
import * as m0007 from './migrations/0007-subnetpools.js';
import * as m0008 from './migrations/0008-agents.js';
import * as m0009 from './migrations/0009-port-bindings.js';
import * as m0010 from './migrations/0010-provisioning-blocks.js';
import * as m0011 from './migrations/0011-l3-ha.js';

export const MIGRATIONS: Record<string, Migration> = {
  '0001-core-l2': m0001,
  '0002-security-groups': m0002,
  '0003-l3': m0003,
  '0004-quotas-rbac': m0004,
  '0005-metering': m0005,
  '0006-router-distributed': m0006,
  '0007-subnetpools': m0007,
  '0008-agents': m0008,
  '0009-port-bindings': m0009,
  '0010-provisioning-blocks': m0010,
  '0011-l3-ha': m0011,
};

const ADAPTERS: Record<string, DialectAdapter> = {
  sqlite: sqliteAdapter,
  postgresql: postgresAdapter,
  postgres: postgresAdapter,
  mysql: mysqlAdapter,
  mariadb: mysqlAdapter,
};

/** Parses Neutron's URL forms; the driver part after `+` (pymysql, psycopg2) is accepted and ignored. */
export function parseDatabaseUrl(text: string): DatabaseUrl {
  const m = /^([a-z]+)(\+[a-z0-9_]+)?:\/\/(.*)$/i.exec(text.trim());
  if (!m) throw new Error(`invalid [database] connection URL: ${text}`);
  const scheme = m[1].toLowerCase();
  if (!(scheme in ADAPTERS)) throw new Error(`unsupported database in connection URL: ${scheme}`);
  if (scheme === 'sqlite') {
    // sqlite:// → memory; sqlite:///rel/path; sqlite:////abs/path (SQLAlchemy's forms)
    const rest = m[3];
    const [file, query = ''] = rest.split('?');
    const database = file === '' || file === '/' || file === '/:memory:' ? ':memory:' : file.slice(1);
    return { scheme, database, params: Object.fromEntries(new URLSearchParams(query)) };
  }
  const u = new URL(`x://${m[3]}`);
  return {
    scheme,
    user: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    host: u.hostname || undefined,
    port: u.port ? Number(u.port) : undefined,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    params: Object.fromEntries(u.searchParams),
  };
}

/**
 * Thrown inside a unit of work when a compare-and-swap finds that a concurrent writer got there
 * first (oslo.db's RetryRequest): Database.transaction runs the whole unit again, as it does for a
 * duplicate key.
 */
export class RetryRequest extends Error {}

export interface DatabaseOptions {
  poolSize?: number;
  /** Retries of a transaction that lost a race (duplicate key, deadlock, busy). */
  maxRetries?: number;
}

export class Database {
  readonly db: Kysely<Schema>;
  readonly adapter: DialectAdapter;
  private readonly maxRetries: number;

  constructor(url: string, opts: DatabaseOptions = {}) {
    const parsed = parseDatabaseUrl(url);
    this.adapter = ADAPTERS[parsed.scheme];
    this.db = new Kysely<Schema>({ dialect: this.adapter.createDialect(parsed, { poolSize: opts.poolSize ?? 10 }) });
    this.maxRetries = opts.maxRetries ?? 25;
  }

  migrator(): Migrator {
    const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };
    return new Migrator({ db: this.db, provider, migrationTableName: 'nucleon_migrations', migrationLockTableName: 'nucleon_migrations_lock' });
  }

  /** Brings the schema to the newest migration; safe to run from several processes at once. */
  async migrateToLatest(): Promise<void> {
    const { error, results } = await this.migrator().migrateToLatest();
    if (error) {
      const failed = results?.find((r) => r.status === 'Error');
      throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`);
    }
  }

  /**
   * Runs `work` in one transaction. When the database reports that a concurrent writer won
   * (unique violation, deadlock, serialization failure, busy), or `work` throws RetryRequest, the
   * whole unit runs again after a short random backoff, up to `maxRetries` times; `work` must
   * therefore have no side effect outside the transaction. Domain errors (NeutronError) are never
   * retried.
   */
  async transaction<T>(work: (trx: Executor) => Promise<T>, onExhausted?: (err: unknown) => Error): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      let committed: Array<() => void> = [];
      try {
        const out = await this.db.transaction().execute(async (trx) => {
          this.afterCommitOf.set(trx, committed);
          return work(trx);
        });
        // emptied as they run: the transaction object may outlive this call, and with it this list
        for (const fn of committed.splice(0)) runQuietly(fn);
        return out;
      } catch (err) {
        committed = [];
        const retryable = err instanceof RetryRequest || this.adapter.isDuplicate(err) || this.adapter.isTransient(err);
        if (!retryable) throw err;
        if (attempt >= this.maxRetries) throw onExhausted ? onExhausted(err) : new RetryLimitExceeded({ action: 'transaction' });
        const backoff = Math.min(2 ** Math.min(attempt, 6), 50) * Math.random();
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  }

  /**
   * Runs `fn` once the transaction `trx` has committed; never if it rolls back (a retried attempt
   * registers its own). Notifications to agents go out this way, so no agent hears of a change
   * that did not happen. Outside a transaction (`trx` is the database itself) `fn` runs at once.
   */
  afterCommit(trx: Executor, fn: () => void): void {
    const list = this.afterCommitOf.get(trx);
    if (list) list.push(fn);
    else runQuietly(fn);
  }

  private readonly afterCommitOf = new WeakMap<Executor, Array<() => void>>();

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** An after-commit callback must not turn a committed transaction into an error. */
function runQuietly(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    process.emitWarning(`after-commit callback failed: ${(err as Error)?.stack ?? err}`);
  }
}
