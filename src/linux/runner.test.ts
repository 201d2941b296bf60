/** The command runners: all pass the contract (runner.contract.ts); a dry run prints the changes it does not make; the shell runner quotes every word and passes input byte for byte. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DryRunRunner, ProcessRunner } from './runner.js';
import { runnerContract } from './runner.contract.js';
import { renderShellJob, ShellRunner } from './shell-runner.js';

const silent = pino({ level: 'silent' });
runnerContract({ name: 'ProcessRunner', make: (timeoutMs) => new ProcessRunner(silent, timeoutMs) });
runnerContract({ name: 'ShellRunner', make: (timeoutMs) => new ShellRunner(silent, timeoutMs, 2) });
runnerContract({ name: 'DryRunRunner', make: (timeoutMs) => new DryRunRunner(new ProcessRunner(silent, timeoutMs), () => {}) });

describe('dry-run runner', () => {
  it('prints each change and its standard input, one command per line, and keeps them', async () => {
    const lines: string[] = [];
    const dry = new DryRunRunner(new ProcessRunner(silent, 5000), (l) => lines.push(l));
    await dry.run(['sh', '-c', 'exit 1']);
    assert.equal(await dry.run(['printf', 'x'], { read: true }), 'x', 'a read is not printed');
    await dry.run(['nft', '-f', '-'], { input: 'add table bridge x\nadd table inet x\n' });
    assert.deepEqual(lines, ['sh -c exit 1', 'nft -f -', '  add table bridge x', '  add table inet x']);
    assert.deepEqual(dry.planned, [['sh', '-c', 'exit 1'], ['nft', '-f', '-']]);
  });
});

describe('shell runner', () => {
  it('runs words as words (no shell interpretation), input byte for byte, many commands at once, and survives a killed shell', async () => {
    const r = new ShellRunner(silent, 5000, 2);
    assert.equal(await r.run(['printf', '%s|', '$HOME', "it's", 'a b', '`x`', ';'], { read: true }), "$HOME|it's|a b|`x`|;|");
    const input = "no newline at the end, a quote ' and\nNUCLEON\n#done 1 0";
    assert.equal(await r.run(['cat'], { read: true, input }), input);
    const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => r.run(['echo', String(i)], { read: true })));
    assert.deepEqual(outs, Array.from({ length: 20 }, (_, i) => `${i}\n`));
    await assert.rejects(r.run(['sh', '-c', 'kill -9 $PPID'], { read: true }));
    assert.equal(await r.run(['echo', 'after'], { read: true }), 'after\n', 'a new shell took its place');
    assert.match(renderShellJob(7, ['ip', 'link'], '/tmp/d', undefined), /^'ip' 'link' <\/dev\/null >'\/tmp\/d\/out' 2>'\/tmp\/d\/err'; printf '#done %d %d\\n' 7 \$\?\n$/);
    r.close();
  });
});
