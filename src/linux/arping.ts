/**
 * Gratuitous ARP as a command (iputils `arping -U`): tells the hosts of a link that addresses are
 * now behind this device (floating IPs or a gateway address just added, a router that moved), so
 * that they update their ARP caches at once rather than when the old entries expire. One process
 * for a device's addresses (each arping takes a second: they run side by side).
 */
import { execIn } from './ip-netns.js';

export type ArpingCommand = { tool: 'arping'; netns?: string; dev: string; addresses: string[] };

const EACH = 'dev=$1; shift; for a in "$@"; do arping -q -U -I "$dev" -c 1 -w 2 "$a" & done; wait';

export function renderArping(c: ArpingCommand, netns?: string): string[] {
  return execIn(c.netns ?? netns, ['sh', '-c', EACH, 'arping', c.dev, ...c.addresses]);
}
