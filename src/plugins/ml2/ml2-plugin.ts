/**
 * The core plug-in (ML2): owns networks, subnets and ports. Orchestration only: the work is in
 * network-ops, subnet-ops and port-ops, segment allocation in the type drivers, addresses in IPAM.
 * Gets everything through its constructor; inherits from nothing.
 */
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import { deletePortRows } from '../../db/repos/port-repo.js';
import type { Executor } from '../../db/schema.js';
import { DbIpam } from '../../ipam/db-ipam.js';
import type { ResourcePlugin } from '../plugin-api.js';
import { NetworkOps } from './network-ops.js';
import { PortOps } from './port-ops.js';
import { SubnetOps } from './subnet-ops.js';
import { TypeManager } from './type-manager.js';
import { emptyHooks, runHooks, type Ml2Hooks } from './hooks.js';
import type { RequestContext } from '../../core/context.js';
import type { Logger } from 'pino';
import { PortBinder } from './port-binding.js';

/** What the three resource handlers share. */
export interface Ml2Deps {
  database: Database;
  config: Config;
  types: TypeManager;
  ipam: DbIpam;
  networks: NetworkOps;
  hooks: Ml2Hooks;
  /** Binds ports to hosts through the mechanism drivers (`[ml2] mechanism_drivers`). */
  binder: PortBinder;
  /** Deletes a port on a plug-in's behalf (network delete, router interface removal), hooks included. */
  deletePort(trx: Executor, ctx: RequestContext, id: string): Promise<void>;
}

export class Ml2Plugin {
  readonly networks: NetworkOps;
  readonly subnets: SubnetOps;
  readonly ports: PortOps;

  readonly hooks: Ml2Hooks = emptyHooks();

  constructor(database: Database, config: Config, logger?: Logger) {
    const hooks = this.hooks;
    const deps = {
      binder: new PortBinder(config.ml2.mechanism_drivers, config.DEFAULT.agent_down_time, logger),
      database,
      config,
      hooks: this.hooks,
      types: new TypeManager(config),
      ipam: new DbIpam(),
      async deletePort(trx: Executor, ctx: RequestContext, id: string) {
        const port = await trx.selectFrom('ports').selectAll().where('id', '=', id).executeTakeFirst();
        if (!port) return;
        await runHooks(hooks.beforePortDelete, trx, ctx, port, true);
        await deletePortRows(trx, id);
      },
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
}
