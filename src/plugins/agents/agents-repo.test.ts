/** Agent liveness: the SQL cut-off and the API's `alive` must agree on every heartbeat. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { agentStamp, isDown, liveSince } from './agents-repo.js';

describe('agent liveness', () => {
  it('liveSince and isDown agree to the millisecond (a port never binds to an agent listed as dead)', () => {
    const base = Date.parse('2026-11-24T06:05:00Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 0, max: 120_000 }), fc.integer({ min: 1, max: 90 }), (hbMs, nowMs, down) => {
        const hb = agentStamp(new Date(base + hbMs));
        const now = base + nowMs;
        assert.equal(hb >= liveSince(down, now), !isDown(hb, down, now));
      }),
      { numRuns: 2000 },
    );
  });

  it('the case that bit: a heartbeat at :58 with 6 s of down time is dead at :04.9, as the API says', () => {
    const now = Date.parse('2026-11-24T06:06:04.900Z');
    assert.equal(isDown('2026-11-24 06:05:58', 6, now), true);
    assert.equal('2026-11-24 06:05:58' >= liveSince(6, now), false);
  });
});
