/** Metering labels and label rules on every database: fields, defaults, checks, errors, policy. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const A = { 'X-Project-Id': 'proj-a', 'X-Roles': 'member' };
const B = { 'X-Project-Id': 'proj-b', 'X-Roles': 'member' };
const LABELS = '/v2.0/metering/metering-labels';
const RULES = '/v2.0/metering/metering-label-rules';
const MISSING = '11111111-1111-1111-1111-111111111111';

for (const dialect of DIALECTS) {
  describe(`metering on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());
    const err = (r: { body: { NeutronError: { type: string; message: string } } }) => r.body.NeutronError;
    const label = async (body: Record<string, unknown> = {}) => (await srv.api.post(LABELS, { metering_label: body })).body.metering_label;
    const rule = (body: Record<string, unknown>, h?: Record<string, string>) => srv.api.post(RULES, { metering_label_rule: { direction: 'ingress', ...body } }, h);

    it('lists both extensions', async () => {
      const r = await srv.api.get('/v2.0/extensions/metering');
      assert.deepEqual(r.body.extension, { name: 'Neutron Metering', alias: 'metering', description: 'Neutron Metering extension.', updated: '2013-06-12T10:00:00-00:00', links: [] });
      assert.equal((await srv.api.get('/v2.0/extensions/metering_source_and_destination_fields')).status, 200);
    });

    it('creates, shows, lists, filters and deletes labels with Neutron\'s fields and defaults', async () => {
      const r = await srv.api.post(LABELS, { metering_label: { name: 'met-l1' } });
      assert.equal(r.status, 201);
      const l = r.body.metering_label;
      assert.deepEqual(Object.keys(l), ['id', 'name', 'description', 'shared', 'project_id', 'tenant_id']);
      assert.deepEqual({ ...l, id: undefined }, { id: undefined, name: 'met-l1', description: '', shared: false, project_id: l.project_id, tenant_id: l.project_id });
      const other = await label({ name: 'met-l2', description: 'd', shared: 'true', tenant_id: 'proj-a' });
      assert.deepEqual([other.shared, other.project_id, other.tenant_id, other.description], [true, 'proj-a', 'proj-a', 'd']);
      assert.deepEqual((await srv.api.get(`${LABELS}/${l.id}`)).body.metering_label, l);
      assert.deepEqual((await srv.api.get(`${LABELS}?id=${l.id}`)).body.metering_labels, [l]);
      assert.deepEqual((await srv.api.get(`${LABELS}?id=33`)).body.metering_labels, []);
      assert.deepEqual((await srv.api.get(`${LABELS}?shared=true&fields=name`)).body.metering_labels, [{ name: 'met-l2' }]);
      const page = await srv.api.get(`${LABELS}?limit=1&sort_key=name&sort_dir=desc`);
      assert.equal(page.body.metering_labels[0].name, 'met-l2');
      assert.ok(page.body.metering_labels_links.some((x: { rel: string; href: string }) => x.rel === 'next' && x.href.includes('/v2.0/metering/metering-labels?')));
      const bulk = await srv.api.post(LABELS, { metering_labels: [{ name: 'met-b1' }, { name: 'met-b2' }] });
      assert.equal(bulk.status, 201);
      assert.equal(bulk.body.metering_labels.length, 2);
      assert.equal((await srv.api.del(`${LABELS}/${l.id}`)).status, 204);
      assert.deepEqual((await srv.api.get(`${LABELS}?id=${l.id}`)).body.metering_labels, []);
    });

    it("refuses invalid labels with Neutron's errors", async () => {
      const l = await label({ name: 'met-ro' });
      const cases: Array<[string, string, unknown, number, string, string]> = [
        ['POST', LABELS, { metering_label: { name: 'x', shared: 'x' } }, 400, 'InvalidInput', "Invalid input for operation: 'x' cannot be converted to boolean."],
        ['POST', LABELS, { metering_label: { name: 'x', id: 'x' } }, 400, 'HTTPBadRequest', "Attribute 'id' not allowed in POST"],
        ['POST', LABELS, { metering_label: { name: 'x', bogus: 'x' } }, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"],
        ['POST', LABELS, { metering_label: { name: 1 } }, 400, 'HTTPBadRequest', "Invalid input for name. Reason: '1' is not a valid string."],
        ['POST', LABELS, { metering_label: { name: 'x', project_id: 'p3', tenant_id: 'p4' } }, 400, 'HTTPBadRequest', "'project_id' and 'tenant_id' do not match"],
        ['PUT', `${LABELS}/${l.id}`, { metering_label: { name: 'y' } }, 400, 'HTTPBadRequest', 'Cannot update read-only attribute name'],
        ['PUT', `${LABELS}/${MISSING}`, { metering_label: {} }, 404, 'MeteringLabelNotFound', `Metering label '${MISSING}' does not exist.`],
        ['PUT', `${LABELS}/${l.id}`, { metering_label: {} }, 501, 'NotImplementedError', ''],
        ['GET', `${LABELS}/${MISSING}`, undefined, 404, 'MeteringLabelNotFound', `Metering label '${MISSING}' does not exist.`],
        ['DELETE', `${LABELS}/${MISSING}`, undefined, 404, 'MeteringLabelNotFound', `Metering label '${MISSING}' does not exist.`],
      ];
      for (const [method, path, body, status, type, message] of cases) {
        const r = await srv.api.call(method, path, body);
        assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}`);
        assert.deepEqual(err(r), { type, message, detail: '' });
      }
    });

    it('creates rules with the prefixes as netaddr writes them, and deletes them', async () => {
      const l = await label({ name: 'met-r' });
      const r = await rule({ metering_label_id: l.id, remote_ip_prefix: '10.0.0.0/24' });
      assert.equal(r.status, 201);
      const x = r.body.metering_label_rule;
      assert.deepEqual({ ...x, id: undefined }, { id: undefined, metering_label_id: l.id, direction: 'ingress', remote_ip_prefix: '10.0.0.0/24', source_ip_prefix: null, destination_ip_prefix: null, excluded: false });
      assert.deepEqual(Object.keys(x), ['id', 'metering_label_id', 'direction', 'remote_ip_prefix', 'source_ip_prefix', 'destination_ip_prefix', 'excluded']);
      const sd = await rule({ metering_label_id: l.id, direction: 'egress', source_ip_prefix: '10.0.0.0/24', destination_ip_prefix: '10.1.0.5' });
      assert.deepEqual([sd.body.metering_label_rule.source_ip_prefix, sd.body.metering_label_rule.destination_ip_prefix], ['10.0.0.0/24', '10.1.0.5/32']);
      const again = await rule({ metering_label_id: l.id, direction: 'egress', source_ip_prefix: '10.0.0.0/24', destination_ip_prefix: '10.1.0.5' });
      assert.equal(again.status, 201); // Neutron checks only remote_ip_prefix for overlaps
      const host = await rule({ metering_label_id: l.id, remote_ip_prefix: '10.5.0.7/24', excluded: 'yes' });
      assert.deepEqual([host.body.metering_label_rule.remote_ip_prefix, host.body.metering_label_rule.excluded], ['10.5.0.7/24', true]);
      const v6 = await rule({ metering_label_id: l.id, remote_ip_prefix: 'FD02::/64', tenant_id: 'whoever' });
      assert.equal(v6.body.metering_label_rule.remote_ip_prefix, 'fd02::/64');
      // the same prefix in another direction or with `excluded` is no overlap
      assert.equal((await rule({ metering_label_id: l.id, direction: 'egress', remote_ip_prefix: '10.0.0.0/25' })).status, 201);
      assert.equal((await rule({ metering_label_id: l.id, remote_ip_prefix: '10.0.0.0/25', excluded: true })).status, 201);
      assert.deepEqual((await srv.api.get(`${RULES}/${x.id}`)).body.metering_label_rule, x);
      assert.deepEqual((await srv.api.get(`${RULES}?id=${x.id}`)).body.metering_label_rules, [x]);
      assert.deepEqual((await srv.api.get(`${RULES}?id=33`)).body.metering_label_rules, []);
      assert.equal((await srv.api.get(`${RULES}?metering_label_id=${l.id}&excluded=true`)).body.metering_label_rules.length, 2);
      assert.equal((await srv.api.del(`${RULES}/${x.id}`)).status, 204);
      assert.deepEqual((await srv.api.get(`${RULES}?id=${x.id}`)).body.metering_label_rules, []);
      // deleting the label deletes its rules
      assert.equal((await srv.api.del(`${LABELS}/${l.id}`)).status, 204);
      assert.deepEqual((await srv.api.get(`${RULES}?metering_label_id=${l.id}`)).body.metering_label_rules, []);
    });

    it("refuses invalid rules with Neutron's errors", async () => {
      const l = await label({ name: 'met-bad' });
      const base = await rule({ metering_label_id: l.id, remote_ip_prefix: '10.0.0.0/24' });
      const id = base.body.metering_label_rule.id;
      // Neutron's reasons, as InvalidInput (400): Neutron itself raises a bare Invalid, a 500
      const both = "Invalid input for operation: Cannot use 'remote-ip-prefix' in conjunction with 'source-ip-prefix' or 'destination-ip-prefix'.";
      const none = "Invalid input for operation: You must define at least one of the following parameters 'remote_ip_prefix', or 'source_ip_prefix' or 'destination_ip_prefix'.";
      const bad = (field: string, v: string) => `Invalid input for operation: ${field}: ${v} is invalid ['${v}' does not appear to be an IPv4 or IPv6 interface].`;
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [{ metering_label_id: l.id, remote_ip_prefix: '10.0.0.0/25' }, 409, 'MeteringLabelRuleOverlaps', "Metering label rule with remote_ip_prefix '10.0.0.0/25' overlaps another."],
        [{ metering_label_id: l.id, remote_ip_prefix: '10.1.0.0/24', source_ip_prefix: '10.2.0.0/24' }, 400, 'InvalidInput', both],
        [{ metering_label_id: l.id }, 400, 'InvalidInput', none],
        [{ metering_label_id: l.id, destination_ip_prefix: '' }, 400, 'InvalidInput', none],
        [{ metering_label_id: l.id, remote_ip_prefix: 'bad' }, 400, 'InvalidInput', bad('remote_ip_prefix', 'bad')],
        [{ metering_label_id: l.id, remote_ip_prefix: 7 }, 400, 'InvalidInput', bad('remote_ip_prefix', '7')],
        [{ metering_label_id: l.id, source_ip_prefix: '10.0.0.0/33' }, 400, 'InvalidInput', bad('source_ip_prefix', '10.0.0.0/33')],
        [{ metering_label_id: l.id, destination_ip_prefix: '10.0.0.300/24' }, 400, 'InvalidInput', bad('destination_ip_prefix', '10.0.0.300/24')],
        [{ metering_label_id: MISSING, remote_ip_prefix: '10.9.0.0/24' }, 404, 'MeteringLabelNotFound', `Metering label '${MISSING}' does not exist.`],
        [{ metering_label_id: 'xx', remote_ip_prefix: '10.9.0.0/24' }, 400, 'HTTPBadRequest', "Invalid input for metering_label_id. Reason: 'xx' is not a valid UUID."],
        [{ metering_label_id: l.id, direction: 'up', remote_ip_prefix: '10.9.0.0/24' }, 400, 'HTTPBadRequest', 'Invalid input for direction. Reason: up is not in valid_values.'],
        [{ metering_label_id: l.id, remote_ip_prefix: '10.9.0.0/24', foo: 1 }, 400, 'HTTPBadRequest', "Unrecognized attribute(s) 'foo'"],
      ];
      for (const [body, status, type, message] of cases) {
        const r = await rule(body);
        assert.equal(r.status, status, JSON.stringify(body));
        assert.deepEqual(err(r), { type, message, detail: '' });
      }
      const noDirection = await srv.api.post(RULES, { metering_label_rule: { metering_label_id: l.id, remote_ip_prefix: '10.9.0.0/24' } });
      assert.deepEqual(err(noDirection), { type: 'HTTPBadRequest', message: "Failed to parse request. Required attribute 'direction' not specified", detail: '' });
      const put = await srv.api.put(`${RULES}/${id}`, { metering_label_rule: { direction: 'egress' } });
      assert.deepEqual([put.status, err(put).message], [400, 'Cannot update read-only attribute direction']);
      const put2 = await srv.api.put(`${RULES}/${id}`, { metering_label_rule: { source_ip_prefix: '10.44.0.0/16' } });
      assert.deepEqual([put2.status, err(put2).type], [501, 'NotImplementedError']);
      const put3 = await srv.api.put(`${RULES}/${MISSING}`, { metering_label_rule: { source_ip_prefix: '10.44.0.0/16' } });
      assert.deepEqual([put3.status, err(put3).type], [404, 'MeteringLabelRuleNotFound']);
      for (const method of ['GET', 'DELETE']) {
        const r = await srv.api.call(method, `${RULES}/${MISSING}`);
        assert.equal(r.status, 404);
        assert.deepEqual(err(r), { type: 'MeteringLabelRuleNotFound', message: `Metering label rule '${MISSING}' does not exist.`, detail: '' });
      }
      // nothing of the refused rules was stored
      assert.deepEqual((await srv.api.get(`${RULES}?metering_label_id=${l.id}`)).body.metering_label_rules.map((x: { id: string }) => x.id), [id]);
    });

    it('is admin-only for writes; a project reads its own labels and no rules', async () => {
      const mine = await label({ name: 'met-a', project_id: 'proj-a' });
      const theirs = await label({ name: 'met-b', project_id: 'proj-b' });
      const r = (await rule({ metering_label_id: mine.id, remote_ip_prefix: '10.3.0.0/16' })).body.metering_label_rule;
      const denied = (x: { status: number; body: { NeutronError: { type: string; message: string } } }, name: string) => {
        assert.equal(x.status, 403);
        assert.deepEqual(err(x), { type: 'PolicyNotAuthorized', message: `rule:${name} is disallowed by policy`, detail: '' });
      };
      denied(await srv.api.post(LABELS, { metering_label: { name: 'met-x' } }, A), 'create_metering_label');
      denied(await srv.api.post(LABELS, { metering_label: { name: 'met-x' } }, { 'X-Project-Id': 'proj-a', 'X-Roles': 'reader' }), 'create_metering_label');
      denied(await rule({ metering_label_id: mine.id, remote_ip_prefix: '10.4.0.0/16' }, A), 'create_metering_label_rule');
      denied(await srv.api.del(`${LABELS}/${mine.id}`, A), 'delete_metering_label');
      assert.equal(err(await srv.api.del(`${LABELS}/${theirs.id}`, A)).type, 'MeteringLabelNotFound');
      assert.deepEqual((await srv.api.get(`${LABELS}?name=met-a&name=met-b`, A)).body.metering_labels.map((x: { name: string }) => x.name), ['met-a']);
      assert.equal((await srv.api.get(`${LABELS}/${mine.id}`, A)).status, 200);
      assert.equal(err(await srv.api.get(`${LABELS}/${theirs.id}`, A)).type, 'MeteringLabelNotFound');
      assert.deepEqual((await srv.api.get(RULES, B)).body.metering_label_rules, []);
      assert.equal(err(await srv.api.get(`${RULES}/${r.id}`, A)).type, 'MeteringLabelRuleNotFound');
      assert.equal(err(await srv.api.del(`${RULES}/${r.id}`, A)).type, 'MeteringLabelRuleNotFound');
      // nothing changed
      assert.equal((await srv.api.get(`${RULES}/${r.id}`)).status, 200);
      assert.equal((await srv.api.get(`${LABELS}/${mine.id}`)).status, 200);
    });
  });
}
