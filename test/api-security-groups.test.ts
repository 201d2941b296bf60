/** Security groups and rules on every database: defaults, validation, duplicates, ports, isolation. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const A = { 'X-Project-Id': 'proj-a', 'X-Roles': 'member' };
const B = { 'X-Project-Id': 'proj-b', 'X-Roles': 'member' };

for (const dialect of DIALECTS) {
  describe(`security groups on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());
    const err = (r: { body: { NeutronError: { type: string; message: string } } }) => r.body.NeutronError;
    const group = async (name: string, h = A) => (await srv.api.post('/v2.0/security-groups', { security_group: { name } }, h)).body.security_group;
    const rule = (body: Record<string, unknown>, h: Record<string, string> = A) => srv.api.post('/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', ...body } }, h);
    const shape = (r: { direction: string; ethertype: string; remote_group_id: string | null; protocol: string | null }) => `${r.direction}/${r.ethertype}/${r.remote_group_id ? 'self' : 'any'}/${r.protocol}`;

    it("gives every project one default group with Neutron's default rules, created lazily", async () => {
      const first = await srv.api.get('/v2.0/security-groups', A);
      const again = await srv.api.get('/v2.0/security-groups', A);
      assert.equal(first.body.security_groups.length, 1);
      assert.deepEqual(again.body.security_groups.map((g: { id: string }) => g.id), first.body.security_groups.map((g: { id: string }) => g.id));
      const d = first.body.security_groups[0];
      assert.equal(d.name, 'default');
      assert.equal(d.description, 'Default security group');
      assert.equal(d.stateful, true);
      assert.equal(d.project_id, 'proj-a');
      assert.deepEqual(d.security_group_rules.map(shape).sort(), ['egress/IPv4/any/null', 'egress/IPv6/any/null', 'ingress/IPv4/self/null', 'ingress/IPv6/self/null']);
      for (const r of d.security_group_rules.filter((x: { remote_group_id: string | null }) => x.remote_group_id)) assert.equal(r.remote_group_id, d.id);
    });

    it('creates groups with the two egress rules and refuses the name default', async () => {
      const g = await group('web');
      assert.equal(g.revision_number, 1);
      assert.deepEqual(g.security_group_rules.map(shape).sort(), ['egress/IPv4/any/null', 'egress/IPv6/any/null']);
      assert.deepEqual(g.tags, []);
      const dup = await srv.api.post('/v2.0/security-groups', { security_group: { name: 'default' } }, A);
      assert.equal(dup.status, 409);
      assert.equal(err(dup).type, 'SecurityGroupDefaultAlreadyExists');
    });

    it('creates rules, normalises the prefix and bumps the group revision', async () => {
      const g = await group('ssh');
      const r = await rule({ security_group_id: g.id, protocol: 'TCP', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.1/8', description: 'ssh' });
      assert.equal(r.status, 201);
      const x = r.body.security_group_rule;
      assert.deepEqual(
        { protocol: x.protocol, min: x.port_range_min, max: x.port_range_max, prefix: x.remote_ip_prefix, normalized: x.normalized_cidr, ethertype: x.ethertype, description: x.description, project: x.project_id },
        { protocol: 'tcp', min: 22, max: 22, prefix: '10.0.0.1/8', normalized: '10.0.0.0/8', ethertype: 'IPv4', description: 'ssh', project: 'proj-a' },
      );
      assert.equal((await srv.api.get(`/v2.0/security-groups/${g.id}`, A)).body.security_group.revision_number, 2);
      const same = await rule({ security_group_id: g.id, protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8' });
      assert.equal(same.status, 409);
      assert.deepEqual(err(same), { type: 'SecurityGroupRuleExists', message: `Security group rule already exists. Rule id is ${x.id}.`, detail: '' });
      const icmp = await rule({ security_group_id: g.id, protocol: 'icmp', port_range_min: 8, port_range_max: 0 });
      assert.equal(icmp.status, 201);
      const host = await rule({ security_group_id: g.id, ethertype: 'ipv6', remote_ip_prefix: '2001:DB8::1' });
      assert.equal(host.body.security_group_rule.remote_ip_prefix, '2001:db8::1/128');
      assert.equal(host.body.security_group_rule.ethertype, 'IPv6');
      assert.equal((await srv.api.del(`/v2.0/security-group-rules/${x.id}`, A)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/security-group-rules/${x.id}`, A)).status, 404);
      assert.equal((await srv.api.get(`/v2.0/security-groups/${g.id}`, A)).body.security_group.revision_number, 5);
      const listed = await srv.api.get(`/v2.0/security-group-rules?security_group_id=${g.id}&normalized_cidr=2001:db8::1/128&fields=id`, A);
      assert.deepEqual(listed.body.security_group_rules, [{ id: host.body.security_group_rule.id }]);
    });

    it("refuses invalid rules with Neutron's errors", async () => {
      const g = await group('bad-rules');
      const cases: Array<[Record<string, unknown>, number, string, string?]> = [
        [{ protocol: 'tcp', port_range_min: 30, port_range_max: 22 }, 400, 'SecurityGroupInvalidPortRange', 'For TCP/UDP protocols, port_range_min must be <= port_range_max'],
        [{ protocol: '6', port_range_min: 80 }, 400, 'SecurityGroupInvalidPortRange'],
        [{ protocol: 'udp', port_range_min: 0, port_range_max: 10 }, 400, 'SecurityGroupInvalidPortValue', 'Invalid value for port 0'],
        [{ protocol: 'tcp', port_range_min: 70000, port_range_max: 70000 }, 400, 'SecurityGroupInvalidPortValue'],
        [{ protocol: 'icmp', port_range_min: 300 }, 400, 'SecurityGroupInvalidIcmpValue', 'Invalid value for ICMP type (port_range_min) 300. It must be 0 to 255.'],
        [{ protocol: 'icmp', port_range_max: 3 }, 400, 'SecurityGroupMissingIcmpType'],
        [{ port_range_min: 22, port_range_max: 22 }, 400, 'SecurityGroupProtocolRequiredWithPorts', 'Must also specify protocol if port range is given.'],
        [{ protocol: 'gre', port_range_min: 22, port_range_max: 22 }, 400, 'SecurityGroupInvalidProtocolForPort'],
        [{ protocol: 'foo' }, 400, 'SecurityGroupRuleInvalidProtocol'],
        [{ protocol: 300 }, 400, 'SecurityGroupRuleInvalidProtocol'],
        [{ direction: 'sideways' }, 400, 'HTTPBadRequest', 'Invalid input for direction. Reason: sideways is not in valid_values.'],
        [{ ethertype: 'IPv5' }, 400, 'SecurityGroupRuleInvalidEtherType'],
        [{ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }, 400, 'SecurityGroupRuleParameterConflict', 'Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8'],
        [{ protocol: 'ipv6-icmp' }, 400, 'SecurityGroupEthertypeConflictWithProtocol'],
        [{ remote_ip_prefix: 'x' }, 400, 'InvalidCIDR'],
        [{ remote_ip_prefix: '10.0.0.0/8', remote_group_id: g.id }, 400, 'SecurityGroupMultipleRemoteEntites'],
        [{ remote_group_id: '11111111-2222-3333-4444-555555555555' }, 404, 'SecurityGroupNotFound'],
      ];
      for (const [body, status, type, message] of cases) {
        const r = await rule({ security_group_id: g.id, ...body });
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(err(r).type, type, JSON.stringify(body));
        if (message) assert.equal(err(r).message, message);
      }
      const ghost = await rule({ security_group_id: '11111111-2222-3333-4444-555555555555' });
      assert.deepEqual(err(ghost), { type: 'SecurityGroupNotFound', message: 'Security group 11111111-2222-3333-4444-555555555555 does not exist', detail: '' });
      const after = (await srv.api.get(`/v2.0/security-groups/${g.id}`, A)).body.security_group;
      assert.equal(after.security_group_rules.length, 2, 'no refused rule was written');
    });

    it('creates rules in bulk atomically', async () => {
      const g = await group('bulk');
      const ok = await srv.api.post('/v2.0/security-group-rules', {
        security_group_rules: [
          { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 },
          { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 443, port_range_max: 443 },
        ],
      }, A);
      assert.equal(ok.status, 201);
      assert.equal(ok.body.security_group_rules.length, 2);
      const dup = await srv.api.post('/v2.0/security-group-rules', {
        security_group_rules: [
          { security_group_id: g.id, direction: 'ingress', protocol: 'udp', port_range_min: 53, port_range_max: 53 },
          { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 },
        ],
      }, A);
      assert.equal(dup.status, 409);
      const rules = (await srv.api.get(`/v2.0/security-group-rules?security_group_id=${g.id}&protocol=udp`, A)).body.security_group_rules;
      assert.deepEqual(rules, [], 'the first rule of the failed bulk was rolled back');
    });

    it('puts ports in the default group unless told otherwise', async () => {
      const n = (await srv.api.post('/v2.0/networks', { network: {} }, A)).body.network;
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: n.id, cidr: '10.0.0.0/24', ip_version: 4 } }, A);
      const def = (await srv.api.get('/v2.0/security-groups?name=default', A)).body.security_groups[0];
      const web = await group('web-ports');
      const p = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id } }, A)).body.port;
      assert.deepEqual(p.security_groups, [def.id]);
      const dhcp = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id, device_owner: 'network:dhcp' } }, A)).body.port;
      assert.deepEqual(dhcp.security_groups, []);
      const open = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id, port_security_enabled: false } }, A)).body.port;
      assert.deepEqual(open.security_groups, []);
      const bad = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, port_security_enabled: false, security_groups: [web.id] } }, A);
      assert.equal(bad.status, 400);
      assert.equal(err(bad).type, 'PortSecurityAndIPRequiredForSecurityGroups');
      const chosen = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id, security_groups: [web.id] } }, A)).body.port;
      assert.deepEqual(chosen.security_groups, [web.id]);
      const filtered = await srv.api.get(`/v2.0/ports?security_groups=${web.id}&fields=id`, A);
      assert.deepEqual(filtered.body.ports, [{ id: chosen.id }]);
      const off = await srv.api.put(`/v2.0/ports/${chosen.id}`, { port: { port_security_enabled: false } }, A);
      assert.equal(off.status, 409);
      assert.equal(err(off).type, 'PortSecurityPortHasSecurityGroup');
      const inUse = await srv.api.del(`/v2.0/security-groups/${web.id}`, A);
      assert.equal(inUse.status, 409);
      assert.deepEqual(err(inUse), { type: 'SecurityGroupInUse', message: `Security Group ${web.id} in use.`, detail: '' });
      const cleared = await srv.api.put(`/v2.0/ports/${chosen.id}`, { port: { port_security_enabled: false, security_groups: [] } }, A);
      assert.equal(cleared.status, 200);
      assert.deepEqual(cleared.body.port.security_groups, []);
      assert.equal((await srv.api.del(`/v2.0/security-groups/${web.id}`, A)).status, 204);
      const ghost = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, security_groups: ['11111111-2222-3333-4444-555555555555'] } }, A);
      assert.equal(err(ghost).type, 'SecurityGroupNotFound');
    });

    it('refuses a port in stateful and stateless groups at once, and changing the kind of a group in use', async () => {
      const C = { 'X-Project-Id': 'proj-c', 'X-Roles': 'member' }; // a project of its own: the others' groups fill A's quota
      const n = (await srv.api.post('/v2.0/networks', { network: {} }, C)).body.network;
      const stateless = (await srv.api.post('/v2.0/security-groups', { security_group: { name: 'sl', stateful: false } }, C)).body.security_group;
      assert.equal(stateless.stateful, false);
      const stateful = await group('sf', C);
      const mixed = 'Error Cannot apply both stateful and stateless security groups on the same port at the same time while attempting the operation.';
      const both = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, security_groups: [stateful.id, stateless.id] } }, C);
      assert.equal(both.status, 409);
      assert.deepEqual(err(both), { type: 'SecurityGroupConflict', message: mixed, detail: '' });
      const p = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id, security_groups: [stateless.id] } }, C)).body.port;
      assert.deepEqual(p.security_groups, [stateless.id]);
      const added = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { security_groups: [stateless.id, stateful.id] } }, C);
      assert.equal(added.status, 409);
      assert.equal(err(added).message, mixed);
      assert.deepEqual((await srv.api.get(`/v2.0/ports/${p.id}`, C)).body.port.security_groups, [stateless.id], 'nothing changed');
      const flip = await srv.api.put(`/v2.0/security-groups/${stateless.id}`, { security_group: { stateful: true } }, C);
      assert.equal(flip.status, 409);
      assert.deepEqual(err(flip), { type: 'SecurityGroupInUse', message: `Security Group ${stateless.id} in use.`, detail: '' });
      const same = await srv.api.put(`/v2.0/security-groups/${stateless.id}`, { security_group: { stateful: false, description: 'still stateless' } }, C);
      assert.equal(same.status, 200, 'the same value is no change');
      const unused = await srv.api.put(`/v2.0/security-groups/${stateful.id}`, { security_group: { stateful: false } }, C);
      assert.equal(unused.body.security_group.stateful, false, 'a group no port uses may change');
      const moved = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { security_groups: [stateless.id, stateful.id] } }, C);
      assert.deepEqual(moved.body.port.security_groups.sort(), [stateless.id, stateful.id].sort(), 'two stateless groups');
      assert.equal((await srv.api.del(`/v2.0/ports/${p.id}`, C)).status, 204);
      assert.equal((await srv.api.put(`/v2.0/security-groups/${stateless.id}`, { security_group: { stateful: true } }, C)).body.security_group.stateful, true);
    });

    it('protects the default group', async () => {
      const def = (await srv.api.get('/v2.0/security-groups?name=default', A)).body.security_groups[0];
      const rename = await srv.api.put(`/v2.0/security-groups/${def.id}`, { security_group: { name: 'x' } }, A);
      assert.equal(rename.status, 409);
      assert.equal(err(rename).message, 'Updating default security group not allowed.');
      const describe = await srv.api.put(`/v2.0/security-groups/${def.id}`, { security_group: { description: 'mine' } }, A);
      assert.equal(describe.status, 200);
      const remove = await srv.api.del(`/v2.0/security-groups/${def.id}`, A);
      assert.equal(remove.status, 409);
      assert.equal(err(remove).type, 'SecurityGroupCannotRemoveDefault');
    });

    it("keeps one project's groups from another", async () => {
      const g = await group('private-a');
      assert.equal((await srv.api.get(`/v2.0/security-groups/${g.id}`, B)).status, 404);
      assert.ok(!(await srv.api.get('/v2.0/security-groups', B)).body.security_groups.some((x: { id: string }) => x.id === g.id));
      assert.equal((await rule({ security_group_id: g.id }, B)).status, 404);
      const n = (await srv.api.post('/v2.0/networks', { network: {} }, B)).body.network;
      const use = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, security_groups: [g.id] } }, B);
      assert.equal(use.status, 404);
      assert.equal(err(use).type, 'SecurityGroupNotFound');
    });

    it('shares a group with another project through an RBAC policy', async () => {
      const g = await group('shared-by-a');
      const policy = await srv.api.post('/v2.0/rbac-policies', { rbac_policy: { object_type: 'security_group', object_id: g.id, action: 'access_as_shared', target_tenant: 'proj-b' } }, A);
      assert.equal(policy.status, 201, JSON.stringify(policy.body));
      const seen = await srv.api.get(`/v2.0/security-groups/${g.id}`, B);
      assert.equal(seen.status, 200);
      assert.equal(seen.body.security_group.shared, true, 'shared, as seen by the project it is shared with');
      assert.equal((await srv.api.get(`/v2.0/security-groups/${g.id}`, A)).body.security_group.shared, false, 'not shared from the point of view of its owner');
      assert.ok((await srv.api.get('/v2.0/security-groups?shared=True', B)).body.security_groups.some((x: { id: string }) => x.id === g.id));
      // both values of a boolean filter: every group (was a 500 on SQLite, which binds no booleans)
      const both = await srv.api.get('/v2.0/security-groups?shared=True&shared=False&fields=id', B);
      assert.equal(both.status, 200);
      assert.ok(both.body.security_groups.some((x: { id: string }) => x.id === g.id));
      // no rule has an address group: asking for none lists them all, asking for one lists nothing
      assert.equal((await srv.api.get(`/v2.0/security-group-rules?security_group_id=${g.id}&remote_address_group_id=`, B)).body.security_group_rules.length, 2);
      assert.deepEqual((await srv.api.get(`/v2.0/security-group-rules?remote_address_group_id=${g.id}`, B)).body.security_group_rules, []);
      assert.equal((await srv.api.get(`/v2.0/security-group-rules?security_group_id=${g.id}`, B)).body.security_group_rules.length, 2, 'its rules are visible too');
      const n = (await srv.api.post('/v2.0/networks', { network: {} }, B)).body.network;
      const p = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, security_groups: [g.id] } }, B);
      assert.equal(p.status, 201, 'project B may use it on its ports');
      assert.equal((await srv.api.put(`/v2.0/security-groups/${g.id}`, { security_group: { name: 'taken' } }, B)).status, 403);
      assert.equal((await rule({ security_group_id: g.id, protocol: 'tcp', port_range_min: 1, port_range_max: 1 }, B)).status, 403);
      assert.equal((await srv.api.del(`/v2.0/security-groups/${g.id}`, B)).status, 403);
      const revoke = await srv.api.del(`/v2.0/rbac-policies/${policy.body.rbac_policy.id}`, A);
      assert.equal(revoke.status, 409, 'B still uses it');
      assert.equal(err(revoke).type, 'RbacPolicyInUse');
      assert.equal((await srv.api.del(`/v2.0/ports/${p.body.port.id}`, B)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/rbac-policies/${policy.body.rbac_policy.id}`, A)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/security-groups/${g.id}`, B)).status, 404, 'gone once unshared');
    });

    it('deletes a group with the rules that name it as remote group', async () => {
      const target = await group('target');
      const other = await group('other');
      const r = (await rule({ security_group_id: other.id, remote_group_id: target.id })).body.security_group_rule;
      assert.equal((await srv.api.del(`/v2.0/security-groups/${target.id}`, A)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/security-group-rules/${r.id}`, A)).status, 404);
      assert.equal((await srv.api.get(`/v2.0/security-groups/${target.id}`, A)).status, 404);
    });
  });
}
