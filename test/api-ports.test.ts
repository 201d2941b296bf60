/** Ports over HTTP on every database: MACs, fixed IPs and IPAM errors, extensions, network deletion. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';

for (const dialect of DIALECTS) {
  describe(`ports on ${dialect.name}`, { skip: await skipReason(dialect) }, () => {
    const srv = serverFixture(() => dialect.create());
    before(() => srv.start());
    after(() => srv.stop());
    const err = (r: { body: { NeutronError: { type: string; message: string } } }) => r.body.NeutronError;
    const port = (body: Record<string, unknown>) => srv.api.post('/v2.0/ports', { port: body });
    async function netWithSubnet(cidr: string, extra: Record<string, unknown> = {}) {
      const n = (await srv.api.post('/v2.0/networks', { network: {} })).body.network;
      const s = (await srv.api.post('/v2.0/subnets', { subnet: { network_id: n.id, cidr, ip_version: 4, ...extra } })).body.subnet;
      return { n, s };
    }

    it('creates a port with Neutron defaults, an fa:16:3e MAC and a pool address', async () => {
      const { n, s } = await netWithSubnet('10.0.0.0/24');
      const r = await port({ network_id: n.id });
      assert.equal(r.status, 201);
      const p = r.body.port;
      assert.match(p.mac_address, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
      assert.equal(p.status, 'DOWN');
      assert.equal(p.admin_state_up, true);
      assert.equal(p.device_id, '');
      assert.equal(p.device_owner, '');
      assert.equal(p.port_security_enabled, true);
      assert.equal(p['binding:vif_type'], 'unbound');
      assert.deepEqual(p['binding:vif_details'], {});
      assert.equal(p['binding:vnic_type'], 'normal');
      assert.equal(p['binding:host_id'], '');
      assert.deepEqual(p['binding:profile'], {});
      assert.deepEqual(p.allowed_address_pairs, []);
      assert.deepEqual(p.extra_dhcp_opts, []);
      assert.equal(p.revision_number, 1);
      assert.equal(p.fixed_ips.length, 1);
      assert.equal(p.fixed_ips[0].subnet_id, s.id);
      const last = Number(p.fixed_ips[0].ip_address.split('.')[3]);
      assert.ok(last >= 2 && last <= 254, 'from the pool, never the gateway');
      assert.deepEqual(p.dns_assignment, [{ ip_address: p.fixed_ips[0].ip_address, hostname: `host-${p.fixed_ips[0].ip_address.replace(/\./g, '-')}`, fqdn: `host-${p.fixed_ips[0].ip_address.replace(/\./g, '-')}.openstacklocal.` }]);
    });

    it('honours requested addresses and subnets and refuses bad ones', async () => {
      const { n, s } = await netWithSubnet('10.1.0.0/24');
      const other = await netWithSubnet('10.99.0.0/24');
      const byIp = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.1.0.50' }] });
      assert.equal(byIp.status, 201);
      assert.deepEqual(byIp.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.1.0.50' }]);
      const bySubnet = await port({ network_id: n.id, fixed_ips: [{ subnet_id: s.id }] });
      assert.equal(bySubnet.body.port.fixed_ips[0].subnet_id, s.id);
      const none = await port({ network_id: n.id, fixed_ips: [] });
      assert.deepEqual(none.body.port.fixed_ips, []);
      const gw = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.1.0.1' }] });
      assert.equal(gw.status, 201, 'the gateway may be requested explicitly (router ports do)');

      const inUse = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.1.0.50' }] });
      assert.equal(inUse.status, 409);
      assert.deepEqual(err(inUse), { type: 'IpAddressAlreadyAllocated', message: `IP address 10.1.0.50 already allocated in subnet ${s.id}`, detail: '' });
      const outside = await port({ network_id: n.id, fixed_ips: [{ subnet_id: s.id, ip_address: '10.99.0.5' }] });
      assert.equal(outside.status, 400);
      assert.equal(err(outside).type, 'InvalidIpForSubnet');
      const outsideNet = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.99.0.5' }] });
      assert.equal(err(outsideNet).type, 'InvalidIpForNetwork');
      const broadcast = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.1.0.255' }] });
      assert.equal(err(broadcast).type, 'InvalidIpForNetwork');
      const invalid = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.1.0.999' }] });
      assert.equal(err(invalid).message, "Invalid input for fixed_ips. Reason: '10.1.0.999' is not a valid IP address.");
      const foreign = await port({ network_id: n.id, fixed_ips: [{ subnet_id: other.s.id }] });
      assert.equal(foreign.status, 400);
      assert.equal(err(foreign).message, `Invalid input for operation: Failed to create port on network ${n.id}, because fixed_ips included invalid subnet ${other.s.id}.`);
      const ghost = await port({ network_id: n.id, fixed_ips: [{ subnet_id: '11111111-2222-3333-4444-555555555555' }] });
      assert.equal(ghost.status, 404);
      assert.equal(err(ghost).type, 'SubnetNotFound');
      const noNet = await port({ network_id: '11111111-2222-3333-4444-555555555555' });
      assert.equal(err(noNet).type, 'NetworkNotFound');
    });

    it('keeps MACs unique per network', async () => {
      const { n } = await netWithSubnet('10.2.0.0/24');
      const a = await port({ network_id: n.id, mac_address: 'FA:16:3E:AA:BB:CC' });
      assert.equal(a.body.port.mac_address, 'fa:16:3e:aa:bb:cc', 'normalised to lower case');
      const dup = await port({ network_id: n.id, mac_address: 'fa:16:3e:aa:bb:cc' });
      assert.equal(dup.status, 409);
      assert.equal(err(dup).message, `Unable to complete operation for network ${n.id}. The mac address fa:16:3e:aa:bb:cc is in use.`);
      const other = await netWithSubnet('10.3.0.0/24');
      assert.equal((await port({ network_id: other.n.id, mac_address: 'fa:16:3e:aa:bb:cc' })).status, 201, 'the same MAC on another network is fine');
      const bad = await port({ network_id: n.id, mac_address: 'zz' });
      assert.equal(err(bad).message, "Invalid input for mac_address. Reason: 'zz' is not a valid MAC address.");
    });

    it('exhausts a small subnet with IpAddressGenerationFailure and reuses freed addresses', async () => {
      const { n, s } = await netWithSubnet('10.4.0.0/29');
      const ips: string[] = [];
      const ids: string[] = [];
      for (;;) {
        const r = await port({ network_id: n.id });
        if (r.status !== 201) {
          assert.equal(r.status, 409);
          assert.deepEqual(err(r), { type: 'IpAddressGenerationFailure', message: `No more IP addresses available on network ${n.id}.`, detail: '' });
          break;
        }
        ips.push(r.body.port.fixed_ips[0].ip_address);
        ids.push(r.body.port.id);
      }
      assert.deepEqual([...ips].sort(), ['10.4.0.2', '10.4.0.3', '10.4.0.4', '10.4.0.5', '10.4.0.6']);
      const bySubnet = await port({ network_id: n.id, fixed_ips: [{ subnet_id: s.id }] });
      assert.equal(err(bySubnet).type, 'IpAddressGenerationFailure');
      assert.equal((await srv.api.del(`/v2.0/ports/${ids[2]}`)).status, 204);
      const again = await port({ network_id: n.id });
      assert.equal(again.status, 201);
      assert.equal(again.body.port.fixed_ips[0].ip_address, ips[2], 'the freed address is handed out again');
    });

    it('moves a port to new addresses and frees the old ones', async () => {
      const { n, s } = await netWithSubnet('10.5.0.0/24');
      const p = (await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.5.0.10' }] })).body.port;
      const u = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.5.0.11' }] } });
      assert.equal(u.status, 200);
      assert.deepEqual(u.body.port.fixed_ips, [{ subnet_id: s.id, ip_address: '10.5.0.11' }]);
      assert.equal(u.body.port.revision_number, 2);
      const add = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.5.0.11' }, { subnet_id: s.id, ip_address: '10.5.0.12' }] } });
      assert.deepEqual(add.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address).sort(), ['10.5.0.11', '10.5.0.12']);
      const reuse = await port({ network_id: n.id, fixed_ips: [{ ip_address: '10.5.0.10' }] });
      assert.equal(reuse.status, 201, 'the address the first port left is free');
      const clash = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { fixed_ips: [{ ip_address: '10.5.0.10' }] } });
      assert.equal(clash.status, 409);
      const after = await srv.api.get(`/v2.0/ports/${p.id}`);
      assert.deepEqual(after.body.port.fixed_ips.map((f: { ip_address: string }) => f.ip_address).sort(), ['10.5.0.11', '10.5.0.12'], 'a refused update changes nothing');
      const nid = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { network_id: n.id } });
      assert.equal(err(nid).message, 'Cannot update read-only attribute network_id');
    });

    it('stores address pairs, DHCP options, DNS names and binding attributes', async () => {
      const { n } = await netWithSubnet('10.6.0.0/24');
      const r = await port({
        network_id: n.id,
        name: 'vm1',
        device_owner: 'compute:nova',
        device_id: 'vm-uuid',
        dns_name: 'VM1',
        allowed_address_pairs: [{ ip_address: '10.6.0.200' }, { ip_address: '192.168.0.0/24', mac_address: 'fa:16:3e:00:00:01' }],
        extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0' }],
        'binding:host_id': 'hv1',
        'binding:profile': { foo: 'bar' },
        'binding:vnic_type': 'direct',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const p = r.body.port;
      const byIp = (a: { ip_address: string }, b: { ip_address: string }) => (a.ip_address < b.ip_address ? -1 : 1);
      assert.deepEqual([...p.allowed_address_pairs].sort(byIp), [
        { ip_address: '10.6.0.200', mac_address: p.mac_address },
        { ip_address: '192.168.0.0/24', mac_address: 'fa:16:3e:00:00:01' },
      ]);
      assert.deepEqual(p.extra_dhcp_opts, [{ opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 }]);
      assert.equal(p.dns_name, 'vm1');
      assert.equal(p.dns_assignment[0].fqdn, 'vm1.openstacklocal.');
      assert.equal(p['binding:host_id'], 'hv1');
      assert.deepEqual(p['binding:profile'], { foo: 'bar' });
      assert.equal(p['binding:vnic_type'], 'direct');
      assert.equal(p['binding:vif_type'], 'binding_failed', 'no Linux bridge agent lives on hv1');
      const opts = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { extra_dhcp_opts: [{ opt_name: 'bootfile-name', opt_value: null }, { opt_name: 'tftp-server', opt_value: '10.6.0.1' }] } });
      assert.deepEqual(opts.body.port.extra_dhcp_opts, [{ opt_name: 'tftp-server', opt_value: '10.6.0.1', ip_version: 4 }]);
      const off = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { port_security_enabled: false } });
      assert.equal(off.status, 409);
      assert.equal(err(off).type, 'AddressPairAndPortSecurityRequired');
      const cleared = await srv.api.put(`/v2.0/ports/${p.id}`, { port: { port_security_enabled: false, allowed_address_pairs: [], security_groups: [] } });
      assert.equal(cleared.status, 200);
      assert.equal(cleared.body.port.port_security_enabled, false);
      const badVnic = await port({ network_id: n.id, 'binding:vnic_type': 'bogus' });
      assert.equal(badVnic.status, 400);
    });

    it('refuses to delete a network with ports, but removes its DHCP ports with it', async () => {
      const { n } = await netWithSubnet('10.7.0.0/24');
      const vm = (await port({ network_id: n.id, device_owner: 'compute:nova' })).body.port;
      const dhcp = (await port({ network_id: n.id, device_owner: 'network:dhcp' })).body.port;
      const r = await srv.api.del(`/v2.0/networks/${n.id}`);
      assert.equal(r.status, 409);
      assert.equal(err(r).message, `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network, id for these ports is: ${vm.id}.`);
      assert.equal((await srv.api.del(`/v2.0/ports/${vm.id}`)).status, 204);
      assert.equal((await srv.api.del(`/v2.0/networks/${n.id}`)).status, 204);
      assert.equal((await srv.api.get(`/v2.0/ports/${dhcp.id}`)).status, 404, 'the DHCP port went with its network');
      assert.deepEqual((await srv.api.get(`/v2.0/subnets?network_id=${n.id}`)).body.subnets, []);
    });
  });
}
