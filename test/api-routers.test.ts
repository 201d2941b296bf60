/**
 * Routers over HTTP on every database: defaults, the external gateway (enable_snat, fixed IPs),
 * interfaces by subnet and by port (IPv6 prefixes included), router-owned ports, extra routes and
 * the atomic route actions, integrity of networks and subnets in use, visibility, quota. Texts
 * and revision numbers as the reference neutron-server gives them.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture, type Reply } from './helpers/server.js';

const NOWHERE = '11111111-2222-3333-4444-555555555555';
const MEMBER = (project: string) => ({ 'X-Project-Id': project, 'X-Roles': 'member' });
const ROUTER_KEYS = ['id', 'name', 'tenant_id', 'admin_state_up', 'status', 'external_gateway_info', 'description', 'distributed', 'ha', 'routes', 'tags', 'created_at', 'updated_at', 'revision_number', 'project_id', 'availability_zone_hints', 'availability_zones'];

let cidrSeq = 0;

for (const dialect of DIALECTS) {
  describe(`routers on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(async () => {
      await srv.start();
      // this file makes more routers than the default quota of the admin project allows
      await srv.api.put('/v2.0/quotas/fake_project_id', { quota: { router: -1 } });
    });
    after(() => srv.stop());
    const err = (r: Reply) => r.body.NeutronError as { type: string; message: string; detail: string };
    const expectError = (r: Reply, status: number, type: string, message?: string | RegExp) => {
      assert.equal(r.status, status, JSON.stringify(r.body));
      assert.equal(err(r).type, type);
      if (typeof message === 'string') assert.equal(err(r).message, message);
      else if (message) assert.match(err(r).message, message);
    };

    /** A fresh network with one IPv4 subnet (unique CIDRs across the file). */
    async function netWithSubnet(extra: Record<string, unknown> = {}, external = false) {
      const n = (await srv.api.post('/v2.0/networks', { network: { 'router:external': external } })).body.network;
      const cidr = `10.${100 + (cidrSeq++ % 150)}.${external ? 1 : 0}.0/24`;
      const s = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: n.id, cidr, ip_version: 4, ...extra } })).body.subnet;
      return { net: n, subnet: s };
    }
    const external = () => netWithSubnet({}, true);
    const router = async (body: Record<string, unknown> = {}, headers?: Record<string, string>) => (await srv.api.post('/v2.0/routers', { router: body }, headers)).body.router;
    const put = (id: string, body: Record<string, unknown>, headers?: Record<string, string>) => srv.api.put(`/v2.0/routers/${id}`, { router: body }, headers);
    const addIf = (id: string, body: unknown, headers?: Record<string, string>) => srv.api.put(`/v2.0/routers/${id}/add_router_interface`, body, headers);
    const removeIf = (id: string, body: unknown) => srv.api.put(`/v2.0/routers/${id}/remove_router_interface`, body);
    const portsOf = async (deviceId: string) => (await srv.api.get(`/v2.0/ports?device_id=${deviceId}`)).body.ports as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

    it('creates a router with Neutron defaults, and shows, lists and deletes it', async () => {
      const r = await srv.api.post('/v2.0/routers', { router: { name: 'r1' } });
      assert.equal(r.status, 201);
      const rt = r.body.router;
      assert.deepEqual(Object.keys(rt), ROUTER_KEYS);
      assert.equal(rt.name, 'r1');
      assert.equal(rt.status, 'ACTIVE');
      assert.equal(rt.admin_state_up, true);
      assert.equal(rt.external_gateway_info, null);
      assert.deepEqual(rt.routes, []);
      assert.equal(rt.project_id, 'fake_project_id');
      assert.equal(rt.tenant_id, 'fake_project_id');
      assert.equal(rt.revision_number, 1);
      assert.deepEqual((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router, rt);
      const listed = (await srv.api.get('/v2.0/routers?name=r1')).body.routers;
      assert.deepEqual(listed.map((x: { id: string }) => x.id), [rt.id]);
      const upd = await put(rt.id, { name: 'r1b', admin_state_up: false, description: 'd' });
      assert.equal(upd.status, 200);
      assert.deepEqual([upd.body.router.name, upd.body.router.admin_state_up, upd.body.router.description, upd.body.router.revision_number], ['r1b', false, 'd', 2]);
      assert.equal((await put(rt.id, {})).body.router.revision_number, 2, 'an empty update changes nothing');
      expectError(await put(rt.id, { status: 'DOWN' }), 400, 'HTTPBadRequest', 'Cannot update read-only attribute status');
      expectError(await srv.api.post('/v2.0/routers', { router: { routes: [] } }), 400, 'HTTPBadRequest', "Attribute 'routes' not allowed in POST");
      expectError(await srv.api.put(`/v2.0/routers/${rt.id}`, { router: {} }, { 'If-Match': 'revision_number=9' }), 412, 'RevisionNumberConstraintFailed');
      assert.equal((await srv.api.del(`/v2.0/routers/${rt.id}`)).status, 204);
      expectError(await srv.api.del(`/v2.0/routers/${rt.id}`), 404, 'RouterNotFound', `Router ${rt.id} could not be found`);
      expectError(await srv.api.get(`/v2.0/routers/${rt.id}`), 404, 'RouterNotFound');
    });

    it('sets, re-addresses, moves and removes the external gateway with its port', async () => {
      const ext = await external();
      const ext2 = await external();
      const rt = await router({ name: 'gw' });
      const set = await put(rt.id, { external_gateway_info: { network_id: ext.net.id } });
      assert.equal(set.status, 200);
      const gi = set.body.router.external_gateway_info;
      assert.equal(gi.network_id, ext.net.id);
      assert.equal(gi.enable_snat, true);
      assert.equal(gi.external_fixed_ips.length, 1);
      assert.equal(gi.external_fixed_ips[0].subnet_id, ext.subnet.id);
      assert.equal(set.body.router.revision_number, 3);
      const [gw] = await portsOf(rt.id);
      assert.equal(gw.device_owner, 'network:router_gateway');
      assert.equal(gw.project_id, '', 'the gateway port belongs to no project');
      assert.equal(gw.port_security_enabled, false);
      assert.deepEqual(gw.security_groups, []);
      assert.equal(gw.status, 'DOWN');
      assert.equal(gw.revision_number, 1);
      assert.equal(gw.fixed_ips[0].ip_address, gi.external_fixed_ips[0].ip_address);

      const prefix = ext.subnet.cidr.replace(/0\/24$/, '');
      const moved = await put(rt.id, { external_gateway_info: { network_id: ext.net.id, external_fixed_ips: [{ ip_address: `${prefix}50` }] } });
      assert.deepEqual(moved.body.router.external_gateway_info.external_fixed_ips, [{ subnet_id: ext.subnet.id, ip_address: `${prefix}50` }]);
      assert.equal(moved.body.router.revision_number, 4);
      const [gw2] = await portsOf(rt.id);
      assert.equal(gw2.id, gw.id, 'the same port, re-addressed');
      assert.equal(gw2.revision_number, 2);

      const snat = await put(rt.id, { external_gateway_info: { network_id: ext.net.id, enable_snat: false } });
      assert.equal(snat.body.router.external_gateway_info.enable_snat, false);
      assert.equal(snat.body.router.revision_number, 5);
      assert.equal((await portsOf(rt.id))[0].fixed_ips[0].ip_address, `${prefix}50`, 'no fixed IPs asked: the address stays');

      const other = await put(rt.id, { external_gateway_info: { network_id: ext2.net.id } });
      assert.equal(other.body.router.external_gateway_info.network_id, ext2.net.id);
      assert.equal(other.body.router.external_gateway_info.enable_snat, true, 'enable_snat falls back to the default');
      assert.equal(other.body.router.revision_number, 9);
      assert.equal((await srv.api.get(`/v2.0/ports/${gw.id}`)).status, 404, 'the old gateway port is gone');

      const cleared = await put(rt.id, { external_gateway_info: null });
      assert.equal(cleared.body.router.external_gateway_info, null);
      assert.equal(cleared.body.router.revision_number, 12);
      assert.deepEqual(await portsOf(rt.id), []);

      const created = await srv.api.post('/v2.0/routers', { router: { external_gateway_info: { network_id: ext.net.id, enable_snat: false } } });
      assert.equal(created.status, 201);
      assert.equal(created.body.router.external_gateway_info.enable_snat, false);
      assert.equal(created.body.router.revision_number, 3);
      const empty = await put(created.body.router.id, { external_gateway_info: {} });
      assert.equal(empty.body.router.external_gateway_info, null, '{} removes the gateway');
      assert.equal(empty.body.router.revision_number, 6);
      assert.equal((await srv.api.post('/v2.0/routers', { router: { external_gateway_info: {} } })).body.router.external_gateway_info, null);

      const bare = (await srv.api.post('/v2.0/networks', { network: { 'router:external': true } })).body.network;
      const noSubnet = await srv.api.post('/v2.0/routers', { router: { external_gateway_info: { network_id: bare.id } } });
      assert.deepEqual(noSubnet.body.router.external_gateway_info, { network_id: bare.id, external_fixed_ips: [], enable_snat: true });
      assert.equal((await srv.api.del(`/v2.0/routers/${noSubnet.body.router.id}`)).status, 204);
    });

    it("refuses gateways that Neutron refuses, with Neutron's texts", async () => {
      const ext = await external();
      const internal = await netWithSubnet();
      const rt = await router();
      const gw = (info: unknown) => put(rt.id, { external_gateway_info: info });
      expectError(await gw({ network_id: internal.net.id }), 400, 'BadRequest', `Bad router request: Network ${internal.net.id} is not an external network.`);
      expectError(await gw({ network_id: NOWHERE }), 404, 'NetworkNotFound', `Network ${NOWHERE} could not be found.`);
      expectError(await gw({ network_id: ext.net.id, external_fixed_ips: [{ ip_address: ext.subnet.gateway_ip }] }), 400, 'BadRequest', `Bad router request: External IP ${ext.subnet.gateway_ip} is the same as the gateway IP.`);
      expectError(
        await gw({ enable_snat: true }),
        400,
        'HTTPBadRequest',
        "Invalid input for external_gateway_info. Reason: Validation of dictionary's keys failed. Expected keys: {'network_id'} Provided keys: {'enable_snat'}.",
      );
      expectError(await gw({ network_id: ext.net.id, foo: 1 }), 400, 'HTTPBadRequest', 'Invalid input for external_gateway_info. Reason: Unexpected keys supplied: foo.');
      expectError(await gw({ network_id: ext.net.id, enable_snat: 'maybe' }), 400, 'InvalidInput', "Invalid input for operation: 'maybe' cannot be converted to boolean.");
      expectError(await gw('abc'), 400, 'HTTPBadRequest', "Invalid input for external_gateway_info. Reason: 'abc' is not a dictionary.");
      expectError(await gw({ network_id: 'abc' }), 400, 'HTTPBadRequest', "Invalid input for external_gateway_info. Reason: 'abc' is not a valid UUID.");
      expectError(await gw({ network_id: ext.net.id, external_fixed_ips: [{ ip_address: '1.2.3.999' }] }), 400, 'HTTPBadRequest', "Invalid input for external_gateway_info. Reason: '1.2.3.999' is not a valid IP address.");
      expectError(await gw({ network_id: ext.net.id, external_fixed_ips: [{ ip_address: '10.250.9.5' }] }), 400, 'InvalidIpForNetwork', 'IP address 10.250.9.5 is not a valid IP for any of the subnets on the specified network.');
      assert.equal((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.revision_number, 1, 'refused requests change nothing');
      assert.deepEqual(await portsOf(rt.id), []);
    });

    it('adds an interface by subnet on the gateway address, and refuses what Neutron refuses', async () => {
      const { net, subnet } = await netWithSubnet();
      const noGateway = await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.251.1.0/24', ip_version: 4, gateway_ip: null } });
      const overlapNet = (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
      const overlapCidr = subnet.cidr.replace(/0\/24$/, '128/25');
      const overlap = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: overlapNet.id, cidr: overlapCidr, ip_version: 4 } })).body.subnet;
      const rt = await router({ name: 'ifs' });

      const r = await addIf(rt.id, { subnet_id: subnet.id });
      assert.equal(r.status, 200);
      assert.deepEqual(Object.keys(r.body), ['id', 'tenant_id', 'port_id', 'network_id', 'subnet_id', 'subnet_ids']);
      assert.deepEqual({ ...r.body, port_id: 'x' }, { id: rt.id, tenant_id: 'fake_project_id', port_id: 'x', network_id: net.id, subnet_id: subnet.id, subnet_ids: [subnet.id] });
      const port = (await srv.api.get(`/v2.0/ports/${r.body.port_id}`)).body.port;
      assert.equal(port.device_owner, 'network:router_interface');
      assert.equal(port.device_id, rt.id);
      assert.equal(port.project_id, 'fake_project_id');
      assert.deepEqual(port.fixed_ips, [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }]);
      assert.equal(port.port_security_enabled, false);
      assert.deepEqual(port.security_groups, []);
      assert.equal(port.revision_number, 2);
      assert.equal((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.revision_number, 2);

      expectError(await addIf(rt.id, { subnet_id: subnet.id }), 400, 'BadRequest', `Bad router request: Router already has a port on subnet ${subnet.id}.`);
      expectError(await addIf(rt.id, { subnet_id: noGateway.body.subnet.id }), 400, 'BadRequest', 'Bad router request: Subnet for router interface must have a gateway IP.');
      expectError(
        await addIf(rt.id, { subnet_id: overlap.id }),
        400,
        'BadRequest',
        `Bad router request: Cidr ${overlapCidr} of subnet ${overlap.id} overlaps with cidr ${subnet.cidr} of subnet ${subnet.id}.`,
      );
      expectError(await addIf(rt.id, { subnet_id: subnet.id, port_id: port.id }), 400, 'BadRequest', 'Bad router request: Cannot specify both subnet-id and port-id.');
      for (const body of [{}, null, [], undefined])
        expectError(await addIf(rt.id, body), 400, 'BadRequest', 'Bad router request: Either subnet_id or port_id must be specified.');
      expectError(await addIf(rt.id, { subnet_id: 'xyz' }), 400, 'BadRequest', "Bad router request: 'xyz' is not a valid UUID.");
      expectError(await addIf(rt.id, { port_id: null }), 400, 'BadRequest', "Bad router request: 'None' is not a valid UUID.");
      expectError(await addIf(rt.id, { subnet_id: NOWHERE }), 404, 'SubnetNotFound', `Subnet ${NOWHERE} could not be found.`);
      expectError(await addIf(rt.id, { port_id: NOWHERE }), 404, 'PortNotFound', `Port ${NOWHERE} could not be found.`);
      expectError(await addIf(NOWHERE, { subnet_id: subnet.id }), 404, 'RouterNotFound', `Router ${NOWHERE} could not be found`);
      assert.equal((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.revision_number, 2, 'refused requests change nothing');

      const raOutside = await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '2001:db8:77::/64', ip_version: 6, ipv6_address_mode: 'slaac' } });
      expectError(
        await addIf(rt.id, { subnet_id: raOutside.body.subnet.id }),
        400,
        'BadRequest',
        `Bad router request: IPv6 subnet ${raOutside.body.subnet.id} configured to receive RAs from an external router cannot be added to Neutron Router..`,
      );
    });

    it('puts further IPv6 prefixes of a network on one router port, and takes them off one by one', async () => {
      const net = (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
      const v6 = async (n: string) =>
        (await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: `2001:db8:${n}::/64`, ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } })).body.subnet;
      const a = await v6('a1');
      const b = await v6('b1');
      const rt = await router();
      const first = await addIf(rt.id, { subnet_id: a.id });
      assert.equal(first.status, 200);
      const second = await addIf(rt.id, { subnet_id: b.id });
      assert.equal(second.status, 200);
      assert.equal(second.body.port_id, first.body.port_id, 'same port');
      assert.deepEqual(second.body.subnet_ids, [b.id]);
      const port = (await srv.api.get(`/v2.0/ports/${first.body.port_id}`)).body.port;
      assert.deepEqual(
        [...port.fixed_ips].sort((x: { subnet_id: string }, y: { subnet_id: string }) => (x.subnet_id === a.id ? -1 : y.subnet_id === a.id ? 1 : 0)),
        [
          { subnet_id: a.id, ip_address: '2001:db8:a1::' },
          { subnet_id: b.id, ip_address: '2001:db8:b1::' },
        ],
        'routers take the subnet-router anycast address',
      );
      assert.equal((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.revision_number, 2, 'a new prefix on an existing port does not move the router');
      const pv = (await srv.api.post('/v2.0/ports', { port: { network_id: net.id, fixed_ips: [{ subnet_id: a.id }] } })).body.port;
      expectError(
        await addIf(rt.id, { port_id: pv.id }),
        400,
        'BadRequest',
        `Bad router request: Cannot have multiple router ports with the same network id if both contain IPv6 subnets. Existing port ${first.body.port_id} has IPv6 subnet(s) and network id ${net.id}.`,
      );
      const off = await removeIf(rt.id, { subnet_id: a.id });
      assert.deepEqual(off.body, { id: rt.id, tenant_id: 'fake_project_id', port_id: first.body.port_id, network_id: net.id, subnet_id: a.id, subnet_ids: [a.id] });
      assert.deepEqual((await srv.api.get(`/v2.0/ports/${first.body.port_id}`)).body.port.fixed_ips, [{ subnet_id: b.id, ip_address: '2001:db8:b1::' }]);
      assert.equal((await removeIf(rt.id, { subnet_id: b.id })).status, 200);
      assert.equal((await srv.api.get(`/v2.0/ports/${first.body.port_id}`)).status, 404, 'the last prefix takes the port with it');
    });

    it('adds an interface by port, and rolls the port back when refused', async () => {
      const { net, subnet } = await netWithSubnet();
      const second = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.252.0.0/24', ip_version: 4 } })).body.subnet;
      const rt = await router();
      const port = (body: Record<string, unknown>) => srv.api.post('/v2.0/ports', { port: { network_id: net.id, ...body } }).then((r) => r.body.port);
      const prefix = subnet.cidr.replace(/0\/24$/, '');
      const two = await port({ fixed_ips: [{ subnet_id: subnet.id, ip_address: `${prefix}20` }, { subnet_id: subnet.id, ip_address: `${prefix}21` }] });
      expectError(await addIf(rt.id, { port_id: two.id }), 400, 'BadRequest', 'Bad router request: Cannot have multiple IPv4 subnets on router port.');
      const after = (await srv.api.get(`/v2.0/ports/${two.id}`)).body.port;
      assert.deepEqual([after.device_id, after.device_owner, after.revision_number], ['', '', 1], 'the refused port is left as it was');
      const vm = await port({ device_id: 'vm1', fixed_ips: [{ subnet_id: subnet.id }] });
      expectError(await addIf(rt.id, { port_id: vm.id }), 409, 'PortInUse', `Unable to complete operation on port ${vm.id} for network ${net.id}. Port already has an attached device vm1.`);
      const noIp = await port({ fixed_ips: [] });
      expectError(await addIf(rt.id, { port_id: noIp.id }), 400, 'BadRequest', 'Bad router request: Router port must have at least one fixed IP.');

      const mine = await port({ device_owner: 'compute:nova', fixed_ips: [{ subnet_id: second.id }] });
      const r = await addIf(rt.id, { port_id: mine.id });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body, { id: rt.id, tenant_id: 'fake_project_id', port_id: mine.id, network_id: net.id, subnet_id: second.id, subnet_ids: [second.id] });
      const attached = (await srv.api.get(`/v2.0/ports/${mine.id}`)).body.port;
      assert.deepEqual([attached.device_id, attached.device_owner, attached.port_security_enabled, attached.revision_number], [rt.id, 'network:router_interface', true, 3]);
      const dup = await port({ fixed_ips: [{ subnet_id: second.id }] });
      expectError(await addIf(rt.id, { port_id: dup.id }), 400, 'BadRequest', `Bad router request: Router already has a port on subnet ${second.id}.`);
      assert.equal((await srv.api.get(`/v2.0/ports/${dup.id}`)).body.port.device_owner, '');

      expectError(await removeIf(rt.id, { port_id: mine.id, subnet_id: subnet.id }), 400, 'SubnetMismatchForPort', `Subnet on port ${mine.id} does not match the requested subnet ${subnet.id}.`);
      expectError(await removeIf(rt.id, { port_id: dup.id }), 404, 'RouterInterfaceNotFound', `Router ${rt.id} does not have an interface with id ${dup.id}`);
      expectError(await removeIf(rt.id, { port_id: NOWHERE }), 404, 'RouterInterfaceNotFound', `Router ${rt.id} does not have an interface with id ${NOWHERE}`);
      expectError(await removeIf(rt.id, { subnet_id: subnet.id }), 404, 'RouterInterfaceNotFoundForSubnet', `Router ${rt.id} has no interface on subnet ${subnet.id}`);
      expectError(await removeIf(rt.id, { subnet_id: NOWHERE }), 404, 'SubnetNotFound');
      expectError(await removeIf(rt.id, {}), 400, 'BadRequest', 'Bad router request: Either subnet_id or port_id must be specified.');
      expectError(await removeIf(NOWHERE, { subnet_id: second.id }), 404, 'RouterNotFound');
      const rev = (await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.revision_number;
      const off = await removeIf(rt.id, { port_id: mine.id, subnet_id: second.id });
      assert.deepEqual(off.body, r.body);
      assert.equal((await srv.api.get(`/v2.0/ports/${mine.id}`)).status, 404, 'removing by port deletes the port');
      assert.equal((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.revision_number, rev + 1);
    });

    it('keeps router ports from the port API, and their IPv4 addresses fixed', async () => {
      const ext = await external();
      const { subnet } = await netWithSubnet();
      const rt = await router({ external_gateway_info: { network_id: ext.net.id } });
      const iface = (await addIf(rt.id, { subnet_id: subnet.id })).body.port_id;
      const gw = (await portsOf(rt.id)).find((p) => p.device_owner === 'network:router_gateway')!;
      expectError(await srv.api.del(`/v2.0/ports/${gw.id}`), 409, 'ServicePortInUse', `Port ${gw.id} cannot be deleted directly via the port API: has device owner network:router_gateway.`);
      expectError(await srv.api.del(`/v2.0/ports/${iface}`), 409, 'ServicePortInUse', `Port ${iface} cannot be deleted directly via the port API: has device owner network:router_interface.`);
      const prefix = subnet.cidr.replace(/0\/24$/, '');
      expectError(
        await srv.api.put(`/v2.0/ports/${iface}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: `${prefix}9` }] } }),
        400,
        'BadRequest',
        `Bad ports request: IP updates for port ${iface} are not allowed.`,
      );
      const same = await srv.api.put(`/v2.0/ports/${iface}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: subnet.gateway_ip }] } });
      assert.equal(same.status, 200, 'the same address is no change');
      const named = await srv.api.put(`/v2.0/ports/${iface}`, { port: { name: 'x' } });
      assert.equal(named.body.port.name, 'x');
      const regw = await srv.api.put(`/v2.0/ports/${gw.id}`, { port: { fixed_ips: [{ subnet_id: ext.subnet.id }] } });
      assert.equal(regw.status, 200, 'gateway ports may be re-addressed');
    });

    it("refuses to delete what routers use, with Neutron's InUse errors", async () => {
      const ext = await external();
      const { net, subnet } = await netWithSubnet();
      const rt = await router({ external_gateway_info: { network_id: ext.net.id } });
      const iface = (await addIf(rt.id, { subnet_id: subnet.id })).body.port_id;
      const gw = (await portsOf(rt.id)).find((p) => p.device_owner === 'network:router_gateway')!;
      expectError(await srv.api.del(`/v2.0/routers/${rt.id}`), 409, 'RouterInUse', `Router ${rt.id} has ports still attached: ${iface}`);
      expectError(await srv.api.del(`/v2.0/subnets/${subnet.id}`), 409, 'SubnetInUse', `Unable to complete operation on subnet ${subnet.id}: One or more ports have an IP allocation from this subnet.`);
      expectError(
        await srv.api.del(`/v2.0/networks/${net.id}`),
        409,
        'NetworkInUse',
        `Unable to complete operation on network ${net.id}. There are one or more ports still in use on the network, id for these ports is: ${iface}.`,
      );
      expectError(
        await srv.api.del(`/v2.0/networks/${ext.net.id}`),
        409,
        'NetworkInUse',
        `Unable to complete operation on network ${ext.net.id}. There are one or more ports still in use on the network, id for these ports is: ${gw.id}.`,
      );
      expectError(await srv.api.del(`/v2.0/subnets/${ext.subnet.id}`), 409, 'SubnetInUse');
      expectError(
        await srv.api.put(`/v2.0/networks/${ext.net.id}`, { network: { 'router:external': false } }),
        409,
        'ExternalNetworkInUse',
        `External network ${ext.net.id} cannot be updated to be made non-external, since it has existing gateway ports.`,
      );
      assert.equal((await removeIf(rt.id, { subnet_id: subnet.id })).status, 200);
      assert.equal((await srv.api.del(`/v2.0/routers/${rt.id}`)).status, 204, 'a router with only a gateway goes, with its gateway port');
      assert.equal((await srv.api.get(`/v2.0/ports/${gw.id}`)).status, 404);
      assert.equal((await srv.api.put(`/v2.0/networks/${ext.net.id}`, { network: { 'router:external': false } })).status, 200);
      assert.equal((await srv.api.del(`/v2.0/networks/${net.id}`)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/networks/${ext.net.id}`)).status, 204);
    });

    it('checks extra routes against the attached subnets', async () => {
      const ext = await external();
      const { subnet } = await netWithSubnet();
      const e = ext.subnet.cidr.replace(/0\/24$/, '');
      const rt = await router({ external_gateway_info: { network_id: ext.net.id, external_fixed_ips: [{ ip_address: `${e}3` }] } });
      await addIf(rt.id, { subnet_id: subnet.id });
      const p = subnet.cidr.replace(/0\/24$/, '');
      const routes = (r: unknown) => put(rt.id, { routes: r });
      expectError(
        await routes([{ destination: '192.168.0.0/24', nexthop: '10.249.0.5' }]),
        400,
        'InvalidRoutes',
        "Invalid format for routes: [{'destination': '192.168.0.0/24', 'nexthop': '10.249.0.5'}], the nexthop is not connected with router",
      );
      expectError(
        await routes([{ destination: '192.168.0.0/24', nexthop: `${p}1` }]),
        400,
        'InvalidRoutes',
        `Invalid format for routes: [{'destination': '192.168.0.0/24', 'nexthop': '${p}1'}], the nexthop is used by router`,
      );
      const ok = await routes([
        { destination: '192.168.1.0/24', nexthop: `${e}7` },
        { destination: '192.168.0.0/24', nexthop: `${p}5` },
      ]);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.router.routes, [
        { destination: '192.168.0.0/24', nexthop: `${p}5` },
        { destination: '192.168.1.0/24', nexthop: `${e}7` },
      ]);
      assert.equal(ok.body.router.revision_number, 5);
      const bad: Array<[unknown, string]> = [
        [[{ destination: '192.168.0.0/33', nexthop: `${p}5` }], "'192.168.0.0/33' is not a valid CIDR"],
        ['abc', "Invalid data format for hostroute: 'abc'"],
        [[{ destination: '192.168.0.0/24' }], "Validation of dictionary's keys failed. Expected keys: {'nexthop', 'destination'} Provided keys: {'destination'}"],
        [[{ destination: '192.168.0.0/24', nexthop: `${p}5` }, { destination: '192.168.0.0/24', nexthop: `${p}5` }], `Duplicate hostroute '{'destination': '192.168.0.0/24', 'nexthop': '${p}5'}'`],
        [[{ destination: '192.168.0.1/24', nexthop: `${p}5` }], "'192.168.0.1/24' is not a recognized CIDR, '192.168.0.0/24' is recommended"],
        [[{ destination: '127.0.0.0/8', nexthop: `${p}5` }], "'127.0.0.0/8' is not a routable CIDR"],
        [[{ destination: '192.168.0.0/24', nexthop: 'x' }], "'x' is not a valid IP address"],
        [['a'], "Invalid input. 'a' must be a dictionary with keys: ['destination', 'nexthop']"],
      ];
      for (const [value, reason] of bad) expectError(await routes(value), 400, 'HTTPBadRequest', `Invalid input for routes. Reason: ${reason}.`);
      const many = Array.from({ length: 31 }, (_, i) => ({ destination: `172.16.${i}.0/24`, nexthop: `${p}5` }));
      expectError(await routes(many), 400, 'RoutesExhausted', `Unable to complete operation for ${rt.id}. The number of routes exceeds the maximum 30.`);
      assert.equal((await routes(many.slice(0, 30))).body.router.routes.length, 30);
      assert.deepEqual((await routes(null)).body.router.routes, [], 'null clears');
      await routes([{ destination: '192.168.0.0/24', nexthop: `${p}5` }]);

      expectError(
        await removeIf(rt.id, { subnet_id: subnet.id }),
        409,
        'RouterInterfaceInUseByRoute',
        `Router interface for subnet ${subnet.id} on router ${rt.id} cannot be deleted, as it is required by one or more routes.`,
      );
      const viaGateway = await routes([{ destination: '192.168.9.0/24', nexthop: `${e}9` }]);
      assert.equal(viaGateway.status, 200, JSON.stringify(viaGateway.body));
      expectError(
        await put(rt.id, { external_gateway_info: null }),
        400,
        'InvalidRoutes',
        `Invalid format for routes: [{'destination': '192.168.9.0/24', 'nexthop': '${e}9'}], the nexthop is not connected with router`,
      );
    });

    it('adds and removes extra routes atomically', async () => {
      const { subnet } = await netWithSubnet();
      const rt = await router();
      await addIf(rt.id, { subnet_id: subnet.id });
      const p = subnet.cidr.replace(/0\/24$/, '');
      await put(rt.id, { routes: [{ destination: '192.168.0.0/24', nexthop: `${p}5` }] });
      const act = (name: string, body: unknown) => srv.api.put(`/v2.0/routers/${rt.id}/${name}`, body);
      const added = await act('add_extraroutes', {
        router: {
          routes: [
            { destination: '192.168.2.0/24', nexthop: `${p}6` },
            { destination: '192.168.0.0/24', nexthop: `${p}5` },
            { destination: '192.168.0.0/24', nexthop: `${p}7` },
          ],
        },
      });
      assert.equal(added.status, 200);
      assert.deepEqual(Object.keys(added.body.router), ROUTER_KEYS);
      assert.deepEqual(added.body.router.routes, [
        { destination: '192.168.0.0/24', nexthop: `${p}5` },
        { destination: '192.168.0.0/24', nexthop: `${p}7` },
        { destination: '192.168.2.0/24', nexthop: `${p}6` },
      ]);
      const rev = added.body.router.revision_number;
      const removed = await act('remove_extraroutes', {
        router: {
          routes: [
            { destination: '192.168.0.0/24', nexthop: `${p}7` },
            { destination: '10.10.0.0/24', nexthop: `${p}8` },
          ],
        },
      });
      assert.deepEqual(removed.body.router.routes, [
        { destination: '192.168.0.0/24', nexthop: `${p}5` },
        { destination: '192.168.2.0/24', nexthop: `${p}6` },
      ]);
      assert.equal(removed.body.router.revision_number, rev + 1);
      expectError(
        await act('add_extraroutes', { router: { routes: [{ destination: '192.168.3.0/24', nexthop: '10.248.0.6' }] } }),
        400,
        'InvalidRoutes',
        `Invalid format for routes: [{'destination': '192.168.0.0/24', 'nexthop': '${p}5'}, {'destination': '192.168.2.0/24', 'nexthop': '${p}6'}, {'destination': '192.168.3.0/24', 'nexthop': '10.248.0.6'}], the nexthop is not connected with router`,
      );
      expectError(await act('add_extraroutes', { routes: [] }), 400, 'HTTPBadRequest', "Unable to find 'router' in request body");
      expectError(await act('add_extraroutes', { router: {} }), 400, 'HTTPBadRequest', "Failed to parse request. Required attribute 'routes' not specified");
      expectError(await act('add_extraroutes', { router: { routes: 'x' } }), 400, 'HTTPBadRequest', "Invalid input for routes. Reason: Invalid data format for hostroute: 'x'.");
      expectError(await srv.api.put(`/v2.0/routers/${NOWHERE}/add_extraroutes`, { router: { routes: [] } }), 404, 'RouterNotFound');
    });

    it("keeps projects' routers apart", async () => {
      const mine = await router({ name: 'private' }, MEMBER('rt-alpha'));
      assert.equal(mine.project_id, 'rt-alpha');
      expectError(await srv.api.get(`/v2.0/routers/${mine.id}`, MEMBER('rt-beta')), 404, 'RouterNotFound');
      expectError(await put(mine.id, { name: 'x' }, MEMBER('rt-beta')), 404, 'RouterNotFound');
      expectError(await addIf(mine.id, { subnet_id: NOWHERE }, MEMBER('rt-beta')), 404, 'RouterNotFound');
      const listed = (await srv.api.get('/v2.0/routers', MEMBER('rt-beta'))).body.routers;
      assert.ok(!listed.some((r: { id: string }) => r.id === mine.id));
      assert.equal((await srv.api.get('/v2.0/routers?name=private', MEMBER('rt-alpha'))).body.routers.length, 1);
      const ext = await external();
      const gw = await put(mine.id, { external_gateway_info: { network_id: ext.net.id } }, MEMBER('rt-alpha'));
      assert.equal(gw.status, 200, 'a project may use an external network it does not own');
      const theirs = await srv.api.post('/v2.0/networks', { network: {} }, MEMBER('rt-beta'));
      const theirSubnet = await srv.api.post('/v2.0/subnets', { subnet: { network_id: theirs.body.network.id, cidr: '10.253.0.0/24', ip_version: 4 } }, MEMBER('rt-beta'));
      expectError(await addIf(mine.id, { subnet_id: theirSubnet.body.subnet.id }, MEMBER('rt-alpha')), 404, 'SubnetNotFound');
      const own = await srv.api.post('/v2.0/networks', { network: {} }, MEMBER('rt-alpha'));
      const ownSubnet = await srv.api.post('/v2.0/subnets', { subnet: { network_id: own.body.network.id, cidr: '10.254.0.0/24', ip_version: 4 } }, MEMBER('rt-alpha'));
      const added = await addIf(mine.id, { subnet_id: ownSubnet.body.subnet.id }, MEMBER('rt-alpha'));
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal(added.body.tenant_id, 'rt-alpha');
      const iface = await srv.api.get(`/v2.0/ports/${added.body.port_id}`, MEMBER('rt-alpha'));
      assert.equal(iface.body.port.project_id, 'rt-alpha', "the interface port is the router's project's");
      const gwPort = (await portsOf(mine.id)).find((p) => p.device_owner === 'network:router_gateway')!;
      expectError(await srv.api.get(`/v2.0/ports/${gwPort.id}`, MEMBER('rt-alpha')), 404, 'PortNotFound', undefined);
    });

    it('tags routers, filters and sorts them', async () => {
      const a = await router({ name: 'tag-a' });
      const b = await router({ name: 'tag-b', admin_state_up: false });
      const tagged = await srv.api.put(`/v2.0/routers/${a.id}/tags`, { tags: ['blue'] });
      assert.deepEqual(tagged.body, { tags: ['blue'] });
      const shown = (await srv.api.get(`/v2.0/routers/${a.id}`)).body.router;
      assert.deepEqual([shown.tags, shown.revision_number], [['blue'], 2]);
      assert.deepEqual((await srv.api.get('/v2.0/routers?tags=blue&fields=name')).body.routers, [{ name: 'tag-a' }]);
      assert.deepEqual((await srv.api.get('/v2.0/routers?admin_state_up=false&name=tag-b&fields=id')).body.routers, [{ id: b.id }]);
      const sorted = (await srv.api.get('/v2.0/routers?name=tag-a&name=tag-b&sort_key=name&sort_dir=desc&fields=name')).body.routers;
      assert.deepEqual(sorted, [{ name: 'tag-b' }, { name: 'tag-a' }]);
      expectError(await srv.api.get('/v2.0/routers?external_gateway_info=x'), 400, 'HTTPBadRequest');
    });

    it('applies the router quota', async () => {
      const project = MEMBER('rt-quota');
      assert.equal((await srv.api.put('/v2.0/quotas/rt-quota', { quota: { router: 2 } })).status, 200);
      assert.equal((await srv.api.post('/v2.0/routers', { router: {} }, project)).status, 201);
      assert.equal((await srv.api.post('/v2.0/routers', { router: {} }, project)).status, 201);
      expectError(await srv.api.post('/v2.0/routers', { router: {} }, project), 409, 'OverQuota');
    });

    it('attaches a subnet to one of two racing routers only', async () => {
      const { subnet } = await netWithSubnet();
      const routers = await Promise.all([router(), router(), router(), router()]);
      const replies = await Promise.all(routers.map((r) => addIf(r.id, { subnet_id: subnet.id })));
      assert.equal(replies.filter((r) => r.status === 200).length, 1, replies.map((r) => JSON.stringify(r.body)).join('\n'));
      for (const r of replies.filter((x) => x.status !== 200)) expectError(r, 409, 'IpAddressAlreadyAllocated');
    });

    it('loses no route and makes one gateway port when clients race on one router', async () => {
      const ext = await external();
      const { subnet } = await netWithSubnet();
      const rt = await router();
      await addIf(rt.id, { subnet_id: subnet.id });
      const p = subnet.cidr.replace(/0\/24$/, '');
      const adds = await Promise.all(
        Array.from({ length: 6 }, (_, i) => srv.api.put(`/v2.0/routers/${rt.id}/add_extraroutes`, { router: { routes: [{ destination: `192.168.${i}.0/24`, nexthop: `${p}5` }] } })),
      );
      assert.deepEqual(adds.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
      assert.equal((await srv.api.get(`/v2.0/routers/${rt.id}`)).body.router.routes.length, 6);
      const sets = await Promise.all(Array.from({ length: 4 }, () => put(rt.id, { external_gateway_info: { network_id: ext.net.id } })));
      assert.deepEqual(sets.map((r) => r.status), [200, 200, 200, 200]);
      assert.equal((await portsOf(rt.id)).filter((x) => x.device_owner === 'network:router_gateway').length, 1);
    });
  });
}
