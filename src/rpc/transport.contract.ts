/**
 * The behaviour every RpcTransport owes its users, run against each backend by
 * test/rpc-contract.test.ts. Each test opens transports as separate processes would (every one
 * with its own connection and reply queue) and checks what a receiver gets or a caller sees,
 * including what is logged when a message is refused.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino, { type Logger } from 'pino';
import { PortNotFound } from '../core/errors.js';
import { defineApi, endpoint, RpcClient } from './rpc-api.js';
import { MessageUndeliverable, MessagingTimeout, RemoteError } from './rpc-errors.js';
import type { RpcRequest, RpcTransport } from './transport.js';

export interface TransportHarness {
  name: string;
  /** Why this backend cannot be tested here; undefined when it can. */
  skip?: string;
  /** A transport as one more process would have it. */
  open(logger: Logger): Promise<RpcTransport>;
  /** Puts raw bytes on a queue, past the transport, as a broken or foreign publisher would. */
  publishRaw(queue: string, body: Buffer): Promise<void>;
  /** A topic name unique to this run (brokers are shared). */
  topic(label: string): string;
  /** Removes what the run left on a broker. */
  cleanup(): Promise<void>;
}

/** The hosts servers serve as in these tests (so that a harness can find their queues). */
export const CONTRACT_HOSTS = ['host-a', 'host-b', 'host-c'];

type Recorded = { i: number; from?: string };
type TestApi = {
  note(args: Recorded): void;
  echo(args: { data: unknown }): { data: unknown; host: string };
  fail(args: { port_id: string }): never;
  crash(args: Record<string, never>): never;
  slow(args: { ms: number }): string;
};
const TEST_API = defineApi<TestApi>({ version: '1.3' });

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose lines the test can read. */
export function capturingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Time for a message that should not arrive to show up anyway, before asserting it did not. */
const SETTLE_MS = 300;

