/** Rows of agents and of their scheduling bindings (tables of migration 0008). */
export interface AgentRow {
  id: string;
  agent_type: string;
  binary: string;
  topic: string;
  host: string;
  availability_zone: string | null;
  admin_state_up: number | boolean;
  /** Neutron's agent timestamps: `YYYY-MM-DD HH:MM:SS`, UTC (they sort as text). */
  created_at: string;
  started_at: string;
  heartbeat_timestamp: string;
  description: string | null;
  /** JSON text of the agent's reported configurations. */
  configurations: string;
  resource_versions: string | null;
  load: number;
  resources_synced: number | boolean | null;
}

export interface NetworkDhcpAgentBindingRow {
  network_id: string;
  dhcp_agent_id: string;
  binding_index: number;
}

export interface RouterL3AgentBindingRow {
  router_id: string;
  l3_agent_id: string;
  binding_index: number;
}

declare module '../../db/schema.js' {
  interface Schema {
    agents: AgentRow;
    network_dhcp_agent_bindings: NetworkDhcpAgentBindingRow;
    router_l3_agent_bindings: RouterL3AgentBindingRow;
  }
}

/** Agent types as Neutron names them (the API's `agent_type`; `openstack network agent list --agent-type`). */
export const AGENT_TYPES = {
  l2: { type: 'Linux bridge agent', binary: 'nucleon-linuxbridge-agent', topic: 'N/A' },
  dhcp: { type: 'DHCP agent', binary: 'nucleon-dhcp-agent', topic: 'dhcp_agent' },
  l3: { type: 'L3 agent', binary: 'nucleon-l3-agent', topic: 'l3_agent' },
  metering: { type: 'Metering agent', binary: 'nucleon-metering-agent', topic: 'metering_agent' },
} as const;

export type AgentKind = keyof typeof AGENT_TYPES;

/** `2026-11-24 02:47:46`: how Neutron writes agent times. */
export const agentStamp = (d: Date = new Date()): string => d.toISOString().slice(0, 19).replace('T', ' ');

/** Whether an agent's last heartbeat is older than `downTime` seconds. */
export const isDown = (heartbeat: string, downTime: number, now = Date.now()): boolean => Date.parse(`${heartbeat.replace(' ', 'T')}Z`) < now - downTime * 1000;

/**
 * The oldest heartbeat of a live agent, for SQL (`heartbeat_timestamp >= liveSince(…)`), agreeing
 * with `isDown` to the second: stamps have whole seconds, so the cut-off is rounded up; rounded
 * down, a port could bind to an agent the API already lists as dead.
 */
export const liveSince = (downTime: number, now = Date.now()): string => agentStamp(new Date(Math.ceil((now - downTime * 1000) / 1000) * 1000));
