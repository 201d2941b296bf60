/**
 * What service plug-ins (L3, agents, security groups, RBAC, quotas, subnet pools) may ask of the
 * core plug-in: read networks, subnets and ports, and create, update or delete the ports they own
 * (router, gateway, floating IP and DHCP ports) inside their own transaction. ML2 is the only
 * writer of the `ports` table and its children; every change made here publishes the same port
 * events as one made through the API. They also reach the event registry and the read-side
 * extensions through it. The concrete Ml2Plugin stays the core's own business.
 */
import type { RequestContext } from '../core/context.js';
import type { Cidr } from '../core/ip.js';
import type { Executor, NetworkRow, PortRow } from '../db/schema.js';
import type { Events } from './events.js';
import type { ReadExtensions } from './extensions.js';
import type { Resource } from './plugin-api.js';

/** An address a plug-in asks for on its port; `anycast`: the subnet's IPv6 subnet-router anycast address (routers only). */
export interface InternalFixedIp {
  subnet_id?: string;
  ip_address?: string;
  anycast?: boolean;
}

/** A port a plug-in creates: every other attribute at its default, no port security. */
export interface InternalPortSpec {
  network_id: string;
  project_id: string;
  device_id: string;
  device_owner: string;
  /** Default ''. */
  name?: string;
  /** Addresses asked for; omitted: IPAM's choice (one per IP version, as for any port). */
  fixed_ips?: InternalFixedIp[];
  'binding:host_id'?: string;
  /** The initial status (default DOWN): `N/A` for a floating IP's port, whose status means nothing. */
  status?: string;
  /** The initial revision (default 1): Neutron writes some service ports more than once while creating them. */
  revision_number?: number;
}

/** A network a plug-in makes for itself (L3's HA networks): not shared, not external, up. */
export interface InternalNetworkSpec {
  name: string;
  project_id: string;
  /** Provider attributes; omitted: a segment of the first tenant network type, as for any network. */
  'provider:network_type'?: string;
  'provider:physical_network'?: string;
}

/** A subnet a plug-in makes on its own network; every other attribute at its default. */
export interface InternalSubnetSpec {
  network_id: string;
  project_id: string;
  name: string;
  ip_version: 4 | 6;
  cidr: string;
  enable_dhcp: boolean;
  gateway_ip: string | null;
}

/** What a plug-in may change on a port it manages. */
export interface InternalPortChanges {
  device_id?: string;
  device_owner?: string;
  'binding:host_id'?: string;
  /** The whole new set of addresses (kept ones included), as on the API. */
  fixed_ips?: InternalFixedIp[];
  status?: string;
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

/**
 * The CIDR of a new subnet that names a subnet pool, chosen from the pool or checked against it,
 * and claimed so that no concurrent allocation gets it. Inside the subnet's transaction.
 */
export type PoolAllocator = (trx: Executor, ctx: RequestContext, request: PoolSubnetRequest) => Promise<PoolSubnet>;

export interface CorePlugin {
  readonly events: Events;
  readonly extensions: ReadExtensions;
  /** The subnet pool plug-in's allocator; without one, a subnet that names a pool is refused. */
  setPoolAllocator(allocate: PoolAllocator): void;

  /** Reads as `ctx` may see them (NotFound errors otherwise); no transaction. */
  getNetwork(ctx: RequestContext, id: string): Promise<Resource>;
  getPort(ctx: RequestContext, id: string): Promise<Resource>;
  listNetworks(ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]>;
  listSubnets(ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]>;
  listPorts(ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]>;

  /** Inside the caller's transaction: rows `ctx` may see (NetworkNotFound, PortNotFound otherwise). */
  networkRow(trx: Executor, ctx: RequestContext, id: string): Promise<NetworkRow>;
  portRow(trx: Executor, ctx: RequestContext, id: string): Promise<PortRow>;

  /** Inside the caller's transaction (quota is the caller's business); returns the port as rendered. */
  createPort(trx: Executor, ctx: RequestContext, spec: InternalPortSpec): Promise<Resource>;
  /**
   * Inside the caller's transaction. `revisions`: how many times the port's revision moves (Neutron
   * writes some router ports more than once; default 1). Returns the port as rendered.
   */
  updatePort(trx: Executor, ctx: RequestContext, id: string, changes: InternalPortChanges, opts?: { revisions?: number }): Promise<Resource>;
  /** Inside the caller's transaction: `precommit_delete` with `internal` set, then the rows. Nothing when it is gone. */
  deletePort(trx: Executor, ctx: RequestContext, id: string): Promise<void>;

  /** Inside the caller's transaction, with the network's events (quota is the caller's business); returns it as rendered. */
  createNetwork(trx: Executor, ctx: RequestContext, spec: InternalNetworkSpec): Promise<Resource>;
  /** Inside the caller's transaction, with the subnet's events; returns it as rendered. */
  createSubnet(trx: Executor, ctx: RequestContext, spec: InternalSubnetSpec): Promise<Resource>;
  /**
   * Inside the caller's transaction: `precommit_delete` with `internal` set, then the network, its
   * subnets and DHCP ports; NetworkInUse while other ports remain. Nothing when it is gone.
   */
  deleteNetwork(trx: Executor, ctx: RequestContext, id: string): Promise<void>;
}
