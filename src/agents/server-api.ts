/**
 * The RPC interfaces between the servers and the agents, beyond heartbeats (src/rpc/apis/):
 * what agents ask the servers on `q-plugin` (Neutron's PluginApi, DhcpPluginApi, L3PluginApi,
 * SecurityGroupServerRpcApi, MeteringRpcCallbacks), and what the servers tell one agent on its
 * host queue (`dhcp_agent.<host>`, `l3_agent.<host>`). Payloads are Neutron's. One declaration per
 * message: the agents call through it (RpcClient) and the servers serve through it (`endpoint`), so
 * both ends are checked against the same types.
 */
import { defineApi } from '../rpc/rpc-api.js';
import type { DhcpNetwork, DhcpPort } from './dhcp/render.js';
import type { SecurityGroupInfo } from './l2/firewall.js';
import type { BoundPort, RemotePort } from './l2/plan.js';

type Dict = Record<string, unknown>;

/** Neutron's device details: what an L2 agent needs to plug a port; `{device}` alone for a device no port has. */
export interface DeviceDetails {
  device: string;
  port_id?: string;
  network_id?: string;
  mac_address?: string;
  admin_state_up?: boolean;
  network_type?: string | null;
  physical_network?: string | null;
  segmentation_id?: number | null;
  mtu?: number;
  fixed_ips?: Array<{ subnet_id: string; ip_address: string }>;
  device_owner?: string;
  allowed_address_pairs?: Array<{ ip_address: string; mac_address: string }>;
  port_security_enabled?: boolean;
  security_groups?: string[];
  profile?: Dict;
  host?: string;
  revision_number?: number;
}

/** The host's L2 state: its bound ports and, per VNI, the other hosts' tunnel IPs and ports (l2population). */
export interface L2State {
  ports: BoundPort[];
  peers: Record<string, string[]>;
  remote?: Record<string, RemotePort[]>;
}

/** A network as a DHCP agent needs it: the API's network with its subnets and ports. */
export type NetworkInfo = DhcpNetwork & Dict;
/** A port as the API renders it (what DHCP port calls answer). */
export type PortInfo = DhcpPort & Dict;

/** A router port in `sync_routers`: each fixed IP with its `prefixlen`, and the subnets it is on. */
export interface RouterPortInfo extends Dict {
  id: string;
  network_id: string;
  mac_address: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string; prefixlen: number }>;
  subnets: Array<{ id: string; cidr: string; gateway_ip: string | null; dns_nameservers: string[]; ipv6_ra_mode: string | null; subnetpool_id: string | null }>;
  /** The network's other subnets (the router reaches them on-link). */
  extra_subnets: RouterPortInfo['subnets'];
  /** Address scope per IP version (none are served: null). */
  address_scopes: Record<4 | 6, string | null>;
  /** The network's MTU. */
  mtu: number;
}

/**
 * A router as `sync_routers` gives it (Neutron's): the API's router, its gateway port, interfaces
 * and floating IPs; an HA router (`ha: true`) also its VRRP id, this agent's HA port and the state
 * recorded for this agent.
 */
export interface RouterInfo extends Dict {
  id: string;
  revision_number: number;
  gw_port: RouterPortInfo | null;
  _interfaces: RouterPortInfo[];
  _floatingips: Dict[];
  ha?: boolean;
  /** The VRRP id (1..254) on the project's HA network. */
  ha_vr_id?: number;
  /** This agent's port on the HA network (device_owner network:router_ha_interface). */
  _ha_interface?: RouterPortInfo;
  /** What this agent last reported (`update_ha_routers_states`): active, standby or unknown. */
  _ha_state?: 'active' | 'standby' | 'unknown';
}

export type ServerPluginApi = {
  get_devices_details_list(args: { devices: string[]; agent_id: string; host: string }): DeviceDetails[];
  update_device_up(args: { device: string; agent_id: string; host: string }): { device: string; exists: boolean };
  update_device_down(args: { device: string; agent_id: string; host: string }): { device: string; exists: boolean };
  /** The DHCP agent's dnsmasq serves these ports (Neutron's provisioning: they may go ACTIVE). */
  dhcp_ready_on_ports(args: { port_ids: string[] }): null;
  /** The ports bound to a host and, per VNI, the other hosts' tunnel IPs and ports (l2population). */
  get_l2_state(args: { host: string }): L2State;
  get_active_networks_info(args: { host: string }): NetworkInfo[];
  get_network_info(args: { network_id: string; host: string }): NetworkInfo;
  /** This host's DHCP port on a network (`port.port`: network_id, device_id, fixed_ips): the existing one, updated to cover them, or a new one bound here. */
  create_dhcp_port(args: { host: string; port: { port: Dict } }): PortInfo;
  update_dhcp_port(args: { host: string; port_id: string; port: { port: Dict } }): PortInfo;
  /** Deletes the DHCP port(s) of `device_id` on the network; nothing when there is none. */
  release_dhcp_port(args: { host: string; network_id: string; device_id: string }): null;
  sync_routers(args: { host: string; router_ids?: string[] }): RouterInfo[];
  /** An L3 agent's VRRP states of its HA routers (`fault` is recorded as `standby`); `active` moves the router's ports to this host. */
  update_ha_routers_states(args: { host: string; states: Record<string, 'active' | 'standby' | 'fault' | 'unknown'> }): null;
  update_floatingip_statuses(args: { router_id: string; fip_statuses: Record<string, string> }): null;
  security_group_info_for_devices(args: { devices: string[] }): SecurityGroupInfo;
  get_sync_data_metering(args: { host: string }): Dict[];
};

export const SERVER_PLUGIN_API = defineApi<ServerPluginApi>({ version: '1.0' });

/** Server → one DHCP agent (Neutron's DhcpAgentNotifyAPI). */
export type DhcpAgentApi = {
  network_create_end(args: { payload: { network: { id: string } } }): void;
  network_update_end(args: { payload: { network: { id: string } } }): void;
  network_delete_end(args: { payload: { network_id: string } }): void;
  port_update_end(args: { payload: { port: Dict } }): void;
  port_delete_end(args: { payload: { port_id: string; network_id: string } }): void;
};

export const DHCP_AGENT_API = defineApi<DhcpAgentApi>({ version: '1.0' });

/** Server → one L3 agent (Neutron's L3AgentNotifyAPI). */
export type L3AgentApi = {
  routers_updated(args: { routers: string[] }): void;
  router_deleted(args: { router_id: string }): void;
  router_added_to_agent(args: { payload: string[] }): void;
  router_removed_from_agent(args: { payload: { router_id: string } }): void;
};

export const L3_AGENT_API = defineApi<L3AgentApi>({ version: '1.0' });

/**
 * Server → metering agents, fanout on `metering_agent` (Neutron's MeteringAgentNotifyAPI): routers
 * changed or went, labels or rules came or went. Agents answer with a sync (`get_sync_data_metering`).
 */
export type MeteringAgentApi = {
  routers_updated(args: { routers: string[] }): void;
  router_deleted(args: { router_id: string }): void;
  add_metering_label(args: { routers: Dict[]; label_id: string }): void;
  remove_metering_label(args: { routers: Dict[]; label_id: string }): void;
  add_metering_label_rule(args: { routers: Dict[]; label_id: string }): void;
  remove_metering_label_rule(args: { routers: Dict[]; label_id: string }): void;
};

export const METERING_AGENT_API = defineApi<MeteringAgentApi>({ version: '1.0' });
