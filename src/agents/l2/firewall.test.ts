/** The security group firewall's planner: tables of have/want/commands, the rules it writes, reading nft's JSON back, random walks. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderArgv } from '../../linux/host-command.js';
import { applyFirewall, BASE_CHAINS, desiredFirewall, emptyFirewallState, nftScript, planFirewall, renderFirewall, renderFirewallBatch, type FirewallCommand, type FirewallState, type SecurityGroupInfo } from './firewall.js';
import { egressRules, ESTABLISHED, ingressRules, INVALID, linkLocal, renderRule, type FilteredPort, type SecurityGroupRule } from './firewall-rules.js';
import { parseFirewall } from './firewall-observe.js';

const PORT_1 = '11111111-1111-4111-8111-111111111111';
const PORT_2 = '22222222-2222-4222-8222-222222222222';
const PORT_3 = '33333333-3333-4333-8333-333333333333';
const NET_A = 'a0a0a0a0-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const NET_B = 'b0b0b0b0-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const WEB = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const ADMINS = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

const rule = (r: Partial<SecurityGroupRule>): SecurityGroupRule => ({
  direction: 'ingress', ethertype: 'IPv4', protocol: null, port_range_min: null, port_range_max: null, remote_ip_prefix: null, remote_group_id: null, ...r,
}); // prettier-ignore
const port = (id: string, ip: string, groups: string[], extra: Partial<FilteredPort> = {}): FilteredPort => ({
  port_id: id, network_id: NET_A, mac_address: `fa:16:3e:00:00:${id.slice(0, 2)}`, fixed_ips: [{ ip_address: ip }], port_security_enabled: true, security_groups: groups, ...extra,
}); // prettier-ignore
const EGRESS_ALL = [rule({ direction: 'egress' }), rule({ direction: 'egress', ethertype: 'IPv6' })];
const SSH_FROM_ADMINS = rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: ADMINS });

function info(ports: FilteredPort[], groups: Record<string, SecurityGroupRule[]>, members: Record<string, string[]> = {}): SecurityGroupInfo {
  return {
    devices: Object.fromEntries(ports.map((p) => [`tap${p.port_id.slice(0, 11)}`, p])),
    security_groups: groups,
    sg_member_ips: Object.fromEntries(Object.entries(members).map(([g, ips]) => [g, { IPv4: ips, IPv6: [] }])),
  };
}

/** A command in one line: what the tables compare. */
function summary(c: FirewallCommand): string {
  switch (c.op) {
    case 'sysctl':
      return `sysctl ${c.key}=${c.value}`;
    case 'base':
      return 'base';
    case 'tracking':
      return `tracking${c.add.map(([n, e]) => ` +${n}=${e}`).join('')}${c.del.map(([n, e]) => ` -${n}=${e}`).join('')}`;
    case 'zones':
      return `zones${c.add.map(([b, z]) => ` +${b}=${z}`).join('')}${c.del.map((b) => ` -${b}`).join('')}`;
    case 'set':
      return `set ${c.name}${c.create ? ' (new)' : ''}${c.add.map((e) => ` +${e}`).join('')}${c.del.map((e) => ` -${e}`).join('')}`;
    case 'port':
      return `port ${c.tap}: ${[...c.chains.map((ch) => ch.name), ...c.dispatch.map((d) => `+${d}`)].join(' ')}`;
    case 'del-port':
      return `del-port ${c.tap}: ${[...c.dispatch.map((d) => `-${d}`), ...c.chains].join(' ')}`;
    case 'del-set':
      return `del-set ${c.name}`;
  }
}

const web = { [WEB]: [...EGRESS_ALL, SSH_FROM_ADMINS, rule({ protocol: 'icmp' })], [ADMINS]: EGRESS_ALL };
const host = info([port(PORT_1, '10.0.0.11', [WEB]), port(PORT_2, '10.0.0.12', [ADMINS])], web, { [ADMINS]: ['10.0.0.12'] });
const converged = applyFirewall(emptyFirewallState(), planFirewall(desiredFirewall(host), emptyFirewallState()));

