/** The command runner: real runs report failures with the command; a dry run changes nothing but still reads. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { CommandFailed, DryRunRunner, ProcessRunner } from './runner.js';

describe('command runner', () => {
  const real = new ProcessRunner(pino({ level: 'silent' }), 5000);

  it('returns what a command prints, and fails with the command and its stderr', async () => {
    assert.equal(await real.run(['printf', 'a b'], { read: true }), 'a b');
    assert.equal(await real.run(['cat'], { input: 'add table bridge x\n' }), 'add table bridge x\n', 'input goes to standard input');
    await assert.rejects(real.run(['sh', '-c', 'echo nope >&2; exit 3']), (err: unknown) => err instanceof CommandFailed && /nope/.test(err.message) && err.argv[0] === 'sh');
  });

  it('in a dry run, prints changes instead of running them, and still reads', async () => {
    const lines: string[] = [];
    const dry = new DryRunRunner(real, (l) => lines.push(l));
    assert.equal(await dry.run(['sh', '-c', 'exit 1']), '');
    assert.equal(await dry.run(['printf', 'x'], { read: true }), 'x');
    await dry.run(['nft', '-f', '-'], { input: 'add table bridge x\nadd table inet x\n' });
    assert.deepEqual(lines, ['sh -c exit 1', 'nft -f -', '  add table bridge x', '  add table inet x']);
    assert.deepEqual(dry.planned, [['sh', '-c', 'exit 1'], ['nft', '-f', '-']]);
  });

  it('watches a command line by line, and says when it ended by itself', async () => {
    const lines: string[] = [];
    const code = await new Promise<number | null>((resolve) => real.watch(['sh', '-c', 'echo one; echo two; exit 4'], (l) => lines.push(l), resolve));
    assert.deepEqual(lines, ['one', 'two']);
    assert.equal(code, 4);
    let ended = false;
    const w = real.watch(['sleep', '30'], () => {}, () => (ended = true));
    w.stop();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(ended, false, 'a watch stopped on purpose does not report an end');
  });
});
