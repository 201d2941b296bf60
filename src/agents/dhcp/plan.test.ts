/** The DHCP agent's planner: tables of have/want/commands; applying a plan reaches `want`, and a second plan is empty. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderArgv } from '../../linux/host-command.js';
import { applyDhcpModel, desiredDhcp, planDhcp, planDhcpByNetwork, renderDhcp, type DhcpCommand, type DhcpHostState, type DhcpLayout } from './plan.js';
import { parseCmdline, parseNamespaces, parseDhcpDevices } from './observe.js';
import type { DhcpNetwork, DhcpPort } from './render.js';

const NET_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const NET_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const SUB_A = 'a4444444-4444-4444-8444-444444444444';
const SUB_B = 'b4444444-4444-4444-8444-444444444444';
const L: DhcpLayout = { prefix: 'h1-', stateDir: '/s/dhcp', domain: 'openstacklocal', leaseDuration: 86400 };
const NS_A = `h1-qdhcp-${NET_A}`;

const dhcpPort = (id: string, subnet: string, ip: string, mac = 'fa:16:3e:00:00:02'): DhcpPort => ({ id, mac_address: mac, fixed_ips: [{ subnet_id: subnet, ip_address: ip }], device_owner: 'network:dhcp' });
const network = (id: string, subnet: string, cidr: string, ports: DhcpPort[], mtu = 1450): DhcpNetwork => ({
  id,
  mtu,
  subnets: [{ id: subnet, cidr, ip_version: 4, gateway_ip: cidr.replace(/0\/\d+$/, '1'), enable_dhcp: true, dns_nameservers: [], host_routes: [] }],
  ports,
});
const P1 = dhcpPort('11111111-1111-4111-8111-111111111111', SUB_A, '10.0.0.2');
const VM = { id: '99999999-9999-4999-8999-999999999999', mac_address: 'fa:16:3e:00:00:09', fixed_ips: [{ subnet_id: SUB_A, ip_address: '10.0.0.9' }] };
const netA = (ports: DhcpPort[] = [P1, VM], mtu = 1450) => network(NET_A, SUB_A, '10.0.0.0/24', ports, mtu);
const want = (nets: DhcpNetwork[], ports: DhcpPort[]) =>
  desiredDhcp(
    nets,
    new Map(ports.map((p) => [nets.find((n) => n.ports.some((q) => q.id === p.id) || n.subnets.some((s) => s.id === p.fixed_ips[0].subnet_id))!.id, p])),
    L,
  );
const empty = (): DhcpHostState => new Map();
/** A host where `state` was applied and dnsmasq got pid 1000. */
const converged = (state: DhcpHostState) => applyDhcpModel(empty(), planDhcp(state, empty()));
const argv = (cmds: DhcpCommand[]) => cmds.map((c) => (c.op === 'write-file' || c.op === 'remove-dir' ? [c.op, c.path] : renderArgv(renderDhcp(c), 'h1').argv)).map((a) => a.join(' '));

