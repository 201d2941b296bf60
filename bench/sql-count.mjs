/**
 * Preload (node --import) that counts better-sqlite3 prepare() calls by SQL text and, at exit, writes
 * them to $SQL_COUNT_OUT as JSON. $SQL_COUNT_FROM: a file inside the Nucleon tree, from which
 * better-sqlite3 is resolved (the same module instance the server then loads). bench/profile.sh uses it.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.SQL_COUNT_FROM ?? import.meta.url);
const Database = require('better-sqlite3');
const counts = new Map();
const orig = Database.prototype.prepare;
Database.prototype.prepare = function (sql, ...rest) {
  // one key per statement shape: collapse IN lists and long placeholder runs
  const k = String(sql).replace(/\?(\s*,\s*\?)+/g, '?…');
  counts.set(k, (counts.get(k) ?? 0) + 1);
  return orig.call(this, sql, ...rest);
};
process.on('exit', () => {
  const rows = [...counts.entries()].sort((x, y) => y[1] - x[1]).map(([sql, n]) => ({ n, sql }));
  fs.writeFileSync(process.env.SQL_COUNT_OUT ?? 'sql-count.json', JSON.stringify({ total: rows.reduce((s, r) => s + r.n, 0), statements: rows }, null, 1));
});
