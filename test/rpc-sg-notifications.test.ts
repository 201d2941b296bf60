/**
 * The security group notifications L2 agents follow, on every database: a rule created or deleted
 * fans out `security_groups_rule_updated` with its group, a port joining, changing or leaving
 * groups `security_groups_member_updated` with the groups before and after; nothing for a port
 * without groups. Listened to as an agent would, on the server's in-process transport.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import { endpoint } from '../src/rpc/rpc-api.js';
import { agentNotifierTopic } from '../src/rpc/topics.js';
import { SECURITY_GROUP_NOTIFIER_API } from '../src/rpc/apis/agent-notifier-api.js';

const A = { 'X-Project-Id': 'proj-a', 'X-Roles': 'member' };

for (const dialect of DIALECTS) {
  describe(`security group notifications to L2 agents on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    const heard: string[] = [];
    before(async () => {
      await srv.start();
      const note = (method: string) => ({ security_groups }: { security_groups: string[] }) => void heard.push(`${method} ${security_groups.join(',')}`);
      await srv.running.app.transport.serve({ topic: agentNotifierTopic('security_group', 'update'), server: 'hv-test' }, [
        endpoint(SECURITY_GROUP_NOTIFIER_API, { security_groups_rule_updated: note('rule'), security_groups_member_updated: note('member') }),
      ]);
    });
    after(() => srv.stop());

    /** What arrives within a moment after `action` (notifications go out after commit, asynchronously). */
    async function notes(action: () => Promise<unknown>, expect: number): Promise<string[]> {
      heard.length = 0;
      await action();
      for (let i = 0; i < 100 && heard.length < expect; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50));
      return [...heard].sort();
    }

    it('tells of rules created and deleted, and of members joining, moving and leaving', async () => {
      const net = (await srv.api.post('/v2.0/networks', { network: { name: 'n' } }, A)).body.network;
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.9.0.0/24', ip_version: 4 } }, A);
      const sg = (await srv.api.post('/v2.0/security-groups', { security_group: { name: 'web' } }, A)).body.security_group;
      const def = (await srv.api.get('/v2.0/security-groups?name=default', A)).body.security_groups[0];
      let rule: { id: string } | undefined;
      assert.deepEqual(
        await notes(async () => (rule = (await srv.api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 } }, A)).body.security_group_rule), 1),
        [`rule ${sg.id}`],
      );
      assert.deepEqual(await notes(() => srv.api.del(`/v2.0/security-group-rules/${rule!.id}`, A), 1), [`rule ${sg.id}`]);
      let port: { id: string } | undefined;
      assert.deepEqual(await notes(async () => (port = (await srv.api.post('/v2.0/ports', { port: { network_id: net.id } }, A)).body.port), 1), [`member ${def.id}`]);
      assert.deepEqual(await notes(() => srv.api.put(`/v2.0/ports/${port!.id}`, { port: { security_groups: [sg.id] } }, A), 1), [`member ${[def.id, sg.id].sort().join(',')}`]);
      assert.deepEqual(await notes(() => srv.api.put(`/v2.0/ports/${port!.id}`, { port: { name: 'renamed' } }, A), 0), [], 'a change that is no membership is not told');
      assert.deepEqual(await notes(() => srv.api.del(`/v2.0/ports/${port!.id}`, A), 1), [`member ${sg.id}`]);
      assert.deepEqual(await notes(() => srv.api.post('/v2.0/ports', { port: { network_id: net.id, port_security_enabled: false } }, A), 0), [], 'a port in no group is nobody’s member');
    });
  });
}
