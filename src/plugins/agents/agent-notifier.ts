/**
 * The server's side of RPC: it serves what agents ask (`q-reports-plugin`, `q-plugin`, as this
 * server's host) and, as an after-commit subscriber of the resource events (events.ts), tells the
 * agents what changed, from what the events carry (nothing is read again but who hosts what):
 * - hosting changes (`agent_binding`): `network_create_end` / `network_delete_end` to a DHCP agent,
 *   `router_added_to_agent` / `router_removed_from_agent` (or `router_deleted`) to an L3 agent;
 * - ports: `port_update_end` / `port_delete_end` to the DHCP agents of the port's network (the L2
 *   agents hear of ports from the linuxbridge mechanism driver);
 * - security groups (fanout `q-agent-notifier-security_group-update`): `security_groups_rule_updated`
 *   when rules come or go, `security_groups_member_updated` when ports join, leave or change addresses;
 * - routers (Neutron's L3AgentNotifyAPI, to the hosting L3 agents): `routers_updated` when a router,
 *   its interfaces, gateway, routes or floating IPs change, `router_deleted` when it goes;
 * - metering agents (fanout `metering_agent`, Neutron's MeteringAgentNotifyAPI): the same router
 *   changes, and labels and rules added or removed.
 * Notifications of one transaction about the same groups or routers are sent once. A notification
 * that cannot be sent is logged and dropped: agents heal it with their periodic full sync.
 */
import type { Logger } from 'pino';
import { SECURITY_GROUP_NOTIFIER_API, type SecurityGroupNotifierApi } from '../../rpc/apis/agent-notifier-api.js';
import { REPORTS_API } from '../../rpc/apis/reports-api.js';
import { endpoint, RpcClient } from '../../rpc/rpc-api.js';
import { agentNotifierTopic, DHCP_AGENT, L3_AGENT, METERING_AGENT, PLUGIN, REPORTS } from '../../rpc/topics.js';
import type { RpcServer, RpcTransport } from '../../rpc/transport.js';
import { DHCP_AGENT_API, L3_AGENT_API, METERING_AGENT_API, SERVER_PLUGIN_API, type DhcpAgentApi, type L3AgentApi, type MeteringAgentApi } from '../../agents/server-api.js';
import type { Database } from '../../db/database.js';
import { PRIORITY, type Events } from '../events.js';
import type { Resource } from '../plugin-api.js';
import type { AgentService } from './agents-plugin.js';
import type { AgentRpc } from './agent-rpc.js';

const NOTIFY = { priority: PRIORITY.NOTIFY, name: 'agent notifier' };
const groupsOf = (port: Resource | undefined): string[] => (Array.isArray(port?.security_groups) ? (port.security_groups as string[]) : []);

export class AgentNotifier {
  private readonly dhcp: RpcClient<DhcpAgentApi>;
  private readonly l3: RpcClient<L3AgentApi>;
  private readonly metering: RpcClient<MeteringAgentApi>;
  private readonly securityGroups: RpcClient<SecurityGroupNotifierApi>;
  /** What this tick's events asked to tell, sent once at the end of the tick. */
  private readonly pending = { rules: new Set<string>(), members: new Set<string>(), routers: new Set<string>() };
  private flushing = false;

  constructor(
    private readonly transport: RpcTransport,
    private readonly deps: { database: Database; events: Events; agents: AgentService; logger: Logger },
  ) {
    this.dhcp = new RpcClient(transport, DHCP_AGENT_API, DHCP_AGENT);
    this.l3 = new RpcClient(transport, L3_AGENT_API, L3_AGENT);
    this.metering = new RpcClient(transport, METERING_AGENT_API, METERING_AGENT);
    this.securityGroups = new RpcClient(transport, SECURITY_GROUP_NOTIFIER_API, agentNotifierTopic('security_group', 'update'));
  }

  /** Serves the agents' requests as host `host`; returns the servers to stop. */
  async serve(host: string, rpc: AgentRpc): Promise<RpcServer[]> {
    return [
      await this.transport.serve({ topic: REPORTS, server: host }, [endpoint(REPORTS_API, rpc.reportsHandlers())]),
      await this.transport.serve({ topic: PLUGIN, server: host }, [endpoint(SERVER_PLUGIN_API, rpc.pluginHandlers())]),
    ];
  }

