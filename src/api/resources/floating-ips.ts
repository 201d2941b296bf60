/** The `floatingips` resource (extension `router`) and `fip-port-details`, which adds `port_details`. */
import { canonicalIp, isIp } from '../../core/ip.js';
import { attr, type ExtensionDef, type ResourceDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { isIpAddressOrNull, isUuid, isUuidOrNull } from './validators.js';

const toCanonicalIp = (v: unknown): unknown => (typeof v === 'string' && isIp(v) ? canonicalIp(v) : v);

export const floatingIpResource = (): ResourceDef => ({
  member: 'floatingip',
  collection: 'floatingips',
  standardAttributes: true,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    floating_ip_address: attr({ allowPost: true, default: null, convert: toCanonicalIp, validate: isIpAddressOrNull, isFilter: true, isSortKey: true }),
    /** Input only: the external subnet to take the address from. */
    subnet_id: attr({ allowPost: true, default: null, validate: isUuidOrNull, isVisible: false }),
    floating_network_id: attr({ allowPost: true, validate: isUuid, isFilter: true, isSortKey: true }),
    router_id: attr({ isFilter: true, isSortKey: true }),
    port_id: attr({ allowPost: true, allowPut: true, default: null, validate: isUuidOrNull, isFilter: true }),
    fixed_ip_address: attr({ allowPost: true, allowPut: true, default: null, convert: toCanonicalIp, validate: isIpAddressOrNull, isFilter: true, isSortKey: true }),
    status: attr({ isFilter: true, isSortKey: true }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});

export const floatingIpExtensions = (): ExtensionDef[] => [
  {
    alias: 'fip-port-details',
    name: 'Floating IP Port Details Extension',
    description: 'Add port_details attribute to Floating IP resource',
    updated: '2018-04-09T10:00:00-00:00',
    attributes: { floatingips: { port_details: attr({}) } },
  },
];
