/**
 * One self-healing connection to RabbitMQ for one transport: a connection and a confirm channel
 * that come back on their own. When either closes (broker restart, `rabbitmqctl
 * close_all_connections`, network loss) it reconnects with capped, jittered exponential backoff,
 * trying the cluster's hosts in turn, then re-runs every topology step (exchanges, queues,
 * bindings, consumers) before anything is published again.
 *
 * Outgoing messages go through one ordered outbox: sent at once while connected, held while not,
 * and kept until the broker confirms them. Messages unconfirmed when a connection dies are sent
 * again, first, after the reconnection, so nothing accepted is lost to a connection drop, but one
 * may arrive twice. The outbox is bounded (`bufferSize`): past that, `publish` throws
 * MessageDeliveryFailure at once, rather than holding memory for a broker that may be gone for long.
 */
import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import type { Logger } from 'pino';
import { MessageDeliveryFailure } from './rpc-errors.js';
import { describeHost, type RabbitHost } from './transport-url.js';

/** One message to publish. */
export interface Outgoing {
  exchange: string;
  routingKey: string;
  body: Buffer;
  options: Options.Publish;
  /** An exchange to declare (once per connection) before publishing to it. */
  declare?: { exchange: string; type: 'fanout' };
  /** Not sent after this time (a call nobody waits for any more). */
  expiresAt?: number;
  /** Which send this is, so that a late confirm of an earlier send is not taken for this one. */
  sendId?: number;
}

/** Declares exchanges, queues, bindings and consumers on a fresh channel; runs after every (re)connection. */
export type TopologyStep = (ch: ConfirmChannel) => Promise<void>;

interface Step {
  run: TopologyStep;
  done: boolean;
  resolve(): void;
  reject(err: Error): void;
}

export interface RabbitConnectionOptions {
  hosts: RabbitHost[];
  vhost: string;
  logger: Logger;
  /** Shown in RabbitMQ's connection list (`connection_name`). */
  name: string;
  /** First reconnection delay; doubles per failed attempt up to `retryMaxMs`; each delay is jittered to 50–100 %. */
  retryIntervalMs: number;
  retryMaxMs: number;
  /** Messages held (unsent or unconfirmed) at most. */
  bufferSize: number;
  /** Unacknowledged deliveries per consumer: how many messages a server handles at once. */
  prefetch: number;
}

const CONNECT_TIMEOUT_MS = 10_000;

export class RabbitConnection {
  private conn?: ChannelModel;
  private ch?: ConfirmChannel;
  private state: 'connecting' | 'ready' | 'closed' = 'connecting';
  private hostIndex = 0;
  private everConnected = false;
  private readonly steps: Step[] = [];
  private readonly outbox: Outgoing[] = [];
  /** Published, not yet confirmed, in publishing order. */
  private readonly inflight = new Set<Outgoing>();
  private declared = new Set<string>();
  private sendSeq = 0;
  private pumping = false;
  private wake?: () => void;
  private readonly reconnectListeners = new Set<() => void>();
  /** Channels that have closed: a step that failed on one is run again by the reconnection. */
  private readonly closedChannels = new WeakSet<ConfirmChannel>();
  private readonly log: Logger;
  /** Messages the broker could not route (`mandatory`): no queue for them. */
  onReturn: (message: Message) => void = () => {};

  constructor(private readonly opts: RabbitConnectionOptions) {
    this.log = opts.logger;
    void this.run();
  }

  /** A getter, so that TypeScript does not narrow the state across awaits. */
  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  get connected(): boolean {
    return this.state === 'ready';
  }

  /** Holds or sends a message; throws MessageDeliveryFailure when closed or when `bufferSize` messages wait already. */
  publish(out: Outgoing): void {
    if (this.state === 'closed') throw new MessageDeliveryFailure({ reason: 'RPC transport is closed' });
    const waiting = this.outbox.length + this.inflight.size;
    if (waiting >= this.opts.bufferSize) {
      throw new MessageDeliveryFailure({
        reason: `RabbitMQ ${this.connected ? 'is not confirming messages' : 'is unreachable'}: ${waiting} messages wait already ([oslo_messaging_rabbit] cast_buffer_size); message to ${out.routingKey || out.exchange} not sent`,
      });
    }
    this.outbox.push(out);
    this.pump();
  }

