import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pino from 'pino';
import { Database } from '../db/database.js';
import type { Executor } from '../db/schema.js';
import { InProcessHub, InProcessTransport } from './in-process-transport.js';
import { AfterCommitNotifier } from './notifier.js';
import { defineApi, endpoint, RpcClient } from './rpc-api.js';
import { sleep, waitFor } from './transport.contract.js';

type Api = { thing_update(args: { id: string; found: boolean }): void };
const API = defineApi<Api>({ version: '1.0' });
const TOPIC = 'q-agent-notifier-thing-update';

describe('AfterCommitNotifier', () => {
  const quiet = pino({ level: 'silent' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-notifier-'));
  const database = new Database(`sqlite:///${path.join(dir, 'db.sqlite')}`, { maxRetries: 3 });
  const hub = new InProcessHub();
  const server = new InProcessTransport({ logger: quiet, hub });
  const client = new InProcessTransport({ logger: quiet, hub });
  const notifier = new AfterCommitNotifier(quiet);
  const things = new RpcClient(client, API, TOPIC);
  /** What the agent received, and whether the row existed when it did. */
  const received: Array<{ id: string; inDatabase: boolean }> = [];
  const insert = (trx: Executor, id: string) => sql`insert into things (id) values (${id})`.execute(trx);

  before(async () => {
    await sql`create table things (id text primary key)`.execute(database.db);
    await server.serve({ topic: TOPIC, server: 'agent-1' }, [
      endpoint(API, {
        thing_update: async ({ id }) => {
          const rows = await sql`select id from things where id = ${id}`.execute(database.db);
          received.push({ id, inDatabase: rows.rows.length === 1 });
        },
      }),
    ]);
  });
  after(async () => {
    await Promise.all([server.close(), client.close(), database.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends after the commit, so the receiver finds what it is told about', async () => {
    const result = await notifier.transaction(database, async (trx, outbox) => {
      await insert(trx, 'a');
      outbox.fanout(things, 'thing_update', { id: 'a', found: true });
      await sleep(50); // the notification would have been delivered by now if it had left early
      return 'done';
    });
    assert.equal(result, 'done');
    await waitFor('the notification', () => received.length === 1);
    assert.deepEqual(received.splice(0), [{ id: 'a', inDatabase: true }]);
  });

  it('sends nothing when the unit of work rolls back', async () => {
    await assert.rejects(
      notifier.transaction(database, async (trx, outbox) => {
        await insert(trx, 'b');
        outbox.fanout(things, 'thing_update', { id: 'b', found: false });
        throw new Error('refused');
      }),
      /refused/,
    );
    await sleep(100);
    assert.deepEqual(received, []);
  });

  it("sends only the committed attempt's messages when Database.transaction retries the unit", async () => {
    let attempts = 0;
    await notifier.transaction(database, async (trx) => {
      attempts++;
      // Found deeper in the unit through the transaction alone, as a hook would.
      notifier.outboxOf(trx).fanout(things, 'thing_update', { id: attempts === 1 ? 'a' : 'c', found: true });
      await insert(trx, attempts === 1 ? 'a' : 'c'); // 'a' exists: a duplicate key, so the unit runs again
    });
    assert.equal(attempts, 2);
    await waitFor('the notification', () => received.length === 1);
    await sleep(100);
    assert.deepEqual(received.splice(0), [{ id: 'c', inDatabase: true }]);
  });

  it('refuses to collect outside a unit of work it opened', () => {
    assert.throws(() => notifier.outboxOf({}), /unit of work opened by AfterCommitNotifier.transaction/);
  });
});
