/**
 * The `metering` extension's resources, served at `/v2.0/metering/metering-labels` and
 * `/v2.0/metering/metering-label-rules` (neutron-lib's metering and
 * metering_source_and_destination_fields definitions). Nothing is updatable except a rule's
 * source/destination prefixes, which the plug-in then refuses as Neutron does (501).
 */
import { attr, type ExtensionDef, type ResourceDef } from './attributes.js';
import { isOneOf, isString, isUuid, toBoolean } from './validators.js';

export const meteringLabelResource = (): ResourceDef => ({
  member: 'metering_label',
  collection: 'metering_labels',
  path: 'metering/metering-labels',
  standardAttributes: false,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    name: attr({ allowPost: true, default: '', validate: isString(255), isFilter: true, isSortKey: true }),
    description: attr({ allowPost: true, default: '', validate: isString(1024), isFilter: true, isSortKey: true }),
    shared: attr({ allowPost: true, default: false, convert: toBoolean, isFilter: true, isSortKey: true }),
    project_id: attr({ allowPost: true, validate: isString(255), isFilter: true, isSortKey: true }),
    tenant_id: attr({ allowPost: true, validate: isString(255), isFilter: true, isSortKey: true }),
  },
});

/** A prefix is checked by the plug-in (Neutron's `Invalid`), not by the API layer. */
const prefix = (allowPut: boolean) => attr({ allowPost: true, allowPut, default: null, isFilter: true, isSortKey: true });

export const meteringLabelRuleResource = (): ResourceDef => ({
  member: 'metering_label_rule',
  collection: 'metering_label_rules',
  path: 'metering/metering-label-rules',
  standardAttributes: false,
  attributes: {
    id: attr({ validate: isUuid, isFilter: true, isSortKey: true }),
    metering_label_id: attr({ allowPost: true, validate: isUuid, isFilter: true, isSortKey: true }),
    direction: attr({ allowPost: true, validate: isOneOf(['ingress', 'egress']), isFilter: true, isSortKey: true }),
    remote_ip_prefix: prefix(false),
    source_ip_prefix: prefix(true),
    destination_ip_prefix: prefix(true),
    excluded: attr({ allowPost: true, default: false, convert: toBoolean, isFilter: true, isSortKey: true }),
    // accepted on create, never shown: a rule has no owner of its own in Neutron
    project_id: attr({ allowPost: true, validate: isString(255), isVisible: false }),
    tenant_id: attr({ allowPost: true, validate: isString(255), isVisible: false }),
  },
});

export const meteringExtensions = (): ExtensionDef[] => [
  {
    alias: 'metering',
    name: 'Neutron Metering',
    description: 'Neutron Metering extension.',
    updated: '2013-06-12T10:00:00-00:00',
  },
  {
    alias: 'metering_source_and_destination_fields',
    name: 'Neutron Metering with source and destination filtering',
    description: 'Neutron Metering extension that enables the use of source and destination IP prefixes to create metering label rules.',
    updated: '2020-08-21T08:12:00-00:00',
  },
];