  /**
   * Adds a topology step, run now if connected and after every reconnection. Resolves once it has
   * run (so a server's queues exist); the returned function removes it.
   */
  async addStep(run: TopologyStep): Promise<() => void> {
    if (this.state === 'closed') throw new MessageDeliveryFailure({ reason: 'RPC transport is closed' });
    let step!: Step;
    const ran = new Promise<void>((resolve, reject) => {
      step = { run, done: false, resolve, reject };
    });
    this.steps.push(step);
    const remove = () => {
      const i = this.steps.indexOf(step);
      if (i >= 0) this.steps.splice(i, 1);
    };
    const ch = this.channel();
    if (ch) {
      // Connecting runs the list itself (a step added meanwhile is picked up there).
      this.runStep(step, ch).catch((err: Error) => {
        if (this.closedChannels.has(ch)) return; // lost with its channel: the reconnection runs it
        remove();
        step.reject(err);
      });
    }
    await ran;
    return remove;
  }

  /** The channel of the present connection, if connected. */
  channel(): ConfirmChannel | undefined {
    return this.state === 'ready' ? this.ch : undefined;
  }

  /** Acknowledges a delivery; one from a channel that has closed meanwhile is redelivered by the broker anyway. */
  ack(ch: ConfirmChannel, message: Message): void {
    try {
      ch.ack(message);
    } catch {
      this.log.debug('RPC delivery not acknowledged: its channel closed; the broker redelivers it');
    }
  }

  /** Drops the present connection and reconnects (used when the broker cancels one of our consumers). */
  reset(reason: string): void {
    this.log.warn({ reason }, 'RabbitMQ connection reset; reconnecting');
    this.conn?.close().catch(() => {});
  }

