/**
 * What every agent process shares: it serves its own topics (`dhcp_agent.<host>`, the notifier
 * fanouts it follows), sends a heartbeat every `[agent] report_interval`, and keeps its host
 * converged through a work queue of keys (work-queue.ts): a notification or a kernel event only
 * adds a key (a network, a router, or `ALL_KEYS` for everything; level-based, the pass reads the
 * state again), one pass runs at a time, and a pass that fails is retried for its key with
 * exponential backoff. A full sync is queued when the server calls the agent new or revived, after
 * a reconnection to the broker, and periodically as the safety net. The kind-specific part is an
 * AgentDriver. A heartbeat that fails (server or broker away) is logged and tried again on the
 * next tick; the process keeps running.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { AGENT_TYPES, type AgentKind } from '../plugins/agents/agents-repo.js';
import { REPORTS_API, type ReportsApi } from '../rpc/apis/reports-api.js';
import { RpcClient } from '../rpc/rpc-api.js';
import { REPORTS } from '../rpc/topics.js';
import type { Endpoint, RpcServer, RpcTransport } from '../rpc/transport.js';
import { WorkQueue, type WorkQueueOptions } from './work-queue.js';

/** The work queue's key for "everything": a full sync. */
export const ALL_KEYS = '*';

/**
 * The kind-specific part of an agent. The runtime calls `fullSync` and `sync` one at a time (never
 * two passes at once); both may block on the server and the host, and throw when the host did not
 * converge, which retries that key with backoff.
 */
export interface AgentDriver {
  readonly kind: AgentKind;
  /** Reported in each heartbeat (the API's `configurations`). Does not block. */
  configurations(): Record<string, unknown>;
  /** Fetches everything this host should have from the server and converges on it. */
  fullSync(): Promise<void>;
  /**
   * Converges one key the driver named through `onChange` (a network for the DHCP agent, a router
   * for the L3 agent), reading its state again. A driver without it gets a full sync for any key.
   */
  sync?(key: string): Promise<void>;
  /**
   * Set by the runtime: the driver calls it when a notification calls for a pass, with the key it
   * concerns (none: everything). It only queues the key and returns at once.
   */
  onChange?: (key?: string) => void;
  /** What it serves: topic (host-specific when `server` is the host) → endpoints. */
  served(host: string): Array<{ topic: string; server: string; endpoints: Endpoint[] }>;
  /** Starts following the host itself (the kernel's events), calling `onChange` for a pass; stopped with the agent. Does not block. */
  watchHost?(onChange: (key?: string) => void): { stop(): void };
}

export interface AgentRuntimeOptions {
  config: Config;
  transport: RpcTransport;
  driver: AgentDriver;
  logger: Logger;
  /** The retry backoff (and, for tests, the clock) of the work queue; by default 0.5 s doubling up to 60 s. */
  queue?: Pick<WorkQueueOptions, 'baseDelayMs' | 'maxDelayMs' | 'timers' | 'random'>;
}

/** `[DEFAULT] host`, or the machine's name. */
export const hostOf = (config: Config): string => config.DEFAULT.host || os.hostname();

export class AgentRuntime {
  readonly host: string;
  private readonly reports: RpcClient<ReportsApi>;
  private servers: RpcServer[] = [];
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private readonly queue: WorkQueue;
  private removeReconnect: (() => void) | undefined;
  private hostWatch: { stop(): void } | undefined;
  /** Status of the last heartbeat the server answered ('new', 'alive', 'revived'), for logs and tests. */
  lastStatus: string | undefined;
  /** Completed full syncs. */
  syncs = 0;

  constructor(private readonly opts: AgentRuntimeOptions) {
    this.host = hostOf(opts.config);
    this.queue = new WorkQueue((key) => this.pass(key), {
      baseDelayMs: 500,
      maxDelayMs: 60_000,
      ...opts.queue,
      onError: (key, err, ms) => this.log.warn({ key, err: (err as Error).message, retry_in_ms: Math.round(ms) }, key === ALL_KEYS ? 'full sync failed; retrying with backoff' : 'sync failed; retrying with backoff'),
    });
    // a driver that says something changed gets a pass at once (event-driven), not at the next tick
    opts.driver.onChange = (key) => void this.queue.add(key ?? ALL_KEYS);
    this.reports = new RpcClient(opts.transport, REPORTS_API, REPORTS);
  }

  private get log(): Logger {
    return this.opts.logger;
  }

  async start(): Promise<void> {
    const { driver, transport, config } = this.opts;
    for (const s of driver.served(this.host)) this.servers.push(await transport.serve({ topic: s.topic, server: s.server }, s.endpoints));
    this.hostWatch = driver.watchHost?.((key) => void this.queue.add(key ?? ALL_KEYS));
    this.removeReconnect = transport.onReconnect(() => {
      this.log.warn('reconnected to the message broker: full sync (notifications may have been missed)');
      void this.resync();
    });
    const interval = Math.max(config.agent.report_interval, 1) * 1000;
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat(), interval));
    // the safety net: a full sync every 20 heartbeats heals any lost notification
    this.timers.push(setInterval(() => void this.resync(), interval * 20));
    this.log.info({ host: this.host, kind: driver.kind, report_interval: config.agent.report_interval }, 'agent started');
  }

  /** One heartbeat; a new or revived agent (or the first answer after start) syncs fully. */
  async heartbeat(): Promise<void> {
    const { driver, config } = this.opts;
    const t = AGENT_TYPES[driver.kind];
    const state = {
      agent_type: t.type,
      binary: t.binary,
      topic: t.topic,
      host: this.host,
      availability_zone: config.agent.availability_zone,
      configurations: driver.configurations(),
      start_flag: !this.started,
    };
    try {
      const status = await this.reports.call('report_state', { agent_state: { agent_state: state }, time: new Date().toISOString().replace('Z', '') }, { timeoutMs: Math.max(config.agent.report_interval, 1) * 1000 });
      const first = !this.started;
      this.started = true;
      if (status !== this.lastStatus) this.log.info({ status }, 'heartbeat answered');
      this.lastStatus = status ?? undefined;
      if (first || status === 'new' || status === 'revived') await this.resync();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed; retrying at the next interval');
    }
  }

  /** Queues a full sync; resolves when it ran (converged or not: a failure is retried with backoff). */
  resync(): Promise<void> {
    return this.queue.add(ALL_KEYS);
  }

  /** One pass over a key of the queue. */
  private async pass(key: string): Promise<void> {
    const { driver } = this.opts;
    if (key !== ALL_KEYS && driver.sync) return driver.sync(key);
    await driver.fullSync();
    this.syncs++;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.removeReconnect?.();
    this.hostWatch?.stop();
    for (const s of this.servers) await s.stop();
    this.servers = [];
    await this.queue.stop();
  }
}
