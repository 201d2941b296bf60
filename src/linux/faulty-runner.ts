/**
 * A CommandRunner for tests: another runner (real or dry) whose changes can be made to fail on
 * purpose. `failNext` fails the next change whose command line matches, once; `failAlways` every
 * one that matches, with the stderr given (so that a test can play "File exists" or a kernel that
 * refuses). `log` keeps the changes in order, a failed one marked `FAILED `. Reads and watches pass
 * through untouched.
 */
import { CommandFailed, type CommandRunner, type RunOptions, type Watch } from './runner.js';

export class FaultyRunner implements CommandRunner {
  failNext: RegExp | undefined;
  readonly failAlways: Array<{ match: RegExp; stderr: string }> = [];
  readonly log: string[] = [];

  constructor(private readonly inner: CommandRunner) {}

  get dryRun(): boolean {
    return this.inner.dryRun;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<string> {
    if (opts.read) return this.inner.run(argv, opts);
    const line = argv.join(' ');
    const always = this.failAlways.find((f) => f.match.test(line));
    if (always || this.failNext?.test(line)) {
      if (!always) this.failNext = undefined;
      this.log.push(`FAILED ${line}`);
      throw new CommandFailed(argv, always?.stderr ?? 'injected failure', 1);
    }
    this.log.push(line);
    return this.inner.run(argv, opts);
  }

  watch(argv: string[], onLine: (line: string) => void, onExit?: (code: number | null) => void): Watch {
    return this.inner.watch(argv, onLine, onExit);
  }
}
