/**
 * The L3 agent's datapath for real: one network node (a namespace) runs an L2 agent and an L3 agent
 * in this process, over the server's in-process transport. The external network is the flat
 * physical network `public`, mapped to the node's `ext0`, a veth to an "outside" namespace
 * (203.0.113.1, the public subnet's gateway, and 2001:db8:ff::1). "VMs" are namespaces plugged into
 * the node's bridges like nucleon-compute plugs them, with their port's address set by hand.
 *
 * Checked: a VM behind a router reaches the outside, which sees the gateway address (and nothing
 * once SNAT is off); a floating IP reaches the VM and the VM's traffic leaves as it, not after
 * disassociation, and moves with re-association; two subnets on one router talk with their own
 * addresses; extra routes and interface removal converge; a second pass and a restarted agent run
 * no command, and a flow through a floating IP loses nothing across the restart; a router taken
 * down, moved away or deleted while the agent was away is removed; floating IP statuses follow;
 * an IPv6 SLAAC VM gets its address and default route from radvd and reaches the outside; a
 * killed radvd is restarted; a failing nft transaction leaves the table as it was; a router whose
 * external network has no subnet gets a bare gateway device. Needs root (CI
 * runs it). Every object carries this run's `nl<4 hex>-` prefix and is removed afterwards.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { serverFixture } from '../helpers/server.js';
import { datapathSkipReason, namespaces, removeNamespaces, sh } from '../helpers/netns.js';
import { sqlite } from '../helpers/dialects.js';
import { AgentRuntime } from '../../src/agents/agent-runtime.js';
import { L2Driver, L3Driver } from '../../src/agents/drivers.js';
import { l3Layout } from '../../src/agents/l3/l3-agent.js';
import { ProcessRunner, type CommandRunner } from '../../src/linux/runner.js';
import { loadConfig } from '../../src/config/config.js';
import { tapName } from '../../src/agents/l2/plan.js';
import { L3_AGENT_API } from '../../src/agents/server-api.js';
import { RpcClient } from '../../src/rpc/rpc-api.js';
import { L3_AGENT } from '../../src/rpc/topics.js';

const PREFIX = `nl${randomBytes(2).toString('hex')}`;
const ns = (n: string) => `${PREFIX}-${n}`;
const probes = [['ip', '-V'], ['nft', '--version'], ['ping', '-V'], ['sh', '-c', 'command -v radvd'], ['arping', '-V'], ['socat', '-V']];
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^nl[0-9a-f]{4}-/.test(n) : n.startsWith(`${PREFIX}-`)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A runner whose `nft` transactions fail while `failing` is set (everything else runs for real). */
class NftFailingRunner extends ProcessRunner {
  failing = false;
  override run(argv: string[], opts?: { read?: boolean; input?: string }): Promise<string> {
    if (this.failing && argv.includes('nft') && argv.includes('-f')) return Promise.reject(new Error('nft: injected failure'));
    return super.run(argv, opts);
  }
}

