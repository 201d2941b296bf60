/**
 * Server → L2 agents, fanout after commit on `q-agent-notifier-<resource>-<op>` (Neutron's ML2
 * AgentNotifierApi, version 1.0; network_update since 1.4). Resources travel whole, with their
 * `revision_number`, so an agent drops a notification older than what it has seen (revisions.ts).
 */
import { defineApi } from '../rpc-api.js';

/** A resource as notified: at least its id and revision. */
export interface NotifiedResource {
  id: string;
  revision_number: number;
  [attribute: string]: unknown;
}

export type AgentNotifierApi = {
  port_update(args: { port: NotifiedResource; network_type: string; segmentation_id: number | null; physical_network: string | null }): void;
  port_delete(args: { port_id: string; network_id?: string }): void;
  network_update(args: { network: NotifiedResource }): void;
  network_delete(args: { network_id: string }): void;
};

export const AGENT_NOTIFIER_API = defineApi<AgentNotifierApi>({ version: '1.4', since: { port_update: '1.0', port_delete: '1.0', network_delete: '1.0' } });

/**
 * Server → L2 agents, fanout after commit on `q-agent-notifier-security_group-update` (Neutron's
 * SecurityGroupAgentRpcApiMixin): the rules of these groups changed, or their members did (a port
 * joined or left, or its addresses changed). Agents that filter for these groups resync.
 */
export type SecurityGroupNotifierApi = {
  security_groups_rule_updated(args: { security_groups: string[] }): void;
  security_groups_member_updated(args: { security_groups: string[] }): void;
};

export const SECURITY_GROUP_NOTIFIER_API = defineApi<SecurityGroupNotifierApi>({ version: '1.1', since: { security_groups_rule_updated: '1.0', security_groups_member_updated: '1.0' } });
