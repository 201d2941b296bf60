/**
 * `nucleon-agent l2|l3 --dry-run`: asks the servers what its host should have, prints the commands
 * a sync would run, and changes nothing: not the host (a namespace of the test) and not the servers
 * (the plugged port stays DOWN, the floating IP DOWN). A server process and agents over RabbitMQ (a
 * virtual host of this run). Needs root and RabbitMQ (CI runs it).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { client, ROOT, spawnAgent, spawnServer, stopProcess, type Spawned } from '../helpers/server.js';
import { rabbitctlSkipReason, testVhost } from '../helpers/rabbitmq.js';
import { datapathSkipReason, removeNamespaces, sh } from '../helpers/netns.js';
import { tapName } from '../../src/agents/l2/plan.js';

const run = promisify(execFile);
const PREFIX = `nr${randomBytes(2).toString('hex')}`;
const HOST = `${PREFIX}-hv`;
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^nr[0-9a-f]{4}-/.test(n) : n.startsWith(`${PREFIX}-`)));

describe('nucleon-agent --dry-run', { skip: datapathSkipReason() ?? (await rabbitctlSkipReason()) }, () => {
  let vhost: ReturnType<typeof testVhost>;
  let server: Spawned;
  let agent: ChildProcess;
  let l3: ChildProcess;
  before(async () => {
    cleanup(true);
    vhost = testVhost('dry-run');
    server = await spawnServer({ NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url });
    // a live agent for the host, which follows the server but changes nothing: ports can bind there
    agent = spawnAgent('l2', HOST, { NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url, NUCLEON_AGENT__REPORT_INTERVAL: '1' });
    // and a live L3 agent that changes nothing: routers are scheduled there
    l3 = spawnAgent('l3', HOST, { NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url, NUCLEON_AGENT__REPORT_INTERVAL: '1' });
    sh('ip', 'netns', 'add', HOST);
  });
  after(async () => {
    if (agent) await stopProcess(agent);
    if (l3) await stopProcess(l3);
    await server?.stop();
    vhost?.remove();
    cleanup();
  });

  it('prints the commands of a sync and changes neither the host nor the servers', async () => {
    const api = client(server.url);
    for (let i = 0; !(await api.get(`/v2.0/agents?host=${HOST}&alive=true`)).body.agents.length; i++) {
      assert.ok(i < 100, 'the agent registers');
      await new Promise((r) => setTimeout(r, 100));
    }
    const net = (await api.post('/v2.0/networks', { network: { name: 'dry' } })).body.network;
    await api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.88.0.0/24', ip_version: 4, enable_dhcp: false } });
    const port = (await api.post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST } })).body.port;
    assert.equal(port['binding:vif_type'], 'bridge');
    sh('ip', '-n', HOST, 'link', 'add', tapName(port.id), 'type', 'veth', 'peer', 'name', `${PREFIX}p`);
    const before = sh('ip', '-n', HOST, '-j', 'link', 'show');
    const out = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/nucleon-agent.ts'), 'l2', '--dry-run'], {
      env: { ...process.env, NUCLEON_DEFAULT__HOST: HOST, NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url, NUCLEON_AGENT__HOST_NAMESPACE: HOST, NUCLEON_VXLAN__LOCAL_IP: '198.18.0.9' },
      timeout: 60_000,
    });
    const lines = out.stdout.trim().split('\n');
    const br = `brq${net.id.slice(0, 11)}`;
    assert.ok(lines.includes(`ip -n ${HOST} link add ${br} mtu ${net.mtu} type bridge`), out.stdout);
    assert.ok(lines.includes(`ip -n ${HOST} link set ${tapName(port.id)} master ${br}`));
    assert.ok(lines.some((l) => l.startsWith(`ip netns exec ${HOST} nft -f -`)), 'the security group transaction');
    assert.equal(sh('ip', '-n', HOST, '-j', 'link', 'show'), before, 'the host is as it was');
    assert.equal((await api.get(`/v2.0/ports/${port.id}`)).body.port.status, 'DOWN', 'the servers were told nothing');
  });

  it('the L3 agent prints the router namespace, its devices, routes and NAT table, and makes none of them', async () => {
    const api = client(server.url);
    for (let i = 0; !(await api.get(`/v2.0/agents?host=${HOST}&agent_type=L3%20agent&alive=true`)).body.agents.length; i++) {
      assert.ok(i < 100, 'the L3 agent registers');
      await new Promise((r) => setTimeout(r, 100));
    }
    const pub = (await api.post('/v2.0/networks', { network: { name: 'dry-pub', 'router:external': true } })).body.network;
    await api.post('/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '203.0.113.0/24', ip_version: 4, gateway_ip: '203.0.113.1', enable_dhcp: false } });
    const net = (await api.post('/v2.0/networks', { network: { name: 'dry-l3' } })).body.network;
    const sub = (await api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.89.0.0/24', ip_version: 4, enable_dhcp: false } })).body.subnet;
    const router = (await api.post('/v2.0/routers', { router: { name: 'dry', external_gateway_info: { network_id: pub.id } } })).body.router;
    await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    const port = (await api.post('/v2.0/ports', { port: { network_id: net.id } })).body.port;
    const fip = (await api.post('/v2.0/floatingips', { floatingip: { floating_network_id: pub.id, port_id: port.id } })).body.floatingip;
    const gwIp = router.external_gateway_info.external_fixed_ips[0].ip_address;
    const namespacesBefore = sh('ip', 'netns', 'list');
    const out = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/nucleon-agent.ts'), 'l3', '--dry-run'], {
      env: { ...process.env, NUCLEON_DEFAULT__HOST: HOST, NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url, NUCLEON_AGENT__HOST_NAMESPACE: HOST, NUCLEON_AGENT__NAMESPACE_PREFIX: `${HOST}-` },
      timeout: 60_000,
    });
    const lines = out.stdout.trim().split('\n');
    const qr = `${HOST}-qrouter-${router.id}`;
    assert.ok(lines.includes(`ip netns add ${qr}`), out.stdout);
    // what is done inside the namespace is one iproute2 batch, its lines shown below it
    const batch = lines.indexOf(`ip -n ${qr} -force -batch -`);
    assert.ok(batch > 0, out.stdout);
    const inside = lines.slice(batch + 1).filter((l) => l.startsWith('  ')).map((l) => l.trim());
    assert.ok(inside.some((l) => l.startsWith(`addr add ${gwIp}/24 dev qg-`)), 'the gateway address');
    assert.ok(inside.some((l) => l.startsWith(`addr add ${fip.floating_ip_address}/32 dev qg-`)), 'the floating IP');
    assert.ok(inside.some((l) => l.startsWith('addr add 10.89.0.1/24 dev qr-')), 'the interface');
    assert.ok(inside.includes('route replace default via 203.0.113.1'));
    assert.ok(lines.some((l) => l.startsWith(`ip netns exec ${qr} nft -f -`)), 'the NAT transaction');
    assert.equal(sh('ip', 'netns', 'list'), namespacesBefore, 'no namespace was made');
    assert.equal((await api.get(`/v2.0/floatingips/${fip.id}`)).body.floatingip.status, 'DOWN', 'no status was reported');
  });
});
