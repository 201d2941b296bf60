/**
 * Quotas under concurrency: two nucleon-server processes on one database, 16 clients of one
 * project racing for the last ports of its quota (and, on a second project, for networks in bulks
 * of two). Exactly the limit is created, every other attempt is refused with OverQuota (409), never
 * a 5xx, and the database holds exactly what the clients were told about.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { client, twoServerFixture } from './helpers/server.js';

const CLIENTS = 16;
const PORTS = 24;
const NETWORKS = 9;

for (const dialect of DIALECTS) {
  describe(`quotas with two servers on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const fixture = twoServerFixture(() => dialect.create(), { NUCLEON_DEFAULT__STATE_PATH: '/nonexistent-unused' });
    const servers = fixture.servers;
    before(() => fixture.start());
    after(() => fixture.stop());

    /** 16 clients on alternating servers, each creating until refused. */
    async function race(create: (c: ReturnType<typeof client>, i: number) => Promise<{ status: number; body: any }>) {
      let created = 0;
      const failures: Array<{ status: number; type: string }> = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, i) => {
          const c = client(servers[i % 2].url);
          for (;;) {
            const r = await create(c, i);
            if (r.status === 201) {
              created++;
              continue;
            }
            failures.push({ status: r.status, type: r.body?.NeutronError?.type });
            if (r.body?.NeutronError?.type === 'OverQuota' || failures.length > 200) return;
          }
        }),
      );
      return { created, failures };
    }

    it('never lets 16 racing clients create more ports than the quota', async () => {
      const P = 'qr-race';
      const admin = client(servers[0].url);
      assert.equal((await admin.put(`/v2.0/quotas/${P}`, { quota: { port: PORTS } })).status, 200);
      const net = (await admin.post('/v2.0/networks', { network: { name: 'race', project_id: P } })).body.network;
      assert.equal((await admin.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.60.0.0/24', ip_version: 4, project_id: P } })).status, 201);
      // the first port outside the race (it also creates the project's default security group)
      assert.equal((await admin.post('/v2.0/ports', { port: { network_id: net.id, name: 'first', project_id: P } })).status, 201);

      const member = { 'X-Project-Id': P, 'X-Roles': 'member' };
      const { created, failures } = await race((c, i) => c.post('/v2.0/ports', { port: { network_id: net.id, name: `c${i}` } }, member));

      assert.deepEqual(failures.filter((f) => f.type !== 'OverQuota'), [], 'no failure other than OverQuota');
      assert.ok(failures.every((f) => f.status === 409));
      assert.equal(failures.length, CLIENTS, 'every client ended on OverQuota');
      assert.equal(created + 1, PORTS, 'exactly the quota was created');
      const listed = await client(servers[1].url).get(`/v2.0/ports?project_id=${P}&fields=id`);
      assert.equal(listed.body.ports.length, PORTS, 'the database holds exactly the quota');
      assert.deepEqual((await admin.get(`/v2.0/quotas/${P}/details`)).body.quota.port, { limit: PORTS, used: PORTS, reserved: 0 });
    });

    it('never lets racing bulk creates take a project past its network quota', async () => {
      const P = 'qr-race-nets';
      const admin = client(servers[1].url);
      assert.equal((await admin.put(`/v2.0/quotas/${P}`, { quota: { network: NETWORKS } })).status, 200);
      const { created, failures } = await race((c, i) => c.post('/v2.0/networks', { networks: [{ name: `a${i}`, project_id: P }, { name: `b${i}`, project_id: P }] }));
      assert.deepEqual(failures.filter((f) => f.type !== 'OverQuota'), [], 'no failure other than OverQuota');
      assert.equal(created * 2, NETWORKS - 1, 'bulks of two fill the quota up to its last (odd) unit');
      const listed = await admin.get(`/v2.0/networks?project_id=${P}&fields=id`);
      assert.equal(listed.body.networks.length, created * 2);
      const last = await admin.post('/v2.0/networks', { network: { project_id: P } });
      assert.equal(last.status, 201, 'the last unit is still there for a single create');
      assert.equal((await admin.post('/v2.0/networks', { network: { project_id: P } })).status, 409);
    });
  });
}
