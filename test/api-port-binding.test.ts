/**
 * Port binding through the linuxbridge mechanism driver on every database: a port on a host with
 * a live Linux bridge agent that reaches its network is bound (`bridge`, Neutron's vif_details);
 * otherwise `binding_failed`; without a host `unbound`. A failed binding is retried on update.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import type { AgentState } from '../src/plugins/agents/agent-ops.js';
import { agentStamp } from '../src/plugins/agents/agents-repo.js';

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
    const srv = serverFixture(() => dialect.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '5', NUCLEON_ML2_TYPE_VLAN__NETWORK_VLAN_RANGES: 'physnet1:100:200' });
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
      await report(l2('bind-hv1', { tunnel_types: ['vxlan'], bridge_mappings: { physnet1: 'br-ex' }, interface_mappings: {} }));
      await report(l2('bind-hv2', { tunnel_types: [], bridge_mappings: {}, interface_mappings: {} }));
      const vx = await net({ name: 'bind-vx' });
      const flat1 = await net({ name: 'bind-f1', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' });
      const flat2 = await net({ name: 'bind-f2', 'provider:network_type': 'flat', 'provider:physical_network': 'physnet2' });
      const vlan = await net({ name: 'bind-v', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' });

      assert.deepEqual(vif(await port(vx)), ['unbound', {}]);
      assert.deepEqual(vif(await port(vx, { 'binding:host_id': 'bind-hv1' })), ['bridge', { port_filter: true, connectivity: 'l2' }]);
      assert.deepEqual(vif(await port(flat1, { 'binding:host_id': 'bind-hv1' })), ['bridge', { port_filter: true, connectivity: 'l2' }]);
      assert.deepEqual(vif(await port(vlan, { 'binding:host_id': 'bind-hv1' })), ['bridge', { port_filter: true, connectivity: 'l2' }]);
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
  });
}
