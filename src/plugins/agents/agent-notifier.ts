/**
 * The server's side of RPC: it serves what agents ask (`q-reports-plugin`, `q-plugin`, as this
 * server's host) and tells agents what changed, after commit: a network added to or removed from a
 * DHCP agent or deleted, a router to or from an L3 agent (to that agent's host queue), and port changes
 * (fanout `q-agent-notifier-port-update|delete` for L2 agents, `port_update_end` /
 * `port_delete_end` to the DHCP agents of the port's network), and security group changes (fanout
 * `q-agent-notifier-security_group-update`: rules of groups created or deleted, members of groups
 * joining, leaving or changing addresses). A notification that cannot be sent
 * is logged and dropped: agents heal it with their periodic full sync.
 */
import type { Logger } from 'pino';
import { makeContext } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import type { Executor, PortRow } from '../../db/schema.js';
import type { Ml2Plugin } from '../ml2/ml2-plugin.js';
import { AGENT_NOTIFIER_API, SECURITY_GROUP_NOTIFIER_API, type AgentNotifierApi, type SecurityGroupNotifierApi } from '../../rpc/apis/agent-notifier-api.js';
import { REPORTS_API } from '../../rpc/apis/reports-api.js';
import { endpoint, RpcClient } from '../../rpc/rpc-api.js';
import { agentNotifierTopic, DHCP_AGENT, L3_AGENT, PLUGIN, REPORTS } from '../../rpc/topics.js';
import type { RpcServer, RpcTransport } from '../../rpc/transport.js';
import { DHCP_AGENT_API, L3_AGENT_API, SERVER_PLUGIN_API, type DhcpAgentApi, type L3AgentApi } from '../../agents/server-api.js';
import type { AgentService } from './agents-plugin.js';
import type { AgentRpc } from './agent-rpc.js';
import type { BindingChange } from './scheduler.js';

const ADMIN = makeContext({ projectId: '', roles: ['admin'], isAdmin: true, requestId: 'notifier' });

export class AgentNotifier {
  private readonly dhcp: RpcClient<DhcpAgentApi>;
  private readonly l3: RpcClient<L3AgentApi>;
  private readonly portUpdates: RpcClient<AgentNotifierApi>;
  private readonly portDeletes: RpcClient<AgentNotifierApi>;
  private readonly securityGroups: RpcClient<SecurityGroupNotifierApi>;

  constructor(
    private readonly transport: RpcTransport,
    private readonly deps: { database: Database; ml2: Ml2Plugin; agents: AgentService; logger: Logger },
  ) {
    this.dhcp = new RpcClient(transport, DHCP_AGENT_API, DHCP_AGENT);
    this.l3 = new RpcClient(transport, L3_AGENT_API, L3_AGENT);
    this.portUpdates = new RpcClient(transport, AGENT_NOTIFIER_API, agentNotifierTopic('port', 'update'));
    this.portDeletes = new RpcClient(transport, AGENT_NOTIFIER_API, agentNotifierTopic('port', 'delete'));
    this.securityGroups = new RpcClient(transport, SECURITY_GROUP_NOTIFIER_API, agentNotifierTopic('security_group', 'update'));
  }

  /** Serves the agents' requests as host `host`; returns the servers to stop. */
  async serve(host: string, rpc: AgentRpc): Promise<RpcServer[]> {
    const reports = rpc.reportsHandlers();
    const plugin = rpc.pluginHandlers();
    return [
      await this.transport.serve({ topic: REPORTS, server: host }, [
        endpoint(REPORTS_API, {
          report_state: (args) => reports.report_state(args as unknown as Record<string, unknown>) as never,
          has_alive_neutron_server: () => true,
        }),
      ]),
      await this.transport.serve({ topic: PLUGIN, server: host }, [{ version: SERVER_PLUGIN_API.version, methods: plugin }]),
    ];
  }

