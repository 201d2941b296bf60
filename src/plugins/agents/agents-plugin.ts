/**
 * The agents service plug-in: the `agents` and `availability_zones` collections, the DHCP and L3
 * scheduler sub-collections, availability zones of networks and routers, and scheduling: networks
 * onto DHCP agents when they get a DHCP-enabled subnet, routers onto an L3 agent when created,
 * unhosted ones onto an agent that appears, and away from dead agents (`rescheduleDead`, run
 * periodically by the server). Changes of hosting are published as `agent_binding` events, which
 * the agent notifier turns into casts to the agents.
 */
import type { ServiceDeps } from '../../app.js';
import { agentExtensions, agentResource, availabilityZoneResource } from '../../api/resources/agents.js';
import type { RequestContext } from '../../core/context.js';
import {
  AvailabilityZoneNotFound,
  InvalidDHCPAgent,
  InvalidL3Agent,
  HTTPBadRequest,
  NetworkHostedByDHCPAgent,
  NetworkNotHostedByDhcpAgent,
  PolicyRulesNotAuthorized,
  RouterHostedByL3Agent,
  RouterNotHostedByL3Agent,
} from '../../core/errors.js';
import type { Executor, PortRow } from '../../db/schema.js';
import { bool } from '../../db/schema.js';
import { isUuidText } from '../../api/resources/validators.js';
import { inPages, type Resource, type ResourcePages, type ResourcePlugin, type ServicePlugin, type SubCollection } from '../plugin-api.js';
import { AgentOps, type AgentReport, type AgentState } from './agent-ops.js';
import type { AgentRow } from './agents-repo.js';
import { addBlocks, DHCP_ENTITY, L2_ENTITY } from './provisioning.js';
import { Scheduler, type BindingChange } from './scheduler.js';
import { HaRouterRpc } from './ha-router-rpc.js';
import { haRouterIds } from '../../db/repos/l3-ha-repo.js';
import { PRIORITY } from '../events.js';

declare module '../events.js' {
  interface EventMap {
    /**
     * A network or router got or lost an agent (a deleted resource loses them all, `deleted` set):
     * `precommit_*` inside the transaction (L3 keeps an HA router's HA port per agent), `after_*`
     * once committed (the agents are told).
     */
    agent_binding: {
      precommit_create: { change: BindingChange };
      precommit_delete: { change: BindingChange };
      after_create: { change: BindingChange };
      after_delete: { change: BindingChange };
    };
  }
}

/** Neutron's default rules for agents and their schedulers. */
const POLICIES: Record<string, string> = {
  get_agent: 'rule:admin_only',
  update_agent: 'rule:admin_only',
  delete_agent: 'rule:admin_only',
  'create_dhcp-network': 'rule:admin_only',
  'get_dhcp-networks': 'rule:admin_only',
  'delete_dhcp-network': 'rule:admin_only',
  'create_l3-router': 'rule:admin_only',
  'get_l3-routers': 'rule:admin_only',
  'delete_l3-router': 'rule:admin_only',
  'get_dhcp-agents': 'rule:admin_only',
  'get_l3-agents': 'rule:admin_only',
  get_availability_zone: '@',
};

/** What the rest of the server (RPC handlers, periodic tasks) uses of this plug-in. */
export class AgentService {
  readonly agents: AgentOps;
  readonly scheduler: Scheduler;
  /** HA routers' states, ports and bindings as the agents see them. */
  readonly ha: HaRouterRpc;
  constructor(private readonly deps: ServiceDeps) {
    deps.events.declare('agent_binding', ['precommit_create', 'precommit_delete', 'after_create', 'after_delete']);
    const c = deps.config.DEFAULT;
    this.agents = new AgentOps(deps.database, { agentDownTime: c.agent_down_time, enableNewAgents: c.enable_new_agents });
    this.scheduler = new Scheduler({
      dhcpAgentsPerNetwork: c.dhcp_agents_per_network,
      maxL3AgentsPerRouter: c.max_l3_agents_per_router,
      aliveCutoff: () => this.agents.aliveCutoff(),
      deadCutoff: () => this.agents.aliveCutoff(2 * c.agent_down_time),
    });
    this.ha = new HaRouterRpc({ database: deps.database, core: deps.core, isAlive: (a) => this.agents.isAlive(a) });
  }

