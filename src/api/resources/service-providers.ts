/**
 * The `service_providers` collection (extension `service-type`): which drivers implement each
 * advanced service. Read-only; no ids, no project, no standard attributes.
 */
import { attr, type ExtensionDef, type ResourceDef } from './attributes.js';
import { toBoolean } from './validators.js';

export const serviceProviderResource = (): ResourceDef => ({
  member: 'service_provider',
  collection: 'service_providers',
  path: 'service-providers',
  standardAttributes: false,
  attributes: {
    service_type: attr({ isFilter: true }),
    name: attr({ isFilter: true }),
    default: attr({ isFilter: true, convert: toBoolean }),
  },
});

export const serviceProviderExtensions = (): ExtensionDef[] => [
  {
    alias: 'service-type',
    name: 'Neutron Service Type Management',
    description: 'API for retrieving service providers for Neutron advanced services',
    updated: '2013-01-20T00:00:00-00:00',
  },
];
