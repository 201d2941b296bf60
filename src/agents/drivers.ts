/**
 * The agents' view of what their host should have: each driver keeps the desired state it
 * learns from the server (full syncs and notifications, stale revisions dropped) and reports it
 * in its heartbeat. With `[agent] datapath`, the L2, DHCP and L3 drivers also apply it to Linux
 * (src/agents/l2/, src/agents/dhcp/, src/agents/l3/); metering counters are not here yet.
 */
import type { Logger } from 'pino';
import { endpoint, RpcClient } from '../rpc/rpc-api.js';
import { RevisionTracker } from '../rpc/revisions.js';
import { RemoteError } from '../rpc/rpc-errors.js';
import { AGENT_NOTIFIER_API, SECURITY_GROUP_NOTIFIER_API } from '../rpc/apis/agent-notifier-api.js';
import { agentNotifierTopic, DHCP_AGENT, L3_AGENT, METERING_AGENT, PLUGIN } from '../rpc/topics.js';
import type { RpcTransport } from '../rpc/transport.js';
import type { AgentDriver } from './agent-runtime.js';
import type { CommandRunner } from '../linux/runner.js';
import { applyCommands, reportError } from '../linux/apply.js';
import { observeL2 } from './l2/observe.js';
import { watchTaps } from './l2/tap-watch.js';
import { desiredL2, planL2, renderL2, tapName, type L2Mappings } from './l2/plan.js';
import { syncDhcp, type DhcpDatapath } from './dhcp/dhcp-agent.js';
import type { DhcpLayout } from './dhcp/plan.js';
import { HaStateWatch, syncL3, type FipStatuses, type L3Datapath } from './l3/l3-agent.js';
import { isHa } from './l3/desired.js';
import type { L3Layout } from './l3/plan.js';
import { desiredFirewall, groupsOf, planFirewall, renderFirewallBatch } from './l2/firewall.js';
import { observeFirewall } from './l2/firewall-observe.js';
import { DHCP_AGENT_API, L3_AGENT_API, METERING_AGENT_API, SERVER_PLUGIN_API, type NetworkInfo, type RouterInfo, type ServerPluginApi } from './server-api.js';

type Dict = Record<string, unknown>;

abstract class BaseDriver {
  protected readonly server: RpcClient<ServerPluginApi>;
  protected readonly revisions = new RevisionTracker();

  constructor(
    transport: RpcTransport,
    protected readonly host: string,
    protected readonly log: Logger,
  ) {
    this.server = new RpcClient(transport, SERVER_PLUGIN_API, PLUGIN);
  }

  /** Keeps `item` unless it is not a resource at all (logged) or an item with a newer revision was seen. */
  protected fresh(type: string, item: Dict): boolean {
    if (typeof item !== 'object' || item === null || typeof item.id !== 'string') {
      this.log.warn({ type, item }, 'malformed notification dropped');
      return false;
    }
    const rev = Number(item.revision_number ?? 0);
    const ok = this.revisions.accept(type, String(item.id), rev);
    if (!ok) this.log.debug({ type, id: item.id, revision: rev }, 'stale notification dropped');
    return ok;
  }
}

/**
 * DHCP: the networks scheduled on this host, with their subnets and ports. A notification about
 * one of them queues that network: `sync(network_id)` reads it again (`get_network_info`) when it
 * is hosted here (known from the last full sync, or announced by `network_create_end`), drops it
 * when it left (`network_delete_end`) or is gone, and with a datapath converges that network alone
 * (src/agents/dhcp/dhcp-agent.ts); a full sync reads and converges them all. Who hosts what is
 * settled by the full syncs: a missed scheduling notification waits for the next one.
 */
export class DhcpDriver extends BaseDriver implements AgentDriver {
  readonly kind = 'dhcp' as const;
  readonly networks = new Map<string, NetworkInfo>();
  /** Commands run by the last sync (0 when the host already matched). */
  lastCommands = 0;

  constructor(
    transport: RpcTransport,
    host: string,
    log: Logger,
    private readonly datapath?: DhcpDatapath,
  ) {
    super(transport, host, log);
  }

