/**
 * The Linux bridge agent's datapath for real, on one machine shaped like two: hosts hv1 and hv2 are
 * network namespaces joined by a veth underlay, a VM is a namespace whose eth0 is the other end of
 * a tap in its host. A server (in-process, SQLite) binds the VMs' ports; one L2 agent per host plans
 * and runs iproute2 commands inside its host's namespace. The VMs then ping each other over VXLAN,
 * a second pass changes nothing, and the port goes ACTIVE. Needs root (CI runs it; it must not skip
 * there). Every object carries this run's prefix and is removed afterwards, also after a failed run;
 * nothing in the root namespace is touched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { serverFixture } from '../helpers/server.js';
import { datapathSkipReason, namespaces, removeNamespaces, sh } from '../helpers/netns.js';
import { sqlite } from '../helpers/dialects.js';
import { AgentRuntime } from '../../src/agents/agent-runtime.js';
import { L2Driver } from '../../src/agents/drivers.js';
import { ProcessRunner } from '../../src/linux/runner.js';
import { FaultyRunner } from '../../src/linux/faulty-runner.js';
import { loadConfig } from '../../src/config/config.js';
import { tapName } from '../../src/agents/l2/plan.js';
import { RpcClient } from '../../src/rpc/rpc-api.js';
import { AGENT_NOTIFIER_API, SECURITY_GROUP_NOTIFIER_API } from '../../src/rpc/apis/agent-notifier-api.js';
import { agentNotifierTopic } from '../../src/rpc/topics.js';

const PREFIX = `nt${randomBytes(2).toString('hex')}`;

const ns = (n: string) => `${PREFIX}-${n}`;
/** This run's namespaces, or with `all` those of any killed earlier run (`nt????-hv1`, `…-vm2`). */
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^nt[0-9a-f]{4}-(hv|vm)\d$/.test(n) : n.startsWith(`${PREFIX}-`)));

