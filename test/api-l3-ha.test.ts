/**
 * HA routers (`l3-ha`) on every database: Neutron's errors for creating and changing them, the
 * project's HA network and VRRP ids, scheduling onto up to max_l3_agents_per_router L3 agents (each
 * with its HA port), `ha_state` in `/routers/{id}/l3-agents`, the agents' RPC (update_ha_routers_states
 * moving the router's ports to the active host, sync_routers' HA fields, get_l2_state for standbys,
 * device reports from another host ignored), manual scheduling, failover leaving HA routers
 * alone, and the clean-up when `ha` goes or the router does. Agents register by heartbeat
 * straight into the server's agent service.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import type { AgentState } from '../src/plugins/agents/agent-ops.js';
import { agentStamp } from '../src/plugins/agents/agents-repo.js';
import { SERVER_PLUGIN_API, type RouterInfo } from '../src/agents/server-api.js';
import { RpcClient } from '../src/rpc/rpc-api.js';
import { PLUGIN } from '../src/rpc/topics.js';

type Dict = Record<string, unknown>;
const MEMBER = (project: string) => ({ 'X-Project-Id': project, 'X-Roles': 'member' });
const ACTIVE_MSG = 'Bad router request: Cannot change HA attribute of active routers. Please set router admin_state_up to False prior to upgrade.';
const l3 = (host: string, az = 'nova'): AgentState => ({ agent_type: 'L3 agent', binary: 'nucleon-l3-agent', topic: 'l3_agent', host, availability_zone: az, configurations: { agent_mode: 'legacy' }, start_flag: true });
const l2 = (host: string): AgentState => ({ agent_type: 'Linux bridge agent', binary: 'nucleon-linuxbridge-agent', topic: 'N/A', host, configurations: { tunnel_types: ['vxlan'], tunneling_ip: `198.18.0.${host.length}` }, start_flag: true });

for (const dialect of DIALECTS) {
  describe(`HA routers on ${dialect.name}`, { skip: await skipReason(dialect), timeout: 180_000 }, () => {
    // two agents per HA router; agents stay alive through the file unless aged on purpose
    const srv = serverFixture(() => dialect.create(), { NUCLEON_DEFAULT__MAX_L3_AGENTS_PER_ROUTER: '2', NUCLEON_DEFAULT__AGENT_DOWN_TIME: '30' });
    before(() => srv.start());
    after(() => srv.stop());
    const api = () => srv.api;
    const report = (s: AgentState) => srv.running.app.agents.reportState(s);
    const rpc = () => new RpcClient(srv.running.app.transport, SERVER_PLUGIN_API, PLUGIN);
    const db = () => srv.running.app.database.db;
    const age = async (id: string, seconds: number) =>
      db().updateTable('agents').set({ heartbeat_timestamp: agentStamp(new Date(Date.now() - seconds * 1000)) }).where('id', '=', id).execute();
    const router = async (body: Dict, headers?: Record<string, string>) => {
      const r = await api().post('/v2.0/routers', { router: body }, headers);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.router as Dict & { id: string };
    };
    const hosts = async (id: string) =>
      ((await api().get(`/v2.0/routers/${id}/l3-agents`)).body.agents as Array<{ host: string; ha_state: string | null }>).map((a) => [a.host, a.ha_state]).sort();
    const haNetworks = async (project: string) => (await api().get(`/v2.0/networks?name=${encodeURIComponent(`HA network tenant ${project}`)}`)).body.networks as Dict[];
    const haPorts = async (routerId: string) =>
      ((await api().get(`/v2.0/ports?device_id=${routerId}&device_owner=network:router_ha_interface`)).body.ports as Dict[]).map((p) => p['binding:host_id']).sort();

    before(async () => {
      for (const h of ['ha-net1', 'ha-net2', 'ha-net3']) {
        await report(l3(h, 'zone-ha'));
        await report(l2(h));
      }
    });

    it('refuses a change of ha on an active router with Neutron\'s error, and takes it with admin_state_up false', async () => {
      const r = await router({ name: 'ha-mig', availability_zone_hints: ['zone-ha'] });
      assert.equal(r.ha, false);
      let res = await api().put(`/v2.0/routers/${r.id}`, { router: { ha: true } });
      assert.deepEqual([res.status, res.body.NeutronError], [400, { type: 'BadRequest', message: ACTIVE_MSG, detail: '' }]);
      // the same value, or null, is no change: allowed while up
      assert.equal((await api().put(`/v2.0/routers/${r.id}`, { router: { ha: false } })).status, 200);
      // down in the same request: the router as the update leaves it decides (as the reference answers)
      res = await api().put(`/v2.0/routers/${r.id}`, { router: { ha: true, admin_state_up: false } });
      assert.deepEqual([res.status, res.body.router?.ha, res.body.router?.admin_state_up], [200, true, false]);
      assert.equal((await hosts(r.id)).length, 2, 'scheduled again, on two agents');
      assert.equal((await haPorts(r.id)).length, 2);
      res = await api().put(`/v2.0/routers/${r.id}`, { router: { ha: false, admin_state_up: true } });
      assert.deepEqual([res.status, res.body.NeutronError?.type], [400, 'BadRequest']);
      res = await api().put(`/v2.0/routers/${r.id}`, { router: { ha: false } });
      assert.deepEqual([res.status, res.body.router?.ha], [200, false]);
      assert.deepEqual((await hosts(r.id)).map(([, s]) => s), [null], 'one agent, no ha_state');
      assert.deepEqual(await haPorts(r.id), []);
      assert.deepEqual(await haNetworks(r.project_id as string), [], 'the project\'s HA network went with its last HA router');
    });

    it('keeps ha to admins: members may neither set nor see it', async () => {
      const p = MEMBER('proj-ha-m');
      const r = await api().post('/v2.0/routers', { router: { name: 'ha-m', ha: true } }, p);
      assert.deepEqual([r.status, r.body.NeutronError.type], [403, 'PolicyNotAuthorized']);
      const own = await router({ name: 'ha-m-own' }, p);
      assert.ok(!('ha' in own));
    });

    it('creates the project\'s HA network, a VRRP id and an HA port per agent on up to max_l3_agents_per_router agents', async () => {
      const project = 'proj-ha-1';
      const r1 = await router({ name: 'ha-1', ha: true, project_id: project, availability_zone_hints: ['zone-ha'] });
      assert.equal(r1.ha, true);
      assert.ok(!('ha_vr_id' in r1), 'ha_vr_id is not an API attribute');
      const [net] = await haNetworks(project);
      assert.ok(net, 'HA network made');
      assert.deepEqual([net.project_id, net.tenant_id, net.shared, net['router:external'], net.admin_state_up], ['', '', false, false, true]);
      const subnets = (await api().get(`/v2.0/subnets?network_id=${net.id}`)).body.subnets as Dict[];
      assert.deepEqual(
        subnets.map((s) => [s.name, s.cidr, s.enable_dhcp, s.gateway_ip, s.project_id]),
        [[`HA subnet tenant ${project}`, '169.254.192.0/18', false, null, '']],
      );
      // invisible to the project itself (owned by no project, not shared)
      assert.deepEqual((await api().get(`/v2.0/networks/${net.id}`, MEMBER(project))).status, 404);
      const agents = await hosts(r1.id);
      assert.equal(agents.length, 2, JSON.stringify(agents));
      assert.deepEqual(agents.map(([, s]) => s), ['standby', 'standby']);
      const ports = (await api().get(`/v2.0/ports?device_id=${r1.id}&device_owner=network:router_ha_interface`)).body.ports as Dict[];
      assert.deepEqual(ports.map((p) => p['binding:host_id']).sort(), agents.map(([h]) => h));
      for (const p of ports) {
        assert.deepEqual([p.network_id, p.project_id, p.name, p.device_id], [net.id, '', `HA port tenant ${project}`, r1.id]);
        assert.match((p.fixed_ips as Array<{ ip_address: string }>)[0].ip_address, /^169\.254\./);
      }
      const vr = async (id: string) => (await db().selectFrom('routers').select('ha_vr_id').where('id', '=', id).executeTakeFirstOrThrow()).ha_vr_id;
      const r2 = await router({ name: 'ha-2', ha: true, project_id: project, availability_zone_hints: ['zone-ha'] });
      assert.deepEqual([await vr(r1.id), await vr(r2.id)], [1, 2], 'VRRP ids unique within the HA network');
      assert.equal((await haNetworks(project)).length, 1, 'one HA network per project');
      // an HA router's interfaces are replicated interfaces
      const n = (await api().post('/v2.0/networks', { network: { name: 'ha-int', project_id: project } })).body.network;
      const s = (await api().post('/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.91.0.0/24', ip_version: 4, project_id: project } })).body.subnet;
      const added = await api().put(`/v2.0/routers/${r1.id}/add_router_interface`, { subnet_id: s.id });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal((await api().get(`/v2.0/ports/${added.body.port_id}`)).body.port.device_owner, 'network:ha_router_replicated_interface');
      // deleting: ports, bindings and VRRP ids go; the network with the project's last HA router
      assert.equal((await api().put(`/v2.0/routers/${r1.id}/remove_router_interface`, { subnet_id: s.id })).status, 200);
      assert.equal((await api().del(`/v2.0/routers/${r1.id}`)).status, 204);
      assert.equal((await haNetworks(project)).length, 1, 'still used by ha-2');
      assert.equal((await db().selectFrom('ha_router_vrid_allocations').select('vr_id').where('network_id', '=', net.id as string).execute()).length, 1);
      assert.equal((await api().del(`/v2.0/routers/${r2.id}`)).status, 204);
      assert.deepEqual(await haNetworks(project), []);
      assert.equal((await db().selectFrom('ha_router_agent_port_bindings').selectAll().execute()).filter((b) => [r1.id, r2.id].includes(b.router_id)).length, 0);
    });

    it('follows the active agent: state recorded, ports bound to its host, sync_routers and get_l2_state for the standby', async () => {
      const project = 'proj-ha-2';
      const ext = (await api().post('/v2.0/networks', { network: { name: 'ha-ext', 'router:external': true } })).body.network;
      await api().post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4 } });
      const n = (await api().post('/v2.0/networks', { network: { name: 'ha-int2', project_id: project } })).body.network;
      const s = (await api().post('/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.92.0.0/24', ip_version: 4, project_id: project } })).body.subnet;
      const r = await router({ name: 'ha-act', ha: true, project_id: project, availability_zone_hints: ['zone-ha'], external_gateway_info: { network_id: ext.id } });
      const iface = (await api().put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: s.id })).body.port_id as string;
      const [active, standby] = (await hosts(r.id)).map(([h]) => h as string);
      const client = rpc();

      // syncing binds nothing of an HA router while no agent is active
      for (const host of [active, standby]) await client.call('sync_routers', { host, router_ids: [r.id] });
      const gw = (await api().get(`/v2.0/ports?device_id=${r.id}&device_owner=network:router_gateway`)).body.ports[0];
      assert.equal(gw['binding:host_id'], '');
      assert.equal((await api().get(`/v2.0/ports/${iface}`)).body.port['binding:host_id'], '');

      assert.equal(await client.call('update_ha_routers_states', { host: active, states: { [r.id]: 'active' } }), null);
      await client.call('update_ha_routers_states', { host: standby, states: { [r.id]: 'fault' } });
      assert.deepEqual(await hosts(r.id), [[active, 'active'], [standby, 'standby']].sort());
      assert.equal((await api().get(`/v2.0/ports/${iface}`)).body.port['binding:host_id'], active);
      assert.equal((await api().get(`/v2.0/ports/${gw.id}`)).body.port['binding:host_id'], active);
      // the standby's sync does not take them
      await client.call('sync_routers', { host: standby, router_ids: [r.id] });
      assert.equal((await api().get(`/v2.0/ports/${iface}`)).body.port['binding:host_id'], active);
      await assert.rejects(client.call('update_ha_routers_states', { host: active, states: { [r.id]: 'master' as never } }), /InvalidInput/);

      const [info] = (await client.call('sync_routers', { host: standby, router_ids: [r.id] })) as RouterInfo[];
      assert.equal(info.ha, true);
      assert.equal(typeof info.ha_vr_id, 'number');
      assert.equal(info._ha_state, 'standby');
      const haPort = info._ha_interface!;
      assert.equal(haPort.device_owner, 'network:router_ha_interface');
      assert.equal(haPort['binding:host_id'], standby);
      assert.equal(haPort.subnets[0].cidr, '169.254.192.0/18');
      assert.equal(haPort.fixed_ips[0].prefixlen, 18);
      assert.ok(haPort.mtu > 0);
      assert.deepEqual(info._interfaces.map((p) => p.id), [iface], 'the HA port is not an interface');
      assert.equal(info.gw_port?.id, gw.id);
      // an agent that does not host it is not given it
      await report(l3('ha-other', 'zone-other'));
      assert.deepEqual(await client.call('sync_routers', { host: 'ha-other', router_ids: [r.id] }), []);
      // nor does its report about it move anything
      await client.call('update_ha_routers_states', { host: 'ha-other', states: { [r.id]: 'active' } });
      assert.equal((await api().get(`/v2.0/ports/${iface}`)).body.port['binding:host_id'], active);

      // the standby host's L2 agent wires the router's ports too; its reports about them change nothing
      const l2s = await client.call('get_l2_state', { host: standby });
      const wired = new Set(l2s.ports.map((p) => p.id));
      for (const id of [iface, gw.id, haPort.id]) assert.ok(wired.has(id), `${id} wired on the standby`);
      const statusOf = async (id: string) => (await api().get(`/v2.0/ports/${id}`)).body.port.status;
      const before = await statusOf(iface);
      assert.deepEqual(await client.call('update_device_up', { device: `tap${iface.slice(0, 11)}`, agent_id: 'x', host: standby }), { device: `tap${iface.slice(0, 11)}`, exists: true });
      assert.equal(await statusOf(iface), before);
      await client.call('update_device_up', { device: `tap${iface.slice(0, 11)}`, agent_id: 'x', host: active });
      assert.equal(await statusOf(iface), 'ACTIVE');
      await client.call('update_device_down', { device: `tap${iface.slice(0, 11)}`, agent_id: 'x', host: standby });
      assert.equal(await statusOf(iface), 'ACTIVE', 'a down from the standby is ignored');

      // failover: the active agent dies; the router stays on it, its state shows standby (the other one takes over)
      const activeId = (await api().get(`/v2.0/agents?host=${active}&agent_type=L3%20agent`)).body.agents[0].id;
      await age(activeId, 100);
      await srv.running.app.agents.rescheduleDead();
      assert.deepEqual(await hosts(r.id), [[active, 'standby'], [standby, 'standby']].sort());
      await client.call('update_ha_routers_states', { host: standby, states: { [r.id]: 'active' } });
      assert.equal((await api().get(`/v2.0/ports/${iface}`)).body.port['binding:host_id'], standby);
      await report(l3(active, 'zone-ha'));

      await api().put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: s.id });
      await api().put(`/v2.0/routers/${r.id}`, { router: { external_gateway_info: null } });
      assert.equal((await api().del(`/v2.0/routers/${r.id}`)).status, 204);
      assert.deepEqual(await haNetworks(project), []);
    });

    it('schedules by hand (one more agent with its HA port, or one less), and a new agent fills an HA router up', async () => {
      const project = 'proj-ha-3';
      const r = await router({ name: 'ha-man', ha: true, project_id: project, availability_zone_hints: ['zone-ha'] });
      const first = (await hosts(r.id)).map(([h]) => h);
      const agentList = (await api().get('/v2.0/agents?agent_type=L3%20agent&availability_zone=zone-ha')).body.agents as Array<{ id: string; host: string }>;
      const spare = agentList.find((a) => !first.includes(a.host))!;
      assert.equal((await api().post(`/v2.0/agents/${spare.id}/l3-routers`, { router_id: r.id })).status, 201);
      assert.equal((await hosts(r.id)).length, 3, 'added, nothing moved');
      assert.deepEqual(await haPorts(r.id), [...first, spare.host].sort());
      const again = await api().post(`/v2.0/agents/${spare.id}/l3-routers`, { router_id: r.id });
      assert.deepEqual([again.status, again.body.NeutronError.type], [409, 'RouterHostedByL3Agent']);
      for (const h of [spare.host, first[0]]) {
        const id = agentList.find((a) => a.host === h)!.id;
        assert.equal((await api().del(`/v2.0/agents/${id}/l3-routers/${r.id}`)).status, 204);
      }
      assert.deepEqual(await haPorts(r.id), [first[1]]);
      // an agent (re)starting takes the HA router that lacks one
      const taker = agentList.find((a) => a.host === first[0])!;
      await report(l3(taker.host, 'zone-ha'));
      assert.deepEqual(await haPorts(r.id), [first[1], taker.host].sort());
      assert.equal((await api().del(`/v2.0/routers/${r.id}`)).status, 204);
    });

    it('creates HA routers by [DEFAULT] l3_ha, and refuses the 255th of a project with NoVRIDAvailable', async () => {
      const project = 'proj-ha-vr';
      // fill the project's HA network's VRRP ids up to 253, directly
      const first = await router({ name: 'ha-vr-1', ha: true, project_id: project });
      const [net] = await haNetworks(project);
      await db().insertInto('ha_router_vrid_allocations').values(Array.from({ length: 253 }, (_, i) => ({ network_id: net.id as string, vr_id: i + 2 }))).execute();
      const res = await api().post('/v2.0/routers', { router: { name: 'ha-vr-x', ha: true, project_id: project } });
      assert.equal(res.status, 409);
      assert.equal(res.body.NeutronError.type, 'NoVRIDAvailable');
      assert.match(res.body.NeutronError.message, /^No more Virtual Router Identifier \(VRID\) available when creating router [0-9a-f-]{36}\. The limit of number of HA Routers per tenant is 254\.$/);
      await db().deleteFrom('ha_router_vrid_allocations').where('network_id', '=', net.id as string).where('vr_id', '>', 1).execute();
      assert.equal((await api().del(`/v2.0/routers/${first.id}`)).status, 204);
    });
  });
}

describe('[DEFAULT] l3_ha makes routers created without ha HA routers (sqlite)', () => {
  const srv = serverFixture(() => DIALECTS[0].create(), { NUCLEON_DEFAULT__L3_HA: 'true' });
  before(() => srv.start());
  after(() => srv.stop());
  it('defaults ha to true; ha false still asks for a legacy router', async () => {
    const r = await srv.api.post('/v2.0/routers', { router: { name: 'dflt' } });
    assert.deepEqual([r.status, r.body.router.ha], [201, true]);
    const l = await srv.api.post('/v2.0/routers', { router: { name: 'legacy', ha: false } });
    assert.equal(l.body.router.ha, false);
    const nets = (await srv.api.get('/v2.0/networks')).body.networks as Dict[];
    assert.ok(nets.some((n) => String(n.name).startsWith('HA network tenant ')));
  });
});
