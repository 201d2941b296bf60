/**
 * The L3 agent's datapath pass, called by L3Driver on every sync when `[agent] datapath` is on,
 * for every router hosted here or for one (a key of the agent's work queue): observe the host,
 * plan (plan.ts) and apply router by router, several routers at once (each router's commands in
 * order, through `applyCommands`, consecutive iproute2 commands of one namespace as one batch);
 * then announce the addresses that came to gateway devices (gratuitous ARP: floating IPs, gateway
 * addresses), and report the floating IPs' status to the
 * servers (`update_floatingip_statuses`, as Neutron's agent: ACTIVE once configured, ERROR when
 * its router's commands failed, DOWN once it left the router; an HA router's by its master), and
 * the VRRP state of each HA router (`update_ha_routers_states`) when the servers' differs. Routers not hosted here any more
 * (moved, deleted, even while the agent was down) are removed, since the host is observed whole.
 * A pass that left something undone throws at its end, so that the runtime retries it with
 * backoff. A dry run changes nothing, on the host or the servers.
 */
import path from 'node:path';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { CommandRunner } from '../../linux/runner.js';
import { applyCommands, reportError, type ApplyReport } from '../../linux/apply.js';
import { batchIp } from '../../linux/ip-batch.js';
import type { HostCommand } from '../../linux/host-command.js';
import type { RpcClient } from '../../rpc/rpc-api.js';
import type { RouterInfo, ServerPluginApi } from '../server-api.js';
import { desiredL3, floatingIpsOf, isHa, servesRouter } from './desired.js';
import { haStateOf } from './keepalived.js';
import { observeL3 } from './observe.js';
import { planL3ByRouter, renderL3, routerDir, type L3HostState, type L3Layout } from './plan.js';

export interface L3Datapath {
  runner: CommandRunner;
  /** `[agent] host_namespace`: where the taps go (the L2 agent's devices). */
  netns?: string;
  layout: L3Layout;
  /** How many routers are changed at once. */
  parallel?: number;
}

export const l3Layout = (config: Config): L3Layout => ({
  prefix: config.agent.namespace_prefix,
  stateDir: path.resolve(config.DEFAULT.state_path, 'l3'),
  minRtrAdvInterval: config.DEFAULT.min_rtr_adv_interval,
  maxRtrAdvInterval: config.DEFAULT.max_rtr_adv_interval,
  haVrrpAdvertInt: config.DEFAULT.ha_vrrp_advert_int,
});

/** Floating IP statuses the agent last reported, per router (what it tells the servers is the change). */
export type FipStatuses = Map<string, Map<string, string>>;

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/**
 * One datapath pass for the routers hosted here (`hosted`: all of them, as the server lists them),
 * or only for router `only`; returns the number of commands run.
 */
export async function syncL3(server: RpcClient<ServerPluginApi>, host: string, hosted: RouterInfo[], dp: L3Datapath, reported: FipStatuses, log: Logger, only?: string): Promise<number> {
  const routers = hosted.filter((r) => only === undefined || r.id === only);
  const dry = dp.runner.dryRun;
  const have = await observeL3(dp.runner, dp.layout, only);
  const want = desiredL3(routers, dp.layout, new Map([...have].map(([id, r]) => [id, r.haState])));
  if (!dry && want.size) await mkdir(dp.layout.stateDir, { recursive: true });
  const plans = planL3ByRouter(want, have).filter((p) => p.cmds.length);
  const reports: ApplyReport[] = [];
  const broken = new Set<string>();
  const announce: HostCommand[] = [];
  await pool(plans, dp.parallel ?? 8, async ({ id, cmds }) => {
    const report = await applyCommands(dp.runner, batchIp(cmds.map(renderL3), dp.netns), dp.netns);
    reports.push(report);
    if (report.failed.length || report.skipped.length) broken.add(id);
    if (broken.has(id)) return;
    const added = new Map<string, { netns: string; addresses: string[] }>();
    for (const c of cmds) {
      if (c.op !== 'add-addr' || !c.name.startsWith('qg-') || c.cidr.includes(':')) continue;
      const a = added.get(c.name) ?? { netns: c.netns, addresses: [] };
      a.addresses.push(c.cidr.split('/')[0]);
      added.set(c.name, a);
    }
    for (const [dev, a] of added) announce.push({ tool: 'arping', netns: a.netns, dev, addresses: a.addresses });
  });
  // best effort: a neighbour that misses it learns the address when its entry expires
  if (announce.length && !dry) {
    const garp = await applyCommands(dp.runner, announce);
    for (const f of garp.failed) log.warn({ err: f.error }, 'gratuitous ARP not sent');
  }
  if (!dry) await reportStatuses(server, routers, broken, reported, log, have);
  if (!dry) await reportHaStates(server, host, routers, have, log);
  const failed = reportError(...reports);
  if (failed) throw failed;
  return plans.reduce((n, p) => n + p.cmds.length, 0);
}