  /** Publishes changes of hosting made inside `trx` (precommit now, told to the agents after commit). */
  async bindingsChanged(trx: Executor, changes: BindingChange[]): Promise<void> {
    for (const change of changes) {
      const added = change.op === 'added';
      await this.deps.events.publish(trx, 'agent_binding', added ? 'precommit_create' : 'precommit_delete', { change });
      await this.deps.events.publish(trx, 'agent_binding', added ? 'after_create' : 'after_delete', { change });
    }
  }

  /** Runs `work` in a transaction and publishes the binding changes it collected. */
  async scheduling<T>(work: (trx: Executor, changes: BindingChange[]) => Promise<T>): Promise<T> {
    return this.deps.database.transaction(async (trx) => {
      const changes: BindingChange[] = [];
      const out = await work(trx, changes);
      await this.bindingsChanged(trx, changes);
      return out;
    });
  }

  /** A heartbeat; a new or revived agent then takes unhosted networks or routers. */
  async reportState(state: AgentState): Promise<AgentReport> {
    const c = this.deps.config.DEFAULT;
    return this.scheduling(async (trx, changes) => {
      const report = await this.agents.report(trx, state);
      const fresh = report.status !== 'alive' || state.start_flag === true;
      if (fresh && report.agent.agent_type === 'DHCP agent' && c.network_auto_schedule)
        changes.push(...(await this.scheduler.autoSchedule(trx, 'network', report.agent, (ids) => this.hints(trx, 'network', ids))));
      if (fresh && report.agent.agent_type === 'L3 agent' && c.router_auto_schedule)
        changes.push(...(await this.scheduler.autoSchedule(trx, 'router', report.agent, (ids) => this.hints(trx, 'router', ids))));
      return report;
    });
  }

  /** Failover from agents silent for twice agent_down_time (each kind as configured). */
  async rescheduleDead(): Promise<BindingChange[]> {
    const c = this.deps.config.DEFAULT;
    let all: BindingChange[] = [];
    for (const [kind, on] of [['network', c.allow_automatic_dhcp_failover], ['router', c.allow_automatic_l3agent_failover]] as const) {
      if (!on) continue;
      const changes = await this.scheduling(async (trx, out) => {
        out.push(...(await this.scheduler.rescheduleFromDead(trx, kind, (ids) => this.hints(trx, kind, ids))));
        return out;
      });
      all = all.concat(changes);
    }
    const moved = all.filter((ch) => ch.op === 'added');
    if (all.length) this.deps.logger.warn({ removed: all.length - moved.length, added: moved.length }, 'rescheduled from dead agents');
    return all;
  }

  /** `availability_zone_hints` of networks or routers, by id. */
  async hints(trx: Executor, kind: 'network' | 'router', ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!ids.length) return out;
    const rows =
      kind === 'network'
        ? await trx.selectFrom('networks').select(['id', 'availability_zone_hints']).where('id', 'in', ids).execute()
        : await trx.selectFrom('routers').select(['id', 'availability_zone_hints']).where('id', 'in', ids).execute();
    for (const r of rows) out.set(r.id, JSON.parse(r.availability_zone_hints || '[]'));
    return out;
  }

  /** Zones of the agents hosting each network / router (`availability_zones`). */
  async zonesOf(trx: Executor, kind: 'network' | 'router', ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>(ids.map((id) => [id, []]));
    if (!ids.length) return out;
    const rows =
      kind === 'network'
        ? await trx
            .selectFrom('network_dhcp_agent_bindings as b')
            .innerJoin('agents', 'agents.id', 'b.dhcp_agent_id')
            .select(['b.network_id as rid', 'agents.availability_zone as az'])
            .where('b.network_id', 'in', ids)
            .execute()
        : await trx
            .selectFrom('router_l3_agent_bindings as b')
            .innerJoin('agents', 'agents.id', 'b.l3_agent_id')
            .select(['b.router_id as rid', 'agents.availability_zone as az'])
            .where('b.router_id', 'in', ids)
            .execute();
    for (const r of rows) {
      const zones = out.get(r.rid)!;
      if (r.az && !zones.includes(r.az)) zones.push(r.az);
    }
    for (const z of out.values()) z.sort();
    return out;
  }
}

