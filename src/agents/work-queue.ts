/**
 * A queue of keys (a network, a router, the whole host) in front of an agent's reconciler, after
 * controller-runtime's workqueue: `add(key)` asks for a pass over that key; a key added again
 * while it waits is one pass, and a key is never worked on twice at once (added while in
 * progress, it waits for the pass in progress to end). A pass that throws puts its key back after
 * an exponential backoff with jitter (per key: its consecutive failures count), one that
 * succeeds forgets the count. Timers and randomness are injected, so tests run on a fake clock.
 */

/** The clock the queue waits on (the real one by default). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions {
  /** First retry delay; doubles with each further failure of the key up to `maxDelayMs`; each delay is jittered to 50–100 %. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How many keys are worked on at once (never the same key twice). */
  concurrency?: number;
  /** Told of each failed pass and when it will be retried (for the log). */
  onError?: (key: string, err: unknown, retryInMs: number) => void;
  timers?: Timers;
  random?: () => number;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class WorkQueue {
  /** Keys waiting, in the order they were added. */
  private readonly waiting: string[] = [];
  private readonly active = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly retries = new Map<string, unknown>();
  /** Callers of `add` waiting for the key's next pass to end. */
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  private readonly o: Required<Omit<WorkQueueOptions, 'onError'>> & Pick<WorkQueueOptions, 'onError'>;

  /** `work(key)` reconciles one key: it resolves when the key converged and throws to be retried. */
  constructor(
    private readonly work: (key: string) => Promise<void>,
    opts: WorkQueueOptions = {},
  ) {
    this.o = { baseDelayMs: 500, maxDelayMs: 30_000, concurrency: 1, timers: realTimers, random: Math.random, ...opts };
  }

  /** Asks for a pass over `key`; resolves when a pass that started after this call has ended (well or not). */
  add(key: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]));
    if (!this.waiting.includes(key)) this.waiting.push(key);
    this.pump();
    return done;
  }

  /** Adds `key` after its backoff delay (a later failure waits longer); returns the delay. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** Math.min(n, 30)) * (0.5 + this.o.random() / 2);
    if (!this.retries.has(key) && !this.stopped) {
      this.retries.set(
        key,
        this.o.timers.setTimeout(() => {
          this.retries.delete(key);
          void this.add(key);
        }, delay),
      );
    }
    return delay;
  }

  /** The key converged: its next failure starts the backoff again, and a retry still pending is dropped. */
  forget(key: string): void {
    this.failures.delete(key);
    const retry = this.retries.get(key);
    if (retry !== undefined) this.o.timers.clearTimeout(retry);
    this.retries.delete(key);
  }

  /** Consecutive failed passes of `key`. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys waiting for a pass (not those in progress or waiting for a retry). */
  get length(): number {
    return this.waiting.length;
  }

  /** No more passes: pending retries dropped, waiting keys let go; resolves when the passes in progress ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const h of this.retries.values()) this.o.timers.clearTimeout(h);
    this.retries.clear();
    this.waiting.length = 0;
    for (const resolve of [...this.waiters.values()].flat()) resolve();
    this.waiters.clear();
    await Promise.all(this.running);
  }

  private pump(): void {
    while (!this.stopped && this.active.size < this.o.concurrency) {
      const i = this.waiting.findIndex((k) => !this.active.has(k));
      if (i < 0) return;
      const [key] = this.waiting.splice(i, 1);
      this.active.add(key);
      const waiters = this.waiters.get(key) ?? [];
      this.waiters.delete(key);
      const pass: Promise<void> = Promise.resolve()
        .then(() => this.work(key))
        .then(
          () => this.forget(key),
          (err: unknown) => {
            const delay = this.addRateLimited(key);
            this.o.onError?.(key, err, delay);
          },
        )
        .finally(() => {
          this.active.delete(key);
          this.running.delete(pass);
          for (const resolve of waiters) resolve();
          this.pump();
        });
      this.running.add(pass);
    }
  }
}
