/** Neutron's default policy as far as roles and attribute rules go (noauth, roles from X-Roles). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sqlite } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const MEMBER = { 'X-Project-Id': 'pol-a', 'X-Roles': 'member,reader' };
const READER = { 'X-Project-Id': 'pol-a', 'X-Roles': 'reader' };

describe('default policy', () => {
  const srv = serverFixture(() => sqlite.create());
  before(() => srv.start());
  after(() => srv.stop());
  const err = (r: { status: number; body: { NeutronError: { type: string; message: string } } }) => [r.status, r.body.NeutronError?.type, r.body.NeutronError?.message];

  it('lets a reader read but not write', async () => {
    const n = (await srv.api.post('/v2.0/networks', { network: { name: 'pol' } }, MEMBER)).body.network;
    assert.equal((await srv.api.get(`/v2.0/networks/${n.id}`, READER)).status, 200);
    assert.equal((await srv.api.get('/v2.0/networks', READER)).status, 200);
    assert.deepEqual(err(await srv.api.post('/v2.0/networks', { network: {} }, READER)), [403, 'PolicyNotAuthorized', 'rule:create_network is disallowed by policy']);
    assert.deepEqual(err(await srv.api.put(`/v2.0/networks/${n.id}`, { network: { name: 'x' } }, READER)), [403, 'PolicyNotAuthorized', 'rule:update_network is disallowed by policy']);
    assert.deepEqual(err(await srv.api.del(`/v2.0/networks/${n.id}`, READER)), [403, 'PolicyNotAuthorized', 'rule:delete_network is disallowed by policy']);
    assert.equal((await srv.api.put(`/v2.0/networks/${n.id}/tags/x`, undefined, READER)).status, 403);
    assert.equal((await srv.api.get(`/v2.0/networks/${n.id}`, READER)).body.network.name, 'pol', 'nothing changed');
  });

  it('keeps provider and binding attributes to admins', async () => {
    const denied = await srv.api.post('/v2.0/networks', { network: { 'provider:network_type': 'vxlan' } }, MEMBER);
    assert.deepEqual(err(denied), [403, 'PolicyNotAuthorized', '(rule:create_network and rule:create_network:provider:network_type) is disallowed by policy']);
    assert.equal((await srv.api.post('/v2.0/networks', { network: { shared: true } }, MEMBER)).status, 403);
    assert.equal((await srv.api.post('/v2.0/networks', { network: { shared: false } }, MEMBER)).status, 201, 'the default value is harmless');
    const n = (await srv.api.post('/v2.0/networks', { network: {} }, MEMBER)).body.network;
    assert.ok(!('provider:network_type' in n), 'a member does not see provider attributes');
    const asAdmin = (await srv.api.get(`/v2.0/networks/${n.id}`)).body.network;
    assert.equal(asAdmin['provider:network_type'], 'vxlan');
    const p = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id } }, MEMBER)).body.port;
    for (const k of ['binding:host_id', 'binding:profile', 'binding:vif_type', 'binding:vif_details']) assert.ok(!(k in p), `${k} hidden`);
    assert.equal(p['binding:vnic_type'], 'normal', 'the vNIC type is the owner\u2019s to see');
    assert.equal((await srv.api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'hv1' } }, MEMBER)).status, 403);
    assert.equal((await srv.api.put(`/v2.0/ports/${p.id}`, { port: { 'binding:host_id': 'hv1' } })).status, 200, 'an admin binds');
  });

  it("refuses creating in another project's name", async () => {
    assert.deepEqual(err(await srv.api.post('/v2.0/networks', { network: { project_id: 'someone-else' } }, MEMBER)), [403, 'PolicyNotAuthorized', 'rule:create_network is disallowed by policy']);
    assert.equal((await srv.api.post('/v2.0/networks', { network: { project_id: 'someone-else' } })).status, 201, 'an admin may');
  });
});
