/**
 * The behaviour every CommandRunner owes the agents, run against each implementation by its test
 * (runner.test.ts, faulty-runner.test.ts): output, failures as CommandFailed with stderr and exit
 * code, standard input, reads that always run and changes that a dry run only shows, watches
 * line by line that end by themselves or when stopped, and a bounded time per command.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandFailed, type CommandRunner } from './runner.js';

export interface RunnerHarness {
  name: string;
  /** A runner whose commands are given up after `timeoutMs`. */
  make(timeoutMs: number): CommandRunner;
}

export function runnerContract(h: RunnerHarness): void {
  describe(`CommandRunner contract: ${h.name}`, () => {
    const runner = h.make(5000);

    it('returns what a read prints, and feeds it its standard input', async () => {
      assert.equal(await runner.run(['printf', 'a b'], { read: true }), 'a b');
      assert.equal(await runner.run(['cat'], { read: true, input: 'add table bridge x\n' }), 'add table bridge x\n');
    });

    it('fails a read with the command, its stderr and its exit code', async () => {
      await assert.rejects(runner.run(['sh', '-c', 'echo nope >&2; exit 3'], { read: true }), (err: unknown) => {
        assert.ok(err instanceof CommandFailed);
        assert.deepEqual([err.argv[0], err.stderr.trim(), err.code], ['sh', 'nope', 3]);
        assert.match(err.message, /nope/);
        return true;
      });
    });

    it('makes a change unless it is a dry run, which shows it and resolves with nothing', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'runner-contract-'));
      try {
        const file = path.join(dir, 'made');
        const out = await runner.run(['sh', '-c', `cat > ${file}; echo done`], { input: 'content' });
        assert.equal(existsSync(file), !runner.dryRun);
        assert.equal(out, runner.dryRun ? '' : 'done\n');
        if (runner.dryRun) assert.equal(await runner.run(['sh', '-c', 'exit 1']), '', 'a change that would fail is only shown');
        else await assert.rejects(runner.run(['sh', '-c', 'echo bad >&2; exit 2']), (err: unknown) => err instanceof CommandFailed && err.code === 2 && /bad/.test(err.stderr));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('watches a command line by line, and says when it ended by itself, not when stopped', async () => {
      const lines: string[] = [];
      const code = await new Promise<number | null>((resolve) => runner.watch(['sh', '-c', 'echo one; echo two; exit 4'], (l) => lines.push(l), resolve));
      assert.deepEqual(lines, ['one', 'two']);
      assert.equal(code, 4);
      let ended = false;
      const w = runner.watch(['sleep', '30'], () => {}, () => (ended = true));
      w.stop();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(ended, false, 'a watch stopped on purpose does not report an end');
    });

    it('gives a command up at its timeout', async () => {
      const started = Date.now();
      await assert.rejects(h.make(200).run(['sleep', '10'], { read: true }), (err: unknown) => err instanceof CommandFailed && err.code === 'SIGTERM');
      assert.ok(Date.now() - started < 5000);
    });
  });
}
