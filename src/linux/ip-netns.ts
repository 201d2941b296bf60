/**
 * Network namespaces as commands (`ip netns add|del`), and how any command is run inside one:
 * iproute2's own tools take `-n <netns>`, everything else is wrapped in `ip netns exec <netns>`.
 */

export type NetnsCommand = { tool: 'netns'; op: 'add' | 'del'; name: string };

/** `argv` run inside `netns` (as is without one). */
export const execIn = (netns: string | undefined, argv: string[]): string[] => (netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv);

/** iproute2's `ip` in `netns` (`ip -n <netns>`). */
export const ipIn = (netns: string | undefined): string[] => (netns ? ['ip', '-n', netns] : ['ip']);

export function renderNetns(c: NetnsCommand): string[] {
  return ['ip', 'netns', c.op, c.name];
}
