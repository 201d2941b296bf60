/**
 * Gratuitous ARP as a command (iputils `arping -U`): tells the hosts of a link that an address is
 * now behind this device (a floating IP or gateway address just added, a router that moved), so
 * that they update their ARP caches at once rather than when the old entry expires.
 */
import { execIn } from './ip-netns.js';

export type ArpingCommand = { tool: 'arping'; netns?: string; dev: string; address: string; count: number };

export function renderArping(c: ArpingCommand, netns?: string): string[] {
  return execIn(c.netns ?? netns, ['arping', '-U', '-I', c.dev, '-c', String(c.count), '-w', String(c.count + 1), c.address]);
}
