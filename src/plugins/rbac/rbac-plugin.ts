/**
 * The RBAC service plug-in: `/v2.0/rbac-policies` for networks (extension `rbac-policies`) and for
 * security groups (`rbac-security-groups`), and the network events that tie network `shared` and
 * `router:external` to policies. The security group plug-in honours security group policies
 * through `securityGroupVisibleTo` / `securityGroupAccessible` in rbac-repo.
 */
import type { ServiceDeps } from '../../app.js';
import { rbacExtensions, rbacPolicyResource } from '../../api/resources/rbac-policies.js';
import type { ServicePlugin } from '../plugin-api.js';
import { NetworkRbac } from './network-rbac.js';
import type { RbacObjectType } from './object-types.js';
import { RbacOps } from './rbac-ops.js';
import { SecurityGroupRbac } from './security-group-rbac.js';

declare module '../events.js' {
  interface EventMap {
    rbac_policy: Pick<Lifecycle<unknown>, 'before_create'>;
  }
}

export function rbacPlugin(deps: ServiceDeps): ServicePlugin {
  deps.events.declare('rbac_policy', ['before_create']);
  // router gateways can depend on external policies once the L3 tables exist (decided at start)
  const routers = deps.database.db.introspection.getTables().then(
    (tables) => tables.some((t) => t.name === 'routers'),
    () => false,
  );
  const network = new NetworkRbac(routers);
  network.register(deps.events, deps.core.extensions);
  const types: RbacObjectType[] = [network, new SecurityGroupRbac()];
  const ops = new RbacOps(deps.database, deps.events, types);
  return {
    resources: [rbacPolicyResource(types.map((t) => t.name))],
    extensions: rbacExtensions(),
    collections: () => ({ rbac_policies: ops }),
  };
}