  configurations(): Dict {
    let subnets = 0;
    let ports = 0;
    for (const n of this.networks.values()) {
      subnets += (n.subnets as unknown[]).length;
      ports += (n.ports as unknown[]).length;
    }
    const lease = this.datapath?.layout.leaseDuration ?? 86400;
    return { networks: this.networks.size, subnets, ports, dhcp_lease_duration: lease, ...(this.datapath ? {} : { datapath: 'none' }) };
  }

  async fullSync(): Promise<void> {
    await this.fetchHosted();
    this.log.info({ networks: this.networks.size }, 'DHCP full sync');
    if (this.datapath) this.lastCommands = await syncDhcp(this.server, this.host, [...this.networks.values()], this.datapath, this.log);
  }

  /** One network, read again when hosted here, then (with a datapath) converged alone. Throws to be retried with backoff. */
  async sync(networkId: string): Promise<void> {
    if (this.networks.has(networkId) || this.announced.has(networkId)) {
      try {
        const n = await this.server.call('get_network_info', { network_id: networkId, host: this.host });
        if (this.fresh('network', n)) this.networks.set(networkId, n);
      } catch (err) {
        if (!(err instanceof RemoteError && err.excType === 'NetworkNotFound')) throw err;
        this.networks.delete(networkId);
      }
      this.announced.delete(networkId);
    }
    if (this.datapath) this.lastCommands = await syncDhcp(this.server, this.host, [...this.networks.values()], this.datapath, this.log, networkId);
  }

  private async fetchHosted(): Promise<void> {
    const nets = await this.server.call('get_active_networks_info', { host: this.host });
    this.networks.clear();
    this.announced.clear();
    for (const n of nets) if (this.fresh('network', n)) this.networks.set(String(n.id), n);
  }

  /** Networks `network_create_end` scheduled here that the driver has not read yet. */
  private readonly announced = new Set<string>();

  served(host: string) {
    const netId = (p: unknown) => {
      const payload = p as { network?: { id?: unknown } } | undefined;
      if (typeof payload?.network?.id !== 'string') throw new Error('payload.network.id missing');
      return payload.network.id;
    };
    return [
      {
        topic: DHCP_AGENT,
        server: host,
        endpoints: [
          endpoint(DHCP_AGENT_API, {
            network_create_end: ({ payload }) => {
              const id = netId(payload);
              this.announced.add(id);
              this.onChange?.(id);
            },
            network_update_end: ({ payload }) => this.onChange?.(netId(payload)),
            network_delete_end: ({ payload }) => {
              const id = String(payload?.network_id);
              this.networks.delete(id);
              this.announced.delete(id);
              this.onChange?.(id);
            },
            port_update_end: ({ payload }) => {
              const port = payload?.port as Dict | undefined;
              if (port && typeof port.network_id === 'string' && this.networks.has(port.network_id) && this.fresh('port', port)) this.onChange?.(port.network_id);
            },
            port_delete_end: ({ payload }) => {
              if (typeof payload?.network_id === 'string' && this.networks.has(payload.network_id)) this.onChange?.(payload.network_id);
            },
          }),
        ],
      },
    ];
  }

  /** Set by the runtime: a network worth a pass now. */
  onChange?: (networkId?: string) => void;
}

/**
 * L3: the routers scheduled on this host; a notification queues each router it names
 * (`sync(router_id)`: read again with `sync_routers`, kept or dropped). With a datapath, each sync
 * converges the host's router namespaces (src/agents/l3/l3-agent.ts): a full sync all of them,
 * removing those of routers no longer here (moved, deleted while the agent was down), a router's
 * sync that router alone.
 */
export class L3Driver extends BaseDriver implements AgentDriver {
  readonly kind = 'l3' as const;
  readonly routers = new Map<string, RouterInfo>();
  /** Floating IP statuses last reported, per router. */
  private readonly reported: FipStatuses = new Map();
  /** Commands run by the last sync (0 when the host already matched). */
  lastCommands = 0;

  constructor(
    transport: RpcTransport,
    host: string,
    log: Logger,
    private readonly datapath?: L3Datapath,
  ) {
    super(transport, host, log);
  }

  configurations(): Dict {
    let interfaces = 0;
    let floatingIps = 0;
    let gateways = 0;
    for (const r of this.routers.values()) {
      interfaces += (r._interfaces ?? []).length;
      floatingIps += (r._floatingips ?? []).length;
      if (r.gw_port) gateways++;
    }
    return { agent_mode: 'legacy', routers: this.routers.size, interfaces, floating_ips: floatingIps, ex_gw_ports: gateways, ...(this.datapath ? {} : { datapath: 'none' }) };
  }

