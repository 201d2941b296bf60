/**
 * The L3 service plug-in (Neutron's `router` service): routers with gateways, interfaces and
 * extra routes, and floating IPs. It guards the core resources through their events (l3-hooks.ts)
 * and creates, changes and deletes its ports through the core plug-in's narrow interface, so IPAM,
 * MACs and every port subscriber apply to them as to any port (HA routers' networks too). It
 * publishes the events of routers, router interfaces and floating IPs, which the agent notifier
 * turns into `routers_updated`, and keeps an HA port per L3 agent of each HA router.
 */
import type { ServiceDeps } from '../../app.js';
import { floatingIpExtensions, floatingIpResource } from '../../api/resources/floating-ips.js';
import { routerExtensions, routerResource } from '../../api/resources/routers.js';
import type { RouterRow } from '../../db/repos/l3-repo.js';
import type { RequestContext } from '../../core/context.js';
import type { ServicePlugin } from '../plugin-api.js';
import { FloatingIpOps } from './floatingip-ops.js';
import { registerL3Hooks } from './l3-hooks.js';
import { RouterOps } from './router-ops.js';
import { HaRouters } from './ha-routers.js';

/** An interface added to or removed from a router (Neutron's interface info). */
export interface RouterInterfaceEvent {
  ctx: RequestContext;
  router_id: string;
  port_id: string;
  network_id: string;
  subnet_ids: string[];
}

declare module '../events.js' {
  interface EventMap {
    router: Pick<Lifecycle<RouterRow>, 'before_create' | 'precommit_create' | 'after_create' | 'precommit_update' | 'after_update' | 'precommit_delete' | 'after_delete'>;
    router_interface: { after_create: RouterInterfaceEvent; after_delete: RouterInterfaceEvent };
    floatingip: { before_create: BeforeCreate; after_create: AfterCreate; after_update: AfterUpdate; after_delete: AfterDelete };
  }
}

export function l3Plugin({ database, core, events, config }: ServiceDeps): ServicePlugin {
  events.declare('router', ['before_create', 'precommit_create', 'after_create', 'precommit_update', 'after_update', 'precommit_delete', 'after_delete']);
  events.declare('router_interface', ['after_create', 'after_delete']);
  events.declare('floatingip', ['before_create', 'after_create', 'after_update', 'after_delete']);
  const deps = { database, core, events };
  const ha = new HaRouters({ ...deps, ha: config.DEFAULT });
  ha.subscribe(events);
  const routers = new RouterOps(deps, ha);
  const floatingips = new FloatingIpOps(deps);
  registerL3Hooks(events, floatingips);
  return {
    resources: [routerResource(), floatingIpResource()],
    extensions: [...routerExtensions(), ...floatingIpExtensions()],
    collections: () => ({ routers, floatingips }),
  };
}
