/**
 * Resource events with phases: how the plug-ins hear of each other's changes without knowing each
 * other (neutron-lib's callbacks, typed, without a global registry). The plug-in that owns a
 * resource's table publishes its events; any plug-in subscribes, with a declared priority.
 *
 * Phases, in the order a change passes them:
 * - `before_create` (inside the transaction, before anything is read: quotas lock their usage row
 *   here), `before_update` (the row as it is, nothing written yet) and `precommit_create|update|delete` (inside the transaction, with the rows as written or
 *   about to go): a subscriber may refuse by throwing a NeutronError, and the whole unit rolls back.
 *   No I/O but the database.
 * - `after_create|update|delete` (after commit; never refuses): the resource as the API renders it,
 *   `original` and/or `current`, and the caller's context. Run once the transaction committed, and
 *   never when it rolled back or for a retried attempt (Database.afterCommit); a subscriber that
 *   fails is logged and the others still run.
 *
 * Payload types are declared per resource in `EventMap`; a plug-in adds its resources by interface
 * merging (`declare module '../events.js' { interface EventMap { router: Lifecycle<RouterRow> } }`),
 * as its row types join `Schema`. A publisher declares the events it publishes, so that `seal()`
 * can refuse, at start-up, a subscription to an event nobody publishes.
 */
import type { Logger } from 'pino';
import type { RequestContext } from '../core/context.js';
import type { Database } from '../db/database.js';
import type { Executor, NetworkRow, PortRow, SubnetRow } from '../db/schema.js';
import type { Resource } from './plugin-api.js';

/** Before rows are written: the items a create asks for (quota, zone hints). May refuse. */
export interface BeforeCreate {
  ctx: RequestContext;
  items: Resource[];
}

/** A row just written, and the prepared request it came from. May refuse. */
export interface PrecommitCreate<Row> {
  ctx: RequestContext;
  request: Resource;
  current: Row;
}

/** Before anything of an update is written: the row as it is and the prepared request. May refuse. */
export interface BeforeUpdate<Row> {
  ctx: RequestContext;
  request: Resource;
  original: Row;
}

/** The row before and after the change, and the prepared request (only the attributes asked to change). May refuse. */
export interface PrecommitUpdate<Row> {
  ctx: RequestContext;
  request: Resource;
  original: Row;
  current: Row;
}

/** A row about to go. `internal`: deleted by a plug-in (router interface removal, network delete), not through its own API. May refuse. */
export interface PrecommitDelete<Row> {
  ctx: RequestContext;
  original: Row;
  internal: boolean;
}

/** After commit: the resource as the API rendered it. */
export interface AfterCreate {
  ctx: RequestContext;
  current: Resource;
}

export interface AfterUpdate {
  ctx: RequestContext;
  request: Resource;
  original: Resource;
  current: Resource;
}

export interface AfterDelete {
  ctx: RequestContext;
  original: Resource;
}

/** The events of a resource with a table of its own. */
export interface Lifecycle<Row> {
  before_create: BeforeCreate;
  precommit_create: PrecommitCreate<Row>;
  after_create: AfterCreate;
  before_update: BeforeUpdate<Row>;
  precommit_update: PrecommitUpdate<Row>;
  after_update: AfterUpdate;
  precommit_delete: PrecommitDelete<Row>;
  after_delete: AfterDelete;
}

/** Every resource's events and their payloads; plug-ins add theirs by interface merging. */
export interface EventMap {
  network: Lifecycle<NetworkRow>;
  subnet: Lifecycle<SubnetRow>;
  port: Lifecycle<PortRow>;
}

export type ResourceName = keyof EventMap;
export type EventName<R extends ResourceName> = keyof EventMap[R] & string;
export type Payload<R extends ResourceName, E extends EventName<R>> = EventMap[R][E];
export type Subscriber<P> = (payload: P, trx: Executor) => Promise<void> | void;

