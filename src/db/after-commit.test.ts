/**
 * Database.afterCommit, which every notification to agents goes through: callbacks run once the
 * transaction committed (a reader then finds what they announce), never after a rollback, and only
 * for the attempt that committed when the unit of work is retried.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { Database } from './database.js';
import type { Executor } from './schema.js';

describe('Database.afterCommit', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-after-commit-'));
  const database = new Database(`sqlite:///${path.join(dir, 'db.sqlite')}`, { maxRetries: 3 });
  const insert = (trx: Executor, id: string) => sql`insert into things (id) values (${id})`.execute(trx);
  /** What a callback announced, and whether a reader outside the transaction found it then. */
  const seen: Array<Promise<{ id: string; inDatabase: boolean }>> = [];
  const announce = (trx: Executor, id: string) =>
    database.afterCommit(trx, () =>
      seen.push(sql<{ id: string }>`select id from things where id = ${id}`.execute(database.db).then((r) => ({ id, inDatabase: r.rows.length === 1 }))),
    );

  before(() => sql`create table things (id text primary key)`.execute(database.db));
  after(async () => {
    await database.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs after the commit, so what it announces is there', async () => {
    const out = await database.transaction(async (trx) => {
      await insert(trx, 'a');
      announce(trx, 'a');
      assert.equal(seen.length, 0, 'not while the transaction is open');
      return 'done';
    });
    assert.equal(out, 'done');
    assert.deepEqual(await Promise.all(seen.splice(0)), [{ id: 'a', inDatabase: true }]);
  });

  it('runs nothing when the unit of work rolls back', async () => {
    await assert.rejects(
      database.transaction(async (trx) => {
        await insert(trx, 'b');
        announce(trx, 'b');
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.deepEqual(seen, []);
  });

  it("runs only the committed attempt's callbacks when the unit is retried", async () => {
    let attempts = 0;
    await database.transaction(async (trx) => {
      attempts++;
      const id = attempts === 1 ? 'a' : 'c';
      announce(trx, id);
      await insert(trx, id); // 'a' exists: a duplicate key, so the unit runs again
    });
    assert.equal(attempts, 2);
    assert.deepEqual(await Promise.all(seen.splice(0)), [{ id: 'c', inDatabase: true }]);
  });

  it('runs at once outside a transaction', async () => {
    announce(database.db, 'a');
    assert.deepEqual(await Promise.all(seen.splice(0)), [{ id: 'a', inDatabase: true }]);
  });
});
