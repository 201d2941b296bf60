/**
 * Port binding through the linuxbridge mechanism driver on every database: a port on a host with
 * a live Linux bridge agent that reaches its network is bound (`bridge`, Neutron's vif_details);
 * otherwise `binding_failed`; without a host `unbound`. A failed binding is retried on update. A bound
 * port goes ACTIVE once its provisioning blocks are cleared (the L2 agent's device up, the DHCP agent's ready).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import type { AgentState } from '../src/plugins/agents/agent-ops.js';
import { agentStamp } from '../src/plugins/agents/agents-repo.js';
import { RpcClient } from '../src/rpc/rpc-api.js';
import { SERVER_PLUGIN_API } from '../src/agents/server-api.js';
import { PLUGIN } from '../src/rpc/topics.js';

const l2 = (host: string, configurations: Record<string, unknown>): AgentState => ({
  agent_type: 'Linux bridge agent',
  binary: 'nucleon-linuxbridge-agent',
  topic: 'N/A',
  host,
  configurations,
  start_flag: true,
});

for (const dialect of DIALECTS) {
  describe(`port binding on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '5', NUCLEON_ML2_TYPE_VLAN__NETWORK_VLAN_RANGES: 'physnet1:100:200,physnet3:100:200' });
    before(() => srv.start());
    after(() => srv.stop());
    const report = (s: AgentState) => srv.running.app.agents.reportState(s);
    const net = async (body: Record<string, unknown>) => (await srv.api.post('/v2.0/networks', { network: body })).body.network.id as string;
    const port = async (networkId: string, extra: Record<string, unknown> = {}) => {
      const r = await srv.api.post('/v2.0/ports', { port: { network_id: networkId, ...extra } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.port;
    };
    const vif = (p: Record<string, unknown>) => [p['binding:vif_type'], p['binding:vif_details']];

    it('binds a port on a host whose Linux bridge agent reaches the network, and fails where none does', async () => {
      await report(l2('bind-hv1', { tunnel_types: ['vxlan'], bridge_mappings: { physnet1: 'br-ex' }, interface_mappings: { physnet3: 'eth3' } }));
      await report(l2('bind-hv2', { tunnel_types: [], bridge_mappings: {}, interface_mappings: {} }));
      const vx = await net({ name: 'bind-vx' });
      const flat1 = await net({ name: 'bind-f1', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
      const flat2 = await net({ name: 'bind-f2', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' });
      const vlan = await net({ name: 'bind-v', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet3' });
      const vlanOnBridge = await net({ name: 'bind-vb', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' });

      assert.deepEqual(vif(await port(vx)), ['unbound', {}]);
      assert.deepEqual(vif(await port(vx, { 'binding:host_id': 'bind-hv1' })), ['bridge', { port_filter: true, connectivity: 'l2' }]);
      assert.deepEqual(vif(await port(flat1, { 'binding:host_id': 'bind-hv1' })), ['bridge', { port_filter: true, connectivity: 'l2' }]);
      assert.deepEqual(vif(await port(vlan, { 'binding:host_id': 'bind-hv1' })), ['bridge', { port_filter: true, connectivity: 'l2' }]);
      assert.deepEqual(vif(await port(vlanOnBridge, { 'binding:host_id': 'bind-hv1' })), ['binding_failed', {}], 'a VLAN needs an interface mapping, not a bridge');
      assert.deepEqual(vif(await port(flat2, { 'binding:host_id': 'bind-hv1' })), ['binding_failed', {}], 'physnet2 is not mapped');
      assert.deepEqual(vif(await port(vx, { 'binding:host_id': 'bind-hv2' })), ['binding_failed', {}], 'hv2 has no VXLAN');
      assert.deepEqual(vif(await port(vx, { 'binding:host_id': 'bind-nowhere' })), ['binding_failed', {}], 'no agent there');
      assert.deepEqual(vif(await port(vx, { 'binding:host_id': 'bind-hv1', 'binding:vnic_type': 'direct' })), ['binding_failed', {}], 'linuxbridge binds normal vNICs only');
    });

    it('binds again when the host changes, retries a failed binding, and fails on a dead agent', async () => {
      const vx = await net({ name: 'bind-vx2' });
      const p = await port(vx, { 'binding:host_id': 'bind-later' });
      assert.equal(p['binding:vif_type'], 'binding_failed');
      await report(l2('bind-later', { tunnel_types: ['vxlan'] }));
      const retried = (await srv.api.put(`/v2.0/ports/${p.id}`, { port: { name: 'again' } })).body.port;
      assert.deepEqual(vif(retried), ['bridge', { port_filter: true, connectivity: 'l2' }]);
      const moved = (await srv.api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'bind-elsewhere' } })).body.port;
      assert.deepEqual(vif(moved), ['binding_failed', {}]);
      const unset = (await srv.api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': '' } })).body.port;
      assert.deepEqual(vif(unset), ['unbound', {}]);
      // an agent silent for longer than agent_down_time binds nothing
      const id = (await report(l2('bind-dead', { tunnel_types: ['vxlan'] }))).agent.id;
      const stamp = agentStamp(new Date(Date.now() - 60_000));
      await srv.running.app.database.db.updateTable('agents').set({ heartbeat_timestamp: stamp }).where('id', '=', id).execute();
      assert.equal((await port(vx, { 'binding:host_id': 'bind-dead' }))['binding:vif_type'], 'binding_failed');
      // the binding is what a show and a list return too
      const shown = (await srv.api.get(`/v2.0/ports/${retried.id}`)).body.port;
      assert.equal(shown['binding:vif_type'], 'unbound');
    });

    it('goes ACTIVE once the L2 agent and a DHCP agent that provisions the network have both reported, in either order', async () => {
      const plugin = new RpcClient(srv.running.app.transport, SERVER_PLUGIN_API, PLUGIN);
      await report(l2('prov-hv', { tunnel_types: ['vxlan'] }));
      await report({ agent_type: 'DHCP agent', binary: 'nucleon-dhcp-agent', topic: 'dhcp_agent', host: 'prov-net', configurations: { networks: 0 }, start_flag: true });
      const vx = await net({ name: 'prov-vx' });
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: vx, cidr: '10.31.0.0/24', ip_version: 4 } });
      const status = async (id: string) => (await srv.api.get(`/v2.0/ports/${id}`)).body.port.status;
      const up = (id: string) => plugin.call('update_device_up', { device: `tap${id.slice(0, 11)}`, agent_id: 'l2', host: 'prov-hv' });
      const ready = (id: string) => plugin.call('dhcp_ready_on_ports', { port_ids: [id] });

      const a = (await port(vx, { 'binding:host_id': 'prov-hv' })).id;
      await up(a);
      assert.equal(await status(a), 'DOWN', 'the tap is there, but dnsmasq does not know the port yet');
      await ready(a);
      assert.equal(await status(a), 'ACTIVE');

      const b = (await port(vx, { 'binding:host_id': 'prov-hv' })).id;
      await ready(b);
      assert.equal(await status(b), 'DOWN', 'dnsmasq knows it, the tap is not there yet');
      await up(b);
      assert.equal(await status(b), 'ACTIVE');
      await ready(b);
      assert.equal(await status(b), 'ACTIVE', 'a repeated report changes nothing');

      // a DHCP agent that only follows the servers (no datapath) provisions nothing, so it blocks nothing
      await report({ agent_type: 'DHCP agent', binary: 'nucleon-dhcp-agent', topic: 'dhcp_agent', host: 'prov-net', configurations: { networks: 1, datapath: 'none' }, start_flag: false });
      const c = (await port(vx, { 'binding:host_id': 'prov-hv' })).id;
      await up(c);
      assert.equal(await status(c), 'ACTIVE');
    });
  });
}
