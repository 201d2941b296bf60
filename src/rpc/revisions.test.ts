import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RevisionTracker } from './revisions.js';

describe('RevisionTracker', () => {
  it('drops a message older than the newest seen for the same resource, and only that', () => {
    const r = new RevisionTracker();
    assert.equal(r.accept('port', 'p1', 5), true);
    assert.equal(r.accept('port', 'p1', 4), false, 'older: stale');
    assert.equal(r.accept('port', 'p1', 5), true, 'the same revision again (a duplicate) is harmless');
    assert.equal(r.accept('port', 'p1', 7), true);
    assert.equal(r.accept('port', 'p1', 6), false);
    assert.equal(r.accept('port', 'p2', 1), true, 'another resource');
    assert.equal(r.accept('network', 'p1', 1), true, 'another resource type with the same id');
    assert.equal(r.seen('port', 'p1'), 7);
  });

  it('forgets the least recently updated resources past its bound', () => {
    const r = new RevisionTracker(2);
    r.accept('port', 'a', 3);
    r.accept('port', 'b', 3);
    r.accept('port', 'a', 4); // a is now the most recent
    r.accept('port', 'c', 1); // b goes
    assert.equal(r.seen('port', 'b'), undefined);
    assert.equal(r.accept('port', 'a', 2), false, 'a is still remembered');
    assert.equal(r.accept('port', 'b', 1), true, 'a forgotten resource is accepted again');
  });
});
