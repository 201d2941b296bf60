/**
 * The seam between Nucleon and one SQL database. Each backend (sqlite, postgres, mysql) implements
 * this in a file of its own; differences between databases are answered here as capabilities,
 * never as `if (dialect === ...)` elsewhere.
 */
import type { Dialect } from 'kysely';

export interface DialectAdapter {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** Builds the Kysely dialect (with its connection pool) for a parsed connection URL. */
  createDialect(url: DatabaseUrl, opts: { poolSize: number }): Dialect;
  /** A unique or primary key was violated: a concurrent writer won a race; retry the transaction. */
  isDuplicate(err: unknown): boolean;
  /** Deadlock, serialization failure or a busy lock: retrying the whole transaction is safe. */
  isTransient(err: unknown): boolean;
  /** INSERT/UPDATE ... RETURNING is available. */
  readonly supportsReturning: boolean;
}

/** A Neutron-style `[database] connection` URL, parsed. */
export interface DatabaseUrl {
  scheme: string;
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  /** Database name, or the file path for SQLite (':memory:' for an in-memory database). */
  database: string;
  params: Record<string, string>;
}

export function errCode(err: unknown): string | number | undefined {
  const e = err as { code?: string | number; errno?: number } | null;
  return e?.code ?? e?.errno;
}
