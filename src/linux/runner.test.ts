/** The command runners: both pass the contract (runner.contract.ts); a dry run prints the changes it does not make. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DryRunRunner, ProcessRunner } from './runner.js';
import { runnerContract } from './runner.contract.js';

const silent = pino({ level: 'silent' });
runnerContract({ name: 'ProcessRunner', make: (timeoutMs) => new ProcessRunner(silent, timeoutMs) });
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
