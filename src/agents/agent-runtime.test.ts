/**
 * The agent runtime's work queue in use: a driver's notifications only queue keys, a key whose pass
 * fails comes back by itself with backoff (no heartbeat needed), and a key the driver cannot sync
 * alone is a full sync. No server: the runtime is not started, passes are asked for directly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { InProcessHub, InProcessTransport } from '../rpc/in-process-transport.js';
import { ALL_KEYS, AgentRuntime, type AgentDriver } from './agent-runtime.js';

const logger = pino({ level: 'silent' });

/** A driver that records its passes; the keys in `failing` fail that many more times. */
function driver(withSync: boolean) {
  const passes: string[] = [];
  const failing = new Map<string, number>();
  const pass = async (key: string) => {
    passes.push(key);
    await new Promise((r) => setImmediate(r));
    const n = failing.get(key) ?? 0;
    if (n > 0) {
      failing.set(key, n - 1);
      throw new Error(`${key} is not there yet`);
    }
  };
  const d: AgentDriver = {
    kind: 'dhcp',
    configurations: () => ({}),
    fullSync: () => pass(ALL_KEYS),
    ...(withSync ? { sync: pass } : {}),
    served: () => [],
  };
  return { d, passes, failing };
}
const runtime = (d: AgentDriver) => new AgentRuntime({ config: loadConfig([], {}), transport: new InProcessTransport({ logger, hub: new InProcessHub() }), driver: d, logger, queue: { baseDelayMs: 5, maxDelayMs: 20 } });
const until = async (what: string, cond: () => boolean) => {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 200, what);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('agent runtime', () => {
  it('retries a key whose pass failed, with backoff, until it converges, without a heartbeat', async () => {
    const { d, passes, failing } = driver(true);
    const rt = runtime(d);
    failing.set('net-1', 3);
    d.onChange!('net-1');
    await until('net-1 converges', () => passes.filter((k) => k === 'net-1').length === 4);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(passes, ['net-1', 'net-1', 'net-1', 'net-1'], 'only that key, and no more once it converged');
    await rt.stop();
  });

  it('only queues keys on notifications: a burst while a pass runs is one more pass per key', async () => {
    const { d, passes } = driver(true);
    const rt = runtime(d);
    const first = rt.resync();
    for (let i = 0; i < 5; i++) {
      d.onChange!('net-1');
      d.onChange!('net-2');
      d.onChange!();
    }
    await first;
    await until('the burst is worked off', () => passes.length === 4);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(passes, [ALL_KEYS, 'net-1', 'net-2', ALL_KEYS]);
    assert.equal(rt.syncs, 2);
    await rt.stop();
  });

  it('gives a driver that cannot sync one key a full sync for it', async () => {
    const { d, passes } = driver(false);
    const rt = runtime(d);
    d.onChange!('anything');
    await until('a pass', () => passes.length === 1);
    assert.deepEqual(passes, [ALL_KEYS]);
    await rt.stop();
  });
});
