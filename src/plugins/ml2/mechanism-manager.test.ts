/**
 * Every registered mechanism driver passes the contract (mechanism.contract.ts), and the manager
 * gives drivers the network, subnet and port events as ML2 promises: precommit inside the
 * transaction (a refusal rolls it back), postcommit only after commit (never after a rollback), in
 * the configured order, a failing postcommit not stopping the next driver; and an unknown driver
 * name stops the server from starting.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { makeContext } from '../../core/context.js';
import { PortInUse } from '../../core/errors.js';
import { loadConfig } from '../../config/config.js';
import { Database } from '../../db/database.js';
import { Events } from '../events.js';
import type { MechanismDriver, PostcommitContext, PrecommitContext } from './driver-api.js';
import { MECHANISM_DRIVERS, MechanismManager } from './mechanism-manager.js';
import { mechanismDriverContract } from './mechanism.contract.js';

for (const [name, make] of Object.entries(MECHANISM_DRIVERS)) mechanismDriverContract(name, make);

async function until(ok: () => boolean, ms = 2000): Promise<void> {
  for (const deadline = Date.now() + ms; !ok(); ) {
    if (Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('the mechanism manager', () => {
  const database = new Database('sqlite://');
  before(() => database.migrateToLatest());
  after(() => database.close());
  const ctx = makeContext({ projectId: 'p' });
  const port = { id: 'p1', network_id: 'n1' };

  /** Two recording drivers (the second refuses a port named 'refused', the first fails every postcommit). */
  function setup() {
    const calls: string[] = [];
    const recorder = (name: string, failPost: boolean): MechanismDriver => ({
      name,
      createPortPrecommit(c: PrecommitContext) {
        calls.push(`${name} pre ${String(c.current?.id)} ${c.trx ? 'in-trx' : 'no-trx'}`);
        if (name === 'second' && c.current?.id === 'refused') throw new PortInUse({ port_id: 'refused', net_id: 'n1', device_id: 'd' });
      },
      createPortPostcommit(c: PostcommitContext) {
        calls.push(`${name} post ${String(c.current?.id)}`);
        if (failPost) throw new Error('postcommit failed');
      },
    });
    const events = new Events(database, pino({ level: 'silent' }));
    events.declare('port', ['precommit_create', 'after_create']);
    const config = loadConfig([], { NUCLEON_ML2__MECHANISM_DRIVERS: 'first,second' });
    new MechanismManager(config, events, { database, logger: pino({ level: 'silent' }), extraDrivers: { first: () => recorder('first', true), second: () => recorder('second', false) } });
    return { calls, events };
  }

  it('calls precommit inside the transaction and postcommit after it, in order, past a failing postcommit', async () => {
    const { calls, events } = setup();
    await database.transaction(async (trx) => {
      await events.publish(trx, 'port', 'precommit_create', { ctx, request: {}, current: port as never });
      await events.publish(trx, 'port', 'after_create', { ctx, current: port });
      assert.deepEqual(calls, ['first pre p1 in-trx', 'second pre p1 in-trx'], 'nothing after commit before the commit');
    });
    await until(() => calls.length >= 4);
    assert.deepEqual(calls.slice(2), ['first post p1', 'second post p1']);
  });

  it('rolls back on a precommit refusal, and then tells no driver after commit', async () => {
    const { calls, events } = setup();
    await assert.rejects(
      database.transaction(async (trx) => {
        await events.publish(trx, 'port', 'after_create', { ctx, current: { id: 'refused' } });
        await events.publish(trx, 'port', 'precommit_create', { ctx, request: {}, current: { id: 'refused', network_id: 'n1' } as never });
      }),
      (err: Error) => err instanceof PortInUse,
    );
    await new Promise((r) => setTimeout(r, 200)); // time for a (wrong) postcommit to show
    assert.deepEqual(calls, ['first pre refused in-trx', 'second pre refused in-trx']);
  });

  it('subscribes only to what some driver implements', () => {
    const events = new Events(database);
    new MechanismManager(loadConfig([], { NUCLEON_ML2__MECHANISM_DRIVERS: 'linuxbridge' }), events, { database });
    assert.equal(events.wants('port', 'precommit_create'), false);
    assert.equal(events.wants('network', 'after_create'), false);
    assert.equal(events.wants('port', 'after_update'), true);
  });

  it('refuses to start with a driver it does not know', () => {
    assert.throws(() => new MechanismManager(loadConfig([], { NUCLEON_ML2__MECHANISM_DRIVERS: 'linuxbridge,openvswitch' }), new Events(database), { database }), /mechanism_drivers names 'openvswitch'/);
  });
});
