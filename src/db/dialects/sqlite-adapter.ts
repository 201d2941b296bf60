/**
 * SQLite through better-sqlite3: the embedded default (WAL, foreign keys on, busy timeout).
 * Prepared statements are cached by SQL text (bounded): preparing costs more than running most of
 * our queries, and Kysely would otherwise prepare every statement on every call.
 */
import Database from 'better-sqlite3';
import { SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import { errCode, type DialectAdapter } from './dialect-adapter.js';

const STATEMENT_CACHE_SIZE = 1000;

/** better-sqlite3 with a bounded statement cache, in the shape Kysely's SqliteDialect takes. */
function cachedStatements(db: Database.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql: string): SqliteStatement {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = db.prepare(sql) as unknown as SqliteStatement;
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(sql, stmt);
      }
      return stmt;
    },
  };
}

export const sqliteAdapter: DialectAdapter = {
  name: 'sqlite',
  supportsReturning: true,
  createDialect(url) {
    return new SqliteDialect({
      database: async () => {
        if (url.database !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(url.database)), { recursive: true });
        const db = new Database(url.database);
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        db.pragma('busy_timeout = 5000');
        return cachedStatements(db);
      },
    });
  },
  isDuplicate: (err) => ['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'].includes(String(errCode(err))),
  isTransient: (err) => /^SQLITE_(BUSY|LOCKED)/.test(String(errCode(err))),
};