describe('L3 agent datapath: routers, SNAT, floating IPs, IPv6 RAs', { skip: datapathSkipReason(probes), timeout: 240_000 }, () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '75' });
  const node = ns('net1');
  const out = ns('out');
  let state: string;
  let l2: AgentRuntime;
  let l3: AgentRuntime;
  let l3Driver: L3Driver;
  let runner: NftFailingRunner;
  let makeL3: () => { runtime: AgentRuntime; driver: L3Driver };
  const vms: string[] = [];

  before(async () => {
    cleanup(true);
    await srv.start();
    state = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-state-`));
    sh('ip', 'netns', 'add', node);
    sh('ip', '-n', node, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', node, 'link', 'add', `${PREFIX}u1`, 'type', 'veth', 'peer', 'name', `${PREFIX}u2`);
    sh('ip', '-n', node, 'addr', 'add', '198.51.100.1/24', 'dev', `${PREFIX}u1`);
    sh('ip', '-n', node, 'link', 'set', `${PREFIX}u1`, 'up');
    // the outside world: one address of each family on the far end of ext0
    sh('ip', 'netns', 'add', out);
    sh('ip', '-n', out, 'link', 'set', 'lo', 'up');
    sh('ip', 'link', 'add', 'ext0', 'netns', node, 'type', 'veth', 'peer', 'name', 'ex0', 'netns', out);
    sh('ip', '-n', out, 'addr', 'add', '203.0.113.1/24', 'dev', 'ex0');
    sh('ip', '-n', out, 'addr', 'add', '2001:db8:ff::1/64', 'dev', 'ex0', 'nodad');
    sh('ip', '-n', out, 'link', 'set', 'ex0', 'up');
    sh('ip', '-n', node, 'link', 'set', 'ext0', 'up');
    const logger = pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' });
    const config = loadConfig([], {
      NUCLEON_DEFAULT__HOST: node,
      NUCLEON_DEFAULT__STATE_PATH: state,
      NUCLEON_DEFAULT__MIN_RTR_ADV_INTERVAL: '3',
      NUCLEON_DEFAULT__MAX_RTR_ADV_INTERVAL: '5',
      NUCLEON_AGENT__REPORT_INTERVAL: '3600',
      NUCLEON_AGENT__NAMESPACE_PREFIX: `${PREFIX}-`,
      NUCLEON_AGENT__HOST_NAMESPACE: node,
    });
    const transport = srv.running.app.transport;
    runner = new NftFailingRunner(logger);
    const mappings = { interfaces: { public: 'ext0' }, bridges: {} };
    l2 = new AgentRuntime({ config, transport, logger, driver: new L2Driver(transport, node, logger, { runner, netns: node, localIp: '198.51.100.1', mappings }) });
    makeL3 = () => {
      const driver = new L3Driver(transport, node, logger, { runner: runner as CommandRunner, netns: node, layout: l3Layout(config) });
      return { runtime: new AgentRuntime({ config, transport, logger, driver }), driver };
    };
    ({ runtime: l3, driver: l3Driver } = makeL3());
    await l2.start();
    await l3.start();
  });
  after(async () => {
    await l2?.stop();
    await l3?.stop();
    await srv.stop();
    cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
    assert.deepEqual(namespaces().filter((n) => n.startsWith(`${PREFIX}-`)), [], 'no namespace of this run is left');
  });

  const api = () => srv.api;
  const inNs = (n: string, ...argv: string[]) => sh('ip', 'netns', 'exec', n, ...argv);
  const pings = (from: string, to: string) => {
    try {
      inNs(from, 'ping', '-c', '1', '-W', '1', to);
      return true;
    } catch {
      return false;
    }
  };
  async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return;
      await sleep(100);
    }
    assert.fail(`not within ${ms} ms: ${what}`);
  }
  /** A VM on `net`: a port bound to the node, a namespace whose eth0 is its tap's peer, addresses set by hand (IPv4) or by SLAAC. */
  async function vm(name: string, networkId: string, opts: { slaac?: boolean } = {}) {
    const port = (await api().post('/v2.0/ports', { port: { network_id: networkId, 'binding:host_id': node, device_owner: 'compute:nova', port_security_enabled: false } })).body.port;
    const v = ns(`vm-${name}`);
    vms.push(v);
    sh('ip', 'netns', 'add', v);
    sh('ip', '-n', v, 'link', 'set', 'lo', 'up');
    sh('ip', 'link', 'add', tapName(port.id), 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', v);
    sh('ip', '-n', node, 'link', 'set', tapName(port.id), 'up');
    sh('ip', '-n', v, 'link', 'set', 'eth0', 'address', port.mac_address);
    if (opts.slaac) inNs(v, 'sysctl', '-qw', 'net.ipv6.conf.eth0.accept_ra=2', 'net.ipv6.conf.eth0.autoconf=1', 'net.ipv6.conf.eth0.accept_dad=0');
    sh('ip', '-n', v, 'link', 'set', 'eth0', 'up');
    const subnets = (await api().get(`/v2.0/subnets?network_id=${networkId}`)).body.subnets as Array<{ id: string; cidr: string; gateway_ip: string; ip_version: number }>;
    for (const ip of port.fixed_ips as Array<{ subnet_id: string; ip_address: string }>) {
      const s = subnets.find((x) => x.id === ip.subnet_id)!;
      if (s.ip_version !== 4) continue;
      sh('ip', '-n', v, 'addr', 'add', `${ip.ip_address}/${s.cidr.split('/')[1]}`, 'dev', 'eth0');
      sh('ip', '-n', v, 'route', 'add', 'default', 'via', s.gateway_ip);
    }
    await l2.resync();
    return { ns: v, port, ip: port.fixed_ips[0].ip_address as string };
  }
  const routerNs = (id: string) => ns(`qrouter-${id}`);
  const fipStatus = async (id: string) => (await api().get(`/v2.0/floatingips/${id}`)).body.floatingip.status as string;
  /** The source address the outside sees for a TCP connection from `from` to the outside's port 7000. */
  function sourceSeen(from: string): string | undefined {
    const logFile = path.join(state, `${PREFIX}-src.txt`);
    rmSync(logFile, { force: true });
    const server = spawn('ip', ['netns', 'exec', out, 'socat', '-T2', 'TCP4-LISTEN:7000,reuseaddr', `SYSTEM:echo $SOCAT_PEERADDR > ${logFile}`], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 30; i++) {
        try {
          inNs(from, 'socat', '-T2', 'STDIO', 'TCP4:203.0.113.1:7000,connect-timeout=2');
          break;
        } catch {
          sh('sleep', '0.1');
        }
      }
      sh('sleep', '0.2');
      return readFileSync(logFile, 'utf8').trim() || undefined;
    } catch {
      return undefined;
    } finally {
      server.kill('SIGKILL');
    }
  }

  let pub: { id: string };
  let pubSubnet: { id: string };
  let pub6: { id: string };

  it('a router routes its subnets to the outside through SNAT; floating IPs reach VMs; east-west is routed untouched', async () => {
    pub = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-public`, 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } })).body.network;
    pubSubnet = (await api().post('/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '203.0.113.0/24', ip_version: 4, gateway_ip: '203.0.113.1', enable_dhcp: false, allocation_pools: [{ start: '203.0.113.10', end: '203.0.113.99' }] } })).body.subnet;
    pub6 = (await api().post('/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '2001:db8:ff::/64', ip_version: 6, gateway_ip: '2001:db8:ff::1', enable_dhcp: false } })).body.subnet;
    const netA = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-a` } })).body.network;
    const subA = (await api().post('/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.51.1.0/24', ip_version: 4, enable_dhcp: false } })).body.subnet;
    const netB = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-b` } })).body.network;
    const subB = (await api().post('/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.51.2.0/24', ip_version: 4, enable_dhcp: false } })).body.subnet;
    const router = (await api().post('/v2.0/routers', { router: { name: `${PREFIX}-r1`, external_gateway_info: { network_id: pub.id, external_fixed_ips: [{ subnet_id: pubSubnet.id }] } } })).body.router;
    const gwIp = router.external_gateway_info.external_fixed_ips[0].ip_address as string;
    assert.equal((await api().put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subA.id })).status, 200);
    assert.equal((await api().put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: subB.id })).status, 200);
    const agents = (await api().get(`/v2.0/routers/${router.id}/l3-agents`)).body.agents;
    assert.deepEqual(agents.map((a: { host: string }) => a.host), [node], 'scheduled to the node’s L3 agent');
    await l3.resync();
    await l2.resync();
    const qr = routerNs(router.id);
    assert.ok(namespaces().includes(qr), 'the qrouter namespace exists');
    const devs = (JSON.parse(sh('ip', '-n', qr, '-j', 'addr', 'show')) as Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>).filter((d) => /^q[rg]-/.test(d.ifname));
    const addrs = Object.fromEntries(devs.map((d) => [d.ifname.slice(0, 3), []])) as Record<string, string[]>;
    for (const d of devs) for (const a of d.addr_info) if (!a.local.startsWith('fe80')) addrs[d.ifname.slice(0, 3)].push(`${a.local}/${a.prefixlen}`);
    assert.deepEqual(
      devs.filter((d) => d.ifname.startsWith('qr-')).flatMap((d) => d.addr_info.filter((a) => !a.local.startsWith('fe80')).map((a) => `${a.local}/${a.prefixlen}`)).sort(),
      ['10.51.1.1/24', '10.51.2.1/24'],
      'an interface per subnet, with the router port’s address',
    );
    assert.ok(addrs['qg-'].includes(`${gwIp}/24`), 'the gateway device carries the gateway address');
    assert.match(sh('ip', '-n', qr, 'route', 'show', 'default'), /default via 203\.0\.113\.1 dev qg-/);
    assert.equal(inNs(qr, 'sysctl', '-n', 'net.ipv4.ip_forward').trim(), '1');
    await l3.resync();
    assert.equal(l3Driver.lastCommands, 0, 'a second pass runs no command');

    const a1 = await vm('a1', netA.id);
    const b1 = await vm('b1', netB.id);
    await eventually('router ports ACTIVE (the L2 agent wired their taps)', async () => {
      const ports = (await api().get(`/v2.0/ports?device_id=${router.id}`)).body.ports as Array<{ status: string }>;
      return ports.length === 3 && ports.every((p) => p.status === 'ACTIVE');
    });
    await eventually('VM a1 reaches the outside', () => pings(a1.ns, '203.0.113.1'));
    assert.equal(sourceSeen(a1.ns), gwIp, 'the outside sees the router’s gateway address');
    assert.ok(pings(a1.ns, b1.ip), 'east-west between the router’s subnets');
    const ew = (() => {
      const logFile = path.join(state, 'ew.txt');
      const server = spawn('ip', ['netns', 'exec', b1.ns, 'socat', '-T2', 'TCP4-LISTEN:7001,reuseaddr', `SYSTEM:echo $SOCAT_PEERADDR > ${logFile}`], { stdio: 'ignore' });
      try {
        for (let i = 0; i < 30; i++) {
          try {
            inNs(a1.ns, 'socat', '-T2', 'STDIO', `TCP4:${b1.ip}:7001,connect-timeout=2`);
            break;
          } catch {
            sh('sleep', '0.1');
          }
        }
        sh('sleep', '0.2');
        return readFileSync(logFile, 'utf8').trim();
      } finally {
        server.kill('SIGKILL');
      }
    })();
    assert.equal(ew, a1.ip, 'east-west keeps the VM’s own address (routed, not NATed)');

    // floating IP: reaches the VM from outside, the VM's traffic leaves as it
    const fip = (await api().post('/v2.0/floatingips', { floatingip: { floating_network_id: pub.id, port_id: a1.port.id } })).body.floatingip;
    assert.equal(fip.status, 'DOWN');
    await eventually('the outside reaches the VM on its floating IP', () => pings(out, fip.floating_ip_address));
    assert.equal(sourceSeen(a1.ns), fip.floating_ip_address, 'the VM’s traffic leaves as its floating IP');
    await eventually('floating IP ACTIVE', async () => (await fipStatus(fip.id)) === 'ACTIVE');
    assert.equal(sourceSeen(b1.ns), gwIp, 'another VM still leaves as the gateway address');

    // a flow through the floating IP keeps going across an L3 agent restart: no packet lost
    const flow = spawn('ip', ['netns', 'exec', out, 'ping', '-i', '0.05', '-c', '120', '-W', '1', fip.floating_ip_address], { stdio: ['ignore', 'pipe', 'ignore'] });
    let flowOut = '';
    flow.stdout.on('data', (d) => (flowOut += d));
    await sleep(1000);
    await l3.stop();
    ({ runtime: l3, driver: l3Driver } = makeL3());
    await l3.start();
    await l3.resync();
    assert.equal(l3Driver.lastCommands, 0, 'a restarted agent touches nothing that is right');
    await new Promise((r) => flow.on('exit', r));
    const stats = /(\d+) packets transmitted, (\d+) received/.exec(flowOut);
    assert.ok(stats, flowOut);
    assert.equal(stats[2], stats[1], `no ping lost across the restart: ${stats[0]}`);

    // re-association to another VM moves it; disassociation ends it
    await api().put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: b1.port.id } });
    await eventually('the floating IP moved to b1', () => sourceSeen(b1.ns) === fip.floating_ip_address);
    assert.equal(sourceSeen(a1.ns), gwIp, 'a1 leaves as the gateway again');
    await api().put(`/v2.0/floatingips/${fip.id}`, { floatingip: { port_id: null } });
    await eventually('the outside no longer reaches the floating IP', () => !pings(out, fip.floating_ip_address));
    await eventually('floating IP DOWN', async () => (await fipStatus(fip.id)) === 'DOWN');

    // enable_snat false: the VMs do not get out that way
    await api().put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: pub.id, enable_snat: false, external_fixed_ips: [{ ip_address: gwIp }] } } });
    await eventually('without SNAT, no way out', () => !pings(a1.ns, '203.0.113.1'));
    await api().put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: pub.id, enable_snat: true, external_fixed_ips: [{ ip_address: gwIp }] } } });
    await eventually('SNAT back', () => pings(a1.ns, '203.0.113.1'));

    // extra routes: one to a network behind a VM; removing it converges
    await api().put(`/v2.0/routers/${router.id}`, { router: { routes: [{ destination: '192.0.2.0/24', nexthop: b1.ip }] } });
    await eventually('the extra route is in the namespace', () => /192\.0\.2\.0\/24 via 10\.51\.2\.\d+/.test(sh('ip', '-n', qr, 'route', 'show')));
    await api().put(`/v2.0/routers/${router.id}`, { router: { routes: [] } });
    await eventually('the extra route is gone', () => !/192\.0\.2\.0/.test(sh('ip', '-n', qr, 'route', 'show')));

    // interface removal
    await api().put(`/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: subB.id });
    await eventually('the qr- device of subnet B is gone', () => !sh('ip', '-n', qr, 'addr', 'show').includes('10.51.2.1/24'));
    assert.ok(!pings(a1.ns, b1.ip), 'no route between them any more');

    // a failing nft transaction: nothing half-applied, retried by the next pass
    runner.failing = true;
    const fip2 = (await api().post('/v2.0/floatingips', { floatingip: { floating_network_id: pub.id, port_id: a1.port.id } })).body.floatingip;
    await l3.resync(); // fails, and is retried with backoff
    const table = inNs(qr, 'nft', 'list', 'table', 'ip', 'nucleon-l3');
    assert.ok(!table.includes(fip2.floating_ip_address), 'the table is as it was');
    await eventually('floating IP ERROR while its router cannot be configured', async () => (await fipStatus(fip2.id)) === 'ERROR');
    runner.failing = false;
    await l3.resync();
    await eventually('the floating IP works after the retry', () => pings(out, fip2.floating_ip_address));

    // admin_state_up false takes the datapath down; true brings it back
    await api().put(`/v2.0/routers/${router.id}`, { router: { admin_state_up: false } });
    await eventually('the namespace is gone', () => !namespaces().includes(qr));
    await api().put(`/v2.0/routers/${router.id}`, { router: { admin_state_up: true } });
    await eventually('the namespace is back', () => namespaces().includes(qr));
    await eventually('and routes again', () => pings(out, fip2.floating_ip_address));

    // malformed and stale notifications are dropped
    const notify = new RpcClient(srv.running.app.transport, L3_AGENT_API, L3_AGENT);
    await notify.cast('routers_updated', { routers: 'nonsense' } as never, { server: node });
    await notify.cast('router_deleted', { router_id: 42 } as never, { server: node });
    await notify.cast('router_added_to_agent', { payload: ['11111111-1111-4111-8111-111111111111'] }, { server: node });
    await sleep(300);
    await l3.resync();
    assert.equal(l3Driver.lastCommands, 0, 'nothing changed for them');
    assert.ok(pings(out, fip2.floating_ip_address));
  });

  it('a router moved to another agent, or deleted while the agent was away, is removed', async () => {
    const net = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-m` } })).body.network;
    const sub = (await api().post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.51.9.0/24', ip_version: 4, enable_dhcp: false } })).body.subnet;
    const r = (await api().post('/v2.0/routers', { router: { name: `${PREFIX}-r2`, external_gateway_info: { network_id: pub.id } } })).body.router;
    await api().put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id });
    await l3.resync();
    assert.ok(namespaces().includes(routerNs(r.id)));
    // moved: unscheduled from this agent (an admin's DELETE), the agent hears router_removed_from_agent
    const agent = (await api().get(`/v2.0/routers/${r.id}/l3-agents`)).body.agents[0];
    assert.equal((await api().del(`/v2.0/agents/${agent.id}/l3-routers/${r.id}`)).status, 204);
    await eventually('the moved router’s namespace is gone', () => !namespaces().includes(routerNs(r.id)));
    assert.equal((await api().post(`/v2.0/agents/${agent.id}/l3-routers`, { router_id: r.id })).status, 201);
    await eventually('scheduled back', () => namespaces().includes(routerNs(r.id)));
    // deleted while the agent was away
    await l3.stop();
    await api().put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: sub.id });
    assert.equal((await api().del(`/v2.0/routers/${r.id}`)).status, 204);
    ({ runtime: l3, driver: l3Driver } = makeL3());
    await l3.start();
    await l3.resync();
    assert.ok(!namespaces().includes(routerNs(r.id)), 'cleaned up on its return');
  });

  it('a router whose external network has no subnet: a gateway device without addresses, no default route, no NAT; the agent carries on', async () => {
    const bare = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-bare`, 'router:external': true } })).body.network;
    const res = await api().post('/v2.0/routers', { router: { name: `${PREFIX}-bare`, external_gateway_info: { network_id: bare.id } } });
    if (res.status !== 201) {
      // refused by the API (a NeutronError, not a 500): nothing for the agent to survive
      assert.ok(res.status >= 400 && res.status < 500 && res.body.NeutronError, JSON.stringify(res.body));
      return;
    }
    const r = res.body.router;
    await l3.resync();
    const qr = routerNs(r.id);
    assert.ok(namespaces().includes(qr));
    const qg = (JSON.parse(sh('ip', '-n', qr, '-j', 'addr', 'show')) as Array<{ ifname: string; addr_info: Array<{ local: string; scope: string }> }>).find((d) => d.ifname.startsWith('qg-'));
    assert.ok(qg, 'the gateway device exists');
    assert.deepEqual(qg.addr_info.filter((a) => a.scope === 'global'), [], 'without addresses');
    assert.equal(sh('ip', '-n', qr, 'route', 'show', 'default'), '', 'no default route');
    await l3.resync();
    assert.equal(l3Driver.lastCommands, 0, 'converged');
    await api().del(`/v2.0/routers/${r.id}`);
    await l3.resync();
    assert.ok(!namespaces().includes(qr));
  });

  it('IPv6: radvd advertises the router’s SLAAC subnet; a VM gets its address and default route and reaches the outside; a killed radvd comes back', async () => {
    const net = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-v6` } })).body.network;
    const sub = (await api().post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '2001:db8:51::/64', ip_version: 6, ipv6_ra_mode: 'slaac', ipv6_address_mode: 'slaac' } })).body.subnet;
    const r = (await api().post('/v2.0/routers', { router: { name: `${PREFIX}-r6`, external_gateway_info: { network_id: pub.id, external_fixed_ips: [{ subnet_id: pub6.id }] } } })).body.router;
    await api().put(`/v2.0/routers/${r.id}/add_router_interface`, { subnet_id: sub.id });
    const gw6 = ((await api().get(`/v2.0/routers/${r.id}`)).body.router.external_gateway_info.external_fixed_ips as Array<{ ip_address: string }>).find((f) => f.ip_address.includes(':'))!.ip_address;
    await l3.resync();
    const conf = readFileSync(path.join(state, 'l3', r.id, 'radvd.conf'), 'utf8');
    assert.match(conf, /prefix 2001:db8:51::\/64/);
    const v = await vm('v6', net.id, { slaac: true });
    const expected = (v.port.fixed_ips as Array<{ ip_address: string }>)[0].ip_address;
    await eventually('the VM has its SLAAC address', () => inNs(v.ns, 'ip', '-6', 'addr', 'show', 'dev', 'eth0').includes(expected), 30_000);
    await eventually('and a default route through the router', () => /default via fe80::/.test(inNs(v.ns, 'ip', '-6', 'route', 'show')), 30_000);
    // the outside routes the project's prefix to the router's gateway address (no NAT for IPv6)
    sh('ip', '-n', out, '-6', 'route', 'replace', '2001:db8:51::/64', 'via', gw6);
    await eventually('the VM pings the outside over IPv6', () => pings(v.ns, '2001:db8:ff::1'), 20_000);
    const pid = Number(readFileSync(path.join(state, 'l3', r.id, 'radvd.pid'), 'utf8').trim());
    assert.ok(alive(pid), 'radvd runs');
    process.kill(pid, 'SIGKILL');
    await eventually('radvd is dead', () => !alive(pid), 5000);
    await l3.resync();
    const again = Number(readFileSync(path.join(state, 'l3', r.id, 'radvd.pid'), 'utf8').trim());
    assert.notEqual(again, pid);
    assert.ok(alive(again), 'radvd runs again');
    await api().put(`/v2.0/routers/${r.id}/remove_router_interface`, { subnet_id: sub.id });
    await api().del(`/v2.0/routers/${r.id}`);
    await eventually('the router’s radvd stopped', () => !alive(again));
  });
});