  async fullSync(): Promise<void> {
    const routers = await this.server.call('sync_routers', { host: this.host });
    this.routers.clear();
    for (const r of routers) if (this.fresh('router', r)) this.routers.set(String(r.id), r);
    for (const id of this.reported.keys()) if (!this.routers.has(id)) this.reported.delete(id);
    this.log.info({ routers: this.routers.size }, 'L3 full sync');
    this.haWatch?.follow([...this.routers.values()].filter(isHa).map((r) => r.id));
    if (this.datapath) this.lastCommands = await syncL3(this.server, this.host, [...this.routers.values()], this.datapath, this.reported, this.log);
  }

  /** One router, read again: kept, or dropped when it is no longer this host's; then (with a datapath) converged alone. Throws when the server is away (retried with backoff). */
  async sync(routerId: string): Promise<void> {
    const routers = await this.server.call('sync_routers', { host: this.host, router_ids: [routerId] });
    const r = routers.find((x) => String(x.id) === routerId);
    if (!r) this.routers.delete(routerId);
    else if (this.fresh('router', r)) this.routers.set(routerId, r);
    this.haWatch?.follow([...this.routers.values()].filter(isHa).map((r) => r.id));
    if (this.datapath) this.lastCommands = await syncL3(this.server, this.host, [...this.routers.values()], this.datapath, this.reported, this.log, routerId);
  }

  private changed(ids: string[]): void {
    for (const id of ids) {
      if (this.onChange) this.onChange(id);
      else void this.sync(id).catch((err: Error) => this.log.warn({ router_id: id, err: err.message }, 'router refresh failed; the next full sync heals it'));
    }
  }

  /** Set by the runtime: a router worth a pass now. */
  onChange?: (routerId?: string) => void;

  /** keepalived's notify scripts write an HA router's new state in its directory: that router gets a pass (which reports it). */
  watchHost(onChange: (routerId?: string) => void): { stop(): void } {
    if (!this.datapath || this.datapath.runner.dryRun) return { stop() {} };
    this.haWatch = new HaStateWatch(this.datapath.layout.stateDir, onChange, this.log);
    this.haWatch.follow([...this.routers.values()].filter(isHa).map((r) => r.id));
    return this.haWatch;
  }

  private haWatch: HaStateWatch | undefined;

  served(host: string) {
    const ids = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    return [
      {
        topic: L3_AGENT,
        server: host,
        endpoints: [
          endpoint(L3_AGENT_API, {
            routers_updated: ({ routers }) => this.changed(ids(routers)),
            router_added_to_agent: ({ payload }) => this.changed(ids(payload)),
            router_deleted: ({ router_id }) => {
              this.routers.delete(String(router_id));
              this.changed(ids([router_id]));
            },
            router_removed_from_agent: ({ payload }) => {
              this.routers.delete(String(payload?.router_id));
              this.changed(ids([payload?.router_id]));
            },
          }),
        ],
      },
    ];
  }
}

/**
 * L2 (Linux bridge): the ports bound to this host. With a datapath (`[agent] datapath`), each sync
 * observes the host (in `[agent] host_namespace` when set), plans (src/agents/l2/plan.ts) and
 * applies the commands (src/linux/apply.ts), then does the same for the ports' security groups
 * (src/agents/l2/firewall.ts), then reports the joined taps' devices up. Port and security group
 * notifications for what it serves (or any group, during a sync) ask for a sync. A command that
 * fails does not stop the others; the sync then fails, the runtime retries it with backoff, and
 * the retry plans again from what is there.
 */
export class L2Driver extends BaseDriver implements AgentDriver {
  readonly kind = 'l2' as const;
  /** The ports bound here: as the last sync read them (datapath), or as notified (follow-only). */
  readonly ports = new Map<string, { id: string; network_id?: unknown }>();
  /** Whether each bound port's tap was there at the last report to the servers. */
  private readonly plugged = new Map<string, boolean>();
  /** The security groups the host's filters depend on (the ports' groups and their rules' remote groups). */
  private groups = new Set<string>();
  private syncing = false;
  /** Commands run by the last sync (0 when the host already matched). */
  lastCommands = 0;

