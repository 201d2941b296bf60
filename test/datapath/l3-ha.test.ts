/**
 * HA routers for real: two network nodes (namespaces) each run an L2 and an L3 agent, a hypervisor
 * runs an L2 agent and a "VM", all in this process over the server's in-process transport; the
 * hosts share an underlay (a bridge in a namespace of its own) for VXLAN, and both network nodes
 * reach the "outside" through a bridge there (the flat physical network `public`). An HA router
 * runs on both nodes with keepalived; one is master and carries the addresses, the API shows
 * which; the outside reaches the VM through a floating IP; a killed keepalived is started again.
 * Then the master's host is lost (its
 * agents stopped, its keepalived killed, its links down): the standby takes over, the API shows
 * it active, and the outside reaches the VM again; the pings lost meanwhile are bounded. Needs
 * root (CI runs it). Every object carries this run's `nh<4 hex>-` prefix and is removed afterwards.
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
import { ShellRunner } from '../../src/linux/shell-runner.js';
import { loadConfig } from '../../src/config/config.js';
import { tapName } from '../../src/agents/l2/plan.js';

const PREFIX = `nh${randomBytes(2).toString('hex')}`;
const ns = (n: string) => `${PREFIX}-${n}`;
const probes = [['ip', '-V'], ['nft', '--version'], ['ping', '-V'], ['sh', '-c', 'command -v keepalived']];
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^nh[0-9a-f]{4}-/.test(n) : n.startsWith(`${PREFIX}-`)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HA routers: keepalived on two network nodes, failover', { skip: datapathSkipReason(probes), timeout: 240_000 }, () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '75' });
  const hosts = { hv: ns('hv'), net1: ns('net1'), net2: ns('net2') };
  const ul = ns('ul');
  const out = ns('out');
  let state: string;
  const runtimes = new Map<string, AgentRuntime[]>();

  before(async () => {
    cleanup(true);
    await srv.start();
    state = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-state-`));
    for (const n of [ul, out]) {
      sh('ip', 'netns', 'add', n);
      sh('ip', '-n', n, 'link', 'set', 'lo', 'up');
      sh('ip', '-n', n, 'link', 'add', 'br0', 'type', 'bridge');
      sh('ip', '-n', n, 'link', 'set', 'br0', 'up');
    }
    sh('ip', '-n', out, 'addr', 'add', '203.0.113.1/24', 'dev', 'br0');
    const logger = pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' });
    const transport = srv.running.app.transport;
    for (const [i, [name, h]] of Object.entries(hosts).entries()) {
      sh('ip', 'netns', 'add', h);
      sh('ip', '-n', h, 'link', 'set', 'lo', 'up');
      sh('ip', 'link', 'add', 'ul0', 'netns', h, 'type', 'veth', 'peer', 'name', `ul-${name}`, 'netns', ul);
      sh('ip', '-n', ul, 'link', 'set', `ul-${name}`, 'master', 'br0', 'up');
      sh('ip', '-n', h, 'addr', 'add', `198.51.100.${i + 1}/24`, 'dev', 'ul0');
      sh('ip', '-n', h, 'link', 'set', 'ul0', 'up');
      const network = name !== 'hv';
      if (network) {
        sh('ip', 'link', 'add', 'ext0', 'netns', h, 'type', 'veth', 'peer', 'name', `ex-${name}`, 'netns', out);
        sh('ip', '-n', out, 'link', 'set', `ex-${name}`, 'master', 'br0', 'up');
        sh('ip', '-n', h, 'link', 'set', 'ext0', 'up');
      }
      const config = loadConfig([], {
        NUCLEON_DEFAULT__HOST: h,
        NUCLEON_DEFAULT__STATE_PATH: path.join(state, name),
        NUCLEON_DEFAULT__HA_VRRP_ADVERT_INT: '1',
        NUCLEON_AGENT__REPORT_INTERVAL: '3600',
        NUCLEON_AGENT__NAMESPACE_PREFIX: `${h}-`,
        NUCLEON_AGENT__HOST_NAMESPACE: h,
      });
      const runner = new ShellRunner(logger);
      const mappings = { interfaces: (network ? { public: 'ext0' } : {}) as Record<string, string>, bridges: {} };
      const l2 = new AgentRuntime({ config, transport, logger, driver: new L2Driver(transport, h, logger, { runner, netns: h, localIp: `198.51.100.${i + 1}`, mappings }) });
      const rts = [l2];
      if (network) rts.push(new AgentRuntime({ config, transport, logger, driver: new L3Driver(transport, h, logger, { runner, netns: h, layout: l3Layout(config) }) }));
      for (const r of rts) await r.start();
      runtimes.set(name, rts);
    }
  });
  after(async () => {
    for (const rts of runtimes.values()) for (const r of rts) await r.stop();
    await srv.stop();
    cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
    assert.deepEqual(namespaces().filter((n) => n.startsWith(`${PREFIX}-`)), [], 'no namespace of this run is left');
  });

  const api = () => srv.api;
  const pings = (from: string, to: string) => {
    try {
      sh('ip', 'netns', 'exec', from, 'ping', '-c', '1', '-W', '1', to);
      return true;
    } catch {
      return false;
    }
  };
  async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return;
      await sleep(200);
    }
    assert.fail(`not within ${ms} ms: ${what}`);
  }
  const resyncAll = async () => {
    for (const rts of runtimes.values()) for (const r of rts) await r.resync();
  };

  it('one node is master, the outside reaches a VM through the floating IP; the master’s host lost, the standby takes over', async () => {
    const pub = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-public`, 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } })).body.network;
    await api().post('/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '203.0.113.0/24', ip_version: 4, gateway_ip: '203.0.113.1', enable_dhcp: false } });
    const net = (await api().post('/v2.0/networks', { network: { name: `${PREFIX}-a` } })).body.network;
    const sub = (await api().post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.52.1.0/24', ip_version: 4, enable_dhcp: false } })).body.subnet;
    const router = (await api().post('/v2.0/routers', { router: { name: `${PREFIX}-ha`, ha: true, external_gateway_info: { network_id: pub.id } } })).body.router;
    assert.equal(router.ha, true);
    await api().put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id });
    const agents = () => api().get(`/v2.0/routers/${router.id}/l3-agents`).then((r) => r.body.agents as Array<{ host: string; ha_state: string }>);
    assert.deepEqual((await agents()).map((a) => a.host).sort(), [hosts.net1, hosts.net2], 'scheduled on both network nodes');

    // the VM on the hypervisor
    const port = (await api().post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': hosts.hv, device_owner: 'compute:nova', port_security_enabled: false } })).body.port;
    const vm = ns('vm');
    sh('ip', 'netns', 'add', vm);
    sh('ip', 'link', 'add', tapName(port.id), 'netns', hosts.hv, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm);
    sh('ip', '-n', hosts.hv, 'link', 'set', tapName(port.id), 'up');
    sh('ip', '-n', vm, 'link', 'set', 'eth0', 'address', port.mac_address);
    sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
    sh('ip', '-n', vm, 'addr', 'add', `${port.fixed_ips[0].ip_address}/24`, 'dev', 'eth0');
    sh('ip', '-n', vm, 'route', 'add', 'default', 'via', '10.52.1.1');
    const fip = (await api().post('/v2.0/floatingips', { floatingip: { floating_network_id: pub.id, port_id: port.id } })).body.floatingip;
    await resyncAll();

    await eventually('one agent active, the other standby', async () => {
      const states = (await agents()).map((a) => a.ha_state).sort();
      return states[0] === 'active' && states[1] === 'standby';
    });
    const active = (await agents()).find((a) => a.ha_state === 'active')!.host;
    const standby = active === hosts.net1 ? hosts.net2 : hosts.net1;
    const qrouter = (h: string) => `${h}-qrouter-${router.id}`;
    const addrs = (h: string) => sh('ip', '-n', qrouter(h), '-4', 'addr', 'show');
    assert.ok(addrs(active).includes(fip.floating_ip_address), `the master carries the floating IP: ${addrs(active)} ${readFileSync(path.join(state, active === hosts.net1 ? 'net1' : 'net2', 'l3', router.id, 'keepalived.conf'), 'utf8')}`);
    assert.ok(!addrs(standby).includes(fip.floating_ip_address), 'the standby does not');
    assert.ok(!addrs(standby).includes('10.52.1.1/24'), 'nor the interface address');
    await eventually('the outside reaches the VM on its floating IP', () => pings(out, fip.floating_ip_address));
    await eventually('the VM reaches the outside', () => pings(vm, '203.0.113.1'));

    // a killed keepalived (the standby's) is started again by its agent's next pass
    const standbyName = standby === hosts.net1 ? 'net1' : 'net2';
    const kaFile = path.join(state, standbyName, 'l3', router.id, 'keepalived.pid');
    const before = Number(readFileSync(kaFile, 'utf8'));
    process.kill(before, 'SIGKILL');
    await eventually('keepalived is dead', () => !sh('ip', 'netns', 'pids', qrouter(standby)).split('\n').includes(String(before)), 5000);
    for (const r of runtimes.get(standbyName)!) await r.resync();
    await eventually('keepalived was started again', () => {
      const now = Number(readFileSync(kaFile, 'utf8'));
      return now !== before && sh('ip', 'netns', 'pids', qrouter(standby)).split('\n').includes(String(now));
    }, 5000);
    await eventually('it rejoins as standby', async () => (await agents()).find((a) => a.host === standby)?.ha_state === 'standby');
    assert.ok(pings(out, fip.floating_ip_address), 'the master kept the router meanwhile');

    // the master's host is lost: agents stopped, keepalived killed, links down
    const flow = spawn('ip', ['netns', 'exec', out, 'ping', '-i', '0.1', '-c', '300', '-W', '1', fip.floating_ip_address], { stdio: ['ignore', 'pipe', 'ignore'] });
    let flowOut = '';
    flow.stdout.on('data', (d) => (flowOut += d));
    await sleep(1000);
    const name = active === hosts.net1 ? 'net1' : 'net2';
    for (const r of runtimes.get(name)!) await r.stop();
    runtimes.delete(name);
    const kaPid = Number(readFileSync(path.join(state, name, 'l3', router.id, 'keepalived.pid'), 'utf8'));
    process.kill(kaPid, 'SIGKILL');
    for (const pid of sh('ip', 'netns', 'pids', qrouter(active)).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    sh('ip', '-n', active, 'link', 'set', 'ul0', 'down');
    sh('ip', '-n', active, 'link', 'set', 'ext0', 'down');
    const lost = Date.now();
    await eventually('the standby carries the floating IP', () => addrs(standby).includes(fip.floating_ip_address));
    const tookOver = Date.now() - lost;
    await eventually('the API shows the former standby active', async () => (await agents()).find((a) => a.host === standby)?.ha_state === 'active');
    await eventually('the outside reaches the VM again', () => pings(out, fip.floating_ip_address));
    flow.kill('SIGINT');
    await new Promise((r) => flow.on('exit', r));
    const stats = /(\d+) packets transmitted, (\d+) received/.exec(flowOut);
    assert.ok(stats, flowOut);
    const missed = Number(stats[1]) - Number(stats[2]);
    process.stderr.write(`HA failover: the standby carried the floating IP after ${tookOver} ms; ${missed} of ${stats[1]} pings (0.1 s apart) lost\n`);
    assert.ok(missed < 150, `pings lost in the failover are bounded (${missed})`);
  });
});
