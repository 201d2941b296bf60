/**
 * Where networks get their DHCP agents and routers their L3 agents: the least loaded live agents
 * that are enabled and, when the resource has availability zone hints, in one of those zones. A
 * legacy router has one L3 agent; an HA router (`l3-ha`) up to `max_l3_agents_per_router`, its
 * binding indexes bounded by that number (Neutron's get_vacant_binding_index), and it stays on
 * dead agents (the standby takes over; Neutron's get_down_router_bindings leaves HA routers out).
 * Everything runs inside the caller's transaction; two servers scheduling the same resource at
 * once collide on the bindings' (resource, binding_index) key and the loser retries. Each change
 * is returned so the caller can tell the agents after commit.
 */
import type { Executor } from '../../db/schema.js';
import { bool } from '../../db/schema.js';
import type { AgentRow } from './agents-repo.js';
import { haRouterIds } from '../../db/repos/l3-ha-repo.js';

/** A binding made or removed: which agent (by host) now has or lost which network or router. */
export interface BindingChange {
  kind: 'network' | 'router';
  id: string;
  agentId: string;
  host: string;
  op: 'added' | 'removed';
  /** Removed because the network or router itself was deleted (the agents hear `*_delete*`, not a move). */
  deleted?: boolean;
}

export interface SchedulerOptions {
  dhcpAgentsPerNetwork: number;
  /** L3 agents an HA router is scheduled onto (0: every one). */
  maxL3AgentsPerRouter: number;
  /** Oldest heartbeat of a live agent (`YYYY-MM-DD HH:MM:SS`). */
  aliveCutoff(): string;
  /** Oldest heartbeat of an agent that still keeps its resources (failover after twice agent_down_time). */
  deadCutoff(): string;
}

type Kind = BindingChange['kind'];

const TABLES = {
  network: { table: 'network_dhcp_agent_bindings', res: 'network_id', agent: 'dhcp_agent_id', type: 'DHCP agent' },
  router: { table: 'router_l3_agent_bindings', res: 'router_id', agent: 'l3_agent_id', type: 'L3 agent' },
} as const;

export class Scheduler {
  constructor(private readonly opts: SchedulerOptions) {}

  /** Agents hosting a network / router. */
  async hosting(trx: Executor, kind: Kind, id: string): Promise<AgentRow[]> {
    const t = TABLES[kind];
    const ids = (await (trx as any).selectFrom(t.table).select(t.agent).where(t.res, '=', id).execute()).map((r: any) => r[t.agent]); // eslint-disable-line @typescript-eslint/no-explicit-any
    return ids.length ? trx.selectFrom('agents').selectAll().where('id', 'in', ids).orderBy('host').execute() : [];
  }

  /** Ids of the networks / routers an agent hosts. */
  async hostedBy(trx: Executor, kind: Kind, agentId: string): Promise<string[]> {
    const t = TABLES[kind];
    const rows = await (trx as any).selectFrom(t.table).select(t.res).where(t.agent, '=', agentId).execute(); // eslint-disable-line @typescript-eslint/no-explicit-any
    return rows.map((r: Record<string, string>) => r[t.res]);
  }

  /** Binds one resource to one agent (manual scheduling or the automatic choice), at the lowest free binding index. */
  async bind(trx: Executor, kind: Kind, id: string, agent: AgentRow): Promise<BindingChange> {
    return (await this.bindWithin(trx, kind, id, agent, Infinity))!;
  }

  /** Binds at the lowest free binding index if it is at most `limit`; otherwise nothing (undefined). */
  private async bindWithin(trx: Executor, kind: Kind, id: string, agent: AgentRow, limit: number): Promise<BindingChange | undefined> {
    const t = TABLES[kind];
    const used = new Set(
      (await (trx as any).selectFrom(t.table).select('binding_index').where(t.res, '=', id).execute()).map((r: { binding_index: number }) => Number(r.binding_index)), // eslint-disable-line @typescript-eslint/no-explicit-any
    );
    let index = 1;
    while (used.has(index)) index++;
    if (index > limit) return undefined;
    await (trx as any).insertInto(t.table).values({ [t.res]: id, [t.agent]: agent.id, binding_index: index }).execute(); // eslint-disable-line @typescript-eslint/no-explicit-any
    return { kind, id, agentId: agent.id, host: agent.host, op: 'added' };
  }