describe('L2 agent datapath: two hosts, VXLAN, two VMs', { skip: datapathSkipReason() }, () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '75' });
  const runtimes: AgentRuntime[] = [];
  const drivers: L2Driver[] = [];
  const runners: FaultyRunner[] = [];
  before(async () => {
    cleanup(true);
    await srv.start();
    // hosts and their underlay
    for (const h of ['hv1', 'hv2']) sh('ip', 'netns', 'add', ns(h));
    sh('ip', 'link', 'add', `${PREFIX}u1`, 'netns', ns('hv1'), 'type', 'veth', 'peer', 'name', `${PREFIX}u2`, 'netns', ns('hv2'));
    sh('ip', '-n', ns('hv1'), 'addr', 'add', '198.51.100.1/24', 'dev', `${PREFIX}u1`);
    sh('ip', '-n', ns('hv2'), 'addr', 'add', '198.51.100.2/24', 'dev', `${PREFIX}u2`);
    for (const [h, dev] of [['hv1', `${PREFIX}u1`], ['hv2', `${PREFIX}u2`]]) {
      sh('ip', '-n', ns(h), 'link', 'set', dev, 'up');
      sh('ip', '-n', ns(h), 'link', 'set', 'lo', 'up');
    }
    // one L2 agent per host, in this process, over the server's in-process transport
    const logger = pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' });
    for (const [h, ip] of [['hv1', '198.51.100.1'], ['hv2', '198.51.100.2']]) {
      const config = loadConfig([], { NUCLEON_DEFAULT__HOST: ns(h), NUCLEON_AGENT__REPORT_INTERVAL: '3600' });
      const runner = new FaultyRunner(new ProcessRunner(logger));
      runners.push(runner);
      const driver = new L2Driver(srv.running.app.transport, ns(h), logger, { runner, netns: ns(h), localIp: ip });
      const rt = new AgentRuntime({ config, transport: srv.running.app.transport, driver, logger });
      await rt.start();
      runtimes.push(rt);
      drivers.push(driver);
    }
  });
  after(async () => {
    for (const rt of runtimes) await rt.stop();
    await srv.stop();
    cleanup();
    const left = namespaces().filter((n) => n.startsWith(`${PREFIX}-`));
    assert.deepEqual(left, [], 'no namespace of this run is left');
  });

  it('VMs on two hosts reach each other over VXLAN once the agents converge, and a second pass changes nothing', async () => {
    const net = (await srv.api.post('/v2.0/networks', { network: { name: `${PREFIX}-net` } })).body.network;
    assert.equal(net['provider:network_type'], 'vxlan');
    await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.123.0.0/24', ip_version: 4, enable_dhcp: false } });
    const vms: Array<{ name: string; port: Record<string, any>; ip: string }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const [i, h] of [[1, 'hv1'], [2, 'hv2']] as const) {
      const port = (await srv.api.post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': ns(h), device_owner: 'compute:nova' } })).body.port;
      assert.equal(port['binding:vif_type'], 'bridge', 'bound: a live Linux bridge agent with VXLAN runs on the host');
      const vm = ns(`vm${i}`);
      const ip = port.fixed_ips[0].ip_address as string;
      // plug the VM: its eth0 is the other end of the tap in its host (what nucleon-compute will do)
      sh('ip', 'netns', 'add', vm);
      sh('ip', 'link', 'add', tapName(port.id), 'netns', ns(h), 'mtu', String(net.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm, 'mtu', String(net.mtu));
      sh('ip', '-n', ns(h), 'link', 'set', tapName(port.id), 'up');
      sh('ip', '-n', vm, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
      sh('ip', '-n', vm, 'link', 'set', 'eth0', 'address', port.mac_address);
      sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
      vms.push({ name: vm, port, ip });
    }
    // the port notifications already made the agents sync; one more pass each settles any race
    for (const rt of runtimes) await rt.resync();
    // the host has what the planner said: bridge, VXLAN device and tap joined, flooding to the peer
    const links = JSON.parse(sh('ip', '-n', ns('hv1'), '-j', '-d', 'link', 'show')) as Array<{ ifname: string; master?: string }>;
    const br = `brq${net.id.slice(0, 11)}`;
    const vx = `vxlan-${net['provider:segmentation_id']}`;
    assert.ok(links.some((l) => l.ifname === br));
    assert.equal(links.find((l) => l.ifname === vx)?.master, br);
    assert.equal(links.find((l) => l.ifname === tapName(vms[0].port.id))?.master, br);
    // l2population: hv1 knows vm2's MAC is behind hv2's tunnel address, and floods only to hv2
    const fdb = JSON.parse(sh('ip', 'netns', 'exec', ns('hv1'), 'bridge', '-j', 'fdb', 'show', 'dev', vx)) as Array<{ mac: string; dst?: string }>;
    assert.ok(fdb.some((e) => e.mac === vms[1].port.mac_address && e.dst === '198.51.100.2'), 'a unicast entry for the remote port');
    assert.ok(fdb.some((e) => e.mac === '00:00:00:00:00:00' && e.dst === '198.51.100.2'), 'a flooding entry toward the peer');
    // VM 1 on hv1 pings VM 2 on hv2 through the VXLAN tunnel
    sh('ip', 'netns', 'exec', vms[0].name, 'ping', '-c', '3', '-i', '0.2', '-W', '2', vms[1].ip);
    for (const rt of runtimes) await rt.resync();
    for (const d of drivers) assert.equal(d.lastCommands, 0, 'a second pass with nothing changed runs no command');
    assert.equal((await srv.api.get(`/v2.0/ports/${vms[0].port.id}`)).body.port.status, 'ACTIVE');
    // malformed, stale and out-of-order notifications: dropped or harmless, the agents keep working
    const ports = new RpcClient(srv.running.app.transport, AGENT_NOTIFIER_API, agentNotifierTopic('port', 'update'));
    const deletes = new RpcClient(srv.running.app.transport, AGENT_NOTIFIER_API, agentNotifierTopic('port', 'delete'));
    const groups = new RpcClient(srv.running.app.transport, SECURITY_GROUP_NOTIFIER_API, agentNotifierTopic('security_group', 'update'));
    await ports.fanout('port_update', { port: null } as never);
    await ports.fanout('port_update', { port: 'nonsense' } as never);
    await ports.fanout('port_update', { port: { ...vms[0].port, id: vms[0].port.id as string, revision_number: 0, 'binding:host_id': 'elsewhere' }, network_type: 'vxlan', segmentation_id: 1, physical_network: null });
    await deletes.fanout('port_delete', { port_id: 42 } as never);
    await groups.fanout('security_groups_member_updated', { security_groups: 'x' } as never);
    await new Promise((r) => setTimeout(r, 300));
    for (const rt of runtimes) await rt.resync();
    for (const d of drivers) assert.equal(d.lastCommands, 0, 'nothing changed for them');
    sh('ip', 'netns', 'exec', vms[0].name, 'ping', '-c', '1', '-W', '2', vms[1].ip);
    // hv1 loses its bridge behind the agent's back, and the pass that rebuilds it fails half-way
    sh('ip', '-n', ns('hv1'), 'link', 'del', br);
    runners[0].failNext = /link set tap\S+ master/;
    await runtimes[0].resync();
    assert.equal(runners[0].failNext, undefined, 'the injected failure happened');
    // the failed pass went on with its other commands (the VXLAN device joined, the bridge up); the tap waited for a later pass
    const log = runners[0].log;
    const failedAt = log.findIndex((l) => l.startsWith('FAILED '));
    const vxJoined = log.findIndex((l, i) => i > failedAt && l.endsWith(`link set ${vx} master ${br}`));
    const tapJoined = log.findIndex((l, i) => i > failedAt && l.endsWith(`link set ${tapName(vms[0].port.id)} master ${br}`));
    assert.ok(failedAt >= 0 && vxJoined > failedAt, log.slice(failedAt).join('\n'));
    assert.ok(tapJoined === -1 || tapJoined > vxJoined, 'the tap is joined only by a later pass');
    // the next pass plans again from what is there and finishes the job
    await runtimes[0].resync();
    sh('ip', 'netns', 'exec', vms[0].name, 'ping', '-c', '2', '-i', '0.2', '-W', '2', vms[1].ip);
    assert.equal((await srv.api.get(`/v2.0/ports/${vms[0].port.id}`)).body.port.status, 'ACTIVE');
    await runtimes[0].resync();
    assert.equal(drivers[0].lastCommands, 0);
    // the VM on hv2 unplugged (its namespace, and so its tap, gone): the port goes DOWN at once
    sh('ip', 'netns', 'del', vms[1].name);
    for (let i = 0; (await srv.api.get(`/v2.0/ports/${vms[1].port.id}`)).body.port.status !== 'DOWN'; i++) {
      assert.ok(i < 100, 'the port goes DOWN when its tap goes away');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
