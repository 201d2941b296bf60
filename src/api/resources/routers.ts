/**
 * The `routers` resource (extension `router`) and the extensions that shape it: `ext-gw-mode`
 * (enable_snat in external_gateway_info), `extraroute` (routes), `extraroute-atomic`
 * (add_extraroutes/remove_extraroutes), `l3-port-ip-change-not-allowed`, `dvr` (distributed) and `l3-ha` (ha). Validators return
 * neutron-lib's texts, Python formatting of the offending data included.
 */
import { canonicalIp, formatCidr, isIp, parseCidr } from '../../core/ip.js';
import { pyRepr, pySet, pyStr } from '../../core/py-repr.js';
import { attr, NOT_SPECIFIED, type ExtensionDef, type ResourceDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { isDict, isString, isUuid, isUuidText, noneToEmptyList, toBoolean, type Validator } from './validators.js';

const GW_KEYS = ['network_id', 'enable_snat', 'external_fixed_ips'];

/** Python truthiness, which neutron-lib's `dict_or_nodata` uses to accept "no data". */
const isNoData = (v: unknown): boolean =>
  v === null || v === undefined || v === false || v === 0 || v === '' || (Array.isArray(v) && !v.length) || (isDict(v) && !Object.keys(v).length);

/** The key checks of `external_gateway_info` (neutron-lib's validate_dict order). */
function gatewayKeysReason(v: Record<string, unknown>): string | undefined {
  if (!('network_id' in v))
    return `Validation of dictionary's keys failed. Expected keys: ${pySet(['network_id'])} Provided keys: ${pySet(Object.keys(v))}`;
  const unexpected = Object.keys(v).filter((k) => !GW_KEYS.includes(k));
  if (unexpected.length) return `Unexpected keys supplied: ${unexpected.join(', ')}`;
  return undefined;
}

/** `enable_snat` is converted to a boolean as the dict is validated (InvalidInput when it cannot be). */
const toGatewayInfo = (v: unknown): unknown => {
  if (isNoData(v)) return null;
  if (!isDict(v) || gatewayKeysReason(v)) return v;
  return 'enable_snat' in v ? { ...v, enable_snat: toBoolean(v.enable_snat) } : v;
};

export const isFixedIpList: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for fixed IP: '${pyStr(v)}'`;
  const seen: unknown[] = [];
  for (const ip of v) {
    if (!isDict(ip)) return `Invalid data format for fixed IP: '${pyStr(ip)}'`;
    if ('ip_address' in ip) {
      if (seen.includes(ip.ip_address)) return `Duplicate IP address '${pyStr(ip.ip_address)}'`;
      if (!isIp(ip.ip_address)) return `'${pyStr(ip.ip_address)}' is not a valid IP address`;
      seen.push(ip.ip_address);
    }
    if ('subnet_id' in ip && !isUuidText(ip.subnet_id)) return `'${pyStr(ip.subnet_id)}' is not a valid UUID`;
  }
  return undefined;
};

const isGatewayInfo: Validator = (v) => {
  if (v === null) return undefined;
  if (!isDict(v)) return `'${pyStr(v)}' is not a dictionary`;
  const why = gatewayKeysReason(v);
  if (why) return why;
  if (!isUuidText(v.network_id)) return `'${pyStr(v.network_id)}' is not a valid UUID`;
  if ('enable_snat' in v && typeof v.enable_snat !== 'boolean') return `'${pyStr(v.enable_snat)}' is not a valid boolean value`;
  if ('external_fixed_ips' in v) return isFixedIpList(v.external_fixed_ips);
  return undefined;
};

/** neutron-lib's validate_route_cidr. */
function routeCidrReason(d: unknown): string | undefined {
  const c = typeof d === 'string' && !/\s/.test(d) ? parseCidr(d) : undefined;
  if (!c) return `'${pyStr(d)}' is not a valid CIDR`;
  const text = d as string;
  if (!text.includes('/') || c.network !== c.host) return `'${text}' is not a recognized CIDR, '${formatCidr(c)}' is recommended`;
  const loopback = c.version === 4 ? c.network >> 24n === 127n : c.network === 1n && c.prefix === 128;
  if (loopback) return `'${text}' is not a routable CIDR`;
  return undefined;
}

/** neutron-lib's validate_hostroutes, as `routes` uses it. */
export const isRoutes: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for hostroute: '${pyStr(v)}'`;
  const seen: Array<Record<string, unknown>> = [];
  for (const r of v) {
    if (!isDict(r)) return `Invalid input. '${pyStr(r)}' must be a dictionary with keys: ['destination', 'nexthop']`;
    const keys = Object.keys(r);
    if (keys.length !== 2 || !('destination' in r) || !('nexthop' in r))
      return `Validation of dictionary's keys failed. Expected keys: ${pySet(['nexthop', 'destination'])} Provided keys: ${pySet(keys)}`;
    const why = routeCidrReason(r.destination);
    if (why) return why;
    if (!isIp(r.nexthop)) return `'${pyStr(r.nexthop)}' is not a valid IP address`;
    if (seen.some((s) => s.destination === r.destination && s.nexthop === r.nexthop)) return `Duplicate hostroute '${pyRepr(r)}'`;
    seen.push(r);
  }
  return undefined;
};

