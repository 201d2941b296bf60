/**
 * The `agents` resource (neutron-lib's agent, agent-resources-synced and availability_zone
 * definitions) and `availability_zones`; the scheduler extensions' sub-collections
 * (`/agents/{id}/dhcp-networks`, `/networks/{id}/dhcp-agents`, `/agents/{id}/l3-routers`,
 * `/routers/{id}/l3-agents`) are served by the agents plug-in. Agents are created only by their
 * heartbeats; an admin may change `admin_state_up` and `description`.
 */
import { attr, type ExtensionDef, type ResourceDef } from './attributes.js';
import { isListOf, isString, isStringOrNull, isUuid, toBoolean } from './validators.js';

const readOnly = (isFilter = true) => attr({ isFilter, isSortKey: true });

export const agentResource = (): ResourceDef => ({
  member: 'agent',
  collection: 'agents',
  standardAttributes: false,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    agent_type: readOnly(),
    binary: readOnly(),
    topic: readOnly(),
    host: readOnly(),
    admin_state_up: attr({ allowPut: true, convert: toBoolean, isFilter: true, isSortKey: true }),
    created_at: readOnly(false),
    started_at: readOnly(false),
    heartbeat_timestamp: readOnly(false),
    alive: attr({ convert: toBoolean, isFilter: true, isSortKey: true }),
    configurations: attr({}),
    description: attr({ allowPut: true, validate: isStringOrNull(255), isFilter: true, isSortKey: true }),
    availability_zone: readOnly(),
    resources_synced: attr({}),
  },
});

export const availabilityZoneResource = (): ResourceDef => ({
  member: 'availability_zone',
  collection: 'availability_zones',
  standardAttributes: false,
  attributes: {
    name: attr({ isFilter: true }),
    resource: attr({ isFilter: true }),
    state: attr({ isFilter: true }),
  },
});

/** `availability_zone_hints`: a list of zone names (each checked against the agents by the plug-ins). */
export const azHints = () => attr({ allowPost: true, default: [], validate: isListOf(isString(255), 'availability_zone_hints') });

export const agentExtensions = (): ExtensionDef[] => [
  { alias: 'agent', name: 'agent', description: 'The agent management extension.', updated: '2013-02-03T10:00:00-00:00' },
  {
    alias: 'agent-resources-synced',
    name: "Agent's Resource View Synced to Placement",
    description: 'Stores success/failure of last sync to Placement',
    updated: '2018-12-19T00:00:00-00:00',
  },
  { alias: 'availability_zone', name: 'Availability Zone', description: 'The availability zone extension.', updated: '2015-01-01T10:00:00-00:00' },
  {
    alias: 'availability_zone_filter',
    name: 'Availability Zone Filter Extension',
    description: 'Add filter parameters to AvailabilityZone resource',
    updated: '2018-06-22T10:00:00-00:00',
  },
  { alias: 'dhcp_agent_scheduler', name: 'DHCP Agent Scheduler', description: 'Schedule networks among dhcp agents', updated: '2013-02-07T10:00:00-00:00' },
  { alias: 'l3_agent_scheduler', name: 'L3 Agent Scheduler', description: 'Schedule routers among l3 agents', updated: '2013-02-07T10:00:00-00:00' },
  {
    alias: 'router_availability_zone',
    name: 'Router Availability Zone',
    description: 'Availability zone support for router.',
    updated: '2015-01-01T10:00:00-00:00',
    attributes: { routers: { availability_zone_hints: azHints(), availability_zones: attr({}) } },
  },
];
