/**
 * For the datapath tests (test/datapath/): running a command, whether the machine can run them, and
 * removing the network namespaces of a run. Each test names its namespaces `<prefix><4 hex>-(hv|vm)N`
 * with a prefix of its own, so that removing a killed run's leftovers never touches the live
 * namespaces of another test running at the same time.
 */
import { execFileSync } from 'node:child_process';

export const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();

/** Why the datapath tests cannot run here (not root, a tool missing), or undefined; under CI that is an error. */
export function datapathSkipReason(tools: Array<[tool: string, pkg: string]> = [['ip', 'iproute2'], ['nft', 'nftables'], ['ping', 'iputils-ping']]): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'datapath tests need root (network namespaces)';
  else
    for (const [tool, pkg] of tools) {
      try {
        sh('sh', '-c', `command -v ${tool}`);
      } catch {
        reason ??= `${tool} (${pkg}) is not installed`;
      }
    }
  if (reason && process.env.CI === 'true') throw new Error(`under CI: ${reason}`);
  return reason;
}

/** Removes the namespaces whose names `match` (this run's, or a killed earlier run's of the same test). */
export function removeNamespaces(match: (name: string) => boolean): void {
  const list = sh('ip', 'netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n && match(n));
  for (const n of list) {
    try {
      sh('ip', 'netns', 'del', n);
    } catch {
      /* gone */
    }
  }
}