  /**
   * How many L3 agents an HA router is scheduled onto (Neutron's get_number_of_agents_for_scheduling):
   * the enabled L3 agents that can host one (agent_mode legacy or dvr_snat), at most
   * max_l3_agents_per_router (0: no maximum).
   */
  async haAgentsWanted(trx: Executor): Promise<number> {
    const rows = await trx.selectFrom('agents').select('configurations').where('agent_type', '=', 'L3 agent').where('admin_state_up', '=', 1 as never).execute();
    const modeOf = (c: string) => (JSON.parse(c || '{}') as { agent_mode?: string }).agent_mode ?? 'legacy';
    const n = rows.filter((r) => ['legacy', 'dvr_snat'].includes(modeOf(r.configurations))).length;
    const max = this.opts.maxL3AgentsPerRouter;
    return max > 0 ? Math.min(max, n) : n;
  }


  /** Returns whether a binding existed. */
  async unbind(trx: Executor, kind: Kind, id: string, agent: AgentRow): Promise<BindingChange | undefined> {
    const t = TABLES[kind];
    const r = await (trx as any).deleteFrom(t.table).where(t.res, '=', id).where(t.agent, '=', agent.id).executeTakeFirst(); // eslint-disable-line @typescript-eslint/no-explicit-any
    return Number(r.numDeletedRows) ? { kind, id, agentId: agent.id, host: agent.host, op: 'removed' } : undefined;
  }

  /**
   * Gives a network the DHCP agents it lacks (up to dhcp_agents_per_network; only networks with a
   * DHCP-enabled subnet), or a router an L3 agent if it has none. `hints`: the resource's zones.
   */
  async schedule(trx: Executor, kind: Kind, id: string, hints: string[]): Promise<BindingChange[]> {
    if (kind === 'network' && !(await this.wantsDhcp(trx, id))) return [];
    if (kind === 'router' && (await haRouterIds(trx, [id])).size) return this.scheduleHa(trx, id, hints);
    const hosts = await this.hosting(trx, kind, id);
    const live = hosts.filter((a) => a.heartbeat_timestamp >= this.opts.aliveCutoff());
    const wanted = (kind === 'network' ? this.opts.dhcpAgentsPerNetwork : 1) - live.length;
    if (wanted <= 0) return [];
    const taken = new Set(hosts.map((a) => a.id));
    const candidates = (await this.candidates(trx, kind, hints)).filter((c) => !taken.has(c.agent.id));
    const out: BindingChange[] = [];
    for (const c of candidates.slice(0, wanted)) out.push(await this.bind(trx, kind, id, c.agent));
    return out;
  }

  /**
   * An HA router gets the live agents it lacks, up to haAgentsWanted in all (its agents dead or
   * alive count: a dead one's standby role is kept until an admin moves it).
   */
  private async scheduleHa(trx: Executor, id: string, hints: string[]): Promise<BindingChange[]> {
    const limit = await this.haAgentsWanted(trx);
    const taken = new Set((await this.hosting(trx, 'router', id)).map((a) => a.id));
    const out: BindingChange[] = [];
    for (const c of (await this.candidates(trx, 'router', hints)).filter((x) => !taken.has(x.agent.id))) {
      if (taken.size + out.length >= limit) break;
      const change = await this.bindWithin(trx, 'router', id, c.agent, limit);
      if (!change) break;
      out.push(change);
    }
    return out;
  }

  /** A new or revived agent takes the resources of its kind that have fewer agents than they should. */
  async autoSchedule(trx: Executor, kind: Kind, agent: AgentRow, hintsOf: (ids: string[]) => Promise<Map<string, string[]>>): Promise<BindingChange[]> {
    if (!bool(agent.admin_state_up)) return [];
    const t = TABLES[kind];
    const per = kind === 'network' ? this.opts.dhcpAgentsPerNetwork : 1;
    const cutoff = this.opts.aliveCutoff();
    const own = new Set(await this.hostedBy(trx, kind, agent.id));
    // resources with fewer live agents than wanted
    const counts = await (trx as any) // eslint-disable-line @typescript-eslint/no-explicit-any
      .selectFrom(t.table)
      .innerJoin('agents', 'agents.id', `${t.table}.${t.agent}`)
      .select([`${t.table}.${t.res} as rid`, (eb: any) => eb.fn.countAll().as('n')]) // eslint-disable-line @typescript-eslint/no-explicit-any
      .where('agents.heartbeat_timestamp', '>=', cutoff)
      .groupBy(`${t.table}.${t.res}`)
      .execute();
    const live = new Map<string, number>(counts.map((c: { rid: string; n: number }) => [c.rid, Number(c.n)]));
    const all: string[] = kind === 'network' ? await this.dhcpNetworks(trx) : (await trx.selectFrom('routers').select('id').execute()).map((r) => r.id);
    // HA routers: fewer bindings than haAgentsWanted, dead agents' included (Neutron's _get_underscheduled_routers)
    const ha = kind === 'router' ? await haRouterIds(trx, all) : new Set<string>();
    const haLimit = ha.size ? await this.haAgentsWanted(trx) : 0;
    const bound = ha.size ? await this.bindingCounts(trx, [...ha]) : new Map<string, number>();
    const lacking = all.filter((id) => !own.has(id) && (ha.has(id) ? (bound.get(id) ?? 0) < haLimit : (live.get(id) ?? 0) < per));
    const hints = await hintsOf(lacking);
    const out: BindingChange[] = [];
    for (const id of lacking) {
      const h = hints.get(id) ?? [];
      if (h.length && !h.includes(agent.availability_zone ?? '')) continue;
      const change = ha.has(id) ? await this.bindWithin(trx, kind, id, agent, haLimit) : await this.bind(trx, kind, id, agent);
      if (change) out.push(change);
    }
    return out;
  }