describe('security group firewall planner', () => {
  const cases: Array<{ name: string; have: FirewallState; want: FirewallState; commands: string[] }> = [
    {
      name: 'a fresh host: br_netfilter on, the tables, the member set, then one transaction per port',
      have: emptyFirewallState(),
      want: desiredFirewall(host),
      commands: [
        'sysctl net.bridge.bridge-nf-call-ip6tables=1',
        'sysctl net.bridge.bridge-nf-call-iptables=1',
        'base',
        'zones +brqa0a0a0a0-aa=1',
        'tracking +stateful-macs=fa:16:3e:00:00:11 +stateful-macs=fa:16:3e:00:00:22 +stateful-taps=tap11111111-11 +stateful-taps=tap22222222-22',
        `set sg-${ADMINS}-4 (new) +10.0.0.12`,
        'port tap11111111-11: egress-tap11111111-11 ingress-tap11111111-11 +egress tap11111111-11 +ingress tap11111111-11',
        'port tap22222222-22: egress-tap22222222-22 ingress-tap22222222-22 +egress tap22222222-22 +ingress tap22222222-22',
      ],
    },
    { name: 'nothing to do when the host already matches', have: converged, want: desiredFirewall(host), commands: [] },
    {
      name: 'a rule added to one group replaces the chain of its ports only, and only the direction it changed',
      have: converged,
      want: desiredFirewall({ ...host, security_groups: { ...web, [WEB]: [...web[WEB], rule({ protocol: 'tcp', port_range_min: 80, port_range_max: 80 })] } }),
      commands: ['port tap11111111-11: ingress-tap11111111-11'],
    },
    {
      name: 'a member joining a remote group changes its set, not a rule',
      have: converged,
      want: desiredFirewall({ ...host, sg_member_ips: { [ADMINS]: { IPv4: ['10.0.0.12', '10.0.0.13'] } } }),
      commands: [`set sg-${ADMINS}-4 +10.0.0.13`],
    },
    {
      name: 'a deleted port leaves nothing behind: its dispatch entries, its chains, and a set no rule names any more',
      have: converged,
      want: desiredFirewall(info([port(PORT_2, '10.0.0.12', [ADMINS])], { [ADMINS]: EGRESS_ALL })),
      commands: [
        'tracking -stateful-macs=fa:16:3e:00:00:11 -stateful-taps=tap11111111-11',
        'del-port tap11111111-11: -egress tap11111111-11 -ingress tap11111111-11 egress-tap11111111-11 ingress-tap11111111-11',
        `del-set sg-${ADMINS}-4`,
      ],
    },
    {
      name: 'port security turned off: that port is no longer filtered at all',
      have: converged,
      want: desiredFirewall({ ...host, devices: { ...host.devices, 'tap22222222-22': { ...port(PORT_2, '10.0.0.12', []), port_security_enabled: false } } }),
      commands: [
        'tracking -stateful-macs=fa:16:3e:00:00:22 -stateful-taps=tap22222222-22',
        'del-port tap22222222-22: -egress tap22222222-22 -ingress tap22222222-22 egress-tap22222222-22 ingress-tap22222222-22',
      ],
    },
    {
      name: 'a port moved to a stateless group: its tap and MAC change tracking set, both its chains are replaced (no reply shortcut any more)',
      have: converged,
      want: desiredFirewall({ ...host, security_groups: { ...web, [ADMINS]: EGRESS_ALL.map((r) => ({ ...r, stateful: false })) } }),
      commands: [
        'tracking +stateless-macs=fa:16:3e:00:00:22 +stateless-taps=tap22222222-22 -stateful-macs=fa:16:3e:00:00:22 -stateful-taps=tap22222222-22',
        'port tap22222222-22: egress-tap22222222-22 ingress-tap22222222-22',
      ],
    },
    {
      name: "a port on a second network: its bridge gets the lowest free conntrack zone; the last port of a network gone, its bridge's zone goes",
      have: { ...converged, zones: new Map([['brqa0a0a0a0-aa', 2], ['brqc0c0c0c0-cc', 1]]) },
      want: desiredFirewall({ ...host, devices: { ...host.devices, 'tap22222222-22': { ...port(PORT_2, '10.0.0.12', [ADMINS]), network_id: NET_B } } }),
      commands: ['zones +brqb0b0b0b0-bb=3 -brqc0c0c0c0-cc'],
    },
    {
      name: 'a chain altered behind our back (its signature no longer matches) is replaced; br_netfilter switched off is switched on',
      have: { ...converged, sysctls: new Map([...converged.sysctls, ['net.bridge.bridge-nf-call-iptables', '0']]), chains: new Map([...converged.chains, ['egress-tap22222222-22', '']]) },
      want: desiredFirewall(host),
      commands: ['sysctl net.bridge.bridge-nf-call-iptables=1', 'port tap22222222-22: egress-tap22222222-22'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cmds = planFirewall(c.want, c.have);
      assert.deepEqual(cmds.map(summary), c.commands);
      assert.deepEqual(planFirewall(c.want, applyFirewall(c.have, cmds)), [], 'a second pass has nothing to do');
    });
  }

  it('leaves a host with nothing to filter as it is: no sysctl, no table (an all-in-one server with no VM changes nothing)', () => {
    assert.deepEqual(planFirewall(desiredFirewall(info([], {})), emptyFirewallState()), []);
    const dhcpOnly = desiredFirewall(info([port(PORT_3, '10.0.0.2', [], { device_owner: 'network:dhcp' }), port(PORT_2, '10.0.0.3', [], { port_security_enabled: false })], {}));
    assert.deepEqual(planFirewall(dhcpOnly, emptyFirewallState()), []);
  });

  it('trusts network:* ports (DHCP, routers) as Neutron does: no filter', () => {
    const want = desiredFirewall(info([port(PORT_3, '10.0.0.2', [], { device_owner: 'network:dhcp' })], {}));
    assert.deepEqual([...want.chains.keys()], []);
  });

  it('renders one nft transaction per command, inside the namespace', () => {
    const [cmd] = planFirewall(desiredFirewall(host), { ...converged, chains: new Map([...converged.chains, ['ingress-tap11111111-11', '']]) });
    const { argv, input } = renderArgv(renderFirewall(cmd), 'hv1');
    assert.deepEqual(argv, ['ip', 'netns', 'exec', 'hv1', 'nft', '-f', '-']);
    const lines = input!.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['add chain bridge nucleon ingress-tap11111111-11', 'flush chain bridge nucleon ingress-tap11111111-11']);
    assert.ok(lines.includes(`add rule bridge nucleon ingress-tap11111111-11 ether type ip ip saddr @sg-${ADMINS}-4 meta l4proto 6 th dport 22 accept`));
    assert.match(lines[lines.length - 1], /^add rule bridge nucleon ingress-tap11111111-11 drop comment "nucleon \d+ [0-9a-f]{16}"$/);
    assert.deepEqual(renderArgv(renderFirewall({ op: 'sysctl', key: 'net.bridge.bridge-nf-call-iptables', value: '1' }), 'hv1').argv, ['ip', 'netns', 'exec', 'hv1', 'sysctl', '-w', 'net.bridge.bridge-nf-call-iptables=1']);
    assert.deepEqual(nftScript({ op: 'del-port', tap: 'tapx', chains: ['egress-tapx'], dispatch: ['egress tapx'] }), ['delete element bridge nucleon egress { "tapx" }', 'delete chain bridge nucleon egress-tapx']);
  });

  it('runs a whole plan as the sysctls and one nft transaction holding every change in plan order', () => {
    const cmds = planFirewall(desiredFirewall(host), emptyFirewallState());
    const batch = renderFirewallBatch(cmds).map((c) => renderArgv(c, 'hv1'));
    const sysctls = cmds.filter((c) => c.op === 'sysctl');
    assert.ok(sysctls.length > 0 && cmds.length > sysctls.length + 2);
    assert.equal(batch.length, sysctls.length + 1);
    assert.deepEqual(batch.slice(0, -1).map((b) => b.argv.at(-1)), sysctls.map((c) => `${(c as { key: string }).key}=${(c as { value: string }).value}`));
    const nft = batch.at(-1)!;
    assert.deepEqual(nft.argv, ['ip', 'netns', 'exec', 'hv1', 'nft', '-f', '-']);
    assert.equal(nft.input, `${cmds.flatMap((c) => (c.op === 'sysctl' ? [] : nftScript(c))).join('\n')}\n`);
    assert.deepEqual(renderFirewallBatch([]), [], 'nothing to do runs nothing');
  });

  it('converges from any host state to any wanted state, and then stays put', () => {
    const ids = [PORT_1, PORT_2, PORT_3];
    const arbInfo = fc.record({
      ports: fc.uniqueArray(fc.record({ i: fc.integer({ min: 0, max: 2 }), groups: fc.subarray([WEB, ADMINS]), secure: fc.boolean() }), { selector: (p) => p.i }),
      members: fc.subarray(['10.0.0.11', '10.0.0.12', '10.0.0.13']),
      ssh: fc.boolean(),
      stateless: fc.boolean(),
    });
    // WEB is stateful or stateless; a port in it is only ever in it, as the API allows no mix
    const build = (x: { ports: Array<{ i: number; groups: string[]; secure: boolean }>; members: string[]; ssh: boolean; stateless: boolean }) =>
      desiredFirewall(
        info(
          x.ports.map((p) => port(ids[p.i], `10.0.0.1${p.i}`, !p.secure ? [] : p.groups.includes(WEB) ? [WEB] : p.groups, { port_security_enabled: p.secure })),
          { [WEB]: (x.ssh ? [...EGRESS_ALL, SSH_FROM_ADMINS] : EGRESS_ALL).map((r) => ({ ...r, stateful: !x.stateless })), [ADMINS]: EGRESS_ALL },
          { [ADMINS]: x.members },
        ),
      );
    fc.assert(
      fc.property(arbInfo, arbInfo, fc.boolean(), (from, to, tampered) => {
        let have = applyFirewall(emptyFirewallState(), planFirewall(build(from), emptyFirewallState()));
        if (tampered) have = { ...have, base: false, chains: new Map([...have.chains].map(([k]) => [k, ''])) };
        const want = build(to);
        const after = applyFirewall(have, planFirewall(want, have));
        assert.deepEqual(planFirewall(want, after), []);
        assert.deepEqual(after.chains, want.chains);
        assert.deepEqual(after.dispatch, want.dispatch);
        assert.deepEqual(after.sets, want.sets);
        for (const name of new Set([...after.tracking.keys(), ...want.tracking.keys()])) assert.deepEqual(after.tracking.get(name) ?? new Set(), want.tracking.get(name) ?? new Set(), name);
        assert.deepEqual([...after.zones.keys()].sort(), [...want.zones.keys()].sort());
        assert.equal(new Set(after.zones.values()).size, after.zones.size, 'one zone per bridge');
      }),
      { numRuns: 300 },
    );
  });
});

