/**
 * What the root datapath tests share: running a command, the reason to skip (not root, a tool
 * missing; under CI that is a failure instead), and removing a run's namespaces after killing
 * whatever still runs inside them. Only namespaces `match` accepts are touched.
 */
import { execFileSync } from 'node:child_process';

export const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();

/**
 * Why a datapath test cannot run here; `probes` are commands that must succeed (by default
 * iproute2, nftables and ping, which every datapath test needs). Each test names its namespaces
 * with a prefix of its own, so that removing a killed run's leftovers never touches the live
 * namespaces of another test running at the same time.
 */
export function datapathSkipReason(probes: string[][] = [['ip', '-V'], ['nft', '--version'], ['ping', '-V']]): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'datapath tests need root (network namespaces)';
  else {
    for (const p of probes) {
      try {
        sh(...p);
      } catch {
        reason = `${p[0] === 'busybox' ? p.slice(0, 2).join(' ') : p[0]} is not installed`;
        break;
      }
    }
  }
  if (reason && process.env.CI === 'true') throw new Error(`under CI: ${reason}`);
  return reason;
}

/** The namespaces' names (`ip netns list`). */
export const namespaces = () =>
  sh('ip', 'netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter(Boolean);

/** Deletes the namespaces `match` accepts, first killing the processes inside them. */
export function removeNamespaces(match: (name: string) => boolean): void {
  for (const n of namespaces().filter(match)) {
    try {
      for (const pid of sh('ip', 'netns', 'pids', n).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* gone */
    }
    try {
      sh('ip', 'netns', 'del', n);
    } catch {
      /* gone */
    }
  }
}
