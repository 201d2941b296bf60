/**
 * Where service plug-ins (security groups, L3, quotas, RBAC) join the core resources without the
 * core knowing them: the idea of ML2's extension drivers and Neutron's callbacks, as plain lists of
 * functions. Every hook runs inside the caller's transaction, does no I/O outside the database, and
 * throws a NeutronError to refuse the operation (the whole transaction then rolls back).
 */
import type { RequestContext } from '../../core/context.js';
import { AvailabilityZoneNotFound } from '../../core/errors.js';
import type { Executor, NetworkRow, PortRow, SubnetRow } from '../../db/schema.js';
import type { Resource } from '../plugin-api.js';
import type { SpecialFilter } from '../../db/repos/listing.js';
import type { Cidr } from '../../core/ip.js';

export interface Ml2Hooks {
  /**
   * Before rows are written: refuse (OverQuota) when `projectId` (default: the caller's project)
   * would go over its quota for `resource`. Locks the project's usage row of that resource until
   * commit, so concurrent creators of the same resource in one project run one after another.
   * Call it before the transaction reads anything else (MySQL's REPEATABLE READ snapshot).
   */
  checkQuota: Array<(trx: Executor, ctx: RequestContext, resource: string, adding: number, projectId?: string) => Promise<void>>;
  /** After a network row exists (`item`: the prepared request, extension attributes included). */
  networkCreated: Array<(trx: Executor, ctx: RequestContext, item: Resource, network: NetworkRow) => Promise<void>>;
  networkUpdated: Array<(trx: Executor, ctx: RequestContext, changes: Resource, network: NetworkRow) => Promise<void>>;
  /** Before a network and its DHCP ports go: throw an InUse error to refuse. */
  beforeNetworkDelete: Array<(trx: Executor, ctx: RequestContext, network: NetworkRow) => Promise<void>>;
  /** Adds extension fields to rendered networks (batch); `ctx`: who asks (`shared` depends on it). */
  extendNetworks: Array<(trx: Executor, networks: Resource[], ctx?: RequestContext) => Promise<void>>;

  /** After a subnet row exists, or was updated (`subnet`: the row as written). */
  subnetCreated: Array<(trx: Executor, ctx: RequestContext, subnet: SubnetRow) => Promise<void>>;
  subnetUpdated: Array<(trx: Executor, ctx: RequestContext, subnet: SubnetRow) => Promise<void>>;
  /**
   * The CIDR of a new subnet that names a subnet pool (`subnetpool_id`, or the default pool of its
   * IP version): chosen from the pool, or the requested one checked against it, and claimed so that
   * no concurrent allocation from the pool gets it. Set by the subnet pool plug-in; without it a
   * subnet that names a pool is refused.
   */
  allocateFromPool?: (trx: Executor, ctx: RequestContext, request: PoolSubnetRequest) => Promise<PoolSubnet>;
  beforeSubnetDelete: Array<(trx: Executor, ctx: RequestContext, subnet: SubnetRow) => Promise<void>>;
  extendSubnets: Array<(trx: Executor, subnets: Resource[]) => Promise<void>>;

  /** After a port row and its addresses exist (`item`: the prepared request). */
  portCreated: Array<(trx: Executor, ctx: RequestContext, item: Resource, port: PortRow) => Promise<void>>;
  /** After the port row was updated (`changes`: the prepared request; `port`: the row before). */
  portUpdated: Array<(trx: Executor, ctx: RequestContext, changes: Resource, port: PortRow) => Promise<void>>;
  /** Before a port goes. `internal`: deleted by a plug-in (router interface removal, network delete). */
  beforePortDelete: Array<(trx: Executor, ctx: RequestContext, port: PortRow, internal: boolean) => Promise<void>>;
  extendPorts: Array<(trx: Executor, ports: Resource[]) => Promise<void>>;
  /** After rules of these security groups were created or deleted (the agents' filters follow them). */
  securityGroupRulesChanged: Array<(trx: Executor, groupIds: string[]) => Promise<void>>;
  /**
   * Checks `availability_zone_hints` of a network or router against the zones agents offer; throws
   * AvailabilityZoneNotFound. With no checker registered (no agents plug-in), every hint is refused.
   */
  availabilityZones: Array<(trx: Executor, resource: 'network' | 'router', hints: string[]) => Promise<void>>;
  /** Routers are a service plug-in's, but others join them here as they join the core resources. */
  routerCreated: Array<(trx: Executor, ctx: RequestContext, item: Resource, routerId: string) => Promise<void>>;
  extendRouters: Array<(trx: Executor, routers: Resource[]) => Promise<void>>;
  /** List filters on port attributes that extensions add (`security_groups=ID`). */
  portFilters: Record<string, SpecialFilter>;
}

/** What a subnet create asks of a pool (the prepared request's values, NOT_SPECIFIED left out). */
export interface PoolSubnetRequest {
  /** The pool named, or undefined for the default pool of `ip_version` (use_default_subnetpool). */
  subnetpool_id?: string;
  ip_version: 4 | 6;
  /** The owner of the new subnet (the pool's prefix quota is per project). */
  project_id: string;
  cidr?: string;
  prefixlen?: number;
  gateway_ip?: string;
}

export interface PoolSubnet {
  subnetpool_id: string;
  cidr: Cidr;
  /** The pool chose the CIDR (no CIDR or gateway was asked for): Neutron then puts the gateway at network + 1. */
  chosen: boolean;
}

export const emptyHooks = (): Ml2Hooks => ({
  checkQuota: [],
  networkCreated: [],
  networkUpdated: [],
  beforeNetworkDelete: [],
  extendNetworks: [],
  subnetCreated: [],
  subnetUpdated: [],
  beforeSubnetDelete: [],
  extendSubnets: [],
  portCreated: [],
  portUpdated: [],
  beforePortDelete: [],
  extendPorts: [],
  securityGroupRulesChanged: [],
  availabilityZones: [],
  routerCreated: [],
  extendRouters: [],
  portFilters: {},
});

/** Refuses hints no agent offers (all of them when nothing checks zones). */
export async function checkAvailabilityZones(hooks: Ml2Hooks, trx: Executor, resource: 'network' | 'router', hints: string[] | undefined): Promise<void> {
  if (!hints?.length) return;
  if (!hooks.availabilityZones.length) throw new AvailabilityZoneNotFound({ availability_zone: hints[0] });
  await runHooks(hooks.availabilityZones, trx, resource, hints);
}

/** Runs the quota hooks for a create of `items`: once per owning project, in a fixed order (no lock-order deadlocks). */
export async function checkQuotas(hooks: Ml2Hooks, trx: Executor, ctx: RequestContext, resource: string, items: Resource[]): Promise<void> {
  const counts = new Map<string, number>();
  for (const item of items) {
    const project = typeof item.project_id === 'string' ? item.project_id : ctx.projectId;
    counts.set(project, (counts.get(project) ?? 0) + 1);
  }
  for (const project of [...counts.keys()].sort()) await runHooks(hooks.checkQuota, trx, ctx, resource, counts.get(project)!, project);
}

/** Runs hooks one after another (they share one transaction). */
export async function runHooks<A extends unknown[]>(hooks: Array<(...args: A) => Promise<void>>, ...args: A): Promise<void> {
  for (const h of hooks) await h(...args);
}
