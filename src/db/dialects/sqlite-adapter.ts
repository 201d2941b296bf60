/** SQLite through better-sqlite3: the embedded default (WAL, foreign keys on, busy timeout). */
import Database from 'better-sqlite3';
import { SqliteDialect } from 'kysely';
import fs from 'node:fs';
import path from 'node:path';
import { errCode, type DialectAdapter } from './dialect-adapter.js';

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
        return db;
      },
    });
  },
  isDuplicate: (err) => ['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'].includes(String(errCode(err))),
  isTransient: (err) => /^SQLITE_(BUSY|LOCKED)/.test(String(errCode(err))),
};
