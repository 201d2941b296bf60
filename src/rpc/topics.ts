/**
 * Neutron's RPC topic names (neutron/common/topics.py), so that operators recognise the queues.
 * Servers serve `q-plugin` and `q-reports-plugin`; agents serve their own topic as their host
 * (`dhcp_agent.<host>`, `l3_agent.<host>`) and the notifier topics they follow, which the server
 * fans out to. Pure.
 */

/** Agents → server: device details, syncs, everything an agent asks the plug-ins. */
export const PLUGIN = 'q-plugin';
/** Agents → server: `report_state` heartbeats (a topic of their own, so a busy q-plugin does not delay them). */
export const REPORTS = 'q-reports-plugin';
/** L3 agents → server: routers to sync, floating IP statuses. */
export const L3_PLUGIN = 'q-l3-plugin';
/** Metering agents → server: label counters. */
export const METERING_PLUGIN = 'q-metering-plugin';
/** Server → agents, per host: `dhcp_agent.<host>`, `l3_agent.<host>`, `metering_agent.<host>`. */
export const DHCP_AGENT = 'dhcp_agent';
export const L3_AGENT = 'l3_agent';
export const METERING_AGENT = 'metering_agent';

export type NotifierResource = 'port' | 'network' | 'subnet' | 'security_group' | 'tunnel';
export type NotifierOp = 'create' | 'update' | 'delete';

/** Server → agents, fanout: `q-agent-notifier-<resource>-<op>`, e.g. `q-agent-notifier-port-update`. */
export function agentNotifierTopic(resource: NotifierResource, op: NotifierOp): string {
  return `q-agent-notifier-${resource}-${op}`;
}
