/**
 * The ML2 driver API. Type drivers validate and allocate network segments; mechanism drivers bind
 * ports and see every change inside the transaction (`*Precommit`, no I/O, throw to roll back) and
 * after commit (`*Postcommit`, may notify agents). The plug-in gets its drivers through its
 * constructor and inherits from nothing.
 */
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

export interface PortContext {
  trx: Executor;
  port: Record<string, unknown>;
  original?: Record<string, unknown>;
  network: Record<string, unknown>;
}

export interface MechanismDriver {
  readonly name: string;
  /** Inside the transaction, no I/O: throw to refuse the change. */
  createPortPrecommit?(ctx: PortContext): Promise<void> | void;
  /** After commit: may send notifications; failures are logged, never undo the commit. */
  createPortPostcommit?(ctx: Omit<PortContext, 'trx'>): Promise<void> | void;
  updatePortPrecommit?(ctx: PortContext): Promise<void> | void;
  updatePortPostcommit?(ctx: Omit<PortContext, 'trx'>): Promise<void> | void;
  deletePortPostcommit?(ctx: Omit<PortContext, 'trx'>): Promise<void> | void;
}