/** Priorities: lower runs first; equal ones in the order they subscribed. */
export const PRIORITY = {
  /** Quotas: before anything else reads (MySQL's REPEATABLE READ snapshot starts at the first read). */
  QUOTA: 0,
  /** Checks that refuse (zones, in-use guards) before anything is written on the change's behalf. */
  CHECK: 100,
  DEFAULT: 500,
  /** Mechanism drivers see the change once the service plug-ins wrote their part of it. */
  MECHANISM: 800,
  /** Notifications to agents and other services, last. */
  NOTIFY: 900,
} as const;

interface Subscription {
  fn: Subscriber<never>;
  priority: number;
  name: string;
  seq: number;
}

const isAfter = (event: string) => event.startsWith('after_');

export class Events {
  private readonly subs = new Map<string, Subscription[]>();
  private readonly declared = new Set<string>();
  private seq = 0;

  constructor(
    private readonly database: Database,
    private readonly logger?: Logger,
  ) {}

  /** What a publisher publishes: the events of its resource it sends (seal() checks subscriptions against them). */
  declare<R extends ResourceName>(resource: R, events: Array<EventName<R>>): void {
    for (const e of events) this.declared.add(`${resource}.${e}`);
  }

  subscribe<R extends ResourceName, E extends EventName<R>>(resource: R, event: E, fn: Subscriber<Payload<R, E>>, opts: { priority?: number; name?: string } = {}): void {
    const key = `${resource}.${event}`;
    const list = this.subs.get(key) ?? [];
    list.push({ fn: fn as Subscriber<never>, priority: opts.priority ?? PRIORITY.DEFAULT, name: opts.name ?? (fn.name || 'anonymous'), seq: this.seq++ });
    list.sort((a, b) => a.priority - b.priority || a.seq - b.seq);
    this.subs.set(key, list);
  }

  /** Whether anyone listens (a publisher may skip rendering a payload nobody reads). */
  wants<R extends ResourceName>(resource: R, event: EventName<R>): boolean {
    return (this.subs.get(`${resource}.${event}`)?.length ?? 0) > 0;
  }

  /**
   * Publishes inside the transaction `trx`. Before/precommit events run their subscribers now, in
   * order; the first that throws refuses the change. After events run once `trx` committed. The
   * payload may be given as a function, called (inside the transaction) only when someone listens.
   */
  async publish<R extends ResourceName, E extends EventName<R>>(trx: Executor, resource: R, event: E, payload: Payload<R, E> | (() => Promise<Payload<R, E>>)): Promise<void> {
    const list = this.subs.get(`${resource}.${event}`);
    if (!list?.length) return;
    const p = typeof payload === 'function' ? await (payload as () => Promise<Payload<R, E>>)() : payload;
    if (!isAfter(event)) {
      for (const s of list) await (s.fn as Subscriber<Payload<R, E>>)(p, trx);
      return;
    }
    this.database.afterCommit(trx, () => void this.runAfter(list, resource, event, p));
  }

  private async runAfter<P>(list: Subscription[], resource: string, event: string, payload: P): Promise<void> {
    for (const s of list) {
      try {
        await (s.fn as Subscriber<P>)(payload, this.database.db);
      } catch (err) {
        this.logger?.error({ err, resource, event, subscriber: s.name }, 'after-commit subscriber failed (the change stays committed)');
      }
    }
  }

  /** At start-up, once every plug-in joined: refuses a subscription to an event nobody publishes. */
  seal(): void {
    const orphans = [...this.subs.keys()].filter((k) => !this.declared.has(k));
    if (orphans.length) throw new Error(`subscribed to events nobody publishes: ${orphans.join(', ')}`);
  }

  /** Who listens to what, in order (ARCHITECTURE.md's table, the debug log). */
  describe(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, list] of [...this.subs].sort(([a], [b]) => a.localeCompare(b))) out[k] = list.map((s) => `${s.name}@${s.priority}`);
    return out;
  }
}
