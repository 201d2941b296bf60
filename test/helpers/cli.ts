/**
 * Running the real `openstack` CLI (Debian's python3-openstackclient) in noauth mode against a
 * Nucleon endpoint: `--os-auth-type none --os-endpoint URL` sends every service, the network one
 * included, to that URL. Without the CLI a test skips on a laptop and fails under CI.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { sqlite } from './dialects.js';
import { startApp } from './server.js';

/** Debian's script; its #! is /usr/bin/python3, the interpreter that can import openstackclient. */
export const OPENSTACK = '/usr/bin/openstack';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one CLI command (about a second of Python start-up each), never rejecting. */
export function runCli(endpoint: string, args: string[]): Promise<CliResult> {
  // Only our endpoint may steer the CLI: drop any OS_* settings (a cloud, a Keystone URL) inherited.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')));
  env.PATH = `/usr/bin:/bin:${env.PATH ?? ''}`; // Debian's python3 before any pyenv one
  const argv = ['--os-auth-type', 'none', '--os-endpoint', endpoint, ...args];
  return new Promise((resolve) => {
    execFile(OPENSTACK, argv, { env, cwd: os.tmpdir(), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Why the CLI cannot run here (undefined when it can); under CI a missing CLI throws instead. */
export function cliUnavailable(): string | undefined {
  if (fs.existsSync(OPENSTACK)) return undefined;
  const why = `${OPENSTACK} not found (Debian package python3-openstackclient)`;
  if (process.env.CI === 'true') throw new Error(`the openstack CLI is required under CI: ${why}`);
  return why;
}

/** `ok(...)`: a command that must succeed (stdout parsed when `-f json`); `fails(...)`: one that must not. */
export function cliAgainst(endpoint: string) {
  const cli = (...args: string[]) => runCli(endpoint, args);
  return {
    cli,
    async ok(...args: string[]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, `openstack ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return args.includes('json') ? JSON.parse(r.stdout) : r.stdout;
    },
    async fails(...args: string[]) {
      const r = await cli(...args);
      assert.notEqual(r.code, 0, `openstack ${args.join(' ')} should have failed:\n${r.stdout}`);
      return r.stderr + r.stdout;
    },
  };
}

/**
 * The CLI aimed at a fresh in-process Nucleon on SQLite that is closed when the test ends; undefined
 * when the CLI is missing on a laptop (the test is then marked skipped).
 */
export async function cliOnFreshServer(t: TestContext): Promise<ReturnType<typeof cliAgainst> | undefined> {
  const why = cliUnavailable();
  if (why) {
    t.skip(why);
    return undefined;
  }
  const db = await sqlite.create();
  const app = await startApp(db.url);
  t.after(async () => {
    await app.close();
    await db.drop();
  });
  return cliAgainst(app.url);
}