  onReconnect(listener: () => void): () => void {
    this.reconnectListeners.add(listener);
    return () => this.reconnectListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const ch = this.channel();
    if (ch && !this.outbox.length) {
      // Give what was just published a moment to be confirmed, so a clean stop loses nothing.
      await Promise.race([ch.waitForConfirms().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
    this.state = 'closed';
    this.wake?.();
    const dropped = this.outbox.length + this.inflight.size;
    if (dropped) this.log.warn({ dropped }, 'RPC transport closed with messages not confirmed by RabbitMQ; they are dropped');
    this.outbox.length = 0;
    this.inflight.clear();
    for (const step of this.steps.splice(0)) if (!step.done) step.reject(new MessageDeliveryFailure({ reason: 'RPC transport closed' }));
    await this.conn?.close().catch(() => {});
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let conn: ChannelModel | undefined;
    while (!this.isClosed) {
      const host = this.opts.hosts[this.hostIndex];
      const where = describeHost(host, this.opts.vhost);
      conn = undefined;
      try {
        // loaded on first use: a server on the in-process bus never needs the AMQP client
        const { default: amqp } = await import('amqplib');
        conn = await amqp.connect(
          { protocol: 'amqp', hostname: host.hostname, port: host.port, username: host.username, password: host.password, vhost: this.opts.vhost },
          { timeout: CONNECT_TIMEOUT_MS, clientProperties: { connection_name: this.opts.name } },
        );
        const lost = new Promise<Error | undefined>((resolve) => conn?.on('close', resolve));
        conn.on('error', (err: Error) => this.log.debug({ err: err.message }, 'RabbitMQ connection error'));
        conn.on('blocked', (reason: string) => this.log.warn({ reason }, 'RabbitMQ blocks publishing (resource alarm)'));
        conn.on('unblocked', () => this.log.info('RabbitMQ unblocked publishing'));
        if (this.isClosed) break;
        const ch = await conn.createConfirmChannel();
        const c = conn;
        ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'RabbitMQ channel error'));
        // A channel lost alone (e.g. a refused declaration) is healed like a lost connection.
        ch.on('close', () => {
          this.closedChannels.add(ch);
          void c.close().catch(() => {});
        });
        ch.on('return', (m: Message) => this.onReturn(m));
        await ch.prefetch(this.opts.prefetch);
        this.conn = conn;
        this.ch = ch;
        this.declared = new Set();
        // Every step once, including steps added (and skipping steps removed) while this runs.
        const ran = new Set<Step>();
        for (let step: Step | undefined = this.steps[0]; step; step = this.steps.find((s) => !ran.has(s))) {
          ran.add(step);
          await this.runStep(step, ch);
        }
        if (this.isClosed) break;
        this.state = 'ready';
        attempt = 0;
        this.log.info({ host: where, resend: this.outbox.length }, this.everConnected ? 'RabbitMQ reconnected' : 'RabbitMQ connected');
        this.pump();
        if (this.everConnected) for (const listener of [...this.reconnectListeners]) this.notify(listener);
        this.everConnected = true;
        const err = await lost;
        if (this.isClosed) break;
        this.down(where, err);
      } catch (err) {
        if (this.isClosed) break;
        this.log.warn({ host: where, err: (err as Error).message, attempt }, 'RabbitMQ connection failed');
        this.down(where, undefined);
        conn?.close().catch(() => {});
        this.hostIndex = (this.hostIndex + 1) % this.opts.hosts.length;
      }
      await this.sleep(this.backoff(attempt++));
    }
    // Closed while connecting: the connection just made is not kept.
    await conn?.close().catch(() => {});
  }

  private async runStep(step: Step, ch: ConfirmChannel): Promise<void> {
    await step.run(ch);
    if (!step.done) {
      step.done = true;
      step.resolve();
    }
  }

  /** The connection is gone: unconfirmed messages go back to the front of the outbox, in order. */
  private down(where: string, err: Error | undefined): void {
    if (this.state === 'closed') return;
    const wasReady = this.state === 'ready';
    this.state = 'connecting';
    this.conn = undefined;
    this.ch = undefined;
    this.outbox.unshift(...this.inflight);
    this.inflight.clear();
    if (wasReady) this.log.warn({ host: where, err: err?.message, held: this.outbox.length }, 'RabbitMQ connection lost; reconnecting');
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.opts.retryMaxMs, this.opts.retryIntervalMs * 2 ** Math.min(attempt, 30));
    return base * (0.5 + Math.random() / 2);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private pump(): void {
    if (!this.pumping) void this.drain();
  }

  /** Sends the outbox in order while connected; only declaring a new exchange waits. */
  private async drain(): Promise<void> {
    this.pumping = true;
    try {
      while (this.state === 'ready' && this.ch && this.outbox.length) {
        const ch = this.ch;
        const out = this.outbox[0];
        if (out.expiresAt !== undefined && out.expiresAt < Date.now()) {
          this.outbox.shift();
          continue;
        }
        if (out.declare && !this.declared.has(out.declare.exchange)) {
          try {
            await ch.assertExchange(out.declare.exchange, out.declare.type, { durable: false, autoDelete: false });
            if (ch === this.ch) this.declared.add(out.declare.exchange);
          } catch {
            return; // the channel closed: the reconnection sends it
          }
          continue;
        }
        this.outbox.shift();
        this.send(ch, out);
      }
    } finally {
      this.pumping = false;
    }
  }

  private send(ch: ConfirmChannel, out: Outgoing): void {
    const sendId = ++this.sendSeq;
    out.sendId = sendId;
    this.inflight.add(out);
    try {
      ch.publish(out.exchange, out.routingKey, out.body, out.options, (err: unknown) => {
        if (!err) {
          if (out.sendId === sendId) this.inflight.delete(out);
          return;
        }
        // A closing channel fails every unconfirmed message (`down` keeps them); a nack is a refusal.
        setImmediate(() => {
          if (out.sendId !== sendId || !this.inflight.has(out) || ch !== this.ch) return;
          this.inflight.delete(out);
          this.log.warn({ to: out.routingKey || out.exchange }, 'RabbitMQ refused a message (nack); dropped');
        });
      });
    } catch {
      // The channel is closing; its close event brings `down`, which keeps the message.
    }
  }

  private notify(listener: () => void): void {
    try {
      listener();
    } catch (err) {
      this.log.error({ err }, 'RPC reconnect listener failed');
    }
  }
}
