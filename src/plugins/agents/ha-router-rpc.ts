/**
 * HA routers as the agents see them (Neutron's l3_hamode_db and L3RpcCallback, server side): the
 * VRRP state each L3 agent reports (`update_ha_routers_states`), which moves the router's interface
 * and gateway ports to the host of the agent that became active; where a router's ports are bound
 * when its agents sync (only unbound ones, to the active host); which ports an L2 agent wires for
 * the HA routers its host keeps as a standby; and the `ha_state` of each hosting agent. Everything
 * runs as an admin; a port deleted meanwhile is skipped.
 */
import { makeContext, type RequestContext } from '../../core/context.js';
import { InvalidInput, NeutronError } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import { DEVICE_OWNER_HA_REPLICATED_INT, haBindings, HA_STATES, type HaState } from '../../db/repos/l3-ha-repo.js';
import { DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_ROUTER_INTF } from '../../db/repos/l3-repo.js';
import { bool, type Executor } from '../../db/schema.js';
import type { CorePlugin } from '../core-plugin.js';
import type { AgentRow } from './agents-repo.js';

const ADMIN: RequestContext = makeContext({ projectId: '', roles: ['admin'], isAdmin: true, requestId: 'rpc' });

/** The ports of an HA router that follow its active agent (Neutron's _update_router_port_bindings; ours also the interfaces of a distributed HA router). */
const FOLLOW_ACTIVE = [DEVICE_OWNER_HA_REPLICATED_INT, DEVICE_OWNER_ROUTER_INTF, 'network:router_centralized_snat', DEVICE_OWNER_ROUTER_GW];

/** Neutron 21's agent reports keepalived's `fault` as `standby` (TRANSLATION_MAP); the server stores only active, standby, unknown. */
const STORED: Record<string, HaState> = { active: 'active', standby: 'standby', unknown: 'unknown', fault: 'standby' };

export class HaRouterRpc {
  constructor(
    private readonly deps: {
      database: Database;
      core: CorePlugin;
      /** Whether an agent is alive (its last heartbeat within agent_down_time). */
      isAlive(agent: AgentRow): boolean;
    },
  ) {}

  /**
   * `update_ha_routers_states`: records each router's state on this host's L3 agent binding; the
   * routers reported `active` get their interface and gateway ports bound to this host, through
   * the core plug-in (so the L2 agents hear of it).
   */
  async updateStates(host: string, states: unknown): Promise<null> {
    if (!states || typeof states !== 'object' || Array.isArray(states)) throw new InvalidInput({ error_message: "'states' must be a dictionary" });
    const wanted = Object.entries(states as Record<string, unknown>).map(([router, state]) => {
      if (typeof state !== 'string' || !(state in STORED)) throw new InvalidInput({ error_message: `'${String(state)}' is not a valid HA state: one of ${[...HA_STATES, 'fault'].join(', ')}` });
      return [router, STORED[state]] as const;
    });
    const { database } = this.deps;
    const agent = await database.db.selectFrom('agents').selectAll().where('agent_type', '=', 'L3 agent').where('host', '=', host).executeTakeFirst();
    if (!agent || !wanted.length) return null;
    // only the routers this agent hosts: a report about another one moves nothing
    const active = await database.transaction(async (trx) => {
      const hosted: string[] = [];
      for (const [router, state] of wanted) {
        const res = await trx.updateTable('ha_router_agent_port_bindings').set({ state }).where('router_id', '=', router).where('l3_agent_id', '=', agent.id).executeTakeFirst();
        if (Number(res.numUpdatedRows) && state === 'active') hosted.push(router);
      }
      return hosted;
    });
    if (active.length) await this.bindPorts(await this.followers(database.db, active), host);
    return null;
  }

