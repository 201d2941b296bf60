/** Parsing what iproute2 prints (captured from a real namespace with a bridge, a VXLAN device and a tap). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseL2 } from './observe.js';
import { desiredL2, planL2 } from './plan.js';

// `ip -j -d link show` and `bridge -j fdb show` in that namespace, trimmed to the fields read
const LINKS = [
  {"ifname": "lo", "mtu": 65536},
  {"ifname": "brqaaaaaaaa-aa", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1450, "linkinfo": {"info_kind": "bridge"}},
  {"ifname": "vxlan-101", "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], "mtu": 1450, "master": "brqaaaaaaaa-aa", "linkinfo": {"info_kind": "vxlan", "info_data": {"id": 101, "local": "192.0.2.1"}}},
  {"ifname": "vmside", "mtu": 1500, "linkinfo": {"info_kind": "veth"}},
  {"ifname": "tap11111111-11", "mtu": 1500, "master": "brqaaaaaaaa-aa", "linkinfo": {"info_kind": "veth"}},
];
const FDB = [
  {"mac": "33:33:00:00:00:01", "ifname": "brqaaaaaaaa-aa", "flags": ["self"], "state": "permanent"},
  {"mac": "72:5b:1a:95:f3:27", "ifname": "vxlan-101", "flags": [], "master": "brqaaaaaaaa-aa", "state": "permanent"},
  {"mac": "00:00:00:00:00:00", "ifname": "vxlan-101", "dst": "192.0.2.2", "flags": ["self"], "state": "permanent"},
  {"mac": "33:33:00:00:00:01", "ifname": "vmside", "flags": ["self"], "state": "permanent"},
  {"mac": "56:e0:b3:85:6e:b2", "ifname": "tap11111111-11", "flags": [], "master": "brqaaaaaaaa-aa", "state": "permanent"},
  {"mac": "33:33:00:00:00:01", "ifname": "tap11111111-11", "flags": ["self"], "state": "permanent"},
];

describe('L2 observer', () => {
  it('reads our bridge, VXLAN device, tap memberships and flooding entries, and nothing else', () => {
    const s = parseL2(LINKS, FDB);
    assert.deepEqual([...s.bridges], [['brqaaaaaaaa-aa', { mtu: 1450 }]]);
    assert.deepEqual([...s.vxlans], [['vxlan-101', { vni: 101, local: '192.0.2.1', mtu: 1450 }]]);
    assert.equal(s.masters.get('tap11111111-11'), 'brqaaaaaaaa-aa');
    assert.equal(s.masters.get('vxlan-101'), 'brqaaaaaaaa-aa');
    assert.equal(s.masters.has('vmside'), false);
    assert.deepEqual([...s.floods], ['vxlan-101 192.0.2.2']);
    assert.deepEqual([...s.down], []);
  });

  it('reads VLAN subinterfaces of the mapped interfaces only (others are not ours)', () => {
    const links = [
      ...LINKS,
      { ifname: 'ul0', flags: ['UP'], mtu: 1500, linkinfo: { info_kind: 'veth' } },
      { ifname: 'ul0.120', flags: ['BROADCAST', 'MULTICAST', 'UP'], mtu: 1500, link: 'ul0', master: 'brqaaaaaaaa-aa', linkinfo: { info_kind: 'vlan', info_data: { id: 120 } } },
      { ifname: 'eth9.5', flags: ['UP'], mtu: 1500, link: 'eth9', linkinfo: { info_kind: 'vlan', info_data: { id: 5 } } },
    ];
    const s = parseL2(links, FDB, new Set(['ul0']));
    assert.deepEqual([...s.vlans], [['ul0.120', { parent: 'ul0', vid: 120, mtu: 1500 }]]);
    assert.equal(s.masters.get('ul0.120'), 'brqaaaaaaaa-aa');
  });

  it('notices a bridge left down (a pass that failed after making it) and plans to bring it up', () => {
    const links = LINKS.map((l) => (l.ifname === 'brqaaaaaaaa-aa' ? { ...l, flags: ['BROADCAST', 'MULTICAST'] } : l));
    const s = parseL2(links, FDB);
    assert.deepEqual([...s.down], ['brqaaaaaaaa-aa']);
    const port = { id: '11111111-1111-4111-8111-111111111111', network_id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', network_type: 'vxlan', segmentation_id: 101, mtu: 1450 };
    const want = desiredL2([port], new Set(['tap11111111-11']), '192.0.2.1', new Map([[101, ['192.0.2.1', '192.0.2.2']]]));
    assert.deepEqual(planL2(want, s), [{ op: 'set-up', name: 'brqaaaaaaaa-aa' }]);
  });

  it('that host needs nothing more for its port', () => {
    const port = { id: '11111111-1111-4111-8111-111111111111', network_id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', network_type: 'vxlan', segmentation_id: 101, mtu: 1450 };
    const want = desiredL2([port], new Set(['tap11111111-11']), '192.0.2.1', new Map([[101, ['192.0.2.1', '192.0.2.2']]]));
    assert.deepEqual(planL2(want, parseL2(LINKS, FDB)), []);
  });
});
