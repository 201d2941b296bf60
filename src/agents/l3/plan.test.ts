/**
 * The L3 agent's planner: what a router's namespace gets (tables of want/have/commands), the NAT
 * table's rules, radvd's configuration, the parsers of what the kernel prints; and random walks
 * between sets of routers that must converge (after each plan, applied to a model of the host,
 * the next plan is empty).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderArgv } from '../../linux/host-command.js';
import { batchIp } from '../../linux/ip-batch.js';
import type { RouterInfo, RouterPortInfo } from '../server-api.js';
import { desiredL3, routeDestination } from './desired.js';
import { natRules, parseNat, renderNat, scriptSignature } from './nat.js';
import { parseRouterDevices, parseRouterNamespaces, parseRoutes } from './observe.js';
import { renderRadvdConf } from './radvd.js';
import { applyL3Model, planL3, planL3ByRouter, renderL3, type L3Command, type L3HostState, type L3Layout } from './plan.js';

const L: L3Layout = { prefix: 'h1-', stateDir: '/s/l3', minRtrAdvInterval: 30, maxRtrAdvInterval: 100, haVrrpAdvertInt: 2 };
const R1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const R2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const NS1 = `h1-qrouter-${R1}`;

function port(id: string, ip: string, cidr: string, opts: { gateway?: string | null; ra?: string | null; mtu?: number } = {}): RouterPortInfo {
  return {
    id,
    network_id: `net-${id}`,
    mac_address: `fa:16:3e:00:00:${id.slice(0, 2)}`,
    fixed_ips: [{ subnet_id: `sub-${id}`, ip_address: ip, prefixlen: Number(cidr.split('/')[1]) }],
    subnets: [{ id: `sub-${id}`, cidr, gateway_ip: opts.gateway === undefined ? ip : opts.gateway, dns_nameservers: [], ipv6_ra_mode: opts.ra ?? null, subnetpool_id: null }],
    extra_subnets: [],
    address_scopes: { 4: null, 6: null },
    mtu: opts.mtu ?? 1450,
  };
}
const GW = port('99999999-9999-4999-8999-999999999999', '203.0.113.10', '203.0.113.0/24', { gateway: '203.0.113.1', mtu: 1500 });
const QR_A = port('11111111-1111-4111-8111-111111111111', '10.0.1.1', '10.0.1.0/24');
const QR_B = port('22222222-2222-4222-8222-222222222222', '10.0.2.1', '10.0.2.0/24');
const QR_6 = port('66666666-6666-4666-8666-666666666666', '2001:db8:1::1', '2001:db8:1::/64', { ra: 'slaac' });
const fip = (id: string, floating: string, fixed: string) => ({ id, floating_ip_address: floating, fixed_ip_address: fixed, status: 'DOWN' });

const HA_PORT = port('aaaa0000-0000-4000-8000-000000000000', '169.254.192.7', '169.254.192.0/18');
function router(id: string, o: { gw?: RouterPortInfo | null; ifaces?: RouterPortInfo[]; fips?: Array<Record<string, unknown>>; snat?: boolean; routes?: Array<{ destination: string; nexthop: string }>; up?: boolean; ha?: boolean } = {}): RouterInfo {
  return {
    ...(o.ha ? { ha: true, ha_vr_id: 7, _ha_interface: HA_PORT } : {}),
    id,
    revision_number: 1,
    admin_state_up: o.up ?? true,
    external_gateway_info: o.gw === null ? null : { network_id: 'pub', enable_snat: o.snat ?? true },
    routes: o.routes ?? [],
    gw_port: o.gw === undefined ? GW : o.gw,
    _interfaces: o.ifaces ?? [QR_A],
    _floatingips: o.fips ?? [],
  };
}

const empty = (): L3HostState => new Map();
const apply = (have: L3HostState, cmds: L3Command[]) => applyL3Model(have, cmds, scriptSignature, L.stateDir);
const converged = (want: L3HostState) => apply(empty(), planL3(want, empty()));
const argv = (cmds: L3Command[]) => cmds.map((c) => (c.op === 'write-file' || c.op === 'remove-dir' ? `${c.op} ${c.path}` : c.op === 'set-nat' ? `nft ${c.script.length}` : renderArgv(renderL3(c), 'h1').argv.join(' ')));
/** A state without pids (the model hands out its own) for comparison; of an HA router (`ha`: ids), not what is keepalived's (routes, addresses of qr-/qg-). */
const comparable = (s: L3HostState, ha: Set<string> = new Set()) =>
  [...s]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([id, r]) => [
      id,
      {
        ...r,
        ha: undefined,
        haState: undefined,
        keepalived: r.keepalived && r.keepalived.argv,
        radvd: r.radvd && r.radvd.argv,
        nat: r.nat.signature,
        routes: ha.has(id) ? [] : r.routes,
        devices: [...r.devices].map(([n, d]) => [n, ha.has(id) && /^q[rg]-/.test(n) ? { ...d, addrs: [] } : d]).sort(),
        sysctls: [...r.sysctls].sort(),
        files: [...r.files].sort(),
      },
    ]);