describe('stateless security groups (stateful = false)', () => {
  const STATELESS = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
  const ssh = rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, stateful: false });
  const replies = rule({ direction: 'egress', protocol: 'tcp', stateful: false });
  const mixed = info([port(PORT_1, '10.0.0.11', [STATELESS]), port(PORT_2, '10.0.0.12', [ADMINS])], { [STATELESS]: [ssh, replies], [ADMINS]: EGRESS_ALL });
  const want = desiredFirewall(mixed);
  const chain = (name: string) => want.rules.get(name)!;

  it('gives a stateless port no reply shortcut: no rule reads the conntrack marks, so replies need rules of their own', () => {
    for (const dir of ['egress', 'ingress']) {
      assert.ok(!chain(`${dir}-tap11111111-11`).includes(ESTABLISHED), `${dir}: no replies allowed by mark`);
      assert.ok(!chain(`${dir}-tap11111111-11`).includes(INVALID), `${dir}: untracked packets are never invalid`);
      assert.ok(chain(`${dir}-tap22222222-22`).includes(ESTABLISHED) && chain(`${dir}-tap22222222-22`).includes(INVALID), `${dir}: the stateful port keeps both`);
    }
    assert.ok(chain('ingress-tap11111111-11').includes('ether type ip meta l4proto 6 th dport 22 accept'));
    assert.ok(chain('egress-tap11111111-11').includes('ether type ip meta l4proto 6 accept'), 'the egress rule the replies need');
  });

  it('still lets a stateless port do DHCP as a client, ARP and neighbour discovery, and keeps its anti-spoofing', () => {
    const stateful = { e: egressRules(mixed.devices['tap11111111-11'], mixed.security_groups[STATELESS]), i: ingressRules(mixed.security_groups[STATELESS]) };
    assert.deepEqual(chain('egress-tap11111111-11'), stateful.e.filter((r) => r !== ESTABLISHED && r !== INVALID));
    assert.deepEqual(chain('ingress-tap11111111-11'), stateful.i.filter((r) => r !== ESTABLISHED && r !== INVALID));
    for (const r of ['ether type ip udp sport 68 udp dport 67 accept', 'ether type ip udp sport 67 udp dport 68 drop', 'ether type ip6 meta l4proto 58 icmpv6 type 134 drop']) assert.ok(chain('egress-tap11111111-11').includes(r), r);
    assert.match(chain('egress-tap11111111-11')[0], /^ether saddr != \{ fa:16:3e:00:00:11 \} drop$/);
    for (const r of ['ether type arp accept', 'ether type ip udp sport 67 udp dport 68 accept', 'ether type ip6 udp sport 547 udp dport 546 accept']) assert.ok(chain('ingress-tap11111111-11').includes(r), r);
  });

  it("marks what a stateless port sends and is sent as untracked (its tap and MACs), except to and from this host's stateful ports", () => {
    assert.deepEqual(want.tracking, new Map([
      ['stateless-taps', new Set(['tap11111111-11'])], ['stateless-macs', new Set(['fa:16:3e:00:00:11'])],
      ['stateful-taps', new Set(['tap22222222-22'])], ['stateful-macs', new Set(['fa:16:3e:00:00:22'])],
    ])); // prettier-ignore
    const withPair = desiredFirewall(info([port(PORT_1, '10.0.0.11', [STATELESS], { allowed_address_pairs: [{ ip_address: '10.0.9.9', mac_address: 'fa:16:3e:99:99:99' }] })], { [STATELESS]: [ssh] }));
    assert.deepEqual(withPair.tracking.get('stateless-macs'), new Set(['fa:16:3e:00:00:11', 'fa:16:3e:99:99:99']), "an allowed address pair's MAC too");
    const base = nftScript({ op: 'base' });
    assert.ok(base.includes('add set bridge nucleon stateless-taps { type ifname; }') && base.includes('add set bridge nucleon stateful-macs { type ether_addr; }'));
    assert.ok(base.includes('add rule bridge nucleon untracked iifname @stateless-taps ether daddr != @stateful-macs meta mark set meta mark | 0x10000000'));
    assert.ok(base.includes('add rule bridge nucleon untracked ether daddr @stateless-macs iifname != @stateful-taps meta mark set meta mark | 0x10000000'));
    assert.ok(base.indexOf('add rule inet nucleon raw meta mark & 0x10000000 == 0x10000000 notrack accept') < base.indexOf('add rule inet nucleon raw ct zone set iifname map @zones'), 'notrack before a zone would make it tracked');
    const untracked = BASE_CHAINS.find((b) => b.name === 'untracked')!;
    assert.deepEqual([untracked.family, untracked.hook], ['bridge', 'prerouting']);
    assert.ok(untracked.prio < 0, "before br_netfilter's hook (bridge priority 0) runs the inet ones");
    const cmds = planFirewall(want, emptyFirewallState());
    assert.deepEqual(nftScript(cmds.find((c) => c.op === 'tracking') as FirewallCommand & { op: 'tracking' }), [
      'add element bridge nucleon stateful-macs { fa:16:3e:00:00:22 }',
      'add element bridge nucleon stateful-taps { "tap22222222-22" }',
      'add element bridge nucleon stateless-macs { fa:16:3e:00:00:11 }',
      'add element bridge nucleon stateless-taps { "tap11111111-11" }',
    ]);
  });

  it('converges: applying the plan leaves nothing to do, and a stateless port deleted leaves no element behind', () => {
    const after = applyFirewall(emptyFirewallState(), planFirewall(want, emptyFirewallState()));
    assert.deepEqual(planFirewall(want, after), []);
    const gone = desiredFirewall(info([port(PORT_2, '10.0.0.12', [ADMINS])], { [ADMINS]: EGRESS_ALL }));
    const cmds = planFirewall(gone, after);
    assert.deepEqual(cmds.map(summary).slice(0, 1), ['tracking -stateless-macs=fa:16:3e:00:00:11 -stateless-taps=tap11111111-11']);
    assert.deepEqual(planFirewall(gone, applyFirewall(after, cmds)), []);
    assert.equal(nftScript(cmds[0] as FirewallCommand & { op: 'tracking' })[0], 'delete element bridge nucleon stateless-macs { fa:16:3e:00:00:11 }');
  });
});