/** Tells the servers what became of each router's floating IPs, when it changed since the last report. */
async function reportStatuses(server: RpcClient<ServerPluginApi>, routers: RouterInfo[], broken: Set<string>, reported: FipStatuses, log: Logger, have: L3HostState): Promise<void> {
  for (const r of routers) {
    // an HA router's floating IPs are the master's to report
    if (isHa(r) && have.get(r.id)?.haState !== 'master') continue;
    const now = new Map<string, string>();
    const serving = servesRouter(r) && r.gw_port;
    for (const f of floatingIpsOf(r)) now.set(f.id, !serving ? 'DOWN' : broken.has(r.id) ? 'ERROR' : 'ACTIVE');
    const before = reported.get(r.id) ?? new Map<string, string>();
    const changes: Record<string, string> = {};
    for (const [id, status] of now) if (before.get(id) !== status) changes[id] = status;
    for (const id of before.keys()) if (!now.has(id)) changes[id] = 'DOWN';
    // the server's own view counts too: a status it lost (a restarted agent) is said again
    for (const f of r._floatingips ?? []) if (now.has(String(f.id)) && f.status !== now.get(String(f.id))) changes[String(f.id)] = now.get(String(f.id))!;
    if (!Object.keys(changes).length) continue;
    try {
      await server.call('update_floatingip_statuses', { router_id: r.id, fip_statuses: changes });
      reported.set(r.id, now);
    } catch (err) {
      log.warn({ router_id: r.id, err: (err as Error).message }, 'floating IP statuses not reported; said again at the next pass');
    }
  }
}

/** Tells the servers the VRRP state of each HA router here, when it differs from what they recorded. */
async function reportHaStates(server: RpcClient<ServerPluginApi>, host: string, routers: RouterInfo[], have: L3HostState, log: Logger): Promise<void> {
  const states: Record<string, 'active' | 'standby' | 'fault' | 'unknown'> = {};
  for (const r of routers) {
    if (!isHa(r) || !servesRouter(r)) continue;
    const state = haStateOf(have.get(r.id)?.haState);
    if (state !== 'unknown' && state !== r._ha_state) states[r.id] = state;
  }
  if (!Object.keys(states).length) return;
  try {
    await server.call('update_ha_routers_states', { host, states });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'HA router states not reported; said again at the next pass');
  }
}

/**
 * Calls `onChange(routerId)` when keepalived writes the `state` file of an HA router of this host:
 * one directory watch per HA router (a recursive watch of the whole state directory misses files
 * replaced by rename on Linux), kept in step with the routers by `follow`.
 */
export class HaStateWatch {
  private readonly watches = new Map<string, FSWatcher>();

  constructor(
    private readonly stateDir: string,
    private readonly onChange: (routerId: string) => void,
    private readonly log: Logger,
  ) {}

  /** Watches the directories of these routers (made if missing), and no others. */
  follow(routerIds: string[]): void {
    const wanted = new Set(routerIds);
    for (const [id, w] of this.watches) {
      if (wanted.has(id)) continue;
      w.close();
      this.watches.delete(id);
    }
    for (const id of wanted) {
      if (this.watches.has(id)) continue;
      try {
        const dir = routerDir(this.stateDir, id);
        mkdirSync(dir, { recursive: true });
        const w = watch(dir, (_event, file) => String(file) === 'state' && this.onChange(id));
        w.on('error', () => this.watches.delete(id));
        this.watches.set(id, w);
      } catch (err) {
        this.log.warn({ router_id: id, err: (err as Error).message }, 'HA state not watched; the periodic sync reports it');
      }
    }
  }

  stop(): void {
    for (const w of this.watches.values()) w.close();
    this.watches.clear();
  }
}
