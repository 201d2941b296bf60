/**
 * The only code that runs datapath commands (`ip`, `bridge`, `nft`, `dnsmasq`): a CommandRunner
 * takes an argv and returns its standard output. `ProcessRunner` runs it (no shell, bounded time,
 * each command logged); `DryRunRunner` prints what would run and changes nothing (`--dry-run`);
 * reads go through the runner too, so a dry run still observes the real host. The commands
 * themselves are data (the vocabulary in this folder, rendered by host-command.ts) and are run by
 * `applyCommands` (apply.ts); every runner passes runner.contract.ts.
 */
import { execFile, spawn } from 'node:child_process';
import readline from 'node:readline';
import type { Logger } from 'pino';

/** A long-running read (`ip monitor link`): its output lines until `stop()`. */
export interface Watch {
  stop(): void;
}

export interface CommandRunner {
  /**
   * True when changes are only shown, not made (`--dry-run`): reads still run for real, a change
   * resolves with '' at once. Whoever reports what a pass did (devices up, DHCP ports ready) says
   * nothing to anyone when it is set, and nothing waits for a change's effect (a stopped process).
   */
  readonly dryRun: boolean;
  /**
   * Runs `argv` (with `input` on its standard input, e.g. an `nft -f -` transaction); resolves with
   * stdout, rejects with the command and its stderr. May block up to the timeout.
   */
  run(argv: string[], opts?: RunOptions): Promise<string>;
  /**
   * Starts a command that only reads (a monitor, also run by a dry run) and hands over each line of
   * its output; `onExit` with its exit code when it ends by itself, never after `stop()`. Does not block.
   */
  watch(argv: string[], onLine: (line: string) => void, onExit?: (code: number | null) => void): Watch;
}

export interface RunOptions {
  /** Only reads the host: a dry run still runs it, and it is not logged. */
  read?: boolean;
  input?: string;
}

export class CommandFailed extends Error {
  constructor(
    readonly argv: string[],
    readonly stderr: string,
    readonly code: number | string | null,
  ) {
    super(`${argv.join(' ')} failed (${code}): ${stderr.trim()}`);
  }
}

export class ProcessRunner implements CommandRunner {
  readonly dryRun = false;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs = 30_000,
  ) {}

  run(argv: string[], opts: RunOptions = {}): Promise<string> {
    if (!opts.read) this.logger.info({ argv, input: opts.input }, 'run');
    return new Promise((resolve, reject) => {
      const child = execFile(argv[0], argv.slice(1), { timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; signal?: string }) | null;
        // a command killed at the timeout has no exit code, only the signal
        if (e) reject(new CommandFailed(argv, String(stderr), e.code ?? e.signal ?? null));
        else resolve(String(stdout));
      });
      child.stdin?.on('error', () => undefined); // a command that exits without reading its input fails by its exit code
      child.stdin?.end(opts.input ?? '');
    });
  }

  watch(argv: string[], onLine: (line: string) => void, onExit?: (code: number | null) => void): Watch {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let stopped = false;
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    child.on('error', (err) => this.logger.warn({ argv, err: err.message }, 'watch failed to start'));
    child.on('exit', (code) => {
      if (!stopped) onExit?.(code);
    });
    return {
      stop() {
        stopped = true;
        child.kill();
      },
    };
  }
}

/** Reads run for real; changes are written to `out` (one command per line) and not run. */
export class DryRunRunner implements CommandRunner {
  readonly dryRun = true;
  readonly planned: string[][] = [];

  constructor(
    private readonly reader: CommandRunner,
    private readonly out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  ) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<string> {
    if (opts.read) return this.reader.run(argv, opts);
    this.planned.push(argv);
    this.out(argv.join(' '));
    for (const line of opts.input?.trimEnd().split('\n') ?? []) this.out(`  ${line}`);
    return '';
  }

  watch(argv: string[], onLine: (line: string) => void, onExit?: (code: number | null) => void): Watch {
    return this.reader.watch(argv, onLine, onExit);
  }
}
