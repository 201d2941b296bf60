/**
 * Property-based: random and mutated requests (fast-check) against a live server never get a 5xx,
 * every error is a NeutronError, and afterwards the database is consistent: every address belongs
 * to a live port on the subnet's own network and lies inside the subnet, MACs are unique per
 * network, every network has its segment, the subnets of a subnet pool lie inside it and never
 * overlap, and the API lists exactly what the tables hold.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DIALECTS, sqlite } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import { cidrContains, cidrsOverlap, formatCidr, parseCidr, parseIp } from '../src/core/ip.js';
import { compactCidrs, covers } from '../src/ipam/subnet-alloc.js';
import { bool } from '../src/db/schema.js';
import '../src/plugins/securitygroups/sg-repo.js';
import '../src/plugins/subnetpools/pool-repo.js';

const COLLECTIONS = ['networks', 'subnets', 'ports', 'security-groups', 'security-group-rules'] as const;
/** Subnet pools get requests of their own, less often (the others stay as likely as before). */
type Coll = (typeof COLLECTIONS)[number] | 'subnetpools';
const MEMBER: Record<Coll, string> = { networks: 'network', subnets: 'subnet', ports: 'port', 'security-groups': 'security_group', 'security-group-rules': 'security_group_rule', subnetpools: 'subnetpool' };
const BULK: Record<Coll, string> = { networks: 'networks', subnets: 'subnets', ports: 'ports', 'security-groups': 'security_groups', 'security-group-rules': 'security_group_rules', subnetpools: 'subnetpools' };

