import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { availableBlocks, compactCidrs, covers, intersects, isAvailable, pickSubnet, quotaUnits, subtractCidrs } from './subnet-alloc.js';
import { cidrLast, formatCidr, parseCidr, type Cidr } from '../core/ip.js';

const cidrs = (...texts: string[]) => texts.map((t) => parseCidr(t)!);
const show = (cs: Cidr[]) => cs.map(formatCidr);
/** Every address of small IPv4 CIDRs, for checking set arithmetic by brute force. */
const addresses = (cs: Cidr[]) => new Set(cs.flatMap((c) => Array.from({ length: Number(cidrLast(c) - c.network + 1n) }, (_, i) => c.network + BigInt(i))));
const smallCidr = fc.record({ host: fc.integer({ min: 0, max: 255 }), prefix: fc.integer({ min: 24, max: 32 }) }).map(({ host, prefix }) => parseCidr(`10.0.0.${host}/${prefix}`)!);

describe('subnet allocation', () => {
  it("compacts prefixes as Neutron returns them: merged, minimal, in address order", () => {
    assert.deepEqual(show(compactCidrs(4, cidrs('10.10.0.0/24', '10.10.1.0/24', '10.10.0.128/25', '192.168.0.0/16', '10.0.0.5/8'))), ['10.0.0.0/8', '192.168.0.0/16']);
    assert.deepEqual(show(compactCidrs(4, cidrs('11.0.0.0/8', '10.0.0.0/8', '9.0.0.0/8'))), ['9.0.0.0/8', '10.0.0.0/7']);
    assert.deepEqual(show(compactCidrs(6, cidrs('2001:db8:1::/48', '2001:db8::/48'))), ['2001:db8::/47']);
    assert.deepEqual(show(compactCidrs(4, cidrs('0.0.0.0/0'))), ['0.0.0.0/0']);
  });

  it('subtracts and compares prefix sets like IP sets', () => {
    fc.assert(
      fc.property(fc.array(smallCidr, { maxLength: 5 }), fc.array(smallCidr, { maxLength: 5 }), (a, b) => {
        const diff = subtractCidrs(4, a, b);
        const want = [...addresses(a)].filter((x) => !addresses(b).has(x));
        assert.deepEqual([...addresses(diff)].sort((x, y) => (x < y ? -1 : 1)), want.sort((x, y) => (x < y ? -1 : 1)));
        assert.deepEqual(diff, compactCidrs(4, diff), 'the difference is compact');
        assert.equal(covers(4, a, b), [...addresses(b)].every((x) => addresses(a).has(x)));
      }),
    );
  });

  it("picks Neutron's choice: the smallest free block that fits, its first subnet", () => {
    const pool = cidrs('10.0.0.0/16', '192.168.0.0/24');
    const taken = cidrs('10.0.0.0/26');
    const free = availableBlocks(4, pool, taken);
    assert.deepEqual(show(free), ['10.0.0.64/26', '10.0.0.128/25', '10.0.1.0/24', '192.168.0.0/24', '10.0.2.0/23', '10.0.4.0/22', '10.0.8.0/21', '10.0.16.0/20', '10.0.32.0/19', '10.0.64.0/18', '10.0.128.0/17']);
    assert.equal(formatCidr(pickSubnet(free, 28)!), '10.0.0.64/28');
    assert.equal(formatCidr(pickSubnet(free, 24)!), '10.0.1.0/24');
    assert.equal(formatCidr(pickSubnet(free, 17)!), '10.0.128.0/17');
    assert.equal(pickSubnet(free, 16), undefined);
    assert.equal(isAvailable(free, parseCidr('10.0.0.128/26')!), true);
    assert.equal(isAvailable(free, parseCidr('10.0.0.0/25')!), false, 'overlaps an allocation');
    assert.equal(isAvailable(free, parseCidr('10.1.0.0/24')!), false, 'outside the pool');
  });

  it('never hands out an address twice', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 24, max: 30 }), { maxLength: 20 }), (lengths) => {
        const pool = cidrs('10.0.0.0/22');
        const taken: Cidr[] = [];
        for (const len of lengths) {
          const got = pickSubnet(availableBlocks(4, pool, taken), len);
          if (!got) continue;
          assert.ok(covers(4, pool, [got]), 'inside the pool');
          assert.ok(!intersects(taken, [got]), 'clear of every allocation');
          taken.push(got);
        }
      }),
    );
  });

  it('counts quota in /32 (IPv4) and /64 (IPv6) units', () => {
    assert.equal(quotaUnits(4, 26), 64);
    assert.equal(quotaUnits(6, 64), 1);
    assert.equal(quotaUnits(6, 56), 256);
    assert.equal(quotaUnits(6, 66), 0.25);
  });
});
