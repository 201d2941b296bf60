/**
 * ML2's mechanism manager: the drivers named in `[ml2] mechanism_drivers`, in that order. It binds
 * ports (inside the port's transaction: the first driver that can serve one of the network's
 * segments through a live agent on the host wins; otherwise `binding_failed`, with every driver's
 * reason in the log), and it is the one subscriber through which the drivers see the network,
 * subnet and port events: `*Precommit` inside the transaction (may refuse), `*Postcommit` after
 * commit (failures logged). Drivers live in drivers/mech-*.ts.
 */
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { Database } from '../../db/database.js';
import { segmentsOf } from '../../db/repos/network-repo.js';
import type { Executor } from '../../db/schema.js';
import type { RpcTransport } from '../../rpc/transport.js';
import { liveSince } from '../agents/agents-repo.js';
import { PRIORITY, type Events } from '../events.js';
import type { Binding, MechanismDriver, MechanismResource, PostcommitContext, PostcommitMethod, PrecommitMethod, Segment } from './driver-api.js';
import { linuxbridgeDriver } from './drivers/mech-linuxbridge.js';

export const UNBOUND: Binding = { vif_type: 'unbound', vif_details: {} };
export const FAILED: Binding = { vif_type: 'binding_failed', vif_details: {} };

/** What drivers may use: the RPC transport to tell agents (none in a server without one), the log. */
export interface MechanismDeps {
  database: Database;
  transport?: RpcTransport;
  logger?: Logger;
  /** Drivers beyond the built-in ones, by name (an out-of-tree driver, a test's). */
  extraDrivers?: Record<string, MechanismFactory>;
}

export type MechanismFactory = (deps: MechanismDeps) => MechanismDriver;

/** The drivers this server knows, by the name `[ml2] mechanism_drivers` gives them. */
export const MECHANISM_DRIVERS: Record<string, MechanismFactory> = {
  linuxbridge: linuxbridgeDriver,
  // accepted as in Neutron's usual `linuxbridge,l2population`: the linuxbridge driver already tells
  // the agents where every port lives, which is what l2population adds in Neutron
  l2population: () => ({ name: 'l2population' }),
};

const RESOURCES = { network: 'Network', subnet: 'Subnet', port: 'Port' } as const satisfies Record<string, MechanismResource>;
const OPS = ['create', 'update', 'delete'] as const;

export class MechanismManager {
  readonly drivers: MechanismDriver[];
  private readonly agentDownTime: number;
  private readonly logger?: Logger;

  constructor(config: Config, events: Events, deps: MechanismDeps) {
    this.agentDownTime = config.DEFAULT.agent_down_time;
    this.logger = deps.logger;
    const known = { ...MECHANISM_DRIVERS, ...deps.extraDrivers };
    this.drivers = config.ml2.mechanism_drivers.map((name) => {
      const make = known[name];
      if (!make) throw new Error(`[ml2] mechanism_drivers names '${name}'; known: ${Object.keys(known).join(', ')}`);
      return make(deps);
    });
    this.subscribe(events, deps.database);
  }

  /** Subscribes once per event some driver implements, so a change no driver wants costs nothing. */
  private subscribe(events: Events, database: Database): void {
    for (const [resource, Name] of Object.entries(RESOURCES) as Array<[keyof typeof RESOURCES, MechanismResource]>) {
      for (const op of OPS) {
        const pre = `${op}${Name}Precommit` as PrecommitMethod;
        const post = `${op}${Name}Postcommit` as PostcommitMethod;
        const preDrivers = this.drivers.filter((d) => d[pre]);
        const postDrivers = this.drivers.filter((d) => d[post]);
        if (preDrivers.length)
          events.subscribe(
            resource,
            `precommit_${op}`,
            async (p, trx) => {
              const payload = p as { ctx: PostcommitContext['ctx']; current?: object; original?: object; request?: object };
              for (const d of preDrivers) await d[pre]!({ trx, ctx: payload.ctx, current: payload.current as never, original: payload.original as never, request: payload.request as never });
            },
            { priority: PRIORITY.MECHANISM, name: `mechanism ${pre}` },
          );
        if (postDrivers.length)
          events.subscribe(
            resource,
            `after_${op}`,
            async (p) => {
              const payload = p as { ctx: PostcommitContext['ctx']; current?: Record<string, unknown>; original?: Record<string, unknown>; request?: Record<string, unknown> };
              const res = payload.current ?? payload.original ?? {};
              const networkId = String(resource === 'network' ? res.id : res.network_id);
              let read: Promise<Segment[]> | undefined;
              const segments = () => (read ??= segmentsOf(database.db, [networkId]).then((m) => (m.get(networkId) ?? []) as Segment[]));
              for (const d of postDrivers) {
                try {
                  await d[post]!({ ctx: payload.ctx, current: payload.current, original: payload.original, request: payload.request, segments });
                } catch (err) {
                  this.logger?.error({ err, driver: d.name, call: post }, 'mechanism driver postcommit failed');
                }
              }
            },
            { priority: PRIORITY.MECHANISM, name: `mechanism ${post}` },
          );
      }
    }
  }

  /** Inside the port's transaction: the binding for its host, or UNBOUND without one, FAILED when no driver can. */
  async bind(trx: Executor, port: { id: string; network_id: string; binding_host_id: string; binding_vnic_type: string }): Promise<Binding> {
    const host = port.binding_host_id;
    if (!host) return UNBOUND;
    const segments = (await segmentsOf(trx, [port.network_id])).get(port.network_id) ?? [];
    const cutoff = liveSince(this.agentDownTime);
    const reasons: string[] = [];
    const binders = this.drivers.filter((d) => d.tryBind && d.agentType);
    for (const driver of binders) {
      const agents = await trx
        .selectFrom('agents')
        .select(['host', 'configurations'])
        .where('agent_type', '=', driver.agentType!)
        .where('host', '=', host)
        .where('heartbeat_timestamp', '>=', cutoff)
        .execute();
      if (!agents.length) reasons.push(`${driver.name}: no live ${driver.agentType} on host ${host}`);
      for (const a of agents) {
        const view = { host: a.host, configurations: JSON.parse(a.configurations || '{}') as Record<string, unknown> };
        for (const s of segments) {
          const got = driver.tryBind!(s, port.binding_vnic_type, view);
          if (typeof got !== 'string') return got;
          reasons.push(`${driver.name}: ${got}`);
        }
      }
    }
    if (!binders.length) reasons.push('no mechanism driver can bind ports');
    this.logger?.warn({ port_id: port.id, host, reasons }, 'port binding failed');
    return FAILED;
  }
}
