/**
 * What agents ask the server over RPC (Neutron's method names and arguments): heartbeats on
 * `q-reports-plugin`, and on `q-plugin` the device details of ports, device up/down (port status),
 * the networks a DHCP agent serves and its DHCP ports (dhcp-port-rpc.ts), the routers of an L3 agent, floating IP statuses, the security
 * groups of devices and the metering labels. Transport-free: each handler takes the message's
 * arguments and returns a JSON value; src/rpc/ serves them. Everything runs as an admin.
 */
import { makeContext, type RequestContext } from '../../core/context.js';
import { InvalidInput, NeutronError } from '../../core/errors.js';
import { bumpRevision } from '../../db/repos/standard-attr-repo.js';
import type { Database } from '../../db/database.js';
import { emptyQuery } from '../../db/repos/listing.js';
import type { CorePlugin } from '../core-plugin.js';
import type { Resource, ResourcePlugin } from '../plugin-api.js';
import type { AgentService } from './agents-plugin.js';
import type { AgentState } from './agent-ops.js';
import type { Handlers } from '../../rpc/rpc-api.js';
import type { ReportsApi } from '../../rpc/apis/reports-api.js';
import type { DeviceDetails, L2State, NetworkInfo, PortInfo, RouterInfo, RouterPortInfo, ServerPluginApi } from '../../agents/server-api.js';
import type { SecurityGroupInfo } from '../../agents/l2/firewall.js';
import type { SecurityGroupRule } from '../../agents/l2/firewall-rules.js';
import { dhcpPortHandlers } from './dhcp-port-rpc.js';
import { clearBlock, DHCP_ENTITY, L2_ENTITY } from './provisioning.js';
import type { Executor } from '../../db/schema.js';
import { DEVICE_OWNER_ROUTER_HA_INTF, haBindings, haRouterIds, type HaState } from '../../db/repos/l3-ha-repo.js';

/** What arrives off the wire: declared types are checked before they are trusted. */
type Wire = Record<string, unknown>;

const ADMIN: RequestContext = makeContext({ projectId: '', roles: ['admin'], isAdmin: true, requestId: 'rpc' });

/** `tap0123456789a` or a port id → the port id prefix to look up (Neutron's linux bridge devices). */
const devicePrefix = (device: string) => (device.startsWith('tap') ? device.slice(3) : device);

/** The reporting host, when the message names one. */
const optionalHost = (args: object): string => {
  const v = (args as Wire).host;
  return typeof v === 'string' ? v : '';
};

export function str(args: object, key: string): string {
  const v = (args as Wire)[key];
  if (typeof v !== 'string' || !v) throw new InvalidInput({ error_message: `'${key}' must be a non-empty string` });
  return v;
}

