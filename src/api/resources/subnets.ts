/** The `subnets` resource. */
import { InvalidInput } from '../../core/errors.js';
import { formatCidr, parseCidr, canonicalIp, isIp } from '../../core/ip.js';
import { attr, NOT_SPECIFIED, type ResourceDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { isDict, isDictList, isIpAddressOrNull, isNonNegative, isOneOf, isOneOfOrNull, isString, isUuid, isUuidOrNull, noneToEmptyList, toBoolean, toInt, toPythonInt, type Validator } from './validators.js';

const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'];

/** Canonical CIDR (host bits cleared), InvalidInput when it is not one. */
const toCidr = (v: unknown): unknown => {
  if (v === null) return v;
  const c = typeof v === 'string' && v.includes('/') ? parseCidr(v) : undefined;
  if (!c) throw new InvalidInput({ error_message: `${typeof v === 'string' ? v : JSON.stringify(v)} is not in a CIDR format` });
  return formatCidr(c);
};

const toCanonicalIp = (v: unknown): unknown => (typeof v === 'string' && isIp(v) ? canonicalIp(v) : v);

const isNameservers: Validator = (v) => {
  if (!Array.isArray(v)) return `'${JSON.stringify(v)}' is not a list`;
  const seen = new Set<string>();
  for (const ns of v) {
    if (typeof ns !== 'string' || !isIp(ns)) return `'${ns}' is not a valid nameserver. '${ns}' is not a valid IP address`;
    if (seen.has(ns)) return `Duplicate nameserver '${ns}'`;
    seen.add(ns);
  }
  return undefined;
};

const isHostRoutes: Validator = (v) => {
  const why = isDictList(
    {
      destination: { required: true, validate: (d) => (typeof d === 'string' && parseCidr(d) && d.includes('/') ? undefined : `'${d}' is not a valid IP subnet`) },
      nexthop: { required: true, validate: (n) => (isIp(n) ? undefined : `'${n}' is not a valid IP address`) },
    },
    'hostroute',
  )(v);
  if (why) return why;
  const seen = new Set<string>();
  for (const r of v as Array<{ destination: string; nexthop: string }>) {
    const k = `${r.destination}|${r.nexthop}`;
    if (seen.has(k)) return `Duplicate hostroute '${JSON.stringify(r)}'`;
    seen.add(k);
  }
  return undefined;
};

const isPools: Validator = (v) => {
  if (!Array.isArray(v)) return `Invalid data format for IP pool: '${JSON.stringify(v)}'`;
  for (const p of v) {
    if (!isDict(p) || !('start' in p) || !('end' in p) || Object.keys(p).length !== 2) return `Invalid data format for IP pool: '${JSON.stringify(p)}'`;
    for (const k of ['start', 'end']) if (!isIp(p[k])) return `'${p[k]}' is not a valid IP address`;
  }
  return undefined;
};

export const subnetResource = (): ResourceDef => ({
  member: 'subnet',
  collection: 'subnets',
  standardAttributes: true,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, allowPut: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    ip_version: attr({ allowPost: true, convert: toInt, validate: isOneOf([4, 6]), isFilter: true, isSortKey: true }),
    network_id: attr({ allowPost: true, validate: isUuid, isFilter: true, isSortKey: true }),
    subnetpool_id: attr({ allowPost: true, default: NOT_SPECIFIED, validate: isUuidOrNull, isFilter: true, isSortKey: true }),
    prefixlen: attr({ allowPost: true, default: NOT_SPECIFIED, convert: toPythonInt, validate: isNonNegative, isVisible: false }),
    cidr: attr({ allowPost: true, default: NOT_SPECIFIED, convert: toCidr, isFilter: true, isSortKey: true }),
    gateway_ip: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isIpAddressOrNull, convert: toCanonicalIp, isFilter: true, isSortKey: true }),
    allocation_pools: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isPools }),
    dns_nameservers: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: noneToEmptyList, validate: isNameservers }),
    host_routes: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: noneToEmptyList, validate: isHostRoutes }),
    enable_dhcp: attr({ allowPost: true, allowPut: true, default: true, convert: toBoolean, isFilter: true, isSortKey: true }),
    ipv6_ra_mode: attr({ allowPost: true, default: NOT_SPECIFIED, validate: isOneOfOrNull(IPV6_MODES), isFilter: true, isSortKey: true }),
    ipv6_address_mode: attr({ allowPost: true, default: NOT_SPECIFIED, validate: isOneOfOrNull(IPV6_MODES), isFilter: true, isSortKey: true }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});
