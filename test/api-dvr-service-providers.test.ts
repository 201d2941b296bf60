/**
 * Extensions `dvr` (the routers' admin-only `distributed` attribute) and `service-type`
 * (`GET /v2.0/service-providers`) over HTTP on every database, with the reference's texts.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture, type Reply } from './helpers/server.js';

const MEMBER = (project: string) => ({ 'X-Project-Id': project, 'X-Roles': 'member' });
const ACTIVE_MSG =
  "Bad router request: Cannot change the 'distributed' attribute of active routers. Please set router admin_state_up to False prior to upgrade.";

for (const dialect of DIALECTS) {
  describe(`dvr and service-type on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());
    const expectError = (r: Reply, status: number, type: string, message?: string) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.NeutronError.type, type);
      if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
    };

    it('lists both extensions', async () => {
      const aliases = (await srv.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
      assert.ok(aliases.includes('dvr') && aliases.includes('service-type'));
      const dvr = (await srv.api.get('/v2.0/extensions/dvr')).body.extension;
      assert.equal(dvr.name, 'Distributed Virtual Router');
    });

    it('defaults distributed to false, shows it to admins after description', async () => {
      const r = await srv.api.post('/v2.0/routers', { router: { name: 'c' } });
      assert.equal(r.status, 201);
      assert.equal(r.body.router.distributed, false);
      const keys = Object.keys(r.body.router);
      assert.equal(keys.indexOf('distributed'), keys.indexOf('description') + 1);
      const listed = (await srv.api.get(`/v2.0/routers?id=${r.body.router.id}&fields=distributed`)).body.routers;
      assert.deepEqual(listed, [{ distributed: false }]);
    });

    it('creates distributed and centralized routers as admin', async () => {
      const d = await srv.api.post('/v2.0/routers', { router: { name: 'd', distributed: true } });
      assert.equal(d.status, 201);
      assert.equal(d.body.router.distributed, true);
      assert.equal((await srv.api.get(`/v2.0/routers/${d.body.router.id}`)).body.router.distributed, true);
      const c = await srv.api.post('/v2.0/routers', { router: { name: 'c', distributed: 'False' } });
      assert.equal(c.body.router.distributed, false);
      expectError(await srv.api.post('/v2.0/routers', { router: { distributed: 'x' } }), 400, 'InvalidInput', "Invalid input for operation: 'x' cannot be converted to boolean.");
    });

    it('advertises l3-ha: ha stored and shown to admins, set by admins only (test/api-l3-ha.test.ts has the rest)', async () => {
      assert.equal((await srv.api.get('/v2.0/extensions/l3-ha')).body.extension.name, 'HA Router extension');
      const r = await srv.api.post('/v2.0/routers', { router: { name: 'ha-no', ha: false, distributed: false, admin_state_up: false } });
      assert.equal(r.status, 201);
      assert.equal(r.body.router.ha, false);
      const up = await srv.api.put(`/v2.0/routers/${r.body.router.id}`, { router: { distributed: true } });
      assert.deepEqual([up.status, up.body.router.distributed, up.body.router.ha], [200, true, false]);
      // Neutron 21 has DVR+HA routers (its `dvrha` provider): both together are accepted
      const both = await srv.api.post('/v2.0/routers', { router: { name: 'ha-dvr', ha: true, distributed: true } });
      assert.deepEqual([both.status, both.body.router.ha, both.body.router.distributed], [201, true, true]);
      const p = MEMBER('proj-ha');
      expectError(await srv.api.post('/v2.0/routers', { router: { name: 'ha-m', ha: false } }, p), 403, 'PolicyNotAuthorized');
      const own = await srv.api.post('/v2.0/routers', { router: { name: 'ha-own' } }, p);
      assert.ok(!('ha' in own.body.router));
    });

    it('forbids non-admins to set it, and hides it from them', async () => {
      const p = MEMBER('proj-dvr');
      const r = await srv.api.post('/v2.0/routers', { router: { name: 't', distributed: true } }, p);
      expectError(r, 403, 'PolicyNotAuthorized');
      expectError(await srv.api.post('/v2.0/routers', { router: { name: 't', distributed: false } }, p), 403, 'PolicyNotAuthorized');
      const own = await srv.api.post('/v2.0/routers', { router: { name: 'own' } }, p);
      assert.equal(own.status, 201);
      assert.ok(!('distributed' in own.body.router));
      assert.ok(!('distributed' in (await srv.api.get(`/v2.0/routers/${own.body.router.id}`, p)).body.router));
      assert.equal((await srv.api.get(`/v2.0/routers/${own.body.router.id}`)).body.router.distributed, false);
      await srv.api.put(`/v2.0/routers/${own.body.router.id}`, { router: { admin_state_up: false } }, p);
      expectError(await srv.api.put(`/v2.0/routers/${own.body.router.id}`, { router: { distributed: true } }, p), 403, 'PolicyNotAuthorized');
    });

    it('changes it only on a router that is down (the state before the update decides)', async () => {
      const id = (await srv.api.post('/v2.0/routers', { router: { name: 'm' } })).body.router.id;
      expectError(await srv.api.put(`/v2.0/routers/${id}`, { router: { distributed: true } }), 400, 'BadRequest', ACTIVE_MSG);
      expectError(await srv.api.put(`/v2.0/routers/${id}`, { router: { admin_state_up: false, distributed: true } }), 400, 'BadRequest', ACTIVE_MSG);
      // unchanged value or null: no migration, allowed on an active router
      assert.equal((await srv.api.put(`/v2.0/routers/${id}`, { router: { distributed: false } })).status, 200);
      assert.equal((await srv.api.put(`/v2.0/routers/${id}`, { router: { distributed: null } })).body.router.distributed, false);
      await srv.api.put(`/v2.0/routers/${id}`, { router: { admin_state_up: false } });
      const up = await srv.api.put(`/v2.0/routers/${id}`, { router: { distributed: true } });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      assert.equal(up.body.router.distributed, true);
      assert.equal((await srv.api.get(`/v2.0/routers/${id}`)).body.router.distributed, true);
      assert.equal((await srv.api.put(`/v2.0/routers/${id}`, { router: { distributed: false } })).body.router.distributed, false);
    });

    it('is not a filter', async () => {
      expectError(await srv.api.get('/v2.0/routers?distributed=true'), 400, 'HTTPBadRequest', "['distributed'] is invalid attribute for filtering");
    });

    it('lists the service providers, with filters and fields', async () => {
      const r = await srv.api.get('/v2.0/service-providers');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, {
        service_providers: [
          { service_type: 'L3_ROUTER_NAT', name: 'dvrha', default: false },
          { service_type: 'L3_ROUTER_NAT', name: 'dvr', default: false },
          { service_type: 'L3_ROUTER_NAT', name: 'ha', default: false },
          { service_type: 'L3_ROUTER_NAT', name: 'single_node', default: false },
        ],
      });
      const member = await srv.api.get('/v2.0/service-providers', MEMBER('proj-sp'));
      assert.equal(member.body.service_providers.length, 4);
      assert.deepEqual((await srv.api.get('/v2.0/service-providers?name=dvr&fields=name')).body, { service_providers: [{ name: 'dvr' }] });
      assert.deepEqual((await srv.api.get('/v2.0/service-providers?default=true')).body, { service_providers: [] });
      assert.equal((await srv.api.get('/v2.0/service-providers?service_type=L3_ROUTER_NAT&default=false')).body.service_providers.length, 4);
      assert.equal((await srv.api.get('/v2.0/service-providers?limit=1')).body.service_providers.length, 4);
    });

    it('is read-only', async () => {
      assert.equal((await srv.api.get('/v2.0/service-providers/dvr')).status, 404);
      assert.equal((await srv.api.del('/v2.0/service-providers/dvr')).status, 405);
      assert.ok([400, 405].includes((await srv.api.post('/v2.0/service-providers', { service_provider: { name: 'x' } })).status));
    });
  });
}
