/**
 * The behaviour every TypeDriver owes the type manager, run for each driver on each database by
 * test/type-drivers.test.ts. A harness describes one configured driver: the requests it must refuse
 * and accept, a whole segment it holds exclusively (and the conflict a second taker gets), partial
 * requests it completes, the pool of project segments its ranges hold, and its MTU. Each test owns
 * the networks it makes and deletes them at the end: a segment is released only by deleting its
 * network (the allocation row goes with it), which is what the "released" tests check.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../../core/context.js';
import { NeutronError } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import { standardValues } from '../../db/repos/standard-attr-repo.js';
import type { Executor } from '../../db/schema.js';
import type { Segment, SegmentRequest, TypeDriver } from './driver-api.js';

export interface TypeDriverHarness {
  name: string;
  skip?: string;
  driver: TypeDriver;
  /** The migrated database, ready once the enclosing suite's `before` ran (shared: use no other type). */
  database(): Database;
  /** Requests validateProviderSegment refuses with InvalidInput. */
  invalid: SegmentRequest[];
  /** Requests naming one whole segment: reserve takes exactly that, and only once. */
  whole: SegmentRequest[];
  /** The error type (409) a second reservation of a whole segment gets; absent when segments are not exclusive. */
  conflict?: string;
  /** Requests that leave the segment to the driver; it picks one from `pool` matching what they name. */
  partial: SegmentRequest[];
  /** Every project segment the configured ranges hold, or 'unlimited' (a driver that never runs out). */
  pool: Segment[] | 'unlimited';
  mtu: number;
}

const key = (s: Segment) => `${s.network_type}/${s.physical_network ?? ''}/${s.segmentation_id ?? ''}`;
const full = (r: SegmentRequest): Segment => ({ network_type: r.network_type, physical_network: r.physical_network ?? null, segmentation_id: r.segmentation_id ?? null });

/** Asserts that `p` fails with the Neutron error `type` (and `status`). */
async function assertNeutronError(p: Promise<unknown> | (() => unknown), type: string, status: number): Promise<void> {
  const check = (err: unknown) => {
    assert.ok(err instanceof NeutronError, `expected ${type}, got ${(err as Error)?.stack ?? err}`);
    assert.deepEqual([err.type, err.status], [type, status]);
    return true;
  };
  if (typeof p === 'function') assert.throws(p, check);
  else await assert.rejects(p, check);
}

export function typeDriverContract(h: TypeDriverHarness): void {
  describe(`type driver contract: ${h.name}`, { skip: h.skip }, () => {
    const networks: string[] = [];
    const db = () => h.database();
    /** A network row for an allocation to belong to, as network creation makes it first. */
    const addNetwork = async (trx: Executor) => {
      const id = newId();
      await trx
        .insertInto('networks')
        .values({ id, project_id: 'p', name: '', status: 'ACTIVE', admin_state_up: 1, shared: 0, mtu: 0, router_external: 0, port_security_enabled: 1, availability_zone_hints: '[]', dns_domain: '', ...standardValues('') })
        .execute();
      networks.push(id);
      return id;
    };
    /** Releases a network's segment the way Neutron does: by deleting the network. */
    const deleteNetwork = (id: string) => db().transaction((trx) => trx.deleteFrom('networks').where('id', '=', id).execute());
    const reserve = (req: SegmentRequest) => db().transaction(async (trx) => h.driver.reserveProviderSegment(trx, req, await addNetwork(trx)));
    const allocate = () => db().transaction(async (trx) => h.driver.allocateProjectSegment(trx, await addNetwork(trx)));
    const inPool = (s: Segment) => h.pool === 'unlimited' || h.pool.some((p) => key(p) === key(s));

    afterEach(async () => {
      for (const id of networks.splice(0)) await deleteNetwork(id);
    });

    it('refuses bad provider requests with InvalidInput, before any database work', async () => {
      assert.ok(h.invalid.length > 0);
      for (const req of h.invalid) await assertNeutronError(() => h.driver.validateProviderSegment(req), 'InvalidInput', 400);
      for (const req of [...h.whole, ...h.partial]) h.driver.validateProviderSegment(req);
    });

    it('reserves exactly the segment a whole request names, and says its MTU', async () => {
      for (const req of h.whole) {
        const seg = await reserve(req);
        assert.deepEqual(seg, full(req));
        assert.equal(h.driver.mtu(seg), h.mtu);
      }
    });

    it(h.conflict ? `refuses a second reservation of the same segment with ${h.conflict}, until its network is deleted` : 'lets any number of networks have the same segment', async () => {
      for (const req of h.whole) {
        await reserve(req);
        const owner = networks[networks.length - 1];
        if (!h.conflict) {
          assert.deepEqual(await reserve(req), full(req));
          continue;
        }
        await assertNeutronError(reserve(req), h.conflict, 409);
        await deleteNetwork(owner);
        assert.deepEqual(await reserve(req), full(req), 'released with its network');
      }
    });

    it('gives a segment to exactly one of two servers reserving it at once', async () => {
      for (const req of h.whole) {
        const results = await Promise.allSettled([reserve(req), reserve(req)]);
        const won = results.filter((r) => r.status === 'fulfilled');
        if (!h.conflict) {
          assert.equal(won.length, 2);
          continue;
        }
        assert.equal(won.length, 1, JSON.stringify(results));
        await assertNeutronError(Promise.reject((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason), h.conflict, 409);
      }
    });

    it('completes a partial request with a free segment of its pool that matches what it names', async () => {
      for (const req of h.partial) {
        const seg = await reserve(req);
        assert.equal(seg.network_type, h.driver.type);
        if (req.physical_network) assert.equal(seg.physical_network, req.physical_network);
        assert.ok(inPool(seg), `${key(seg)} is not in the configured ranges`);
        assert.equal(h.driver.mtu(seg), h.mtu);
        if (h.conflict) await assertNeutronError(reserve(full(seg)), h.conflict, 409);
      }
    });

    it('hands out each project segment once, then nothing; a deleted network gives its segment back', async () => {
      const count = h.pool === 'unlimited' ? 5 : h.pool.length;
      const got: Segment[] = [];
      for (let i = 0; i < count; i++) {
        const seg = await allocate();
        assert.ok(seg, `allocation ${i + 1} of ${count} found nothing`);
        assert.ok(inPool(seg), `${key(seg)} is not in the configured ranges`);
        assert.equal(h.driver.mtu(seg), h.mtu);
        got.push(seg);
      }
      if (h.pool === 'unlimited') return;
      assert.deepEqual(got.map(key).sort(), h.pool.map(key).sort(), 'every pool segment, each once');
      assert.equal(await allocate(), undefined, 'exhausted');
      for (const req of h.partial) await assertNeutronError(reserve(req), 'NoNetworkAvailable', 503);
      if (!got.length) return;
      await deleteNetwork(networks[0]);
      assert.deepEqual(await allocate(), got[0], 'released with its network');
    });

    it('never hands out one project segment to two servers allocating at once', async () => {
      const size = h.pool === 'unlimited' ? 4 : h.pool.length;
      const results = await Promise.all(Array.from({ length: size + 2 }, () => allocate()));
      const given = results.filter((s): s is Segment => s !== undefined);
      if (h.pool === 'unlimited') return assert.equal(given.length, size + 2);
      assert.equal(given.length, size);
      assert.equal(new Set(given.map(key)).size, size, `a segment given twice: ${given.map(key).join(' ')}`);
    });
  });
}
