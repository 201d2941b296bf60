/**
 * All-in-one: one nucleon-server process runs the four agents on its in-process bus, as `npm start`
 * does as root. So that the test changes nothing of this machine, the agents act in a namespace of
 * the test (`[agent] host_namespace`, the DHCP namespaces prefixed) instead of the machine's own;
 * everything else is what a user gets. A VM plugged into that host gets its address from the
 * in-process DHCP agent's dnsmasq. Needs root (CI runs it).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { client, spawnServer, type Spawned } from '../helpers/server.js';
import { datapathSkipReason, namespaces, removeNamespaces, sh } from '../helpers/netns.js';
import { tapName } from '../../src/agents/l2/plan.js';
import { UDHCPC_SCRIPT } from '../../src/compute/compute.js';

const PREFIX = `na${randomBytes(2).toString('hex')}`;
const HOST = `${PREFIX}-host`;
const VM = `${PREFIX}-vm`;
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^na[0-9a-f]{4}-/.test(n) : n.startsWith(`${PREFIX}-`)));

const until = async (what: string, f: () => Promise<boolean> | boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('all-in-one: the agents inside nucleon-server', { skip: datapathSkipReason([['ip', '-V'], ['dnsmasq', '--version'], ['busybox', 'udhcpc', '--help']]) }, () => {
  let server: Spawned;
  let state: string;
  before(async () => {
    cleanup(true);
    sh('ip', 'netns', 'add', HOST);
    sh('ip', '-n', HOST, 'link', 'set', 'lo', 'up');
    state = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-`));
    server = await spawnServer({
      NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS: 'true',
      NUCLEON_DEFAULT__HOST: HOST,
      NUCLEON_DEFAULT__STATE_PATH: state,
      NUCLEON_AGENT__HOST_NAMESPACE: HOST,
      NUCLEON_AGENT__NAMESPACE_PREFIX: `${PREFIX}-`,
      NUCLEON_AGENT__REPORT_INTERVAL: '2',
    });
  });
  after(async () => {
    await server?.stop();
    cleanup();
    fs.rmSync(state, { recursive: true, force: true });
    assert.deepEqual(
      namespaces().filter((n) => n.startsWith(`${PREFIX}-`)),
      [],
    );
  });

  it('registers the four agents, serves DHCP from dnsmasq and makes a plugged port ACTIVE', async () => {
    const api = client(server.url);
    await until('four live agents', async () => (await api.get(`/v2.0/agents?host=${HOST}&alive=true`)).body.agents.length === 4);
    const types = (await api.get(`/v2.0/agents?host=${HOST}`)).body.agents.map((a: { agent_type: string }) => a.agent_type).sort();
    assert.deepEqual(types, ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metering agent']);
    const net = (await api.post('/v2.0/networks', { network: { name: 'aio' } })).body.network;
    await api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } });
    await until('the DHCP namespace', () => namespaces().includes(`${PREFIX}-qdhcp-${net.id}`));
    const port = (await api.post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova' } })).body.port;
    assert.equal(port['binding:vif_type'], 'bridge');
    sh('ip', 'netns', 'add', VM);
    sh('ip', 'link', 'add', tapName(port.id), 'netns', HOST, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', VM);
    sh('ip', '-n', VM, 'link', 'set', 'eth0', 'address', port.mac_address);
    sh('ip', '-n', VM, 'link', 'set', 'eth0', 'up');
    sh('ip', '-n', HOST, 'link', 'set', tapName(port.id), 'up');
    await until('ACTIVE', async () => (await api.get(`/v2.0/ports/${port.id}`)).body.port.status === 'ACTIVE');
    const script = path.join(state, 'udhcpc.sh');
    fs.writeFileSync(script, UDHCPC_SCRIPT, { mode: 0o755 });
    const lease = path.join(state, 'lease');
    try {
      sh('ip', 'netns', 'exec', VM, 'env', `LEASE_FILE=${lease}`, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '10', '-T', '1', '-s', script);
    } catch (err) {
      const dir = path.join(state, 'dhcp', net.id);
      const pid = fs.readFileSync(path.join(dir, 'pid'), 'utf8').trim();
      throw new Error(`${err}\nhosts: ${fs.readFileSync(path.join(dir, 'host'), 'utf8')}\npid ${pid} alive: ${fs.existsSync(`/proc/${pid}`) && fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]}\nhost links: ${sh('ip', '-n', HOST, '-br', 'link')}\nqdhcp: ${sh('ip', '-n', `${PREFIX}-qdhcp-${net.id}`, '-br', 'addr')}`);
    }
    assert.match(fs.readFileSync(lease, 'utf8'), new RegExp(`^ip=${port.fixed_ips[0].ip_address.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('refuses to start when all_in_one_agents = true cannot be honoured, and says why', async () => {
    await assert.rejects(
      spawnServer({ NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS: 'true', NUCLEON_DEFAULT__API_WORKERS: '2', NUCLEON_DEFAULT__STATE_PATH: state }),
      /all_in_one_agents = true, but api_workers > 1/,
    );
  });
});
