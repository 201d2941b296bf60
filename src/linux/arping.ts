/**
 * Gratuitous ARP as a command (iputils `arping -U`): tells the hosts of a link that addresses are
 * now behind this device (floating IPs or a gateway address just added, a router that moved), so
 * that they update their ARP caches at once rather than when the old entries expire. One command
 * for a device's addresses; each arping takes a second, so they are left running in the
 * background (as Neutron's agent spawns them) and the command returns at once.
 */
import { execIn } from './ip-netns.js';

export type ArpingCommand = { tool: 'arping'; netns?: string; dev: string; addresses: string[] };

const EACH = 'dev=$1; shift; for a in "$@"; do arping -q -U -I "$dev" -c 1 -w 2 "$a" </dev/null >/dev/null 2>&1 & done';

export function renderArping(c: ArpingCommand, netns?: string): string[] {
  return execIn(c.netns ?? netns, ['sh', '-c', EACH, 'arping', c.dev, ...c.addresses]);
}
