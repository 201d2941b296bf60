/**
 * Agents' heartbeat to the servers on `q-reports-plugin` (Neutron's PluginReportStateAPI and
 * AgentExtRpcCallback, version 1.2): the agent sends its state every `report_interval`; the server
 * records it and answers whether the agent was new, alive, or back from the dead.
 */
import { defineApi } from '../rpc-api.js';

/** What an agent says about itself (the `agents` API shows it). */
export interface AgentState {
  binary: string;
  host: string;
  topic: string;
  agent_type: string;
  configurations?: Record<string, unknown>;
  resource_versions?: Record<string, unknown>;
  availability_zone?: string;
  /** Set on the first report after the agent started. */
  start_flag?: boolean;
  /** Unique per report, to match the agent's and the server's logs. */
  uuid?: string;
}

/** A first heartbeat, one after the agent was dead, or a routine one. */
export type AgentStatus = 'new' | 'alive' | 'revived';

export type ReportsApi = {
  /** `time` is the agent's clock (`%Y-%m-%dT%H:%M:%S.%f`); the status is null for a report older than the server. */
  report_state(args: { agent_state: { agent_state: AgentState }; time: string }): AgentStatus | null;
  has_alive_neutron_server(args: Record<string, never>): boolean;
};

export const REPORTS_API = defineApi<ReportsApi>({ version: '1.2', since: { report_state: '1.1', has_alive_neutron_server: '1.2' } });
