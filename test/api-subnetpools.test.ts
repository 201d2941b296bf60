/**
 * Subnet pools over HTTP on every database: Neutron's shapes and defaults, every refusal, updates
 * that only grow a pool, the one default pool per IP version, tags, subnets allocated from pools
 * (any, a prefix length, a given CIDR or gateway, the default pool), the per-project prefix quota,
 * the prefix actions, deletion, the project quota of pools, and who sees and changes what. Expected
 * bodies and texts are those the reference neutron-server (Neutron 21) answered.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const A = { 'X-Project-Id': 'sp-a', 'X-Roles': 'member,reader' };
const B = { 'X-Project-Id': 'sp-b', 'X-Roles': 'member,reader' };
const READER = { 'X-Project-Id': 'sp-a', 'X-Roles': 'reader' };
const GHOST = '11111111-2222-3333-4444-555555555555';

type Reply = { status: number; body: { NeutronError?: { type: string; message: string } } & Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

for (const dialect of DIALECTS) {
  describe(`subnet pools on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());
    const fault = (r: Reply) => [r.status, r.body.NeutronError?.type, r.body.NeutronError?.message];
    const createPool = (body: Record<string, unknown>, h?: Record<string, string>) => srv.api.post('/v2.0/subnetpools', { subnetpool: body }, h);
    const pool = async (body: Record<string, unknown>, h?: Record<string, string>) => {
      const r = await createPool({ name: 'p', ...body }, h);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.subnetpool;
    };
    const net = async (h?: Record<string, string>) => (await srv.api.post('/v2.0/networks', { network: {} }, h)).body.network;
    const subnet = (body: Record<string, unknown>, h?: Record<string, string>) => srv.api.post('/v2.0/subnets', { subnet: { ip_version: 4, ...body } }, h);
    const cidrOf = async (body: Record<string, unknown>, h?: Record<string, string>) => {
      const r = await subnet(body, h);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.subnet.cidr as string;
    };

    it("creates a pool as Neutron answers it: compacted prefixes, prefix lengths as strings, the version's bounds", async () => {
      const r = await createPool({ name: 'four', prefixes: ['10.10.0.0/24', '10.10.1.0/24', '10.10.0.128/25', '192.168.0.0/16', '10.0.0.5/8'] }, A);
      assert.equal(r.status, 201);
      const p = r.body.subnetpool;
      const { id, created_at: created, updated_at: updated, ...rest } = p;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.equal(created, updated);
      assert.deepEqual(rest, {
        name: 'four',
        tenant_id: 'sp-a',
        project_id: 'sp-a',
        prefixes: ['10.0.0.0/8', '192.168.0.0/16'],
        ip_version: 4,
        default_prefixlen: '8',
        min_prefixlen: '8',
        max_prefixlen: '32',
        is_default: false,
        shared: false,
        default_quota: null,
        address_scope_id: null,
        description: '',
        tags: [],
        revision_number: 0,
      });
      const six = await pool({ prefixes: ['2001:DB8::/48', '2001:db8:1::/48'], default_quota: '7', description: 'v6' }, A);
      assert.deepEqual(
        [six.prefixes, six.ip_version, six.min_prefixlen, six.max_prefixlen, six.default_prefixlen, six.default_quota, six.description],
        [['2001:db8::/47'], 6, '64', '128', '64', 7, 'v6'],
      );
      const bounded = await pool({ prefixes: ['10.40.0.0/16'], min_prefixlen: '20', default_prefixlen: 24.7, max_prefixlen: 30 }, A);
      assert.deepEqual([bounded.min_prefixlen, bounded.default_prefixlen, bounded.max_prefixlen], ['20', '24', '30'], "Python's int() of the values");
      const shown = await srv.api.get(`/v2.0/subnetpools/${id}`, A);
      assert.deepEqual(shown.body.subnetpool, p);
    });

    it('shows prefixes in text order, as Neutron reads them back, and lists with filters and sorting', async () => {
      const p = await pool({ name: 'order', prefixes: ['192.168.0.0/24', '9.0.0.0/8', '10.0.0.0/8', '2.2.2.0/24'], min_prefixlen: 24 }, A);
      assert.deepEqual(p.prefixes, ['2.2.2.0/24', '9.0.0.0/8', '10.0.0.0/8', '192.168.0.0/24'], 'the create answers address order');
      assert.deepEqual((await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool.prefixes, ['10.0.0.0/8', '192.168.0.0/24', '2.2.2.0/24', '9.0.0.0/8']);
      const names = async (q: string) => (await srv.api.get(`/v2.0/subnetpools?${q}`, A)).body.subnetpools.map((x: { name: string }) => x.name);
      assert.deepEqual(await names('name=order&fields=name'), ['order']);
      assert.deepEqual(await names('min_prefixlen=24&name=order&fields=name'), ['order']);
      assert.deepEqual(await names('ip_version=6&fields=name'), ['p']);
      assert.deepEqual(await names('default_quota=7&fields=name'), ['p']);
      assert.deepEqual(await names('sort_key=min_prefixlen&sort_dir=desc&sort_key=name&sort_dir=asc&fields=name'), ['p', 'order', 'p', 'four']);
      const paged = await srv.api.get('/v2.0/subnetpools?limit=2&sort_key=name&sort_dir=asc', A);
      assert.equal(paged.body.subnetpools.length, 2);
      assert.equal(paged.body.subnetpools_links[0].rel, 'next');
      assert.deepEqual(fault(await srv.api.get('/v2.0/subnetpools?prefixes=10.0.0.0/8', A)), [400, 'HTTPBadRequest', "['prefixes'] is invalid attribute for filtering"]);
      assert.deepEqual(fault(await srv.api.get('/v2.0/subnetpools?sort_key=prefixes&sort_dir=asc', A)), [400, 'HTTPBadRequest', "['prefixes'] is invalid attribute for sort_keys"]);
      assert.equal((await srv.api.get('/v2.0/subnetpools?ip_version=abc', A)).status, 400);
    });

    it("refuses invalid pools with Neutron's errors", async () => {
      const base = { name: 'bad', prefixes: ['10.50.0.0/16'] };
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [{ prefixes: [] }, 400, 'EmptySubnetPoolPrefixList', 'Empty subnet pool prefix list.'],
        [{ prefixes: ['10.20.0.0/24', '2001:db8::/64'] }, 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.'],
        [{ prefixes: undefined }, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'prefixes' not specified"],
        [{ name: undefined }, 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'name' not specified"],
        [{ name: '  ' }, 400, 'HTTPBadRequest', "Invalid input for name. Reason: '  ' Blank strings are not permitted."],
        [{ prefixes: ['10.30.0.0/24', '10.30.0.0/24'] }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: Duplicate items in the list: '10.30.0.0/24'."],
        [{ prefixes: ['10.30.0.0'] }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.30.0.0' isn't a recognized IP subnet cidr, '10.30.0.0/32' is recommended."],
        [{ prefixes: ['10.30.0.0/08'] }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.30.0.0/08' isn't a recognized IP subnet cidr, '10.0.0.0/8' is recommended."],
        [{ prefixes: ['x'] }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: 'x' is not a valid IP subnet."],
        [{ prefixes: [5] }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '5' is not a valid IP subnet."],
        [{ prefixes: '10.30.0.0/24' }, 400, 'HTTPBadRequest', "Invalid input for prefixes. Reason: '10.30.0.0/24' is not a list."],
        [{ min_prefixlen: 24, max_prefixlen: 20 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=24, max_prefixlen=20.'],
        [{ max_prefixlen: 33 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: max_prefixlen=33, ip_version_max=32.'],
        [{ max_prefixlen: 99999999999 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: max_prefixlen=99999999999, ip_version_max=32.'],
        [{ default_prefixlen: 4 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=4, min_prefixlen=8.'],
        [{ default_prefixlen: 30, max_prefixlen: 28 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=30, max_prefixlen=28.'],
        [{ prefixes: ['2001:db8:9::/48'], min_prefixlen: 130 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: min_prefixlen=130, max_prefixlen=128.'],
        [{ min_prefixlen: -1 }, 400, 'HTTPBadRequest', "Invalid input for min_prefixlen. Reason: '-1' should be non-negative."],
        [{ min_prefixlen: 'x' }, 400, 'InvalidInput', "Invalid input for operation: 'x' is not an integer."],
        [{ min_prefixlen: null }, 400, 'InvalidInput', "Invalid input for operation: 'None' is not an integer."],
        [{ default_quota: -1 }, 400, 'HTTPBadRequest', "Invalid input for default_quota. Reason: '-1' should be non-negative."],
        [{ default_quota: 99999999999 }, 400, 'HTTPBadRequest', "Invalid input for default_quota. Reason: '99999999999' is too large - must be no larger than '2147483647'."],
        [{ is_default: 'maybe' }, 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean."],
        [{ ip_version: 4 }, 400, 'HTTPBadRequest', "Attribute 'ip_version' not allowed in POST"],
        [{ address_scope_id: 'xx' }, 400, 'HTTPBadRequest', "Invalid input for address_scope_id. Reason: 'xx' is not a valid UUID."],
        [{ address_scope_id: GHOST }, 404, 'AddressScopeNotFound', `Address scope ${GHOST} could not be found.`],
      ];
      for (const [body, status, type, message] of cases) {
        const r = await createPool(JSON.parse(JSON.stringify({ ...base, ...body })), A);
        assert.deepEqual(fault(r), [status, type, message], JSON.stringify(body));
      }
      const bulk = await srv.api.post('/v2.0/subnetpools', { subnetpools: [base] }, A);
      assert.deepEqual(fault(bulk), [400, 'HTTPBadRequest', 'Bulk operation not supported']);
      assert.deepEqual((await srv.api.get('/v2.0/subnetpools?name=bad', A)).body.subnetpools, [], 'nothing was created');
    });

    it('updates a pool: its prefixes only grow, its bounds stay consistent, every update bumps the revision', async () => {
      const p = await pool({ name: 'grow', prefixes: ['10.42.0.0/16'], min_prefixlen: 24 }, A);
      const put = (body: Record<string, unknown>) => srv.api.put(`/v2.0/subnetpools/${p.id}`, { subnetpool: body }, A);
      const grown = await put({ prefixes: ['10.42.0.0/16', '10.43.0.0/16'] });
      assert.equal(grown.status, 200);
      const { updated_at: _u, created_at: _c, ...body } = grown.body.subnetpool;
      // Neutron's update answer: numbers for the prefix lengths; default_quota and address_scope_id only when set or asked for
      assert.deepEqual(body, {
        id: p.id,
        name: 'grow',
        tenant_id: 'sp-a',
        project_id: 'sp-a',
        prefixes: ['10.42.0.0/15'],
        ip_version: 4,
        default_prefixlen: 24,
        min_prefixlen: 24,
        max_prefixlen: 32,
        is_default: false,
        shared: false,
        description: '',
        tags: [],
        revision_number: 1,
      });
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [{ prefixes: ['10.43.0.0/16'] }, 400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.'],
        [{ prefixes: [] }, 400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: Existing prefixes must be a subset of the new prefixes.'],
        [{ prefixes: ['10.42.0.0/15', '2001:db8::/64'] }, 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.'],
        [{ min_prefixlen: 28 }, 400, 'IllegalSubnetPoolPrefixBounds', 'Illegal prefix bounds: default_prefixlen=24, min_prefixlen=28.'],
        [{ shared: true }, 400, 'HTTPBadRequest', 'Cannot update read-only attribute shared'],
        [{ ip_version: 6 }, 400, 'HTTPBadRequest', 'Cannot update read-only attribute ip_version'],
        [{ tenant_id: 'sp-b' }, 400, 'HTTPBadRequest', 'Cannot update read-only attribute tenant_id'],
        [{ default_quota: null }, 400, 'InvalidInput', "Invalid input for operation: 'None' is not an integer."],
        [{ name: '' }, 400, 'HTTPBadRequest', "Invalid input for name. Reason: '' Blank strings are not permitted."],
        [{ address_scope_id: GHOST }, 404, 'AddressScopeNotFound', `Address scope ${GHOST} could not be found.`],
      ];
      for (const [change, status, type, message] of cases) assert.deepEqual(fault(await put(change)), [status, type, message], JSON.stringify(change));
      const many = await put({ min_prefixlen: 16, max_prefixlen: 30, default_prefixlen: 26, name: 'renamed', description: 'd', default_quota: 100, address_scope_id: null });
      assert.equal(many.status, 200);
      assert.deepEqual(
        [many.body.subnetpool.min_prefixlen, many.body.subnetpool.max_prefixlen, many.body.subnetpool.default_prefixlen, many.body.subnetpool.default_quota, many.body.subnetpool.address_scope_id],
        [16, 30, 26, 100, null],
      );
      assert.equal(many.body.subnetpool.revision_number, 2, 'refused updates changed nothing');
      assert.equal((await put({})).body.subnetpool.revision_number, 3, 'even an empty update bumps the revision, as in Neutron');
      const stale = await srv.api.put(`/v2.0/subnetpools/${p.id}`, { subnetpool: { name: 'x' } }, { ...A, 'If-Match': 'revision_number=1' });
      assert.deepEqual(fault(stale), [412, 'RevisionNumberConstraintFailed', 'Constrained to 1, but current revision is 3']);
      const shown = (await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool;
      assert.deepEqual([shown.name, shown.min_prefixlen, shown.default_quota, shown.prefixes], ['renamed', '16', 100, ['10.42.0.0/15']]);
    });

    it('keeps one default pool per IP version, set by admins only', async () => {
      const denied = await createPool({ name: 'd', prefixes: ['10.60.0.0/16'], is_default: true }, A);
      assert.deepEqual(fault(denied), [403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:is_default) is disallowed by policy']);
      const shared = await createPool({ name: 'd', prefixes: ['10.60.0.0/16'], shared: true }, A);
      assert.deepEqual(fault(shared), [403, 'PolicyNotAuthorized', '(rule:create_subnetpool and rule:create_subnetpool:shared) is disallowed by policy']);
      const own = await pool({ name: 'not-default', prefixes: ['10.61.0.0/16'], is_default: false, shared: false }, A);
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${own.id}`, { subnetpool: { is_default: false } }, A)), [
        403,
        'PolicyNotAuthorized',
        '(rule:update_subnetpool and rule:update_subnetpool:is_default) is disallowed by policy',
      ]);
      const d4 = await pool({ name: 'default-4', prefixes: ['172.16.0.0/12'], is_default: true, shared: true, default_prefixlen: 26 });
      assert.equal(d4.is_default, true);
      const again = await createPool({ name: 'second', prefixes: ['172.32.0.0/12'], is_default: true, project_id: 'sp-b' });
      const oneDefault = [400, 'InvalidInput', 'Invalid input for operation: A default subnetpool for this IP family has already been set. Only one default may exist per IP family.'];
      assert.deepEqual(fault(again), oneDefault);
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${own.id}`, { subnetpool: { is_default: true } })), oneDefault);
      const d6 = await pool({ name: 'default-6', prefixes: ['fd00::/48'], is_default: 'true' });
      assert.equal(d6.is_default, true, 'one per IP version');
      const defaults = (await srv.api.get('/v2.0/subnetpools?is_default=True&fields=name&sort_key=name&sort_dir=asc')).body.subnetpools;
      assert.deepEqual(defaults, [{ name: 'default-4' }, { name: 'default-6' }]);
      assert.equal((await srv.api.put(`/v2.0/subnetpools/${d6.id}`, { subnetpool: { is_default: false } })).body.subnetpool.is_default, false);
      const moved = await srv.api.put(`/v2.0/subnetpools/${own.id}`, { subnetpool: { is_default: false } });
      assert.equal(moved.status, 200, 'an admin may');
    });

    it('allocates subnets from a pool the way Neutron does', async () => {
      const p = await pool({ name: 'alloc', prefixes: ['10.70.0.0/16', '192.168.70.0/24'], min_prefixlen: 16, max_prefixlen: 30, default_prefixlen: 26 }, A);
      const n = await net(A);
      const first = await subnet({ network_id: n.id, subnetpool_id: p.id }, A);
      assert.equal(first.status, 201);
      assert.deepEqual(
        [first.body.subnet.cidr, first.body.subnet.subnetpool_id, first.body.subnet.gateway_ip, first.body.subnet.allocation_pools],
        ['192.168.70.0/26', p.id, '192.168.70.1', [{ start: '192.168.70.2', end: '192.168.70.62' }]],
        "the pool's default prefix length, from the smallest free block that fits",
      );
      assert.equal(await cidrOf({ network_id: n.id, subnetpool_id: p.id, prefixlen: 28 }, A), '192.168.70.64/28');
      assert.equal(await cidrOf({ network_id: n.id, subnetpool_id: p.id, prefixlen: '24' }, A), '10.70.0.0/24', 'large blocks are split last');
      assert.equal(await cidrOf({ network_id: n.id, subnetpool_id: p.id, prefixlen: 24 }, A), '10.70.1.0/24');
      const given = await subnet({ network_id: n.id, subnetpool_id: p.id, cidr: '10.70.9.0/24', gateway_ip: '10.70.9.200', allocation_pools: [{ start: '10.70.9.10', end: '10.70.9.20' }] }, A);
      assert.deepEqual([given.status, given.body.subnet.cidr, given.body.subnet.gateway_ip, given.body.subnet.allocation_pools], [201, '10.70.9.0/24', '10.70.9.200', [{ start: '10.70.9.10', end: '10.70.9.20' }]]);
      const byGateway = (await subnet({ network_id: n.id, subnetpool_id: p.id, gateway_ip: '10.70.12.77', prefixlen: 28 }, A)).body.subnet;
      assert.deepEqual([byGateway.cidr, byGateway.gateway_ip], ['10.70.12.64/28', '10.70.12.77'], "a gateway asks for its network at the prefix length");
      assert.equal((await subnet({ network_id: n.id, subnetpool_id: p.id, cidr: '10.70.14.0/24', gateway_ip: null }, A)).body.subnet.gateway_ip, null);
      const cases: Array<[Record<string, unknown>, number, string, string]> = [
        [{ prefixlen: 31 }, 400, 'MaxPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 31, maximum allowed prefix is 30.'],
        [{ prefixlen: 8 }, 400, 'MinPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 8, minimum allowed prefix is 16.'],
        [{ cidr: '10.70.0.0/15' }, 400, 'MinPrefixSubnetAllocationError', 'Unable to allocate subnet with prefix length 15, minimum allowed prefix is 16.'],
        [{ prefixlen: 33 }, 400, 'AddrFormatError', 'invalid IPNetwork 0.0.0.0/33'],
        [{ prefixlen: 'abc' }, 400, 'InvalidInput', "Invalid input for operation: 'abc' is not an integer."],
        [{ prefixlen: -3 }, 400, 'HTTPBadRequest', "Invalid input for prefixlen. Reason: '-3' should be non-negative."],
        [{ prefixlen: 16 }, 409, 'SubnetAllocationError', 'Failed to allocate subnet: Insufficient prefix space to allocate subnet size /16.'],
        [{ cidr: '10.71.0.0/24' }, 409, 'SubnetAllocationError', 'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.'],
        [{ cidr: '10.70.9.128/25' }, 409, 'SubnetAllocationError', 'Failed to allocate subnet: Cannot allocate requested subnet from the available set of prefixes.'],
        [{ cidr: '10.70.20.0/24', prefixlen: 24 }, 400, 'BadRequest', 'Bad subnets request: cidr and prefixlen must not be supplied together.'],
        [{ allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.5' }] }, 400, 'BadRequest', 'Bad subnets request: allocation_pools allowed only for specific subnet requests..'],
        [{ ip_version: 6 }, 400, 'BadRequest', 'Bad subnets request: Cannot allocate IPv6 subnet from IPv4 subnet pool.'],
        [{ subnetpool_id: GHOST }, 404, 'SubnetPoolNotFound', `Subnet pool ${GHOST} could not be found.`],
        [{ subnetpool_id: 'x' }, 400, 'HTTPBadRequest', "Invalid input for subnetpool_id. Reason: 'x' is not a valid UUID."],
        [{ use_default_subnetpool: true }, 400, 'BadRequest', 'Bad subnets request: subnetpool_id and use_default_subnetpool cannot both be specified.'],
      ];
      for (const [body, status, type, message] of cases) {
        const r = await subnet({ network_id: n.id, subnetpool_id: p.id, ...body }, A);
        assert.deepEqual(fault(r), [status, type, message], JSON.stringify(body));
      }
      const listed = (await srv.api.get(`/v2.0/subnets?subnetpool_id=${p.id}&fields=cidr&sort_key=cidr&sort_dir=asc`, A)).body.subnets.map((s: { cidr: string }) => s.cidr);
      assert.deepEqual(listed, ['10.70.0.0/24', '10.70.1.0/24', '10.70.12.64/28', '10.70.14.0/24', '10.70.9.0/24', '192.168.70.0/26', '192.168.70.64/28']);
      assert.equal((await srv.api.get(`/v2.0/subnets/${first.body.subnet.id}`, A)).body.subnet.subnetpool_id, p.id);
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnets/${first.body.subnet.id}`, { subnet: { subnetpool_id: null } }, A)), [400, 'HTTPBadRequest', 'Cannot update read-only attribute subnetpool_id']);
    });

    it('gives a chosen IPv6 subnet the gateway network + 1, a requested one the subnet-router address', async () => {
      const p = await pool({ name: 'six', prefixes: ['2001:db8:aa::/48'] }, A);
      const n = await net(A);
      const chosen = (await subnet({ network_id: n.id, subnetpool_id: p.id, ip_version: 6, ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' }, A)).body.subnet;
      assert.deepEqual([chosen.cidr, chosen.gateway_ip, chosen.allocation_pools], ['2001:db8:aa::/64', '2001:db8:aa::1', [{ start: '2001:db8:aa::2', end: '2001:db8:aa:0:ffff:ffff:ffff:ffff' }]]);
      const asked = (await subnet({ network_id: n.id, subnetpool_id: p.id, ip_version: 6, cidr: '2001:db8:aa:5::/64' }, A)).body.subnet;
      assert.deepEqual([asked.cidr, asked.gateway_ip], ['2001:db8:aa:5::/64', '2001:db8:aa:5::']);
      assert.deepEqual(fault(await subnet({ network_id: n.id, subnetpool_id: p.id, ip_version: 6, prefixlen: 200 }, A)), [400, 'AddrFormatError', 'invalid IPNetwork ::/200']);
    });

    it("enforces the pool's per-project prefix quota (0 or none: no limit)", async () => {
      const p = await pool({ name: 'quota', prefixes: ['10.80.0.0/16'], min_prefixlen: 24, default_quota: 262 });
      const nA = await net(A);
      assert.equal((await subnet({ network_id: nA.id, subnetpool_id: p.id, project_id: 'sp-a' })).status, 201, '/24: 256 of 262 addresses');
      assert.equal((await subnet({ network_id: nA.id, subnetpool_id: p.id, prefixlen: 30, project_id: 'sp-a' })).status, 201, '/30: 260');
      const over = await subnet({ network_id: nA.id, subnetpool_id: p.id, prefixlen: 29, project_id: 'sp-a' });
      assert.deepEqual(fault(over), [409, 'SubnetPoolQuotaExceeded', 'Per-tenant subnet pool prefix quota exceeded.']);
      const nB = await net(B);
      assert.equal((await subnet({ network_id: nB.id, subnetpool_id: p.id, project_id: 'sp-b' })).status, 201, 'another project has a quota of its own');
      await srv.api.put(`/v2.0/subnetpools/${p.id}`, { subnetpool: { default_quota: 0 } });
      assert.equal((await subnet({ network_id: nA.id, subnetpool_id: p.id, prefixlen: 29, project_id: 'sp-a' })).status, 201);
    });

    it('takes the default pool of the IP version when asked, if the caller may see it', async () => {
      const n = await net(B);
      const r = await subnet({ network_id: n.id, use_default_subnetpool: true, prefixlen: 28 }, B);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const d4 = (await srv.api.get('/v2.0/subnetpools?is_default=true&ip_version=4', B)).body.subnetpools[0];
      assert.deepEqual([r.body.subnet.subnetpool_id, r.body.subnet.cidr], [d4.id, '172.16.0.0/28']);
      assert.equal(await cidrOf({ network_id: n.id, use_default_subnetpool: 'yes' }, B), '172.16.0.64/26', "the pool's default prefix length");
      assert.equal(await cidrOf({ network_id: n.id, use_default_subnetpool: true, cidr: '172.16.5.0/24' }, B), '172.16.5.0/24');
      const none = await subnet({ network_id: (await net(B)).id, use_default_subnetpool: true, ip_version: 6 }, B);
      assert.deepEqual(fault(none), [400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv6.'], 'the IPv6 default is not default any more');
      const hidden = await pool({ name: 'admin-default-6', prefixes: ['fd01::/48'], is_default: true });
      const notShared = await subnet({ network_id: (await net(B)).id, use_default_subnetpool: true, ip_version: 6 }, B);
      assert.deepEqual(fault(notShared), [400, 'BadRequest', 'Bad subnets request: No default subnetpool found for IPv6.'], 'a default pool the caller cannot see');
      await srv.api.put(`/v2.0/subnetpools/${hidden.id}`, { subnetpool: { is_default: false } });
      assert.deepEqual(fault(await subnet({ network_id: n.id, use_default_subnetpool: 'maybe' }, B)), [400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean."]);
      assert.deepEqual(fault(await subnet({ network_id: n.id, use_default_subnetpool: false }, B)), [400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.']);
      assert.deepEqual(fault(await subnet({ network_id: n.id, prefixlen: 24 }, B)), [400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.']);
    });

    it('keeps the subnets of one IP version on a network in one pool, or none', async () => {
      const p = await pool({ name: 'affinity', prefixes: ['10.90.0.0/16'], default_prefixlen: 24 }, A);
      const other = await pool({ name: 'affinity-2', prefixes: ['10.91.0.0/16'], default_prefixlen: 24 }, A);
      const affinity = [400, 'NetworkSubnetPoolAffinityError', 'Subnets hosted on the same network must be allocated from the same subnet pool.'];
      const fromPool = await net(A);
      assert.equal((await subnet({ network_id: fromPool.id, subnetpool_id: p.id }, A)).status, 201);
      assert.deepEqual(fault(await subnet({ network_id: fromPool.id, cidr: '192.168.91.0/24' }, A)), affinity);
      assert.deepEqual(fault(await subnet({ network_id: fromPool.id, subnetpool_id: other.id }, A)), affinity);
      assert.equal((await subnet({ network_id: fromPool.id, subnetpool_id: p.id }, A)).status, 201, 'the same pool again');
      assert.equal((await subnet({ network_id: fromPool.id, cidr: 'fd91::/64', ip_version: 6 }, A)).status, 201, 'another IP version');
      const plain = await net(A);
      assert.equal((await subnet({ network_id: plain.id, cidr: '192.168.92.0/24' }, A)).status, 201);
      assert.deepEqual(fault(await subnet({ network_id: plain.id, subnetpool_id: p.id }, A)), affinity);
    });

    it('tags pools and filters on tags', async () => {
      const p = await pool({ name: 'tagged', prefixes: ['10.95.0.0/16'] }, A);
      const put = await srv.api.put(`/v2.0/subnetpools/${p.id}/tags`, { tags: ['b', 'a'] }, A);
      assert.deepEqual([put.status, put.body.tags], [200, ['b', 'a']]);
      assert.equal((await srv.api.put(`/v2.0/subnetpools/${p.id}/tags/c`, undefined, A)).status, 201);
      assert.deepEqual((await srv.api.get(`/v2.0/subnetpools/${p.id}/tags`, A)).body.tags, ['a', 'b', 'c']);
      assert.equal((await srv.api.get(`/v2.0/subnetpools/${p.id}/tags/c`, A)).status, 204);
      const names = async (q: string) => (await srv.api.get(`/v2.0/subnetpools?${q}&fields=name`, A)).body.subnetpools.map((x: { name: string }) => x.name);
      assert.deepEqual(await names('tags=a,c'), ['tagged']);
      assert.deepEqual(await names('tags-any=x,b'), ['tagged']);
      assert.ok(!(await names('not-tags=a')).includes('tagged'));
      assert.equal((await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool.revision_number, 2, 'each tag change bumps the revision');
      assert.equal((await srv.api.del(`/v2.0/subnetpools/${p.id}/tags/c`, A)).status, 204);
      assert.deepEqual(fault(await srv.api.del(`/v2.0/subnetpools/${p.id}/tags/c`, A)), [404, 'TagNotFound', 'Tag c could not be found.']);
      assert.equal((await srv.api.del(`/v2.0/subnetpools/${p.id}/tags`, A)).status, 204);
      assert.deepEqual((await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool.tags, []);
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${GHOST}/tags/x`, undefined, A)), [404, 'TagResourceNotFound', `Resource subnetpools ${GHOST} could not be found.`]);
    });

    it('adds and removes prefixes (subnetpool-prefix-ops)', async () => {
      const p = await pool({ name: 'ops', prefixes: ['10.0.0.0/8', '2.2.2.0/24'], min_prefixlen: 24 }, A);
      const act = (name: string, body: unknown, h = A) => srv.api.put(`/v2.0/subnetpools/${p.id}/${name}`, body, h);
      const added = await act('add_prefixes', { prefixes: ['11.0.0.0/8', '3.0.0.0/24'] });
      assert.deepEqual([added.status, added.body], [200, { prefixes: ['2.2.2.0/24', '3.0.0.0/24', '10.0.0.0/7'] }]);
      assert.equal((await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool.revision_number, 1);
      const n = await net(A);
      assert.equal(await cidrOf({ network_id: n.id, subnetpool_id: p.id, cidr: '11.0.0.0/24' }, A), '11.0.0.0/24');
      const removed = await act('remove_prefixes', { prefixes: ['10.0.0.0/9'] });
      assert.deepEqual([removed.status, removed.body], [200, { prefixes: ['2.2.2.0/24', '3.0.0.0/24', '10.128.0.0/9', '11.0.0.0/8'] }]);
      const noop = await act('remove_prefixes', { prefixes: ['99.0.0.0/8'] });
      assert.deepEqual(noop.body, { prefixes: ['10.128.0.0/9', '11.0.0.0/8', '2.2.2.0/24', '3.0.0.0/24'] }, 'nothing to remove: the prefixes as read');
      assert.equal((await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool.revision_number, 1, 'removing does not bump the revision (nor does it in Neutron)');
      const cases: Array<[string, unknown, number, string, string]> = [
        ['remove_prefixes', { prefixes: ['11.0.0.0/16'] }, 400, 'IllegalSubnetPoolPrefixUpdate', 'Illegal update to prefixes: One or more the prefixes to be removed is in use by a subnet..'],
        ['add_prefixes', { prefixes: [] }, 400, 'HTTPBadRequest', 'Request body contains invalid data'],
        ['add_prefixes', {}, 400, 'HTTPBadRequest', 'Request body contains invalid data'],
        ['add_prefixes', { prefixes: '1.0.0.0/8' }, 400, 'HTTPBadRequest', 'Request body contains invalid data'],
        ['add_prefixes', { subnetpool: { prefixes: ['12.0.0.0/8'] } }, 400, 'HTTPBadRequest', 'Request body contains invalid data'],
        ['add_prefixes', { prefixes: ['x'] }, 400, 'AddrFormatError', 'invalid IPNetwork x'],
        ['remove_prefixes', { prefixes: ['x'] }, 400, 'AddrFormatError', 'invalid IPNetwork x'],
        ['add_prefixes', { prefixes: ['2001:db8::/64'] }, 400, 'PrefixVersionMismatch', 'Cannot mix IPv4 and IPv6 prefixes in a subnet pool.'],
      ];
      for (const [name, body, status, type, message] of cases) assert.deepEqual(fault(await act(name, body)), [status, type, message], `${name} ${JSON.stringify(body)}`);
      for (const name of ['add_prefixes', 'remove_prefixes'])
        assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${GHOST}/${name}`, { prefixes: ['1.0.0.0/8'] }, A)), [404, 'SubnetPoolNotFound', `Subnet pool ${GHOST} could not be found.`]);
      assert.deepEqual((await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)).body.subnetpool.prefixes, ['10.128.0.0/9', '11.0.0.0/8', '2.2.2.0/24', '3.0.0.0/24']);
    });

    it('refuses to delete a pool that subnets were allocated from', async () => {
      const p = await pool({ name: 'doomed', prefixes: ['10.96.0.0/16'], default_prefixlen: 24 }, A);
      const n = await net(A);
      const s = (await subnet({ network_id: n.id, subnetpool_id: p.id }, A)).body.subnet;
      assert.deepEqual(fault(await srv.api.del(`/v2.0/subnetpools/${p.id}`, A)), [400, 'SubnetPoolDeleteError', 'Unable to delete subnet pool: Subnet pool has existing allocations.']);
      assert.equal((await srv.api.del(`/v2.0/subnets/${s.id}`, A)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/subnetpools/${p.id}`, A)).status, 204);
      assert.deepEqual(fault(await srv.api.get(`/v2.0/subnetpools/${p.id}`, A)), [404, 'SubnetPoolNotFound', `Subnet pool ${p.id} could not be found.`]);
      assert.deepEqual(fault(await srv.api.del(`/v2.0/subnetpools/${p.id}`, A)), [404, 'SubnetPoolNotFound', `Subnet pool ${p.id} could not be found.`]);
      assert.deepEqual(fault(await srv.api.get('/v2.0/subnetpools/not-a-uuid', A)), [404, 'SubnetPoolNotFound', 'Subnet pool not-a-uuid could not be found.']);
      assert.equal((await subnet({ network_id: n.id, subnetpool_id: p.id }, A)).status, 404, 'a deleted pool hands out nothing');
    });

    it("keeps a project's pools from others; a shared pool is seen and used, not changed", async () => {
      const mine = await pool({ name: 'private-a', prefixes: ['10.97.0.0/16'], default_prefixlen: 24 }, A);
      const shared = await pool({ name: 'shared-admin', prefixes: ['10.98.0.0/16'], shared: true, default_prefixlen: 24 });
      const privateAdmin = await pool({ name: 'private-admin', prefixes: ['10.99.0.0/16'] });
      const notFound = (id: string) => [404, 'SubnetPoolNotFound', `Subnet pool ${id} could not be found.`];
      assert.deepEqual(fault(await srv.api.get(`/v2.0/subnetpools/${mine.id}`, B)), notFound(mine.id));
      assert.deepEqual(fault(await srv.api.get(`/v2.0/subnetpools/${privateAdmin.id}`, B)), notFound(privateAdmin.id));
      const seenByB = (await srv.api.get('/v2.0/subnetpools?fields=name', B)).body.subnetpools.map((x: { name: string }) => x.name);
      assert.ok(seenByB.includes('shared-admin') && !seenByB.includes('private-a') && !seenByB.includes('private-admin'), JSON.stringify(seenByB));
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${mine.id}`, { subnetpool: { name: 'x' } }, B)), notFound(mine.id));
      assert.deepEqual(fault(await srv.api.del(`/v2.0/subnetpools/${mine.id}`, B)), notFound(mine.id));
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${mine.id}/add_prefixes`, { prefixes: ['10.120.0.0/16'] }, B)), notFound(mine.id));
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${shared.id}`, { subnetpool: { name: 'x' } }, B)), [403, 'PolicyNotAuthorized', 'rule:update_subnetpool is disallowed by policy']);
      assert.deepEqual(fault(await srv.api.del(`/v2.0/subnetpools/${shared.id}`, B)), [403, 'PolicyNotAuthorized', 'rule:delete_subnetpool is disallowed by policy']);
      for (const action of ['add_prefixes', 'remove_prefixes'])
        assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${shared.id}/${action}`, { prefixes: ['10.98.0.0/24'] }, B)), [403, 'PolicyNotAuthorized', `(rule:${action} and rule:${action}:shared) is disallowed by policy`]);
      const nB = await net(B);
      assert.deepEqual(fault(await subnet({ network_id: nB.id, subnetpool_id: mine.id }, B)), notFound(mine.id));
      assert.deepEqual(fault(await subnet({ network_id: nB.id, subnetpool_id: privateAdmin.id }, B)), notFound(privateAdmin.id));
      assert.equal(await cidrOf({ network_id: nB.id, subnetpool_id: shared.id }, B), '10.98.0.0/24', 'a shared pool hands out to everyone');
      assert.equal((await srv.api.get(`/v2.0/subnets?subnetpool_id=${shared.id}`, A)).body.subnets.length, 0, "B's subnet is B's alone");
      assert.equal((await srv.api.get(`/v2.0/subnetpools/${mine.id}`, READER)).status, 200, "A's reader reads");
      assert.deepEqual(fault(await createPool({ name: 'r', prefixes: ['10.121.0.0/16'] }, READER)), [403, 'PolicyNotAuthorized', 'rule:create_subnetpool is disallowed by policy']);
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${mine.id}`, { subnetpool: { name: 'x' } }, READER)), [403, 'PolicyNotAuthorized', 'rule:update_subnetpool is disallowed by policy']);
      assert.deepEqual(fault(await srv.api.put(`/v2.0/subnetpools/${mine.id}/add_prefixes`, { prefixes: ['10.120.0.0/16'] }, READER)), [403, 'PolicyNotAuthorized', 'rule:add_prefixes is disallowed by policy']);
      assert.deepEqual(fault(await srv.api.del(`/v2.0/subnetpools/${mine.id}`, READER)), [403, 'PolicyNotAuthorized', 'rule:delete_subnetpool is disallowed by policy']);
      assert.deepEqual(fault(await createPool({ name: 'b', prefixes: ['10.122.0.0/16'], project_id: 'sp-a' }, B)), [403, 'PolicyNotAuthorized', 'rule:create_subnetpool is disallowed by policy']);
      assert.equal((await srv.api.get(`/v2.0/subnetpools/${mine.id}`, A)).body.subnetpool.name, 'private-a', 'nothing changed');
    });

    it("counts pools against the project's subnetpool quota (unlimited by default)", async () => {
      const Q = { 'X-Project-Id': 'sp-q', 'X-Roles': 'member' };
      assert.equal((await srv.api.get('/v2.0/quotas/sp-q')).body.quota.subnetpool, -1);
      assert.equal((await srv.api.put('/v2.0/quotas/sp-q', { quota: { subnetpool: 1 } })).body.quota.subnetpool, 1);
      await pool({ name: 'q1', prefixes: ['10.123.0.0/16'] }, Q);
      assert.deepEqual(fault(await createPool({ name: 'q2', prefixes: ['10.124.0.0/16'] }, Q)), [409, 'OverQuota', "Quota exceeded for resources: ['subnetpool']."]);
      assert.deepEqual((await srv.api.get('/v2.0/quotas/sp-q/details.json')).body.quota.subnetpool, { limit: 1, used: 1, reserved: 0 });
    });

    it('lists exactly the extensions that work, with Neutron\u2019s records', async () => {
      const exts = (await srv.api.get('/v2.0/extensions')).body.extensions as Array<{ alias: string }>;
      const pick = (alias: string) => exts.find((e) => e.alias === alias);
      assert.deepEqual(pick('subnet_allocation'), { alias: 'subnet_allocation', name: 'Subnet Allocation', description: 'Enables allocation of subnets from a subnet pool', updated: '2015-03-30T10:00:00-00:00', links: [] });
      assert.deepEqual(pick('default-subnetpools'), { alias: 'default-subnetpools', name: 'Default Subnetpools', description: 'Provides ability to mark and use a subnetpool as the default.', updated: '2016-02-18T18:00:00-00:00', links: [] });
      assert.deepEqual(pick('subnetpool-prefix-ops'), { alias: 'subnetpool-prefix-ops', name: 'Subnet Pool Prefix Operations', description: 'Provides support for adjusting the prefix list of subnet pools', updated: '2019-02-08T10:00:00-00:00', links: [] });
      for (const absent of ['address-scope', 'rbac-subnetpool', 'rbac-address-scope']) assert.equal(pick(absent), undefined, `${absent} is not served`);
    });
  });
}
