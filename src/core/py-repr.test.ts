import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pyRepr, pySet, pyStr } from './py-repr.js';

describe('py-repr', () => {
  it("formats values as Python's repr and str do", () => {
    assert.equal(pyRepr([{ destination: '10.0.0.0/24', nexthop: '10.1.0.5' }]), "[{'destination': '10.0.0.0/24', 'nexthop': '10.1.0.5'}]");
    assert.equal(pyRepr({ a: null, b: true, c: false, d: 3, e: [] }), "{'a': None, 'b': True, 'c': False, 'd': 3, 'e': []}");
    assert.equal(pyRepr("it's"), '"it\'s"');
    assert.equal(pyRepr('a\'b"c'), "'a\\'b\"c'");
    assert.equal(pyStr('abc'), 'abc');
    assert.equal(pyStr(null), 'None');
    assert.equal(pySet(['network_id']), "{'network_id'}");
  });
});
