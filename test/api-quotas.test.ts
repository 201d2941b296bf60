/**
 * Quotas over HTTP on every database: defaults, per-project limits (show, list, update, reset,
 * details, default, tenant), Neutron's validation and policy errors, and OverQuota on creates of
 * networks, subnets, ports and RBAC policies (owner's project, bulk, unlimited).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const DEFAULTS = { network: 100, subnet: 100, subnetpool: -1, port: 500, router: 10, floatingip: 50, rbac_policy: 10, security_group: 10, security_group_rule: 100 };
const MEMBER = (project: string) => ({ 'X-Project-Id': project, 'X-Roles': 'member' });

for (const dialect of DIALECTS) {
  describe(`quotas on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());

    it('shows Neutron defaults, in Neutron order, for a project without limits of its own', async () => {
      const r = await srv.api.get('/v2.0/quotas/qr-fresh');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { quota: DEFAULTS });
      assert.deepEqual(Object.keys(r.body.quota), Object.keys(DEFAULTS));
      assert.deepEqual((await srv.api.get('/v2.0/quotas/qr-fresh/default')).body, { quota: DEFAULTS });
      assert.deepEqual((await srv.api.get('/v2.0/quotas/qr-fresh.json')).body, { quota: DEFAULTS });
    });

    it('answers tenant and project with the caller', async () => {
      assert.deepEqual((await srv.api.get('/v2.0/quotas/tenant')).body, { tenant: { tenant_id: 'fake_project_id' } });
      assert.deepEqual((await srv.api.get('/v2.0/quotas/project', MEMBER('qr-me'))).body, { project: { project_id: 'qr-me' } });
    });

    it('updates limits, converting values as Python int() does', async () => {
      for (const [given, stored] of [[200, 200], ['5', 5], [1.5, 1], [true, 1], [' 7 ', 7], [-1, -1], [0, 0], [2147483647, 2147483647]] as const) {
        const r = await srv.api.put('/v2.0/quotas/qr-upd', { quota: { network: given } });
        assert.equal(r.status, 200, `network=${JSON.stringify(given)}`);
        assert.equal(r.body.quota.network, stored);
        assert.equal(r.body.quota.subnet, 100, 'other resources keep their defaults');
      }
      const r = await srv.api.put('/v2.0/quotas/qr-upd', { quota: { port: 3, rbac_policy: 2, force: true } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.quota, { ...DEFAULTS, network: 2147483647, port: 3, rbac_policy: 2 });
      assert.deepEqual((await srv.api.get('/v2.0/quotas/qr-upd')).body.quota, r.body.quota);
      assert.equal((await srv.api.put('/v2.0/quotas/qr-upd', { quota: {} })).status, 200, 'an empty update changes nothing');
    });

    it("refuses values and resources Neutron refuses, with Neutron's messages", async () => {
      const cases: Array<[unknown, number, string, string]> = [
        [{ network: -2 }, 400, 'HTTPBadRequest', "Invalid input for network. Reason: '-2' is too small - must be at least '-1'."],
        [{ network: 2147483648 }, 400, 'HTTPBadRequest', "Invalid input for network. Reason: '2147483648' is too large - must be no larger than '2147483647'."],
        [{ network: 'lots' }, 400, 'InvalidInput', "Invalid input for operation: 'lots' is not an integer."],
        [{ network: null }, 400, 'InvalidInput', "Invalid input for operation: 'None' is not an integer."],
        [{ network: '1.5' }, 400, 'InvalidInput', "Invalid input for operation: '1.5' is not an integer."],
        [{ bogus: 5 }, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"],
        [{ address_scope: 5 }, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'address_scope'"],
        [{ project_id: 'x' }, 400, 'HTTPBadRequest', 'Cannot update read-only attribute project_id'],
      ];
      for (const [quota, status, type, message] of cases) {
        const r = await srv.api.put('/v2.0/quotas/qr-bad', { quota });
        assert.equal(r.status, status, JSON.stringify(quota));
        assert.deepEqual(r.body.NeutronError, { type, message, detail: '' });
      }
      const noBody = await srv.api.put('/v2.0/quotas/qr-bad', { quotas: { network: 1 } });
      assert.equal(noBody.status, 400);
      assert.equal(noBody.body.NeutronError.message, "Unable to find 'quota' in request body");
      assert.equal((await srv.api.get('/v2.0/quotas')).body.quotas.filter((q: { project_id: string }) => q.project_id === 'qr-bad').length, 0, 'nothing stored');
    });

    it('lists only projects with limits of their own, merged with the defaults', async () => {
      await srv.api.put('/v2.0/quotas/qr-list-a', { quota: { port: 7 } });
      await srv.api.put('/v2.0/quotas/qr-list-b', { quota: { subnet: -1 } });
      const r = await srv.api.get('/v2.0/quotas');
      assert.equal(r.status, 200);
      const mine = r.body.quotas.filter((q: { project_id: string }) => q.project_id.startsWith('qr-list-'));
      assert.deepEqual(mine, [
        { ...DEFAULTS, port: 7, project_id: 'qr-list-a', tenant_id: 'qr-list-a' },
        { ...DEFAULTS, subnet: -1, project_id: 'qr-list-b', tenant_id: 'qr-list-b' },
      ]);
      assert.ok(!r.body.quotas.some((q: { project_id: string }) => q.project_id === 'qr-fresh'), 'a project only read is not listed');
      const one = await srv.api.get('/v2.0/quotas?project_id=qr-list-b');
      assert.deepEqual(one.body.quotas.map((q: { project_id: string }) => q.project_id), ['qr-list-b']);
    });

    it('resets a project to the defaults (204), and 404s a project without limits', async () => {
      await srv.api.put('/v2.0/quotas/qr-reset', { quota: { network: 3, port: 4 } });
      const r = await srv.api.del('/v2.0/quotas/qr-reset');
      assert.equal(r.status, 204);
      assert.equal(r.body, undefined);
      assert.deepEqual((await srv.api.get('/v2.0/quotas/qr-reset')).body.quota, DEFAULTS);
      const again = await srv.api.del('/v2.0/quotas/qr-reset');
      assert.equal(again.status, 404);
      assert.deepEqual(again.body.NeutronError, { type: 'TenantQuotaNotFound', message: 'Quota for tenant qr-reset could not be found.', detail: '' });
    });

    it('refuses POST with 501 as Neutron does', async () => {
      const r = await srv.api.post('/v2.0/quotas', { quota: {} });
      assert.equal(r.status, 501);
      assert.deepEqual(r.body.NeutronError, { type: 'HTTPNotImplemented', message: 'POST requests are not supported on this resource.', detail: '' });
    });

    it('counts used resources in details', async () => {
      const P = 'qr-details';
      const net = (await srv.api.post('/v2.0/networks', { network: { name: 'd', project_id: P } })).body.network;
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4, project_id: P } });
      await srv.api.post('/v2.0/ports', { ports: [{ network_id: net.id, project_id: P }, { network_id: net.id, project_id: P }] });
      await srv.api.put(`/v2.0/quotas/${P}`, { quota: { port: 9 } });
      const r = await srv.api.get(`/v2.0/quotas/${P}/details`);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.quota.network, { limit: 100, used: 1, reserved: 0 });
      assert.deepEqual(r.body.quota.subnet, { limit: 100, used: 1, reserved: 0 });
      assert.deepEqual(r.body.quota.port, { limit: 9, used: 2, reserved: 0 });
      assert.deepEqual(Object.keys(r.body.quota), Object.keys(DEFAULTS));
      assert.deepEqual((await srv.api.get(`/v2.0/quotas/${P}/details.json`)).body, r.body);
    });

    it('checks the limit against usage when asked (check_limit), never for -1', async () => {
      const P = 'qr-check';
      await srv.api.post('/v2.0/networks', { networks: [{ project_id: P }, { project_id: P }] });
      const r = await srv.api.put(`/v2.0/quotas/${P}`, { quota: { network: 1, check_limit: true } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.NeutronError, { type: 'HTTPBadRequest', message: 'Quota limit 1 for network must be greater than or equal to already used 2', detail: '' });
      assert.equal((await srv.api.get(`/v2.0/quotas/${P}`)).body.quota.network, 100, 'nothing changed');
      assert.equal((await srv.api.put(`/v2.0/quotas/${P}`, { quota: { network: 2, check_limit: true } })).status, 200);
      assert.equal((await srv.api.put(`/v2.0/quotas/${P}`, { quota: { network: -1, check_limit: 'yes' } })).status, 200);
      assert.equal((await srv.api.put(`/v2.0/quotas/${P}`, { quota: { network: 1, check_limit: false } })).status, 200, 'check_limit false: no check');
    });

    it('lets non-admins read their own quota only, and change none', async () => {
      const me = MEMBER('qr-self');
      assert.equal((await srv.api.get('/v2.0/quotas/qr-self', me)).status, 200);
      assert.equal((await srv.api.get('/v2.0/quotas/qr-self/details', me)).status, 200);
      assert.equal((await srv.api.get('/v2.0/quotas/qr-self/default', me)).status, 200);
      const expect403 = async (p: Promise<{ status: number; body: any }>, type: string, message: string) => {
        const r = await p;
        assert.equal(r.status, 403, message);
        assert.deepEqual(r.body.NeutronError, { type, message, detail: '' });
      };
      await expect403(srv.api.get('/v2.0/quotas/qr-other', me), 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
      await expect403(srv.api.get('/v2.0/quotas/qr-other/default', me), 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
      await expect403(srv.api.get('/v2.0/quotas', me), 'PolicyNotAuthorized', 'rule:get_quota is disallowed by policy');
      await expect403(srv.api.put('/v2.0/quotas/qr-self', { quota: { network: 1000 } }, me), 'PolicyNotAuthorized', 'rule:update_quota is disallowed by policy');
      await expect403(srv.api.del('/v2.0/quotas/qr-self', me), 'PolicyNotAuthorized', 'rule:delete_quota is disallowed by policy');
      await expect403(
        srv.api.get('/v2.0/quotas/qr-other/details', me),
        'AdminRequired',
        'User does not have admin privileges: Only admin is authorized to access quotas for another project.',
      );
    });

    it("refuses creates over the owner's quota with OverQuota, bulk included, and nothing is left behind", async () => {
      const P = 'qr-over';
      await srv.api.put(`/v2.0/quotas/${P}`, { quota: { network: 2, subnet: 1, port: 1 } });
      const a = await srv.api.post('/v2.0/networks', { network: { name: 'a', project_id: P } });
      assert.equal(a.status, 201);
      const bulk = await srv.api.post('/v2.0/networks', { networks: [{ project_id: P }, { project_id: P }] });
      assert.equal(bulk.status, 409);
      assert.deepEqual(bulk.body.NeutronError, { type: 'OverQuota', message: "Quota exceeded for resources: ['network'].", detail: '' });
      assert.equal((await srv.api.get(`/v2.0/networks?project_id=${P}`)).body.networks.length, 1, 'the bulk create left nothing');
      assert.equal((await srv.api.post('/v2.0/networks', { network: { project_id: P } })).status, 201);
      const third = await srv.api.post('/v2.0/networks', { network: { project_id: P } }, MEMBER(P));
      assert.equal(third.status, 409);
      assert.equal(third.body.NeutronError.type, 'OverQuota');

      const net = a.body.network.id;
      assert.equal((await srv.api.post('/v2.0/subnets', { subnet: { network_id: net, cidr: '10.1.0.0/24', ip_version: 4, project_id: P } })).status, 201);
      const sub2 = await srv.api.post('/v2.0/subnets', { subnet: { network_id: net, cidr: '10.2.0.0/24', ip_version: 4, project_id: P } });
      assert.equal(sub2.status, 409);
      assert.equal(sub2.body.NeutronError.message, "Quota exceeded for resources: ['subnet'].");

      assert.equal((await srv.api.post('/v2.0/ports', { port: { network_id: net } }, MEMBER(P))).status, 201);
      const port2 = await srv.api.post('/v2.0/ports', { port: { network_id: net } }, MEMBER(P));
      assert.equal(port2.status, 409);
      assert.equal(port2.body.NeutronError.message, "Quota exceeded for resources: ['port'].");
      assert.equal((await srv.api.post('/v2.0/ports', { port: { network_id: net } })).status, 201, "the admin's own project has its own quota");
      assert.deepEqual((await srv.api.get(`/v2.0/quotas/${P}/details`)).body.quota.port, { limit: 1, used: 1, reserved: 0 });

      // a freed unit can be taken again; -1 lifts the limit
      const mine = (await srv.api.get(`/v2.0/ports?project_id=${P}`)).body.ports[0];
      assert.equal((await srv.api.del(`/v2.0/ports/${mine.id}`)).status, 204);
      assert.equal((await srv.api.post('/v2.0/ports', { port: { network_id: net, project_id: P } })).status, 201);
      await srv.api.put(`/v2.0/quotas/${P}`, { quota: { port: -1 } });
      assert.equal((await srv.api.post('/v2.0/ports', { ports: [1, 2, 3].map(() => ({ network_id: net, project_id: P })) })).status, 201);
    });

    it('a quota of 0 refuses the first create', async () => {
      await srv.api.put('/v2.0/quotas/qr-zero', { quota: { network: 0 } });
      const r = await srv.api.post('/v2.0/networks', { network: { project_id: 'qr-zero' } });
      assert.equal(r.status, 409);
      assert.equal(r.body.NeutronError.type, 'OverQuota');
    });

    it('limits RBAC policies per project', async () => {
      const P = 'qr-rbacq';
      await srv.api.put(`/v2.0/quotas/${P}`, { quota: { rbac_policy: 1 } });
      const net = (await srv.api.post('/v2.0/networks', { network: { project_id: P } })).body.network;
      const pol = (t: string) => ({ rbac_policy: { object_type: 'network', object_id: net.id, action: 'access_as_shared', target_tenant: t } });
      assert.equal((await srv.api.post('/v2.0/rbac-policies', pol('qr-x1'), MEMBER(P))).status, 201);
      const r = await srv.api.post('/v2.0/rbac-policies', pol('qr-x2'), MEMBER(P));
      assert.equal(r.status, 409);
      assert.deepEqual(r.body.NeutronError, { type: 'OverQuota', message: "Quota exceeded for resources: ['rbac_policy'].", detail: '' });
      assert.deepEqual((await srv.api.get(`/v2.0/quotas/${P}/details`)).body.quota.rbac_policy, { limit: 1, used: 1, reserved: 0 });
    });

    it("lifts every quota the benchmark lifts in one PUT (bench.py's request)", async () => {
      const r = await srv.api.put('/v2.0/quotas/qr-bench', {
        quota: { port: -1, network: -1, subnet: -1, router: -1, security_group: -1, security_group_rule: -1 },
      });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.quota, { ...DEFAULTS, port: -1, network: -1, subnet: -1, router: -1, security_group: -1, security_group_rule: -1 });
    });

    it('lists the quota extensions', async () => {
      const aliases = (await srv.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
      for (const a of ['quotas', 'quota_details', 'quota-check-limit']) assert.ok(aliases.includes(a), a);
      const ext = (await srv.api.get('/v2.0/extensions/quotas')).body.extension;
      assert.deepEqual(ext, { name: 'Quota management support', alias: 'quotas', description: 'Expose functions for quotas management per project', updated: '2012-07-29T10:00:00-00:00', links: [] });
    });
  });
}

describe('quota defaults come from [QUOTAS]', () => {
  const srv = serverFixture(() => import('./helpers/dialects.js').then((d) => d.sqlite.create()), { NUCLEON_QUOTAS__QUOTA_NETWORK: '1', NUCLEON_QUOTAS__QUOTA_PORT: '-1' });
  before(() => srv.start());
  after(() => srv.stop());

  it('uses the configured defaults for show, default and the check', async () => {
    assert.deepEqual((await srv.api.get('/v2.0/quotas/qr-cfg')).body.quota, { ...DEFAULTS, network: 1, port: -1 });
    assert.deepEqual((await srv.api.get('/v2.0/quotas/qr-cfg/default')).body.quota, { ...DEFAULTS, network: 1, port: -1 });
    assert.equal((await srv.api.post('/v2.0/networks', { network: { project_id: 'qr-cfg' } })).status, 201);
    assert.equal((await srv.api.post('/v2.0/networks', { network: { project_id: 'qr-cfg' } })).status, 409);
  });
});
