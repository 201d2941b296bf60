/**
 * Security groups on the Linux bridge agent's taps, for real: one host namespace with its agent
 * (in-process, `ProcessRunner`, `host_namespace`), four VMs (namespaces whose eth0 is the other end
 * of a tap) on one network, a server in-process on SQLite. Checked: the bridge's conntrack zone;
 * SSH (socat) to a VM whose group allows port 22 only from members of group `admins` works from
 * such a member and not from another VM; ICMP follows the rules, and a rule added through the API
 * reaches the kernel by notification alone, replacing only that VM's chain; ICMPv6 between
 * link-local addresses once an IPv6 rule allows it; a VM sending from an address it does not own
 * is dropped, from an allowed address pair it is not; a port without port security is not
 * filtered; a second pass, and an agent started afresh, run no command. Stateless groups, on a
 * second network: a VM whose stateless group allows TCP 22 in but nothing out is not reached (its
 * replies are not let out by state), and is once an egress TCP rule arrives by notification; a
 * stateful group with the same rule is reached; a counter in a table of the test's own shows the
 * stateless VM's packets untracked both ways, and a stateful VM of this host talking to it keeps
 * its conversation tracked. Needs root (CI runs it; it
 * must not skip there). Every object carries this run's prefix (`sg<4 hex>`) and is removed
 * afterwards, also after a failed run; nothing in the root namespace is touched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { serverFixture } from '../helpers/server.js';
import { sqlite } from '../helpers/dialects.js';
import { AgentRuntime } from '../../src/agents/agent-runtime.js';
import { L2Driver } from '../../src/agents/drivers.js';
import { ProcessRunner } from '../../src/linux/runner.js';
import { loadConfig } from '../../src/config/config.js';
import { tapName } from '../../src/agents/l2/plan.js';
import { linkLocal } from '../../src/agents/l2/firewall-rules.js';
import { datapathSkipReason, removeNamespaces, sh } from '../helpers/netns.js';

const PREFIX = `sg${randomBytes(2).toString('hex')}`;
const ns = (n: string) => `${PREFIX}-${n}`;
const HOST = ns('hv1');
const ok = (...argv: string[]) => {
  try {
    sh(...argv);
    return true;
  } catch {
    return false;
  }
};

/** Removes every namespace of a run of this test, this one's or a killed earlier one's (`sg????-…`). */
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^sg[0-9a-f]{4}-(hv|vm)\d$/.test(n) : n.startsWith(`${PREFIX}-`)));