describe('random requests against the API', () => {
  // NUCLEON_FUZZ_DIALECT=postgres|mysql runs the same property against another database
  const dialect = DIALECTS.find((d) => d.name === process.env.NUCLEON_FUZZ_DIALECT) ?? sqlite;
  const srv = serverFixture(() => dialect.create(), { NUCLEON_ML2_TYPE_VXLAN__VNI_RANGES: '1:50', NUCLEON_ML2_TYPE_VLAN__NETWORK_VLAN_RANGES: 'physnet1:10:20' });
  const ids: Record<Coll, string[]> = { networks: [], subnets: [], ports: [], 'security-groups': [], 'security-group-rules': [], subnetpools: [] };
  const created: Record<Coll, number> = { networks: 0, subnets: 0, ports: 0, 'security-groups': 0, 'security-group-rules': 0, subnetpools: 0 };
  before(async () => {
    await srv.start();
    for (let i = 0; i < 3; i++) {
      const n = (await srv.api.post('/v2.0/networks', { network: { name: `seed${i}` } })).body.network;
      ids.networks.push(n.id);
      const s = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: n.id, cidr: `10.${i}.0.0/28`, ip_version: 4 } })).body.subnet;
      ids.subnets.push(s.id);
      ids.ports.push((await srv.api.post('/v2.0/ports', { port: { network_id: n.id } })).body.port.id);
    }
    // a pool and a network without subnets, for subnets from pools
    ids.subnetpools.push((await srv.api.post('/v2.0/subnetpools', { subnetpool: { name: 'seed', prefixes: ['172.30.0.0/16'], min_prefixlen: 24 } })).body.subnetpool.id);
    ids.networks.push((await srv.api.post('/v2.0/networks', { network: { name: 'seed-pool' } })).body.network.id);
  });
  after(() => srv.stop());

  const pick = (coll: Coll) => fc.nat().map((i) => (ids[coll].length ? ids[coll][i % ids[coll].length] : 'none'));
  const anyId = fc.oneof(pick('networks'), pick('subnets'), pick('ports'), pick('subnetpools'), fc.uuid(), fc.string({ maxLength: 40 }));
  const scalar = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double(), fc.ipV4(), fc.ipV6(), fc.constant('10.0.0.0/24'));
  const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 10 }), scalar, { maxKeys: 3 }), fc.jsonValue({ maxDepth: 2 }));

  /** Valid-looking bodies with one field replaced, added or dropped. */
  const validBody = (coll: Coll) =>
    fc.record({
      net: pick('networks'),
      sub: coll === 'security-group-rules' ? pick('security-groups') : pick('subnets'),
      octet: fc.integer({ min: 0, max: 200 }),
      host: fc.integer({ min: 0, max: 20 }),
      pool: pick('subnetpools'),
    }).map(({ net, sub, octet, host, pool }) => {
      if (coll === 'subnetpools') return { name: `p${octet}`, prefixes: [`172.${16 + (octet % 16)}.${host}.0/24`], min_prefixlen: 24, default_prefixlen: 26 + (host % 4), is_default: host === 0 };
      if (coll === 'subnets' && host % 2 === 0) return { network_id: net, ip_version: 4, subnetpool_id: pool, prefixlen: 26 + (octet % 4) };
      if (coll === 'networks') return { name: 'n', admin_state_up: true, 'provider:network_type': 'vlan', 'provider:physical_network': 'physnet1', 'provider:segmentation_id': 10 + (octet % 12) };
      if (coll === 'security-groups') return { name: `g${octet}`, description: 'fuzz', stateful: host % 2 === 0 };
      if (coll === 'security-group-rules') {
        const protocol = ['tcp', 'udp', 'icmp', null, '6', 'gre'][octet % 6];
        return {
          security_group_id: sub.length ? sub : net,
          direction: host % 2 ? 'ingress' : 'egress',
          protocol,
          port_range_min: protocol && host % 3 ? host : null,
          port_range_max: protocol && host % 3 ? host + (octet % 3) : null,
          remote_ip_prefix: octet % 4 === 0 ? `10.${host}.0.0/16` : null,
        };
      }
      if (coll === 'subnets') return { network_id: net, ip_version: 4, cidr: `10.${octet}.${host}.0/28`, allocation_pools: [{ start: `10.${octet}.${host}.2`, end: `10.${octet}.${host}.5` }], dns_nameservers: ['8.8.8.8'] };
      const port: Record<string, unknown> = { network_id: net, allowed_address_pairs: [{ ip_address: '10.9.9.9' }], extra_dhcp_opts: [{ opt_name: 'mtu', opt_value: '1400' }] };
      if (host % 2) port.fixed_ips = [{ subnet_id: sub, ip_address: `10.${octet % 3}.0.${host}` }];
      return port;
    });
  const mutated = (coll: Coll) =>
    fc.tuple(validBody(coll), fc.constantFrom('replace', 'add', 'drop'), fc.string({ maxLength: 12 }), value).map(([body, op, key, v]) => {
      const b: Record<string, unknown> = { ...body };
      const keys = Object.keys(b);
      const k = keys[key.length % keys.length];
      if (op === 'replace') b[k] = v;
      else if (op === 'add') b[key || 'x'] = v;
      else if (op === 'drop') delete b[k];
      return b;
    });

  const request = fc.oneof(
    { weight: 4, arbitrary: fc.record({ method: fc.constant('POST'), coll: fc.constantFrom(...COLLECTIONS) }).chain(({ coll }) =>
      fc.oneof(
        { weight: 3, arbitrary: validBody(coll).map((b) => ({ method: 'POST', path: `/v2.0/${coll}`, body: { [MEMBER[coll]]: b } as unknown })) },
        mutated(coll).map((b) => ({ method: 'POST', path: `/v2.0/${coll}`, body: { [MEMBER[coll]]: b } as unknown })),
        fc.array(mutated(coll), { minLength: 1, maxLength: 3 }).map((items) => ({ method: 'POST', path: `/v2.0/${coll}`, body: { [BULK[coll]]: items } as unknown })),
        value.map((b) => ({ method: 'POST', path: `/v2.0/${coll}`, body: b as unknown })),
      ),
    ) },
    fc.tuple(fc.constantFrom(...COLLECTIONS), anyId, value, fc.string({ maxLength: 12 })).map(([coll, id, v, key]) => ({
      method: 'PUT',
      path: `/v2.0/${coll}/${encodeURIComponent(id)}`,
      body: { [MEMBER[coll]]: { [['name', 'fixed_ips', 'admin_state_up', 'allocation_pools', 'gateway_ip', 'mtu', 'mac_address', key][key.length % 8]]: v } } as unknown,
    })),
    fc.tuple(fc.constantFrom(...COLLECTIONS), anyId).map(([coll, id]) => ({ method: 'DELETE', path: `/v2.0/${coll}/${encodeURIComponent(id)}`, body: undefined as unknown })),
    fc.tuple(fc.constantFrom(...COLLECTIONS), fc.array(fc.tuple(fc.constantFrom('name', 'limit', 'marker', 'sort_key', 'sort_dir', 'fields', 'tags', 'admin_state_up', 'fixed_ips', 'page_reverse', 'bogus', 'mtu'), fc.string({ maxLength: 12 })), { maxLength: 4 })).map(([coll, q]) => ({
      method: 'GET',
      path: `/v2.0/${coll}?${q.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`,
      body: undefined as unknown,
    })),
    fc.tuple(fc.constantFrom(...COLLECTIONS), anyId, fc.array(value, { maxLength: 3 })).map(([coll, id, tags]) => ({ method: 'PUT', path: `/v2.0/${coll}/${encodeURIComponent(id)}/tags`, body: { tags } as unknown })),
    fc.oneof(
      validBody('subnetpools').map((b) => ({ method: 'POST', path: '/v2.0/subnetpools', body: { subnetpool: b } as unknown })),
      mutated('subnetpools').map((b) => ({ method: 'POST', path: '/v2.0/subnetpools', body: { subnetpool: b } as unknown })),
      fc.tuple(pick('subnetpools'), value, fc.constantFrom('prefixes', 'min_prefixlen', 'is_default', 'default_quota', 'name')).map(([id, v, key]) => ({
        method: 'PUT',
        path: `/v2.0/subnetpools/${encodeURIComponent(id)}`,
        body: { subnetpool: { [key]: v } } as unknown,
      })),
      fc.tuple(pick('subnetpools'), fc.constantFrom('add_prefixes', 'remove_prefixes'), fc.oneof(value, fc.array(fc.integer({ min: 16, max: 31 }).map((o) => `172.${o}.0.0/20`), { maxLength: 2 }))).map(([id, action, prefixes]) => ({
        method: 'PUT',
        path: `/v2.0/subnetpools/${encodeURIComponent(id)}/${action}`,
        body: { prefixes } as unknown,
      })),
      pick('subnetpools').map((id) => ({ method: 'DELETE', path: `/v2.0/subnetpools/${encodeURIComponent(id)}`, body: undefined as unknown })),
    ),
  );

  it('never answers 5xx and always answers errors as NeutronError', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const r = await srv.api.call(req.method, req.path, req.body);
        // Neutron's one deliberate 5xx: no segment left for a new network (503 NoNetworkAvailable).
        const exhausted = r.status === 503 && r.body?.NeutronError?.type === 'NoNetworkAvailable';
        assert.ok(r.status < 500 || exhausted, `${req.method} ${req.path} ${JSON.stringify(req.body)} → ${r.status} ${JSON.stringify(r.body)}`);
        if (r.status >= 400) assert.equal(typeof r.body?.NeutronError?.type, 'string', JSON.stringify(r.body));
        if (req.method === 'POST' && r.status === 201) {
          const coll = req.path.split('/')[2] as Coll;
          const out = r.body[MEMBER[coll]] ? [r.body[MEMBER[coll]]] : r.body[BULK[coll]];
          for (const item of out) ids[coll].push(item.id);
          created[coll] += out.length;
        }
      }),
      { numRuns: Number(process.env.NUCLEON_FUZZ_RUNS ?? 1000) },
    );
  });

  it('leaves the database consistent', async () => {
    const db = srv.running.app.database.db;
    const networks = await db.selectFrom('networks').selectAll().execute();
    const subnets = await db.selectFrom('subnets').selectAll().execute();
    const ports = await db.selectFrom('ports').selectAll().execute();
    const allocs = await db.selectFrom('ip_allocations').selectAll().execute();
    const segments = await db.selectFrom('network_segments').selectAll().execute();
    const netIds = new Set(networks.map((n) => n.id));
    const portById = new Map(ports.map((p) => [p.id, p]));
    const subnetById = new Map(subnets.map((s) => [s.id, s]));
    for (const n of networks) assert.equal(segments.filter((s) => s.network_id === n.id).length, 1, `network ${n.id} has its segment`);
    for (const s of subnets) assert.ok(netIds.has(s.network_id), `subnet ${s.id} on a live network`);
    for (const p of ports) assert.ok(netIds.has(p.network_id), `port ${p.id} on a live network`);
    for (const a of allocs) {
      const p = portById.get(a.port_id);
      const s = subnetById.get(a.subnet_id);
      assert.ok(p && s, 'allocation of a live port on a live subnet');
      assert.equal(p.network_id, s.network_id, 'port and subnet share the network');
      const ip = parseIp(a.ip_address)!;
      assert.ok(cidrContains(parseCidr(s.cidr)!, ip.version, ip.value), `${a.ip_address} inside ${s.cidr}`);
    }
    const groups = new Set((await db.selectFrom('security_groups').select('id').execute()).map((g) => g.id));
    for (const r of await db.selectFrom('security_group_rules').selectAll().execute()) {
      assert.ok(groups.has(r.security_group_id), 'rule of a live group');
      if (r.remote_group_id) assert.ok(groups.has(r.remote_group_id), 'remote group alive');
    }
    for (const b of await db.selectFrom('port_security_groups').selectAll().execute()) {
      assert.ok(portById.has(b.port_id) && groups.has(b.security_group_id), 'binding of a live port to a live group');
      assert.ok(bool(portById.get(b.port_id)!.port_security_enabled), 'only ports with port security have groups');
    }
    const defaults = await db.selectFrom('default_security_groups').selectAll().execute();
    assert.equal(new Set(defaults.map((d) => d.project_id)).size, defaults.length, 'one default group per project');
    const pools = await db.selectFrom('subnetpools').selectAll().execute();
    const prefixes = await db.selectFrom('subnetpool_prefixes').selectAll().execute();
    for (const pool of pools) {
      const own = prefixes.filter((x) => x.subnetpool_id === pool.id).map((x) => parseCidr(x.cidr)!);
      assert.deepEqual(own.map(formatCidr).sort(), compactCidrs(Number(pool.ip_version) as 4 | 6, own).map(formatCidr).sort(), 'pool prefixes are stored compacted');
      const allocated = subnets.filter((x) => x.subnetpool_id === pool.id).map((x) => parseCidr(x.cidr)!);
      for (const c of allocated) assert.ok(covers(c.version, own, [c]), `${formatCidr(c)} inside pool ${pool.id}`);
      for (let i = 0; i < allocated.length; i++)
        for (let j = i + 1; j < allocated.length; j++) assert.ok(!cidrsOverlap(allocated[i], allocated[j]), 'the subnets of a pool never overlap');
    }
    for (const sub of subnets) if (sub.subnetpool_id) assert.ok(pools.some((x) => x.id === sub.subnetpool_id), 'a subnet names a live pool');
    assert.ok(new Set(pools.filter((x) => x.default_version !== null).map((x) => x.default_version)).size === pools.filter((x) => bool(x.is_default)).length, 'one default pool per IP version');
    const macs = ports.map((p) => `${p.network_id}/${p.mac_address}`);
    assert.equal(new Set(macs).size, macs.length, 'MACs unique per network');
    const listed = await srv.api.get('/v2.0/ports?fields=id');
    assert.equal(listed.body.ports.length, ports.length, 'the API lists what the table holds');
    const listedNets = await srv.api.get('/v2.0/networks?fields=id');
    assert.equal(listedNets.body.networks.length, networks.length);
    assert.ok(Object.values(created).every((n) => n >= 5), `the run created enough to be meaningful: ${JSON.stringify(created)}`);
  });
});