describe('security group rules as nftables statements', () => {
  it('renders protocols, port ranges, ICMP type and code, prefixes and remote groups', () => {
    assert.equal(renderRule(rule({ protocol: 'tcp', port_range_min: 1000, port_range_max: 2000, remote_ip_prefix: '192.0.2.0/24' }), 'ingress'), 'ether type ip ip saddr 192.0.2.0/24 meta l4proto 6 th dport 1000-2000 accept');
    assert.equal(renderRule(rule({ direction: 'egress', protocol: 'udp', port_range_min: 53, port_range_max: 53, remote_group_id: WEB }), 'egress'), `ether type ip ip daddr @sg-${WEB}-4 meta l4proto 17 th dport 53 accept`);
    assert.equal(renderRule(rule({ protocol: 'icmp', port_range_min: 8, port_range_max: 0 }), 'ingress'), 'ether type ip meta l4proto 1 icmp type 8 icmp code 0 accept');
    assert.equal(renderRule(rule({ ethertype: 'IPv6', protocol: 'icmp', port_range_min: 128 }), 'ingress'), 'ether type ip6 meta l4proto 58 icmpv6 type 128 accept');
    assert.equal(renderRule(rule({ protocol: '47' }), 'ingress'), 'ether type ip meta l4proto 47 accept');
    assert.equal(renderRule(rule({ ethertype: 'IPv6', remote_ip_prefix: '::/0' }), 'ingress'), 'ether type ip6 accept');
    assert.equal(renderRule(rule({ remote_address_group_id: 'x' }), 'ingress'), undefined);
  });

  it('lets a VM send only from its MAC and addresses (allowed address pairs too), DHCP as a client only', () => {
    const rules = egressRules(port(PORT_1, '10.0.0.11', [], { allowed_address_pairs: [{ ip_address: '10.0.9.0/24', mac_address: 'fa:16:3e:99:99:99' }] }), []);
    assert.equal(rules[0], 'ether saddr != { fa:16:3e:00:00:11, fa:16:3e:99:99:99 } drop');
    assert.ok(rules.includes('ether type ip ether saddr . ip saddr != { fa:16:3e:00:00:11 . 10.0.0.11, fa:16:3e:99:99:99 . 10.0.9.0/24 } drop'));
    assert.ok(rules.includes(`ether type ip6 ether saddr . ip6 saddr != { fa:16:3e:00:00:11 . ${linkLocal('fa:16:3e:00:00:11')}, fa:16:3e:99:99:99 . ${linkLocal('fa:16:3e:99:99:99')} } drop`));
    assert.ok(rules.indexOf('ether type ip udp sport 67 udp dport 68 drop') < rules.length - 1);
    assert.equal(linkLocal('fa:16:3e:00:00:11'), 'fe80::f816:3eff:fe00:11');
  });
});

