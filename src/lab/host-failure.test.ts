/**
 * host-down/host-up refuse, before touching anything, what they cannot do: a lab that is not up, a
 * host the lab does not have, and a lab whose agents all run in one process (--transport inproc).
 * What they do to a real lab is tested end to end in test/e2e/lab.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from '../linux/runner.js';
import { hostDown, hostUp } from './host-failure.js';
import { desiredOutside, saveLab, type LabState } from './lab.js';

const untouched: CommandRunner = {
  dryRun: false,
  run: (argv) => Promise.reject(new Error(`ran ${argv.join(' ')}`)),
  watch: () => ({ stop() {} }),
};

describe('nucleon-lab host-down and host-up', () => {
  it('refuse a lab that is not up, an unknown host, and an in-process lab, running nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-hf-'));
    try {
      await assert.rejects(hostDown(untouched, 'lab', dir, 'net1', () => {}), /lab 'lab' is not up/);
      const state: LabState = { prefix: 'lab', stateDir: dir, transportUrl: 'inproc://', hosts: { net1: { namespace: 'lab-net1', underlayIp: '198.18.0.1', role: 'network' } }, agents: [], outside: desiredOutside('lab') };
      saveLab(state);
      await assert.rejects(hostUp(untouched, 'lab', dir, 'net9', () => {}), /host 'net9' is not a host of lab 'lab' \(net1\)/);
      await assert.rejects(hostDown(untouched, 'lab', dir, 'net1', () => {}), /one process \(--transport inproc\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
