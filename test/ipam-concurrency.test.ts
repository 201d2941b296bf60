/**
 * IPAM under concurrency: two nucleon-server processes on one database, 16 clients creating ports
 * on one small subnet at once. No address or MAC is handed out twice, every address of the pool is
 * used, and once the pool is empty every client gets IpAddressGenerationFailure (409), never a 5xx.
 * The MAC space is narrowed to 256 addresses so that MAC races happen too.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { client, twoServerFixture } from './helpers/server.js';

const CLIENTS = 16;
const POOL = 29; // 10.50.0.0/27 less network, broadcast and gateway

for (const dialect of DIALECTS) {
  describe(`IPAM with two servers on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const fixture = twoServerFixture(() => dialect.create(), { NUCLEON_DEFAULT__BASE_MAC: 'fa:16:3e:4f:12:00', NUCLEON_DEFAULT__STATE_PATH: '/nonexistent-unused' });
    const servers = fixture.servers;
    before(() => fixture.start());
    after(() => fixture.stop());

    it('never hands out an address or MAC twice and fails cleanly when the pool is empty', async () => {
      const a = client(servers[0].url);
      const net = (await a.post('/v2.0/networks', { network: { name: 'race' } })).body.network;
      const sub = await a.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.50.0.0/27', ip_version: 4 } });
      assert.equal(sub.status, 201);

      const created: Array<{ ip: string; mac: string }> = [];
      const failures: Array<{ status: number; type: string }> = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const c = client(servers[i % 2].url);
          for (;;) {
            const r = await c.post('/v2.0/ports', { port: { network_id: net.id, name: `c${i}` } });
            if (r.status === 201) {
              created.push({ ip: r.body.port.fixed_ips[0].ip_address, mac: r.body.port.mac_address });
              continue;
            }
            failures.push({ status: r.status, type: r.body?.NeutronError?.type });
            if (r.body?.NeutronError?.type === 'IpAddressGenerationFailure' || failures.length > 200) return;
          }
        }),
      );

      assert.deepEqual(failures.filter((f) => f.type !== 'IpAddressGenerationFailure'), [], 'no failure other than an empty pool');
      assert.ok(failures.every((f) => f.status === 409));
      assert.equal(failures.length, CLIENTS, 'every client ended on IpAddressGenerationFailure');
      assert.equal(created.length, POOL, 'every address of the pool was used');
      assert.equal(new Set(created.map((c) => c.ip)).size, POOL, 'no address handed out twice');
      assert.equal(new Set(created.map((c) => c.mac)).size, POOL, 'no MAC handed out twice');
      assert.ok(!created.some((c) => c.ip === '10.50.0.1'), 'the gateway was never handed out');

      const listed = await client(servers[1].url).get(`/v2.0/ports?network_id=${net.id}`);
      const ips = listed.body.ports.map((p: { fixed_ips: Array<{ ip_address: string }> }) => p.fixed_ips[0].ip_address);
      assert.equal(ips.length, POOL, 'the database holds exactly the ports the clients were told about');
      assert.deepEqual([...ips].sort(), created.map((c) => c.ip).sort());
    });
  });
}
