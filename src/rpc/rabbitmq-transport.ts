/**
 * The RabbitMQ transport, laid out like oslo.messaging's rabbit driver so that operators find the
 * queues they know: casts and calls go through the topic exchange `control_exchange` (`neutron`)
 * with routing key `<topic>` or `<topic>.<host>`; a server consumes the shared queue `<topic>`
 * (its servers take turns), its own `<topic>.<host>`, and a `<topic>_fanout_<id>` queue bound to
 * the fanout exchange `<topic>_fanout`. Replies go through the default exchange to the caller's
 * own `reply_<id>` queue (exclusive, auto-delete), matched by correlation id.
 *
 * Queues are not durable (oslo.messaging's default): topic and per-host queues outlive their
 * consumers (so messages wait across a server's reconnection) but not a broker restart; fanout and
 * reply queues go with their connection. A delivery is acknowledged after its handler finished,
 * so one whose server lost its connection meanwhile is delivered again.
 */
import type { ConfirmChannel, ConsumeMessage, Message } from 'amqplib';
import os from 'node:os';
import type { Logger } from 'pino';
import { Dispatcher } from './dispatcher.js';
import { fanoutExchange, renderRequest, routingKey, uniqueName } from './message.js';
import { PendingCalls } from './pending-calls.js';
import { RabbitConnection, type Outgoing } from './rabbitmq-connection.js';
import { MessageDeliveryFailure, MessageUndeliverable } from './rpc-errors.js';
import type { RabbitHost } from './transport-url.js';
import type { Endpoint, RpcRequest, RpcServer, RpcTransport, Target } from './transport.js';

export interface RabbitTransportOptions {
  hosts: RabbitHost[];
  vhost: string;
  logger: Logger;
  /** The topic exchange ([DEFAULT] control_exchange). */
  controlExchange?: string;
  /** Default call timeout ([DEFAULT] rpc_response_timeout, in milliseconds). */
  responseTimeoutMs?: number;
  /** Messages one server handles at once ([DEFAULT] executor_thread_pool_size). */
  prefetch?: number;
  retryIntervalMs?: number;
  retryMaxMs?: number;
  /** Messages held while RabbitMQ is unreachable or has not confirmed them ([oslo_messaging_rabbit] cast_buffer_size). */
  bufferSize?: number;
  /** How this process shows in `rabbitmqctl list_connections client_properties`. */
  name?: string;
}

const JSON_TYPE = 'application/json';
/** oslo.messaging's defaults for exchanges and topic queues: not durable, not auto-deleted. */
const TRANSIENT = { durable: false, autoDelete: false };

export class RabbitTransport implements RpcTransport {
  private readonly connection: RabbitConnection;
  private readonly logger: Logger;
  private readonly exchange: string;
  private readonly responseTimeoutMs: number;
  private readonly pending = new PendingCalls();
  private readonly servers = new Set<() => Promise<void>>();
  private replyQueue?: { name: string; ready: Promise<unknown> };
  private closed = false;

  constructor(opts: RabbitTransportOptions) {
    this.logger = opts.logger;
    this.exchange = opts.controlExchange ?? 'neutron';
    this.responseTimeoutMs = opts.responseTimeoutMs ?? 60_000;
    this.connection = new RabbitConnection({
      hosts: opts.hosts,
      vhost: opts.vhost,
      logger: opts.logger,
      name: opts.name ?? `nucleon:${os.hostname()}:${process.pid}`,
      retryIntervalMs: opts.retryIntervalMs ?? 1000,
      retryMaxMs: opts.retryMaxMs ?? 30_000,
      bufferSize: opts.bufferSize ?? 10_000,
      prefetch: opts.prefetch ?? 64,
    });
    this.connection.onReturn = (m) => this.returned(m);
    // Every connection declares the topic exchange before anything is published through it.
    void this.connection
      .addStep(async (ch) => {
        await ch.assertExchange(this.exchange, 'topic', TRANSIENT);
      })
      .catch(() => {});
  }

  get connected(): boolean {
    return this.connection.connected;
  }

  async cast(target: Target, request: RpcRequest): Promise<void> {
    this.send({ exchange: this.exchange, routingKey: routingKey(target), body: renderRequest(request), options: this.props(request) });
  }

  async fanout(topic: string, request: RpcRequest): Promise<void> {
    const exchange = fanoutExchange(topic);
    this.send({ exchange, routingKey: '', body: renderRequest(request), options: this.props(request), declare: { exchange, type: 'fanout' } });
  }

  async call(target: Target, request: RpcRequest, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? this.responseTimeoutMs;
    const body = renderRequest(request);
    const { msgId, reply } = this.pending.open(target.topic, request.method, timeoutMs);
    try {
      const replyTo = this.ensureReplyQueue();
      await Promise.race([replyTo.ready, reply]);
      this.send({
        exchange: this.exchange,
        routingKey: routingKey(target),
        body,
        options: { ...this.props(request), correlationId: msgId, replyTo: replyTo.name, expiration: String(timeoutMs) },
        expiresAt: Date.now() + timeoutMs,
      });
    } catch (err) {
      this.pending.fail(msgId, err as Error);
    }
    return reply;
  }

