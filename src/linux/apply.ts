/**
 * The one routine that changes a host, for every agent (tailscale's runGroup): `applyCommands`
 * runs each command of a plan in order through the CommandRunner, carries on past a failure, counts
 * an error that means "already so" as success (`IDEMPOTENT`, below), and skips the commands that
 * need an object a failed command was to make (everything on a link whose creation failed, inside
 * a namespace that could not be made). A dry run goes the same way: the runner prints instead of
 * running, and nothing waits for an effect.
 */
import { CommandFailed, type CommandRunner } from './runner.js';
import { waitGone } from './daemon.js';
import { objectsOf, renderArgv, type HostCommand } from './host-command.js';

export interface ApplyReport {
  /** Run (or, in a dry run, shown) and succeeded, or failed in a way that means it was already so. */
  done: HostCommand[];
  failed: Array<{ command: HostCommand; error: string }>;
  /** Not run: they need something a failed command was to make. */
  skipped: HostCommand[];
  /** The runner only showed the changes (CommandRunner.dryRun). */
  dryRun: boolean;
}

/**
 * Errors that mean the change is already there: what to add exists, what to delete is gone. The
 * planner saw otherwise, so someone (another pass, a person, the kernel) got there first.
 */
export const IDEMPOTENT: Array<{ what: string; applies: (c: HostCommand) => boolean; stderr: RegExp }> = [
  { what: 'a link to add exists', applies: (c) => c.tool === 'ip-link' && c.op === 'add', stderr: /File exists/ },
  { what: 'a link to delete is gone', applies: (c) => c.tool === 'ip-link' && c.op === 'del', stderr: /Cannot find device/ },
  { what: 'an address to add is there', applies: (c) => c.tool === 'ip-addr' && c.op === 'add', stderr: /File exists/ },
  { what: 'an address to delete is gone', applies: (c) => c.tool === 'ip-addr' && c.op === 'del', stderr: /Cannot assign requested address|Cannot find device/ },
  { what: 'a route to delete is gone', applies: (c) => c.tool === 'ip-route' && c.op === 'del', stderr: /No such process|Cannot find device/ },
  { what: 'a namespace to add exists', applies: (c) => c.tool === 'netns' && c.op === 'add', stderr: /File exists/ },
  { what: 'a namespace to delete is gone', applies: (c) => c.tool === 'netns' && c.op === 'del', stderr: /No such file or directory/ },
  { what: 'an FDB entry to append is there', applies: (c) => c.tool === 'bridge-fdb' && c.op === 'append', stderr: /File exists/ },
  { what: 'an FDB entry to delete is gone', applies: (c) => c.tool === 'bridge-fdb' && c.op === 'del', stderr: /No such file or directory|Cannot find device/ },
  { what: 'a process to stop is gone', applies: (c) => c.tool === 'daemon' && c.op === 'stop', stderr: /No such process/ },
];

/** Whether `err`, from running `c`, means that what `c` does is already so. */
export function isIdempotentError(c: HostCommand, err: unknown): boolean {
  const text = err instanceof CommandFailed ? err.stderr : err instanceof Error ? err.message : String(err);
  return IDEMPOTENT.some((rule) => rule.applies(c) && rule.stderr.test(text));
}

/** Runs `cmds` in order (inside `netns` when given, see host-command.ts) and says what became of each. */
export async function applyCommands(runner: CommandRunner, cmds: HostCommand[], netns?: string): Promise<ApplyReport> {
  const report: ApplyReport = { done: [], failed: [], skipped: [], dryRun: runner.dryRun };
  const missing = new Set<string>();
  for (const c of cmds) {
    const { makes, needs } = objectsOf(c, netns);
    if (needs.some((o) => missing.has(o))) {
      report.skipped.push(c);
      for (const o of makes) missing.add(o);
      continue;
    }
    const { argv, input } = renderArgv(c, netns);
    try {
      await runner.run(argv, { input });
      if (c.tool === 'daemon' && c.op === 'stop' && !runner.dryRun) await waitGone(c.pid);
      report.done.push(c);
    } catch (err) {
      if (isIdempotentError(c, err)) report.done.push(c);
      else {
        report.failed.push({ command: c, error: (err as Error).message });
        for (const o of makes) missing.add(o);
      }
    }
  }
  return report;
}

/** An error that sums the reports' failures up (the first one named), or undefined when none failed. */
export function reportError(...reports: ApplyReport[]): Error | undefined {
  const count = (k: 'done' | 'failed' | 'skipped') => reports.reduce((n, r) => n + r[k].length, 0);
  const failed = reports.flatMap((r) => r.failed);
  if (!failed.length) return undefined;
  const skipped = count('skipped') ? `, ${count('skipped')} skipped` : '';
  return new Error(`${failed.length} of ${count('done') + failed.length + count('skipped')} commands failed${skipped} (the next sync plans again); the first: ${failed[0].error}`);
}
