/**
 * The real `openstack` CLI with password authentication through Keystone against Nucleon in
 * Keystone mode, found in Keystone's catalog as the `network` service: what an operator's shell
 * does. Needs Keystone and the CLI; skips without them on a laptop, fails under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnServer } from './helpers/server.js';
import { OPENSTACK, cliUnavailable } from './helpers/cli.js';
import { KEYSTONE, keystoneServerEnv, keystoneUnavailable, pointNetworkEndpoint, userWithRole } from './helpers/keystone.js';

async function why(): Promise<string | undefined> {
  const reason = cliUnavailable() ?? (await keystoneUnavailable());
  if (reason && process.env.CI === 'true') throw new Error(`required under CI: ${reason}`);
  return reason;
}

test('the openstack CLI authenticates with Keystone and works against Nucleon', { timeout: 300_000, skip: await why() }, async () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-cli-ks-'));
  const server = await spawnServer(keystoneServerEnv(state));
  try {
    await pointNetworkEndpoint(server.url);
    const user = await userWithRole('nucleon-cli-project', 'nucleon-cli-user', 'member');
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OS_')) as Array<[string, string]>),
      PATH: `/usr/bin:/bin:${process.env.PATH ?? ''}`,
      OS_AUTH_URL: `${KEYSTONE}/v3`,
      OS_IDENTITY_API_VERSION: '3',
      OS_USERNAME: 'nucleon-cli-user',
      OS_PASSWORD: 'secret-nucleon-cli-user',
      OS_PROJECT_NAME: 'nucleon-cli-project',
      OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default',
      OS_REGION_NAME: 'RegionOne',
      OS_INTERFACE: 'public',
    };
    const run = (...args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(OPENSTACK, args, { env, cwd: os.tmpdir(), timeout: 60_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: stdout + stderr }),
        ),
      );
    const created = await run('network', 'create', 'ks-cli-net', '-f', 'json');
    assert.equal(created.code, 0, created.out);
    const net = JSON.parse(created.out);
    assert.equal(net.project_id, user.projectId, "the network belongs to the user's project");
    const listed = await run('network', 'list', '-f', 'json');
    assert.ok(JSON.parse(listed.out).some((n: { ID: string }) => n.ID === net.id));
    const provider = await run('network', 'create', '--provider-network-type', 'vxlan', 'ks-cli-provider');
    assert.notEqual(provider.code, 0, 'a member may not choose provider attributes');
    assert.match(provider.out, /disallowed by policy/);
    const deleted = await run('network', 'delete', 'ks-cli-net');
    assert.equal(deleted.code, 0, deleted.out);
    const bad = await run('--os-password', 'wrong', 'network', 'list');
    assert.notEqual(bad.code, 0, 'a wrong password is refused by Keystone');
  } finally {
    await server.stop();
    fs.rmSync(state, { recursive: true, force: true });
  }
});
