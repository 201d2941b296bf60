/**
 * Routes as commands (`ip route replace|del`): a destination (`default` or a CIDR, as `ip -j route`
 * prints it) through a next hop. `replace` makes the route whatever it was before, so adding one
 * that exists is no error.
 */
import { ipIn } from './ip-netns.js';

export type IpRouteCommand = { tool: 'ip-route'; op: 'replace' | 'del'; netns?: string; dst: string; via: string };

export function renderIpRoute(c: IpRouteCommand, netns?: string): string[] {
  const family = c.via.includes(':') ? ['-6'] : ['-4'];
  return [...ipIn(c.netns ?? netns), ...family, 'route', c.op, c.dst, 'via', c.via];
}
