/**
 * Subnet pools under concurrency: two nucleon-server processes on one database, 16 clients
 * allocating /27 and /28 subnets from one /24 pool at once, each on a network of its own. No two
 * subnets overlap, the pool is used up exactly, and once it is full every client gets
 * SubnetAllocationError (409), never a 5xx. Clients racing to create the default pool of an IP
 * version: exactly one wins.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { client, twoServerFixture } from './helpers/server.js';
import { cidrLast, cidrsOverlap, parseCidr } from '../src/core/ip.js';

const CLIENTS = 16;

for (const dialect of DIALECTS) {
  describe(`subnet pools with two servers on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const fixture = twoServerFixture(() => dialect.create(), { NUCLEON_QUOTAS__QUOTA_NETWORK: '-1', NUCLEON_QUOTAS__QUOTA_SUBNET: '-1' });
    const servers = fixture.servers;
    before(() => fixture.start());
    after(() => fixture.stop());

    it('never allocates overlapping subnets and fails cleanly when the pool is full', async () => {
      const a = client(servers[0].url);
      const pool = (await a.post('/v2.0/subnetpools', { subnetpool: { name: 'race', prefixes: ['10.60.0.0/24'], min_prefixlen: 24 } })).body.subnetpool;
      const created: string[] = [];
      const failures: Array<{ status: number; type: string }> = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const c = client(servers[i % 2].url);
          const net = (await c.post('/v2.0/networks', { network: { name: `c${i}` } })).body.network;
          for (;;) {
            const r = await c.post('/v2.0/subnets', { subnet: { network_id: net.id, subnetpool_id: pool.id, ip_version: 4, prefixlen: i % 4 ? 28 : 27 } });
            if (r.status === 201) {
              created.push(r.body.subnet.cidr);
              continue;
            }
            failures.push({ status: r.status, type: r.body?.NeutronError?.type });
            if (r.body?.NeutronError?.type === 'SubnetAllocationError' || failures.length > 200) return;
          }
        }),
      );

      assert.deepEqual(failures.filter((f) => f.type !== 'SubnetAllocationError'), [], 'no failure other than a full pool');
      assert.ok(failures.every((f) => f.status === 409));
      assert.equal(failures.length, CLIENTS, 'every client ended on SubnetAllocationError');
      const cidrs = created.map((c) => parseCidr(c)!);
      for (let i = 0; i < cidrs.length; i++) for (let j = i + 1; j < cidrs.length; j++) assert.ok(!cidrsOverlap(cidrs[i], cidrs[j]), `${created[i]} and ${created[j]} overlap`);
      const size = cidrs.reduce((n, c) => n + Number(cidrLast(c) - c.network + 1n), 0);
      assert.equal(size, 256, `the pool is used up exactly: ${created.join(' ')}`);
      const listed = await client(servers[1].url).get(`/v2.0/subnets?subnetpool_id=${pool.id}&fields=cidr`);
      assert.deepEqual(listed.body.subnets.map((s: { cidr: string }) => s.cidr).sort(), [...created].sort(), 'the database holds exactly the subnets the clients were told about');
    });

    it('lets exactly one of many creators make the default pool of an IP version', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          client(servers[i % 2].url).post('/v2.0/subnetpools', { subnetpool: { name: `default-${i}`, prefixes: [`fd${i}0::/48`], is_default: true } }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 1, JSON.stringify(results.map((r) => r.status)));
      for (const r of results.filter((x) => x.status !== 201)) assert.equal(r.body.NeutronError.type, 'InvalidInput');
      const defaults = await client(servers[0].url).get('/v2.0/subnetpools?is_default=true&ip_version=6');
      assert.equal(defaults.body.subnetpools.length, 1);
    });
  });
}
