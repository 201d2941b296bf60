/**
 * The isolation matrix: project A's resources against project B, a reader of A and an admin, for
 * every resource and action. B sees nothing of A (404 on show, update and delete, absent from
 * lists) and cannot attach to it; A's reader reads but cannot write (403); the admin sees and
 * changes everything.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

const A = { 'X-Project-Id': 'iso-a', 'X-Roles': 'member,reader' };
const B = { 'X-Project-Id': 'iso-b', 'X-Roles': 'member,reader' };
const READER = { 'X-Project-Id': 'iso-a', 'X-Roles': 'reader' };
const ADMIN = { 'X-Project-Id': 'iso-admin', 'X-Roles': 'admin' };

interface Item {
  path: string;
  member: string;
  id: string;
  /** A harmless change for the update checks. */
  change: Record<string, unknown>;
}

for (const dialect of DIALECTS) {
  describe(`isolation between projects on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    const items: Item[] = [];
    let extId = '';
    let aPort = '';
    let aSubnet = '';
    let aNet = '';
    let aPool = '';
    before(async () => {
      await srv.start();
      const post = async (path: string, member: string, body: Record<string, unknown>, h: Record<string, string> = A) => {
        const r = await srv.api.post(`/v2.0/${path}`, { [member]: body }, h);
        assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
        return r.body[member];
      };
      const ext = await post('networks', 'network', { 'router:external': true }, ADMIN);
      extId = ext.id;
      await post('subnets', 'subnet', { network_id: ext.id, cidr: '172.30.0.0/24', ip_version: 4 }, ADMIN);
      const net = await post('networks', 'network', { name: 'a-net' });
      aNet = net.id;
      const subnet = await post('subnets', 'subnet', { network_id: net.id, cidr: '10.60.0.0/24', ip_version: 4 });
      aSubnet = subnet.id;
      const port = await post('ports', 'port', { network_id: net.id });
      aPort = port.id;
      const sg = await post('security-groups', 'security_group', { name: 'a-sg' });
      const rule = await post('security-group-rules', 'security_group_rule', { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 80, port_range_max: 80 });
      const router = await post('routers', 'router', { name: 'a-router', external_gateway_info: { network_id: ext.id } });
      assert.equal((await srv.api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, A)).status, 200);
      const fip = await post('floatingips', 'floatingip', { floating_network_id: ext.id, port_id: port.id });
      const pool = await post('subnetpools', 'subnetpool', { name: 'a-pool', prefixes: ['10.62.0.0/16'], default_prefixlen: 24 });
      aPool = pool.id;
      items.push(
        { path: 'networks', member: 'network', id: net.id, change: { name: 'x' } },
        { path: 'subnets', member: 'subnet', id: subnet.id, change: { name: 'x' } },
        { path: 'ports', member: 'port', id: port.id, change: { name: 'x' } },
        { path: 'security-groups', member: 'security_group', id: sg.id, change: { name: 'x' } },
        { path: 'security-group-rules', member: 'security_group_rule', id: rule.id, change: {} },
        { path: 'routers', member: 'router', id: router.id, change: { name: 'x' } },
        { path: 'floatingips', member: 'floatingip', id: fip.id, change: { description: 'x' } },
        { path: 'subnetpools', member: 'subnetpool', id: pool.id, change: { name: 'x' } },
      );
    });
    after(() => srv.stop());

    const listed = async (path: string, id: string, h: Record<string, string>) => {
      const key = path.replace(/-/g, '_');
      const r = await srv.api.get(`/v2.0/${path}?fields=id`, h);
      assert.equal(r.status, 200);
      return (r.body[key] as Array<{ id: string }>).some((x) => x.id === id);
    };

    it('hides every resource of A from B: show, list, update, delete', async () => {
      for (const it of items) {
        assert.equal((await srv.api.get(`/v2.0/${it.path}/${it.id}`, B)).status, 404, `show ${it.path}`);
        assert.equal(await listed(it.path, it.id, B), false, `list ${it.path}`);
        if (Object.keys(it.change).length) assert.equal((await srv.api.put(`/v2.0/${it.path}/${it.id}`, { [it.member]: it.change }, B)).status, 404, `update ${it.path}`);
        assert.equal((await srv.api.del(`/v2.0/${it.path}/${it.id}`, B)).status, 404, `delete ${it.path}`);
        assert.equal((await srv.api.get(`/v2.0/${it.path}/${it.id}`, A)).status, 200, `${it.path} is still there`);
      }
    });

    it("lets A's reader read but not write", async () => {
      for (const it of items) {
        assert.equal((await srv.api.get(`/v2.0/${it.path}/${it.id}`, READER)).status, 200, `show ${it.path}`);
        assert.equal(await listed(it.path, it.id, READER), true, `list ${it.path}`);
        if (Object.keys(it.change).length) assert.equal((await srv.api.put(`/v2.0/${it.path}/${it.id}`, { [it.member]: it.change }, READER)).status, 403, `update ${it.path}`);
        assert.equal((await srv.api.del(`/v2.0/${it.path}/${it.id}`, READER)).status, 403, `delete ${it.path}`);
      }
      assert.equal((await srv.api.post('/v2.0/ports', { port: { network_id: aNet } }, READER)).status, 403);
    });

    it('lets the admin see and change everything', async () => {
      for (const it of items) {
        assert.equal((await srv.api.get(`/v2.0/${it.path}/${it.id}`, ADMIN)).status, 200, `show ${it.path}`);
        assert.equal(await listed(it.path, it.id, ADMIN), true, `list ${it.path}`);
        if (Object.keys(it.change).length) assert.equal((await srv.api.put(`/v2.0/${it.path}/${it.id}`, { [it.member]: it.change }, ADMIN)).status, 200, `update ${it.path}`);
      }
    });

    it("keeps B from attaching to A's resources", async () => {
      const onA = await srv.api.post('/v2.0/ports', { port: { network_id: aNet } }, B);
      assert.equal(onA.status, 404, "a port on A's private network");
      assert.equal(onA.body.NeutronError.type, 'NetworkNotFound');
      const sub = await srv.api.post('/v2.0/subnets', { subnet: { network_id: aNet, cidr: '10.61.0.0/24', ip_version: 4 } }, B);
      assert.equal(sub.status, 404, "a subnet on A's network");
      const bRouter = (await srv.api.post('/v2.0/routers', { router: { name: 'b-router' } }, B)).body.router;
      assert.equal((await srv.api.put(`/v2.0/routers/${bRouter.id}/add_router_interface`, { subnet_id: aSubnet }, B)).status, 404, "A's subnet on B's router");
      assert.equal((await srv.api.put(`/v2.0/routers/${bRouter.id}/add_router_interface`, { port_id: aPort }, B)).status, 404, "A's port on B's router");
      const bFip = (await srv.api.post('/v2.0/floatingips', { floatingip: { floating_network_id: extId } }, B)).body.floatingip;
      assert.ok(bFip, 'B may allocate from the external network');
      const steal = await srv.api.put(`/v2.0/floatingips/${bFip.id}`, { floatingip: { port_id: aPort } }, B);
      assert.equal(steal.status, 404, "B's floating IP on A's port");
      const aGroup = items.find((i) => i.path === 'security-groups')!.id;
      const bNet = (await srv.api.post('/v2.0/networks', { network: {} }, B)).body.network;
      assert.equal((await srv.api.post('/v2.0/ports', { port: { network_id: bNet.id, security_groups: [aGroup] } }, B)).status, 404, "A's security group on B's port");
      assert.equal((await srv.api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: aGroup, direction: 'ingress' } }, B)).status, 404, "a rule in A's group");
      assert.equal((await srv.api.get('/v2.0/quotas/iso-a', B)).status, 403, "A's quotas");
      const fromPool = await srv.api.post('/v2.0/subnets', { subnet: { network_id: bNet.id, subnetpool_id: aPool, ip_version: 4 } }, B);
      assert.equal(fromPool.status, 404, "a subnet from A's subnet pool");
      assert.equal(fromPool.body.NeutronError.type, 'SubnetPoolNotFound');
      assert.equal((await srv.api.put(`/v2.0/subnetpools/${aPool}/add_prefixes`, { prefixes: ['10.63.0.0/16'] }, B)).status, 404, "prefixes of A's pool");
    });
  });
}