  async serve(target: Required<Target>, endpoints: Endpoint[]): Promise<RpcServer> {
    if (this.closed) throw new MessageDeliveryFailure({ reason: 'RPC transport is closed' });
    const dispatcher = new Dispatcher(endpoints, this.logger, target.topic);
    const fanoutQueue = uniqueName(fanoutExchange(target.topic));
    let consumers: { ch: ConfirmChannel; tags: string[] } | undefined;
    const remove = await this.connection.addStep(async (ch) => {
      for (const queue of [target.topic, routingKey(target)]) {
        await ch.assertQueue(queue, TRANSIENT);
        await ch.bindQueue(queue, this.exchange, queue);
      }
      await ch.assertExchange(fanoutExchange(target.topic), 'fanout', TRANSIENT);
      await ch.assertQueue(fanoutQueue, { durable: false, autoDelete: true });
      await ch.bindQueue(fanoutQueue, fanoutExchange(target.topic), '');
      const tags: string[] = [];
      for (const queue of [target.topic, routingKey(target), fanoutQueue]) {
        tags.push((await ch.consume(queue, (m) => void this.deliver(ch, dispatcher, queue, m))).consumerTag);
      }
      consumers = { ch, tags };
    });
    const stop = async () => {
      this.servers.delete(stop);
      remove();
      const ch = this.connection.channel();
      if (consumers && consumers.ch === ch) await Promise.all(consumers.tags.map((tag) => ch.cancel(tag).catch(() => {})));
    };
    this.servers.add(stop);
    return { stop };
  }

  onReconnect(listener: () => void): () => void {
    return this.connection.onReconnect(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.servers].map((stop) => stop()));
    this.pending.failAll(new MessageDeliveryFailure({ reason: 'RPC transport closed while waiting for a reply' }));
    await this.connection.close();
  }

  private props(request: RpcRequest) {
    return { contentType: JSON_TYPE, deliveryMode: 1, mandatory: true, type: request.method };
  }

  private send(out: Outgoing): void {
    if (this.closed) throw new MessageDeliveryFailure({ reason: 'RPC transport is closed' });
    this.connection.publish(out);
  }

  private async deliver(ch: ConfirmChannel, dispatcher: Dispatcher, queue: string, m: ConsumeMessage | null): Promise<void> {
    if (m === null) {
      // The broker cancelled the consumer (its queue was deleted): reconnecting declares it again.
      this.connection.reset(`consumer of ${queue} cancelled by the broker`);
      return;
    }
    const { replyTo, correlationId } = m.properties as { replyTo?: string; correlationId?: string };
    const reply = await dispatcher.handle(m.content, typeof replyTo === 'string' && replyTo !== '');
    if (reply && replyTo) {
      try {
        this.send({ exchange: '', routingKey: replyTo, body: reply, options: { contentType: JSON_TYPE, correlationId, mandatory: true } });
      } catch (err) {
        this.logger.warn({ msgId: correlationId, err: (err as Error).message }, 'RPC reply not sent');
      }
    }
    this.connection.ack(ch, m);
  }

  /** The per-process reply queue, declared on first use and again after every reconnection. */
  private ensureReplyQueue(): { name: string; ready: Promise<unknown> } {
    if (this.replyQueue) return this.replyQueue;
    const name = uniqueName('reply');
    const ready = this.connection.addStep(async (ch) => {
      await ch.assertQueue(name, { exclusive: true, autoDelete: true, durable: false });
      await ch.consume(name, (m) => this.replied(m), { noAck: true });
    });
    ready.catch(() => {});
    this.replyQueue = { name, ready };
    return this.replyQueue;
  }

  private replied(m: ConsumeMessage | null): void {
    if (m === null) {
      this.connection.reset('reply queue consumer cancelled by the broker');
      return;
    }
    const msgId = m.properties.correlationId as string | undefined;
    if (!this.pending.settle(msgId, m.content)) this.logger.debug({ msgId }, 'RPC reply dropped: no call waits for it');
  }

  /** A message the broker could not route: a call fails at once, anything else is dropped. */
  private returned(m: Message): void {
    const msgId = m.properties.correlationId as string | undefined;
    const to = m.fields.routingKey || m.fields.exchange;
    if (m.fields.exchange === '') {
      this.logger.debug({ msgId }, 'RPC reply dropped: the caller went away');
    } else if (msgId && m.properties.replyTo) {
      this.pending.fail(msgId, new MessageUndeliverable({ target: to, method: String(m.properties.type) }));
    } else {
      this.logger.debug({ to, method: m.properties.type }, 'RPC cast dropped: no queue is bound for it');
    }
  }
}