describe('DHCP planner', () => {
  it('a first network: namespace, veth with the port’s MAC and MTU, address, files, then dnsmasq', () => {
    const w = want([netA()], [P1]);
    const cmds = argv(planDhcp(w, empty()));
    const dnsmasq = `ip netns exec ${NS_A} dnsmasq --no-hosts --no-resolv --pid-file=/s/dhcp/${NET_A}/pid`;
    assert.deepEqual(cmds.slice(0, 7), [
      `ip netns add ${NS_A}`,
      `ip -n h1 link add tap11111111-11 mtu 1450 type veth peer name ns-11111111-11 address fa:16:3e:00:00:02 mtu 1450 netns ${NS_A}`,
      'ip -n h1 link set tap11111111-11 up',
      `ip -n ${NS_A} link set ns-11111111-11 up`,
      `ip -n ${NS_A} addr add 10.0.0.2/24 dev ns-11111111-11`,
      `write-file /s/dhcp/${NET_A}/host`,
      `write-file /s/dhcp/${NET_A}/opts`,
    ]);
    assert.equal(cmds.length, 8);
    assert.ok(cmds[7].startsWith(dnsmasq), cmds[7]);
  });

  const cases: Array<{ name: string; have: () => DhcpHostState; want: DhcpHostState; commands: string[] }> = [
    { name: 'nothing to do when the host matches', have: () => converged(want([netA()], [P1])), want: want([netA()], [P1]), commands: [] },
    {
      name: 'a port’s address changed: the hosts file is written and dnsmasq reloaded with SIGHUP',
      have: () => converged(want([netA()], [P1])),
      want: want([netA([P1, { ...VM, fixed_ips: [{ subnet_id: SUB_A, ip_address: '10.0.0.10' }] }])], [P1]),
      commands: [`write-file /s/dhcp/${NET_A}/host`, 'kill -HUP 1000'],
    },
    {
      name: 'dnsmasq died: started again, files untouched',
      have: () => {
        const h = converged(want([netA()], [P1]));
        h.get(NET_A)!.process = null;
        return h;
      },
      want: want([netA()], [P1]),
      commands: [`ip netns exec ${NS_A} dnsmasq`],
    },
    {
      name: 'the MTU changed: the device is set, the options rewritten, dnsmasq reloaded',
      have: () => converged(want([netA()], [P1])),
      want: want([netA([P1, VM], 1400)], [P1]),
      commands: [`ip -n ${NS_A} link set ns-11111111-11 address fa:16:3e:00:00:02 mtu 1400`, `write-file /s/dhcp/${NET_A}/opts`, 'kill -HUP 1000'],
    },
    {
      name: 'the DHCP port got another address: the address is replaced and dnsmasq restarted (it binds at start)',
      have: () => converged(want([netA()], [P1])),
      want: want([netA([{ ...P1, fixed_ips: [{ subnet_id: SUB_A, ip_address: '10.0.0.3' }] }, VM])], [{ ...P1, fixed_ips: [{ subnet_id: SUB_A, ip_address: '10.0.0.3' }] }]),
      commands: [
        `ip -n ${NS_A} addr add 10.0.0.3/24 dev ns-11111111-11`,
        `ip -n ${NS_A} addr del 10.0.0.2/24 dev ns-11111111-11`,
        `write-file /s/dhcp/${NET_A}/host`,
        `write-file /s/dhcp/${NET_A}/opts`,
        'kill -TERM 1000',
        `ip netns exec ${NS_A} dnsmasq`,
      ],
    },
    {
      name: 'the network left the host: dnsmasq stopped, device and namespace deleted, state removed; another network is left alone',
      have: () => converged(want([netA(), network(NET_B, SUB_B, '10.1.0.0/24', [])], [P1, dhcpPort('22222222-2222-4222-8222-222222222222', SUB_B, '10.1.0.2')])),
      want: want([network(NET_B, SUB_B, '10.1.0.0/24', [])], [dhcpPort('22222222-2222-4222-8222-222222222222', SUB_B, '10.1.0.2')]),
      commands: ['kill -TERM 1000', `ip -n ${NS_A} link del ns-11111111-11`, `ip netns del ${NS_A}`, `remove-dir /s/dhcp/${NET_A}`],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const have = c.have();
      const cmds = planDhcp(c.want, have);
      const got = argv(cmds).map((a) => (a.startsWith('ip netns exec') ? a.split(' ').slice(0, 5).join(' ') : a));
      assert.deepEqual(got, c.commands);
      assert.deepEqual(planDhcp(c.want, applyDhcpModel(have, cmds)), [], 'a second plan after applying is empty');
    });
  }

  it('random walks between hosted sets converge: after each plan the next plan is empty; planned network by network, the plan is the same', () => {
    const nets = [0, 1, 2].map((i) => {
      const id = `${i}${NET_A.slice(1)}`;
      const sub = `${i}${SUB_A.slice(1)}`;
      const port = dhcpPort(`${i}${P1.id.slice(1)}`, sub, `10.${i}.0.2`, `fa:16:3e:00:00:0${i}`);
      return { net: network(id, sub, `10.${i}.0.0/24`, [port]), port };
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.subarray([0, 1, 2]), fc.integer({ min: 1300, max: 1500 }), fc.boolean()), { minLength: 1, maxLength: 6 }), (steps) => {
        let host = empty();
        for (const [chosen, mtu, killed] of steps) {
          if (killed) for (const n of host.values()) n.process = null; // dnsmasq died between passes
          const w = desiredDhcp(
            chosen.map((i) => ({ ...nets[i].net, mtu })),
            new Map(chosen.map((i) => [nets[i].net.id, nets[i].port])),
            L,
          );
          const plan = planDhcp(w, host);
          assert.deepEqual(planDhcpByNetwork(w, host).flatMap((p) => p.cmds), plan);
          host = applyDhcpModel(host, plan);
          assert.deepEqual(planDhcp(w, host), []);
          assert.deepEqual([...host.keys()].sort(), chosen.map((i) => nets[i].net.id).sort());
        }
      }),
    );
  });
});

describe('DHCP observation parsing', () => {
  it('namespaces: only this prefix’s qdhcp ones', () => {
    const got = parseNamespaces([{ name: NS_A }, { name: `h2-qdhcp-${NET_B}` }, { name: `qdhcp-${NET_B}` }, { name: 'h1-hv1' }], 'h1-');
    assert.deepEqual([...got], [[NET_A, NS_A]]);
  });

  it('devices: ns- links with MAC, MTU and global addresses (no link-local)', () => {
    const got = parseDhcpDevices([
      { ifname: 'lo', address: '00:00:00:00:00:00', mtu: 65536, addr_info: [{ local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
      {
        ifname: 'ns-11111111-11',
        address: 'FA:16:3E:00:00:02',
        mtu: 1450,
        addr_info: [
          { local: '10.0.0.2', prefixlen: 24, family: 'inet', scope: 'global' },
          { local: 'fe80::1', prefixlen: 64, family: 'inet6', scope: 'link' },
          { local: '2001:db8::2', prefixlen: 64, family: 'inet6', scope: 'global' },
        ],
      },
    ]);
    assert.deepEqual([...got], [['ns-11111111-11', { mac: 'fa:16:3e:00:00:02', mtu: 1450, addrs: ['10.0.0.2/24', '2001:db8::2/64'] }]]);
  });

  it('a pid is our dnsmasq only when its command line is dnsmasq with our pid file', () => {
    assert.deepEqual(parseCmdline('dnsmasq\0--pid-file=/s/n/pid\0--bind-interfaces\0', '/s/n'), ['dnsmasq', '--pid-file=/s/n/pid', '--bind-interfaces']);
    assert.equal(parseCmdline('dnsmasq\0--pid-file=/s/other/pid\0', '/s/n'), null);
    assert.equal(parseCmdline('sleep\x00100\x00', '/s/n'), null);
    assert.equal(parseCmdline('', '/s/n'), null);
  });
});
