/**
 * The lab's pure half, without root: which options are refused, each host's agent configuration,
 * the commands that build the outside world and cut a host off, the outside routes, and the order
 * `down` deletes namespaces in. The commands themselves run in test/e2e/lab.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkOptions,
  desiredOutside,
  isHostNamespace,
  networkNodes,
  parseNetworkNodes,
  planNamespaceRemoval,
  renderAgentConfig,
  renderExternalLink,
  renderHostLinks,
  renderOutside,
  renderOutsideRoute,
  type LabOptions,
  type LabState,
} from './lab.js';

const OPTS: LabOptions = { prefix: 'lab', hypervisors: ['hv1', 'hv2'], networkNodes: ['net1', 'net2'], transportUrl: 'rabbit://guest:guest@127.0.0.1:5672/', stateDir: '/run/nucleon-lab/lab', reportInterval: 5 };
const STATE: Pick<LabState, 'prefix' | 'hosts' | 'outside'> = {
  prefix: 'lab',
  hosts: {
    hv1: { namespace: 'lab-hv1', underlayIp: '198.18.0.1', role: 'compute' },
    net1: { namespace: 'lab-net1', underlayIp: '198.18.0.2', role: 'network' },
    net2: { namespace: 'lab-net2', underlayIp: '198.18.0.3', role: 'network' },
  },
  outside: desiredOutside('lab'),
};
const lines = (cmds: string[][]) => cmds.map((c) => c.join(' '));

describe('nucleon-lab options', () => {
  it('takes several network nodes, and --network-node as the one-node spelling', () => {
    assert.deepEqual(parseNetworkNodes(undefined, 'net1, net2'), ['net1', 'net2']);
    assert.deepEqual(parseNetworkNodes('netx', undefined), ['netx']);
    assert.deepEqual(parseNetworkNodes(undefined, undefined), ['net1']);
    assert.throws(() => parseNetworkNodes('net1', 'net1,net2'), /not both/);
    checkOptions(OPTS);
  });

  it('refuses duplicate hosts, no network node, and names the lab uses for its own namespaces', () => {
    assert.throws(() => checkOptions({ ...OPTS, networkNodes: ['hv1'] }), /must differ/);
    assert.throws(() => checkOptions({ ...OPTS, networkNodes: [] }), /at least one network node/);
    for (const h of ['vm', 'outside', 'underlay']) assert.throws(() => checkOptions({ ...OPTS, hypervisors: [h] }), /the lab's own/, h);
  });

  it('gives every host its own `host`, and every network node the mapping public:ext0', () => {
    const hosts = new Set<string>();
    for (const [host, role] of [['hv1', 'compute'], ['net1', 'network'], ['net2', 'network']] as const) {
      const ini = renderAgentConfig(OPTS, host, '198.18.0.9', role);
      hosts.add(/^host = (.*)$/m.exec(ini)?.[1] ?? '');
      assert.match(ini, new RegExp(`^host_namespace = lab-${host}$`, 'm'));
      assert.match(ini, new RegExp(`^namespace_prefix = lab-${host}-$`, 'm'));
      assert.equal(/^physical_interface_mappings = public:ext0$/m.test(ini), role === 'network', host);
    }
    assert.equal(hosts.size, 3);
  });
});

describe('nucleon-lab outside world', () => {
  it('is a bridge carrying both addresses without DAD, forwarding, and a port per network node', () => {
    const out = lines(renderOutside(STATE.outside));
    assert.ok(out.includes('ip -n lab-outside link add br-ex type bridge mcast_snooping 0'));
    assert.ok(out.includes('ip -n lab-outside addr add 203.0.113.1/24 dev br-ex'));
    assert.ok(out.includes('ip -n lab-outside addr add 2001:db8:ff::1/64 dev br-ex nodad'));
    const sysctl = out.find((l) => l.startsWith('ip netns exec lab-outside sysctl'));
    for (const s of ['net.ipv6.conf.all.forwarding=1', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_ra=0']) assert.ok(sysctl?.includes(s), s);
    // the bridge's own setting is made before its addresses
    assert.ok(out.findIndex((l) => l.includes('br-ex.accept_dad=0')) < out.findIndex((l) => l.includes('2001:db8:ff::1')));
    assert.deepEqual(lines(renderExternalLink('lab', STATE.outside, 'net2')), [
      'ip link add ext0 netns lab-net2 type veth peer name ex-net2 netns lab-outside',
      'ip -n lab-outside link set ex-net2 master br-ex up',
      'ip -n lab-net2 link set ext0 up',
    ]);
    assert.deepEqual(networkNodes(STATE), ['net1', 'net2']);
  });

  it('routes back to a project prefix via a router gateway, in the outside namespace only', () => {
    assert.deepEqual(renderOutsideRoute(STATE, '2001:db8:1::/64', '2001:db8:ff::10'), ['ip', '-n', 'lab-outside', '-6', 'route', 'replace', '2001:db8:1::/64', 'via', '2001:db8:ff::10', 'dev', 'br-ex']);
    assert.deepEqual(renderOutsideRoute(STATE, '10.1.0.0/24', '203.0.113.10'), ['ip', '-n', 'lab-outside', '-4', 'route', 'replace', '10.1.0.0/24', 'via', '203.0.113.10', 'dev', 'br-ex']);
    assert.deepEqual(renderOutsideRoute(STATE, '10.1.0.0/24', null), ['ip', '-n', 'lab-outside', '-4', 'route', 'del', '10.1.0.0/24', 'dev', 'br-ex']);
    assert.throws(() => renderOutsideRoute(STATE, '2001:db8:1::/64', '203.0.113.10'), /not an IPv6 address/);
    assert.throws(() => renderOutsideRoute(STATE, 'default', '203.0.113.10'), /not a CIDR/);
  });
});

describe('nucleon-lab host-down', () => {
  it('sets both ends of a network node’s links down, and only the underlay of a hypervisor', () => {
    assert.deepEqual(lines(renderHostLinks(STATE, 'net1', 'down')), [
      'ip -n lab-net1 link set ul0 down',
      'ip -n lab-underlay link set ul-net1 down',
      'ip -n lab-net1 link set ext0 down',
      'ip -n lab-outside link set ex-net1 down',
    ]);
    assert.deepEqual(lines(renderHostLinks(STATE, 'hv1', 'up')), ['ip -n lab-hv1 link set ul0 up', 'ip -n lab-underlay link set ul-hv1 up']);
  });

  it('counts as the host’s its own namespace and those its agents made, not another host’s', () => {
    assert.ok(isHostNamespace('lab', 'net1', 'lab-net1'));
    assert.ok(isHostNamespace('lab', 'net1', 'lab-net1-qrouter-0b1c'));
    assert.ok(!isHostNamespace('lab', 'net1', 'lab-net10'));
    assert.ok(!isHostNamespace('lab', 'net1', 'lab-net10-qdhcp-1'));
  });
});

describe('nucleon-lab down', () => {
  it('deletes VMs and agent namespaces first, then hosts, the outside, the underlay last', () => {
    const all = ['lab-underlay', 'lab-outside', 'lab-net1', 'lab-hv1', 'lab-vm-a', 'lab-net1-qrouter-1', 'lab-net2'];
    assert.deepEqual(planNamespaceRemoval('lab', all, STATE), ['lab-net1-qrouter-1', 'lab-vm-a', 'lab-hv1', 'lab-net1', 'lab-net2', 'lab-outside', 'lab-underlay']);
    // without lab.json, from the names alone: the underlay and the outside are still last
    assert.deepEqual(planNamespaceRemoval('lab', all).slice(-2), ['lab-outside', 'lab-underlay']);
  });
});