  /** Hooks the notifications into the plug-ins. */
  attach(): void {
    const { agents, ml2, database } = this.deps;
    agents.onBindingChanges((changes) => void this.bindings(changes));
    const portChanged = (trx: Parameters<Database['afterCommit']>[0], port: PortRow, host: unknown) =>
      database.afterCommit(trx, () => void this.portUpdated(port.id, port.network_id, Boolean(host || port.binding_host_id)));
    ml2.hooks.portCreated.push(async (trx, _ctx, _item, port) => portChanged(trx, port, port.binding_host_id));
    ml2.hooks.portUpdated.push(async (trx, _ctx, changes, port) => portChanged(trx, port, changes['binding:host_id']));
    ml2.hooks.beforePortDelete.push(async (trx, _ctx, port) => database.afterCommit(trx, () => void this.portDeleted(port.id, port.network_id)));
    // the bindings go with the network: whom to tell is read before
    ml2.hooks.beforeNetworkDelete.push(async (trx, _ctx, network) => {
      const hosts = (await agents.scheduler.hosting(trx, 'network', network.id)).map((a) => a.host);
      database.afterCommit(trx, () => void this.networkDeleted(network.id, hosts));
    });
    // security groups: the agents filtering for a group hear of its rules and of its members
    const groupsOf = async (db: Executor, portId: string) => (await db.selectFrom('port_security_groups').select('security_group_id').where('port_id', '=', portId).execute()).map((r) => r.security_group_id);
    const members = (trx: Executor, ids: string[]) => ids.length && database.afterCommit(trx, () => void this.securityGroupsUpdated('security_groups_member_updated', ids));
    ml2.hooks.securityGroupRulesChanged.push(async (trx, ids) => database.afterCommit(trx, () => void this.securityGroupsUpdated('security_groups_rule_updated', ids)));
    ml2.hooks.portCreated.push(async (trx, _ctx, _item, port) => void members(trx, await groupsOf(trx, port.id)));
    ml2.hooks.beforePortDelete.push(async (trx, _ctx, port) => void members(trx, await groupsOf(trx, port.id)));
    // first, so that it sees the groups before the security group plug-in binds the new ones
    ml2.hooks.portUpdated.unshift(async (trx, _ctx, changes, port) => {
      if (!('security_groups' in changes) && !('fixed_ips' in changes)) return;
      const before = await groupsOf(trx, port.id);
      database.afterCommit(trx, () => void this.send('security_groups_member_updated', async () => this.securityGroupsUpdated('security_groups_member_updated', [...new Set([...before, ...(await groupsOf(database.db, port.id))])])));
    });
  }

  async securityGroupsUpdated(method: keyof SecurityGroupNotifierApi, ids: string[]): Promise<void> {
    if (ids.length) await this.send(method, () => this.securityGroups.fanout(method, { security_groups: [...ids].sort() }));
  }

  private async send(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, what }, 'agent notification not sent; agents resync periodically');
    }
  }

  private async bindings(changes: BindingChange[]): Promise<void> {
    for (const c of changes) {
      if (c.kind === 'network') {
        if (c.op === 'added') await this.send('network_create_end', () => this.dhcp.cast('network_create_end', { payload: { network: { id: c.id } } }, { server: c.host }));
        else await this.send('network_delete_end', () => this.dhcp.cast('network_delete_end', { payload: { network_id: c.id } }, { server: c.host }));
      } else if (c.op === 'added') await this.send('router_added_to_agent', () => this.l3.cast('router_added_to_agent', { payload: [c.id] }, { server: c.host }));
      else await this.send('router_removed_from_agent', () => this.l3.cast('router_removed_from_agent', { payload: { router_id: c.id } }, { server: c.host }));
    }
  }

  private async dhcpHosts(networkId: string): Promise<string[]> {
    return (await this.deps.agents.scheduler.hosting(this.deps.database.db, 'network', networkId)).map((a) => a.host);
  }

  /**
   * A port as it is now, to the L2 agents (fanout, when it has a host) and the DHCP agents of its
   * network. A port nobody needs to hear of (no host, no DHCP agent) costs one query.
   */
  async portUpdated(id: string, networkId: string, onHost: boolean): Promise<void> {
    const dhcpHosts = await this.dhcpHosts(networkId);
    if (!onHost && !dhcpHosts.length) return;
    let port;
    try {
      port = await this.deps.ml2.ports.get(ADMIN, id);
    } catch {
      return; // deleted since: its delete notification follows
    }
    if (onHost) {
      const net = await this.deps.ml2.networks.get(ADMIN, networkId).catch(() => undefined);
      await this.send('port_update', () =>
        this.portUpdates.fanout('port_update', {
          port: port as never,
          network_type: (net?.['provider:network_type'] as string) ?? '',
          segmentation_id: (net?.['provider:segmentation_id'] as number | null) ?? null,
          physical_network: (net?.['provider:physical_network'] as string | null) ?? null,
        }),
      );
    }
    for (const host of dhcpHosts) await this.send('port_update_end', () => this.dhcp.cast('port_update_end', { payload: { port } }, { server: host }));
  }

  async portDeleted(id: string, networkId: string): Promise<void> {
    await this.send('port_delete', () => this.portDeletes.fanout('port_delete', { port_id: id, network_id: networkId }));
    for (const host of await this.dhcpHosts(networkId)) await this.send('port_delete_end', () => this.dhcp.cast('port_delete_end', { payload: { port_id: id, network_id: networkId } }, { server: host }));
  }

  /** A deleted network, to the DHCP agents that hosted it (Neutron's `network.delete.end`). */
  async networkDeleted(id: string, hosts: string[]): Promise<void> {
    for (const host of hosts) await this.send('network_delete_end', () => this.dhcp.cast('network_delete_end', { payload: { network_id: id } }, { server: host }));
  }

  /** Routers changed (interfaces, gateway, floating IPs): their L3 agent refreshes them. */
  async routersUpdated(ids: string[]): Promise<void> {
    for (const id of ids)
      for (const a of await this.deps.agents.scheduler.hosting(this.deps.database.db, 'router', id))
        await this.send('routers_updated', () => this.l3.cast('routers_updated', { routers: [id] }, { server: a.host }));
  }
}
