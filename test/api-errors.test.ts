/** Bad input at the HTTP edge: every case is a 4xx NeutronError with Neutron's type and text, and writes nothing. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sqlite } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

describe('errors at the HTTP edge', () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_DEFAULT__MAX_REQUEST_BODY_SIZE: '4096' });
  before(() => srv.start());
  after(() => srv.stop());

  const cases: Array<{ name: string; method: string; path: string; body?: unknown; status: number; type: string; message?: string }> = [
    { name: 'malformed JSON', method: 'POST', path: '/v2.0/networks', body: '{"network": {', status: 400, type: 'HTTPBadRequest', message: 'Body contains invalid data' },
    { name: 'a list body', method: 'POST', path: '/v2.0/networks', body: '[1,2]', status: 400, type: 'HTTPBadRequest', message: 'Body contains invalid data' },
    { name: 'a string body', method: 'POST', path: '/v2.0/networks', body: '"x"', status: 400, type: 'HTTPBadRequest', message: 'Body contains invalid data' },
    { name: 'null resource', method: 'POST', path: '/v2.0/networks', body: { network: null }, status: 400, type: 'HTTPBadRequest', message: "Unable to find 'network' in request body" },
    { name: 'resource as a list', method: 'POST', path: '/v2.0/networks', body: { network: [] }, status: 400, type: 'HTTPBadRequest', message: "Object 'network' contains invalid data" },
    { name: 'wrong resource key', method: 'POST', path: '/v2.0/networks', body: { port: {} }, status: 400, type: 'HTTPBadRequest', message: "Unable to find 'network' in request body" },
    { name: 'empty body', method: 'POST', path: '/v2.0/networks', body: '', status: 400, type: 'HTTPBadRequest', message: "Unable to find 'network' in request body" },
    { name: 'empty bulk', method: 'POST', path: '/v2.0/networks', body: { networks: [] }, status: 400, type: 'HTTPBadRequest', message: 'Resources required' },
    { name: 'unknown attribute', method: 'POST', path: '/v2.0/networks', body: { network: { foo: 1 } }, status: 400, type: 'HTTPBadRequest', message: "Unrecognized attribute(s) 'foo'" },
    { name: 'not a boolean', method: 'POST', path: '/v2.0/networks', body: { network: { admin_state_up: 'maybe' } }, status: 400, type: 'InvalidInput', message: "Invalid input for operation: 'maybe' cannot be converted to boolean." },
    { name: 'name not a string', method: 'POST', path: '/v2.0/networks', body: { network: { name: 123 } }, status: 400, type: 'HTTPBadRequest', message: "Invalid input for name. Reason: '123' is not a valid string." },
    { name: 'name too long', method: 'POST', path: '/v2.0/networks', body: { network: { name: 'a'.repeat(256) } }, status: 400, type: 'HTTPBadRequest', message: `Invalid input for name. Reason: '${'a'.repeat(256)}' exceeds maximum length of 255.` },
    { name: 'id in POST', method: 'POST', path: '/v2.0/networks', body: { network: { id: 'x' } }, status: 400, type: 'HTTPBadRequest', message: "Attribute 'id' not allowed in POST" },
    { name: 'status in POST', method: 'POST', path: '/v2.0/networks', body: { network: { status: 'DOWN' } }, status: 400, type: 'HTTPBadRequest', message: "Attribute 'status' not allowed in POST" },
    { name: 'oversized body', method: 'POST', path: '/v2.0/networks', body: { network: { description: 'A'.repeat(5000) } }, status: 413, type: 'HTTPRequestEntityTooLarge' },
    { name: 'bad CIDR', method: 'POST', path: '/v2.0/subnets', body: { subnet: { network_id: '11111111-2222-3333-4444-555555555555', ip_version: 4, cidr: '300.0.0.0/8' } }, status: 400, type: 'InvalidInput' },
    { name: 'network_id not a UUID', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: 'abc' } }, status: 400, type: 'HTTPBadRequest', message: "Invalid input for network_id. Reason: 'abc' is not a valid UUID." },
    { name: 'fixed_ips not a list', method: 'POST', path: '/v2.0/ports', body: { port: { network_id: '11111111-2222-3333-4444-555555555555', fixed_ips: 'x' } }, status: 400, type: 'HTTPBadRequest' },
    { name: 'show a non-UUID', method: 'GET', path: '/v2.0/networks/not-a-uuid', status: 404, type: 'NetworkNotFound', message: 'Network not-a-uuid could not be found.' },
    { name: 'update a missing network', method: 'PUT', path: '/v2.0/networks/11111111-2222-3333-4444-555555555555', body: { network: { name: 'x' } }, status: 404, type: 'NetworkNotFound' },
    { name: 'update without body', method: 'PUT', path: '/v2.0/ports/11111111-2222-3333-4444-555555555555', body: '', status: 400, type: 'HTTPBadRequest', message: "Unable to find 'port' in request body" },
    { name: 'POST to a member', method: 'POST', path: '/v2.0/networks/11111111-2222-3333-4444-555555555555', body: { network: {} }, status: 405, type: 'HTTPMethodNotAllowed' },
    { name: 'PATCH a member', method: 'PATCH', path: '/v2.0/networks/11111111-2222-3333-4444-555555555555', body: { network: {} }, status: 405, type: 'HTTPMethodNotAllowed' },
    { name: 'PUT a collection', method: 'PUT', path: '/v2.0/networks', body: { network: {} }, status: 404, type: 'NetworkNotFound', message: 'Network None could not be found.' },
    { name: 'unknown collection', method: 'GET', path: '/v2.0/bogus', status: 404, type: 'HTTPNotFound', message: 'The resource could not be found.' },
    { name: 'XML suffix', method: 'GET', path: '/v2.0/networks/11111111-2222-3333-4444-555555555555.xml', status: 404, type: 'HTTPNotFound' },
  ];

  for (const c of cases) {
    it(`answers ${c.status} ${c.type} for ${c.name}`, async () => {
      const r = await srv.api.call(c.method, c.path, c.body);
      assert.equal(r.status, c.status, JSON.stringify(r.body));
      assert.equal(typeof r.body, 'object');
      assert.deepEqual(Object.keys(r.body), ['NeutronError']);
      assert.equal(r.body.NeutronError.type, c.type);
      assert.equal(r.body.NeutronError.detail, '');
      if (c.message) assert.equal(r.body.NeutronError.message, c.message);
    });
  }

  it('wrote nothing for any refused request', async () => {
    assert.deepEqual((await srv.api.get('/v2.0/networks')).body.networks, []);
    assert.deepEqual((await srv.api.get('/v2.0/subnets')).body.subnets, []);
    assert.deepEqual((await srv.api.get('/v2.0/ports')).body.ports, []);
  });

  it('accepts JSON sent with another content type, as Neutron does', async () => {
    const r = await srv.api.post('/v2.0/networks', { network: { name: 'plain' } }, { 'content-type': 'text/plain' });
    assert.equal(r.status, 201);
    assert.equal(r.body.network.name, 'plain');
  });
});
