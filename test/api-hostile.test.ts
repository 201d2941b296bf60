/**
 * Inputs that only some databases choke on (NUL characters, which PostgreSQL refuses in text and
 * comparisons; numbers beyond a 32-bit column; non-numbers for numeric filters): on every database
 * they are 4xx NeutronErrors, never a 500.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`hostile input on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    let net = '';
    before(async () => {
      await srv.start();
      net = (await srv.api.post('/v2.0/networks', { network: {} })).body.network.id;
    });
    after(() => srv.stop());

    it('answers 4xx with a NeutronError, never 5xx', async () => {
      const cases: Array<[string, string, unknown?]> = [
        ['PUT', `/v2.0/networks/${net}`, { network: { name: 'nul\u0000byte' } }],
        ['POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, cidr: '10.0.0.0/24', description: 'x\u0000' } }],
        ['POST', '/v2.0/security-groups', { security_group: { name: 'x\u0000' } }],
        ['POST', '/v2.0/metering/metering-labels', { metering_label: { name: '\u0000' } }],
        ['PUT', `/v2.0/networks/${net}/tags`, { tags: ['a\u0000'] }],
        ['PUT', `/v2.0/networks/${net}/tags/%00`],
        ['GET', `/v2.0/networks?name=${encodeURIComponent('a\u0000b')}`],
        ['GET', '/v2.0/networks?tags=a%00'],
        ['GET', '/v2.0/networks?marker=a%00&limit=1'],
        ['GET', '/v2.0/networks/%00'],
        ['GET', '/v2.0/networks?mtu=99999999999999'],
        ['GET', '/v2.0/networks?provider:segmentation_id=99999999999999'],
        ['GET', '/v2.0/networks?revision_number=abc'],
        ['PUT', '/v2.0/quotas/fake_project_id', { quota: { port: 2 ** 40 } }],
        ['POST', '/v2.0/rbac-policies', { rbac_policy: { object_type: 'network', object_id: 'a\u0000', action: 'access_as_shared', target_tenant: '*' } }],
        ['POST', '/v2.0/subnetpools', { subnetpool: { name: 'x\u0000', prefixes: ['10.0.0.0/8'] } }],
        ['POST', '/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8\u0000'] } }],
        ['POST', '/v2.0/subnetpools', { subnetpool: { name: 'x', prefixes: ['10.0.0.0/8'], default_quota: 2 ** 40 } }],
        ['GET', '/v2.0/subnetpools?min_prefixlen=99999999999'],
        ['GET', '/v2.0/subnetpools?ip_version=abc'],
        ['PUT', '/v2.0/subnetpools/x/add_prefixes', { prefixes: ['10.0.0.0/8\u0000'] }],
        ['POST', '/v2.0/subnets', { subnet: { network_id: net, ip_version: 4, subnetpool_id: '11111111-2222-3333-4444-555555555555', prefixlen: 2 ** 40 } }],
      ];
      for (const [method, path, body] of cases) {
        const r = await srv.api.call(method, path, body);
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${r.status} ${JSON.stringify(r.body)}`);
        assert.equal(typeof r.body?.NeutronError?.type, 'string', `${method} ${path}: ${JSON.stringify(r.body)}`);
      }
      assert.equal((await srv.api.get(`/v2.0/networks/${net}`)).body.network.name, '', 'nothing was written');
    });
  });
}
