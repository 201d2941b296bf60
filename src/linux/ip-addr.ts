/** Addresses as commands (`ip addr add|del`); an IPv6 address is added without duplicate address detection. */
import { ipIn } from './ip-netns.js';

export type IpAddrCommand = { tool: 'ip-addr'; op: 'add' | 'del'; netns?: string; dev: string; cidr: string };

export function renderIpAddr(c: IpAddrCommand, netns?: string): string[] {
  const nodad = c.op === 'add' && c.cidr.includes(':') ? ['nodad'] : [];
  return [...ipIn(c.netns ?? netns), 'addr', c.op, c.cidr, 'dev', c.dev, ...nodad];
}
