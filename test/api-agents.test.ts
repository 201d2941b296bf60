/**
 * Agents on every database: registration by heartbeat (new / alive / revived), the agents API
 * with Neutron's fields and policy, availability zones, DHCP and L3 scheduling (automatic, by
 * zone, manual through the scheduler sub-collections) and failover away from dead agents.
 * Heartbeats go straight to the server's agent service here; test/rpc-agents.test.ts sends them
 * over the wire.
 */
import type { BindingChange } from '../src/plugins/agents/scheduler.js';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import type { AgentState } from '../src/plugins/agents/agent-ops.js';
import { agentStamp } from '../src/plugins/agents/agents-repo.js';
import { SERVER_PLUGIN_API } from '../src/agents/server-api.js';
import { RpcClient } from '../src/rpc/rpc-api.js';
import { PLUGIN } from '../src/rpc/topics.js';

const MEMBER = { 'X-Project-Id': 'proj-a', 'X-Roles': 'member' };
const MISSING = '11111111-1111-1111-1111-111111111111';
const dhcp = (host: string, az = 'nova'): AgentState => ({ agent_type: 'DHCP agent', binary: 'nucleon-dhcp-agent', topic: 'dhcp_agent', host, availability_zone: az, configurations: { networks: 0 }, start_flag: true });
const l3 = (host: string, az = 'nova'): AgentState => ({ agent_type: 'L3 agent', binary: 'nucleon-l3-agent', topic: 'l3_agent', host, availability_zone: az, configurations: { agent_mode: 'legacy' }, start_flag: true });

