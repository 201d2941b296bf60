/**
 * The core plug-in (ML2): owns networks, subnets and ports. Orchestration only: the work is in
 * network-ops, subnet-ops and port-ops, segment allocation in the type drivers, addresses in IPAM,
 * bindings and the drivers' precommit/postcommit calls in the mechanism manager. It publishes the
 * events of its three resources (events.ts) and serves the service plug-ins through the narrow
 * CorePlugin interface (core-plugin.ts). Gets everything through its constructor; inherits from nothing.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { RequestContext } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import { emptyQuery } from '../../db/repos/listing.js';
import type { Executor } from '../../db/schema.js';
import { DbIpam } from '../../ipam/db-ipam.js';
import type { CorePlugin, InternalNetworkSpec, InternalPortChanges, InternalPortSpec, InternalSubnetSpec, PoolAllocator } from '../core-plugin.js';
import type { Events } from '../events.js';
import { emptyExtensions, type ReadExtensions } from '../extensions.js';
import type { Resource, ResourcePlugin } from '../plugin-api.js';
import { MechanismManager, type MechanismDeps } from './mechanism-manager.js';
import { NetworkOps } from './network-ops.js';
import { PortOps } from './port-ops.js';
import { SubnetOps } from './subnet-ops.js';
import { TypeManager } from './type-manager.js';

/** What the three resource handlers share. */
export interface Ml2Deps {
  database: Database;
  config: Config;
  types: TypeManager;
  ipam: DbIpam;
  networks: NetworkOps;
  events: Events;
  extensions: ReadExtensions;
  /** Binds ports to hosts through the mechanism drivers (`[ml2] mechanism_drivers`). */
  mechanisms: MechanismManager;
  /** The subnet pool plug-in's allocator, once it joined. */
  pools: { allocate?: PoolAllocator };
  /** Deletes a port on a plug-in's behalf (network delete), its events included. */
  deletePort(trx: Executor, ctx: RequestContext, id: string): Promise<void>;
}

export class Ml2Plugin implements CorePlugin {
  readonly networks: NetworkOps;
  readonly subnets: SubnetOps;
  readonly ports: PortOps;
  readonly extensions: ReadExtensions = emptyExtensions();
  private readonly pools: { allocate?: PoolAllocator } = {};

  constructor(
    database: Database,
    config: Config,
    readonly events: Events,
    opts: { logger?: Logger } & Partial<MechanismDeps> = {},
  ) {
    for (const r of ['network', 'subnet', 'port'] as const)
      events.declare(r, ['before_create', 'precommit_create', 'after_create', 'before_update', 'precommit_update', 'after_update', 'precommit_delete', 'after_delete']);
    const mechanisms = new MechanismManager(config, events, { logger: opts.logger, transport: opts.transport, database });
    const deps = {
      database,
      config,
      events,
      extensions: this.extensions,
      mechanisms,
      pools: this.pools,
      types: new TypeManager(config),
      ipam: new DbIpam(),
      deletePort: (trx: Executor, ctx: RequestContext, id: string) => this.ports.deleteInternal(trx, ctx, id),
    } as Omit<Ml2Deps, 'networks'> as Ml2Deps;
    this.networks = new NetworkOps(deps);
    deps.networks = this.networks;
    this.subnets = new SubnetOps(deps);
    this.ports = new PortOps(deps);
  }

  /** The collections this plug-in serves, by URL segment. */
  collections(): Record<string, ResourcePlugin> {
    return { networks: this.networks, subnets: this.subnets, ports: this.ports };
  }

  setPoolAllocator(allocate: PoolAllocator): void {
    this.pools.allocate = allocate;
  }

  getNetwork(ctx: RequestContext, id: string): Promise<Resource> {
    return this.networks.get(ctx, id);
  }

  getPort(ctx: RequestContext, id: string): Promise<Resource> {
    return this.ports.get(ctx, id);
  }

  listNetworks(ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]> {
    return collect(this.networks, ctx, filters);
  }

  listSubnets(ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]> {
    return collect(this.subnets, ctx, filters);
  }

  listPorts(ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]> {
    return collect(this.ports, ctx, filters);
  }

  networkRow(trx: Executor, ctx: RequestContext, id: string) {
    return this.networks.visibleRow(trx, ctx, id);
  }

  portRow(trx: Executor, ctx: RequestContext, id: string) {
    return this.ports.visibleRow(trx, ctx, id);
  }

  createPort(trx: Executor, ctx: RequestContext, spec: InternalPortSpec): Promise<Resource> {
    return this.ports.createInternal(trx, ctx, spec);
  }

  updatePort(trx: Executor, ctx: RequestContext, id: string, changes: InternalPortChanges, opts: { revisions?: number } = {}): Promise<Resource> {
    return this.ports.updateInternal(trx, ctx, id, changes, opts.revisions);
  }

  deletePort(trx: Executor, ctx: RequestContext, id: string): Promise<void> {
    return this.ports.deleteInternal(trx, ctx, id);
  }

  createNetwork(trx: Executor, ctx: RequestContext, spec: InternalNetworkSpec): Promise<Resource> {
    return this.networks.createInternal(trx, ctx, spec);
  }

  createSubnet(trx: Executor, ctx: RequestContext, spec: InternalSubnetSpec): Promise<Resource> {
    return this.subnets.createInternal(trx, ctx, spec);
  }

  deleteNetwork(trx: Executor, ctx: RequestContext, id: string): Promise<void> {
    return this.networks.deleteInternal(trx, ctx, id);
  }
}

async function collect(plugin: ResourcePlugin, ctx: RequestContext, filters: Record<string, unknown[]>): Promise<Resource[]> {
  const out: Resource[] = [];
  for await (const page of await plugin.list(ctx, { ...emptyQuery(), filters })) out.push(...page);
  return out;
}