/** Routes as stored and shown: canonical CIDR and address text. Input must be valid. */
export function canonicalRoutes(routes: Array<{ destination: string; nexthop: string }>): Array<{ destination: string; nexthop: string }> {
  return routes.map((r) => ({ destination: formatCidr(parseCidr(r.destination)!), nexthop: canonicalIp(r.nexthop) }));
}

/** A boolean only admins set and see (`distributed`, `ha`); null passes through for the plug-in. */
const adminFlag = () =>
  attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: (v) => (v === null ? null : toBoolean(v)), adminOnly: true, adminVisible: true });

export const routerResource = (): ResourceDef => ({
  member: 'router',
  collection: 'routers',
  standardAttributes: true,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    admin_state_up: attr({ allowPost: true, allowPut: true, default: true, convert: toBoolean, isFilter: true, isSortKey: true }),
    status: attr({ isSortKey: true }),
    external_gateway_info: attr({ allowPost: true, allowPut: true, default: null, convert: toGatewayInfo, validate: isGatewayInfo }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});

export const routerExtensions = (): ExtensionDef[] => [
  {
    alias: 'router',
    name: 'Neutron L3 Router',
    description:
      'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
    updated: '2012-07-20T10:00:00-00:00',
  },
  {
    alias: 'ext-gw-mode',
    name: 'Neutron L3 Configurable external gateway mode',
    description: 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
    updated: '2013-03-28T10:00:00-00:00',
  },
  {
    alias: 'extraroute',
    name: 'Neutron Extra Route',
    description: 'Extra routes configuration for L3 router',
    updated: '2013-02-01T10:00:00-00:00',
    attributes: {
      routers: { routes: attr({ allowPut: true, convert: noneToEmptyList, validate: isRoutes }) },
    },
  },
  {
    alias: 'extraroute-atomic',
    name: 'Atomically add/remove extra routes',
    description: 'Edit extra routes of a router on server side by atomically adding/removing extra routes',
    updated: '2019-07-10T00:00:00+00:00',
  },
  {
    alias: 'l3-port-ip-change-not-allowed',
    name: 'Prevent L3 router ports IP address change extension',
    description: 'Prevent change of IP address for some L3 router ports',
    updated: '2018-10-09T10:00:00-00:00',
  },
  {
    // Nucleon has no L3 agents: `distributed` is stored and shown, nothing is distributed (as in
    // Neutron with no L3 agents). Admins only, to set and to see (Neutron's default policy).
    alias: 'dvr',
    name: 'Distributed Virtual Router',
    description: 'Enables configuration of Distributed Virtual Routers.',
    updated: '2014-06-1T10:00:00-00:00',
    attributes: {
      routers: {
        distributed: adminFlag(),
      },
    },
  },
  {
    // HA routers: VRRP between the L3 agents hosting the router (src/plugins/l3/ha-routers.ts);
    // unset, `[DEFAULT] l3_ha` decides. Admins only, to set and to see (Neutron's policy).
    alias: 'l3-ha',
    name: 'HA Router extension',
    description: 'Adds HA capability to routers.',
    updated: '2014-04-26T00:00:00-00:00',
    attributes: {
      routers: {
        ha: adminFlag(),
      },
    },
  },
];
