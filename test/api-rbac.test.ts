/**
 * RBAC policies over HTTP on every database: the policy resource (create, list, show, update,
 * delete, Neutron's validation errors), what a policy opens (project B sees A's network only through
 * a policy, can attach ports, cannot change the network), `shared` and `router:external` as derived
 * from policies, in-use refusals, non-admin rules, and policies on security groups.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture, type Reply } from './helpers/server.js';

const A = { 'X-Project-Id': 'qr-a', 'X-Roles': 'member' };
const B = { 'X-Project-Id': 'qr-b', 'X-Roles': 'member' };
const C = { 'X-Project-Id': 'qr-c', 'X-Roles': 'member' };
const MISSING = '11111111-2222-3333-4444-555555555555';

const err = (r: Reply, status: number, type: string, message?: string) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.NeutronError.type, type);
  if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
};

for (const dialect of DIALECTS) {
  describe(`RBAC policies on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());

    const network = async (headers = A, body: Record<string, unknown> = {}) => (await srv.api.post('/v2.0/networks', { network: { name: 'qr-net', ...body } }, headers)).body.network;
    const policy = (object_id: string, target_tenant: string, action = 'access_as_shared', object_type = 'network') => ({
      rbac_policy: { object_type, object_id, action, target_tenant },
    });

    it('creates a policy with the fields Neutron shows, and bumps the network revision', async () => {
      const net = await network();
      const r = await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-b'), A);
      assert.equal(r.status, 201);
      const p = r.body.rbac_policy;
      assert.match(p.id, /^[0-9a-f-]{36}$/);
      assert.deepEqual(p, { id: p.id, project_id: 'qr-a', action: 'access_as_shared', object_id: net.id, target_tenant: 'qr-b', object_type: 'network', tenant_id: 'qr-a' });
      assert.deepEqual(Object.keys(p), ['id', 'project_id', 'action', 'object_id', 'target_tenant', 'object_type', 'tenant_id']);
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, A)).body.network.revision_number, net.revision_number + 1);
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies/${p.id}`, A)).body.rbac_policy, p);
      err(await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-b'), A), 409, 'DuplicateRbacPolicy', 'An RBAC policy already exists with those values.');
      const normalized = await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-n', 'access_as_shared', ' Network '));
      assert.equal(normalized.status, 201);
      assert.equal(normalized.body.rbac_policy.object_type, 'network');
      assert.equal(normalized.body.rbac_policy.project_id, 'fake_project_id', "an admin's policy belongs to the admin's project");
    });

    it("refuses bad bodies with Neutron's errors", async () => {
      const net = await network();
      const ok = policy(net.id, 'qr-v').rbac_policy;
      const without = (k: string) => Object.fromEntries(Object.entries(ok).filter(([key]) => key !== k));
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [without('target_tenant'), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'target_tenant' not specified"],
        [without('action'), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'action' not specified"],
        [without('object_id'), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'object_id' not specified"],
        [without('object_type'), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'object_type' not specified"],
        [{ ...ok, object_type: 'bogus' }, 400, 'InvalidInput', "Invalid input for operation: 'bogus' is not a valid RBAC object type."],
        [{ ...ok, object_type: 5 }, 400, 'InvalidInput', "Invalid input for operation: '5' is not a valid RBAC object type."],
        [{ ...ok, action: 'bogus' }, 400, 'InvalidActionForType', "Invalid action 'bogus' for object type 'network'. Valid actions: ('access_as_shared', 'access_as_external')"],
        [{ ...ok, object_type: 'security_group', action: 'access_as_external' }, 400, 'InvalidActionForType', "Invalid action 'access_as_external' for object type 'security_group'. Valid actions: ('access_as_shared',)"],
        [{ ...ok, object_id: 'not-a-uuid' }, 400, 'HTTPBadRequest', "Invalid input for object_id. Reason: 'not-a-uuid' is not a valid UUID."],
        [{ ...ok, target_tenant: 5 }, 400, 'HTTPBadRequest', "Invalid input for target_tenant. Reason: '5' is not a valid string."],
        [{ ...ok, target_tenant: 'x'.repeat(256) }, 400, 'HTTPBadRequest', `Invalid input for target_tenant. Reason: '${'x'.repeat(256)}' exceeds maximum length of 255.`],
        [{ ...ok, description: 'x' }, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'description'"],
        [
          { ...ok, object_id: MISSING },
          400,
          'InvalidInput',
          `Invalid input for operation: Callback neutron.plugins.ml2.plugin.NeutronDbPluginV2.validate_network_rbac_policy_change failed with "Network ${MISSING} could not be found.".`,
        ],
        [
          { ...ok, object_id: MISSING, action: 'access_as_external' },
          400,
          'InvalidInput',
          `Invalid input for operation: Callback neutron.plugins.ml2.plugin.External_net_db_mixin._process_ext_policy_create failed with "Network ${MISSING} could not be found.".`,
        ],
      ];
      for (const [body, status, type, message] of cases) err(await srv.api.post('/v2.0/rbac-policies', { rbac_policy: body }), status, type, message);
      err(await srv.api.post('/v2.0/rbac-policies', { bogus: {} }), 400, 'HTTPBadRequest', "Unable to find 'rbac_policy' in request body");
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, [], 'nothing was created');
    });

    it('lists with filters, by id, without pagination or sort keys', async () => {
      const net = await network();
      const ids: string[] = [];
      for (const t of ['qr-l1', 'qr-l2', 'qr-l3']) ids.push((await srv.api.post('/v2.0/rbac-policies', policy(net.id, t), A)).body.rbac_policy.id);
      const all = await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}`);
      assert.deepEqual(all.body.rbac_policies.map((p: { id: string }) => p.id), [...ids].sort());
      const one = await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}&target_tenant=qr-l2&fields=id&fields=target_tenant`);
      assert.deepEqual(one.body.rbac_policies, [{ id: ids[1], target_tenant: 'qr-l2' }]);
      const typed = await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}&object_type=NETWORK&action=access_as_shared&tenant_id=qr-a`);
      assert.equal(typed.body.rbac_policies.length, 3);
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}&object_type=security_group`)).body.rbac_policies, []);
      const paged = await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}&limit=1`);
      assert.equal(paged.body.rbac_policies.length, 3, 'limit is ignored');
      assert.equal(paged.body.rbac_policies_links, undefined);
      err(await srv.api.get('/v2.0/rbac-policies?object_type=bogus'), 400, 'InvalidInput', "Invalid input for operation: 'bogus' is not a valid RBAC object type.");
      err(await srv.api.get('/v2.0/rbac-policies?bogus=1'), 400, 'HTTPBadRequest', "['bogus'] is invalid attribute for filtering");
      err(await srv.api.get('/v2.0/rbac-policies?sort_key=id&sort_dir=asc'), 400, 'HTTPBadRequest', "['id'] is invalid attribute for sort_keys");
    });

    it('shows, updates and deletes; unknown ids are RbacPolicyNotFound', async () => {
      const net = await network();
      const p = (await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-u1'), A)).body.rbac_policy;
      const r = await srv.api.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: 'qr-u2' } }, A);
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.rbac_policy, { ...p, target_tenant: 'qr-u2' });
      err(await srv.api.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { action: 'access_as_external' } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute action');
      err(await srv.api.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { object_id: MISSING } }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute object_id');
      const other = (await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-u3'), A)).body.rbac_policy;
      err(await srv.api.put(`/v2.0/rbac-policies/${other.id}`, { rbac_policy: { target_tenant: 'qr-u2' } }), 409, 'DuplicateRbacPolicy');
      assert.equal((await srv.api.del(`/v2.0/rbac-policies/${p.id}`, A)).status, 204);
      const gone = `RBAC policy of type unknown with ID ${p.id} not found`;
      err(await srv.api.get(`/v2.0/rbac-policies/${p.id}`), 404, 'RbacPolicyNotFound', gone);
      err(await srv.api.put(`/v2.0/rbac-policies/${p.id}`, { rbac_policy: { target_tenant: 'x' } }), 404, 'RbacPolicyNotFound', gone);
      err(await srv.api.del(`/v2.0/rbac-policies/${p.id}`), 404, 'RbacPolicyNotFound', gone);
      err(await srv.api.get('/v2.0/rbac-policies/nope'), 404, 'RbacPolicyNotFound', 'RBAC policy of type unknown with ID nope not found');
    });

    it("isolates projects: B sees A's network only through a policy, uses it, cannot change it", async () => {
      const net = await network(A);
      const sub = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.77.0.0/24', ip_version: 4 } }, A)).body.subnet;
      const listIds = async (h: Record<string, string>) => (await srv.api.get('/v2.0/networks?fields=id', h)).body.networks.map((n: { id: string }) => n.id);

      err(await srv.api.get(`/v2.0/networks/${net.id}`, B), 404, 'NetworkNotFound');
      assert.ok(!(await listIds(B)).includes(net.id));
      err(await srv.api.post('/v2.0/ports', { port: { network_id: net.id } }, B), 404, 'NetworkNotFound');

      const pol = (await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-b'), A)).body.rbac_policy;
      const seen = await srv.api.get(`/v2.0/networks/${net.id}`, B);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.network.shared, true, 'shared with B, as B sees it');
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, A)).body.network.shared, false, 'not shared with everyone, as the owner sees it');
      assert.ok((await listIds(B)).includes(net.id));
      assert.ok((await srv.api.get('/v2.0/networks?shared=true&fields=id', B)).body.networks.some((n: { id: string }) => n.id === net.id));
      assert.ok(!(await srv.api.get('/v2.0/networks?shared=true&fields=id', A)).body.networks.some((n: { id: string }) => n.id === net.id));
      assert.ok((await srv.api.get('/v2.0/networks?shared=false&fields=id', A)).body.networks.some((n: { id: string }) => n.id === net.id));
      assert.ok((await srv.api.get('/v2.0/subnets?fields=id', B)).body.subnets.some((s: { id: string }) => s.id === sub.id), "B sees the network's subnets");
      err(await srv.api.get(`/v2.0/networks/${net.id}`, C), 404, 'NetworkNotFound');
      assert.ok(!(await listIds(C)).includes(net.id), 'C still sees nothing');

      const port = await srv.api.post('/v2.0/ports', { port: { network_id: net.id } }, B);
      assert.equal(port.status, 201);
      assert.equal(port.body.port.project_id, 'qr-b');
      assert.equal(port.body.port.fixed_ips[0].subnet_id, sub.id);

      err(await srv.api.put(`/v2.0/networks/${net.id}`, { network: { name: 'mine' } }, B), 403, 'PolicyNotAuthorized', 'rule:update_network is disallowed by policy');
      err(await srv.api.del(`/v2.0/networks/${net.id}`, B), 403, 'PolicyNotAuthorized', 'rule:delete_network is disallowed by policy');
      err(await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.78.0.0/24', ip_version: 4 } }, B), 403, 'PolicyNotAuthorized', 'rule:create_subnet is disallowed by policy');
      err(await srv.api.put(`/v2.0/subnets/${sub.id}`, { subnet: { name: 'mine' } }, B), 403, 'PolicyNotAuthorized', 'rule:update_subnet is disallowed by policy');
      err(await srv.api.del(`/v2.0/subnets/${sub.id}`, B), 403, 'PolicyNotAuthorized', 'rule:delete_subnet is disallowed by policy');
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, A)).body.network.name, 'qr-net', 'unchanged');

      // B's port depends on the policy: removing or retargeting it is refused
      const inUse = `RBAC policy on object ${net.id} cannot be removed because other objects depend on it.\nDetails: Callback neutron.plugins.ml2.plugin.NeutronDbPluginV2.validate_network_rbac_policy_change failed with "Unable to reconfigure sharing settings for network ${net.id}. Multiple tenants are using it."`;
      err(await srv.api.del(`/v2.0/rbac-policies/${pol.id}`, A), 409, 'RbacPolicyInUse', inUse);
      err(await srv.api.put(`/v2.0/rbac-policies/${pol.id}`, { rbac_policy: { target_tenant: 'qr-c' } }, A), 409, 'RbacPolicyInUse', inUse);
      err(await srv.api.del(`/v2.0/networks/${net.id}`, A), 409, 'NetworkInUse');

      assert.equal((await srv.api.del(`/v2.0/ports/${port.body.port.id}`, B)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/rbac-policies/${pol.id}`, A)).status, 204);
      err(await srv.api.get(`/v2.0/networks/${net.id}`, B), 404, 'NetworkNotFound', `Network ${net.id} could not be found.`);
      assert.ok(!(await listIds(B)).includes(net.id));
    });

    it("shares with everyone through '*': shared=true creates the policy, shared=false removes it unless in use", async () => {
      const net = await network(A);
      const everyone = await srv.api.post('/v2.0/rbac-policies', policy(net.id, '*'));
      assert.equal(everyone.status, 201);
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, A)).body.network.shared, true);
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, C)).body.network.shared, true);
      const port = (await srv.api.post('/v2.0/ports', { port: { network_id: net.id } }, C)).body.port;
      const wildcardInUse = await srv.api.del(`/v2.0/rbac-policies/${everyone.body.rbac_policy.id}`);
      err(wildcardInUse, 409, 'RbacPolicyInUse');
      err(await srv.api.put(`/v2.0/networks/${net.id}`, { network: { shared: false } }, A), 409, 'InvalidSharedSetting', 'Unable to reconfigure sharing settings for network qr-net. Multiple tenants are using it.');
      // with a policy of its own, C keeps access and the wildcard can go
      assert.equal((await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-c'), A)).status, 201);
      const unshared = await srv.api.put(`/v2.0/networks/${net.id}`, { network: { shared: false } }, A);
      assert.equal(unshared.status, 200);
      assert.equal(unshared.body.network.shared, false);
      const left = (await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies;
      assert.deepEqual(left.map((p: { target_tenant: string }) => p.target_tenant), ['qr-c']);
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, C)).body.network.shared, true);
      err(await srv.api.get(`/v2.0/networks/${net.id}`, B), 404, 'NetworkNotFound');
      await srv.api.del(`/v2.0/ports/${port.id}`, C);

      const created = (await srv.api.post('/v2.0/networks', { network: { name: 'qr-net', shared: true } })).body.network;
      const policies = (await srv.api.get(`/v2.0/rbac-policies?object_id=${created.id}`)).body.rbac_policies;
      assert.deepEqual(
        policies.map((p: Record<string, string>) => [p.action, p.target_tenant, p.project_id]),
        [['access_as_shared', '*', 'fake_project_id']],
      );
      assert.equal(created.shared, true);
      assert.equal(created.revision_number, 1, 'the policies of a create do not bump the revision');
      assert.equal((await srv.api.get(`/v2.0/networks/${created.id}`, B)).body.network.shared, true);
      const reshared = await srv.api.put(`/v2.0/networks/${created.id}`, { network: { shared: false } });
      assert.equal(reshared.body.network.shared, false);
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies?object_id=${created.id}`)).body.rbac_policies, []);
      assert.equal((await srv.api.put(`/v2.0/networks/${created.id}`, { network: { shared: true } })).body.network.shared, true);
      assert.equal((await srv.api.get(`/v2.0/rbac-policies?object_id=${created.id}`)).body.rbac_policies.length, 1);
    });

    it('derives router:external from access_as_external policies', async () => {
      const net = await network(A);
      const ext = await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-b', 'access_as_external'), A);
      assert.equal(ext.status, 201);
      const after = (await srv.api.get(`/v2.0/networks/${net.id}`, A)).body.network;
      assert.equal(after['router:external'], true, 'an external policy makes the network external');
      assert.equal(after.shared, false);
      assert.equal(after.revision_number, net.revision_number + 2);
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, B)).status, 200, 'the target sees it');
      err(await srv.api.get(`/v2.0/networks/${net.id}`, C), 404, 'NetworkNotFound');
      assert.ok((await srv.api.get('/v2.0/networks?router:external=true&fields=id', B)).body.networks.some((n: { id: string }) => n.id === net.id));
      assert.equal((await srv.api.del(`/v2.0/rbac-policies/${ext.body.rbac_policy.id}`, A)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/networks/${net.id}`, A)).body.network['router:external'], false, 'the last one gone, it is internal again');

      const made = (await srv.api.post('/v2.0/networks', { network: { name: 'qr-ext', 'router:external': true } })).body.network;
      assert.equal(made['router:external'], true);
      const pols = (await srv.api.get(`/v2.0/rbac-policies?object_id=${made.id}`)).body.rbac_policies;
      assert.deepEqual(pols.map((p: Record<string, string>) => [p.action, p.target_tenant]), [['access_as_external', '*']]);
      assert.equal((await srv.api.get(`/v2.0/networks/${made.id}`, C)).status, 200, 'external for everyone');
      err(await srv.api.post('/v2.0/rbac-policies', policy(made.id, '*', 'access_as_external')), 409, 'DuplicateRbacPolicy');
      assert.equal((await srv.api.put(`/v2.0/networks/${made.id}`, { network: { 'router:external': false } })).body.network['router:external'], false);
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies?object_id=${made.id}`)).body.rbac_policies, []);
      err(await srv.api.get(`/v2.0/networks/${made.id}`, C), 404, 'NetworkNotFound');
    });

    it("applies Neutron's rules to non-admins", async () => {
      const net = await network(A);
      err(
        await srv.api.post('/v2.0/rbac-policies', policy(net.id, '*'), A),
        403,
        'PolicyNotAuthorized',
        '(rule:create_rbac_policy and rule:create_rbac_policy:target_tenant) is disallowed by policy',
      );
      err(
        await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-c'), B),
        400,
        'InvalidInput',
        `Invalid input for operation: Callback neutron.plugins.ml2.plugin.NeutronDbPluginV2.validate_network_rbac_policy_change failed with "Network ${net.id} could not be found.".`,
      );
      const mine = (await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-b'), A)).body.rbac_policy;
      err(
        await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-c'), B),
        400,
        'InvalidInput',
        'Invalid input for operation: Callback neutron.plugins.ml2.plugin.NeutronDbPluginV2.validate_network_rbac_policy_change failed with "Only admins can manipulate policies on networks they do not own".',
      );
      err(
        await srv.api.put(`/v2.0/rbac-policies/${mine.id}`, { rbac_policy: { target_tenant: '*' } }, A),
        403,
        'PolicyNotAuthorized',
        '(rule:update_rbac_policy and rule:update_rbac_policy:target_tenant) is disallowed by policy',
      );
      err(await srv.api.get(`/v2.0/rbac-policies/${mine.id}`, B), 404, 'RbacPolicyNotFound', `RBAC policy of type unknown with ID ${mine.id} not found`);
      err(await srv.api.del(`/v2.0/rbac-policies/${mine.id}`, B), 404, 'RbacPolicyNotFound');
      const bList = (await srv.api.get('/v2.0/rbac-policies', B)).body.rbac_policies;
      assert.ok(bList.every((p: { project_id: string }) => p.project_id === 'qr-b'), 'non-admins list their own policies only');
      assert.ok((await srv.api.get('/v2.0/rbac-policies', A)).body.rbac_policies.some((p: { id: string }) => p.id === mine.id));
    });

    it('removes the policies of a deleted network', async () => {
      const net = (await srv.api.post('/v2.0/networks', { network: { name: 'qr-net', shared: true, project_id: 'qr-a' } })).body.network;
      await srv.api.post('/v2.0/rbac-policies', policy(net.id, 'qr-b'), A);
      assert.equal((await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies.length, 2);
      assert.equal((await srv.api.del(`/v2.0/networks/${net.id}`, A)).status, 204);
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies?object_id=${net.id}`)).body.rbac_policies, []);
    });

    it('shares security groups; a group used by the target cannot lose its policy', async () => {
      const sg = await srv.api.post('/v2.0/security-groups', { security_group: { name: 'qr-sg' } }, A);
      assert.equal(sg.status, 201);
      const id = sg.body.security_group.id;
      const r = await srv.api.post('/v2.0/rbac-policies', policy(id, 'qr-b', 'access_as_shared', 'security_group'), A);
      assert.equal(r.status, 201);
      assert.equal(r.body.rbac_policy.object_type, 'security_group');
      assert.deepEqual((await srv.api.get(`/v2.0/rbac-policies?object_type=security_group&object_id=${id}&fields=target_tenant`)).body.rbac_policies, [{ target_tenant: 'qr-b' }]);
      err(await srv.api.post('/v2.0/rbac-policies', policy(id, 'qr-b', 'access_as_shared', 'security_group'), A), 409, 'DuplicateRbacPolicy');
      err(await srv.api.post('/v2.0/rbac-policies', policy(id, 'qr-c', 'access_as_shared', 'security_group'), B), 400, 'InvalidInput');
      err(await srv.api.post('/v2.0/rbac-policies', policy(MISSING, 'qr-c', 'access_as_shared', 'security_group')), 400, 'InvalidInput');
      // a port of the target project uses the group (an admin binds it)
      const net = await network(B);
      const port = await srv.api.post('/v2.0/ports', { port: { network_id: net.id, project_id: 'qr-b', security_groups: [id] } });
      assert.equal(port.status, 201, JSON.stringify(port.body));
      err(await srv.api.del(`/v2.0/rbac-policies/${r.body.rbac_policy.id}`, A), 409, 'RbacPolicyInUse', `RBAC policy on object ${id} cannot be removed because other objects depend on it.\nDetails: project_id=qr-b`);
      assert.equal((await srv.api.del(`/v2.0/ports/${port.body.port.id}`)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/rbac-policies/${r.body.rbac_policy.id}`, A)).status, 204);
    });

    it('lists the RBAC extensions', async () => {
      const aliases = (await srv.api.get('/v2.0/extensions')).body.extensions.map((e: { alias: string }) => e.alias);
      assert.ok(aliases.includes('rbac-policies'));
      assert.ok(aliases.includes('rbac-security-groups'), 'security groups honour the policies (test/api-security-groups.test.ts)');
    });
  });
}

describe('migration 0004 on existing networks', () => {
  it("gives networks that were shared or external the '*' policies Neutron would have created", async () => {
    const { sqlite } = await import('./helpers/dialects.js');
    const { Database } = await import('../src/db/database.js');
    const { standardValues } = await import('../src/db/repos/standard-attr-repo.js');
    const tdb = await sqlite.create();
    const database = new Database(tdb.url);
    try {
      const { error } = await database.migrator().migrateTo('0003-l3');
      assert.equal(error, undefined);
      const row = (id: string, shared: number, external: number) => ({
        id, project_id: 'qr-old', name: id, status: 'ACTIVE', admin_state_up: 1, shared, mtu: 1450, router_external: external,
        port_security_enabled: 1, availability_zone_hints: '[]', dns_domain: '', ...standardValues(''),
      });
      const ids = ['11111111-0000-0000-0000-000000000001', '11111111-0000-0000-0000-000000000002', '11111111-0000-0000-0000-000000000003'];
      await database.db.insertInto('networks').values([row(ids[0], 1, 0), row(ids[1], 0, 1), row(ids[2], 0, 0)]).execute();
      await database.migrateToLatest();
      const policies = await database.db.selectFrom('network_rbacs').select(['object_id', 'action', 'target_tenant', 'project_id']).orderBy('object_id').execute();
      assert.deepEqual(policies, [
        { object_id: ids[0], action: 'access_as_shared', target_tenant: '*', project_id: 'qr-old' },
        { object_id: ids[1], action: 'access_as_external', target_tenant: '*', project_id: 'qr-old' },
      ]);
    } finally {
      await database.close();
      await tdb.drop();
    }
  });
});