export function transportContract(harness: TransportHarness): void {
  describe(`RPC transport contract: ${harness.name}`, { skip: harness.skip }, () => {
    const opened: RpcTransport[] = [];
    const open = async (logger: Logger = pino({ level: 'silent' })) => {
      const t = await harness.open(logger);
      opened.push(t);
      return t;
    };

    /** A server of `topic` as `host` that records what it is sent, with its log. */
    const server = async (topic: string, host: string) => {
      const { logger, lines } = capturingLogger();
      const transport = await open(logger);
      const got: Recorded[] = [];
      const handle = await transport.serve({ topic, server: host }, [
        endpoint(TEST_API, {
          note: (args) => void got.push(args),
          echo: (args) => ({ data: args.data, host }),
          fail: (args) => {
            throw new PortNotFound({ port_id: args.port_id });
          },
          crash: () => {
            throw new TypeError('Cannot read properties of undefined');
          },
          slow: async (args) => {
            await sleep(args.ms);
            return 'late';
          },
        }),
      ]);
      return { transport, got, lines, handle };
    };
    const client = async (topic: string) => new RpcClient(await open(), TEST_API, topic);
    const raw = (method: string, version = '1.0'): RpcRequest => ({ method, version, args: { i: 0 } });
    const warnings = (lines: LogLine[]) => lines.filter((l) => l.level === 40).map((l) => l.msg);

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((t) => t.close()));
    });
    after(() => harness.cleanup());

    it('delivers a cast to exactly one server of the topic, the servers taking turns', async () => {
      const topic = harness.topic('shared');
      const [a, b] = [await server(topic, 'host-a'), await server(topic, 'host-b')];
      const c = await client(topic);
      for (let i = 0; i < 20; i++) await c.cast('note', { i });
      await waitFor('20 casts', () => a.got.length + b.got.length >= 20);
      await sleep(SETTLE_MS);
      const all = [...a.got, ...b.got].map((r) => r.i).sort((x, y) => x - y);
      assert.deepEqual(all, [...Array(20).keys()], 'every cast exactly once');
      assert.ok(a.got.length > 0 && b.got.length > 0, `both servers take casts (a: ${a.got.length}, b: ${b.got.length})`);
    });

    it('delivers a cast to topic.host to that host only', async () => {
      const topic = harness.topic('per-host');
      const servers = await Promise.all(CONTRACT_HOSTS.map((h) => server(topic, h)));
      const c = await client(topic);
      for (let i = 0; i < 5; i++) await c.cast('note', { i }, { server: 'host-b' });
      await waitFor('5 casts on host-b', () => servers[1].got.length >= 5);
      await sleep(SETTLE_MS);
      assert.deepEqual(
        servers.map((s) => s.got.length),
        [0, 5, 0],
      );
    });

    it('delivers a fanout to every server of the topic, once each', async () => {
      const topic = harness.topic('fanout');
      const servers = await Promise.all(CONTRACT_HOSTS.map((h) => server(topic, h)));
      const other = await server(harness.topic('fanout-other'), 'host-a');
      const c = await client(topic);
      await c.fanout('note', { i: 7 });
      await waitFor('the fanout on every server', () => servers.every((s) => s.got.length >= 1));
      await sleep(SETTLE_MS);
      assert.deepEqual(
        servers.map((s) => s.got),
        [[{ i: 7 }], [{ i: 7 }], [{ i: 7 }]],
      );
      assert.deepEqual(other.got, [], 'a server of another topic gets nothing');
    });

    it("returns the handler's result to a call, to any server or to a given host", async () => {
      const topic = harness.topic('call');
      await server(topic, 'host-a');
      await server(topic, 'host-b');
      const c = await client(topic);
      const data = { name: 'réseau ☃', nested: [1, { x: null }], big: 'x'.repeat(100_000) };
      const any = await c.call('echo', { data }, { timeoutMs: 10_000 });
      assert.deepEqual(any.data, data);
      assert.ok(['host-a', 'host-b'].includes(any.host));
      const onB = await c.call('echo', { data: 1 }, { server: 'host-b', timeoutMs: 10_000 });
      assert.deepEqual(onB, { data: 1, host: 'host-b' });
    });

    it("answers a call whose handler throws with a RemoteError carrying the exception's type and message", async () => {
      const topic = harness.topic('raise');
      const s = await server(topic, 'host-a');
      const c = await client(topic);
      await assert.rejects(c.call('fail', { port_id: 'p1' }), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.excType, 'PortNotFound');
        assert.equal(err.value, 'Port p1 could not be found.');
        return true;
      });
      await assert.rejects(c.call('crash', {}), (err: unknown) => err instanceof RemoteError && err.excType === 'TypeError');
      assert.deepEqual(await c.call('echo', { data: 'still serving' }), { data: 'still serving', host: 'host-a' });
      assert.ok(
        s.lines.some((l) => l.level === 50 && /exception during message handling/.test(l.msg)),
        'the unexpected exception is logged as an error on the server',
      );
    });

    it('fails a call with MessagingTimeout when no reply comes in time, and drops the late reply', async () => {
      const topic = harness.topic('timeout');
      await server(topic, 'host-a');
      const { logger, lines } = capturingLogger();
      const c = new RpcClient(await open(logger), TEST_API, topic);
      const started = Date.now();
      await assert.rejects(c.call('slow', { ms: 700 }, { timeoutMs: 200 }), (err: unknown) => {
        assert.ok(err instanceof MessagingTimeout, String(err));
        assert.match(err.message, /^Timed out waiting for a reply to slow on /);
        return true;
      });
      assert.ok(Date.now() - started >= 190, 'not before the timeout');
      await waitFor('the late reply to be dropped', () => lines.some((l) => /reply dropped/.test(l.msg)));
      assert.equal(await c.call('slow', { ms: 1 }, { timeoutMs: 10_000 }), 'late');
    });

    it('drops the reply to a caller that went away, and the server serves on', async () => {
      const topic = harness.topic('gone');
      const s = await server(topic, 'host-a');
      const gone = await open();
      const pending = new RpcClient(gone, TEST_API, topic).call('slow', { ms: 500 }, { timeoutMs: 10_000 });
      const refused = assert.rejects(pending, /closed/);
      await sleep(100);
      await gone.close();
      await refused;
      await sleep(700);
      const c = await client(topic);
      assert.deepEqual(await c.call('echo', { data: 2 }), { data: 2, host: 'host-a' });
      assert.deepEqual(
        s.lines.filter((l) => l.level >= 50),
        [],
      );
    });

    it('refuses an unknown method: a call gets NoSuchMethod, a cast is logged and dropped', async () => {
      const topic = harness.topic('unknown');
      const s = await server(topic, 'host-a');
      const t = await open();
      await assert.rejects(t.call({ topic }, raw('no_such_thing', '1.3')), (err: unknown) => {
        assert.ok(err instanceof RemoteError);
        assert.equal(err.excType, 'NoSuchMethod');
        assert.match(err.value, /no_such_thing/);
        return true;
      });
      await t.cast({ topic }, raw('nor_this', '1.0'));
      await waitFor('the refused cast to be logged', () => warnings(s.lines).some((m) => /cast dropped.*nor_this/.test(m)));
      await t.cast({ topic }, raw('note'));
      await waitFor('a good cast after it', () => s.got.length === 1);
    });

    it("refuses another major version, or a newer minor, like oslo.messaging's UnsupportedVersion", async () => {
      const topic = harness.topic('version');
      const s = await server(topic, 'host-a');
      const t = await open();
      for (const version of ['2.0', '1.4', '0.9']) {
        await assert.rejects(
          t.call({ topic }, raw('echo', version)),
          (err: unknown) => err instanceof RemoteError && err.excType === 'UnsupportedVersion' && err.value.includes(version),
          `version ${version}`,
        );
      }
      assert.deepEqual(await t.call({ topic }, { method: 'echo', version: '1.1', args: { data: 'ok' } }), { data: 'ok', host: 'host-a' });
      await t.cast({ topic }, raw('note', '2.0'));
      await waitFor('the refused cast to be logged', () => warnings(s.lines).some((m) => /cast dropped.*version 2\.0/.test(m)));
      assert.deepEqual(s.got, []);
    });

    it('logs and drops a malformed message, without crashing, and later messages still work', async () => {
      const topic = harness.topic('garbage');
      const s = await server(topic, 'host-a');
      await harness.publishRaw(topic, Buffer.from([0xff, 0x00, 0xfe, 0x7b]));
      await harness.publishRaw(topic, Buffer.from('{"method": 5, "args": []}'));
      await harness.publishRaw(topic, Buffer.from('{"method": "note", "version": "1.0", "args": "i=1"}'));
      await waitFor('three refusals in the log', () => warnings(s.lines).filter((m) => /Malformed/.test(m)).length === 3);
      const c = await client(topic);
      await c.cast('note', { i: 1 });
      assert.deepEqual(await c.call('echo', { data: 3 }), { data: 3, host: 'host-a' });
      assert.deepEqual(s.got, [{ i: 1 }]);
    });

    it('keeps the order of casts from one sender to one server', async () => {
      const topic = harness.topic('order');
      const s = await server(topic, 'host-a');
      const c = await client(topic);
      for (let i = 0; i < 300; i++) void c.cast('note', { i }, { server: i % 2 ? 'host-a' : undefined });
      await waitFor('300 casts', () => s.got.length >= 300);
      const perQueue = (odd: number) => s.got.filter((r) => r.i % 2 === odd).map((r) => r.i);
      assert.deepEqual(perQueue(1), [...Array(150).keys()].map((k) => 2 * k + 1), 'topic.host queue in order');
      assert.deepEqual(perQueue(0), [...Array(150).keys()].map((k) => 2 * k), 'shared topic queue in order');
    });

    it('fails a call at once with MessageUndeliverable when no server ever served the topic', async () => {
      const t = await open();
      await assert.rejects(
        t.call({ topic: harness.topic('nobody') }, raw('echo'), { timeoutMs: 60_000 }),
        (err: unknown) => err instanceof MessageUndeliverable,
      );
      await t.cast({ topic: harness.topic('nobody') }, raw('note'));
    });

    it("keeps a topic's and a host's messages for the next server after its server stopped", async () => {
      const topic = harness.topic('handover');
      const first = await server(topic, 'host-a');
      await first.handle.stop();
      const c = await client(topic);
      await c.cast('note', { i: 1 });
      await c.cast('note', { i: 2 }, { server: 'host-a' });
      await sleep(SETTLE_MS);
      assert.deepEqual(first.got, [], 'a stopped server gets nothing');
      const second = await server(topic, 'host-a');
      await waitFor('both casts on the next server', () => second.got.length === 2);
      assert.deepEqual(second.got.map((r) => r.i).sort(), [1, 2]);
    });
  });
}