  constructor(
    transport: RpcTransport,
    host: string,
    log: Logger,
    private readonly datapath?: AgentDatapath,
  ) {
    super(transport, host, log);
  }

  configurations(): Dict {
    return {
      bridge_mappings: this.datapath?.mappings?.bridges ?? {},
      interface_mappings: this.datapath?.mappings?.interfaces ?? {},
      tunnel_types: ['vxlan'],
      l2_population: true,
      devices: this.ports.size,
      ...(this.datapath ? { tunneling_ip: this.datapath.localIp } : { datapath: 'none' }),
    };
  }

  async fullSync(): Promise<void> {
    if (!this.datapath) {
      const devices = [...this.ports.keys()];
      if (!devices.length) return;
      const details = await this.server.call('get_devices_details_list', { devices, agent_id: `l2-${this.host}`, host: this.host });
      for (const d of details) if (!d.port_id) this.ports.delete(String(d.device));
      return;
    }
    this.syncing = true;
    try {
      await this.syncDatapath(this.datapath);
    } finally {
      this.syncing = false;
    }
  }

  private async syncDatapath({ runner, netns, localIp, mappings }: AgentDatapath): Promise<void> {
    const state = await this.server.call('get_l2_state', { host: this.host });
    const have = await observeL2(runner, netns, new Set(Object.values(mappings?.interfaces ?? {})));
    const taps = new Set([...have.masters.keys()].filter((k) => k.startsWith('tap')));
    const peers = new Map(Object.entries(state.peers).map(([vni, ips]) => [Number(vni), ips]));
    const remote = new Map(Object.entries(state.remote ?? {}).map(([vni, ps]) => [Number(vni), ps]));
    const want = desiredL2(state.ports, taps, localIp, peers, { mappings, remote });
    const cmds = planL2(want, have).map(renderL2);
    // a command that fails does not stop the others (one network the host cannot make, say a VLAN on
    // a kernel without 802.1Q, must not hold up every other), and what needs what it was to make is
    // skipped (src/linux/apply.ts): the pass ends with an error and is retried, and a tap whose
    // joining failed is not reported up
    const l2 = await applyCommands(runner, cmds, netns);
    const notJoined = new Set([...l2.failed.map((f) => f.command), ...l2.skipped].flatMap((c) => (c.tool === 'ip-link' && c.op === 'set' && c.master ? [c.name] : [])));
    // security groups on the taps (src/agents/l2/firewall.ts), once the bridges are there
    const info = await this.server.call('security_group_info_for_devices', { devices: state.ports.map((p) => tapName(p.id)) });
    const fw = renderFirewallBatch(planFirewall(desiredFirewall(info), await observeFirewall(runner, netns)));
    const filtered = await applyCommands(runner, fw, netns);
    this.groups = groupsOf(info);
    this.lastCommands = cmds.length + fw.length;
    this.ports.clear();
    for (const p of state.ports) this.ports.set(p.id, p);
    // a port goes ACTIVE when its tap is there and joined, DOWN when it is gone: said on each change,
    // and once for every port after the agent starts (it cannot know what was said before it). Not
    // while its filter could not be applied (the nft transaction is all or nothing), and a dry run
    // tells the servers nothing either
    for (const p of l2.dryRun || filtered.failed.length ? [] : state.ports) {
      const tap = tapName(p.id);
      const plugged = taps.has(tap) && want.masters.has(tap) && !notJoined.has(tap);
      if (this.plugged.get(p.id) === plugged) continue;
      await this.server.call(plugged ? 'update_device_up' : 'update_device_down', { device: tap, agent_id: `l2-${this.host}`, host: this.host });
      this.plugged.set(p.id, plugged);
    }
    for (const id of [...this.plugged.keys()]) if (!this.ports.has(id)) this.plugged.delete(id);
    const failed = reportError(l2, filtered);
    if (failed) throw failed;
  }

