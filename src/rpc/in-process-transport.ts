/**
 * The all-in-one transport: server and agents in one process exchange the same JSON bytes as over
 * RabbitMQ, through an InProcessHub that keeps RabbitMQ's queue semantics in miniature: a topic's
 * shared queue and per-host queues live from the first server that serves them (messages wait there
 * while no server consumes), a message for a queue nobody ever declared is dropped, each server's
 * fanout queue goes away with it, each queue delivers in order, round-robin between its consumers,
 * and always asynchronously (a handler never runs inside its sender's call).
 */
import type { Logger } from 'pino';
import { Dispatcher } from './dispatcher.js';
import { fanoutExchange, renderRequest, routingKey, uniqueName } from './message.js';
import { PendingCalls } from './pending-calls.js';
import { MessageDeliveryFailure, MessageUndeliverable } from './rpc-errors.js';
import type { Endpoint, RpcRequest, RpcServer, RpcTransport, Target } from './transport.js';

/** One message in a hub queue, with what AMQP carries beside the body. */
export interface HubMessage {
  body: Buffer;
  correlationId?: string;
  replyTo?: string;
  /** Dropped undelivered after this time (a call nobody waits for any more). */
  expiresAt?: number;
}

type Consumer = (message: HubMessage) => void;

class HubQueue {
  readonly messages: HubMessage[] = [];
  readonly consumers: Consumer[] = [];
  private next = 0;
  private scheduled = false;

  constructor(readonly autoDelete: boolean) {}

  push(message: HubMessage): void {
    this.messages.push(message);
    this.schedule();
  }

  schedule(): void {
    if (this.scheduled || !this.messages.length || !this.consumers.length) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    while (this.messages.length && this.consumers.length) {
      const message = this.messages.shift() as HubMessage;
      if (message.expiresAt !== undefined && message.expiresAt < Date.now()) continue;
      this.consumers[this.next++ % this.consumers.length](message);
    }
  }
}

/** The queues of one process; every InProcessTransport on the same hub reaches the others. */
export class InProcessHub {
  private readonly queues = new Map<string, HubQueue>();
  /** Topic → the queues bound to its fanout exchange. */
  private readonly fanouts = new Map<string, Set<string>>();

  /** Creates the queue unless it exists (idempotent, like queue.declare). */
  declare(queue: string, opts: { autoDelete?: boolean; fanoutOf?: string } = {}): void {
    if (!this.queues.has(queue)) this.queues.set(queue, new HubQueue(opts.autoDelete ?? false));
    if (opts.fanoutOf !== undefined) {
      const bound = this.fanouts.get(opts.fanoutOf) ?? new Set<string>();
      this.fanouts.set(opts.fanoutOf, bound.add(queue));
    }
  }

  /** Puts a message on a queue; false when there is no such queue (the message is dropped, like an unroutable one). */
  publish(queue: string, message: HubMessage): boolean {
    const q = this.queues.get(queue);
    if (!q) return false;
    q.push(message);
    return true;
  }

  /** Puts a copy on every queue bound to the topic's fanout exchange; how many got one. */
  publishFanout(topic: string, message: HubMessage): number {
    const bound = [...(this.fanouts.get(topic) ?? [])];
    for (const queue of bound) this.publish(queue, message);
    return bound.length;
  }

  /** Starts delivering the queue's messages to `consumer`; the returned function stops (and deletes an auto-delete queue). */
  consume(queue: string, consumer: Consumer): () => void {
    const q = this.queues.get(queue);
    if (!q) throw new Error(`no queue ${queue}`);
    const safe: Consumer = (m) => {
      try {
        consumer(m);
      } catch {
        // consumers handle their own errors; the queue keeps delivering
      }
    };
    q.consumers.push(safe);
    q.schedule();
    return () => {
      q.consumers.splice(q.consumers.indexOf(safe), 1);
      if (q.autoDelete && !q.consumers.length) this.delete(queue);
    };
  }

  private delete(queue: string): void {
    this.queues.delete(queue);
    for (const bound of this.fanouts.values()) bound.delete(queue);
  }
}

