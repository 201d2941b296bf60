/**
 * Notifications leave only after the data they describe is committed: an agent told about a port
 * must find it when it asks the server. A unit of work collects its casts and fanouts in an
 * Outbox; they are sent, in order, once the transaction committed, and forgotten if it rolled
 * back. `Database.transaction` runs its unit again after losing a race, so every attempt gets a
 * fresh outbox and only the committed attempt's messages are sent.
 *
 *   const port = await notifier.transaction(database, async (trx, outbox) => {
 *     const port = await writePort(trx, …);
 *     outbox.fanout(portUpdates, 'port_update', { port, … });
 *     return port;
 *   });
 *
 * Code deeper in the unit that only has `trx` (hooks) finds the same outbox with `outboxOf(trx)`.
 * A message that cannot be sent after the commit is logged and dropped, never failing the request:
 * agents heal it with their periodic resync.
 */
import type { Logger } from 'pino';
import type { RpcArgs, RpcClient, RpcMethods } from './rpc-api.js';

/** What runs a unit of work in a transaction, retrying it whole (Database.transaction). */
export interface TransactionRunner<Trx> {
  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T>;
}

interface Collected {
  what: string;
  send(): Promise<void>;
}

/** The casts and fanouts of one unit of work, not sent yet. */
export class Outbox {
  private readonly collected: Collected[] = [];

  cast<M extends RpcMethods<M>, K extends keyof M & string>(client: RpcClient<M>, method: K, args: RpcArgs<M[K]>, opts: { server?: string } = {}): void {
    const to = opts.server ? `${client.topic}.${opts.server}` : client.topic;
    this.collected.push({ what: `${method} to ${to}`, send: () => client.cast(method, args, opts) });
  }

  fanout<M extends RpcMethods<M>, K extends keyof M & string>(client: RpcClient<M>, method: K, args: RpcArgs<M[K]>): void {
    this.collected.push({ what: `${method} to all of ${client.topic}`, send: () => client.fanout(method, args) });
  }

  get size(): number {
    return this.collected.length;
  }

  /** Sends everything collected, in order, once; a failure is logged and the rest still go. */
  async send(logger: Logger): Promise<void> {
    for (const message of this.collected.splice(0)) {
      try {
        await message.send();
      } catch (err) {
        logger.warn({ err: (err as Error).message }, `notification ${message.what} not sent; agents resync`);
      }
    }
  }
}

export class AfterCommitNotifier {
  private readonly outboxes = new WeakMap<object, Outbox>();

  constructor(private readonly logger: Logger) {}

  /**
   * Runs `work` in `db.transaction` with an outbox per attempt; after the commit, sends the
   * committed attempt's messages and resolves with the work's result. On rollback (the work or
   * the commit failed for good) nothing is sent and the error propagates.
   */
  async transaction<T, Trx extends object>(db: TransactionRunner<Trx>, work: (trx: Trx, outbox: Outbox) => Promise<T>): Promise<T> {
    let committed: Outbox | undefined;
    const result = await db.transaction(async (trx) => {
      committed = undefined;
      const outbox = new Outbox();
      this.outboxes.set(trx, outbox);
      const value = await work(trx, outbox);
      committed = outbox;
      return value;
    });
    await committed?.send(this.logger);
    return result;
  }

  /** The outbox of the unit of work `trx` belongs to; throws when `trx` was not opened by `transaction`. */
  outboxOf(trx: object): Outbox {
    const outbox = this.outboxes.get(trx);
    if (!outbox) throw new Error('notifications need a unit of work opened by AfterCommitNotifier.transaction');
    return outbox;
  }
}
