/**
 * RabbitMQ for tests: the broker on 127.0.0.1:5672 as guest (or NUCLEON_TEST_TRANSPORT_URL).
 * Tests skip with the reason when it does not answer; under CI (CI=true) that fails the run
 * instead, as for the databases (helpers/dialects.ts). Names are unique per run, and
 * `deleteNames` removes what a run declared.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import amqp from 'amqplib';
import { parseTransportUrl, type RabbitHost } from '../../src/rpc/transport-url.js';

export const RABBIT_URL = process.env.NUCLEON_TEST_TRANSPORT_URL ?? 'rabbit://guest:guest@127.0.0.1:5672/';

const parsed = parseTransportUrl(RABBIT_URL);
if (parsed.driver !== 'rabbit') throw new Error('NUCLEON_TEST_TRANSPORT_URL must be a rabbit:// URL');
export const RABBIT = { hosts: parsed.hosts, vhost: parsed.vhost };

const connectOptions = (h: RabbitHost) => ({ protocol: 'amqp', hostname: h.hostname, port: h.port, username: h.username, password: h.password, vhost: RABBIT.vhost });

/** For `describe(name, { skip })`: the reason to skip, or undefined; under CI an unreachable RabbitMQ throws. */
export async function rabbitSkipReason(): Promise<string | undefined> {
  let why: string | undefined;
  try {
    const conn = await amqp.connect(connectOptions(RABBIT.hosts[0]), { timeout: 3000 });
    await conn.close();
  } catch (err) {
    why = `RabbitMQ not reachable at ${RABBIT.hosts[0].hostname}:${RABBIT.hosts[0].port} as ${RABBIT.hosts[0].username}: ${(err as Error).message}`;
  }
  if (why && process.env.CI === 'true') throw new Error(`RabbitMQ is required under CI: ${why}`);
  return why;
}

/** A prefix for this run's topics and exchanges. */
export const runPrefix = (what: string) => `nucleon-test-${what}-${randomBytes(4).toString('hex')}`;

/** A plain amqplib connection, past the transport under test (wait for confirms before closing it). */
export async function rawChannel(): Promise<{ ch: amqp.ConfirmChannel; close(): Promise<void> }> {
  const conn = await amqp.connect(connectOptions(RABBIT.hosts[0]));
  const ch = await conn.createConfirmChannel();
  return { ch, close: () => conn.close() };
}

/** Deletes queues and exchanges by name (missing ones are fine). */
export async function deleteNames(names: { queues: string[]; exchanges: string[] }): Promise<void> {
  const { ch, close } = await rawChannel();
  for (const q of names.queues) await ch.deleteQueue(q);
  for (const x of names.exchanges) await ch.deleteExchange(x);
  await close();
}

/**
 * A RabbitMQ virtual host of its own for a test run (`rabbitmqctl add_vhost`, guest allowed), so
 * that servers and agents started by the test meet nobody else's; `remove()` deletes it with
 * everything in it. Throws when rabbitmqctl is unusable.
 */
export function testVhost(what: string): { name: string; url: string; remove(): void } {
  const name = runPrefix(what);
  execFileSync('rabbitmqctl', ['-q', 'add_vhost', name], { timeout: 60_000 });
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { timeout: 60_000 });
  return {
    name,
    url: `rabbit://guest:guest@127.0.0.1:5672/${name}`,
    remove() {
      try {
        execFileSync('rabbitmqctl', ['-q', 'delete_vhost', name], { timeout: 60_000 });
      } catch {
        /* already gone */
      }
    },
  };
}

/** For `describe`/`test` skip: also needs rabbitmqctl (a virtual host per run); under CI a missing one fails. */
export async function rabbitctlSkipReason(): Promise<string | undefined> {
  const why = await rabbitSkipReason();
  if (why) return why;
  try {
    execFileSync('rabbitmqctl', ['-q', 'status'], { stdio: 'ignore', timeout: 60_000 });
    return undefined;
  } catch (err) {
    const reason = `rabbitmqctl not usable (a virtual host per run needs it): ${(err as Error).message}`;
    if (process.env.CI === 'true') throw new Error(reason);
    return reason;
  }
}