  served(host: string) {
    const ours = (port: Dict) => port['binding:host_id'] === this.host;
    return [
      {
        topic: agentNotifierTopic('port', 'update'),
        server: host,
        endpoints: [
          endpoint(AGENT_NOTIFIER_API, {
            port_update: ({ port }) => {
              if (!this.fresh('port', port)) return;
              if (this.datapath) {
                // a port of ours, or any port on one of our networks: where its host is changes our tunnels' peers
                if (ours(port) || this.ports.has(port.id) || this.onNetwork(port.network_id)) this.onChange?.();
                return;
              }
              if (ours(port)) this.ports.set(port.id, port);
              else this.ports.delete(port.id);
            },
          }),
        ],
      },
      {
        topic: agentNotifierTopic('port', 'delete'),
        server: host,
        endpoints: [
          endpoint(AGENT_NOTIFIER_API, {
            port_delete: ({ port_id, network_id }) => {
              if (this.datapath && (this.ports.has(port_id) || this.onNetwork(network_id))) this.onChange?.();
              else this.ports.delete(port_id);
            },
          }),
        ],
      },
      {
        topic: agentNotifierTopic('security_group', 'update'),
        server: host,
        endpoints: [
          endpoint(SECURITY_GROUP_NOTIFIER_API, {
            security_groups_rule_updated: ({ security_groups }) => this.groupsChanged(security_groups),
            security_groups_member_updated: ({ security_groups }) => this.groupsChanged(security_groups),
          }),
        ],
      },
    ];
  }

  /** A VM's tap appearing or going away in the host is a change to converge at once (tap-watch.ts). */
  watchHost(onChange: () => void): { stop(): void } {
    if (!this.datapath) return { stop() {} };
    return watchTaps(this.datapath.runner, this.datapath.netns, onChange);
  }

  private onNetwork(networkId: unknown): boolean {
    for (const p of this.ports.values()) if (p.network_id === networkId) return true;
    return false;
  }

  private groupsChanged(ids: unknown): void {
    // during a sync the groups are not known yet: the one after it settles that
    if (this.datapath && Array.isArray(ids) && (this.syncing || ids.some((id) => this.groups.has(id)))) this.onChange?.();
  }

  /** Set by the runtime: a change worth a sync now (event-driven, the periodic resync is the net). */
  onChange?: () => void;
}

/** Metering: the labels and rules to count. */
export class MeteringDriver extends BaseDriver implements AgentDriver {
  readonly kind = 'metering' as const;
  labels: Dict[] = [];

  configurations(): Dict {
    return { metering_driver: 'none', measure_interval: 30, report_interval: 300, labels: this.labels.length };
  }

  async fullSync(): Promise<void> {
    this.labels = await this.server.call('get_sync_data_metering', { host: this.host });
  }

  /** Router and label changes (Neutron's MeteringAgentNotifyAPI): the labels are read again. */
  served(host: string) {
    const changed = () => this.onChange?.();
    return [
      {
        topic: METERING_AGENT,
        server: host,
        endpoints: [
          endpoint(METERING_AGENT_API, {
            routers_updated: changed,
            router_deleted: changed,
            add_metering_label: changed,
            remove_metering_label: changed,
            add_metering_label_rule: changed,
            remove_metering_label_rule: changed,
          }),
        ],
      },
    ];
  }

  /** Set by the runtime: a change worth a sync now. */
  onChange?: () => void;
}

/**
 * What an agent that changes its host needs: the runner, the host's namespace, the tunnel address
 * and physical mappings (L2), where the DHCP agent keeps its files and names its namespaces.
 */
export interface AgentDatapath {
  runner: CommandRunner;
  netns?: string;
  localIp: string;
  mappings?: L2Mappings;
  dhcp?: DhcpLayout;
  l3?: L3Layout;
}

export function driverFor(kind: string, transport: RpcTransport, host: string, log: Logger, datapath?: AgentDatapath): AgentDriver {
  switch (kind) {
    case 'dhcp':
      return new DhcpDriver(transport, host, log, datapath?.dhcp && { runner: datapath.runner, netns: datapath.netns, layout: datapath.dhcp });
    case 'l3':
      return new L3Driver(transport, host, log, datapath?.l3 && { runner: datapath.runner, netns: datapath.netns, layout: datapath.l3 });
    case 'l2':
      return new L2Driver(transport, host, log, datapath);
    case 'metering':
      return new MeteringDriver(transport, host, log);
    default:
      throw new Error(`unknown agent kind '${kind}': one of l2, dhcp, l3, metering`);
  }
}
