/**
 * The calls a transport is waiting on, by correlation id: each resolves with its reply, or fails
 * with MessagingTimeout when none comes in time. A reply nobody waits for any more (the call timed
 * out) is reported, so the transport can log and drop it.
 */
import { randomUUID } from 'node:crypto';
import { MessagingTimeout } from './rpc-errors.js';
import { parseReply } from './message.js';

interface Waiting {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class PendingCalls {
  private readonly waiting = new Map<string, Waiting>();

  /** A new correlation id and the promise of its reply, failing with MessagingTimeout after `timeoutMs`. */
  open(topic: string, method: string, timeoutMs: number): { msgId: string; reply: Promise<unknown> } {
    const msgId = randomUUID().replaceAll('-', '');
    const reply = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(msgId);
        reject(new MessagingTimeout({ topic, method, msgId, timeoutMs }));
      }, timeoutMs);
      this.waiting.set(msgId, { resolve, reject, timer });
    });
    return { msgId, reply };
  }

  /** Settles the call with a reply body; false when no call waits for that id (it timed out, or never was ours). */
  settle(msgId: string | undefined, body: Buffer): boolean {
    const w = msgId === undefined ? undefined : this.waiting.get(msgId);
    if (!w || msgId === undefined) return false;
    this.finish(msgId, w);
    const reply = parseReply(body);
    if (reply.ok) w.resolve(reply.result);
    else w.reject(reply.error);
    return true;
  }

  fail(msgId: string, err: Error): void {
    const w = this.waiting.get(msgId);
    if (!w) return;
    this.finish(msgId, w);
    w.reject(err);
  }

  failAll(err: Error): void {
    for (const msgId of [...this.waiting.keys()]) this.fail(msgId, err);
  }

  private finish(msgId: string, w: Waiting): void {
    clearTimeout(w.timer);
    this.waiting.delete(msgId);
  }
}
