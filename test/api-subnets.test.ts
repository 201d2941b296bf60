/** Subnets over HTTP on every database: IPv4/IPv6 defaults, pools, gateway, overlap, limits, deletion. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`subnets on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());
    const net = async () => (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
    const subnet = (body: Record<string, unknown>) => srv.api.post('/v2.0/subnets', { subnet: body });
    const err = (r: { body: { NeutronError: { type: string; message: string } } }) => r.body.NeutronError;

    it('gives an IPv4 subnet the first address as gateway and the rest as pool', async () => {
      const n = await net();
      const r = await subnet({ network_id: n.id, cidr: '10.0.0.0/24', ip_version: 4 });
      assert.equal(r.status, 201);
      const s = r.body.subnet;
      assert.equal(s.gateway_ip, '10.0.0.1');
      assert.deepEqual(s.allocation_pools, [{ start: '10.0.0.2', end: '10.0.0.254' }]);
      assert.equal(s.enable_dhcp, true);
      assert.equal(s.ipv6_ra_mode, null);
      assert.equal(s.subnetpool_id, null);
      assert.deepEqual(s.dns_nameservers, []);
      assert.deepEqual(s.host_routes, []);
      assert.equal(s.revision_number, 0);
      const shown = await srv.api.get(`/v2.0/networks/${n.id}`);
      assert.deepEqual(shown.body.network.subnets, [s.id]);
      assert.equal(shown.body.network.revision_number, n.revision_number + 1, 'a new subnet bumps its network');
    });

    it('normalises a CIDR with host bits and keeps the gateway null when asked', async () => {
      const n = await net();
      const r = await subnet({ network_id: n.id, cidr: '10.1.0.7/24', ip_version: 4, gateway_ip: null });
      assert.equal(r.status, 201);
      assert.equal(r.body.subnet.cidr, '10.1.0.0/24');
      assert.equal(r.body.subnet.gateway_ip, null);
      assert.deepEqual(r.body.subnet.allocation_pools, [{ start: '10.1.0.1', end: '10.1.0.254' }]);
    });

    it('takes custom pools, name servers and host routes', async () => {
      const n = await net();
      const r = await subnet({
        network_id: n.id,
        cidr: '10.2.0.0/24',
        ip_version: 4,
        allocation_pools: [{ start: '10.2.0.100', end: '10.2.0.110' }, { start: '10.2.0.10', end: '10.2.0.20' }],
        dns_nameservers: ['8.8.8.8', '1.1.1.1'],
        host_routes: [{ destination: '192.168.0.0/16', nexthop: '10.2.0.254' }],
      });
      assert.equal(r.status, 201);
      assert.deepEqual(r.body.subnet.allocation_pools, [
        { start: '10.2.0.10', end: '10.2.0.20' },
        { start: '10.2.0.100', end: '10.2.0.110' },
      ]);
      assert.deepEqual(r.body.subnet.dns_nameservers, ['8.8.8.8', '1.1.1.1'], 'order kept');
      assert.deepEqual(r.body.subnet.host_routes, [{ destination: '192.168.0.0/16', nexthop: '10.2.0.254' }]);
      const u = await srv.api.put(`/v2.0/subnets/${r.body.subnet.id}`, { subnet: { dns_nameservers: ['9.9.9.9'], name: 'renamed' } });
      assert.equal(u.status, 200);
      assert.deepEqual(u.body.subnet.dns_nameservers, ['9.9.9.9']);
      assert.equal(u.body.subnet.revision_number, 1);
    });

    it('refuses bad pools, gateways and CIDRs with Neutron errors', async () => {
      const n = await net();
      const cases: Array<[Record<string, unknown>, number, string, string?]> = [
        [{ cidr: '10.8.0.0/24', allocation_pools: [{ start: '10.9.0.10', end: '10.9.0.20' }] }, 400, 'OutOfBoundsAllocationPool', 'The allocation pool 10.9.0.10-10.9.0.20 spans beyond the subnet cidr 10.8.0.0/24.'],
        [{ cidr: '10.10.0.0/24', allocation_pools: [{ start: '10.10.0.1', end: '10.10.0.20' }] }, 409, 'GatewayConflictWithAllocationPools', 'Gateway ip 10.10.0.1 conflicts with allocation pool 10.10.0.1-10.10.0.20.'],
        [{ cidr: '10.11.0.0/24', allocation_pools: [{ start: '10.11.0.20', end: '10.11.0.10' }] }, 400, 'InvalidAllocationPool', "The allocation pool {'start': '10.11.0.20', 'end': '10.11.0.10'} is not valid."],
        [{ cidr: '10.12.0.0/24', allocation_pools: [{ start: '10.12.0.5', end: '10.12.0.50' }, { start: '10.12.0.40', end: '10.12.0.60' }] }, 409, 'OverlappingAllocationPools'],
        [{ cidr: '10.0.0.0/33' }, 400, 'InvalidInput', 'Invalid input for operation: 10.0.0.0/33 is not in a CIDR format.'],
        [{ cidr: 'foo' }, 400, 'InvalidInput', 'Invalid input for operation: foo is not in a CIDR format.'],
        [{ cidr: '10.13.0.0/24', ip_version: 6 }, 400, 'InvalidInput', "Invalid input for operation: cidr '10.13.0.0/24' does not match the ip_version '6'."],
        [{ cidr: '10.14.0.0/24', ip_version: 5 }, 400, 'HTTPBadRequest', 'Invalid input for ip_version. Reason: 5 is not in valid_values.'],
        [{ cidr: '10.15.0.0/24', dns_nameservers: ['notanip'] }, 400, 'HTTPBadRequest', "Invalid input for dns_nameservers. Reason: 'notanip' is not a valid nameserver. 'notanip' is not a valid IP address."],
        [{ cidr: '10.16.0.0/24', dns_nameservers: ['8.8.8.8', '8.8.8.8'] }, 400, 'HTTPBadRequest', "Invalid input for dns_nameservers. Reason: Duplicate nameserver '8.8.8.8'."],
        [{ cidr: '10.17.0.0/24', dns_nameservers: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4', '1.1.1.5', '1.1.1.6'] }, 400, 'DNSNameServersExhausted'],
        [{ cidr: '10.18.0.0/24', gateway_ip: 'x' }, 400, 'HTTPBadRequest'],
        [{ ip_version: 4 }, 400, 'BadRequest', 'Bad subnets request: a subnetpool must be specified in the absence of a cidr.'],
        [{ cidr: '2001:db8:4::/80', ip_version: 6, ipv6_address_mode: 'slaac' }, 400, 'InvalidInput'],
        [{ cidr: '2001:db8:5::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'dhcpv6-stateful' }, 400, 'InvalidInput'],
      ];
      for (const [body, status, type, message] of cases) {
        const r = await subnet({ network_id: n.id, ip_version: 4, ...body });
        assert.equal(r.status, status, JSON.stringify(body));
        assert.equal(err(r).type, type, JSON.stringify(body));
        if (message) assert.equal(err(r).message, message);
      }
      const listed = await srv.api.get(`/v2.0/subnets?network_id=${n.id}`);
      assert.deepEqual(listed.body.subnets, [], 'no refused subnet was half-created');
      const missing = await subnet({ network_id: '11111111-2222-3333-4444-555555555555', cidr: '10.0.0.0/24', ip_version: 4 });
      assert.equal(missing.status, 404);
      assert.equal(err(missing).type, 'NetworkNotFound');
      const noNet = await subnet({ cidr: '10.0.0.0/24', ip_version: 4 });
      assert.equal(err(noNet).message, "Failed to parse request. Required attribute 'network_id' not specified");
    });

    it('refuses a CIDR that overlaps another subnet of the network', async () => {
      const n = await net();
      assert.equal((await subnet({ network_id: n.id, cidr: '10.20.0.0/24', ip_version: 4 })).status, 201);
      const r = await subnet({ network_id: n.id, cidr: '10.20.0.128/25', ip_version: 4 });
      assert.equal(r.status, 400);
      assert.equal(err(r).message, `Invalid input for operation: Requested subnet with cidr: 10.20.0.128/25 for network: ${n.id} overlaps with another subnet.`);
      const other = await net();
      assert.equal((await subnet({ network_id: other.id, cidr: '10.20.0.0/24', ip_version: 4 })).status, 201, 'other networks may overlap');
    });

    it('gives IPv6 SLAAC subnets the subnet-router anycast gateway and EUI-64 ports', async () => {
      const n = await net();
      const r = await subnet({ network_id: n.id, cidr: '2001:db8:1::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' });
      assert.equal(r.status, 201);
      assert.equal(r.body.subnet.gateway_ip, '2001:db8:1::');
      assert.deepEqual(r.body.subnet.allocation_pools, [{ start: '2001:db8:1::1', end: '2001:db8:1:0:ffff:ffff:ffff:ffff' }]);
      const p = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: 'fa:16:3e:4b:b2:07' } });
      assert.equal(p.status, 201);
      assert.deepEqual(p.body.port.fixed_ips, [{ subnet_id: r.body.subnet.id, ip_address: '2001:db8:1:0:f816:3eff:fe4b:b207' }]);
      const v4 = (await subnet({ network_id: n.id, cidr: '10.40.0.0/24', ip_version: 4 })).body.subnet;
      const named = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, mac_address: 'fa:16:3e:00:00:0a', fixed_ips: [{ subnet_id: v4.id }] } });
      assert.deepEqual(
        named.body.port.fixed_ips.map((f: { subnet_id: string }) => f.subnet_id).sort(),
        [r.body.subnet.id, v4.id].sort(),
        'a port that names only its IPv4 subnet still gets its SLAAC address',
      );
      assert.ok(named.body.port.fixed_ips.some((f: { ip_address: string }) => f.ip_address === '2001:db8:1:0:f816:3eff:fe00:a'));
      const router = await srv.api.post('/v2.0/ports', { port: { network_id: n.id, device_owner: 'network:router_interface', fixed_ips: [{ subnet_id: v4.id }] } });
      assert.deepEqual(router.body.port.fixed_ips.map((f: { subnet_id: string }) => f.subnet_id), [v4.id], 'router interfaces get only what they ask for');
    });

    it('refuses to delete a subnet that ports use, and deletes it once they are gone', async () => {
      const n = await net();
      const s = (await subnet({ network_id: n.id, cidr: '10.30.0.0/24', ip_version: 4 })).body.subnet;
      const p = (await srv.api.post('/v2.0/ports', { port: { network_id: n.id, device_owner: 'compute:nova' } })).body.port;
      const r = await srv.api.del(`/v2.0/subnets/${s.id}`);
      assert.equal(r.status, 409);
      assert.equal(err(r).message, `Unable to complete operation on subnet ${s.id}: One or more ports have an IP allocation from this subnet.`);
      assert.equal((await srv.api.del(`/v2.0/ports/${p.id}`)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/subnets/${s.id}`)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/subnets/${s.id}`)).status, 404);
      assert.deepEqual((await srv.api.get(`/v2.0/networks/${n.id}`)).body.network.subnets, []);
    });
  });
}
