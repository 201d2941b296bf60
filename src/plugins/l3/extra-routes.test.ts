import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeRoutes, subtractRoutes } from './extra-routes.js';

const r = (destination: string, nexthop: string) => ({ destination, nexthop });

describe('extra routes', () => {
  it('merges routes once each, grouped by destination in first-seen order', () => {
    assert.deepEqual(mergeRoutes([r('a', '1'), r('b', '2')], [r('c', '3'), r('a', '4'), r('b', '2')]), [r('a', '1'), r('a', '4'), r('b', '2'), r('c', '3')]);
    assert.deepEqual(mergeRoutes([], []), []);
  });

  it('subtracts exact routes and ignores ones that are not there', () => {
    assert.deepEqual(subtractRoutes([r('a', '1'), r('a', '4'), r('b', '2')], [r('a', '4'), r('x', '9'), r('b', '3')]), [r('a', '1'), r('b', '2')]);
  });
});
