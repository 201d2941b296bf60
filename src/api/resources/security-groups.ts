/** The `security-groups` and `security-group-rules` resources, and the ports' `security_groups` attribute. */
import { SecurityGroupDefaultAlreadyExists } from '../../core/errors.js';
import { attr, NOT_SPECIFIED, type ExtensionDef, type ResourceDef } from './attributes.js';
import { ownerAttributes, standardAttributes } from './standard-attrs.js';
import { isListOf, isOneOf, isString, isStringOrNull, isUuid, noneToEmptyList, toBoolean, type Validator } from './validators.js';
import { normaliseEthertype, normalisePort, normalisePrefix, normaliseProtocol } from '../../plugins/securitygroups/rule-checks.js';

/** A group's name may be anything but `default`, which only the lazily created group carries. */
const isNameNotDefault: Validator = (v) => {
  const why = isString(255)(v);
  if (why) return why;
  if ((v as string).toLowerCase() === 'default') throw new SecurityGroupDefaultAlreadyExists();
  return undefined;
};

export const securityGroupResource = (): ResourceDef => ({
  member: 'security_group',
  collection: 'security_groups',
  path: 'security-groups',
  standardAttributes: true,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, allowPut: true, default: '', validate: isNameNotDefault, isFilter: true, isSortKey: true }),
    security_group_rules: attr({}),
    shared: attr({ isFilter: true }),
    ...ownerAttributes(),
    ...standardAttributes(),
  },
});

export const securityGroupRuleResource = (): ResourceDef => {
  const std = standardAttributes();
  delete std.tags;
  return {
    member: 'security_group_rule',
    collection: 'security_group_rules',
    path: 'security-group-rules',
    standardAttributes: false,
    attributes: {
      id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
      security_group_id: attr({ allowPost: true, validate: isUuid, isFilter: true, isSortKey: true }),
      // no UUID check: a remote group that is not a group is SecurityGroupNotFound (404), as in Neutron
      remote_group_id: attr({ allowPost: true, default: null, validate: isStringOrNull(255), isFilter: true, isSortKey: true }),
      direction: attr({ allowPost: true, validate: isOneOf(['ingress', 'egress']), isFilter: true, isSortKey: true }),
      protocol: attr({ allowPost: true, default: null, convert: normaliseProtocol, isFilter: true, isSortKey: true }),
      port_range_min: attr({ allowPost: true, default: null, convert: normalisePort, isFilter: true, isSortKey: true }),
      port_range_max: attr({ allowPost: true, default: null, convert: normalisePort, isFilter: true, isSortKey: true }),
      ethertype: attr({ allowPost: true, default: 'IPv4', convert: normaliseEthertype, isFilter: true, isSortKey: true }),
      remote_ip_prefix: attr({ allowPost: true, default: null, convert: normalisePrefix, isFilter: true, isSortKey: true }),
      remote_address_group_id: attr({ isFilter: true }),
      normalized_cidr: attr({ isFilter: true }),
      ...ownerAttributes(),
      ...std,
      description: attr({ allowPost: true, default: '', validate: isString(255), isFilter: true }),
    },
  };
};

export const securityGroupExtensions = (): ExtensionDef[] => [
  {
    alias: 'security-group',
    name: 'security-group',
    description: 'The security groups extension.',
    updated: '2012-10-05T10:00:00-00:00',
    attributes: {
      ports: {
        security_groups: attr({ allowPost: true, allowPut: true, default: NOT_SPECIFIED, convert: noneToEmptyList, validate: isListOf(isUuid, 'security_groups', { unique: true }), isFilter: true }),
      },
    },
  },
  {
    alias: 'stateful-security-group',
    name: 'Stateful security group',
    description: 'Indicates if the security group is stateful or not',
    updated: '2019-11-26T09:00:00-00:00',
    attributes: { security_groups: { stateful: attr({ allowPost: true, allowPut: true, default: true, convert: toBoolean, isFilter: true, isSortKey: true }) } },
  },
  {
    alias: 'security-groups-normalized-cidr',
    name: 'Security Group Rule normalized CIDR',
    description: 'Add new field with normalized remote_ip_prefix cidr in SG rule',
    updated: '2021-05-31T09:00:00-00:00',
  },
  {
    alias: 'port-security-groups-filtering',
    name: 'Port filtering on security groups',
    description: 'Provides security groups filtering when listing ports',
    updated: '2018-01-09T09:00:00-00:00',
  },
];
