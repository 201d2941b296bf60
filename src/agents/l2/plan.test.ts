/** The Linux bridge agent's planner: tables of have/want/commands, then random walks that must converge. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { renderArgv } from '../../linux/host-command.js';
import { applyL2, desiredL2, emptyL2State, parseMappings, planL2, renderL2, vlanName, type BoundPort, type L2HostState } from './plan.js';

const NET_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const NET_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const PORT_1 = '11111111-1111-4111-8111-111111111111';
const PORT_2 = '22222222-2222-4222-8222-222222222222';
const port = (id: string, net: string, vni: number, mtu = 1450): BoundPort => ({ id, network_id: net, network_type: 'vxlan', segmentation_id: vni, mtu });
const state = (p: Partial<L2HostState>): L2HostState => ({ ...emptyL2State(), ...p });

describe('L2 planner', () => {
  const cases: Array<{ name: string; have: L2HostState; want: L2HostState; commands: string[] }> = [
    {
      name: 'a first port: bridge, VXLAN device joined to it, the tap joined, links up, flooding to the peer',
      have: state({ masters: new Map([['tap11111111-11', null]]) }),
      want: desiredL2([port(PORT_1, NET_A, 101)], new Set(['tap11111111-11']), '192.0.2.1', new Map([[101, ['192.0.2.1', '192.0.2.2']]])),
      commands: [
        'ip link add brqaaaaaaaa-aa mtu 1450 type bridge',
        'ip link add vxlan-101 mtu 1450 type vxlan id 101 local 192.0.2.1 dstport 4789 nolearning',
        'ip link set tap11111111-11 master brqaaaaaaaa-aa',
        'ip link set vxlan-101 master brqaaaaaaaa-aa',
        'ip link set brqaaaaaaaa-aa up',
        'ip link set vxlan-101 up',
        'bridge fdb append 00:00:00:00:00:00 dev vxlan-101 dst 192.0.2.2',
      ],
    },
    {
      name: 'nothing to do when the host already matches',
      have: state({
        bridges: new Map([['brqaaaaaaaa-aa', { mtu: 1450 }]]),
        vxlans: new Map([['vxlan-101', { vni: 101, local: '192.0.2.1', mtu: 1450 }]]),
        masters: new Map([
          ['tap11111111-11', 'brqaaaaaaaa-aa'],
          ['vxlan-101', 'brqaaaaaaaa-aa'],
        ]),
        floods: new Set(['vxlan-101 192.0.2.2']),
      }),
      want: desiredL2([port(PORT_1, NET_A, 101)], new Set(['tap11111111-11']), '192.0.2.1', new Map([[101, ['192.0.2.2']]])),
      commands: [],
    },
    {
      name: 'the last port of a network gone: its bridge and VXLAN device are deleted, a foreign link is left alone',
      have: state({
        bridges: new Map([
          ['brqaaaaaaaa-aa', { mtu: 1450 }],
          ['br-ex', { mtu: 1500 }],
        ]),
        vxlans: new Map([['vxlan-101', { vni: 101, local: '192.0.2.1', mtu: 1450 }]]),
        masters: new Map([['vxlan-101', 'brqaaaaaaaa-aa']]),
        floods: new Set(['vxlan-101 192.0.2.2']),
      }),
      want: emptyL2State(),
      commands: ['ip link del brqaaaaaaaa-aa', 'ip link del vxlan-101'],
    },
    {
      name: 'a changed MTU and a peer that left: set the MTU, drop its flooding entry',
      have: state({
        bridges: new Map([['brqaaaaaaaa-aa', { mtu: 1500 }]]),
        vxlans: new Map([['vxlan-101', { vni: 101, local: '192.0.2.1', mtu: 1450 }]]),
        masters: new Map([['vxlan-101', 'brqaaaaaaaa-aa']]),
        floods: new Set(['vxlan-101 192.0.2.2', 'vxlan-101 192.0.2.3']),
      }),
      want: desiredL2([port(PORT_1, NET_A, 101)], new Set(), '192.0.2.1', new Map([[101, ['192.0.2.3']]])),
      commands: ['ip link set brqaaaaaaaa-aa mtu 1450', 'bridge fdb del 00:00:00:00:00:00 dev vxlan-101 dst 192.0.2.2'],
    },
    {
      name: 'a tunnel address that changed: the VXLAN device is made again, with its membership and entries',
      have: state({
        bridges: new Map([['brqaaaaaaaa-aa', { mtu: 1450 }]]),
        vxlans: new Map([['vxlan-101', { vni: 101, local: '192.0.2.9', mtu: 1450 }]]),
        masters: new Map([['vxlan-101', 'brqaaaaaaaa-aa']]),
        floods: new Set(['vxlan-101 192.0.2.2']),
      }),
      want: desiredL2([port(PORT_1, NET_A, 101)], new Set(), '192.0.2.1', new Map([[101, ['192.0.2.2']]])),
      commands: [
        'ip link del vxlan-101',
        'ip link add vxlan-101 mtu 1450 type vxlan id 101 local 192.0.2.1 dstport 4789 nolearning',
        'ip link set vxlan-101 master brqaaaaaaaa-aa',
        'ip link set vxlan-101 up',
        'bridge fdb append 00:00:00:00:00:00 dev vxlan-101 dst 192.0.2.2',
      ],
    },
    {
      name: 'a tap on another bridge is moved to its network\'s; a port whose tap is not plugged yet gets only its bridge',
      have: state({
        bridges: new Map([['brqaaaaaaaa-aa', { mtu: 1450 }]]),
        masters: new Map([['tap11111111-11', 'brqaaaaaaaa-aa']]),
      }),
      want: desiredL2([{ ...port(PORT_1, NET_B, 0), network_type: 'local', segmentation_id: null }, { ...port(PORT_2, NET_B, 0), network_type: 'local', segmentation_id: null }], new Set(['tap11111111-11']), '192.0.2.1', new Map()),
      commands: ['ip link add brqbbbbbbbb-bb mtu 1450 type bridge', 'ip link set tap11111111-11 master brqbbbbbbbb-bb', 'ip link set brqbbbbbbbb-bb up', 'ip link del brqaaaaaaaa-aa'],
    },
    {
      name: 'unicast entries per remote port (l2population): added, a moved MAC replaced, a gone port removed',
      have: state({
        bridges: new Map([['brqaaaaaaaa-aa', { mtu: 1450 }]]),
        vxlans: new Map([['vxlan-101', { vni: 101, local: '192.0.2.1', mtu: 1450 }]]),
        masters: new Map([['vxlan-101', 'brqaaaaaaaa-aa']]),
        floods: new Set(['vxlan-101 192.0.2.2', 'vxlan-101 192.0.2.3']),
        fdb: new Set(['vxlan-101 fa:16:3e:00:00:02 192.0.2.2', 'vxlan-101 fa:16:3e:00:00:09 192.0.2.3']),
      }),
      want: desiredL2([port(PORT_1, NET_A, 101)], new Set(), '192.0.2.1', new Map([[101, ['192.0.2.2', '192.0.2.3']]]), {
        remote: new Map([
          [
            101,
            [
              { mac: 'fa:16:3e:00:00:02', dst: '192.0.2.3' },
              { mac: 'fa:16:3e:00:00:03', dst: '192.0.2.2' },
            ],
          ],
        ]),
      }),
      commands: [
        'bridge fdb del fa:16:3e:00:00:09 dev vxlan-101 dst 192.0.2.3',
        'bridge fdb replace fa:16:3e:00:00:02 dev vxlan-101 dst 192.0.2.3',
        'bridge fdb replace fa:16:3e:00:00:03 dev vxlan-101 dst 192.0.2.2',
      ],
    },
    {
      name: 'a flat network through physical_interface_mappings: its bridge with the interface joined; through bridge_mappings: the existing bridge',
      have: state({ bridges: new Map([['br-prov', { mtu: 1500 }]]), masters: new Map([['tap11111111-11', null], ['tap22222222-22', null], ['ext0', null]]) }),
      want: desiredL2(
        [
          { ...port(PORT_1, NET_A, 0, 1500), network_type: 'flat', segmentation_id: null, physical_network: 'public' },
          { ...port(PORT_2, NET_B, 0, 1500), network_type: 'flat', segmentation_id: null, physical_network: 'prov' },
        ],
        new Set(['tap11111111-11', 'tap22222222-22']),
        '192.0.2.1',
        new Map(),
        { mappings: { interfaces: { public: 'ext0' }, bridges: { prov: 'br-prov' } } },
      ),
      commands: [
        'ip link add brqaaaaaaaa-aa mtu 1500 type bridge',
        'ip link set ext0 master brqaaaaaaaa-aa',
        'ip link set tap11111111-11 master brqaaaaaaaa-aa',
        'ip link set tap22222222-22 master br-prov',
        'ip link set brqaaaaaaaa-aa up',
      ],
    },
    {
      name: 'a vlan network through physical_interface_mappings: its bridge with the VLAN subinterface joined; a stale one of a mapped interface removed',
      have: state({
        vlans: new Map([['ul0.99', { parent: 'ul0', vid: 99, mtu: 1500 }]]),
        masters: new Map([['tap11111111-11', null], ['ul0.99', null]]),
      }),
      want: desiredL2([{ ...port(PORT_1, NET_A, 0, 1500), network_type: 'vlan', segmentation_id: 120, physical_network: 'physnet1' }], new Set(['tap11111111-11']), '192.0.2.1', new Map(), {
        mappings: { interfaces: { physnet1: 'ul0' }, bridges: {} },
      }),
      commands: [
        'ip link add brqaaaaaaaa-aa mtu 1500 type bridge',
        'ip link add link ul0 name ul0.120 mtu 1500 type vlan id 120',
        'ip link set tap11111111-11 master brqaaaaaaaa-aa',
        'ip link set ul0.120 master brqaaaaaaaa-aa',
        'ip link set brqaaaaaaaa-aa up',
        'ip link set ul0.120 up',
        'ip link del ul0.99',
      ],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cmds = planL2(c.want, c.have);
      assert.deepEqual(cmds.map((x) => renderArgv(renderL2(x)).argv.join(' ')), c.commands);
      const after = applyL2(c.have, cmds);
      assert.deepEqual(planL2(c.want, after), [], 'a second pass has nothing to do');
    });
  }

  it('names VLAN subinterfaces as Neutron does, within 15 characters', () => {
    assert.equal(vlanName('eth1', 100), 'eth1.100');
    assert.equal(vlanName('enp129s0f1np1', 4094), 'enp129s0f1.4094');
  });

  it('reads physnet:name mappings and refuses bad ones, naming the option', () => {
    assert.deepEqual(parseMappings(['public:ext0', 'prov:br-prov'], 'x'), { public: 'ext0', prov: 'br-prov' });
    assert.throws(() => parseMappings(['public'], 'physical_interface_mappings'), /physical_interface_mappings: 'public' is not physnet:name/);
    assert.throws(() => parseMappings(['a:averyveryverylongname'], 'bridge_mappings'), /at most 15 characters/);
    assert.throws(() => parseMappings(['a:x', 'a:y'], 'bridge_mappings'), /mapped twice/);
  });

  it('renders commands inside a namespace', () => {
    assert.deepEqual(renderArgv(renderL2({ op: 'set-up', name: 'vxlan-7' }), 'hv1').argv, ['ip', '-n', 'hv1', 'link', 'set', 'vxlan-7', 'up']);
    assert.deepEqual(renderArgv(renderL2({ op: 'add-flood', dev: 'vxlan-7', dst: '10.0.0.2' }), 'hv1').argv, ['ip', 'netns', 'exec', 'hv1', 'bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vxlan-7', 'dst', '10.0.0.2']);
  });

  it('converges from any host state to any wanted state, and then stays put', () => {
    const nets = [NET_A, NET_B, 'cccccccc-cccc-4ccc-8ccc-cccccccccccc'];
    const portIds = [PORT_1, PORT_2, '33333333-3333-4333-8333-333333333333', '44444444-4444-4444-8444-444444444444'];
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    const macs = ['fa:16:3e:00:00:01', 'fa:16:3e:00:00:02', 'fa:16:3e:00:00:03'];
    const arbPort = fc.record({
      id: fc.constantFrom(...portIds),
      network: fc.integer({ min: 0, max: 2 }),
      mtu: fc.constantFrom(1450, 1500),
    });
    const arbHave = fc.record({
      bridges: fc.uniqueArray(fc.record({ net: fc.integer({ min: 0, max: 2 }), mtu: fc.constantFrom(1450, 1500), up: fc.boolean() }), { selector: (b) => b.net }),
      vxlans: fc.uniqueArray(fc.record({ net: fc.integer({ min: 0, max: 2 }), local: fc.constantFrom(...ips), mtu: fc.constantFrom(1450, 1500) }), { selector: (v) => v.net }),
      taps: fc.uniqueArray(fc.record({ port: fc.integer({ min: 0, max: 3 }), master: fc.option(fc.integer({ min: 0, max: 2 })) }), { selector: (t) => t.port }),
      floods: fc.array(fc.record({ net: fc.integer({ min: 0, max: 2 }), dst: fc.constantFrom(...ips) })),
      fdb: fc.array(fc.record({ net: fc.integer({ min: 0, max: 2 }), mac: fc.constantFrom(...macs), dst: fc.constantFrom(...ips) })),
    });
    const arbRemote = fc.array(fc.record({ net: fc.integer({ min: 0, max: 2 }), mac: fc.constantFrom(...macs), dst: fc.constantFrom(...ips) }));
    fc.assert(
      fc.property(arbHave, fc.array(arbPort, { maxLength: 4 }), fc.constantFrom(...ips), arbRemote, (h, ps, local, rs) => {
        const have = emptyL2State();
        for (const b of h.bridges) {
          have.bridges.set(`brq${nets[b.net].slice(0, 11)}`, { mtu: b.mtu });
          if (!b.up) have.down.add(`brq${nets[b.net].slice(0, 11)}`); // left down by a pass that failed
        }
        for (const v of h.vxlans) {
          have.vxlans.set(`vxlan-${100 + v.net}`, { vni: 100 + v.net, local: v.local, mtu: v.mtu });
          have.masters.set(`vxlan-${100 + v.net}`, null);
        }
        for (const t of h.taps) {
          const br = t.master === null ? null : `brq${nets[t.master].slice(0, 11)}`;
          have.masters.set(`tap${portIds[t.port].slice(0, 11)}`, br && have.bridges.has(br) ? br : null);
        }
        for (const f of h.floods) if (have.vxlans.has(`vxlan-${100 + f.net}`)) have.floods.add(`vxlan-${100 + f.net} ${f.dst}`);
        // the kernel keeps one unicast entry per MAC and device
        const seen = new Set<string>();
        for (const f of h.fdb) if (have.vxlans.has(`vxlan-${100 + f.net}`) && !seen.has(`${f.net} ${f.mac}`)) {
          seen.add(`${f.net} ${f.mac}`);
          have.fdb.add(`vxlan-${100 + f.net} ${f.mac} ${f.dst}`);
        }
        // a MAC is behind one host per network
        const remote = new Map<number, Array<{ mac: string; dst: string }>>();
        const placed = new Set<string>();
        for (const r of rs) if (!placed.has(`${r.net} ${r.mac}`)) {
          placed.add(`${r.net} ${r.mac}`);
          remote.set(100 + r.net, [...(remote.get(100 + r.net) ?? []), { mac: r.mac, dst: r.dst }]);
        }
        // one network per port id, as in reality
        const bound = new Map<string, BoundPort>();
        for (const p of ps) bound.set(p.id, port(p.id, nets[p.network], 100 + p.network, p.mtu));
        // a network has one MTU
        const mtus = new Map<string, number>();
        const ports = [...bound.values()].map((p) => ({ ...p, mtu: mtus.get(p.network_id) ?? (mtus.set(p.network_id, p.mtu), p.mtu) }));
        const taps = new Set([...have.masters.keys()].filter((k) => k.startsWith('tap')));
        const want = desiredL2(ports, taps, local, new Map(ips.map((_, i) => [100 + i, ips])), { remote });
        const after = applyL2(have, planL2(want, have));
        assert.deepEqual(planL2(want, after), []);
        assert.deepEqual(new Map([...after.bridges].filter(([k]) => k.startsWith('brq'))), want.bridges);
        assert.deepEqual(after.vxlans, want.vxlans);
        for (const [dev, master] of want.masters) assert.equal(after.masters.get(dev), master);
        assert.deepEqual(after.floods, want.floods);
        assert.deepEqual(after.fdb, want.fdb);
        for (const name of [...want.bridges.keys(), ...want.vxlans.keys()]) assert.ok(!after.down.has(name), `${name} is up`);
      }),
      { numRuns: 300 },
    );
  });
});
