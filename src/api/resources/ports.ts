/** The `ports` resource and the extensions that add port attributes. */
import { attr, NOT_SPECIFIED, type ExtensionDef, type ResourceDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { parseMac } from '../../core/ip.js';
import { InvalidInput } from '../../core/errors.js';
import {
  isDictList,
  isDictOrNull,
  isDnsName,
  isIpAddress,
  isIpOrCidr,
  isMacAddress,
  isOneOf,
  isString,
  isStringOrNull,
  isUuid,
  noneToEmptyList,
  toBoolean,
  type Validator,
} from './validators.js';

export const VNIC_TYPES = [
  'normal',
  'direct',
  'macvtap',
  'baremetal',
  'direct-physical',
  'virtio-forwarder',
  'smart-nic',
  'vdpa',
  'accelerator-direct',
  'accelerator-direct-physical',
  'remote-managed',
];

const toMac = (v: unknown): unknown => parseMac(v) ?? v;

/** `fixed_ips=ip_address=10.0.0.3` (also `subnet_id=`, `ip_address_substr=`) → { key, value }. */
const FIXED_IP_FILTER_KEYS = ['ip_address', 'subnet_id', 'ip_address_substr'];
const toFixedIpFilter = (v: unknown): unknown => {
  const text = String(v);
  const eq = text.indexOf('=');
  const key = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !FIXED_IP_FILTER_KEYS.includes(key))
    throw new InvalidInput({ error_message: `'${text}' is not a valid fixed_ips filter; use ${FIXED_IP_FILTER_KEYS.map((k) => `${k}=VALUE`).join(', ')}` });
  return { key, value: text.slice(eq + 1) };
};

const isFixedIps: Validator = isDictList({ subnet_id: { required: false, validate: isUuid }, ip_address: { required: false, validate: isIpAddress } }, 'fixed_ips');

const isAddressPairs: Validator = (v) => {
  const why = isDictList({ ip_address: { required: true, validate: isIpOrCidr }, mac_address: { required: false, validate: isMacAddress } }, 'allowed_address_pairs')(v);
  if (why) return why.replace(/^Invalid data format for allowed_address_pairs: .*$/, 'Allowed address pairs must be a list of dictionaries with ip_address');
  return undefined;
};

const isExtraDhcpOpts: Validator = (v) =>
  v === null
    ? undefined
    : isDictList(
        {
          opt_name: { required: true, validate: isString(64) },
          opt_value: { required: true, validate: isStringOrNull(255) },
          ip_version: { required: false, validate: (x) => isOneOf([4, 6])(typeof x === 'string' ? Number(x) : x) },
        },
        'extra_dhcp_opts',
      )(v);

export const portResource = (): ResourceDef => ({
  member: 'port',
  collection: 'ports',
  standardAttributes: true,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    network_id: attr({ allowPost: true, validate: isUuid, isFilter: true, isSortKey: true }),
    admin_state_up: attr({ allowPost: true, allowPut: true, default: true, convert: toBoolean, isFilter: true, isSortKey: true }),
    mac_address: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isMacAddress, convert: toMac, isFilter: true, isSortKey: true }),
    fixed_ips: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isFixedIps, isFilter: true, convertFilter: toFixedIpFilter }),
    device_id: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    device_owner: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    status: attr({ isFilter: true, isSortKey: true }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});

export const portExtensions = (): ExtensionDef[] => [
  {
    alias: 'binding',
    name: 'Port Binding',
    description: 'Expose port bindings of a virtual port to external application',
    updated: '2014-02-03T10:00:00-00:00',
    attributes: {
      ports: {
        'binding:vnic_type': attr({ allowPost: true, allowPut: true, default: 'normal', validate: isOneOf(VNIC_TYPES), isFilter: true }),
        'binding:host_id': attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isString(255), isFilter: true, adminOnly: true, adminVisible: true }),
        'binding:profile': attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isDictOrNull, adminOnly: true, adminVisible: true }),
        'binding:vif_type': attr({ adminVisible: true }),
        'binding:vif_details': attr({ adminVisible: true }),
      },
    },
  },
  {
    alias: 'port-security',
    name: 'Port Security',
    description: 'Provides port security',
    updated: '2012-07-23T10:00:00-00:00',
    attributes: {
      ports: { port_security_enabled: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: toBoolean }) },
    },
  },
  {
    alias: 'allowed-address-pairs',
    name: 'Allowed Address Pairs',
    description: 'Provides allowed address pairs',
    updated: '2013-07-23T10:00:00-00:00',
    attributes: {
      ports: { allowed_address_pairs: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: noneToEmptyList, validate: isAddressPairs }) },
    },
  },
  {
    alias: 'extra_dhcp_opt',
    name: 'Neutron Extra DHCP options',
    description: 'Extra options configuration for DHCP. For example PXE boot options to DHCP clients can be specified (e.g. tftp-server, server-ip-address, bootfile-name)',
    updated: '2013-03-17T12:00:00-00:00',
    attributes: {
      ports: { extra_dhcp_opts: attr({ allowPost: true, allowPut: true, default: null, validate: isExtraDhcpOpts }) },
    },
  },
  {
    alias: 'dns-integration',
    name: 'DNS Integration',
    description: 'Provides integration with DNS.',
    updated: '2015-08-15T18:00:00-00:00',
    attributes: {
      ports: {
        dns_name: attr({ allowPost: true, allowPut: true, default: '', validate: isDnsName, convert: (v) => (typeof v === 'string' ? v.toLowerCase() : v) }),
        dns_assignment: attr({}),
      },
    },
  },
];

