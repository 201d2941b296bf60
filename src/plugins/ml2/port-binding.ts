/**
 * Port binding (ML2's mechanism drivers): a port whose `binding:host_id` names a host is bound by
 * the first mechanism driver that can serve its network's segment there. `linuxbridge` binds when
 * the host has a live Linux bridge agent that reaches the segment: a tunnel type the agent reports
 * (`tunnel_types`), `local`, or `flat`/`vlan` on a physical network in its `bridge_mappings` or
 * `interface_mappings`, and a `normal` vNIC. Otherwise the port is `binding_failed`, and the
 * reason goes to the server log. Runs inside the port's transaction; pure but for reading agents.
 * The drivers are in drivers/mech-*.ts.
 */
import type { Logger } from 'pino';
import type { Executor } from '../../db/schema.js';
import { segmentsOf } from '../../db/repos/network-repo.js';
import { liveSince } from '../agents/agents-repo.js';
import { linuxbridgeDriver } from './drivers/mech-linuxbridge.js';

export interface Binding {
  vif_type: string;
  vif_details: Record<string, unknown>;
}

export const UNBOUND: Binding = { vif_type: 'unbound', vif_details: {} };
export const FAILED: Binding = { vif_type: 'binding_failed', vif_details: {} };

export interface Segment {
  network_type: string;
  physical_network: string | null;
}

export interface AgentView {
  host: string;
  configurations: Record<string, unknown>;
}

/** A mechanism driver: a binding for this segment through one of the host's agents, or why not. */
export interface BindingDriver {
  readonly name: string;
  readonly agentType: string;
  tryBind(segment: Segment, vnicType: string, agent: AgentView): Binding | string;
}

const DRIVERS: Record<string, BindingDriver> = { linuxbridge: linuxbridgeDriver };

export class PortBinder {
  private readonly drivers: BindingDriver[];

  constructor(
    mechanismDrivers: string[],
    private readonly agentDownTime: number,
    private readonly logger?: Logger,
  ) {
    this.drivers = mechanismDrivers.map((n) => DRIVERS[n]).filter((d): d is BindingDriver => d !== undefined);
  }

  async bind(trx: Executor, port: { id: string; network_id: string; binding_host_id: string; binding_vnic_type: string }): Promise<Binding> {
    const host = port.binding_host_id;
    if (!host) return UNBOUND;
    const segments = (await segmentsOf(trx, [port.network_id])).get(port.network_id) ?? [];
    const cutoff = liveSince(this.agentDownTime);
    const reasons: string[] = [];
    for (const driver of this.drivers) {
      const agents = await trx
        .selectFrom('agents')
        .select(['host', 'configurations'])
        .where('agent_type', '=', driver.agentType)
        .where('host', '=', host)
        .where('heartbeat_timestamp', '>=', cutoff)
        .execute();
      if (!agents.length) reasons.push(`${driver.name}: no live ${driver.agentType} on host ${host}`);
      for (const a of agents) {
        const view = { host: a.host, configurations: JSON.parse(a.configurations || '{}') as Record<string, unknown> };
        for (const s of segments) {
          const got = driver.tryBind(s, port.binding_vnic_type, view);
          if (typeof got !== 'string') return got;
          reasons.push(`${driver.name}: ${got}`);
        }
      }
    }
    if (!this.drivers.length) reasons.push('no mechanism driver can bind ports');
    this.logger?.warn({ port_id: port.id, host, reasons }, 'port binding failed');
    return FAILED;
  }
}