  /** Bindings per router, whatever their agents' state. */
  private async bindingCounts(trx: Executor, ids: string[]): Promise<Map<string, number>> {
    const rows = await trx
      .selectFrom('router_l3_agent_bindings')
      .select(['router_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('router_id', 'in', ids)
      .groupBy('router_id')
      .execute();
    return new Map(rows.map((r) => [r.router_id, Number(r.n)]));
  }

  /**
   * Failover: removes bindings to agents silent for longer than the dead cutoff and schedules those
   * resources again onto live agents; HA routers stay (their standbys take over). Nothing moves when
   * no agent of the kind is alive (the server may be the one that was cut off, or everything
   * restarts at once).
   */
  async rescheduleFromDead(trx: Executor, kind: Kind, hintsOf: (ids: string[]) => Promise<Map<string, string[]>>): Promise<BindingChange[]> {
    const t = TABLES[kind];
    const aliveCount = await trx.selectFrom('agents').select((eb) => eb.fn.countAll<number>().as('n')).where('agent_type', '=', t.type).where('heartbeat_timestamp', '>=', this.opts.aliveCutoff()).executeTakeFirstOrThrow();
    if (!Number(aliveCount.n)) return [];
    const dead = await trx.selectFrom('agents').selectAll().where('agent_type', '=', t.type).where('heartbeat_timestamp', '<', this.opts.deadCutoff()).execute();
    const out: BindingChange[] = [];
    for (const agent of dead) {
      let ids = await this.hostedBy(trx, kind, agent.id);
      if (kind === 'router') {
        const ha = await haRouterIds(trx, ids);
        ids = ids.filter((id) => !ha.has(id));
      }
      if (!ids.length) continue;
      const hints = await hintsOf(ids);
      for (const id of ids) {
        const removed = await this.unbind(trx, kind, id, agent);
        if (removed) out.push(removed);
        out.push(...(await this.schedule(trx, kind, id, hints.get(id) ?? [])));
      }
    }
    return out;
  }

  /** Live, enabled agents of the kind in the hinted zones, least loaded first (ties by host). */
  private async candidates(trx: Executor, kind: Kind, hints: string[]): Promise<Array<{ agent: AgentRow; load: number }>> {
    const t = TABLES[kind];
    let q = trx.selectFrom('agents').selectAll().where('agent_type', '=', t.type).where('admin_state_up', '=', 1 as never).where('heartbeat_timestamp', '>=', this.opts.aliveCutoff());
    if (hints.length) q = q.where('availability_zone', 'in', hints);
    const agents = await q.execute();
    if (!agents.length) return [];
    const loads = await (trx as any) // eslint-disable-line @typescript-eslint/no-explicit-any
      .selectFrom(t.table)
      .select([`${t.agent} as aid`, (eb: any) => eb.fn.countAll().as('n')]) // eslint-disable-line @typescript-eslint/no-explicit-any
      .where(t.agent, 'in', agents.map((a) => a.id))
      .groupBy(t.agent)
      .execute();
    const load = new Map<string, number>(loads.map((l: { aid: string; n: number }) => [l.aid, Number(l.n)]));
    return agents
      .map((agent) => ({ agent, load: load.get(agent.id) ?? 0 }))
      .sort((a, b) => a.load - b.load || (a.agent.host < b.agent.host ? -1 : a.agent.host > b.agent.host ? 1 : 0));
  }

  private async wantsDhcp(trx: Executor, networkId: string): Promise<boolean> {
    const row = await trx.selectFrom('subnets').select('id').where('network_id', '=', networkId).where('enable_dhcp', '=', 1 as never).executeTakeFirst();
    return row !== undefined;
  }

  private async dhcpNetworks(trx: Executor): Promise<string[]> {
    const rows = await trx.selectFrom('subnets').select('network_id').distinct().where('enable_dhcp', '=', 1 as never).execute();
    return rows.map((r) => r.network_id);
  }
}