function strList(args: object, key: string): string[] {
  const v = (args as Wire)[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidInput({ error_message: `'${key}' must be a list of strings` });
  return v as string[];
}

export class AgentRpc {
  constructor(
    private readonly deps: {
      database: Database;
      core: CorePlugin;
      agents: AgentService;
      collection(name: string): ResourcePlugin;
    },
  ) {}

  /** `q-reports-plugin`. */
  reportsHandlers(): Handlers<ReportsApi> {
    return {
      report_state: async (args) => {
        const state: AgentState | undefined = (args.agent_state as { agent_state?: AgentState } | undefined)?.agent_state;
        if (!state || typeof state !== 'object') throw new InvalidInput({ error_message: "'agent_state' is missing" });
        for (const k of ['agent_type', 'binary', 'host', 'topic'] as const) str(state, k);
        return (await this.deps.agents.reportState(state)).status;
      },
      has_alive_neutron_server: () => true,
    };
  }

  /** `q-plugin`. */
  pluginHandlers(): Handlers<ServerPluginApi> {
    return {
      get_devices_details_list: async (args) => {
        const host = typeof (args as Wire).host === 'string' ? args.host : '';
        return Promise.all(strList(args, 'devices').map((d) => this.deviceDetails(d, host)));
      },
      update_device_up: async (args) => this.setDeviceStatus(str(args, 'device'), 'ACTIVE', optionalHost(args)),
      update_device_down: async (args) => this.setDeviceStatus(str(args, 'device'), 'DOWN', optionalHost(args)),
      dhcp_ready_on_ports: async (args) => this.dhcpReady(strList(args, 'port_ids')),
      get_l2_state: async (args) => this.l2State(str(args, 'host')),
      get_active_networks_info: async (args) => {
        const host = str(args, 'host');
        const agent = await this.agentOn('DHCP agent', host);
        if (!agent) return [];
        const ids = await this.deps.agents.scheduler.hostedBy(this.deps.database.db, 'network', agent.id);
        return Promise.all(ids.map((id) => this.networkInfo(id)));
      },
      get_network_info: async (args) => this.networkInfo(str(args, 'network_id')),
      ...dhcpPortHandlers(this.deps),
      sync_routers: async (args) => {
        const host = str(args, 'host');
        const agent = await this.agentOn('L3 agent', host);
        if (!agent) return [];
        let ids = await this.deps.agents.scheduler.hostedBy(this.deps.database.db, 'router', agent.id);
        const wanted: unknown = args.router_ids;
        if (wanted !== undefined && wanted !== null) {
          if (!Array.isArray(wanted) || wanted.some((x) => typeof x !== 'string')) throw new InvalidInput({ error_message: "'router_ids' must be a list of strings" });
          if (wanted.length) ids = ids.filter((id) => wanted.includes(id));
        }
        const ha = await haRouterIds(this.deps.database.db, ids);
        await this.deps.agents.ha.bindSyncedPorts(agent, ids, ha);
        return this.routersInfo(ids, agent.id);
      },
      update_ha_routers_states: async (args) => this.deps.agents.ha.updateStates(str(args, 'host'), (args as Wire).states),
      update_floatingip_statuses: async (args) => {
        const statuses: unknown = args.fip_statuses;
        if (!statuses || typeof statuses !== 'object' || Array.isArray(statuses)) throw new InvalidInput({ error_message: "'fip_statuses' must be a dictionary" });
        for (const [id, status] of Object.entries(statuses as Record<string, unknown>)) {
          if (status !== 'ACTIVE' && status !== 'DOWN' && status !== 'ERROR') throw new InvalidInput({ error_message: `invalid floating IP status '${String(status)}'` });
          await this.deps.database.transaction(async (trx) => {
            const r = await trx.updateTable('floatingips').set({ status }).where('id', '=', id).where('status', '!=', status).executeTakeFirst();
            if (Number(r.numUpdatedRows)) await bumpRevision(trx, 'floatingips', id);
          });
        }
        return null;
      },
      security_group_info_for_devices: async (args) => this.securityGroupInfo(strList(args, 'devices')),
      get_sync_data_metering: async () => {
        const labels = this.deps.collection('metering_labels');
        const rules = this.deps.collection('metering_label_rules');
        const all = await collectAll(labels, ADMIN);
        const allRules = await collectAll(rules, ADMIN);
        return all.map((l) => ({ ...l, rules: allRules.filter((r) => r.metering_label_id === l.id) }));
      },
    };
  }

  /**
   * What a Linux bridge agent needs for its host: the ports bound there (network type, VNI, MTU),
   * with the interface and gateway ports of the HA routers an L3 agent there hosts (bound to the
   * active agent's host), and, per VNI, the tunnel IPs of the other hosts' agents with ports on that
   * network (Neutron's l2population: flooding goes only where the network is).
   */
  private async l2State(host: string): Promise<L2State> {
    const db = this.deps.database.db;
    const portsWithSegments = () =>
      db
        .selectFrom('ports')
        .innerJoin('network_segments', 'network_segments.network_id', 'ports.network_id')
        .innerJoin('networks', 'networks.id', 'ports.network_id')
        .select(['ports.id', 'ports.network_id', 'ports.mac_address', 'ports.binding_host_id', 'network_segments.network_type', 'network_segments.segmentation_id', 'network_segments.physical_network', 'networks.mtu']);
    const rows = await portsWithSegments().where('ports.binding_vif_type', '=', 'bridge').execute();
    const agents = await db.selectFrom('agents').select(['host', 'configurations']).where('agent_type', '=', 'Linux bridge agent').execute();
    const tunnelOf = new Map(agents.map((a) => [a.host, (JSON.parse(a.configurations || '{}') as { tunneling_ip?: string }).tunneling_ip]));
    // the HA routers this host keeps as a standby: their ports are wired here too, bound or not
    const standby = new Set(await this.deps.agents.ha.standbyPortIds(host));
    const extra = standby.size ? await portsWithSegments().where('ports.id', 'in', [...standby]).execute() : [];
    const here = rows.filter((r) => r.binding_host_id === host);
    const ports = [...here, ...extra.filter((r) => !here.some((h) => h.id === r.id))]
      .map((r) => ({
        id: r.id,
        network_id: r.network_id,
        network_type: r.network_type,
        segmentation_id: r.segmentation_id === null ? null : Number(r.segmentation_id),
        physical_network: r.physical_network,
        mtu: Number(r.mtu),
      }));
    const mine = new Set(ports.filter((p) => p.network_type === 'vxlan').map((p) => p.network_id));
    const peers: Record<string, string[]> = {};
    const remote: Record<string, Array<{ mac: string; dst: string }>> = {};
    for (const r of rows) {
      const ip = tunnelOf.get(r.binding_host_id);
      if (r.binding_host_id === host || !mine.has(r.network_id) || r.network_type !== 'vxlan' || !ip) continue;
      const key = String(r.segmentation_id);
      peers[key] = [...new Set([...(peers[key] ?? []), ip])].sort();
      (remote[key] ??= []).push({ mac: r.mac_address, dst: ip });
    }
    return { ports, peers, remote };
  }

  private async agentOn(type: string, host: string) {
    return this.deps.database.db.selectFrom('agents').selectAll().where('agent_type', '=', type).where('host', '=', host).executeTakeFirst();
  }

  private async portByDevice(device: string): Promise<string | undefined> {
    const prefix = devicePrefix(device);
    if (!/^[0-9a-f-]{1,36}$/.test(prefix)) return undefined;
    const rows = await this.deps.database.db.selectFrom('ports').select('id').where('id', 'like', `${prefix}%`).limit(2).execute();
    return rows.length === 1 ? rows[0].id : undefined;
  }

  /** Neutron's device details: what an L2 agent needs to plug a port, or `{device}` alone when unknown. */
  private async deviceDetails(device: string, host: string): Promise<DeviceDetails> {
    const id = await this.portByDevice(device);
    if (!id) return { device };
    const port = await this.deps.core.getPort(ADMIN, id);
    const net = await this.deps.core.getNetwork(ADMIN, port.network_id as string);
    // the API's rendering of the port and its network, field by field into the declared reply
    return {
      device,
      port_id: port.id as string,
      network_id: port.network_id as string,
      mac_address: port.mac_address as string,
      admin_state_up: port.admin_state_up as boolean,
      network_type: net['provider:network_type'] as string | null,
      physical_network: net['provider:physical_network'] as string | null,
      segmentation_id: net['provider:segmentation_id'] as number | null,
      mtu: net.mtu as number,
      fixed_ips: port.fixed_ips as DeviceDetails['fixed_ips'],
      device_owner: port.device_owner as string,
      allowed_address_pairs: port.allowed_address_pairs as DeviceDetails['allowed_address_pairs'],
      port_security_enabled: port.port_security_enabled as boolean,
      security_groups: (port.security_groups as string[] | undefined) ?? [],
      profile: port['binding:profile'] as Wire,
      host: (port['binding:host_id'] as string) || host,
      revision_number: port.revision_number as number,
    };
  }

  /**
   * The L2 agent's report: up clears its provisioning block (ACTIVE once none is left), down is DOWN.
   * A report from a host the port is not bound to changes nothing (Neutron's update_device_up/down:
   * an HA router's standby wires the port too, but only its binding host speaks for it).
   */
  private async setDeviceStatus(device: string, status: 'ACTIVE' | 'DOWN', host: string): Promise<{ device: string; exists: boolean }> {
    const id = await this.portByDevice(device);
    if (!id) return { device, exists: false };
    if (host) {
      const bound = await this.deps.database.db.selectFrom('ports').select('binding_host_id').where('id', '=', id).executeTakeFirst();
      if (!bound) return { device, exists: false };
      if (bound.binding_host_id !== host) return { device, exists: true };
    }
    await this.deps.database.transaction(async (trx) => {
      if (status === 'ACTIVE' && !(await clearBlock(trx, id, L2_ENTITY))) return; // the DHCP agent has not reported yet
      await this.setStatus(trx, id, status);
    });
    return { device, exists: true };
  }

  /** A DHCP agent's report that dnsmasq serves these ports: their DHCP blocks cleared, ACTIVE where none is left. */
  private async dhcpReady(portIds: string[]): Promise<null> {
    for (const id of portIds) {
      await this.deps.database.transaction(async (trx) => {
        const had = await trx.selectFrom('provisioning_blocks').select('entity').where('port_id', '=', id).where('entity', '=', DHCP_ENTITY).executeTakeFirst();
        if (had && (await clearBlock(trx, id, DHCP_ENTITY))) await this.setStatus(trx, id, 'ACTIVE');
      });
    }
    return null;
  }

  /** Through the core plug-in (the one writer of ports), so the change is published like any other (Nova's events follow it). */
  private async setStatus(trx: Executor, id: string, status: 'ACTIVE' | 'DOWN'): Promise<void> {
    const row = await trx.selectFrom('ports').select('status').where('id', '=', id).executeTakeFirst();
    if (row && row.status !== status) await this.deps.core.updatePort(trx, ADMIN, id, { status });
  }

  /** A network as a DHCP agent needs it: its subnets and ports (admin view), with its revision. */
  async networkInfo(id: string): Promise<NetworkInfo> {
    const network = await this.deps.core.getNetwork(ADMIN, id);
    const subnets = await this.deps.core.listSubnets(ADMIN, { network_id: [id] });
    const ports = await this.deps.core.listPorts(ADMIN, { network_id: [id] });
    return { ...network, id, mtu: network.mtu as number, subnets: subnets.map(subnetInfo), ports: ports.map(portInfo) };
  }

  /**
   * Routers as an L3 agent needs them (Neutron's sync_routers): each with `gw_port` and
   * `_interfaces` whose `subnets` give every subnet's CIDR and gateway (and each fixed IP its
   * `prefixlen`), and `_floatingips` (the associated ones). A router gone meanwhile is left out.
   * HA routers (for the L3 agent `agentId`) also carry `ha_vr_id`, this agent's HA port as
   * `_ha_interface` and its recorded `_ha_state`; one without an HA port of this agent is left out
   * (Neutron's _process_sync_ha_data).
   */
  async routersInfo(ids: string[], agentId?: string): Promise<RouterInfo[]> {
    if (!ids.length) return [];
    const routers = await collectAll(this.deps.collection('routers'), ADMIN, { ...emptyQuery(), filters: { id: ids } });
    const ports = await this.deps.core.listPorts(ADMIN, { device_id: ids });
    const floatingips = await collectAll(this.deps.collection('floatingips'), ADMIN, { ...emptyQuery(), filters: { router_id: ids } });
    // as Neutron's _populate_mtu_and_subnets_for_ports: every subnet of the ports' networks, the
    // ones a port has an address on in `subnets` (with each fixed IP's prefixlen), the others in
    // `extra_subnets`; the network's MTU; address scopes (none are served here)
    const networkIds = [...new Set(ports.map((p) => p.network_id as string))];
    const networks = new Map((networkIds.length ? await this.deps.core.listNetworks(ADMIN, { id: networkIds }) : []).map((n) => [n.id as string, n]));
    const subnets = networkIds.length ? await this.deps.core.listSubnets(ADMIN, { network_id: networkIds }) : [];
    const info = (s: Resource): RouterPortInfo['subnets'][number] => ({
      id: s.id as string,
      cidr: s.cidr as string,
      gateway_ip: s.gateway_ip as string | null,
      dns_nameservers: s.dns_nameservers as string[],
      ipv6_ra_mode: s.ipv6_ra_mode as string | null,
      subnetpool_id: s.subnetpool_id as string | null,
    });
    const withSubnets = (p: Resource): RouterPortInfo => {
      const onNetwork = subnets.filter((s) => s.network_id === p.network_id);
      const ips = (p.fixed_ips as Array<{ subnet_id: string; ip_address: string }>).map((f) => ({ ...f, prefixlen: Number(String(onNetwork.find((s) => s.id === f.subnet_id)?.cidr ?? '/0').split('/')[1]) }));
      const used = new Set(ips.map((f) => f.subnet_id));
      return {
        ...p,
        id: p.id as string,
        network_id: p.network_id as string,
        mac_address: p.mac_address as string,
        fixed_ips: ips,
        subnets: onNetwork.filter((s) => used.has(s.id as string)).map(info),
        extra_subnets: onNetwork.filter((s) => !used.has(s.id as string)).map(info),
        address_scopes: { 4: null, 6: null },
        mtu: Number(networks.get(p.network_id as string)?.mtu ?? 0),
      };
    };
    const db = this.deps.database.db;
    const vrIds = new Map((await db.selectFrom('routers').select(['id', 'ha_vr_id']).where('id', 'in', ids).execute()).map((r) => [r.id, r.ha_vr_id]));
    const haOfAgent = new Map(agentId === undefined ? [] : (await haBindings(db, ids, agentId)).map((b) => [b.router_id, b]));
    const out: RouterInfo[] = [];
    for (const router of routers) {
      const mine = ports.filter((p) => p.device_id === router.id);
      const gw = mine.find((p) => p.device_owner === 'network:router_gateway');
      const info: RouterInfo = {
        ...router,
        id: router.id as string,
        revision_number: router.revision_number as number,
        gw_port: gw ? withSubnets(gw) : null,
        _interfaces: mine.filter((p) => p !== gw && p.device_owner !== DEVICE_OWNER_ROUTER_HA_INTF).map(withSubnets),
        _floatingips: floatingips.filter((f) => f.router_id === router.id),
      };
      if (router.ha === true) {
        const binding = haOfAgent.get(router.id as string);
        const port = binding && mine.find((p) => p.id === binding.port_id);
        if (agentId !== undefined && !port) continue;
        info.ha_vr_id = vrIds.get(router.id as string) ?? 0;
        if (port && binding) {
          info._ha_interface = withSubnets(port);
          info._ha_state = binding.state as HaState;
        }
      }
      out.push(info);
    }
    return out;
  }

  /** Security groups of the given devices: the ports' groups, their rules (with their group's `stateful`) and remote groups' members. */
  private async securityGroupInfo(devices: string[]): Promise<SecurityGroupInfo> {
    const out: SecurityGroupInfo = { devices: {}, security_groups: {}, sg_member_ips: {} };
    const groups = new Set<string>();
    for (const d of devices) {
      const details = await this.deviceDetails(d, '');
      if (!details.port_id) continue;
      out.devices[d] = { ...details, port_id: details.port_id, mac_address: details.mac_address!, fixed_ips: details.fixed_ips ?? [] };
      for (const g of details.security_groups ?? []) groups.add(g);
    }
    const sgs = this.deps.collection('security_groups');
    for (const g of groups) {
      try {
        const sg = await sgs.get(ADMIN, g);
        // every rule says whether its group is stateful, as in Neutron's answer: the agent filters by it
        out.security_groups[g] = (sg.security_group_rules as Resource[]).map((r) => ruleInfo(r, sg.stateful as boolean));
      } catch (err) {
        if (!(err instanceof NeutronError)) throw err;
      }
    }
    const remote = new Set<string>();
    for (const rules of Object.values(out.security_groups)) for (const r of rules) if (typeof r.remote_group_id === 'string') remote.add(r.remote_group_id);
    for (const g of remote) {
      const members = await this.deps.core.listPorts(ADMIN, { security_groups: [g] });
      const ips: { IPv4: string[]; IPv6: string[] } = { IPv4: [], IPv6: [] };
      for (const p of members) for (const ip of p.fixed_ips as Array<{ ip_address: string }>) ips[ip.ip_address.includes(':') ? 'IPv6' : 'IPv4'].push(ip.ip_address);
      out.sg_member_ips[g] = ips;
    }
    return out;
  }
}

/** A rendered rule, field by field into the agents' declared shape. */
function ruleInfo(r: Resource, stateful: boolean): SecurityGroupRule {
  return {
    ...r,
    direction: r.direction as string,
    ethertype: r.ethertype as string,
    protocol: r.protocol as string | null,
    port_range_min: r.port_range_min as number | null,
    port_range_max: r.port_range_max as number | null,
    remote_ip_prefix: r.remote_ip_prefix as string | null,
    normalized_cidr: r.normalized_cidr as string | null | undefined,
    remote_group_id: r.remote_group_id as string | null,
    remote_address_group_id: r.remote_address_group_id as string | null | undefined,
    stateful,
  };
}

/** A rendered subnet, field by field into what DHCP agents read (the rest travels as it is). */
function subnetInfo(s: Resource): NetworkInfo['subnets'][number] {
  return {
    ...s,
    id: s.id as string,
    cidr: s.cidr as string,
    ip_version: s.ip_version as number,
    gateway_ip: s.gateway_ip as string | null,
    enable_dhcp: s.enable_dhcp as boolean,
    dns_nameservers: s.dns_nameservers as string[],
    host_routes: s.host_routes as Array<{ destination: string; nexthop: string }>,
  };
}

/** A rendered port, likewise. */
export function portInfo(p: Resource): PortInfo {
  return { ...p, id: p.id as string, mac_address: p.mac_address as string, fixed_ips: p.fixed_ips as PortInfo['fixed_ips'] };
}

async function collectAll(plugin: ResourcePlugin, ctx: RequestContext, q = emptyQuery()): Promise<Resource[]> {
  const out: Resource[] = [];
  for await (const page of await plugin.list(ctx, q)) out.push(...page);
  return out;
}
