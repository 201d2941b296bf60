/** What dnsmasq is given: hosts and options files for IPv4 and IPv6 subnets, per-port options, the command line. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dhcpDeviceId, renderDnsmasqArgv, renderHosts, renderOpts, servedSubnets, type DhcpNetwork, type DhcpPort, type DhcpSubnet } from './render.js';

const NET = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const V4 = '44444444-4444-4444-8444-444444444444';
const V6 = '66666666-6666-4666-8666-666666666666';
const O = { domain: 'openstacklocal', leaseDuration: 86400 };

const subnet = (s: Partial<DhcpSubnet> & { id: string; cidr: string }): DhcpSubnet => ({
  ip_version: s.cidr.includes(':') ? 6 : 4,
  gateway_ip: null,
  enable_dhcp: true,
  dns_nameservers: [],
  host_routes: [],
  ...s,
});
const v4 = subnet({ id: V4, cidr: '10.0.0.0/24', gateway_ip: '10.0.0.1' });
const v6 = subnet({ id: V6, cidr: '2001:db8::/64', gateway_ip: '2001:db8::1', ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' });
const dhcp: DhcpPort = {
  id: 'dddddddd-0000-4000-8000-000000000000',
  mac_address: 'fa:16:3e:00:00:02',
  fixed_ips: [
    { subnet_id: V4, ip_address: '10.0.0.2' },
    { subnet_id: V6, ip_address: '2001:db8::2' },
  ],
  device_owner: 'network:dhcp',
};
const vm: DhcpPort = {
  id: 'cccccccc-0000-4000-8000-000000000000',
  mac_address: 'fa:16:3e:00:00:05',
  fixed_ips: [
    { subnet_id: V4, ip_address: '10.0.0.5' },
    { subnet_id: V6, ip_address: '2001:db8::5' },
  ],
};
const net = (subnets: DhcpSubnet[], ports: DhcpPort[] = [dhcp, vm]): DhcpNetwork => ({ id: NET, mtu: 1450, subnets, ports });

describe('dnsmasq files', () => {
  it('hosts: one line per fixed IP on a served subnet, sorted by port, IPv6 in brackets', () => {
    assert.equal(
      renderHosts(net([v4, v6]), O),
      [
        'fa:16:3e:00:00:05,host-10-0-0-5.openstacklocal,10.0.0.5',
        'fa:16:3e:00:00:05,host-2001-db8--5.openstacklocal,[2001:db8::5]',
        'fa:16:3e:00:00:02,host-10-0-0-2.openstacklocal,10.0.0.2',
        'fa:16:3e:00:00:02,host-2001-db8--2.openstacklocal,[2001:db8::2]',
        '',
      ].join('\n'),
    );
  });

  it('hosts: a port with extra DHCP options is tagged; subnets without DHCP, SLAAC and stateless ones give no address', () => {
    const off = subnet({ id: '00000000-0000-4000-8000-00000000000f', cidr: '10.9.0.0/24', enable_dhcp: false });
    const slaac = subnet({ id: V6, cidr: '2001:db8::/64', ipv6_address_mode: 'slaac', ipv6_ra_mode: 'slaac' });
    const p = { ...vm, dns_name: 'web', extra_dhcp_opts: [{ opt_name: 'tftp-server', opt_value: '10.0.0.9' }], fixed_ips: [...vm.fixed_ips, { subnet_id: off.id, ip_address: '10.9.0.5' }] };
    assert.equal(renderHosts(net([v4, slaac, off], [p]), O), `fa:16:3e:00:00:05,web.openstacklocal,10.0.0.5,set:port-${vm.id}\n`);
    const stateless = { ...v6, ipv6_address_mode: 'dhcpv6-stateless', ipv6_ra_mode: 'dhcpv6-stateless' };
    assert.equal(renderHosts(net([stateless], [p]), O), `fa:16:3e:00:00:05,set:port-${vm.id}\n`);
    assert.deepEqual(servedSubnets(net([v4, slaac, off])).map((s) => s.id), [V4]);
  });

  it('options: router, DNS (the DHCP port when the subnet names none), domain, MTU for IPv4; DNS and domain search for IPv6', () => {
    assert.equal(
      renderOpts(net([v4, v6]), dhcp, O),
      [
        `tag:subnet-${V4},option:dns-server,10.0.0.2`,
        `tag:subnet-${V4},option:domain-name,openstacklocal`,
        `tag:subnet-${V4},option:router,10.0.0.1`,
        `tag:subnet-${V4},option:mtu,1450`,
        `tag:subnet-${V6},option6:dns-server,[2001:db8::2]`,
        `tag:subnet-${V6},option6:domain-search,openstacklocal`,
        '',
      ].join('\n'),
    );
  });

  it('options: host routes as options 121 and 249 with the default route, named servers, no gateway, per-port options', () => {
    const routed = { ...v4, dns_nameservers: ['192.0.2.53', '192.0.2.54'], host_routes: [{ destination: '172.16.0.0/16', nexthop: '10.0.0.254' }] };
    const noGw = subnet({ id: '55555555-5555-4555-8555-555555555555', cidr: '10.5.0.0/24', gateway_ip: null });
    const p = {
      ...vm,
      extra_dhcp_opts: [
        { opt_name: 'bootfile-name', opt_value: 'pxelinux.0', ip_version: 4 },
        { opt_name: '150', opt_value: '10.0.0.9', ip_version: 4 },
        { opt_name: 'dns-server', opt_value: '[2001:db8::53]', ip_version: 6 },
      ],
    };
    assert.equal(
      renderOpts(net([routed, noGw], [dhcp, p]), dhcp, { domain: '', leaseDuration: 60 }),
      [
        `tag:subnet-${V4},option:dns-server,192.0.2.53,192.0.2.54`,
        `tag:subnet-${V4},option:classless-static-route,172.16.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1`,
        `tag:subnet-${V4},249,172.16.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1`,
        `tag:subnet-${V4},option:router,10.0.0.1`,
        `tag:subnet-${V4},option:mtu,1450`,
        `tag:subnet-${noGw.id},option:router`,
        `tag:subnet-${noGw.id},option:mtu,1450`,
        `tag:port-${vm.id},option:bootfile-name,pxelinux.0`,
        `tag:port-${vm.id},150,10.0.0.9`,
        `tag:port-${vm.id},option6:dns-server,[2001:db8::53]`,
        '',
      ].join('\n'),
    );
  });

  it('command line: static ranges per served subnet with the lease time, bound to the namespace device', () => {
    assert.deepEqual(renderDnsmasqArgv(net([v4, v6]), 'ns-dddddddd-00', '/s/dhcp/n', O), [
      'dnsmasq',
      '--no-hosts',
      '--no-resolv',
      '--pid-file=/s/dhcp/n/pid',
      '--dhcp-hostsfile=/s/dhcp/n/host',
      '--dhcp-optsfile=/s/dhcp/n/opts',
      '--dhcp-leasefile=/s/dhcp/n/leases',
      '--dhcp-authoritative',
      '--bind-interfaces',
      '--interface=ns-dddddddd-00',
      '--except-interface=lo',
      `--dhcp-range=set:subnet-${V4},10.0.0.0,static,255.255.255.0,86400s`,
      `--dhcp-range=set:subnet-${V6},2001:db8::,static,64,86400s`,
      '--dhcp-lease-max=16777216',
      '--conf-file=/dev/null',
      '--domain=openstacklocal',
    ]);
    const infinite = renderDnsmasqArgv(net([{ ...v4, cidr: '10.0.0.0/28' }]), 'ns-x', '/d', { domain: '', leaseDuration: -1 });
    assert.ok(infinite.includes(`--dhcp-range=set:subnet-${V4},10.0.0.0,static,255.255.255.240,infinite`));
    assert.ok(infinite.includes('--dhcp-lease-max=16'));
  });

  it('device id: Neutron’s dhcp<uuid5(DNS, host)>-<network>', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org') == 886313e1-3b8a-5372-9b90-0c9aee199e5d
    assert.equal(dhcpDeviceId('python.org', NET), `dhcp886313e1-3b8a-5372-9b90-0c9aee199e5d-${NET}`);
  });
});
