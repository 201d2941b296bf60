/**
 * Forwarding database entries of a VXLAN device as commands (`bridge fdb append|replace|del`): the
 * all-zero MAC is a flooding entry (one per remote tunnel IP), any other MAC a unicast entry.
 */
import { execIn } from './ip-netns.js';

export const FLOOD_MAC = '00:00:00:00:00:00';

export type BridgeFdbCommand = { tool: 'bridge-fdb'; op: 'append' | 'replace' | 'del'; netns?: string; mac: string; dev: string; dst: string };

export function renderBridgeFdb(c: BridgeFdbCommand, netns?: string): string[] {
  return execIn(c.netns ?? netns, ['bridge', 'fdb', c.op, c.mac, 'dev', c.dev, 'dst', c.dst]);
}
