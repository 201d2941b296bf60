/**
 * What this server serves: the core resources and every extension that is really implemented.
 * `GET /v2.0/extensions` lists exactly these, so clients (tempest, the CLI) only use what works.
 */
import { ResourceRegistry, type ExtensionDef, type ResourceDef } from './attributes.js';
import { networkExtensions, networkResource } from './networks.js';
import { portExtensions, portResource } from './ports.js';
import { subnetResource } from './subnets.js';

/** Extensions that change behaviour but add no attributes. */
const SHIM_EXTENSIONS: ExtensionDef[] = [
  { alias: 'project-id', name: 'project_id field enabled', description: 'Extension that indicates that project_id field is enabled.', updated: '2016-09-09T09:09:09-09:09' },
  { alias: 'pagination', name: 'Pagination support', description: 'Extension that indicates that pagination is enabled.', updated: '2016-06-12T00:00:00-00:00' },
  { alias: 'sorting', name: 'Sorting support', description: 'Extension that indicates that sorting is enabled.', updated: '2016-06-12T00:00:00-00:00' },
  { alias: 'filter-validation', name: 'Filter parameters validation', description: 'Provides validation on filter parameters.', updated: '2018-03-21T10:00:00-00:00' },
  { alias: 'empty-string-filtering', name: 'Empty String Filtering Extension', description: 'Allow filtering by attributes with empty string value', updated: '2018-05-01T10:00:00-00:00' },
  { alias: 'ip-substring-filtering', name: 'IP address substring filtering', description: 'Provides IP address substring filtering when listing ports', updated: '2017-11-28T09:00:00-00:00' },
  { alias: 'standard-attr-description', name: 'standard-attr-description', description: 'Extension to add descriptions to standard attributes', updated: '2016-02-10T10:00:00-00:00' },
  { alias: 'standard-attr-revisions', name: 'Resource revision numbers', description: 'This extension will display the revision number of neutron resources.', updated: '2016-04-11T10:00:00-00:00' },
  { alias: 'revision-if-match', name: 'If-Match constraints based on revision_number', description: "Extension indicating that If-Match based on revision_number is supported.", updated: '2016-12-11T00:00:00-00:00' },
  { alias: 'standard-attr-timestamp', name: 'Resource timestamps', description: 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.', updated: '2016-09-12T10:00:00-00:00' },
  {
    alias: 'standard-attr-tag',
    name: 'Tag support for resources with standard attribute: port, subnet, network',
    description: 'Enables to set tag on resources with standard attribute.',
    updated: '2017-01-01T00:00:00-00:00',
  },
];

/** The core resources and extensions, then each service plug-in's (resources first, then extensions). */
export function buildRegistry(services: Array<{ resources: ResourceDef[]; extensions: ExtensionDef[] }> = []): ResourceRegistry {
  const reg = new ResourceRegistry();
  reg.addResource(networkResource());
  reg.addResource(subnetResource());
  reg.addResource(portResource());
  for (const s of services) for (const r of s.resources) reg.addResource(r);
  for (const ext of [...networkExtensions(), ...portExtensions(), ...SHIM_EXTENSIONS]) reg.addExtension(ext);
  for (const s of services) for (const ext of s.extensions) reg.addExtension(ext);
  return reg;
}