describe('L2 agent datapath: security groups on the taps', { skip: datapathSkipReason([['ip', '-V'], ['nft', '--version'], ['ping', '-V'], ['socat', '-V']]) }, () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '75' });
  let runtime: AgentRuntime | undefined;
  let driver: L2Driver;
  const listeners: ChildProcess[] = [];
  type Vm = { name: string; port: Record<string, any>; ip: string }; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** VMs `vm<first>`, `vm<first + 1>`, … on `net`, one per port spec: a port bound to the host, a veth whose host end is its tap. */
  const plugVms = async (net: { id: string; mtu: number }, specs: Array<Record<string, unknown>>, first: number): Promise<Vm[]> => {
    const vms: Vm[] = [];
    for (const [i, spec] of specs.entries()) {
      const port = (await srv.api.post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': HOST, device_owner: 'compute:nova', ...spec } })).body.port;
      assert.equal(port['binding:vif_type'], 'bridge');
      const vm = ns(`vm${first + i}`);
      const ip = port.fixed_ips[0].ip_address as string;
      sh('ip', 'netns', 'add', vm);
      sh('ip', 'link', 'add', tapName(port.id), 'netns', HOST, 'mtu', String(net.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm, 'mtu', String(net.mtu));
      sh('ip', '-n', HOST, 'link', 'set', tapName(port.id), 'up');
      sh('ip', '-n', vm, 'link', 'set', 'eth0', 'address', port.mac_address);
      sh('ip', '-n', vm, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
      sh('ip', '-n', vm, 'link', 'set', 'lo', 'up');
      vms.push({ name: vm, port, ip });
    }
    return vms;
  };
  before(async () => {
    cleanup(true);
    await srv.start();
    sh('ip', 'netns', 'add', HOST);
    sh('ip', '-n', HOST, 'link', 'add', `${PREFIX}u1`, 'type', 'veth', 'peer', 'name', `${PREFIX}u2`); // an underlay with the tunnel address
    sh('ip', '-n', HOST, 'addr', 'add', '198.51.100.1/24', 'dev', `${PREFIX}u1`);
    sh('ip', '-n', HOST, 'link', 'set', `${PREFIX}u1`, 'up');
    sh('ip', '-n', HOST, 'link', 'set', 'lo', 'up');
    const logger = pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' });
    const config = loadConfig([], { NUCLEON_DEFAULT__HOST: HOST, NUCLEON_AGENT__REPORT_INTERVAL: '3600' });
    driver = new L2Driver(srv.running.app.transport, HOST, logger, { runner: new ProcessRunner(logger), netns: HOST, localIp: '198.51.100.1' });
    runtime = new AgentRuntime({ config, transport: srv.running.app.transport, driver, logger });
    await runtime.start();
  });
  after(async () => {
    for (const l of listeners) l.kill();
    await runtime?.stop();
    await srv.stop();
    cleanup();
    const left = sh('ip', 'netns', 'list').split('\n').filter((l) => l.startsWith(`${PREFIX}-`));
    assert.deepEqual(left, [], 'no namespace of this run is left');
  });

  it('filters per security group, statefully, against spoofing, not without port security, and converges on a rule change by notification', async () => {
    const api = srv.api;
    const group = async (name: string) => (await api.post('/v2.0/security-groups', { security_group: { name } })).body.security_group;
    const admins = await group(`${PREFIX}-admins`);
    const others = await group(`${PREFIX}-others`);
    const web = await group(`${PREFIX}-web`);
    const ssh = { security_group_id: web.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: admins.id };
    assert.equal((await api.post('/v2.0/security-group-rules', { security_group_rule: ssh })).status, 201);
    const net = (await api.post('/v2.0/networks', { network: { name: `${PREFIX}-net` } })).body.network;
    await api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.123.0.0/24', ip_version: 4, enable_dhcp: false } });

    // four VMs: an admin, another, the web server, and one without port security
    const specs = [{ security_groups: [admins.id] }, { security_groups: [others.id] }, { security_groups: [web.id] }, { port_security_enabled: false, security_groups: [] }];
    const vms = await plugVms(net, specs, 1);
    const [admin, other, server, open] = vms;
    await runtime!.resync();
    const zones = JSON.parse(sh('ip', 'netns', 'exec', HOST, 'nft', '-j', 'list', 'map', 'inet', 'nucleon', 'zones')).nftables.find((o: { map?: unknown }) => o.map).map.elem;
    assert.deepEqual(zones, [[`brq${net.id.slice(0, 11)}`, 1]], "the network's bridge has a conntrack zone of its own");

    const ping = (from: { name: string }, to: string, src?: string) => ok('ip', 'netns', 'exec', from.name, 'ping', '-c', '1', '-W', '1', ...(src ? ['-I', src] : []), to);
    const sshTo = (from: { name: string }, to: { ip: string }) => {
      try {
        return sh('ip', 'netns', 'exec', from.name, 'socat', '-T', '2', '-', `TCP:${to.ip}:22,connect-timeout=2`).trim();
      } catch {
        return 'refused';
      }
    };
    for (const vm of [server, open]) {
      const l = spawn('ip', ['netns', 'exec', vm.name, 'socat', 'TCP-LISTEN:22,fork,reuseaddr', 'SYSTEM:echo SSH-2.0-test'], { stdio: 'ignore' });
      listeners.push(l);
    }
    await new Promise((r) => setTimeout(r, 300));

    // SSH to the web server: from a member of `admins` only
    assert.equal(sshTo(admin, server), 'SSH-2.0-test', 'a member of the remote group reaches port 22');
    assert.equal(sshTo(other, server), 'refused', 'another VM does not');
    // no ICMP rule yet: the server drops pings; the default egress lets the admin's out
    assert.equal(ping(admin, server.ip), false, 'no ICMP rule, no ping');
    // a port without port security is not filtered at all
    assert.equal(sshTo(other, open), 'SSH-2.0-test');
    assert.equal(ping(open, admin.ip), false, 'the admin VM still filters what reaches it');
    assert.equal(ping(admin, open.ip), true, 'and nothing stops traffic to the open VM');

    // an ICMP rule through the API: the notification alone brings it to the kernel, touching only the server's chain
    const handles = (chain: string) => sh('ip', 'netns', 'exec', HOST, 'nft', '-j', 'list', 'chain', 'bridge', 'nucleon', chain);
    const adminChains = [`egress-${tapName(admin.port.id)}`, `ingress-${tapName(admin.port.id)}`].map(handles);
    await api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: web.id, direction: 'ingress', protocol: 'icmp' } });
    // (pinging asynchronously: a synchronous child would stop this process's agent from working meanwhile)
    const pingLater = (from: { name: string }, to: string) => promisify(execFile)('ip', ['netns', 'exec', from.name, 'ping', '-c', '1', '-W', '1', to]).then(() => true, () => false);
    let converged = false;
    for (let i = 0; i < 20 && !converged; i++) converged = await pingLater(admin, server.ip);
    assert.ok(converged, 'the ICMP rule reached the host without a periodic resync');
    assert.deepEqual([`egress-${tapName(admin.port.id)}`, `ingress-${tapName(admin.port.id)}`].map(handles), adminChains, "another port's chains are not touched");
    assert.equal(ping(other, server.ip), true, 'ICMP from anywhere now');

    // IPv6: the link-local addresses (EUI-64 of the MACs) pass the anti-spoofing, neighbour discovery
    // works, and ICMPv6 echo needs an IPv6 rule of its own
    const serverLinkLocal = `${linkLocal(server.port.mac_address)}%eth0`;
    assert.equal(ping(admin, serverLinkLocal), false, 'the IPv4 ICMP rule does not let ICMPv6 in');
    await api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: web.id, direction: 'ingress', ethertype: 'IPv6', protocol: 'icmp' } });
    converged = false;
    for (let i = 0; i < 20 && !converged; i++) converged = await pingLater(admin, serverLinkLocal);
    assert.ok(converged, 'ICMPv6 to the link-local address once the IPv6 rule is there');

    // anti-spoofing: sending from an address the port does not have is dropped, from an allowed pair it is not
    sh('ip', '-n', admin.name, 'addr', 'add', '10.123.0.99/24', 'dev', 'eth0');
    sh('ip', '-n', admin.name, 'addr', 'add', '10.123.0.98/24', 'dev', 'eth0');
    for (const spoof of ['10.123.0.99', '10.123.0.98']) sh('ip', '-n', server.name, 'neigh', 'replace', spoof, 'lladdr', admin.port.mac_address, 'dev', 'eth0');
    sh('ip', '-n', admin.name, 'neigh', 'replace', server.ip, 'lladdr', server.port.mac_address, 'dev', 'eth0'); // no ARP in the way: the IP check is what drops
    assert.equal(ping(admin, server.ip, '10.123.0.99'), false, 'a spoofed source address is dropped');
    await api.put(`/v2.0/ports/${admin.port.id}`, { port: { allowed_address_pairs: [{ ip_address: '10.123.0.98' }] } });
    await runtime!.resync();
    assert.equal(ping(admin, server.ip, '10.123.0.98'), true, 'an allowed address pair may send');
    assert.equal(ping(admin, server.ip, '10.123.0.99'), false, 'the other one still not');

    // a second pass changes nothing
    await runtime!.resync();
    assert.equal(driver.lastCommands, 0, 'a second pass with nothing changed runs no command');
    // an agent started afresh reads what is there from the kernel and has nothing to do either
    const logger = pino({ level: 'silent' });
    const restarted = new L2Driver(srv.running.app.transport, HOST, logger, { runner: new ProcessRunner(logger), netns: HOST, localIp: '198.51.100.1' });
    await restarted.fullSync();
    assert.equal(restarted.lastCommands, 0, 'a restarted agent converges from what the kernel has');
  });

  it('filters a stateless group without connection tracking: replies need a rule of their own, and its packets are not tracked', async () => {
    const api = srv.api;
    const group = async (name: string, stateful: boolean) => {
      const g = (await api.post('/v2.0/security-groups', { security_group: { name: `${PREFIX}-${name}`, stateful } })).body.security_group;
      assert.equal(g.stateful, stateful);
      return g;
    };
    const stateless = await group('stateless', false);
    const stateful = await group('stateful', true);
    const clients = await group('clients', true); // the two default egress rules, nothing in
    for (const g of [stateless, stateful]) {
      for (const r of g.security_group_rules) assert.equal((await api.del(`/v2.0/security-group-rules/${r.id}`)).status, 204); // no egress rule at all
      const ssh = { security_group_id: g.id, direction: 'ingress', protocol: 'tcp', port_range_min: 22, port_range_max: 22 };
      assert.equal((await api.post('/v2.0/security-group-rules', { security_group_rule: ssh })).status, 201);
    }
    const net = (await api.post('/v2.0/networks', { network: { name: `${PREFIX}-net2` } })).body.network;
    await api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.124.0.0/24', ip_version: 4, enable_dhcp: false } });
    const specs = [{ security_groups: [stateless.id] }, { security_groups: [stateful.id] }, { port_security_enabled: false, security_groups: [] }, { security_groups: [clients.id] }];
    const vms = await plugVms(net, specs, 5);
    const [sl, sf, open, client] = vms;
    await runtime!.resync();
    for (const vm of [sl, sf]) listeners.push(spawn('ip', ['netns', 'exec', vm.name, 'socat', 'TCP-LISTEN:22,fork,reuseaddr', 'SYSTEM:echo SSH-2.0-test'], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 300));
    // asynchronously: a synchronous child would stop this process's agent from working meanwhile
    const sshTo = (from: { name: string }, to: { ip: string }) =>
      promisify(execFile)('ip', ['netns', 'exec', from.name, 'socat', '-T', '2', '-', `TCP:${to.ip}:22,connect-timeout=2`]).then((r) => r.stdout.trim(), () => 'refused');

    // a table of the test's own, after conntrack: what it saw of the stateless VM's packets, and of the stateful one's
    const counters = [`ip daddr ${sl.ip} tcp dport 22 ct state untracked`, `ip saddr ${sl.ip} tcp sport 22 ct state untracked`, `ip daddr ${sl.ip} ct state != untracked`, `ip saddr ${sl.ip} ct state != untracked`, `ip daddr ${sf.ip} tcp dport 22 ct state new`];
    const t = `inet ${PREFIX}test`;
    execFileSync('ip', ['netns', 'exec', HOST, 'nft', '-f', '-'], {
      input: [`add table ${t}`, `add chain ${t} seen { type filter hook prerouting priority -100; policy accept; }`, ...counters.map((c) => `add rule ${t} seen ${c} counter`)].join('\n'),
    });
    const seen = () => {
      const rules = JSON.parse(sh('ip', 'netns', 'exec', HOST, 'nft', '-j', 'list', 'chain', 'inet', `${PREFIX}test`, 'seen')).nftables.filter((o: { rule?: unknown }) => o.rule);
      return rules.map((o: { rule: { expr: Array<{ counter?: { packets: number } }> } }) => o.rule.expr.find((e) => e.counter)!.counter!.packets) as number[];
    };

    assert.equal(await sshTo(open, sf), 'SSH-2.0-test', 'stateful: the replies go out by state, with no egress rule');
    assert.equal(await sshTo(open, sl), 'refused', 'stateless: the SYN gets in, the SYN-ACK has no rule to go out by');
    let [inUntracked, , inTracked, outTracked, sfNew] = seen();
    assert.ok(inUntracked > 0, 'the SYNs to the stateless VM were not tracked');
    assert.ok(sfNew > 0, "the stateful VM's connection was");

    // the replies' rule through the API: the notification alone brings it
    await api.post('/v2.0/security-group-rules', { security_group_rule: { security_group_id: stateless.id, direction: 'egress', protocol: 'tcp' } });
    let reached = 'refused';
    for (let i = 0; i < 10 && reached === 'refused'; i++) reached = await sshTo(open, sl);
    assert.equal(reached, 'SSH-2.0-test', 'reached once an egress rule lets the replies out, without a periodic resync');
    let outUntracked: number;
    [inUntracked, outUntracked, inTracked, outTracked] = seen();
    assert.ok(outUntracked > 0, 'its replies were not tracked either');
    assert.deepEqual([inTracked, outTracked], [0, 0], 'nothing to or from the stateless VM was tracked');

    // a stateful VM of this host talking to it stays tracked, so its own replies still get in by state
    assert.equal(await sshTo(client, sl), 'SSH-2.0-test', 'a stateful client (no ingress rule) reaches the stateless VM');
    [, , inTracked, outTracked] = seen();
    assert.ok(inTracked > 0 && outTracked > 0, 'that conversation was tracked');

    sh('ip', 'netns', 'exec', HOST, 'nft', 'delete', 'table', 'inet', `${PREFIX}test`);
    await runtime!.resync();
    assert.equal(driver.lastCommands, 0, 'a second pass with nothing changed runs no command');
  });
});
