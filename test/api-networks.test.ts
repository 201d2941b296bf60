/** Networks over HTTP on every database: defaults, provider segments, updates, revisions, bulk, delete. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const STAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

for (const dialect of DIALECTS) {
  describe(`networks on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create(), {
      NUCLEON_ML2_TYPE_VLAN__NETWORK_VLAN_RANGES: 'physnet1:1000:1999,physnet2',
      NUCLEON_ML2_TYPE_FLAT__FLAT_NETWORKS: 'public,physnet3',
    });
    before(() => srv.start());
    after(() => srv.stop());

    it('creates a network with Neutron defaults and both project fields', async () => {
      const r = await srv.api.post('/v2.0/networks', { network: { name: 'n1' } });
      assert.equal(r.status, 201);
      const n = r.body.network;
      assert.equal(n.name, 'n1');
      assert.equal(n.status, 'ACTIVE');
      assert.equal(n.admin_state_up, true);
      assert.equal(n.shared, false);
      assert.equal(n['router:external'], false);
      assert.equal(n.port_security_enabled, true);
      assert.equal(n.project_id, 'fake_project_id');
      assert.equal(n.tenant_id, 'fake_project_id');
      assert.equal(n['provider:network_type'], 'vxlan');
      assert.equal(n['provider:physical_network'], null);
      assert.ok(n['provider:segmentation_id'] >= 1 && n['provider:segmentation_id'] <= 1000);
      assert.equal(n.mtu, 1450, 'VXLAN overhead subtracted from 1500');
      assert.deepEqual(n.subnets, []);
      assert.deepEqual(n.tags, []);
      assert.deepEqual(n.availability_zone_hints, []);
      assert.equal(n.description, '');
      assert.equal(n.revision_number, 1);
      assert.match(n.created_at, STAMP);
      assert.match(n.updated_at, STAMP);
      assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f-]{36}$/);
    });

    it('takes the project from X-Project-Id when the body has none', async () => {
      const r = await srv.api.post('/v2.0/networks', { network: { name: 'mine' } }, { 'X-Project-Id': 'p-alpha', 'X-Roles': 'member' });
      assert.equal(r.status, 201);
      assert.equal(r.body.network.project_id, 'p-alpha');
      const other = await srv.api.get(`/v2.0/networks/${r.body.network.id}`, { 'X-Project-Id': 'p-beta', 'X-Roles': 'member' });
      assert.equal(other.status, 404, "another project's private network is not found");
      assert.equal(other.body.NeutronError.type, 'NetworkNotFound');
    });

    it('refuses a project_id and tenant_id that differ', async () => {
      const r = await srv.api.post('/v2.0/networks', { network: { project_id: 'a', tenant_id: 'b' } });
      assert.equal(r.status, 400);
      assert.equal(r.body.NeutronError.message, "'project_id' and 'tenant_id' do not match");
    });

    it('allocates provider segments and refuses ones in use', async () => {
      const flat = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
      assert.equal(flat.status, 201);
      assert.equal(flat.body.network['provider:segmentation_id'], null);
      assert.equal(flat.body.network.mtu, 1500);
      const flat2 = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'public' } });
      assert.equal(flat2.status, 409);
      assert.equal(flat2.body.NeutronError.type, 'FlatNetworkInUse');
      const unknownFlat = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'nope' } });
      assert.equal(unknownFlat.status, 400);
      assert.equal(unknownFlat.body.NeutronError.type, 'InvalidInput');

      const vlan = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1500 } });
      assert.equal(vlan.status, 201);
      const vlanDup = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1500 } });
      assert.equal(vlanDup.status, 409);
      assert.equal(vlanDup.body.NeutronError.type, 'VlanIdInUse');
      assert.equal(vlanDup.body.NeutronError.message, 'Unable to create the network. The VLAN 1500 on physical network physnet1 is in use.');
      const vlanAuto = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1' } });
      assert.equal(vlanAuto.status, 201);
      const id = vlanAuto.body.network['provider:segmentation_id'];
      assert.ok(id >= 1000 && id <= 1999 && id !== 1500);
      const vlanRange = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 5000 } });
      assert.equal(vlanRange.status, 400);

      const vx = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 70000 } });
      assert.equal(vx.status, 201, 'an admin may take a VNI outside the project ranges');
      const vxDup = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vxlan', 'provider:segmentation_id': 70000 } });
      assert.equal(vxDup.status, 409);
      assert.equal(vxDup.body.NeutronError.type, 'TunnelIdInUse');

      const gre = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'gre' } });
      assert.equal(gre.status, 400);
      assert.equal(gre.body.NeutronError.message, "Invalid input for operation: network_type value 'gre' not supported.");
    });

    it('frees a segment when its network is deleted', async () => {
      const a = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet3' } });
      assert.equal(a.status, 201);
      assert.equal((await srv.api.del(`/v2.0/networks/${a.body.network.id}`)).status, 204);
      const b = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'flat', 'provider:physical_network': 'physnet3' } });
      assert.equal(b.status, 201);
    });

    it('bumps revision_number on every update and honours If-Match', async () => {
      const n = (await srv.api.post('/v2.0/networks', { network: { name: 'rev' } })).body.network;
      const u1 = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { name: 'rev2' } });
      assert.equal(u1.status, 200);
      assert.equal(u1.body.network.name, 'rev2');
      assert.equal(u1.body.network.revision_number, n.revision_number + 1);
      const stale = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, { 'If-Match': `revision_number=${n.revision_number}` });
      assert.equal(stale.status, 412);
      assert.deepEqual(stale.body, {
        NeutronError: { type: 'RevisionNumberConstraintFailed', message: `Constrained to ${n.revision_number}, but current revision is ${n.revision_number + 1}`, detail: '' },
      });
      const ok = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { description: 'd' } }, { 'If-Match': `revision_number=${n.revision_number + 1}` });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.network.description, 'd');
      const shown = await srv.api.get(`/v2.0/networks/${n.id}`);
      assert.equal(shown.body.network.name, 'rev2', 'the refused update changed nothing');
      const empty = await srv.api.put(`/v2.0/networks/${n.id}`, { network: {} });
      assert.equal(empty.body.network.revision_number, shown.body.network.revision_number, 'an empty update keeps the revision');
      const same = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { name: 'rev2' } });
      assert.equal(same.body.network.revision_number, shown.body.network.revision_number + 1, 'an update to the same value still counts');
      const delStale = await srv.api.del(`/v2.0/networks/${n.id}`, { 'If-Match': 'revision_number=1' });
      assert.equal(delStale.status, 412);
    });

    it('refuses changing read-only and provider attributes', async () => {
      const n = (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
      const st = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { status: 'DOWN' } });
      assert.equal(st.status, 400);
      assert.equal(st.body.NeutronError.message, 'Cannot update read-only attribute status');
      const prov = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { 'provider:segmentation_id': 5000 } });
      assert.equal(prov.status, 400);
      const big = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 9000 } });
      assert.equal(big.status, 400);
      assert.equal(big.body.NeutronError.message, 'Invalid input for operation: Requested MTU is too big, maximum is 1450.');
      const small = await srv.api.put(`/v2.0/networks/${n.id}`, { network: { mtu: 1400 } });
      assert.equal(small.body.network.mtu, 1400);
    });

    it('creates in bulk atomically', async () => {
      const ok = await srv.api.post('/v2.0/networks', { networks: [{ name: 'bulk-a' }, { name: 'bulk-b' }] });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.body.networks.map((n: { name: string }) => n.name), ['bulk-a', 'bulk-b']);
      const bad = await srv.api.post('/v2.0/networks', {
        networks: [
          { name: 'bulk-c', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1777 },
          { name: 'bulk-d', 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1777 },
        ],
      });
      assert.equal(bad.status, 409);
      const left = await srv.api.get('/v2.0/networks?name=bulk-c');
      assert.deepEqual(left.body.networks, [], 'the first item of a failed bulk create is rolled back');
      const again = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 1777 } });
      assert.equal(again.status, 201, 'its segment was released too');
    });

    it('deletes a network, then answers 404', async () => {
      const n = (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
      assert.equal((await srv.api.del(`/v2.0/networks/${n.id}`)).status, 204);
      const again = await srv.api.del(`/v2.0/networks/${n.id}`);
      assert.equal(again.status, 404);
      assert.deepEqual(again.body, { NeutronError: { type: 'NetworkNotFound', message: `Network ${n.id} could not be found.`, detail: '' } });
    });

    it('serves the version documents and exactly the implemented extensions', async () => {
      const root = await srv.api.get('/');
      assert.equal(root.body.versions[0].id, 'v2.0');
      const v2 = await srv.api.get('/v2.0/');
      const collections = v2.body.resources.map((r: { collection: string }) => r.collection);
      for (const c of ['networks', 'ports', 'subnets']) assert.ok(collections.includes(c), `${c} listed`);
      for (const r of v2.body.resources as Array<{ links: Array<{ href: string }> }>) {
        const listed = await srv.api.get(r.links[0].href.replace(srv.url, ''));
        assert.equal(listed.status, 200, `${r.links[0].href} answers`);
      }
      const ext = await srv.api.get('/v2.0/extensions');
      const aliases = ext.body.extensions.map((e: { alias: string }) => e.alias);
      for (const a of ['provider', 'external-net', 'binding', 'standard-attr-tag', 'pagination', 'sorting', 'allowed-address-pairs', 'extra_dhcp_opt', 'port-security', 'net-mtu', 'revision-if-match'])
        assert.ok(aliases.includes(a), `${a} listed`);
      for (const a of ['network-ip-availability', 'segment', 'trunk', 'qos']) assert.ok(!aliases.includes(a), `${a} is not implemented and not listed`);
      assert.equal(new Set(aliases).size, aliases.length, 'no alias listed twice');
      const one = await srv.api.get('/v2.0/extensions/provider');
      assert.equal(one.body.extension.alias, 'provider');
      const none = await srv.api.get('/v2.0/extensions/nope');
      assert.equal(none.status, 404);
    });
  });
}

describe('network segment exhaustion', () => {
  const srv = serverFixture(async () => {
    const { sqlite } = await import('./helpers/dialects.js');
    return sqlite.create();
  }, { NUCLEON_ML2_TYPE_VXLAN__VNI_RANGES: '5:6' });
  before(() => srv.start());
  after(() => srv.stop());

  it('answers NoNetworkAvailable (503) when the VNI ranges are used up', async () => {
    const vnis = [];
    for (let i = 0; i < 2; i++) vnis.push((await srv.api.post('/v2.0/networks', { network: {} })).body.network['provider:segmentation_id']);
    assert.deepEqual(vnis.sort(), [5, 6]);
    const r = await srv.api.post('/v2.0/networks', { network: {} });
    assert.equal(r.status, 503);
    assert.equal(r.body.NeutronError.type, 'NoNetworkAvailable');
    assert.equal(r.body.NeutronError.message, 'Unable to create the network. No tenant network is available for allocation.');
  });
});
