/**
 * Servers and agents as separate processes over RabbitMQ and PostgreSQL, as a multi-host
 * deployment runs them: two nucleon-server processes and four nucleon-agent processes (two DHCP,
 * one L3, one L2) in a RabbitMQ virtual host of their own. Heartbeats register the agents (seen
 * through either server), scheduling reaches the agents (their reported state changes), a port
 * status set by an agent over RPC shows through the other server, and a stopped DHCP agent's
 * network moves to the other one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import pino from 'pino';
import amqp from 'amqplib';
import { postgres, skipReason } from './helpers/dialects.js';
import { client, spawnAgent, spawnServer, stopProcess, type Spawned } from './helpers/server.js';
import { rabbitctlSkipReason, testVhost } from './helpers/rabbitmq.js';
import { RabbitTransport } from '../src/rpc/rabbitmq-transport.js';
import { RpcClient } from '../src/rpc/rpc-api.js';
import { PLUGIN } from '../src/rpc/topics.js';
import { SERVER_PLUGIN_API } from '../src/agents/server-api.js';

const DOWN_TIME = 4;

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('servers and agents over RabbitMQ and PostgreSQL', { skip: (await skipReason(postgres)) ?? (await rabbitctlSkipReason()) }, () => {
  let vhost: ReturnType<typeof testVhost>;
  let VHOST = '';
  let TRANSPORT_URL = '';
  let db: { url: string; drop(): Promise<void> };
  const servers: Spawned[] = [];
  const agents = new Map<string, ChildProcess>();
  before(async () => {
    vhost = testVhost('agents');
    VHOST = vhost.name;
    TRANSPORT_URL = vhost.url;
    db = await postgres.create();
    const env = { NUCLEON_DATABASE__CONNECTION: db.url, NUCLEON_DEFAULT__TRANSPORT_URL: TRANSPORT_URL, NUCLEON_DEFAULT__AGENT_DOWN_TIME: String(DOWN_TIME) };
    // the first server migrates before the second starts
    servers.push(await spawnServer({ ...env, NUCLEON_DEFAULT__HOST: 'srv-a' }));
    servers.push(await spawnServer({ ...env, NUCLEON_DEFAULT__HOST: 'srv-b' }));
    for (const [kind, host] of [['dhcp', 'hv-d1'], ['dhcp', 'hv-d2'], ['l3', 'net-1'], ['l2', 'hv-1']]) agents.set(`${kind}@${host}`, spawnAgent(kind, host, { NUCLEON_DEFAULT__TRANSPORT_URL: TRANSPORT_URL, NUCLEON_AGENT__REPORT_INTERVAL: '1' }));
  });
  after(async () => {
    await Promise.all([...agents.values()].map(stopProcess));
    await Promise.all(servers.map((s) => s.stop()));
    await db?.drop();
    vhost?.remove();
  });
  const a = () => client(servers[0].url);
  const b = () => client(servers[1].url);
  const agentList = async (api: ReturnType<typeof client>, q = '') => (await api.get(`/v2.0/agents${q}`)).body.agents as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('registers every agent through its heartbeats, seen alive through both servers', async () => {
    await until('four live agents', async () => (await agentList(a(), '?alive=true')).length === 4);
    const types = (await agentList(b())).map((x) => `${x.agent_type}@${x.host}`).sort();
    assert.deepEqual(types, ['DHCP agent@hv-d1', 'DHCP agent@hv-d2', 'L3 agent@net-1', 'Linux bridge agent@hv-1']);
    for (const x of await agentList(b())) assert.equal(x.alive, true);
  });

  let network: string;
  let hostedOn: string;
  it('schedules a network onto a DHCP agent, which then serves it (its reported state shows it)', async () => {
    network = (await a().post('/v2.0/networks', { network: { name: 'rpc-net' } })).body.network.id;
    assert.equal((await a().post('/v2.0/subnets', { subnet: { network_id: network, cidr: '10.91.0.0/24', ip_version: 4 } })).status, 201);
    const hosts = (await b().get(`/v2.0/networks/${network}/dhcp-agents`)).body.agents;
    assert.equal(hosts.length, 1);
    hostedOn = hosts[0].host;
    // the agent was told after commit, fetched the network over RPC and reports it
    await until(`the DHCP agent on ${hostedOn} reporting the network`, async () => {
      const me = (await agentList(b(), `?host=${hostedOn}`))[0];
      return me.configurations.networks === 1 && me.configurations.subnets === 1;
    });
  });

  it('schedules a router onto the L3 agent, which then has it', async () => {
    const router = (await b().post('/v2.0/routers', { router: { name: 'rpc-r' } })).body.router.id;
    assert.deepEqual((await a().get(`/v2.0/routers/${router}/l3-agents`)).body.agents.map((x: { host: string }) => x.host), ['net-1']);
    await until('the L3 agent reporting the router', async () => (await agentList(a(), '?host=net-1'))[0].configurations.routers === 1);
  });

  it('sets a port ACTIVE when an agent reports its device up, visible through the other server', async () => {
    const port = (await a().post('/v2.0/ports', { port: { network_id: network, 'binding:host_id': 'hv-1' } })).body.port;
    assert.equal(port.status, 'DOWN');
    const transport = new RabbitTransport({ hosts: [{ hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest' }], vhost: VHOST, logger: pino({ level: 'silent' }), name: 'test' });
    try {
      const plugin = new RpcClient(transport, SERVER_PLUGIN_API, PLUGIN);
      const tap = `tap${port.id.slice(0, 11)}`;
      const details = await plugin.call('get_devices_details_list', { devices: [tap], agent_id: 'test', host: 'hv-1' }, { timeoutMs: 10_000 });
      assert.deepEqual([details[0].port_id, details[0].network_id, details[0].network_type], [port.id, network, 'vxlan']);
      assert.deepEqual(await plugin.call('update_device_up', { device: tap, agent_id: 'test', host: 'hv-1' }, { timeoutMs: 10_000 }), { device: tap, exists: true });
      const seen = (await b().get(`/v2.0/ports/${port.id}`)).body.port;
      assert.equal(seen.status, 'ACTIVE');
      assert.ok(seen.revision_number > port.revision_number);
      await plugin.call('update_device_down', { device: tap, agent_id: 'test', host: 'hv-1' }, { timeoutMs: 10_000 });
      assert.equal((await a().get(`/v2.0/ports/${port.id}`)).body.port.status, 'DOWN');
      assert.deepEqual(await plugin.call('update_device_up', { device: 'tapffffffffff0', agent_id: 'test', host: 'hv-1' }, { timeoutMs: 10_000 }), { device: 'tapffffffffff0', exists: false });
      // a malformed request is refused with the error type, and the server keeps serving
      await assert.rejects(plugin.call('get_network_info', { network_id: 42 as never, host: 'x' }, { timeoutMs: 10_000 }), /InvalidInput/);
      assert.equal((await plugin.call('get_network_info', { network_id: network, host: 'x' }, { timeoutMs: 10_000 })).id, network);
    } finally {
      await transport.close();
    }
  });

  it('survives garbage on an agent queue and a broker that drops every connection; nothing is lost after the resync', async () => {
    // raw garbage and a message for a method the agent does not have, straight onto its host queue
    const conn = await amqp.connect({ protocol: 'amqp', hostname: '127.0.0.1', port: 5672, username: 'guest', password: 'guest', vhost: VHOST });
    const ch = await conn.createConfirmChannel();
    ch.sendToQueue(`dhcp_agent.${hostedOn}`, Buffer.from('\u0000 not json {'));
    ch.sendToQueue(`dhcp_agent.${hostedOn}`, Buffer.from(JSON.stringify({ method: 'no_such_method', version: '1.0', args: {} })));
    await ch.waitForConfirms();
    await conn.close();
    // every connection of this virtual host closed by the broker, mid-traffic
    const more = (await a().post('/v2.0/networks', { network: { name: 'rpc-net-2' } })).body.network.id;
    execFileSync('rabbitmqctl', ['-q', 'close_all_connections', '-p', VHOST, 'nucleon test: broker dropped everyone']);
    // changes made while the agents reconnect: the second network gets DHCP, the first a new port
    assert.equal((await b().post('/v2.0/subnets', { subnet: { network_id: more, cidr: '10.92.0.0/24', ip_version: 4 } })).status, 201);
    assert.equal((await a().post('/v2.0/ports', { port: { network_id: network } })).status, 201);
    const expected = (await a().get(`/v2.0/ports?network_id=${network}`)).body.ports.length;
    const hostsOfMore = (await a().get(`/v2.0/networks/${more}/dhcp-agents`)).body.agents.map((x: { host: string }) => x.host);
    assert.equal(hostsOfMore.length, 1);
    await until(
      'the agents to report everything again after reconnecting',
      async () => {
        const all = await agentList(b(), '?agent_type=DHCP%20agent');
        if (!all.every((x) => x.alive)) return false;
        const first = all.find((x) => x.host === hostedOn)!;
        const second = all.find((x) => x.host === hostsOfMore[0])!;
        const nets = all.reduce((n, x) => n + x.configurations.networks, 0);
        return nets === 2 && second.configurations.networks >= 1 && first.configurations.ports >= expected;
      },
      60_000,
    );
    assert.equal((await agentList(a(), '?alive=true')).length, 4);
  });

  it('moves the network to the other DHCP agent when its agent stops', async () => {
    const other = hostedOn === 'hv-d1' ? 'hv-d2' : 'hv-d1';
    await stopProcess(agents.get(`dhcp@${hostedOn}`)!);
    // dead after agent_down_time, failed over after twice that, checked every agent_down_time / 2
    await until(
      `the network on ${other}`,
      async () => {
        const hosts = (await a().get(`/v2.0/networks/${network}/dhcp-agents`)).body.agents.map((x: { host: string }) => x.host);
        return hosts.length === 1 && hosts[0] === other;
      },
      (4 * DOWN_TIME + 10) * 1000,
    );
    // it reports every network the API says it now hosts (the moved one among them)
    await until(`the DHCP agent on ${other} reporting the network`, async () => {
      const me = (await agentList(b(), `?host=${other}`))[0];
      const hosted = (await b().get(`/v2.0/agents/${me.id}/dhcp-networks`)).body.networks.map((n: { id: string }) => n.id);
      return hosted.includes(network) && me.configurations.networks === hosted.length;
    });
    assert.equal((await agentList(b(), `?host=${hostedOn}`))[0].alive, false);
  });
});
