/** The test runner that fails changes on purpose: it passes the runner contract, and fails what it is told to. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { CommandFailed, DryRunRunner, ProcessRunner } from './runner.js';
import { FaultyRunner } from './faulty-runner.js';
import { runnerContract } from './runner.contract.js';

const silent = pino({ level: 'silent' });
runnerContract({ name: 'FaultyRunner', make: (timeoutMs) => new FaultyRunner(new ProcessRunner(silent, timeoutMs)) });

describe('faulty runner', () => {
  it('fails the next matching change once, matching ones always with the stderr given, and logs the changes', async () => {
    const r = new FaultyRunner(new DryRunRunner(new ProcessRunner(silent, 5000), () => {}));
    r.failNext = /^ip link add/;
    r.failAlways.push({ match: /link del/, stderr: 'Cannot find device "x"' });
    await assert.rejects(r.run(['ip', 'link', 'add', 'a']), CommandFailed);
    await r.run(['ip', 'link', 'add', 'a']);
    await assert.rejects(r.run(['ip', 'link', 'del', 'x']), (err: unknown) => err instanceof CommandFailed && /Cannot find device/.test(err.stderr));
    assert.equal(await r.run(['printf', 'x'], { read: true }), 'x');
    assert.deepEqual(r.log, ['FAILED ip link add a', 'ip link add a', 'FAILED ip link del x']);
  });
});
