import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultGateway, defaultPools, freeInPools, poolSize, randomInPools, validatePools } from './allocator.js';
import { formatIp, parseCidr, parseIp } from '../core/ip.js';

const ip = (t: string) => parseIp(t)!.value;
const show = (v: 4 | 6, pools: Array<{ first: bigint; last: bigint }>) => pools.map((p) => `${formatIp(v, p.first)}-${formatIp(v, p.last)}`);

describe('allocator', () => {
  it('computes Neutron default gateways and pools', () => {
    const v4 = parseCidr('10.0.0.0/24')!;
    assert.equal(formatIp(4, defaultGateway(v4)), '10.0.0.1');
    assert.deepEqual(show(4, defaultPools(v4, defaultGateway(v4))), ['10.0.0.2-10.0.0.254']);
    assert.deepEqual(show(4, defaultPools(v4, ip('10.0.0.100'))), ['10.0.0.1-10.0.0.99', '10.0.0.101-10.0.0.254']);
    assert.deepEqual(show(4, defaultPools(v4, null)), ['10.0.0.1-10.0.0.254']);
    const v6 = parseCidr('2001:db8::/64')!;
    assert.equal(formatIp(6, defaultGateway(v6)), '2001:db8::');
    assert.deepEqual(show(6, defaultPools(v6, defaultGateway(v6))), ['2001:db8::1-2001:db8::ffff:ffff:ffff:ffff']);
  });

  it('refuses pools that are inverted, outside, overlapping or hold the gateway', () => {
    const c = parseCidr('10.0.0.0/24')!;
    const gw = ip('10.0.0.1');
    assert.throws(() => validatePools(c, [{ start: '10.0.0.9', end: '10.0.0.5' }], gw), { type: 'InvalidAllocationPool' });
    assert.throws(() => validatePools(c, [{ start: '10.0.1.1', end: '10.0.1.5' }], gw), { type: 'OutOfBoundsAllocationPool' });
    assert.throws(() => validatePools(c, [{ start: '10.0.0.0', end: '10.0.0.5' }], null), { type: 'OutOfBoundsAllocationPool' });
    assert.throws(() => validatePools(c, [{ start: '10.0.0.2', end: '10.0.0.9' }, { start: '10.0.0.9', end: '10.0.0.20' }], gw), { type: 'OverlappingAllocationPools' });
    assert.throws(() => validatePools(c, [{ start: '10.0.0.1', end: '10.0.0.9' }], gw), { type: 'GatewayConflictWithAllocationPools' });
    assert.equal(validatePools(c, [{ start: '10.0.0.10', end: '10.0.0.19' }], gw).length, 1);
  });

  it('picks only free pool addresses, never an excluded one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 24, max: 30 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 80 }), (prefix, takenOctets) => {
        const c = parseCidr(`10.0.0.0/${prefix}`)!;
        const gw = defaultGateway(c);
        const pools = defaultPools(c, gw);
        const taken = new Set(takenOctets.map((o) => c.network + BigInt(o)));
        const free = freeInPools(pools, taken, new Set([gw]), 1000);
        const expected = Number(poolSize(pools)) - [...taken].filter((t) => pools.some((p) => t >= p.first && t <= p.last)).length;
        assert.equal(free.length, expected);
        for (const f of free) assert.ok(!taken.has(f) && f !== gw && pools.some((p) => f >= p.first && f <= p.last));
        const r = randomInPools(pools);
        assert.ok(r !== undefined && pools.some((p) => r >= p.first && r <= p.last));
      }),
    );
  });
});
