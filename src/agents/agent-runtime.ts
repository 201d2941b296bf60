/**
 * What every agent process shares: it serves its own topics (`dhcp_agent.<host>`, the notifier
 * fanouts it follows), sends a heartbeat every `[agent] report_interval`, and does a full sync
 * when the server calls it new or revived, after a reconnection to the broker, and periodically
 * as the safety net. The kind-specific part is an AgentDriver. A heartbeat or sync that fails
 * (server or broker away) is logged and tried again on the next tick; the process keeps running.
 */
import os from 'node:os';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { AGENT_TYPES, type AgentKind } from '../plugins/agents/agents-repo.js';
import { REPORTS_API, type ReportsApi } from '../rpc/apis/reports-api.js';
import { RpcClient } from '../rpc/rpc-api.js';
import { REPORTS } from '../rpc/topics.js';
import type { Endpoint, RpcServer, RpcTransport } from '../rpc/transport.js';

/** The kind-specific part of an agent. */
export interface AgentDriver {
  readonly kind: AgentKind;
  /** Reported in each heartbeat (the API's `configurations`). */
  configurations(): Record<string, unknown>;
  /** Fetches everything this host should have from the server and converges on it. */
  fullSync(): Promise<void>;
  /** Set by the runtime: the driver calls it when a notification calls for a sync now. */
  onChange?: () => void;
  /** What it serves: topic (host-specific when `server` is the host) → endpoints. */
  served(host: string): Array<{ topic: string; server: string; endpoints: Endpoint[] }>;
  /** Starts following the host itself (the kernel's events), calling `onChange` for a sync; stopped with the agent. */
  watchHost?(onChange: () => void): { stop(): void };
}

export interface AgentRuntimeOptions {
  config: Config;
  transport: RpcTransport;
  driver: AgentDriver;
  logger: Logger;
}

/** `[DEFAULT] host`, or the machine's name. */
export const hostOf = (config: Config): string => config.DEFAULT.host || os.hostname();

export class AgentRuntime {
  readonly host: string;
  private readonly reports: RpcClient<ReportsApi>;
  private servers: RpcServer[] = [];
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  private syncing: Promise<void> | undefined;
  private resyncWanted = false;
  private removeReconnect: (() => void) | undefined;
  private hostWatch: { stop(): void } | undefined;
  /** Status of the last heartbeat the server answered ('new', 'alive', 'revived'), for logs and tests. */
  lastStatus: string | undefined;
  /** Completed full syncs. */
  syncs = 0;

  constructor(private readonly opts: AgentRuntimeOptions) {
    this.host = hostOf(opts.config);
    // a driver that says something changed gets a sync at once (event-driven), not at the next tick
    opts.driver.onChange = () => void this.resync();
    this.reports = new RpcClient(opts.transport, REPORTS_API, REPORTS);
  }

  private get log(): Logger {
    return this.opts.logger;
  }

  async start(): Promise<void> {
    const { driver, transport, config } = this.opts;
    for (const s of driver.served(this.host)) this.servers.push(await transport.serve({ topic: s.topic, server: s.server }, s.endpoints));
    this.hostWatch = driver.watchHost?.(() => void this.resync());
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

  /** A full sync; one at a time, and one more if asked while running. */
  resync(): Promise<void> {
    if (this.syncing) {
      this.resyncWanted = true;
      return this.syncing;
    }
    this.syncing = (async () => {
      do {
        this.resyncWanted = false;
        try {
          await this.opts.driver.fullSync();
          this.syncs++;
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'full sync failed; retrying at the next heartbeat');
          this.started = false; // the next answered heartbeat syncs again
        }
      } while (this.resyncWanted);
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.removeReconnect?.();
    this.hostWatch?.stop();
    for (const s of this.servers) await s.stop();
    this.servers = [];
    await this.syncing;
  }
}
