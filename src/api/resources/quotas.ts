/**
 * The `quotas` resource (extensions `quotas`, `quota_details`, `quota-check-limit`): one attribute
 * per counted resource, writable by PUT only, converted as Python's int() and limited to
 * -1 (unlimited) … 2^31-1, as Neutron's quota controller declares them.
 */
import { attr, type AttributeMap, type ExtensionDef, type ResourceDef } from './attributes.js';
import { isRange, isString, toPythonInt } from './validators.js';

/** The resources a project's quota limits, in the order Neutron shows them. */
export const QUOTA_RESOURCES = ['network', 'subnet', 'subnetpool', 'port', 'router', 'floatingip', 'rbac_policy', 'security_group', 'security_group_rule'] as const;
export type QuotaResource = (typeof QUOTA_RESOURCES)[number];

export const QUOTA_MAX = 2147483647;

export const quotaResource = (): ResourceDef => {
  const limits: AttributeMap = {};
  for (const r of QUOTA_RESOURCES) limits[r] = attr({ allowPut: true, convert: toPythonInt, validate: isRange(-1, QUOTA_MAX) });
  return {
    member: 'quota',
    collection: 'quotas',
    standardAttributes: false,
    attributes: {
      ...limits,
      tenant_id: attr({ validate: isString(255), isFilter: true }),
      project_id: attr({ validate: isString(255), isFilter: true }),
      // request flags of PUT, never shown
      force: attr({ allowPut: true, isVisible: false }),
      check_limit: attr({ allowPut: true, isVisible: false }),
    },
  };
};

export const quotaExtensions = (): ExtensionDef[] => [
  {
    alias: 'quotas',
    name: 'Quota management support',
    description: 'Expose functions for quotas management per project',
    updated: '2012-07-29T10:00:00-00:00',
  },
  {
    alias: 'quota_details',
    name: 'Quota details management support',
    description: 'Expose functions for quotas usage statistics per project',
    updated: '2017-02-10T10:00:00-00:00',
  },
  {
    alias: 'quota-check-limit',
    name: 'Quota engine limit check',
    description: 'Support for checking the resource usage before applying a new quota limit',
    updated: '2021-09-08T16:00:00-00:00',
  },
];