describe('L3 planner', () => {
  it('a first router: namespace, forwarding, one veth per port (tap on the host side), addresses, default route, NAT', () => {
    const plan = planL3(desiredL3([router(R1)], L), empty());
    const cmds = argv(plan);
    // run as six processes: each side's iproute2 commands in one batch
    assert.deepEqual(
      batchIp(plan.map(renderL3), 'h1').map((c) => renderArgv(c, 'h1').argv.join(' ')),
      [`ip netns add ${NS1}`, `ip netns exec ${NS1} sysctl -w net.ipv4.ip_forward=1`, `ip netns exec ${NS1} sysctl -w net.ipv6.conf.all.forwarding=1`, 'ip -n h1 -force -batch -', `ip -n ${NS1} -force -batch -`, `ip netns exec ${NS1} nft -f -`],
    );
    assert.equal(renderArgv(batchIp(plan.map(renderL3), 'h1')[4], 'h1').input, ['link set qg-99999999-99 up', 'addr add 203.0.113.10/24 dev qg-99999999-99', 'link set qr-11111111-11 up', 'addr add 10.0.1.1/24 dev qr-11111111-11', 'route replace default via 203.0.113.1', ''].join('\n'));
    assert.deepEqual(cmds, [
      `ip netns add ${NS1}`,
      `ip netns exec ${NS1} sysctl -w net.ipv4.ip_forward=1`,
      `ip netns exec ${NS1} sysctl -w net.ipv6.conf.all.forwarding=1`,
      `ip -n h1 link add tap99999999-99 mtu 1500 type veth peer name qg-99999999-99 address fa:16:3e:00:00:99 mtu 1500 netns ${NS1}`,
      'ip -n h1 link set tap99999999-99 up',
      `ip -n h1 link add tap11111111-11 mtu 1450 type veth peer name qr-11111111-11 address fa:16:3e:00:00:11 mtu 1450 netns ${NS1}`,
      'ip -n h1 link set tap11111111-11 up',
      `ip -n ${NS1} link set qg-99999999-99 up`,
      `ip -n ${NS1} addr add 203.0.113.10/24 dev qg-99999999-99`,
      `ip -n ${NS1} link set qr-11111111-11 up`,
      `ip -n ${NS1} addr add 10.0.1.1/24 dev qr-11111111-11`,
      `ip -n ${NS1} -4 route replace default via 203.0.113.1`,
      'nft 10',
    ]);
  });

  const w1 = desiredL3([router(R1, { fips: [fip('f1', '203.0.113.20', '10.0.1.5')] })], L);
  const cases: Array<{ name: string; have: () => L3HostState; want: L3HostState; commands: string[] }> = [
    { name: 'nothing to do when the host matches', have: () => converged(w1), want: w1, commands: [] },
    {
      name: 'a floating IP associated: its /32 on the gateway device, the NAT table replaced whole',
      have: () => converged(desiredL3([router(R1)], L)),
      want: w1,
      commands: [`ip -n ${NS1} addr add 203.0.113.20/32 dev qg-99999999-99`, 'nft 13'],
    },
    {
      name: 'a floating IP disassociated: the table first, the address after',
      have: () => converged(w1),
      want: desiredL3([router(R1)], L),
      commands: ['nft 10', `ip -n ${NS1} addr del 203.0.113.20/32 dev qg-99999999-99`],
    },
    {
      name: 'an interface added and one removed: the new one first',
      have: () => converged(desiredL3([router(R1)], L)),
      want: desiredL3([router(R1, { ifaces: [QR_B] })], L),
      commands: [
        `ip -n h1 link add tap22222222-22 mtu 1450 type veth peer name qr-22222222-22 address fa:16:3e:00:00:22 mtu 1450 netns ${NS1}`,
        'ip -n h1 link set tap22222222-22 up',
        `ip -n ${NS1} link set qr-22222222-22 up`,
        `ip -n ${NS1} addr add 10.0.2.1/24 dev qr-22222222-22`,
        `ip -n ${NS1} link del qr-11111111-11`,
      ],
    },
    {
      name: 'extra routes: added through their next hop, removed when gone',
      have: () => converged(desiredL3([router(R1, { routes: [{ destination: '192.0.2.0/24', nexthop: '10.0.1.7' }] })], L)),
      want: desiredL3([router(R1, { routes: [{ destination: '198.51.100.9/32', nexthop: '10.0.1.8' }] })], L),
      commands: [`ip -n ${NS1} -4 route replace 198.51.100.9 via 10.0.1.8`, `ip -n ${NS1} -4 route del 192.0.2.0/24 via 10.0.1.7`],
    },
    {
      name: 'the gateway removed: its device, route and NAT go',
      have: () => converged(w1),
      want: desiredL3([router(R1, { gw: null })], L),
      commands: [`ip -n ${NS1} -4 route del default via 203.0.113.1`, 'nft 2', `ip -n ${NS1} link del qg-99999999-99`],
    },
    {
      name: 'forwarding switched off by someone: switched on again',
      have: () => {
        const h = converged(w1);
        h.get(R1)!.sysctls.set('net.ipv4.ip_forward', '0');
        return h;
      },
      want: w1,
      commands: [`ip netns exec ${NS1} sysctl -w net.ipv4.ip_forward=1`],
    },
    {
      name: 'a router administratively down: its namespace goes',
      have: () => converged(w1),
      want: desiredL3([router(R1, { up: false })], L),
      commands: [`ip netns del ${NS1}`, `remove-dir /s/l3/${R1}`],
    },
    {
      name: 'an IPv6 SLAAC interface: radvd’s file, then radvd',
      have: () => converged(w1),
      want: desiredL3([router(R1, { ifaces: [QR_A, QR_6], fips: [fip('f1', '203.0.113.20', '10.0.1.5')] })], L),
      commands: [
        `ip -n h1 link add tap66666666-66 mtu 1450 type veth peer name qr-66666666-66 address fa:16:3e:00:00:66 mtu 1450 netns ${NS1}`,
        'ip -n h1 link set tap66666666-66 up',
        `ip -n ${NS1} link set qr-66666666-66 up`,
        `ip -n ${NS1} addr add 2001:db8:1::1/64 dev qr-66666666-66 nodad`,
        `write-file /s/l3/${R1}/radvd.conf`,
        `ip netns exec ${NS1} radvd -C /s/l3/${R1}/radvd.conf -p /s/l3/${R1}/radvd.pid -m logfile -l /s/l3/${R1}/radvd.log`,
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const have = c.have();
      const cmds = planL3(c.want, have);
      assert.deepEqual(argv(cmds), c.commands);
      const after = apply(have, cmds);
      assert.deepEqual(planL3(c.want, after), [], 'a second plan is empty');
    });
  }

  it('an HA router: the HA device with its address, the others without (no link-local of their own), keepalived’s files, then keepalived; no routes', () => {
    const w = desiredL3([router(R1, { ha: true, fips: [fip('f1', '203.0.113.20', '10.0.1.5')], routes: [{ destination: '192.0.2.0/24', nexthop: '10.0.1.9' }] })], L);
    const cmds = argv(planL3(w, empty()));
    assert.ok(cmds.includes(`ip -n ${NS1} addr add 169.254.192.7/18 dev ha-aaaa0000-00`));
    assert.ok(cmds.includes(`ip -n ${NS1} link set qr-11111111-11 addrgenmode none`));
    assert.ok(cmds.indexOf(`ip -n ${NS1} link set qr-11111111-11 addrgenmode none`) < cmds.indexOf(`ip -n ${NS1} link set qr-11111111-11 up`), 'before the link is up');
    assert.deepEqual(cmds.filter((c) => /addr add (10\.0\.1\.1|203\.0\.113\.)/.test(c) || / route /.test(c)), [], 'addresses and routes are keepalived’s');
    assert.deepEqual(cmds.slice(-5), [
      `write-file /s/l3/${R1}/keepalived.conf`,
      `write-file /s/l3/${R1}/notify.sh`,
      `rm -rf /s/l3/${R1}/keepalived.pid`,
      `rm -rf /s/l3/${R1}/keepalived-vrrp.pid`,
      `ip netns exec ${NS1} keepalived -P -f /s/l3/${R1}/keepalived.conf -p /s/l3/${R1}/keepalived.pid -r /s/l3/${R1}/keepalived-vrrp.pid`,
    ]);
    const conf = w.get(R1)!.files.get('keepalived.conf')!;
    for (const line of ['virtual_router_id 7', '169.254.0.7/24 dev ha-aaaa0000-00', '10.0.1.1/24 dev qr-11111111-11', '203.0.113.20/32 dev qg-99999999-99', 'fe80::f816:3eff:fe00:11/64 dev qr-11111111-11', '0.0.0.0/0 via 203.0.113.1 dev qg-99999999-99', '192.0.2.0/24 via 10.0.1.9', 'nopreempt']) {
      assert.ok(conf.includes(line), line);
    }
    // the master's addresses and routes (keepalived's), and its primary address on the HA device, are left alone
    const h = converged(w);
    const r = h.get(R1)!;
    r.devices.get('qr-11111111-11')!.addrs = ['10.0.1.1/24'];
    r.devices.get('ha-aaaa0000-00')!.addrs = ['169.254.0.7/24', '169.254.192.7/18'];
    r.routes = [{ dst: 'default', via: '203.0.113.1' }];
    assert.deepEqual(planL3(w, h), []);
    // a floating IP added: keepalived's configuration is written and reloaded
    const more = desiredL3([router(R1, { ha: true, fips: [fip('f1', '203.0.113.20', '10.0.1.5'), fip('f2', '203.0.113.21', '10.0.1.6')], routes: [{ destination: '192.0.2.0/24', nexthop: '10.0.1.9' }] })], L);
    assert.deepEqual(argv(planL3(more, h)).filter((c) => !c.startsWith('nft')), [`write-file /s/l3/${R1}/keepalived.conf`, `kill -HUP ${r.keepalived!.pid}`]);
  });

  it('radvd runs on an HA router’s master only', () => {
    const ra = (state: string) => desiredL3([router(R1, { ha: true, ifaces: [QR_6] })], L, new Map([[R1, state]])).get(R1)!.radvd;
    assert.equal(ra('backup'), null);
    assert.equal(ra(''), null);
    assert.ok(ra('master'));
  });

  it('a killed radvd is started again; a changed configuration reloads it; an interface added restarts it', () => {
    const w = desiredL3([router(R1, { ifaces: [QR_A, QR_6] })], L);
    const h = converged(w);
    const pid = h.get(R1)!.radvd!.pid;
    assert.deepEqual(argv(planL3(w, new Map([[R1, { ...h.get(R1)!, radvd: null }]]))), [`ip netns exec ${NS1} radvd -C /s/l3/${R1}/radvd.conf -p /s/l3/${R1}/radvd.pid -m logfile -l /s/l3/${R1}/radvd.log`]);
    const changed = desiredL3([router(R1, { ifaces: [QR_A, { ...QR_6, mtu: 1400 }] })], L);
    assert.deepEqual(argv(planL3(changed, h)), [`ip -n ${NS1} link set qr-66666666-66 address fa:16:3e:00:00:66 mtu 1400`, `write-file /s/l3/${R1}/radvd.conf`, `kill -HUP ${pid}`]);
    const more = desiredL3([router(R1, { ifaces: [QR_A, QR_6, port('77777777-7777-4777-8777-777777777777', '2001:db8:2::1', '2001:db8:2::/64', { ra: 'dhcpv6-stateless' })] })], L);
    const cmds = planL3(more, h);
    assert.deepEqual(cmds.slice(-2).map((c) => c.op), ['stop-radvd', 'start-radvd']);
  });

  it('routers no longer hosted are removed (radvd stopped first), after the others converged', () => {
    const both = converged(desiredL3([router(R1), router(R2, { ifaces: [QR_6] })], L));
    const byRouter = planL3ByRouter(desiredL3([router(R1)], L), both);
    assert.deepEqual(byRouter.map((p) => p.id), [R1, R2]);
    assert.deepEqual(byRouter[0].cmds, []);
    assert.deepEqual(byRouter[1].cmds.map((c) => c.op), ['stop-radvd', 'del-netns', 'remove-dir']);
  });

  it('random walks between sets of routers converge: after each plan the next plan is empty', () => {
    const ifaces = [QR_A, QR_B, QR_6];
    const arbRouter = fc.record({
      id: fc.constantFrom(R1, R2),
      gw: fc.boolean(),
      ifaces: fc.subarray([0, 1, 2]),
      fips: fc.subarray(['203.0.113.20', '203.0.113.21']),
      snat: fc.boolean(),
      routes: fc.subarray(['192.0.2.0/24', '198.51.100.0/25']),
      up: fc.boolean(),
      mtu: fc.constantFrom(1400, 1450),
      ha: fc.boolean(),
    });
    type Arb = { id: string; gw: boolean; ifaces: number[]; fips: string[]; snat: boolean; routes: string[]; up: boolean; mtu: number; ha: boolean };
    const build = (rs: Arb[]) =>
      desiredL3(
        [...new Map(rs.map((r) => [r.id, r])).values()].map((r) =>
          router(r.id, {
            gw: r.gw ? GW : null,
            ifaces: r.ifaces.map((i) => ({ ...ifaces[i], mtu: r.mtu })),
            fips: r.fips.map((f, i) => fip(`f${i}`, f, `10.0.1.${i + 5}`)),
            snat: r.snat,
            routes: r.routes.map((d) => ({ destination: d, nexthop: '10.0.1.9' })),
            up: r.up,
            ha: r.ha,
          }),
        ),
        L,
      );
    fc.assert(
      fc.property(fc.array(fc.array(arbRouter, { maxLength: 2 }), { minLength: 1, maxLength: 6 }), (steps) => {
        let host = empty();
        for (const step of steps) {
          const want = build(step);
          host = apply(host, planL3(want, host));
          assert.deepEqual(planL3(want, host), []);
          const ha = new Set([...want].filter(([, r]) => r.ha).map(([id]) => id));
          assert.deepEqual(comparable(host, ha).filter(([, r]) => (r as { hasNetns: boolean }).hasNetns), comparable(want, ha));
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('L3 NAT table', () => {
  it('floating IPs 1:1 before the gateway SNAT, which skips what came in DNATed; all on the gateway device', () => {
    assert.deepEqual(natRules({ gateway: 'qg-1', snatTo: '203.0.113.10', floatingIps: [{ floating: '203.0.113.20', fixed: '10.0.1.5' }] }), {
      prerouting: ['ip daddr 203.0.113.20 dnat to 10.0.1.5'],
      output: ['ip daddr 203.0.113.20 dnat to 10.0.1.5'],
      postrouting: ['oifname "qg-1" ip saddr 10.0.1.5 snat to 203.0.113.20', 'oifname "qg-1" ct status dnat accept', 'oifname "qg-1" snat to 203.0.113.10'],
    });
    assert.deepEqual(natRules({ gateway: 'qg-1', snatTo: null, floatingIps: [] }).postrouting, [], 'enable_snat false: no SNAT');
    assert.deepEqual(renderNat({ gateway: null, snatTo: null, floatingIps: [] }), { signature: '', script: ['add table ip nucleon-l3', 'delete table ip nucleon-l3'] });
  });

  it('the signature read back: whole, damaged (a rule missing) or absent', () => {
    const { signature } = renderNat({ gateway: 'qg-1', snatTo: '203.0.113.10', floatingIps: [] });
    const listing = (rules: number) => ({
      nftables: [
        { table: { family: 'ip', name: 'nucleon-l3' } },
        ...Array.from({ length: rules }, () => ({ rule: { family: 'ip', table: 'nucleon-l3', chain: 'postrouting' } })),
        { rule: { family: 'ip', table: 'nucleon-l3', chain: 'signature', comment: signature } },
      ],
    });
    assert.equal(parseNat(listing(2)), signature);
    assert.equal(parseNat(listing(1)), 'damaged');
    assert.equal(parseNat({ nftables: [] }), '');
  });
});

describe('L3 radvd and parsers', () => {
  it('radvd: flags per RA mode, MTU, DNS servers, prefixes', () => {
    const conf = renderRadvdConf(
      [
        { device: 'qr-b', mtu: 1450, subnets: [{ cidr: '2001:db8:2::/64', ipv6_ra_mode: 'dhcpv6-stateful', dns_nameservers: ['2001:db8::53', '192.0.2.53'] }] },
        { device: 'qr-a', mtu: 1500, subnets: [{ cidr: '2001:db8:1::/64', ipv6_ra_mode: 'slaac', dns_nameservers: [] }] },
      ],
      30,
      100,
    );
    assert.equal(
      conf,
      [
        '# written by nucleon-agent l3: changes are overwritten',
        'interface qr-a', '{', '  AdvSendAdvert on;', '  MinRtrAdvInterval 30;', '  MaxRtrAdvInterval 100;', '  AdvLinkMTU 1500;', '  prefix 2001:db8:1::/64', '  {', '    AdvOnLink on;', '    AdvAutonomous on;', '  };', '};',
        'interface qr-b', '{', '  AdvSendAdvert on;', '  MinRtrAdvInterval 30;', '  MaxRtrAdvInterval 100;', '  AdvLinkMTU 1450;', '  AdvManagedFlag on;', '  AdvOtherConfigFlag on;', '  RDNSS 2001:db8::53 {};', '  prefix 2001:db8:2::/64', '  {', '    AdvOnLink on;', '    AdvAutonomous off;', '  };', '};',
        '',
      ].join('\n'),
    );
  });

  it('route destinations as the kernel prints them', () => {
    assert.equal(routeDestination('0.0.0.0/0'), 'default');
    assert.equal(routeDestination('192.0.2.7/32'), '192.0.2.7');
    assert.equal(routeDestination('192.0.2.7/24'), '192.0.2.0/24');
    assert.equal(routeDestination('2001:DB8:0::/48'), '2001:db8::/48');
    assert.equal(routeDestination('nonsense'), null);
  });

  it('namespaces, devices and routes from ip -j', () => {
    assert.deepEqual([...parseRouterNamespaces([{ name: NS1 }, { name: `h2-qrouter-${R1}` }, { name: 'h1-qrouter-x' }], 'h1-')], [[R1, NS1]]);
    const devs = parseRouterDevices([
      { ifname: 'lo', addr_info: [{ local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
      { ifname: 'qg-1', address: 'FA:16:3E:00:00:01', mtu: 1500, addr_info: [{ local: '203.0.113.20', prefixlen: 32, scope: 'global' }, { local: '203.0.113.10', prefixlen: 24, scope: 'global' }, { local: 'fe80::1', prefixlen: 64, scope: 'link' }] },
    ]);
    assert.deepEqual([...devs], [['qg-1', { mac: 'fa:16:3e:00:00:01', mtu: 1500, addrs: ['203.0.113.10/24', '203.0.113.20/32'] }]]);
    assert.deepEqual(parseRoutes([{ dst: 'default', gateway: '203.0.113.1' }, { dst: '10.0.1.0/24' }, { dst: 'default', gateway: '2001:db8::1' }, { dst: 'ff00::/8', type: 'multicast' }]), [
      { dst: 'default', via: '203.0.113.1' },
      { dst: 'default', via: '2001:db8::1' },
    ]);
  });
});
