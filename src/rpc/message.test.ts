import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findHandler } from './dispatcher.js';
import { isCompatible } from './message.js';

describe('RPC versions', () => {
  it("follow oslo.messaging's rule: same major, served minor (then revision) not older", () => {
    const cases: Array<[served: string, requested: string, ok: boolean]> = [
      ['1.3', '1.0', true],
      ['1.3', '1.3', true],
      ['1.3', '1.4', false],
      ['1.3', '2.0', false],
      ['2.0', '1.9', false],
      ['1.3.2', '1.3.1', true],
      ['1.3', '1.3.1', false],
      ['1.10', '1.9', true],
      ['1.3', 'x', false],
    ];
    for (const [served, requested, ok] of cases) assert.equal(isCompatible(served, requested), ok, `${served} serving ${requested}`);
  });

  it('pick the handler by namespace, then a compatible version, then the method', () => {
    const endpoints = [
      { version: '1.1', methods: { a: () => 'v1' } },
      { version: '2.0', methods: { a: () => 'v2' } },
      { namespace: 'dhcp', version: '1.0', methods: { a: () => 'dhcp' } },
    ];
    const call = (method: string, version: string, namespace?: string) => findHandler(endpoints, { method, version, namespace, args: {} })({});
    assert.equal(call('a', '1.0'), 'v1');
    assert.equal(call('a', '2.0'), 'v2');
    assert.equal(call('a', '1.0', 'dhcp'), 'dhcp');
    assert.throws(() => call('b', '1.0'), { type: 'NoSuchMethod' });
    assert.throws(() => call('a', '3.0'), { type: 'UnsupportedVersion' });
    assert.throws(() => call('a', '1.0', 'l3'), { type: 'UnsupportedVersion' });
    assert.throws(() => call('toString', '1.0'), { type: 'NoSuchMethod' }, 'inherited properties are not methods');
  });
});
