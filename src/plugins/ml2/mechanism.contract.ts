/**
 * What every mechanism driver owes ML2, run against each registered driver by
 * mechanism-manager.test.ts (a driver added to MECHANISM_DRIVERS is tested by adding nothing):
 * its name is the one operators configure; a driver that binds names the agent type it binds
 * through, and its `tryBind` is pure (same answer for the same input), never throws (a reason
 * string is how it declines) and binds with a real vif_type and JSON details; its postcommit calls
 * never throw, even with nothing to send through, since nothing may undo a commit.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { makeContext } from '../../core/context.js';
import type { Database } from '../../db/database.js';
import type { MechanismDriver, PostcommitMethod } from './driver-api.js';
import type { MechanismFactory } from './mechanism-manager.js';

const POSTCOMMITS: PostcommitMethod[] = ['create', 'update', 'delete'].flatMap((op) => ['Network', 'Subnet', 'Port'].map((r) => `${op}${r}Postcommit` as PostcommitMethod));

const segment = fc.record({ network_type: fc.constantFrom('vxlan', 'vlan', 'flat', 'local', 'geneve', 'gre', ''), physical_network: fc.option(fc.constantFrom('physnet1', 'public', ''), { nil: null }) });
const agent = fc.record({
  host: fc.string({ maxLength: 8 }),
  configurations: fc.record(
    {
      tunnel_types: fc.oneof(fc.array(fc.constantFrom('vxlan', 'gre', 'geneve')), fc.anything()),
      interface_mappings: fc.oneof(fc.dictionary(fc.constantFrom('physnet1', 'public'), fc.string()), fc.anything()),
      bridge_mappings: fc.oneof(fc.dictionary(fc.constantFrom('physnet1', 'public'), fc.string()), fc.anything()),
    },
    { requiredKeys: [] },
  ),
});
const resource = fc.dictionary(fc.constantFrom('id', 'network_id', 'binding:host_id', 'status', 'fixed_ips', 'security_groups', 'name'), fc.anything());

export function mechanismDriverContract(name: string, make: MechanismFactory): void {
  describe(`mechanism driver ${name}`, () => {
    // no transport: a server without a bus, or a driver's postcommit with nobody to tell
    const driver: MechanismDriver = make({ database: {} as Database });

    it('is named as operators configure it', () => {
      assert.equal(driver.name, name);
    });

    it('binds through a named agent type, purely, declining with a reason and never throwing', () => {
      if (!driver.tryBind) return;
      assert.ok(driver.agentType, 'a driver that binds names the agent type it binds through');
      fc.assert(
        fc.property(segment, fc.constantFrom('normal', 'direct', 'macvtap', 'baremetal', ''), agent, (seg, vnic, a) => {
          const got = driver.tryBind!(seg, vnic, a);
          assert.deepEqual(driver.tryBind!(seg, vnic, a), got, 'the same question gets the same answer');
          if (typeof got === 'string') return assert.ok(got.length > 0, 'a refusal says why');
          assert.ok(!['unbound', 'binding_failed', ''].includes(got.vif_type), `a binding has a real vif_type, not ${got.vif_type}`);
          assert.deepEqual(JSON.parse(JSON.stringify(got.vif_details)), got.vif_details, 'vif_details travel as JSON');
        }),
        { numRuns: 300 },
      );
    });

    it('never throws after commit, whatever the change', async () => {
      const ctx = makeContext({ projectId: 'p' });
      const present = POSTCOMMITS.filter((m) => driver[m]);
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...(present.length ? present : [undefined])), fc.option(resource, { nil: undefined }), fc.option(resource, { nil: undefined }), fc.option(resource, { nil: undefined }), async (m, current, original, request) => {
          if (m) await driver[m]!({ ctx, current, original, request, segments: async () => [{ network_type: 'vxlan', physical_network: null, segmentation_id: 5 }] });
        }),
        { numRuns: 100 },
      );
    });
  });
}
