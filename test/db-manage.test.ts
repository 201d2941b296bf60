/** nucleon-db-manage on every database: check reports pending migrations, upgrade applies them, current names the head. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DIALECTS, skipReason, type TestDatabase } from './helpers/dialects.js';
import { ROOT } from './helpers/server.js';
import { MIGRATIONS } from '../src/db/database.js';

const run = promisify(execFile);

for (const dialect of DIALECTS) {
  describe(`nucleon-db-manage on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    let db: TestDatabase;
    before(async () => (db = await dialect.create()));
    after(() => db.drop());
    const manage = async (...args: string[]) => {
      try {
        const r = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/nucleon-db-manage.ts'), ...args], {
          cwd: ROOT,
          env: { ...process.env, NUCLEON_DATABASE__CONNECTION: db.url },
        });
        return { code: 0, out: r.stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: e.stdout + e.stderr };
      }
    };
    const head = Object.keys(MIGRATIONS).sort().pop()!;

    it('reports, applies and names the migrations', async () => {
      const before = await manage('check');
      assert.equal(before.code, 1);
      assert.match(before.out, new RegExp(`pending migrations: .*${head}`));
      assert.equal((await manage('current')).out.trim(), '(none)');
      const up = await manage('upgrade', 'head');
      assert.equal(up.code, 0, up.out);
      assert.equal((await manage('current')).out.trim(), head);
      const after = await manage('check');
      assert.equal(after.code, 0);
      assert.equal((await manage('upgrade', 'head')).code, 0, 'upgrading twice is harmless');
      const bad = await manage('downgrade');
      assert.equal(bad.code, 2);
      assert.match(bad.out, /usage:/);
    });
  });
}
