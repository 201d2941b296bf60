/**
 * The L3 service plug-in (Neutron's `router` service): routers with gateways, interfaces and
 * extra routes, and floating IPs. It joins the core through the ML2 hooks (l3-hooks.ts) and
 * creates and deletes its ports through the core plug-in, so IPAM, MACs and the other service
 * plug-ins' hooks apply to them as to any port.
 */
import type { ServiceDeps } from '../../app.js';
import { floatingIpExtensions, floatingIpResource } from '../../api/resources/floating-ips.js';
import { routerExtensions, routerResource } from '../../api/resources/routers.js';
import type { ServicePlugin } from '../plugin-api.js';
import { FloatingIpOps } from './floatingip-ops.js';
import { registerL3Hooks } from './l3-hooks.js';
import { l3Deps } from './l3-support.js';
import { RouterOps } from './router-ops.js';

export function l3Plugin({ database, ml2 }: ServiceDeps): ServicePlugin {
  const deps = l3Deps(database, ml2);
  const routers = new RouterOps(deps);
  const floatingips = new FloatingIpOps(deps);
  registerL3Hooks(ml2.hooks, floatingips);
  return {
    resources: [routerResource(), floatingIpResource()],
    extensions: [...routerExtensions(), ...floatingIpExtensions()],
    collections: () => ({ routers, floatingips }),
  };
}
