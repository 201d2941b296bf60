/**
 * The ML2 driver API. Type drivers validate and allocate network segments; mechanism drivers bind
 * ports and see every change inside the transaction (`*Precommit`, no I/O, throw to roll back) and
 * after commit (`*Postcommit`, may notify agents). The plug-in gets its drivers through its
 * constructor and inherits from nothing.
 */
import type { RequestContext } from '../../core/context.js';
import type { Executor } from '../../db/schema.js';

export interface Segment {
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
}

/** A provider request: `undefined` fields were not given by the client. */
export interface SegmentRequest {
  network_type: string;
  physical_network?: string | null;
  segmentation_id?: number | null;
}

export interface TypeDriver {
  readonly type: string;
  /** Checks a provider request; throws InvalidInput with Neutron's reason. Pure. */
  validateProviderSegment(req: SegmentRequest): void;
  /** Inside the transaction: takes the segment the request names (or picks one when it is partial). */
  reserveProviderSegment(trx: Executor, req: SegmentRequest, networkId: string): Promise<Segment>;
  /** Inside the transaction: takes a free project segment, or undefined when none is left. */
  allocateProjectSegment(trx: Executor, networkId: string): Promise<Segment | undefined>;
  /** The MTU a network on this segment can carry. */
  mtu(segment: Segment): number;
}

/** A segment of a network, as bindings and agents see it. */
export interface BindingSegment {
  network_type: string;
  physical_network: string | null;
}

export interface Binding {
  vif_type: string;
  vif_details: Record<string, unknown>;
}

/** An agent that may bind a port on its host (Neutron's AgentMechanismDriverBase): its host and reported configuration. */
export interface AgentView {
  host: string;
  configurations: Record<string, unknown>;
}

/** Inside the transaction: the rows as written or about to go (and the prepared request), no I/O but the database; throw to refuse. */
export interface PrecommitContext {
  trx: Executor;
  ctx: RequestContext;
  current?: Record<string, unknown>;
  original?: Record<string, unknown>;
  request?: Record<string, unknown>;
}

/** After commit: the resource as the API renders it, before and after; never refuses (a failure is logged). */
export interface PostcommitContext {
  ctx: RequestContext;
  current?: Record<string, unknown>;
  original?: Record<string, unknown>;
  /** What the update asked for (updates only): a driver may ignore a status report. */
  request?: Record<string, unknown>;
  /** The network's segments (ports and subnets; the network's own for networks), read when asked. */
  segments(): Promise<Segment[]>;
}

type Op = 'create' | 'update' | 'delete';
export type MechanismResource = 'Network' | 'Subnet' | 'Port';
export type PrecommitMethod = `${Op}${MechanismResource}Precommit`;
export type PostcommitMethod = `${Op}${MechanismResource}Postcommit`;

/**
 * A mechanism driver (ML2's, without its base classes): it binds ports on hosts it can serve and
 * sees every change of networks, subnets and ports, inside the transaction (`*Precommit`) and after
 * commit (`*Postcommit`). Every method is optional; ML2 calls those a driver has, drivers in the
 * order of `[ml2] mechanism_drivers`. `src/plugins/ml2/mechanism.contract.ts` is what each must pass.
 */
export type MechanismDriver = {
  readonly name: string;
  /** The agent type it binds through; bindings are tried on the host's live agents of that type. */
  readonly agentType?: string;
  /** A binding of a port with `vnicType` on `segment` through `agent`, or the reason it cannot. Pure. */
  tryBind?(segment: BindingSegment, vnicType: string, agent: AgentView): Binding | string;
} & { [M in PrecommitMethod]?: (c: PrecommitContext) => Promise<void> | void } & { [M in PostcommitMethod]?: (c: PostcommitContext) => Promise<void> | void };
