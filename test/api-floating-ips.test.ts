/**
 * Floating IPs over HTTP on every database: allocation (address, subnet), the floating IP's own
 * port, association rules and their errors, port_details, disassociation (explicit, by an empty
 * update, by deleting the port), what a floating IP keeps from being deleted, external network
 * deletion, listing, visibility and quota. Texts as the reference neutron-server gives them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture, type Reply } from './helpers/server.js';

const NOWHERE = '11111111-2222-3333-4444-555555555555';
const MEMBER = (project: string) => ({ 'X-Project-Id': project, 'X-Roles': 'member' });
const FIP_KEYS = [
  'id',
  'tenant_id',
  'floating_ip_address',
  'floating_network_id',
  'router_id',
  'port_id',
  'fixed_ip_address',
  'status',
  'description',
  'port_details',
  'tags',
  'created_at',
  'updated_at',
  'revision_number',
  'project_id',
];

let seq = 0;

for (const dialect of DIALECTS) {
  describe(`floating IPs on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(async () => {
      await srv.start();
      await srv.api.put('/v2.0/quotas/fake_project_id', { quota: { router: -1, floatingip: -1 } });
    });
    after(() => srv.stop());
    const expectError = (r: Reply, status: number, type: string, message?: string) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(r.body.NeutronError.type, type);
      if (message !== undefined) assert.equal(r.body.NeutronError.message, message);
    };
    const fip = (body: Record<string, unknown>, headers?: Record<string, string>) => srv.api.post('/v2.0/floatingips', { floatingip: body }, headers);
    const put = (id: string, body: Record<string, unknown>, headers?: Record<string, string>) => srv.api.put(`/v2.0/floatingips/${id}`, { floatingip: body }, headers);

    /**
     * An external network (172.N.0.0/24) and a project network (10.N.0.0/24) joined by a router,
     * plus a second project network (10.N.1.0/24 on its own network) that no router reaches.
     */
    async function topology(headers?: Record<string, string>) {
      const n = seq++;
      // `{}` as headers: the admin (an external network is the admin's to create)
      const mk = async (path: string, body: Record<string, unknown>, h = headers) => (await srv.api.post(path, body, h)).body;
      const ext = (await mk('/v2.0/networks', { network: { 'router:external': true } }, {})).network;
      const extSubnet = (await mk('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: `172.${16 + n}.0.0/24`, ip_version: 4 } }, {})).subnet;
      const net = (await mk('/v2.0/networks', { network: {} })).network;
      const subnet = (await mk('/v2.0/subnets', { subnet: { network_id: net.id, cidr: `10.${n}.0.0/24`, ip_version: 4 } })).subnet;
      const lonely = (await mk('/v2.0/networks', { network: {} })).network;
      const lonelySubnet = (await mk('/v2.0/subnets', { subnet: { network_id: lonely.id, cidr: `10.${n}.1.0/24`, ip_version: 4 } })).subnet;
      const router = (await mk('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.id } } })).router;
      const iface = await srv.api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subnet.id }, headers);
      assert.equal(iface.status, 200, JSON.stringify(iface.body));
      const port = async (body: Record<string, unknown> = {}, onNet = net.id) => (await mk('/v2.0/ports', { port: { network_id: onNet, ...body } })).port;
      return { n, ext, extSubnet, net, subnet, lonely, lonelySubnet, router, ifacePort: iface.body.port_id as string, port };
    }

    it('allocates a floating IP with its own port, and deletes both', async () => {
      const t = await topology();
      const r = await fip({ floating_network_id: t.ext.id });
      assert.equal(r.status, 201);
      const f = r.body.floatingip;
      assert.deepEqual(Object.keys(f), FIP_KEYS);
      assert.match(f.floating_ip_address, new RegExp(`^172\\.${16 + t.n}\\.0\\.\\d+$`));
      assert.deepEqual(
        { ...f, id: 0, floating_ip_address: 0, created_at: 0, updated_at: 0 },
        {
          id: 0,
          tenant_id: 'fake_project_id',
          floating_ip_address: 0,
          floating_network_id: t.ext.id,
          router_id: null,
          port_id: null,
          fixed_ip_address: null,
          status: 'DOWN',
          description: '',
          port_details: null,
          tags: [],
          created_at: 0,
          updated_at: 0,
          revision_number: 0,
          project_id: 'fake_project_id',
        },
      );
      assert.deepEqual((await srv.api.get(`/v2.0/floatingips/${f.id}`)).body.floatingip, f);
      const ports = (await srv.api.get(`/v2.0/ports?device_id=${f.id}`)).body.ports;
      assert.equal(ports.length, 1);
      const p = ports[0];
      assert.deepEqual(
        [p.device_owner, p.project_id, p.status, p.revision_number, p.port_security_enabled, p.network_id, p.fixed_ips],
        ['network:floatingip', '', 'N/A', 2, false, t.ext.id, [{ subnet_id: t.extSubnet.id, ip_address: f.floating_ip_address }]],
      );
      expectError(await srv.api.del(`/v2.0/ports/${p.id}`), 409, 'ServicePortInUse', `Port ${p.id} cannot be deleted directly via the port API: has device owner network:floatingip.`);
      assert.equal((await srv.api.del(`/v2.0/floatingips/${f.id}`)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/ports/${p.id}`)).status, 404, 'the port goes with it');
      for (const r2 of [await srv.api.get(`/v2.0/floatingips/${f.id}`), await srv.api.del(`/v2.0/floatingips/${f.id}`), await put(f.id, { port_id: null })])
        expectError(r2, 404, 'FloatingIPNotFound', `Floating IP ${f.id} could not be found`);
    });

    it('takes a requested address or subnet, and refuses what Neutron refuses', async () => {
      const t = await topology();
      const want = `172.${16 + t.n}.0.77`;
      const byIp = await fip({ floating_network_id: t.ext.id, floating_ip_address: want });
      assert.equal(byIp.body.floatingip.floating_ip_address, want);
      expectError(await fip({ floating_network_id: t.ext.id, floating_ip_address: want }), 409, 'IpAddressAlreadyAllocated', `IP address ${want} already allocated in subnet ${t.extSubnet.id}`);
      const bySubnet = await fip({ floating_network_id: t.ext.id, subnet_id: t.extSubnet.id, description: 'x' });
      assert.equal(bySubnet.status, 201);
      assert.equal(bySubnet.body.floatingip.description, 'x');
      assert.ok(!('subnet_id' in bySubnet.body.floatingip), 'subnet_id is input only');
      expectError(
        await fip({ floating_network_id: t.ext.id, floating_ip_address: '10.254.0.5' }),
        400,
        'InvalidIpForNetwork',
        'IP address 10.254.0.5 is not a valid IP for any of the subnets on the specified network.',
      );
      expectError(
        await fip({ floating_network_id: t.ext.id, subnet_id: t.subnet.id }),
        400,
        'InvalidInput',
        `Invalid input for operation: Failed to create port on network ${t.ext.id}, because fixed_ips included invalid subnet ${t.subnet.id}.`,
      );
      expectError(await fip({ floating_network_id: t.net.id }), 400, 'BadRequest', `Bad floatingip request: Network ${t.net.id} is not a valid external network.`);
      expectError(await fip({ floating_network_id: NOWHERE }), 404, 'NetworkNotFound', `Network ${NOWHERE} could not be found.`);
      expectError(await fip({}), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'floating_network_id' not specified");
      const bare = (await srv.api.post('/v2.0/networks', { network: { 'router:external': true } })).body.network;
      expectError(await fip({ floating_network_id: bare.id }), 400, 'BadRequest', `Bad floatingip request: Network ${bare.id} does not contain any IPv4 subnet.`);
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: bare.id, cidr: '2001:db8:f1::/64', ip_version: 6 } });
      expectError(await fip({ floating_network_id: bare.id }), 400, 'BadRequest', `Bad floatingip request: Network ${bare.id} does not contain any IPv4 subnet.`);
      expectError(await fip({ floating_network_id: t.ext.id, floating_ip_address: 'abc' }), 400, 'HTTPBadRequest', "Invalid input for floating_ip_address. Reason: 'abc' is not a valid IP address.");
      expectError(await fip({ floating_network_id: t.ext.id, port_id: 'abc' }), 400, 'HTTPBadRequest', "Invalid input for port_id. Reason: 'abc' is not a valid UUID.");
      expectError(await fip({ floating_network_id: t.ext.id, router_id: null }), 400, 'HTTPBadRequest', "Attribute 'router_id' not allowed in POST");
      expectError(await fip({ floating_network_id: t.ext.id, fixed_ip_address: '10.0.0.3' }), 400, 'BadRequest', 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.');
      const left = (await srv.api.get(`/v2.0/ports?network_id=${t.ext.id}&device_owner=network:floatingip`)).body.ports;
      assert.equal(left.length, 2, 'refused creates leave no port behind');
    });

    it('associates with a port through the router, with port_details, and disassociates', async () => {
      const t = await topology();
      const p1 = await t.port();
      const created = await fip({ floating_network_id: t.ext.id, port_id: p1.id });
      assert.equal(created.status, 201);
      const f = created.body.floatingip;
      assert.deepEqual([f.port_id, f.fixed_ip_address, f.router_id, f.status, f.revision_number], [p1.id, p1.fixed_ips[0].ip_address, t.router.id, 'DOWN', 0]);
      assert.deepEqual(f.port_details, { name: '', network_id: t.net.id, mac_address: p1.mac_address, admin_state_up: true, status: 'DOWN', device_id: '', device_owner: '' });
      expectError(
        await fip({ floating_network_id: t.ext.id, port_id: p1.id }),
        409,
        'FloatingIPPortAlreadyAssociated',
      );
      const other = (await fip({ floating_network_id: t.ext.id })).body.floatingip;
      expectError(
        await put(other.id, { port_id: p1.id }),
        409,
        'FloatingIPPortAlreadyAssociated',
        `Cannot associate floating IP ${other.floating_ip_address} (${other.id}) with port ${p1.id} using fixed IP ${p1.fixed_ips[0].ip_address}, as that fixed IP already has a floating IP on external network ${t.ext.id}.`,
      );

      const base = `10.${t.n}.0.`;
      // two addresses no port holds yet (earlier ports took random ones), neither of them .99
      const taken = new Set(
        (await srv.api.get(`/v2.0/ports?network_id=${t.net.id}`)).body.ports.flatMap((p: { fixed_ips: Array<{ ip_address: string }> }) => p.fixed_ips.map((ip) => ip.ip_address)),
      );
      const [ipA, ipB] = Array.from({ length: 70 }, (_, i) => `${base}${20 + i}`).filter((ip) => !taken.has(ip));
      const p2 = await t.port({ name: 'two', fixed_ips: [{ subnet_id: t.subnet.id, ip_address: ipA }, { subnet_id: t.subnet.id, ip_address: ipB }] });
      expectError(
        await put(other.id, { port_id: p2.id }),
        400,
        'BadRequest',
        `Bad floatingip request: Port ${p2.id} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP.`,
      );
      expectError(await put(other.id, { port_id: p2.id, fixed_ip_address: `${base}99` }), 400, 'BadRequest', `Bad floatingip request: Port ${p2.id} does not have fixed ip ${base}99.`);
      const on21 = await put(other.id, { port_id: p2.id, fixed_ip_address: ipB });
      assert.equal(on21.status, 200);
      assert.deepEqual([on21.body.floatingip.fixed_ip_address, on21.body.floatingip.router_id, on21.body.floatingip.port_details.name, on21.body.floatingip.revision_number], [ipB, t.router.id, 'two', 1]);
      const on20 = await put(other.id, { port_id: p2.id, fixed_ip_address: ipA });
      assert.deepEqual([on20.body.floatingip.fixed_ip_address, on20.body.floatingip.revision_number], [ipA, 2]);
      const described = await put(other.id, { description: 'kept' });
      assert.deepEqual([described.body.floatingip.port_id, described.body.floatingip.fixed_ip_address, described.body.floatingip.revision_number], [p2.id, ipA, 3], 'an update without port_id keeps the association');
      expectError(await put(other.id, { fixed_ip_address: ipB }), 400, 'BadRequest', 'Bad floatingip request: fixed_ip_address cannot be specified without a port_id.');
      const emptied = await put(other.id, {});
      assert.deepEqual([emptied.body.floatingip.port_id, emptied.body.floatingip.router_id, emptied.body.floatingip.port_details, emptied.body.floatingip.revision_number], [null, null, null, 4], 'an empty update disassociates, as in Neutron');
      await put(other.id, { port_id: p2.id, fixed_ip_address: ipB });
      const cleared = await put(other.id, { port_id: null });
      assert.deepEqual([cleared.body.floatingip.port_id, cleared.body.floatingip.fixed_ip_address, cleared.body.floatingip.router_id], [null, null, null]);
      expectError(await put(other.id, { floating_ip_address: '172.16.0.9' }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute floating_ip_address');
      expectError(await put(other.id, { status: 'ACTIVE' }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute status');
      const onRouterPort = await put(other.id, { port_id: t.ifacePort });
      assert.equal(onRouterPort.status, 200, 'Neutron lets a router interface have a floating IP');
    });

    it("refuses associations Neutron refuses, with Neutron's texts", async () => {
      const t = await topology();
      const f = (await fip({ floating_network_id: t.ext.id })).body.floatingip;
      const unreachable = await t.port({}, t.lonely.id);
      expectError(
        await put(f.id, { port_id: unreachable.id }),
        404,
        'ExternalGatewayForFloatingIPNotFound',
        `External network ${t.ext.id} is not reachable from subnet ${t.lonelySubnet.id}.  Therefore, cannot associate Port ${unreachable.id} with a Floating IP.`,
      );
      expectError(await put(f.id, { port_id: NOWHERE }), 404, 'PortNotFound', `Port ${NOWHERE} could not be found.`);
      const dhcp = await t.port({ device_owner: 'network:dhcp' });
      expectError(await put(f.id, { port_id: dhcp.id }), 400, 'BadRequest', 'Bad floatingip request: Port %(id)s is unable to be assigned a floating IP.');
      const noIp = await t.port({ fixed_ips: [] });
      expectError(await put(f.id, { port_id: noIp.id }), 400, 'BadRequest', `Bad floatingip request: Cannot add floating IP to port ${noIp.id} that has no fixed IPv4 addresses.`);
      expectError(
        await put(f.id, { port_id: noIp.id, fixed_ip_address: '2001:db8::5' }),
        400,
        'BadRequest',
        'Bad floatingip request: Cannot process floating IP association with 2001:db8::5, since that is not an IPv4 address.',
      );
      // a router on the subnet whose gateway is on another external network does not count
      const ext2 = (await srv.api.post('/v2.0/networks', { network: { 'router:external': true } })).body.network;
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: ext2.id, cidr: `192.0.${t.n}.0/24`, ip_version: 4 } });
      const f2 = (await fip({ floating_network_id: ext2.id })).body.floatingip;
      const p = await t.port();
      expectError(await put(f2.id, { port_id: p.id }), 404, 'ExternalGatewayForFloatingIPNotFound');
      const r = await srv.api.get(`/v2.0/floatingips/${f.id}`);
      assert.equal(r.body.floatingip.revision_number, 0, 'refused updates change nothing');
    });

    it('is cleared when its port goes, and keeps its router interface and gateway in place', async () => {
      const t = await topology();
      const p = await t.port();
      const f = (await fip({ floating_network_id: t.ext.id, port_id: p.id })).body.floatingip;
      expectError(
        await srv.api.put(`/v2.0/routers/${t.router.id}/remove_router_interface`, { subnet_id: t.subnet.id }),
        409,
        'RouterInterfaceInUseByFloatingIP',
        `Router interface for subnet ${t.subnet.id} on router ${t.router.id} cannot be deleted, as it is required by one or more floating IPs.`,
      );
      expectError(
        await srv.api.put(`/v2.0/routers/${t.router.id}`, { router: { external_gateway_info: null } }),
        409,
        'RouterExternalGatewayInUseByFloatingIp',
        `Gateway cannot be updated for router ${t.router.id}, since a gateway to external network ${t.ext.id} is required by one or more floating IPs.`,
      );
      const fipPort = (await srv.api.get(`/v2.0/ports?device_id=${f.id}`)).body.ports[0];
      expectError(
        await srv.api.del(`/v2.0/networks/${t.ext.id}`),
        409,
        'NetworkInUse',
      );
      const inUse = (await srv.api.del(`/v2.0/networks/${t.ext.id}`)).body.NeutronError.message as string;
      assert.ok(inUse.includes(fipPort.id), 'an associated floating IP keeps its network');
      assert.equal((await srv.api.del(`/v2.0/ports/${p.id}`)).status, 204);
      const after = (await srv.api.get(`/v2.0/floatingips/${f.id}`)).body.floatingip;
      assert.deepEqual([after.port_id, after.fixed_ip_address, after.router_id, after.port_details, after.revision_number], [null, null, null, null, 1]);
      assert.equal((await srv.api.put(`/v2.0/routers/${t.router.id}/remove_router_interface`, { subnet_id: t.subnet.id })).status, 200);
    });

    it('goes with its external network when it is not associated', async () => {
      const t = await topology();
      const idle = (await fip({ floating_network_id: t.ext.id })).body.floatingip;
      const p = await t.port();
      const busy = (await fip({ floating_network_id: t.ext.id, port_id: p.id })).body.floatingip;
      expectError(await srv.api.del(`/v2.0/networks/${t.ext.id}`), 409, 'NetworkInUse');
      assert.equal((await srv.api.get(`/v2.0/floatingips/${idle.id}`)).status, 200, 'a refused delete keeps everything');
      await put(busy.id, { port_id: null });
      await srv.api.put(`/v2.0/routers/${t.router.id}/remove_router_interface`, { subnet_id: t.subnet.id });
      await srv.api.del(`/v2.0/routers/${t.router.id}`);
      assert.equal((await srv.api.del(`/v2.0/networks/${t.ext.id}`)).status, 204);
      for (const id of [idle.id, busy.id]) expectError(await srv.api.get(`/v2.0/floatingips/${id}`), 404, 'FloatingIPNotFound');
      assert.deepEqual((await srv.api.get(`/v2.0/ports?network_id=${t.ext.id}`)).body.ports, []);
    });

    it('lists with filters, sorts, tags, and keeps projects apart', async () => {
      const t = await topology();
      const p = await t.port();
      const a = (await fip({ floating_network_id: t.ext.id, port_id: p.id })).body.floatingip;
      const b = (await fip({ floating_network_id: t.ext.id, description: 'idle' })).body.floatingip;
      const ids = (r: Reply) => (r.body.floatingips as Array<{ id: string }>).map((x) => x.id).sort();
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?floating_network_id=${t.ext.id}`)), [a.id, b.id].sort());
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?router_id=${t.router.id}`)), [a.id]);
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?port_id=${p.id}`)), [a.id]);
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?floating_ip_address=${b.floating_ip_address}`)), [b.id]);
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?fixed_ip_address=${a.fixed_ip_address}`)), [a.id]);
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?description=idle&floating_network_id=${t.ext.id}`)), [b.id]);
      assert.deepEqual(ids(await srv.api.get(`/v2.0/floatingips?status=DOWN&floating_network_id=${t.ext.id}`)), [a.id, b.id].sort());
      const sorted = (await srv.api.get(`/v2.0/floatingips?floating_network_id=${t.ext.id}&sort_key=floating_ip_address&sort_dir=asc&fields=floating_ip_address`)).body.floatingips;
      assert.equal(sorted.length, 2);
      expectError(await srv.api.get(`/v2.0/floatingips?subnet_id=${t.extSubnet.id}`), 400, 'HTTPBadRequest');
      assert.deepEqual((await srv.api.put(`/v2.0/floatingips/${b.id}/tags`, { tags: ['red'] })).body, { tags: ['red'] });
      assert.deepEqual(ids(await srv.api.get('/v2.0/floatingips?tags=red')), [b.id]);
      assert.equal((await srv.api.get(`/v2.0/floatingips/${b.id}`)).body.floatingip.revision_number, 1);

      const theirs = await fip({ floating_network_id: t.ext.id }, MEMBER('fip-alpha'));
      assert.equal(theirs.status, 201);
      assert.equal(theirs.body.floatingip.project_id, 'fip-alpha');
      expectError(await srv.api.get(`/v2.0/floatingips/${theirs.body.floatingip.id}`, MEMBER('fip-beta')), 404, 'FloatingIPNotFound');
      assert.deepEqual(ids(await srv.api.get('/v2.0/floatingips', MEMBER('fip-beta'))), []);
      assert.deepEqual(ids(await srv.api.get('/v2.0/floatingips', MEMBER('fip-alpha'))), [theirs.body.floatingip.id]);
      expectError(await put(theirs.body.floatingip.id, { port_id: p.id }, MEMBER('fip-alpha')), 404, 'PortNotFound', `Port ${p.id} could not be found.`);
    });

    it("lets a project associate its floating IP with its own port through its own router, and no one else's", async () => {
      const project = MEMBER('fip-gamma');
      const t = await topology(project);
      const p = await t.port();
      assert.equal(p.project_id, 'fip-gamma');
      const f = await fip({ floating_network_id: t.ext.id, port_id: p.id }, project);
      assert.equal(f.status, 201, JSON.stringify(f.body));
      assert.deepEqual([f.body.floatingip.project_id, f.body.floatingip.router_id, f.body.floatingip.port_id], ['fip-gamma', t.router.id, p.id]);
      const adminPort = (await srv.api.post('/v2.0/ports', { port: { network_id: t.net.id, project_id: 'fake_project_id' } })).body.port;
      expectError(
        await put(f.body.floatingip.id, { port_id: adminPort.id }, project),
        400,
        'BadRequest',
        `Bad floatingip request: Cannot process floating IP association with Port ${adminPort.id}, since that port is owned by a different tenant.`,
      );
    });

    it('applies the floating IP quota', async () => {
      const t = await topology();
      assert.equal((await srv.api.put('/v2.0/quotas/fip-quota', { quota: { floatingip: 1 } })).status, 200);
      assert.equal((await fip({ floating_network_id: t.ext.id }, MEMBER('fip-quota'))).status, 201);
      expectError(await fip({ floating_network_id: t.ext.id }, MEMBER('fip-quota')), 409, 'OverQuota');
    });

    it('gives one fixed IP one floating IP when clients race', async () => {
      const t = await topology();
      const p = await t.port();
      const fips = await Promise.all(Array.from({ length: 6 }, () => fip({ floating_network_id: t.ext.id }).then((r) => r.body.floatingip)));
      const replies = await Promise.all(fips.map((f) => put(f.id, { port_id: p.id })));
      assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => JSON.stringify(r.body)).join('\n'));
      for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 409, 'FloatingIPPortAlreadyAssociated');
    });
  });
}