  /** Subscribes the notifications to the resource events (after commit, last). */
  subscribe(): void {
    const { events } = this.deps;
    // hosting
    events.subscribe('agent_binding', 'after_create', ({ change: c }) =>
      c.kind === 'network'
        ? this.send('network_create_end', () => this.dhcp.cast('network_create_end', { payload: { network: { id: c.id } } }, { server: c.host }))
        : this.send('router_added_to_agent', () => this.l3.cast('router_added_to_agent', { payload: [c.id] }, { server: c.host })),
    NOTIFY);
    events.subscribe('agent_binding', 'after_delete', ({ change: c }) => {
      if (c.kind === 'network') return this.send('network_delete_end', () => this.dhcp.cast('network_delete_end', { payload: { network_id: c.id } }, { server: c.host }));
      if (c.deleted) return this.send('router_deleted', () => this.l3.cast('router_deleted', { router_id: c.id }, { server: c.host }));
      return this.send('router_removed_from_agent', () => this.l3.cast('router_removed_from_agent', { payload: { router_id: c.id } }, { server: c.host }));
    }, NOTIFY);

    // ports, to the DHCP agents of their network; their security groups' members
    events.subscribe('port', 'after_create', async ({ current }) => {
      this.later('members', groupsOf(current));
      await this.portToDhcp(current);
    }, NOTIFY);
    events.subscribe('port', 'after_update', async ({ request, original, current }) => {
      if ('security_groups' in request || 'fixed_ips' in request) this.later('members', [...groupsOf(original), ...groupsOf(current)]);
      if (Object.keys(request).some((k) => k !== 'status')) await this.portToDhcp(current);
    }, NOTIFY);
    events.subscribe('port', 'after_delete', async ({ original }) => {
      this.later('members', groupsOf(original));
      const payload = { port_id: original.id as string, network_id: original.network_id as string };
      for (const host of await this.dhcpHosts(payload.network_id)) await this.send('port_delete_end', () => this.dhcp.cast('port_delete_end', { payload }, { server: host }));
    }, NOTIFY);
    events.subscribe('security_group_rule', 'after_create', ({ current }) => this.later('rules', [current.security_group_id as string]), NOTIFY);
    events.subscribe('security_group_rule', 'after_delete', ({ original }) => this.later('rules', [original.security_group_id as string]), NOTIFY);

    // routers
    events.subscribe('router', 'after_update', ({ current }) => this.later('routers', [current.id as string]), NOTIFY);
    events.subscribe('router_interface', 'after_create', ({ router_id }) => this.later('routers', [router_id]), NOTIFY);
    events.subscribe('router_interface', 'after_delete', ({ router_id }) => this.later('routers', [router_id]), NOTIFY);
    const fipRouters = (...fips: Array<Resource | undefined>) => this.later('routers', fips.map((f) => f?.router_id).filter((r): r is string => typeof r === 'string'));
    events.subscribe('floatingip', 'after_create', ({ current }) => fipRouters(current), NOTIFY);
    events.subscribe('floatingip', 'after_update', ({ original, current }) => fipRouters(original, current), NOTIFY);
    events.subscribe('floatingip', 'after_delete', ({ original }) => fipRouters(original), NOTIFY);
    events.subscribe('router', 'after_delete', ({ original }) => this.send('router_deleted', () => this.metering.fanout('router_deleted', { router_id: original.id as string })), NOTIFY);

    // metering labels and rules: the metering agents sync them
    events.subscribe('metering_label', 'after_create', ({ current }) => this.send('add_metering_label', () => this.metering.fanout('add_metering_label', { routers: [], label_id: current.id as string })), NOTIFY);
    events.subscribe('metering_label', 'after_delete', ({ original }) => this.send('remove_metering_label', () => this.metering.fanout('remove_metering_label', { routers: [], label_id: original.id as string })), NOTIFY);
    events.subscribe('metering_label_rule', 'after_create', ({ current }) => this.send('add_metering_label_rule', () => this.metering.fanout('add_metering_label_rule', { routers: [], label_id: current.metering_label_id as string })), NOTIFY);
    events.subscribe('metering_label_rule', 'after_delete', ({ original }) => this.send('remove_metering_label_rule', () => this.metering.fanout('remove_metering_label_rule', { routers: [], label_id: original.metering_label_id as string })), NOTIFY);
  }

  /** Collects ids to tell at the end of this tick (one transaction's events arrive in one tick). */
  private later(kind: keyof AgentNotifier['pending'], ids: string[]): void {
    for (const id of ids) this.pending[kind].add(id);
    if (this.flushing || !ids.length) return;
    this.flushing = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushing = false;
    const take = (s: Set<string>) => {
      const ids = [...s].sort();
      s.clear();
      return ids;
    };
    const rules = take(this.pending.rules);
    const members = take(this.pending.members);
    const routers = take(this.pending.routers);
    if (rules.length) await this.securityGroupsUpdated('security_groups_rule_updated', rules);
    if (members.length) await this.securityGroupsUpdated('security_groups_member_updated', members);
    if (routers.length) await this.routersUpdated(routers);
  }

  async securityGroupsUpdated(method: keyof SecurityGroupNotifierApi, ids: string[]): Promise<void> {
    if (ids.length) await this.send(method, () => this.securityGroups.fanout(method, { security_groups: [...ids].sort() }));
  }

  /** Routers changed: each hosting L3 agent hears of its routers in one cast; metering agents in one fanout. */
  async routersUpdated(ids: string[]): Promise<void> {
    const byHost = new Map<string, string[]>();
    for (const id of ids)
      for (const a of await this.deps.agents.scheduler.hosting(this.deps.database.db, 'router', id)) byHost.set(a.host, [...(byHost.get(a.host) ?? []), id]);
    for (const [host, routers] of byHost) await this.send('routers_updated', () => this.l3.cast('routers_updated', { routers }, { server: host }));
    await this.send('routers_updated', () => this.metering.fanout('routers_updated', { routers: ids }));
  }

  private async send(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, what }, 'agent notification not sent; agents resync periodically');
    }
  }

  private async dhcpHosts(networkId: string): Promise<string[]> {
    return (await this.deps.agents.scheduler.hosting(this.deps.database.db, 'network', networkId)).map((a) => a.host);
  }

  /** A port as it is now, to the DHCP agents of its network. */
  private async portToDhcp(port: Resource): Promise<void> {
    for (const host of await this.dhcpHosts(port.network_id as string)) await this.send('port_update_end', () => this.dhcp.cast('port_update_end', { payload: { port } }, { server: host }));
  }
}