for (const dialect of DIALECTS) {
  describe(`agents on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    // failover after 2 x agent_down_time: short enough for a test, long enough not to be flaky
    const srv = serverFixture(() => dialect.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '2' });
    before(() => srv.start());
    after(() => srv.stop());
    const service = () => srv.running.app.agents;
    /** Every committed change of hosting, as the agent notifier hears it (the `agent_binding` events). */
    const onBindings = (fn: (c: BindingChange) => void) => {
      for (const e of ['after_create', 'after_delete'] as const) srv.running.app.events.subscribe('agent_binding', e, ({ change }) => fn(change));
    };
    const report = (s: AgentState) => service().reportState(s);
    const agentId = async (type: string, host: string) => (await srv.api.get(`/v2.0/agents?agent_type=${encodeURIComponent(type)}&host=${host}`)).body.agents[0].id as string;
    /** Makes an agent look silent since `seconds` ago (as if it had stopped). */
    const age = async (id: string, seconds: number) => {
      const stamp = agentStamp(new Date(Date.now() - seconds * 1000));
      await srv.running.app.database.db.updateTable('agents').set({ heartbeat_timestamp: stamp }).where('id', '=', id).execute();
    };
    const network = async (name: string, extra: Record<string, unknown> = {}) => {
      const net = (await srv.api.post('/v2.0/networks', { network: { name, ...extra } })).body.network;
      assert.ok(net?.id, `network ${name} created`);
      return net.id as string;
    };
    const subnet = async (networkId: string, cidr: string, enable_dhcp = true) =>
      (await srv.api.post('/v2.0/subnets', { subnet: { network_id: networkId, cidr, ip_version: 4, enable_dhcp } })).body.subnet;

    it('advertises the agent and scheduler extensions', async () => {
      const aliases = (await srv.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
      for (const a of ['agent', 'availability_zone', 'availability_zone_filter', 'dhcp_agent_scheduler', 'l3_agent_scheduler', 'router_availability_zone', 'network_availability_zone'])
        assert.ok(aliases.includes(a), a);
      assert.deepEqual((await srv.api.get('/v2.0/extensions/agent')).body.extension, {
        name: 'agent',
        alias: 'agent',
        description: 'The agent management extension.',
        updated: '2013-02-03T10:00:00-00:00',
        links: [],
      });
    });

    it('registers an agent on its first heartbeat and answers new, alive, then revived', async () => {
      assert.equal((await report(dhcp('agt-hv1'))).status, 'new');
      assert.equal((await report({ ...dhcp('agt-hv1'), start_flag: false, configurations: { networks: 3 } })).status, 'alive');
      const id = await agentId('DHCP agent', 'agt-hv1');
      const shown = (await srv.api.get(`/v2.0/agents/${id}`)).body.agent;
      assert.deepEqual(Object.keys(shown), [
        'id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'created_at', 'started_at', 'heartbeat_timestamp',
        'description', 'resources_synced', 'availability_zone', 'alive', 'configurations',
      ]);
      assert.equal(shown.alive, true);
      assert.equal(shown.admin_state_up, true);
      assert.equal(shown.description, null);
      assert.deepEqual(shown.configurations, { networks: 3 });
      assert.match(shown.heartbeat_timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      await age(id, 10);
      const dead = (await srv.api.get(`/v2.0/agents/${id}`)).body.agent;
      assert.equal(dead.alive, false);
      assert.deepEqual((await srv.api.get(`/v2.0/agents?alive=false&host=agt-hv1&fields=host`)).body.agents, [{ host: 'agt-hv1' }]);
      assert.deepEqual((await srv.api.get(`/v2.0/agents?alive=true&host=agt-hv1`)).body.agents, []);
      assert.equal((await report(dhcp('agt-hv1'))).status, 'revived');
      assert.equal((await srv.api.get(`/v2.0/agents/${id}`)).body.agent.alive, true);
      // one row per (type, host), whatever the number of heartbeats
      assert.equal((await srv.api.get('/v2.0/agents?host=agt-hv1')).body.agents.length, 1);
    });

    it('lets admins update and delete agents; others see none and get 404', async () => {
      await report(l3('agt-pol'));
      const id = await agentId('L3 agent', 'agt-pol');
      const upd = await srv.api.put(`/v2.0/agents/${id}`, { agent: { admin_state_up: false, description: 'maintenance' } });
      assert.equal(upd.status, 200);
      assert.deepEqual([upd.body.agent.admin_state_up, upd.body.agent.description], [false, 'maintenance']);
      assert.deepEqual((await srv.api.get(`/v2.0/agents?admin_state_up=false&host=agt-pol&fields=description`)).body.agents, [{ description: 'maintenance' }]);
      // a later heartbeat does not undo what the admin set
      await report(l3('agt-pol'));
      assert.equal((await srv.api.get(`/v2.0/agents/${id}`)).body.agent.admin_state_up, false);

      assert.deepEqual((await srv.api.get('/v2.0/agents', MEMBER)).body.agents, []);
      for (const [method, body] of [['GET', undefined], ['PUT', { agent: { description: 'x' } }], ['DELETE', undefined]] as const) {
        const r = await srv.api.call(method, `/v2.0/agents/${id}`, body, MEMBER);
        assert.equal(r.status, 404, `${method} as member`);
        assert.deepEqual(r.body.NeutronError, { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' });
      }
      const cases: Array<[string, string, unknown, number, string, string]> = [
        ['PUT', `/v2.0/agents/${id}`, { agent: { host: 'x' } }, 400, 'HTTPBadRequest', 'Cannot update read-only attribute host'],
        ['PUT', `/v2.0/agents/${id}`, { agent: { admin_state_up: 'maybe' } }, 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean."],
        ['PUT', `/v2.0/agents/${MISSING}`, { agent: { description: 'x' } }, 404, 'AgentNotFound', `Agent ${MISSING} could not be found.`],
        ['GET', `/v2.0/agents/${MISSING}`, undefined, 404, 'AgentNotFound', `Agent ${MISSING} could not be found.`],
        ['DELETE', `/v2.0/agents/${MISSING}`, undefined, 404, 'AgentNotFound', `Agent ${MISSING} could not be found.`],
        ['GET', '/v2.0/agents?bogus=1', undefined, 400, 'HTTPBadRequest', "['bogus'] is invalid attribute for filtering"],
      ];
      for (const [method, path, body, status, type, message] of cases) {
        const r = await srv.api.call(method, path, body);
        assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}`);
        assert.deepEqual([r.body.NeutronError.type, r.body.NeutronError.message], [type, message]);
      }
      assert.equal((await srv.api.post('/v2.0/agents', { agent: { host: 'x' } })).status, 400);
      assert.equal((await srv.api.del(`/v2.0/agents/${id}`)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/agents/${id}`)).status, 404);
    });

    it('lists availability zones of DHCP and L3 agents and checks zone hints against them', async () => {
      await report(dhcp('agt-az1', 'zone-a'));
      await report(l3('agt-az2', 'zone-b'));
      const zones = (await srv.api.get('/v2.0/availability_zones', MEMBER)).body.availability_zones;
      assert.ok(zones.some((z: Record<string, string>) => z.name === 'zone-a' && z.resource === 'network' && z.state === 'available'));
      assert.ok(zones.some((z: Record<string, string>) => z.name === 'zone-b' && z.resource === 'router' && z.state === 'available'));
      assert.deepEqual((await srv.api.get('/v2.0/availability_zones?resource=router&name=zone-b')).body.availability_zones, [{ state: 'available', name: 'zone-b', resource: 'router' }]);
      const bad = await srv.api.post('/v2.0/networks', { network: { name: 'agt-az-bad', availability_zone_hints: ['zone-b'] } });
      assert.equal(bad.status, 404);
      assert.deepEqual(bad.body.NeutronError.type, 'AvailabilityZoneNotFound');
      assert.equal(bad.body.NeutronError.message, 'AvailabilityZone zone-b could not be found.');
      const r = await srv.api.post('/v2.0/routers', { router: { name: 'agt-az-r', availability_zone_hints: ['zone-b'] } });
      assert.equal(r.status, 201);
      assert.deepEqual(r.body.router.availability_zone_hints, ['zone-b']);
      assert.equal((await srv.api.post('/v2.0/routers', { router: { name: 'agt-az-r2', availability_zone_hints: ['zone-a'] } })).status, 404);
    });

    it('schedules a network with DHCP onto the least loaded live DHCP agent of its zone', async () => {
      await report(dhcp('agt-s1', 'zone-s'));
      await report(dhcp('agt-s2', 'zone-s'));
      const seen = new Set<string>();
      onBindings((c) => seen.add(`${c.op} ${c.kind} ${c.id} ${c.host}`));
      const nets: string[] = [];
      for (const i of [1, 2]) {
        const id = await network(`agt-sn${i}`, { availability_zone_hints: ['zone-s'] });
        assert.deepEqual((await srv.api.get(`/v2.0/networks/${id}/dhcp-agents`)).body.agents, [], 'no DHCP agent before a subnet');
        await subnet(id, `10.77.${i}.0/24`);
        nets.push(id);
      }
      const hosts = await Promise.all(nets.map(async (id) => (await srv.api.get(`/v2.0/networks/${id}/dhcp-agents`)).body.agents.map((a: { host: string }) => a.host)));
      assert.deepEqual(hosts.flat().sort(), ['agt-s1', 'agt-s2'], 'one network each');
      assert.ok(seen.has(`added network ${nets[0]} ${hosts[0][0]}`), 'the binding was published after commit');
      const net = (await srv.api.get(`/v2.0/networks/${nets[0]}`)).body.network;
      assert.deepEqual([net.availability_zone_hints, net.availability_zones], [['zone-s'], ['zone-s']]);
      // a network without DHCP is not scheduled
      const plain = await network('agt-nodhcp', { availability_zone_hints: ['zone-s'] });
      await subnet(plain, '10.77.9.0/24', false);
      assert.deepEqual((await srv.api.get(`/v2.0/networks/${plain}/dhcp-agents`)).body.agents, []);
      // the agent's side of it
      const s1 = await agentId('DHCP agent', 'agt-s1');
      const onS1 = (await srv.api.get(`/v2.0/agents/${s1}/dhcp-networks`)).body.networks.map((n: { id: string }) => n.id);
      assert.equal(onS1.length, 1);
      assert.ok(nets.includes(onS1[0]));
    });

    it('adds and removes networks on DHCP agents by hand, with Neutron\'s errors', async () => {
      await report(dhcp('agt-m1', 'zone-m'));
      const agent = await agentId('DHCP agent', 'agt-m1');
      const net = await network('agt-mn');
      const path = `/v2.0/agents/${agent}/dhcp-networks`;
      assert.equal((await srv.api.post(path, { network_id: net })).status, 201);
      assert.deepEqual((await srv.api.get(path)).body.networks.map((n: { id: string }) => n.id), [net]);
      let r = await srv.api.post(path, { network_id: net });
      assert.deepEqual([r.status, r.body.NeutronError.type, r.body.NeutronError.message], [409, 'NetworkHostedByDHCPAgent', `The network ${net} has been already hosted by the DHCP Agent ${agent}.`]);
      r = await srv.api.post(path, { network_id: 'x' });
      assert.deepEqual([r.status, r.body.NeutronError.type, r.body.NeutronError.message], [400, 'HTTPBadRequest', "Invalid input for network_id. Reason: 'x' is not a valid UUID."]);
      r = await srv.api.post(path, 'not json');
      assert.equal(r.status, 400);
      r = await srv.api.post(path, { network_id: MISSING });
      assert.deepEqual([r.status, r.body.NeutronError.type], [404, 'NetworkNotFound']);
      r = await srv.api.post(path, { network_id: net }, MEMBER);
      assert.deepEqual([r.status, r.body.NeutronError.type], [403, 'PolicyNotAuthorized']);
      assert.equal((await srv.api.get(path, MEMBER)).status, 403);
      assert.equal((await srv.api.get(`/v2.0/networks/${net}/dhcp-agents`, MEMBER)).status, 403);
      const l3id = (await report(l3('agt-m2'))).agent.id;
      r = await srv.api.post(`/v2.0/agents/${l3id}/dhcp-networks`, { network_id: net });
      assert.deepEqual([r.status, r.body.NeutronError.type, r.body.NeutronError.message], [404, 'InvalidDHCPAgent', `Agent ${l3id} is not a valid DHCP Agent or has been disabled.`]);
      assert.equal((await srv.api.del(`${path}/${net}`)).status, 204);
      r = await srv.api.del(`${path}/${net}`);
      assert.deepEqual([r.status, r.body.NeutronError.type, r.body.NeutronError.message], [409, 'NetworkNotHostedByDhcpAgent', `The network ${net} is not hosted by the DHCP Agent ${agent}.`]);
      assert.deepEqual((await srv.api.get(path)).body.networks, []);
      r = await srv.api.get(`/v2.0/agents/${MISSING}/dhcp-networks`);
      assert.deepEqual([r.status, r.body.NeutronError.type], [404, 'AgentNotFound']);
    });

    it('schedules routers onto L3 agents, moves them by hand, and a new agent takes unhosted ones', async () => {
      const router = (await srv.api.post('/v2.0/routers', { router: { name: 'agt-r0' } })).body.router.id;
      const first = (await srv.api.get(`/v2.0/routers/${router}/l3-agents`)).body.agents.map((a: { host: string }) => a.host);
      assert.equal(first.length, 1, 'an L3 agent from an earlier test hosts it (every router gets one)');
      const a = (await report(l3('agt-l1', 'zone-l'))).agent.id;
      const b = (await report(l3('agt-l2', 'zone-l'))).agent.id;
      const r1 = (await srv.api.post('/v2.0/routers', { router: { name: 'agt-r1', availability_zone_hints: ['zone-l'] } })).body.router;
      const hosting = (await srv.api.get(`/v2.0/routers/${r1.id}/l3-agents`)).body.agents;
      assert.equal(hosting.length, 1);
      assert.ok(['agt-l1', 'agt-l2'].includes(hosting[0].host));
      assert.deepEqual((await srv.api.get(`/v2.0/routers/${r1.id}`)).body.router.availability_zones, ['zone-l']);
      const other = hosting[0].host === 'agt-l1' ? b : a;
      assert.equal((await srv.api.post(`/v2.0/agents/${other}/l3-routers`, { router_id: r1.id })).status, 201);
      assert.deepEqual((await srv.api.get(`/v2.0/routers/${r1.id}/l3-agents`)).body.agents.map((x: { id: string }) => x.id), [other], 'moved, not copied');
      const again = await srv.api.post(`/v2.0/agents/${other}/l3-routers`, { router_id: r1.id });
      assert.deepEqual([again.status, again.body.NeutronError.type], [409, 'RouterHostedByL3Agent']);
      assert.deepEqual((await srv.api.get(`/v2.0/agents/${other}/l3-routers`)).body.routers.map((x: { id: string }) => x.id), [r1.id]);
      assert.equal((await srv.api.del(`/v2.0/agents/${other}/l3-routers/${r1.id}`)).status, 204);
      const gone = await srv.api.del(`/v2.0/agents/${other}/l3-routers/${r1.id}`);
      assert.deepEqual([gone.status, gone.body.NeutronError.type], [409, 'RouterNotHostedByL3Agent']);
      // now unhosted: the next L3 agent that starts in its zone takes it
      const c = (await report(l3('agt-l3', 'zone-l'))).agent.id;
      assert.deepEqual((await srv.api.get(`/v2.0/routers/${r1.id}/l3-agents`)).body.agents.map((x: { id: string }) => x.id), [c]);
      // a disabled agent gets nothing
      const disabled = await srv.api.put(`/v2.0/agents/${a}`, { agent: { admin_state_up: false } });
      assert.equal(disabled.status, 200);
      const refused = await srv.api.post(`/v2.0/agents/${a}/l3-routers`, { router_id: r1.id });
      assert.deepEqual([refused.status, refused.body.NeutronError.type], [404, 'InvalidL3Agent']);
    });

    it('moves networks off DHCP agents silent for twice agent_down_time', async () => {
      const told: string[] = [];
      onBindings((c) => told.push(`${c.op} ${c.id} ${c.agentId}`));
      const d1 = (await report(dhcp('agt-f1', 'zone-f'))).agent.id;
      const net = await network('agt-fn', { availability_zone_hints: ['zone-f'] });
      await subnet(net, '10.78.0.0/24');
      const hosts = async () => (await srv.api.get(`/v2.0/networks/${net}/dhcp-agents`)).body.agents.map((x: { id: string }) => x.id);
      assert.deepEqual(await hosts(), [d1]);
      const d2 = (await report(dhcp('agt-f2', 'zone-f'))).agent.id;
      assert.deepEqual(await hosts(), [d1], 'a hosted network stays put');
      await age(d1, 3); // dead (> 2 s) but not yet failed over (4 s)
      await report({ ...dhcp('agt-f2', 'zone-f'), start_flag: false });
      await service().rescheduleDead();
      assert.deepEqual(await hosts(), [d1]);
      await age(d1, 10);
      await report({ ...dhcp('agt-f2', 'zone-f'), start_flag: false });
      // the server's own periodic check (every agent_down_time / 2) may get there first: either way
      await service().rescheduleDead();
      assert.deepEqual(await hosts(), [d2]);
      assert.ok(told.includes(`removed ${net} ${d1}`) && told.includes(`added ${net} ${d2}`), told.join('; '));
      // nothing moves when no agent of the kind is alive (the server may be the one cut off)
      for (const a of (await srv.api.get('/v2.0/agents?agent_type=DHCP%20agent')).body.agents) await age(a.id, 10);
      assert.deepEqual((await service().rescheduleDead()).filter((ch) => ch.id === net), []);
      assert.deepEqual(await hosts(), [d2]);
    });

    it('gives a DHCP agent one DHCP port per network over RPC: reused, extended to new subnets, moved with the host, released', async () => {
      const plugin = new RpcClient(srv.running.app.transport, SERVER_PLUGIN_API, PLUGIN);
      const net = await network('agt-dhcp-port');
      const s1 = await subnet(net, '10.79.0.0/24');
      const deviceId = `dhcp00000000-0000-5000-8000-000000000000-${net}`;
      const ask = (host: string, subnets: string[]) =>
        plugin.call('create_dhcp_port', { host, port: { port: { network_id: net, device_id: deviceId, fixed_ips: subnets.map((subnet_id) => ({ subnet_id })) } } });
      const made = await ask('agt-dp1', [s1.id]);
      assert.equal(made.device_owner, 'network:dhcp');
      assert.equal(made['binding:host_id'], 'agt-dp1');
      assert.equal(made.port_security_enabled, false);
      assert.equal(made.project_id, (await srv.api.get(`/v2.0/networks/${net}`)).body.network.project_id);
      assert.deepEqual((made.fixed_ips as Array<{ subnet_id: string }>).map((ip) => ip.subnet_id), [s1.id]);
      const again = await ask('agt-dp1', [s1.id]);
      assert.equal(again.id, made.id, 'the existing port is reused');
      assert.deepEqual(again.fixed_ips, made.fixed_ips);
      const s2 = await subnet(net, '10.80.0.0/24');
      const grown = await ask('agt-dp2', [s1.id, s2.id]);
      assert.equal(grown.id, made.id);
      assert.equal(grown['binding:host_id'], 'agt-dp2', 'bound to the asking host');
      assert.deepEqual((grown.fixed_ips as Array<{ subnet_id: string; ip_address: string }>).map((ip) => ip.subnet_id).sort(), [s1.id, s2.id].sort());
      assert.ok((grown.fixed_ips as unknown[]).some((ip) => JSON.stringify(ip) === JSON.stringify((made.fixed_ips as unknown[])[0])), 'its first address is kept');
      const listed = (await srv.api.get(`/v2.0/ports?network_id=${net}&device_owner=network:dhcp`)).body.ports;
      assert.deepEqual(listed.map((p: { id: string }) => p.id), [made.id]);
      await assert.rejects(plugin.call('create_dhcp_port', { host: 'agt-dp1', port: {} as never }), (err: Error) => /InvalidInput/.test(`${(err as { excType?: string }).excType} ${err.message}`));
      assert.equal(await plugin.call('release_dhcp_port', { host: 'agt-dp2', network_id: net, device_id: deviceId }), null);
      assert.equal((await srv.api.get(`/v2.0/ports/${made.id}`)).status, 404);
      assert.equal(await plugin.call('release_dhcp_port', { host: 'agt-dp2', network_id: net, device_id: deviceId }), null, 'releasing again is nothing');
    });
  });
}
