/**
 * The OpenStack conformance suite as a ratchet: tempest.api.network (Debian's tempest) against a
 * Nucleon in Keystone mode, through the reference stack's tempest script (../shared/reference).
 * Every test that passes against the real neutron-server (its pass list is in
 * ../shared/reference/results/) must pass here, except the few listed below with their reason.
 * The run's counts are printed as test diagnostics (the README quotes them).
 * Needs Keystone (see helpers/keystone.ts) and tempest; skips without them on a laptop, fails under CI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, spawnAgent, spawnServer, stopProcess } from './helpers/server.js';
import { rabbitctlSkipReason, testVhost } from './helpers/rabbitmq.js';
import { ADMIN_PASSWORD, KEYSTONE, keystoneServerEnv, keystoneUnavailable, passwordToken, pointNetworkEndpoint } from './helpers/keystone.js';

const REFERENCE = path.resolve(ROOT, '../shared/reference');
const TEMPEST_SH = path.join(REFERENCE, 'tempest.sh');
const REFERENCE_PASS = path.join(REFERENCE, 'results/real-neutron-tempest-network-pass.txt');

/** Tests that pass against the reference but cannot pass here yet, and why. */
const KNOWN_GAPS: Record<string, string> = {
};

async function why(): Promise<string | undefined> {
  let reason: string | undefined;
  if (!fs.existsSync('/usr/bin/tempest')) reason = '/usr/bin/tempest not found (Debian package tempest)';
  else if (!fs.existsSync(TEMPEST_SH)) reason = `${TEMPEST_SH} not found`;
  else reason = await keystoneUnavailable();
  if (reason && process.env.CI === 'true') throw new Error(`tempest is required under CI: ${reason}`);
  return reason;
}

const ids = (file: string) =>
  new Set(
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim().replace(/\[.*$/, ''))
      .filter(Boolean),
  );

/** The DHCP scheduler tests that failed against the reference for want of a live DHCP agent. */
const NEED_AGENTS = [
  'tempest.api.network.admin.test_dhcp_agent_scheduler.DHCPAgentSchedulersTestJSON.test_add_remove_network_from_dhcp_agent',
  'tempest.api.network.admin.test_dhcp_agent_scheduler.DHCPAgentSchedulersTestJSON.test_list_networks_hosted_by_one_dhcp',
];

test('tempest.api.network passes where the reference neutron-server passes', { timeout: 1_200_000, skip: (await why()) ?? (await rabbitctlSkipReason()) }, async (t) => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-tempest-'));
  // a DHCP and an L3 agent report to the server over RabbitMQ, as in a real deployment
  const vhost = testVhost('tempest');
  const server = await spawnServer(
    keystoneServerEnv(state, {
      NUCLEON_ML2_TYPE_VLAN__NETWORK_VLAN_RANGES: 'physnet1:1000:1999',
      NUCLEON_ML2_TYPE_VXLAN__VNI_RANGES: '1:100000',
      NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url,
    }),
  );
  const agentEnv = { NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url, NUCLEON_AGENT__REPORT_INTERVAL: '5' };
  const agents = [spawnAgent('dhcp', 'tempest-net-1', agentEnv), spawnAgent('l3', 'tempest-net-1', agentEnv)];
  try {
    await pointNetworkEndpoint(server.url);
    const { token } = await passwordToken('admin', ADMIN_PASSWORD, 'admin');
    for (let i = 0; ; i++) {
      const r = await fetch(`${server.url}/v2.0/agents?alive=true`, { headers: { 'X-Auth-Token': token } });
      if (((await r.json()) as { agents?: unknown[] }).agents?.length === 2) break;
      if (i > 120) throw new Error('the DHCP and L3 agents did not register within 60 s');
      await new Promise((res) => setTimeout(res, 500));
    }
    const out = path.join(state, 'results');
    const log = await new Promise<string>((resolve, reject) => {
      execFile(
        TEMPEST_SH,
        ['^tempest.api.network'],
        {
          env: { ...process.env, OUTDIR: out, NAME: 'nucleon', CONCURRENCY: '2', TIME_LIMIT: '900', ADMIN_PASS: ADMIN_PASSWORD, KEYSTONE_URL: `${KEYSTONE}/v3` },
          timeout: 1_100_000,
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => (err && !fs.existsSync(path.join(out, 'nucleon.txt')) ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout + stderr)),
      );
    });
    const summary = fs.readFileSync(path.join(out, 'nucleon.txt'), 'utf8');
    const counts = Object.fromEntries([...summary.matchAll(/^(total|passed|failed|skipped|wall_time_s): (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
    t.diagnostic(`tempest.api.network against Nucleon: ${JSON.stringify(counts)}`);
    const passed = ids(path.join(out, 'nucleon-pass.txt'));
    const gap = (id: string) => Object.keys(KNOWN_GAPS).some((k) => id === k || id.startsWith(`${k}.`));
    const missing = [...ids(REFERENCE_PASS), ...NEED_AGENTS].filter((id) => !passed.has(id) && !gap(id));
    assert.deepEqual(missing, [], `tempest tests that pass against the reference (or need agents) but not here:\n${missing.join('\n')}\n\n${summary}\n${log.slice(-2000)}`);
    assert.ok(counts.passed >= 200, `a real run: ${JSON.stringify(counts)}`);
  } finally {
    await Promise.all(agents.map(stopProcess));
    await server.stop();
    vhost.remove();
    fs.rmSync(state, { recursive: true, force: true });
  }
});
