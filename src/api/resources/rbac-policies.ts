/**
 * The `rbac_policies` resource (served at `/v2.0/rbac-policies`): who may use a network (or a
 * security group) besides its owner. Only `target_tenant` can change after creation; there are no
 * sort keys and no pagination, as in Neutron.
 */
import { InvalidInput } from '../../core/errors.js';
import { pyStr } from '../../core/py-repr.js';
import { attr, type ExtensionDef, type ResourceDef } from './attributes.js';
import { isString, isUuid } from './validators.js';

/** neutron's convert_valid_object_type: trimmed, lower case, one of the loaded types. */
export const toObjectType =
  (types: readonly string[]) =>
  (v: unknown): string => {
    const normalized = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    if (normalized !== undefined && types.includes(normalized)) return normalized;
    throw new InvalidInput({ error_message: `'${pyStr(v)}' is not a valid RBAC object type` });
  };

export const rbacPolicyResource = (objectTypes: readonly string[]): ResourceDef => ({
  member: 'rbac_policy',
  collection: 'rbac_policies',
  path: 'rbac-policies',
  standardAttributes: false,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true }),
    object_type: attr({ allowPost: true, convert: toObjectType(objectTypes), isFilter: true }),
    object_id: attr({ allowPost: true, validate: isUuid, isFilter: true }),
    target_tenant: attr({ allowPost: true, allowPut: true, validate: isString(255), isFilter: true }),
    action: attr({ allowPost: true, validate: isString(255), isFilter: true }),
    tenant_id: attr({ allowPost: true, validate: isString(255), isFilter: true }),
    project_id: attr({ allowPost: true, validate: isString(255), isFilter: true }),
  },
});

export const rbacExtensions = (): ExtensionDef[] => [
  {
    alias: 'rbac-policies',
    name: 'RBAC Policies',
    description: 'Allows creation and modification of policies that control tenant access to resources.',
    updated: '2015-06-17T12:15:12-00:00',
  },
  {
    alias: 'rbac-security-groups',
    name: 'Add security_group type to network RBAC',
    description: 'Add security_group type to network RBAC',
    updated: '2019-02-14T00:00:00-00:00',
  },
];
