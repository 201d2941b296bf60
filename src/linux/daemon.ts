/**
 * Daemons as commands (dnsmasq): started inside a namespace, reloaded with SIGHUP, stopped with
 * SIGTERM. A stop is done when the process is gone: `waitGone` (run by apply.ts after a real stop,
 * so that a restart does not find the old one still holding its port and pid file).
 */
import { readFile } from 'node:fs/promises';
import { execIn } from './ip-netns.js';

export type DaemonCommand = { tool: 'daemon'; op: 'start'; netns: string; argv: string[] } | { tool: 'daemon'; op: 'reload' | 'stop'; pid: number };

export function renderDaemon(c: DaemonCommand): string[] {
  if (c.op === 'start') return execIn(c.netns, c.argv);
  return ['kill', c.op === 'reload' ? '-HUP' : '-TERM', String(c.pid)];
}

/** Whether a process is gone (or a zombie nobody reaped yet). */
export async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || /^\d+ \(.*\) [ZX] /.test(stat);
}

/** Waits up to `timeoutMs` for `pid` to be gone. */
export async function waitGone(pid: number, timeoutMs = 5000): Promise<void> {
  for (let waited = 0; waited < timeoutMs && !(await isGone(pid)); waited += 50) await new Promise((r) => setTimeout(r, 50));
}
