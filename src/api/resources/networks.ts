/** The `networks` resource and the extensions that add network attributes. */
import { attr, NOT_SPECIFIED, type ExtensionDef, type ResourceDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { isDnsName, isListOf, isNonNegative, isString, isStringOrNull, isUuid, toBoolean, toInt, toIntOrNull } from './validators.js';

export const networkResource = (): ResourceDef => ({
  member: 'network',
  collection: 'networks',
  standardAttributes: true,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    subnets: attr({ isFilter: true }),
    admin_state_up: attr({ allowPost: true, allowPut: true, default: true, convert: toBoolean, isFilter: true, isSortKey: true }),
    status: attr({ isFilter: true, isSortKey: true }),
    shared: attr({ allowPost: true, allowPut: true, default: false, convert: toBoolean, isFilter: true, adminOnly: true }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});

export const networkExtensions = (): ExtensionDef[] => [
  {
    alias: 'provider',
    name: 'Provider Network',
    description: 'Expose mapping of virtual networks to physical networks',
    updated: '2012-09-07T10:00:00-00:00',
    attributes: {
      networks: {
        'provider:network_type': attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isString(32), isFilter: true, adminOnly: true, adminVisible: true }),
        'provider:physical_network': attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isStringOrNull(64), isFilter: true, adminOnly: true, adminVisible: true }),
        'provider:segmentation_id': attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: toIntOrNull, convertFilter: toInt, isFilter: true, adminOnly: true, adminVisible: true }),
      },
    },
  },
  {
    alias: 'external-net',
    name: 'Neutron external network',
    description: 'Adds external network attribute to network resource.',
    updated: '2013-01-14T10:00:00-00:00',
    attributes: {
      networks: { 'router:external': attr({ allowPost: true, allowPut: true, default: false, convert: toBoolean, isFilter: true, adminOnly: true }) },
    },
  },
  {
    alias: 'net-mtu',
    name: 'Network MTU',
    description: 'Provides MTU attribute for a network resource.',
    updated: '2015-03-25T10:00:00-00:00',
  },
  {
    alias: 'net-mtu-writable',
    name: 'Network MTU (writable)',
    description: 'Provides a writable MTU attribute for a network resource.',
    updated: '2017-07-12T00:00:00-00:00',
    attributes: {
      networks: { mtu: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: toInt, validate: isNonNegative, isFilter: true, isSortKey: true }) },
    },
  },
  {
    alias: 'network_availability_zone',
    name: 'Network Availability Zone',
    description: 'Availability zone support for network.',
    updated: '2015-01-01T10:00:00-00:00',
    attributes: {
      networks: {
        availability_zone_hints: attr({ allowPost: true, default: [], validate: isListOf(isString(255), 'availability_zone_hints'), isSortKey: true }),
        availability_zones: attr({}),
      },
    },
  },
  {
    alias: 'port-security',
    name: 'Port Security',
    description: 'Provides port security',
    updated: '2012-07-23T10:00:00-00:00',
    attributes: {
      networks: { port_security_enabled: attr({ allowPost: true, allowPut: true, default: true, convert: toBoolean }) },
    },
  },
  {
    alias: 'dns-integration',
    name: 'DNS Integration',
    description: 'Provides integration with DNS.',
    updated: '2015-08-15T18:00:00-00:00',
    attributes: {
      networks: { dns_domain: attr({ allowPost: true, allowPut: true, default: '', validate: isDnsDomain }) },
    },
  },
];

function isDnsDomain(v: unknown): string | undefined {
  if (v === '') return undefined;
  const why = isDnsName(v);
  if (why) return why;
  return (v as string).endsWith('.') ? undefined : `'${v}' is not a FQDN`;
}