describe('reading the firewall back from nft', () => {
  it('parses our tables: base, dispatch, member sets, chain signatures (a chain with a rule added is no longer ours)', () => {
    const want = desiredFirewall(host);
    const sigE = want.chains.get('egress-tap11111111-11')!;
    const n = Number(sigE.split(' ')[1]);
    const rules = (chain: string, count: number, comment: string) =>
      Array.from({ length: count }, (_, i) => ({ rule: { family: 'bridge', table: 'nucleon', chain, handle: i, ...(i === count - 1 ? { comment } : {}) } }));
    const ruleset = {
      nftables: [
        { metainfo: { version: '1.0.6' } },
        { table: { family: 'inet', name: 'nucleon' } },
        { map: { family: 'inet', table: 'nucleon', name: 'zones', type: 'ifname', map: 'integer', elem: [['brqa0a0a0a0-aa', 1]] } },
        { chain: { family: 'inet', table: 'nucleon', name: 'raw', hook: 'prerouting', prio: -300 } },
        { chain: { family: 'inet', table: 'nucleon', name: 'prerouting', hook: 'prerouting', prio: -150 } },
        ...rules('raw', 2, '').map((r) => ({ rule: { ...r.rule, family: 'inet' } })),
        ...rules('prerouting', 3, '').map((r) => ({ rule: { ...r.rule, family: 'inet' } })),
        { table: { family: 'bridge', name: 'nucleon' } },
        { table: { family: 'bridge', name: 'filter' } },
        { map: { family: 'bridge', table: 'nucleon', name: 'egress', type: 'ifname', map: 'verdict', elem: [['tap11111111-11', { jump: { target: 'egress-tap11111111-11' } }]] } },
        { map: { family: 'bridge', table: 'nucleon', name: 'ingress', type: 'ifname', map: 'verdict', elem: [['tap11111111-11', { jump: { target: 'ingress-tap11111111-11' } }]] } },
        { set: { family: 'bridge', table: 'nucleon', name: `sg-${ADMINS}-4`, type: 'ipv4_addr', elem: ['10.0.0.12'] } },
        { set: { family: 'bridge', table: 'nucleon', name: 'stateful-macs', type: 'ether_addr' } },
        { set: { family: 'bridge', table: 'nucleon', name: 'stateful-taps', type: 'ifname', elem: ['tap11111111-11'] } },
        { set: { family: 'bridge', table: 'nucleon', name: 'stateless-macs', type: 'ether_addr', elem: ['fa:16:3e:00:00:22'] } },
        { set: { family: 'bridge', table: 'nucleon', name: 'stateless-taps', type: 'ifname', elem: ['tap22222222-22'] } },
        { set: { family: 'bridge', table: 'nucleon', name: `sg-${WEB}-6`, type: 'ipv6_addr' } },
        { chain: { family: 'bridge', table: 'nucleon', name: 'prerouting', hook: 'prerouting', prio: 10 } },
        { chain: { family: 'bridge', table: 'nucleon', name: 'forward', hook: 'forward', prio: -10 } },
        { chain: { family: 'bridge', table: 'nucleon', name: 'untracked', hook: 'prerouting', prio: -300 } },
        ...rules('untracked', 3, ''),
        { chain: { family: 'bridge', table: 'filter', name: 'egress-tap11111111-11' } },
        { chain: { family: 'bridge', table: 'nucleon', name: 'egress-tap11111111-11' } },
        { chain: { family: 'bridge', table: 'nucleon', name: 'ingress-tap11111111-11' } },
        ...rules('prerouting', 1, ''),
        ...rules('forward', 1, ''),
        ...rules('egress-tap11111111-11', n, sigE),
        ...rules('ingress-tap11111111-11', 4, want.chains.get('ingress-tap11111111-11')!),
      ],
    };
    const s = parseFirewall(ruleset, new Map([['net.bridge.bridge-nf-call-iptables', '1']]));
    assert.equal(s.base, true);
    assert.deepEqual(s.chains, new Map([['egress-tap11111111-11', sigE], ['ingress-tap11111111-11', '']]));
    assert.deepEqual(s.dispatch, new Set(['egress tap11111111-11', 'ingress tap11111111-11']));
    assert.deepEqual(s.zones, new Map([['brqa0a0a0a0-aa', 1]]));
    assert.deepEqual(s.tracking, new Map([
      ['stateful-macs', new Set()], ['stateful-taps', new Set(['tap11111111-11'])],
      ['stateless-macs', new Set(['fa:16:3e:00:00:22'])], ['stateless-taps', new Set(['tap22222222-22'])],
    ])); // prettier-ignore
    assert.deepEqual(s.sets, new Map([[`sg-${ADMINS}-4`, { type: 'ipv4_addr', elements: new Set(['10.0.0.12']) }], [`sg-${WEB}-6`, { type: 'ipv6_addr', elements: new Set() }]]));
    assert.equal(parseFirewall({ nftables: ruleset.nftables.filter((o) => !('map' in o && o.map?.name === 'ingress')) }, new Map()).base, false, 'a missing dispatch map means the base needs making');
    const older = ruleset.nftables.filter((o) => !('set' in o && o.set?.name.startsWith('state')) && !('chain' in o && o.chain?.name === 'untracked') && !('rule' in o && o.rule?.chain === 'untracked'));
    assert.equal(parseFirewall({ nftables: older }, new Map()).base, false, 'a base from before stateless groups is made again');
  });
});
