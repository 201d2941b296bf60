/**
 * Several iproute2 commands of one namespace as one process (`ip -n <netns> -force -batch -`, the
 * commands on standard input): the kernel work is the same, the cost of starting a process per
 * command is gone, which is most of a large pass's time. `-force` runs every line past a failing
 * one; the batch then fails as a whole, and the next pass plans again from what is there.
 * `batchIp` groups consecutive ip commands of the same namespace (order kept; a lone command stays
 * as it is, with its own "already so" handling in apply.ts). Pure.
 */
import { ipIn } from './ip-netns.js';
import { renderIpAddr, type IpAddrCommand } from './ip-addr.js';
import { renderIpLink, type IpLinkCommand } from './ip-link.js';
import { renderIpRoute, type IpRouteCommand } from './ip-route.js';

export type IpCommand = IpLinkCommand | IpAddrCommand | IpRouteCommand;
export type IpBatchCommand = { tool: 'ip-batch'; netns?: string; commands: IpCommand[] };

const renderOne = (c: IpCommand, netns?: string): string[] => (c.tool === 'ip-link' ? renderIpLink(c, netns) : c.tool === 'ip-addr' ? renderIpAddr(c, netns) : renderIpRoute(c, netns));

/** A batch line: the command without `ip [-n <netns>]`, and without the family (the addresses tell it). */
function batchLine(c: IpCommand, netns?: string): string {
  const argv = renderOne(c, netns).slice(ipIn(netns).length);
  return (argv[0] === '-4' || argv[0] === '-6' ? argv.slice(1) : argv).join(' ');
}

export function renderIpBatch(c: IpBatchCommand, netns?: string): { argv: string[]; input: string } {
  const where = c.netns ?? netns;
  return { argv: [...ipIn(where), '-force', '-batch', '-'], input: `${c.commands.map((x) => batchLine(x, where)).join('\n')}\n` };
}

const isIp = (c: { tool: string }): c is IpCommand => c.tool === 'ip-link' || c.tool === 'ip-addr' || c.tool === 'ip-route';

/** Consecutive ip commands of one namespace (a command's own, else `netns`) as one batch each. */
export function batchIp<C extends { tool: string }>(cmds: Array<C | IpCommand>, netns?: string): Array<C | IpCommand | IpBatchCommand> {
  const out: Array<C | IpCommand | IpBatchCommand> = [];
  let run: IpCommand[] = [];
  let where: string | undefined;
  const flush = () => {
    if (run.length === 1) out.push(run[0]);
    else if (run.length > 1) out.push({ tool: 'ip-batch', netns: where === netns ? undefined : where, commands: run });
    run = [];
  };
  for (const c of cmds) {
    if (!isIp(c)) {
      flush();
      out.push(c);
      continue;
    }
    const ns = c.netns ?? netns;
    if (run.length && ns !== where) flush();
    where = ns;
    run.push(c);
  }
  flush();
  return out;
}