/** The hub of this process, shared by every transport created without one. */
export const processHub = new InProcessHub();

export interface InProcessTransportOptions {
  logger: Logger;
  hub?: InProcessHub;
  /** Default call timeout ([DEFAULT] rpc_response_timeout, in milliseconds). */
  responseTimeoutMs?: number;
}

export class InProcessTransport implements RpcTransport {
  readonly connected = true;
  private readonly hub: InProcessHub;
  private readonly logger: Logger;
  private readonly responseTimeoutMs: number;
  private readonly pending = new PendingCalls();
  private readonly stops = new Set<() => void>();
  private replyQueue?: string;
  private closed = false;

  constructor(opts: InProcessTransportOptions) {
    this.hub = opts.hub ?? processHub;
    this.logger = opts.logger;
    this.responseTimeoutMs = opts.responseTimeoutMs ?? 60_000;
  }

  async cast(target: Target, request: RpcRequest): Promise<void> {
    this.checkOpen();
    if (!this.hub.publish(routingKey(target), { body: renderRequest(request) })) {
      this.logger.debug({ target: routingKey(target), method: request.method }, 'RPC cast dropped: no server ever served its queue');
    }
  }

  async fanout(topic: string, request: RpcRequest): Promise<void> {
    this.checkOpen();
    this.hub.publishFanout(topic, { body: renderRequest(request) });
  }

  async call(target: Target, request: RpcRequest, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    this.checkOpen();
    const timeoutMs = opts.timeoutMs ?? this.responseTimeoutMs;
    const body = renderRequest(request);
    const { msgId, reply } = this.pending.open(target.topic, request.method, timeoutMs);
    const message = { body, correlationId: msgId, replyTo: this.ensureReplyQueue(), expiresAt: Date.now() + timeoutMs };
    if (!this.hub.publish(routingKey(target), message)) {
      this.pending.fail(msgId, new MessageUndeliverable({ target: routingKey(target), method: request.method }));
    }
    return reply;
  }

  async serve(target: Required<Target>, endpoints: Endpoint[]): Promise<RpcServer> {
    this.checkOpen();
    const dispatcher = new Dispatcher(endpoints, this.logger, target.topic);
    const consumer = (m: HubMessage) => void this.deliver(dispatcher, m);
    const fanoutQueue = uniqueName(fanoutExchange(target.topic));
    this.hub.declare(target.topic);
    this.hub.declare(routingKey(target));
    this.hub.declare(fanoutQueue, { autoDelete: true, fanoutOf: target.topic });
    const cancels = [target.topic, routingKey(target), fanoutQueue].map((q) => this.hub.consume(q, consumer));
    const stop = () => {
      for (const cancel of cancels.splice(0)) cancel();
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return { stop: async () => stop() };
  }

  onReconnect(): () => void {
    return () => {};
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of [...this.stops]) stop();
    this.pending.failAll(new MessageDeliveryFailure({ reason: 'RPC transport closed while waiting for a reply' }));
  }

  private async deliver(dispatcher: Dispatcher, m: HubMessage): Promise<void> {
    const reply = await dispatcher.handle(m.body, m.replyTo !== undefined);
    if (reply === undefined || m.replyTo === undefined) return;
    if (!this.hub.publish(m.replyTo, { body: reply, correlationId: m.correlationId })) {
      this.logger.debug({ msgId: m.correlationId }, 'RPC reply dropped: the caller went away');
    }
  }

  private ensureReplyQueue(): string {
    if (this.replyQueue) return this.replyQueue;
    const queue = uniqueName('reply');
    this.hub.declare(queue, { autoDelete: true });
    const cancel = this.hub.consume(queue, (m) => {
      if (!this.pending.settle(m.correlationId, m.body)) this.logger.debug({ msgId: m.correlationId }, 'RPC reply dropped: no call waits for it');
    });
    this.stops.add(cancel);
    this.replyQueue = queue;
    return queue;
  }

  private checkOpen(): void {
    if (this.closed) throw new MessageDeliveryFailure({ reason: 'RPC transport is closed' });
  }
}
