/**
 * The `subnetpools` resource (extension `subnet_allocation`): address space that subnets are
 * allocated from, and the extensions around it: `default-subnetpools` (the subnets'
 * `use_default_subnetpool`) and `subnetpool-prefix-ops` (the `add_prefixes` / `remove_prefixes`
 * member actions). `address_scope_id` is shown as Neutron shows it, though no address scope exists
 * here (the `address-scope` extension is not served).
 */
import { attr, NOT_SPECIFIED, type ExtensionDef, type ResourceDef, type AttributeDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { isNonNegative, isNotEmptyString, isSubnetList, isUuid, isUuidOrNull, toBoolean, toInt, toPythonInt, type Validator } from './validators.js';

/** The largest number a column holds: a larger prefix quota is refused, not overflowed. */
const INT_MAX = 2147483647;

const isQuota: Validator = (v) => isNonNegative(v) ?? ((v as number) > INT_MAX ? `'${v}' is too large - must be no larger than '${INT_MAX}'` : undefined);

/** A prefix length: Python's int() of the value, not negative (the bounds are checked against the IP version later). */
const prefixLength = (): AttributeDef =>
  attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: toPythonInt, validate: isNonNegative, isFilter: true, isSortKey: true });

export const subnetpoolResource = (): ResourceDef => ({
  member: 'subnetpool',
  collection: 'subnetpools',
  standardAttributes: true,
  allowBulk: false,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, allowPut: true, validate: isNotEmptyString(255), isFilter: true, isSortKey: true }),
    prefixes: attr({ allowPost: true, allowPut: true, validate: isSubnetList }),
    default_quota: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: toPythonInt, validate: isQuota, isFilter: true, isSortKey: true }),
    ip_version: attr({ convertFilter: toInt, isFilter: true, isSortKey: true }),
    default_prefixlen: prefixLength(),
    min_prefixlen: prefixLength(),
    max_prefixlen: prefixLength(),
    is_default: attr({ allowPost: true, allowPut: true, default: false, convert: toBoolean, isFilter: true, isSortKey: true, adminOnly: true }),
    shared: attr({ allowPost: true, default: false, convert: toBoolean, isFilter: true, isSortKey: true, adminOnly: true }),
    address_scope_id: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, validate: isUuidOrNull, isFilter: true, isSortKey: true }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});

export const subnetpoolExtensions = (): ExtensionDef[] => [
  {
    alias: 'subnet_allocation',
    name: 'Subnet Allocation',
    description: 'Enables allocation of subnets from a subnet pool',
    updated: '2015-03-30T10:00:00-00:00',
  },
  {
    alias: 'default-subnetpools',
    name: 'Default Subnetpools',
    description: 'Provides ability to mark and use a subnetpool as the default.',
    updated: '2016-02-18T18:00:00-00:00',
    attributes: {
      subnets: { use_default_subnetpool: attr({ allowPost: true, default: false, convert: toBoolean, isVisible: false }) },
    },
  },
  {
    alias: 'subnetpool-prefix-ops',
    name: 'Subnet Pool Prefix Operations',
    description: 'Provides support for adjusting the prefix list of subnet pools',
    updated: '2019-02-08T10:00:00-00:00',
  },
];
