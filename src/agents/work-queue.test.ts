/**
 * The agents' work queue on a fake clock: duplicates collapse, a key is never worked on twice at
 * once, a failure comes back after an exponential, jittered, capped delay, and a success forgets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WorkQueue, type Timers } from './work-queue.js';

/** A clock that moves only when told. */
class FakeClock implements Timers {
  now = 0;
  private next = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): number {
    this.pending.set(this.next, { at: this.now + ms, fn });
    return this.next++;
  }
  clearTimeout(h: unknown): void {
    this.pending.delete(h as number);
  }
  /** The delays of the timers pending, from now. */
  get delays(): number[] {
    return [...this.pending.values()].map((t) => t.at - this.now);
  }
  async advance(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort(([, a], [, b]) => a.at - b.at)) {
      if (t.at > this.now) continue;
      this.pending.delete(id);
      t.fn();
    }
    await settle();
  }
}
const settle = () => new Promise((r) => setImmediate(r));

/** A reconciler whose passes the test finishes by hand: `fail` makes the next passes of a key throw. */
function reconciler() {
  const log: string[] = [];
  const open = new Map<string, () => void>();
  const fail = new Map<string, number>();
  let inFlight = 0;
  let most = 0;
  const work = async (key: string) => {
    inFlight++;
    most = Math.max(most, inFlight);
    log.push(`start ${key}`);
    await new Promise<void>((resolve) => open.set(key, resolve));
    open.delete(key);
    inFlight--;
    const n = fail.get(key) ?? 0;
    if (n > 0) {
      fail.set(key, n - 1);
      log.push(`fail ${key}`);
      throw new Error(`${key} failed`);
    }
    log.push(`done ${key}`);
  };
  const finish = async (key: string) => {
    open.get(key)!();
    await settle();
  };
  return { log, open, fail, work, finish, most: () => most };
}

describe('work queue', () => {
  it('collapses a key added again while it waits into one pass, in the order keys came', async () => {
    const r = reconciler();
    const q = new WorkQueue(r.work, { timers: new FakeClock() });
    void q.add('a');
    void q.add('b');
    void q.add('b');
    void q.add('c');
    void q.add('b');
    await settle();
    assert.equal(q.length, 2, 'a is in progress; b and c wait, b once');
    for (const k of ['a', 'b', 'c']) await r.finish(k);
    assert.deepEqual(r.log, ['start a', 'done a', 'start b', 'done b', 'start c', 'done c']);
  });

  it('never works on one key twice at once: added during its pass, it gets one more pass after it', async () => {
    const r = reconciler();
    const q = new WorkQueue(r.work, { timers: new FakeClock(), concurrency: 4 });
    const first = q.add('net-1');
    await settle();
    const second = q.add('net-1');
    void q.add('net-1');
    void q.add('net-2');
    await settle();
    assert.deepEqual([...r.open.keys()], ['net-1', 'net-2'], 'another key runs beside it, the same key does not');
    await r.finish('net-1');
    await first;
    assert.deepEqual([...r.open.keys()].sort(), ['net-1', 'net-2'], 'the second pass of net-1 started after the first ended');
    await r.finish('net-1');
    await second;
    await r.finish('net-2');
    assert.equal(r.log.filter((l) => l === 'start net-1').length, 2);
    assert.equal(r.most(), 2);
  });

  it('retries a failed key after an exponential, jittered, capped delay per key, and forgets it on success', async () => {
    const clock = new FakeClock();
    const r = reconciler();
    const errors: Array<[string, number]> = [];
    const q = new WorkQueue(r.work, { timers: clock, baseDelayMs: 100, maxDelayMs: 1000, random: () => 1, onError: (key, _err, ms) => errors.push([key, ms]) });
    r.fail.set('r1', 5);
    void q.add('r1');
    await settle();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await r.finish('r1');
      delays.push(...clock.delays);
      assert.equal(q.failuresOf('r1'), i + 1);
      await clock.advance(clock.delays[0] - 1);
      assert.ok(!r.open.has('r1'), 'not before its delay');
      await clock.advance(1);
      assert.ok(r.open.has('r1'), 'retried at its delay');
    }
    assert.deepEqual(delays, [100, 200, 400, 800, 1000]);
    assert.deepEqual(errors.map(([k]) => k), ['r1', 'r1', 'r1', 'r1', 'r1']);
    await r.finish('r1');
    assert.equal(q.failuresOf('r1'), 0, 'a success forgets the failures');
    assert.deepEqual(clock.delays, []);
    // jitter: each delay is 50–100 % of the backoff
    const low = new WorkQueue(r.work, { timers: clock, baseDelayMs: 100, random: () => 0 });
    assert.equal(low.addRateLimited('x'), 50);
    assert.equal(low.addRateLimited('x'), 100);
    assert.equal(clock.delays.length, 1, 'one retry pending per key');
    await low.stop();
  });

  it('keeps each key’s backoff to itself, and a pass asked for directly drops the pending retry when it succeeds', async () => {
    const clock = new FakeClock();
    const r = reconciler();
    const q = new WorkQueue(r.work, { timers: clock, baseDelayMs: 100, random: () => 1, concurrency: 2 });
    r.fail.set('bad', 1);
    void q.add('bad');
    void q.add('good');
    await settle();
    await r.finish('bad');
    await r.finish('good');
    assert.deepEqual([q.failuresOf('bad'), q.failuresOf('good')], [1, 0]);
    const direct = q.add('bad');
    await settle();
    await r.finish('bad');
    await direct;
    assert.deepEqual(clock.delays, [], 'the retry is not needed any more');
    await clock.advance(1000);
    assert.equal(r.log.filter((l) => l === 'start bad').length, 2);
  });

  it('resolves add() after the pass ends even when it fails, and stops: no retries, waiting keys let go', async () => {
    const clock = new FakeClock();
    const r = reconciler();
    const q = new WorkQueue(r.work, { timers: clock });
    r.fail.set('a', 1);
    const failed = q.add('a');
    await settle();
    await r.finish('a');
    await failed;
    const waiting = q.add('b');
    await settle();
    const stopping = q.stop();
    const late = q.add('c');
    await r.finish('b');
    await Promise.all([stopping, waiting, late]);
    await clock.advance(60_000);
    assert.deepEqual(r.log, ['start a', 'fail a', 'start b', 'done b']);
  });
});
