/**
 * The service-type plug-in: `GET /v2.0/service-providers`. Nucleon's only advanced service is L3
 * (`L3_ROUTER_NAT`), served by one built-in implementation that plays the four router providers
 * Neutron's driver controller loads, in its order: `dvrha` (`distributed` and `ha`), `dvr`
 * (`distributed`), `ha` (`ha`, extension `l3-ha`) and `single_node` (the others). None is the
 * default flavor, as in Neutron with no flavors configured.
 */
import type { RequestContext } from '../../core/context.js';
import { HTTPMethodNotAllowed, HTTPNotFound } from '../../core/errors.js';
import type { ListQuery } from '../../db/repos/listing.js';
import { serviceProviderExtensions, serviceProviderResource } from '../../api/resources/service-providers.js';
import { inPages, type Resource, type ResourcePages, type ResourcePlugin, type ServicePlugin } from '../plugin-api.js';

export const SERVICE_PROVIDERS: ReadonlyArray<{ service_type: string; name: string; default: boolean }> = [
  { service_type: 'L3_ROUTER_NAT', name: 'dvrha', default: false },
  { service_type: 'L3_ROUTER_NAT', name: 'dvr', default: false },
  { service_type: 'L3_ROUTER_NAT', name: 'ha', default: false },
  { service_type: 'L3_ROUTER_NAT', name: 'single_node', default: false },
];

const notAllowed = () =>
  new HTTPMethodNotAllowed({ msg: 'The server could not comply with the request since it is either malformed or otherwise incorrect.' });

export class ServiceProviderOps implements ResourcePlugin {
  async create(): Promise<Resource[]> {
    throw notAllowed();
  }

  async get(_ctx: RequestContext, _id: string): Promise<Resource> {
    throw new HTTPNotFound({ msg: 'The resource could not be found.' });
  }

  /** Filters (repeated key = OR) on the three attributes; one page whatever the query says. */
  async list(_ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const items = SERVICE_PROVIDERS.filter((p) =>
      Object.entries(q.filters).every(([k, values]) => !(k in p) || values.includes((p as Record<string, unknown>)[k])),
    ).map((p) => ({ ...p }));
    q.limit = undefined;
    return inPages<Resource>(items, async (part) => part);
  }

  async update(): Promise<Resource> {
    throw notAllowed();
  }

  async delete(): Promise<void> {
    throw notAllowed();
  }
}

export function serviceProviderPlugin(): ServicePlugin {
  const ops = new ServiceProviderOps();
  return {
    resources: [serviceProviderResource()],
    extensions: serviceProviderExtensions(),
    collections: () => ({ service_providers: ops }),
  };
}