export function agentsPlugin(deps: ServiceDeps): ServicePlugin & { service: AgentService } {
  const service = new AgentService(deps);
  const { agents, scheduler } = service;
  const { database, policy, core, events } = deps;
  const enforce = (ctx: RequestContext, rule: string) => {
    if (!policy.check(rule, ctx, {}, 'admin_only')) throw new PolicyRulesNotAuthorized({ rules: [rule] });
  };

  // zones: hints must name zones of agents of the right type
  for (const resource of ['network', 'router'] as const) {
    const type = resource === 'network' ? 'DHCP agent' : 'L3 agent';
    events.subscribe(
      resource,
      'before_create',
      async ({ items }, trx) => {
        const hints = [...new Set(items.flatMap((i) => (Array.isArray(i.availability_zone_hints) ? (i.availability_zone_hints as string[]) : [])))];
        if (!hints.length) return;
        const rows = await trx.selectFrom('agents').select('availability_zone').distinct().where('agent_type', '=', type).where('availability_zone', 'in', hints).execute();
        const known = new Set(rows.map((r) => r.availability_zone));
        const missing = hints.find((h) => !known.has(h));
        if (missing !== undefined) throw new AvailabilityZoneNotFound({ availability_zone: missing });
      },
      { priority: PRIORITY.CHECK, name: `availability zones of a ${resource}` },
    );
  }
  core.extensions.network.push(async (trx, networks) => {
    const zones = await service.zonesOf(trx, 'network', networks.map((n) => n.id as string));
    for (const n of networks) n.availability_zones = zones.get(n.id as string) ?? [];
  });

  // DHCP: a network is scheduled when it gets a DHCP-enabled subnet; the change is told after commit
  const scheduleNetwork = async (trx: Executor, networkId: string) => {
    const hints = (await service.hints(trx, 'network', [networkId])).get(networkId) ?? [];
    await service.bindingsChanged(trx, await scheduler.schedule(trx, 'network', networkId, hints));
  };
  for (const event of ['precommit_create', 'precommit_update'] as const)
    events.subscribe(
      'subnet',
      event,
      async ({ current: subnet }, trx) => {
        if (bool(subnet.enable_dhcp)) await scheduleNetwork(trx, subnet.network_id);
      },
      { name: 'DHCP scheduling' },
    );
  // a deleted network or router leaves its agents: they hear it once it committed
  for (const kind of ['network', 'router'] as const)
    events.subscribe(
      kind,
      'precommit_delete',
      async ({ original }, trx) => {
        const changes: BindingChange[] = [];
        for (const agent of await scheduler.hosting(trx, kind, original.id)) {
          const removed = await scheduler.unbind(trx, kind, original.id, agent);
          if (removed) changes.push({ ...removed, deleted: true });
        }
        await service.bindingsChanged(trx, changes);
      },
      { name: `${kind} leaves its agents` },
    );

  // provisioning blocks (provisioning.ts): who must report before a bound port goes ACTIVE
  const servedByDhcp = async (trx: Executor, portId: string, networkId: string): Promise<boolean> => {
    const subnets = await trx
      .selectFrom('ip_allocations')
      .innerJoin('subnets', 'subnets.id', 'ip_allocations.subnet_id')
      .select('subnets.enable_dhcp')
      .where('ip_allocations.port_id', '=', portId)
      .execute();
    if (!subnets.some((s) => bool(s.enable_dhcp))) return false;
    const hosting = await scheduler.hosting(trx, 'network', networkId);
    const provisions = (a: AgentRow) => (JSON.parse(a.configurations || '{}') as { datapath?: string }).datapath !== 'none';
    return hosting.some((a) => bool(a.admin_state_up as never) && agents.isAlive(a) && provisions(a));
  };
  type Bound = Pick<PortRow, 'id' | 'network_id' | 'binding_vif_type' | 'device_owner' | 'status'>;
  const block = async (trx: Executor, port: Bound | undefined) => {
    if (!port || port.binding_vif_type !== 'bridge' || port.status === 'ACTIVE') return;
    const dhcp = !port.device_owner.startsWith('network:dhcp') && (await servedByDhcp(trx, port.id, port.network_id));
    await addBlocks(trx, port.id, dhcp ? [L2_ENTITY, DHCP_ENTITY] : [L2_ENTITY]);
  };
  events.subscribe('port', 'precommit_create', async ({ current }, trx) => block(trx, current), { name: 'provisioning blocks' });
  events.subscribe(
    'port',
    'precommit_update',
    async ({ request, original, current }, trx) => {
      if ('binding:host_id' in request || 'fixed_ips' in request || 'mac_address' in request || original.binding_vif_type === 'binding_failed') await block(trx, current);
    },
    { name: 'provisioning blocks' },
  );

  // routers: scheduled at once when router_auto_schedule (their hints were checked before_create)
  events.subscribe(
    'router',
    'precommit_create',
    async ({ request, current }, trx) => {
      const hints = (request.availability_zone_hints as string[] | undefined) ?? [];
      if (deps.config.DEFAULT.router_auto_schedule) await service.bindingsChanged(trx, await scheduler.schedule(trx, 'router', current.id, hints));
    },
    { name: 'L3 scheduling' },
  );
  // a router whose `ha` changed leaves its agents and is scheduled again (Neutron's _reconfigure_ha_resources)
  events.subscribe(
    'router',
    'precommit_update',
    async ({ original, current }, trx) => {
      if (bool(original.ha) === bool(current.ha)) return;
      const changes: BindingChange[] = [];
      for (const agent of await scheduler.hosting(trx, 'router', current.id)) {
        const removed = await scheduler.unbind(trx, 'router', current.id, agent);
        if (removed) changes.push(removed);
      }
      const hints = JSON.parse(current.availability_zone_hints || '[]') as string[];
      changes.push(...(await scheduler.schedule(trx, 'router', current.id, hints)));
      await service.bindingsChanged(trx, changes);
    },
    { name: 'L3 rescheduling of a router whose ha changed' },
  );
  core.extensions.router.push(async (trx, routers) => {
    const ids = routers.map((r) => r.id as string);
    const [hints, zones] = await Promise.all([service.hints(trx, 'router', ids), service.zonesOf(trx, 'router', ids)]);
    for (const r of routers) {
      r.availability_zone_hints = hints.get(r.id as string) ?? [];
      r.availability_zones = zones.get(r.id as string) ?? [];
    }
  });

  const agentOf = async (trx: Executor, id: string, type: string, invalid: (p: { id: string }) => Error): Promise<AgentRow> => {
    const agent = await agents.row(trx, id);
    if (agent.agent_type !== type || !bool(agent.admin_state_up)) throw invalid({ id });
    return agent;
  };
  const bodyId = (body: unknown, key: string): string => {
    const v = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[key] : undefined;
    // worded as the controller words attribute failures (webob's HTTPBadRequest), as Neutron does
    if (typeof v !== 'string' || !isUuidText(v)) throw new HTTPBadRequest({ msg: `Invalid input for ${key}. Reason: '${v ?? ''}' is not a valid UUID.` });
    return v;
  };

  /** An admin takes a network or router off an agent; `notHosted` when it was not there. */
  const unbindByHand = async (ctx: RequestContext, rule: string, kind: 'network' | 'router', agentId: string, id: string, notHosted: () => Error) => {
    enforce(ctx, rule);
    await service.scheduling(async (trx, changes) => {
      const removed = await scheduler.unbind(trx, kind, id, await agents.row(trx, agentId));
      if (!removed) throw notHosted();
      changes.push(removed);
    });
  };

  const dhcpNetworks: SubCollection = {
    async list(ctx, id) {
      enforce(ctx, 'get_dhcp-networks');
      const ids = await scheduler.hostedBy(database.db, 'network', (await agents.row(database.db, id)).id);
      return { networks: ids.length ? await core.listNetworks(ctx, { id: ids }) : [] };
    },
    async add(ctx, id, body) {
      enforce(ctx, 'create_dhcp-network');
      const networkId = bodyId(body, 'network_id');
      await core.getNetwork(ctx, networkId);
      await service.scheduling(async (trx, changes) => {
        const agent = await agentOf(trx, id, 'DHCP agent', (p) => new InvalidDHCPAgent(p));
        if ((await scheduler.hostedBy(trx, 'network', agent.id)).includes(networkId)) throw new NetworkHostedByDHCPAgent({ network_id: networkId, agent_id: id });
        changes.push(await scheduler.bind(trx, 'network', networkId, agent));
      });
      return null;
    },
    remove: (ctx, id, networkId) =>
      unbindByHand(ctx, 'delete_dhcp-network', 'network', id, networkId, () => new NetworkNotHostedByDhcpAgent({ network_id: networkId, agent_id: id })),
  };
  const dhcpAgents: SubCollection = {
    async list(ctx, networkId) {
      enforce(ctx, 'get_dhcp-agents');
      await core.getNetwork(ctx, networkId);
      return { agents: (await scheduler.hosting(database.db, 'network', networkId)).map((a) => agents.render(a)) };
    },
  };
  const l3Routers: SubCollection = {
    async list(ctx, id) {
      enforce(ctx, 'get_l3-routers');
      const ids = await scheduler.hostedBy(database.db, 'router', (await agents.row(database.db, id)).id);
      return { routers: await listByIds(deps.collection('routers'), ctx, ids) };
    },
    async add(ctx, id, body) {
      enforce(ctx, 'create_l3-router');
      const routerId = bodyId(body, 'router_id');
      await deps.collection('routers').get(ctx, routerId);
      await service.scheduling(async (trx, changes) => {
        const agent = await agentOf(trx, id, 'L3 agent', (p) => new InvalidL3Agent(p));
        const current = await scheduler.hosting(trx, 'router', routerId);
        if (current.some((a) => a.id === agent.id)) throw new RouterHostedByL3Agent({ router_id: routerId, agent_id: id });
        // an HA router takes one more agent (its HA port comes with the binding), even past the maximum
        if ((await haRouterIds(trx, [routerId])).size) {
          changes.push(await scheduler.bind(trx, 'router', routerId, agent));
          return;
        }
        // a legacy router lives on one L3 agent: adding it elsewhere moves it (as Neutron does)
        for (const old of current) {
          const removed = await scheduler.unbind(trx, 'router', routerId, old);
          if (removed) changes.push(removed);
        }
        changes.push(await scheduler.bind(trx, 'router', routerId, agent));
      });
      return null;
    },
    remove: (ctx, id, routerId) =>
      unbindByHand(ctx, 'delete_l3-router', 'router', id, routerId, () => new RouterNotHostedByL3Agent({ router_id: routerId, agent_id: id })),
  };
  const l3Agents: SubCollection = {
    async list(ctx, routerId) {
      enforce(ctx, 'get_l3-agents');
      await deps.collection('routers').get(ctx, routerId);
      // each agent's `ha_state` (Neutron's l3_hascheduler_db): the HA binding's, null for a legacy router
      const states = (await haRouterIds(database.db, [routerId])).size ? await service.ha.statesOf(routerId) : new Map<string, string>();
      return { agents: (await scheduler.hosting(database.db, 'router', routerId)).map((a) => ({ ...agents.render(a), ha_state: states.get(a.id) ?? null })) };
    },
  };

  const zones: ResourcePlugin = {
    create: async () => {
      throw new PolicyRulesNotAuthorized({ rules: ['create_availability_zone'] });
    },
    get: async () => {
      throw new AvailabilityZoneNotFound({ availability_zone: '' });
    },
    list: async (_ctx, q): Promise<ResourcePages> => {
      const all = await agents.availabilityZones(database.db);
      const match = (z: Resource) => Object.entries(q.filters).every(([k, vals]) => vals.map(String).includes(String(z[k])));
      return inPages(all.filter(match), async (rows) => rows);
    },
    update: async () => {
      throw new PolicyRulesNotAuthorized({ rules: ['update_availability_zone'] });
    },
    delete: async () => {
      throw new PolicyRulesNotAuthorized({ rules: ['delete_availability_zone'] });
    },
  };

  return {
    service,
    resources: [agentResource(), availabilityZoneResource()],
    extensions: agentExtensions(),
    policies: POLICIES,
    collections: () => ({ agents, availability_zones: zones }),
    subCollections: [
      { parent: 'agents', name: 'dhcp-networks', sub: dhcpNetworks },
      { parent: 'networks', name: 'dhcp-agents', sub: dhcpAgents },
      { parent: 'agents', name: 'l3-routers', sub: l3Routers },
      { parent: 'routers', name: 'l3-agents', sub: l3Agents },
    ],
  };
}

/** The items of a collection with these ids that the caller may see. */
async function listByIds(plugin: ResourcePlugin, ctx: RequestContext, ids: string[]): Promise<Resource[]> {
  const out: Resource[] = [];
  if (!ids.length) return out;
  for await (const page of await plugin.list(ctx, { filters: { id: ids }, tagFilters: {}, sorts: [], pageReverse: false })) out.push(...page);
  return out;
}
