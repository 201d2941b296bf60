/**
 * The agents' one vocabulary of host changes: every command a planner emits is data from one of
 * this folder's tool modules (ip-link.ts, ip-addr.ts, ip-route.ts, ip-batch.ts, ip-netns.ts, bridge-fdb.ts,
 * nft.ts, daemon.ts, host-file.ts, arping.ts), and `renderArgv` is the one place they become an argv, inside the
 * namespace `netns` when given (a command that names its own namespace keeps it). What a command
 * makes and what it needs (`objectsOf`) is what lets apply.ts skip the commands that depend on a
 * failed one. Pure.
 */
import { renderArping, type ArpingCommand } from './arping.js';
import { renderBridgeFdb, type BridgeFdbCommand } from './bridge-fdb.js';
import { renderDaemon, type DaemonCommand } from './daemon.js';
import { renderFile, type FileCommand } from './host-file.js';
import { renderIpAddr, type IpAddrCommand } from './ip-addr.js';
import { renderIpBatch, type IpBatchCommand } from './ip-batch.js';
import { renderIpLink, type IpLinkCommand } from './ip-link.js';
import { renderIpRoute, type IpRouteCommand } from './ip-route.js';
import { renderNetns, type NetnsCommand } from './ip-netns.js';
import { renderNft, type NftCommand } from './nft.js';

export type HostCommand = IpLinkCommand | IpAddrCommand | IpRouteCommand | IpBatchCommand | NetnsCommand | BridgeFdbCommand | NftCommand | DaemonCommand | FileCommand | ArpingCommand;

/** A rendered command: its argv and what goes to its standard input. */
export interface Argv {
  argv: string[];
  input?: string;
}

export function renderArgv(c: HostCommand, netns?: string): Argv {
  switch (c.tool) {
    case 'ip-link':
      return { argv: renderIpLink(c, netns) };
    case 'ip-addr':
      return { argv: renderIpAddr(c, netns) };
    case 'ip-route':
      return { argv: renderIpRoute(c, netns) };
    case 'arping':
      return { argv: renderArping(c, netns) };
    case 'ip-batch':
      return renderIpBatch(c, netns);
    case 'netns':
      return { argv: renderNetns(c) };
    case 'bridge-fdb':
      return { argv: renderBridgeFdb(c, netns) };
    case 'nft':
    case 'sysctl':
      return renderNft(c, netns);
    case 'daemon':
      return { argv: renderDaemon(c) };
    case 'file':
      return renderFile(c);
  }
}

/**
 * The objects (`netns <name>`, `link <netns>/<name>`) a command makes and those it needs to exist.
 * Only what is well-defined is listed: a link is needed by what sets it, joins to it, addresses it
 * or adds FDB entries on it, and a namespace by everything that acts inside it.
 */
export function objectsOf(c: HostCommand, netns?: string): { makes: string[]; needs: string[] } {
  const own = 'netns' in c ? c.netns : undefined;
  const ns = own ?? netns ?? '';
  const link = (name: string, where = ns) => `link ${where}/${name}`;
  const inNetns = own ? [`netns ${own}`] : [];
  switch (c.tool) {
    case 'netns':
      return c.op === 'add' ? { makes: [`netns ${c.name}`], needs: [] } : { makes: [], needs: [] };
    case 'ip-link':
      if (c.op === 'add') {
        const k = c.kind;
        if (k.type === 'veth') return { makes: [link(c.name), link(k.peer, k.peerNetns)], needs: [...inNetns, `netns ${k.peerNetns}`] };
        return { makes: [link(c.name)], needs: [...inNetns, ...(k.type === 'vlan' ? [link(k.parent)] : [])] };
      }
      if (c.op === 'set') return { makes: [], needs: [...inNetns, link(c.name), ...(c.master ? [link(c.master)] : [])] };
      return { makes: [], needs: inNetns };
    case 'ip-addr':
      return { makes: [], needs: c.op === 'add' ? [...inNetns, link(c.dev)] : inNetns };
    case 'bridge-fdb':
      return { makes: [], needs: c.op === 'del' ? inNetns : [...inNetns, link(c.dev)] };
    case 'arping':
      return { makes: [], needs: [...inNetns, link(c.dev)] };
    case 'ip-batch': {
      // what the batch makes, and what its commands need that none of them makes
      const parts = c.commands.map((x) => objectsOf(x, ns || undefined));
      const makes = parts.flatMap((p) => p.makes);
      return { makes, needs: [...new Set(parts.flatMap((p) => p.needs))].filter((o) => !makes.includes(o)) };
    }
    case 'ip-route':
      return { makes: [], needs: inNetns };
    case 'daemon':
      return { makes: [], needs: c.op === 'start' ? [`netns ${c.netns}`] : [] };
    case 'nft':
    case 'sysctl':
    case 'file':
      return { makes: [], needs: inNetns };
  }
}
