/**
 * A CommandRunner that runs each command from one of a few long-lived shells rather than as a
 * process of its own: starting a process from Node costs about 5 ms of CPU (most of an agent's
 * pass with hundreds of routers: bench/l3-resync.ts), forking it from a small shell a fraction
 * of that. Same behaviour as ProcessRunner (runner.contract.ts): no shell interpretation of the
 * argv (each word is quoted), standard input given whole (`printf %s … |`, byte for byte),
 * standard output and error collected in files of the shell's own temporary directory, the exit
 * code as CommandFailed's code, each change logged, and a command that outlives the timeout is
 * given up with 'SIGTERM' as its code: its shell is killed with everything it started that did
 * not leave its process group (daemons do, as they detach), and a new shell takes its place. A
 * shell that died is replaced. Watches (long-running reads) are processes of their own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Logger } from 'pino';
import { CommandFailed, ProcessRunner, type CommandRunner, type RunOptions, type Watch } from './runner.js';

/** A word for the shell: single-quoted, a quote inside written `'\''`. */
export const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/** The shell's line for one command: its output to files, its input from printf, then the marker with its exit code. */
export function renderShellJob(id: number, argv: string[], dir: string, input: string | undefined): string {
  const cmd = argv.map(shellQuote).join(' ');
  const io = `>${shellQuote(`${dir}/out`)} 2>${shellQuote(`${dir}/err`)}`;
  const run = input === undefined ? `${cmd} </dev/null ${io}` : `printf %s ${shellQuote(input)} | ${cmd} ${io}`;
  return `${run}; printf '#done %d %d\\n' ${id} $?\n`;
}

/** Every shell of this process, ended when it exits (their temporary directories removed). */
const LIVE = new Set<Shell>();
process.once('exit', () => {
  for (const s of LIVE) s.kill();
});

class Shell {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'nucleon-shell-'));
  private readonly proc: ChildProcess;
  private pending: { id: number; done: (code: number) => void } | undefined;
  private next = 1;
  dead = false;

  constructor() {
    // its own process group, so that a timeout can end it with what it started
    this.proc = spawn('bash', ['--noprofile', '--norc'], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    this.proc.unref();
    (this.proc.stdout as unknown as { unref?: () => void }).unref?.();
    (this.proc.stdin as unknown as { unref?: () => void }).unref?.();
    this.proc.stdin!.on('error', () => undefined);
    LIVE.add(this);
    readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const m = /^#done (\d+) (\d+)$/.exec(line);
      if (m && this.pending && Number(m[1]) === this.pending.id) {
        const { done } = this.pending;
        this.pending = undefined;
        done(Number(m[2]));
      }
    });
    this.proc.on('exit', () => {
      this.dead = true;
      const p = this.pending;
      this.pending = undefined;
      p?.done(-1);
    });
  }

  /** Runs one command; resolves with its exit code (-1: the shell died), stdout and stderr. */
  exec(argv: string[], input: string | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const id = this.next++;
      this.pending = {
        id,
        done: (code) => {
          const read = (f: string) => {
            try {
              return readFileSync(path.join(this.dir, f), 'utf8');
            } catch {
              return '';
            }
          };
          resolve({ code, stdout: read('out'), stderr: code === -1 ? 'the shell running the command died' : read('err') });
        },
      };
      this.proc.stdin!.write(renderShellJob(id, argv, this.dir, input));
    });
  }

  kill(): void {
    this.dead = true;
    LIVE.delete(this);
    try {
      process.kill(-this.proc.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class ShellRunner implements CommandRunner {
  readonly dryRun = false;
  private readonly idle: Shell[] = [];
  private readonly waiting: Array<(s: Shell) => void> = [];
  private count = 0;
  private readonly watcher: ProcessRunner;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 30_000,
    private readonly shells = 4,
  ) {
    this.watcher = new ProcessRunner(logger, timeoutMs);
  }

  private acquire(): Promise<Shell> {
    const s = this.idle.pop();
    if (s) return Promise.resolve(s);
    if (this.count < this.shells) {
      this.count++;
      return Promise.resolve(new Shell());
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(s: Shell): void {
    if (s.dead) {
      s.kill();
      this.count--;
      const w = this.waiting.shift();
      if (w) {
        this.count++;
        w(new Shell());
      }
      return;
    }
    const w = this.waiting.shift();
    if (w) w(s);
    else this.idle.push(s);
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<string> {
    if (!opts.read) this.logger.info({ argv, input: opts.input }, 'run');
    const shell = await this.acquire();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.timeoutMs)));
      const r = await Promise.race([shell.exec(argv, opts.input), timedOut]);
      if (r === 'timeout') {
        shell.kill();
        throw new CommandFailed(argv, `timed out after ${this.timeoutMs} ms`, 'SIGTERM');
      }
      if (r.code !== 0) throw new CommandFailed(argv, r.stderr, r.code === -1 ? null : r.code);
      return r.stdout;
    } finally {
      clearTimeout(timer);
      this.release(shell);
    }
  }

  watch(argv: string[], onLine: (line: string) => void, onExit?: (code: number | null) => void): Watch {
    return this.watcher.watch(argv, onLine, onExit);
  }

  /** Ends the shells (they also end with this process: their input closes). */
  close(): void {
    for (const s of this.idle.splice(0)) s.kill();
  }
}
