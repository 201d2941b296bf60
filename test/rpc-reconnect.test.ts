/**
 * The RabbitMQ transport across a lost connection: `rabbitmqctl close_all_connections` in the middle
 * of traffic (it closes every client's connection on this machine), a broker that cannot be reached
 * at all, and a transport_url whose first host is down. What is lost in the window is counted and
 * checked against what ARCHITECTURE.md promises: no cast to a topic or host queue is lost (held or
 * resent, possibly twice); fanouts to a server are lost only while that server is disconnected.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pino from 'pino';
import { defineApi, endpoint, RpcClient } from '../src/rpc/rpc-api.js';
import { RabbitTransport, type RabbitTransportOptions } from '../src/rpc/rabbitmq-transport.js';
import { MessageDeliveryFailure, MessagingTimeout } from '../src/rpc/rpc-errors.js';
import { parseTransportUrl } from '../src/rpc/transport-url.js';
import { capturingLogger, sleep, waitFor } from '../src/rpc/transport.contract.js';
import { deleteNames, rabbitSkipReason, runPrefix, RABBIT } from './helpers/rabbitmq.js';

const run = promisify(execFile);

async function skipReason(): Promise<string | undefined> {
  const why = await rabbitSkipReason();
  if (why) return why;
  try {
    await run('rabbitmqctl', ['-q', 'status'], { timeout: 30_000 });
    return undefined;
  } catch (err) {
    const reason = `rabbitmqctl does not work here (the test closes connections with it): ${(err as Error).message.split('\n')[0]}`;
    if (process.env.CI === 'true') throw new Error(reason);
    return reason;
  }
}

type Note = { kind: 'cast' | 'fanout'; i: number };
type Api = { note(args: Note): void; echo(args: { data: unknown }): unknown; slow(args: { ms: number }): string };
const API = defineApi<Api>({ version: '1.0' });

describe('RabbitMQ transport: reconnection', { skip: await skipReason() }, () => {
  const prefix = runPrefix('reconnect');
  const topic = `${prefix}-agent`;
  const quiet = pino({ level: 'silent' });
  const transport = (opts: Partial<RabbitTransportOptions> = {}) =>
    new RabbitTransport({ ...RABBIT, logger: quiet, controlExchange: prefix, retryIntervalMs: 500, retryMaxMs: 2000, ...opts });

  after(() => deleteNames({ queues: [topic, `${topic}.host-a`], exchanges: [prefix, `${topic}_fanout`] }));

  it('survives close_all_connections mid-traffic: both sides reconnect, no cast is lost, calls work again', async (t) => {
    const server = transport();
    const client = transport();
    const reconnected = { server: 0, client: 0 };
    server.onReconnect(() => reconnected.server++);
    client.onReconnect(() => reconnected.client++);
    const got = { cast: new Map<number, number>(), fanout: new Set<number>() };
    await server.serve({ topic, server: 'host-a' }, [
      endpoint(API, {
        note: ({ kind, i }) => void (kind === 'cast' ? got.cast.set(i, (got.cast.get(i) ?? 0) + 1) : got.fanout.add(i)),
        echo: ({ data }) => data,
        slow: async ({ ms }) => {
          await sleep(ms);
          return 'late';
        },
      }),
    ]);
    const c = new RpcClient(client, API, topic);
    assert.equal(await c.call('echo', { data: 'before' }), 'before');

    let casts = 0;
    let castsWhileDown = 0;
    let fanouts = 0;
    /** Fanouts sent after the server was back: those must all arrive. */
    let firstFanoutAfterServerBack: number | undefined;
    server.onReconnect(() => (firstFanoutAfterServerBack = fanouts));
    let sending = true;
    const traffic = (async () => {
      while (sending) {
        if (!client.connected) castsWhileDown++;
        await c.cast('note', { kind: 'cast', i: casts++ }, { server: 'host-a' });
        if (casts % 5 === 0) await c.fanout('note', { kind: 'fanout', i: fanouts++ });
        await sleep(5);
      }
    })();

    await sleep(300);
    const inFlight = c.call('slow', { ms: 1000 }, { timeoutMs: 5000 }).then(
      (v) => v,
      (err: unknown) => err,
    );
    await sleep(100);
    await run('rabbitmqctl', ['close_all_connections', 'test'], { timeout: 60_000 });
    await waitFor('both transports to reconnect', () => reconnected.server > 0 && reconnected.client > 0, 60_000);
    await sleep(300);
    sending = false;
    await traffic;

    await waitFor(`all ${casts} casts`, () => got.cast.size === casts, 30_000);
    const duplicates = [...got.cast.values()].filter((n) => n > 1).length;
    const fanoutsLost = fanouts - got.fanout.size;
    t.diagnostic(`casts ${casts} (sent while disconnected ${castsWhileDown}), all delivered, ${duplicates} twice; fanouts ${fanouts}, lost ${fanoutsLost}`);
    assert.ok(castsWhileDown > 0, 'some casts were issued while the client was disconnected');
    assert.ok(firstFanoutAfterServerBack !== undefined);
    for (let i = firstFanoutAfterServerBack; i < fanouts; i++) assert.ok(got.fanout.has(i), `fanout ${i}, sent after the server was back, arrived`);

    const outcome = await inFlight;
    assert.ok(outcome === 'late' || outcome instanceof MessagingTimeout, `a call in flight gets its reply or MessagingTimeout, not ${String(outcome)}`);
    assert.equal(await c.call('echo', { data: 'after' }, { timeoutMs: 10_000 }), 'after');
    assert.equal(server.connected && client.connected, true);
    await Promise.all([server.close(), client.close()]);
  });

  it('holds casts while the broker is unreachable up to the buffer size, then fails them clearly; calls time out', async () => {
    const { logger, lines } = capturingLogger();
    const down = transport({ hosts: [{ ...RABBIT.hosts[0], port: 1 }], logger, bufferSize: 5, retryIntervalMs: 50, retryMaxMs: 200 });
    assert.equal(down.connected, false);
    for (let i = 0; i < 5; i++) await down.cast({ topic }, { method: 'note', version: '1.0', args: { kind: 'cast', i } });
    await assert.rejects(down.cast({ topic }, { method: 'note', version: '1.0', args: {} }), (err: unknown) => {
      assert.ok(err instanceof MessageDeliveryFailure);
      assert.match(err.message, /unreachable: 5 messages wait already .*cast_buffer_size/);
      return true;
    });
    await assert.rejects(down.call({ topic }, { method: 'echo', version: '1.0', args: {} }, { timeoutMs: 300 }), MessagingTimeout);
    await waitFor('a failed connection attempt to be logged', () => lines.some((l) => l.msg === 'RabbitMQ connection failed'));
    await down.close();
    assert.ok(lines.some((l) => /closed with messages not confirmed/.test(l.msg) && l.dropped === 5), 'the casts dropped at close are counted in the log');
  });

  it('connects through the next host of transport_url when the first is down, and sends what it held meanwhile', async () => {
    const h = RABBIT.hosts[0];
    const url = parseTransportUrl(`rabbit://${h.username}:${h.password}@127.0.0.1:1,${h.username}:${h.password}@${h.hostname}:${h.port}/`);
    assert.equal(url.driver, 'rabbit');
    const server = transport();
    const got: number[] = [];
    await server.serve({ topic, server: 'host-a' }, [endpoint(API, { note: ({ i }) => void got.push(i), echo: ({ data }) => data, slow: () => 'late' })]);
    const { logger, lines } = capturingLogger();
    const client = transport({ hosts: url.driver === 'rabbit' ? url.hosts : [], logger, retryIntervalMs: 50 });
    const c = new RpcClient(client, API, topic);
    await c.cast('note', { kind: 'cast', i: 1 }, { server: 'host-a' });
    assert.equal(await c.call('echo', { data: 'via host 2' }, { timeoutMs: 10_000 }), 'via host 2');
    await waitFor('the cast held before connecting', () => got.length === 1);
    assert.ok(lines.some((l) => l.msg === 'RabbitMQ connection failed' && String(l.host).includes(':1/')), 'the first host was tried');
    await Promise.all([server.close(), client.close()]);
  });
});