  /**
   * The state each L3 agent hosting an HA router shows (`ha_state` of `GET /routers/{id}/l3-agents`),
   * by agent id. As Neutron's _get_bindings_and_update_router_state_for_dead_agents: an agent that
   * is dead or disabled and was active is recorded `unknown` when every agent of the router is so,
   * otherwise `standby` (another one will take over).
   */
  async statesOf(routerId: string): Promise<Map<string, string>> {
    return this.deps.database.transaction(async (trx) => {
      const bindings = (await haBindings(trx, [routerId])).filter((b) => b.l3_agent_id !== null);
      const ids = bindings.map((b) => b.l3_agent_id as string);
      const agents = new Map((ids.length ? await trx.selectFrom('agents').selectAll().where('id', 'in', ids).execute() : []).map((a) => [a.id, a]));
      const down = (id: string) => {
        const a = agents.get(id);
        return !a || !bool(a.admin_state_up) || !this.deps.isAlive(a);
      };
      const activeDown = bindings.filter((b) => b.state === 'active' && down(b.l3_agent_id!));
      if (activeDown.length) {
        const allDown = bindings.every((b) => down(b.l3_agent_id!) && (b.state === 'active' || b.state === 'standby'));
        const state: HaState = allDown ? 'unknown' : 'standby';
        for (const b of activeDown) {
          await trx.updateTable('ha_router_agent_port_bindings').set({ state }).where('port_id', '=', b.port_id).execute();
          b.state = state;
        }
      }
      return new Map(bindings.map((b) => [b.l3_agent_id as string, b.state]));
    });
  }

  /**
   * Binds the ports of routers an L3 agent on `host` syncs (Neutron's _ensure_host_set_on_ports):
   * a legacy router's interface and gateway ports to `host`; an HA router's HA port of this agent
   * to `host`, and its other ports only while unbound, to the host of its active agent (if one is).
   */
  async bindSyncedPorts(agent: AgentRow, ids: string[], ha: Set<string>): Promise<void> {
    const db = this.deps.database.db;
    const legacy = ids.filter((id) => !ha.has(id));
    if (legacy.length)
      await this.bindPorts(
        (await db.selectFrom('ports').select(['id', 'binding_host_id']).where('device_id', 'in', legacy).where('device_owner', 'in', [DEVICE_OWNER_ROUTER_INTF, DEVICE_OWNER_ROUTER_GW]).execute()),
        agent.host,
      );
    if (!ha.size) return;
    const own = (await haBindings(db, [...ha], agent.id)).map((b) => b.port_id);
    if (own.length) await this.bindPorts(await db.selectFrom('ports').select(['id', 'binding_host_id']).where('id', 'in', own).execute(), agent.host);
    const unbound = (await this.followers(db, [...ha])).filter((p) => !p.binding_host_id);
    for (const routerId of new Set(unbound.map((p) => p.device_id))) {
      const host = await this.activeHost(db, routerId);
      if (host) await this.bindPorts(unbound.filter((p) => p.device_id === routerId), host);
    }
  }

  /**
   * The ports an L2 agent on `host` wires for the HA routers an L3 agent there hosts (Neutron's
   * standbys have their qr-/qg- devices plugged too, to take over): each router's interface and
   * gateway ports, wherever they are bound.
   */
  async standbyPortIds(host: string): Promise<string[]> {
    const db = this.deps.database.db;
    const rows = await db
      .selectFrom('ha_router_agent_port_bindings as b')
      .innerJoin('agents', 'agents.id', 'b.l3_agent_id')
      .innerJoin('ports', 'ports.device_id', 'b.router_id')
      .select('ports.id')
      .where('agents.host', '=', host)
      .where('agents.agent_type', '=', 'L3 agent')
      .where('ports.device_owner', 'in', FOLLOW_ACTIVE)
      .execute();
    return [...new Set(rows.map((r) => r.id))];
  }

  /** The host of an HA router's first agent reported active (Neutron's get_active_host_for_ha_router). */
  private async activeHost(trx: Executor, routerId: string): Promise<string | undefined> {
    const row = await trx
      .selectFrom('ha_router_agent_port_bindings as b')
      .innerJoin('agents', 'agents.id', 'b.l3_agent_id')
      .select('agents.host')
      .where('b.router_id', '=', routerId)
      .where('b.state', '=', 'active')
      .orderBy('agents.host')
      .executeTakeFirst();
    return row?.host;
  }

  private async followers(trx: Executor, routerIds: string[]) {
    return trx.selectFrom('ports').select(['id', 'device_id', 'binding_host_id']).where('device_id', 'in', routerIds).where('device_owner', 'in', FOLLOW_ACTIVE).execute();
  }

  /** Each port not yet on `host` is bound there, one transaction each (a port gone meanwhile is skipped). */
  private async bindPorts(ports: Array<{ id: string; binding_host_id: string }>, host: string): Promise<void> {
    for (const p of ports) {
      if (p.binding_host_id === host) continue;
      try {
        await this.deps.database.transaction((trx) => this.deps.core.updatePort(trx, ADMIN, p.id, { 'binding:host_id': host }));
      } catch (err) {
        if (!(err instanceof NeutronError)) throw err;
      }
    }
  }
}
