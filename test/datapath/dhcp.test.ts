/**
 * The DHCP agent's datapath for real: one host (a network namespace) runs an L2 agent and a DHCP
 * agent, both in this process over the server's in-process transport. A network with a DHCP subnet
 * is scheduled to the DHCP agent, which gets its DHCP port from the server and runs dnsmasq in
 * `<prefix>qdhcp-<net>`, its veth joined to the network's bridge by the L2 agent. A VM (a namespace
 * plugged like nucleon-compute will) runs busybox udhcpc with a script that only configures the
 * VM's own namespace, and must get the API's address, gateway, DNS server and MTU; a killed dnsmasq
 * comes back on the next sync; a changed fixed IP reaches dnsmasq by SIGHUP; deleting the network
 * removes everything. Needs root (CI runs it). Every object carries this run's `nd<4 hex>-` prefix
 * and is removed afterwards, also after a failed run; nothing in the root namespace is touched.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { serverFixture } from '../helpers/server.js';
import { datapathSkipReason, namespaces, removeNamespaces, sh } from '../helpers/netns.js';
import { sqlite } from '../helpers/dialects.js';
import { AgentRuntime } from '../../src/agents/agent-runtime.js';
import { DhcpDriver, L2Driver } from '../../src/agents/drivers.js';
import { dhcpLayout } from '../../src/agents/dhcp/dhcp-agent.js';
import { ProcessRunner } from '../../src/linux/runner.js';
import { loadConfig } from '../../src/config/config.js';
import { tapName } from '../../src/agents/l2/plan.js';
import { DHCP_AGENT_API } from '../../src/agents/server-api.js';
import { RpcClient } from '../../src/rpc/rpc-api.js';
import { DHCP_AGENT } from '../../src/rpc/topics.js';

const PREFIX = `nd${randomBytes(2).toString('hex')}`;
const ns = (n: string) => `${PREFIX}-${n}`;
const MISSING = '11111111-1111-4111-8111-111111111111';
const probes = [['ip', '-V'], ['busybox', 'true'], ['dnsmasq', '--version']];
/** This run's namespaces, or with `all` those of any killed earlier run of this test (`nd????-…`). */
const cleanup = (all = false) => removeNamespaces((n) => (all ? /^nd[0-9a-f]{4}-/.test(n) : n.startsWith(`${PREFIX}-`)));

/** Whether a pid is a live process (a zombie nobody reaped is not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('DHCP agent datapath: dnsmasq in a qdhcp namespace serves a VM', { skip: datapathSkipReason(probes) }, () => {
  const srv = serverFixture(() => sqlite.create(), { NUCLEON_DEFAULT__AGENT_DOWN_TIME: '75' });
  const hv = ns('hv1');
  const vm = ns('vm1');
  let state: string;
  let l2: AgentRuntime;
  let dhcp: AgentRuntime;
  let dhcpDriver: DhcpDriver;
  before(async () => {
    cleanup(true);
    await srv.start();
    // a private (0700) state directory, as mkdtemp makes it: the agent must let dnsmasq (nobody) read its files
    state = mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-state-`));
    sh('ip', 'netns', 'add', hv);
    sh('ip', '-n', hv, 'link', 'set', 'lo', 'up');
    sh('ip', '-n', hv, 'link', 'add', `${PREFIX}u1`, 'type', 'veth', 'peer', 'name', `${PREFIX}u2`);
    sh('ip', '-n', hv, 'addr', 'add', '198.51.100.1/24', 'dev', `${PREFIX}u1`);
    sh('ip', '-n', hv, 'link', 'set', `${PREFIX}u1`, 'up');
    const logger = pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' });
    const config = loadConfig([], {
      NUCLEON_DEFAULT__HOST: hv,
      NUCLEON_DEFAULT__STATE_PATH: state,
      NUCLEON_AGENT__REPORT_INTERVAL: '3600',
      NUCLEON_AGENT__NAMESPACE_PREFIX: `${PREFIX}-`,
      NUCLEON_AGENT__HOST_NAMESPACE: hv,
    });
    const transport = srv.running.app.transport;
    const runner = new ProcessRunner(logger);
    l2 = new AgentRuntime({ config, transport, logger, driver: new L2Driver(transport, hv, logger, { runner, netns: hv, localIp: '198.51.100.1' }) });
    dhcpDriver = new DhcpDriver(transport, hv, logger, { runner, netns: hv, layout: dhcpLayout(config) });
    dhcp = new AgentRuntime({ config, transport, logger, driver: dhcpDriver });
    await l2.start();
    await dhcp.start();
  });
  after(async () => {
    await l2?.stop();
    await dhcp?.stop();
    await srv.stop();
    cleanup();
    if (state) rmSync(state, { recursive: true, force: true });
    const left = namespaces().filter((n) => n.startsWith(`${PREFIX}-`));
    assert.deepEqual(left, [], 'no namespace of this run is left');
  });

  /** Runs udhcpc once in the VM; the script configures eth0 there and records what it was given. */
  function lease(): Record<string, string> {
    const out = path.join(state, 'lease.env');
    const script = path.join(state, 'udhcpc.sh');
    writeFileSync(
      script,
      [
        '#!/bin/sh',
        '# runs inside the VM namespace only: configures its eth0 and records the lease',
        'case "$1" in',
        '  bound|renew)',
        `    env | grep -E '^(ip|subnet|router|dns|mtu|domain)=' > '${out}'`,
        '    ip addr flush dev "$interface"',
        '    ip addr add "$ip/$subnet" dev "$interface"',
        '    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"',
        '    ;;',
        'esac',
        'exit 0',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    rmSync(out, { force: true });
    sh('ip', 'netns', 'exec', vm, 'busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '6', '-T', '1', '-O', 'mtu', '-s', script);
    return Object.fromEntries(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  }
  const pidOf = (netId: string) => Number(readFileSync(path.join(state, 'dhcp', netId, 'pid'), 'utf8').trim());

  it('a VM gets the API’s address, gateway, DNS server and MTU from dnsmasq; a killed dnsmasq is restarted; a new fixed IP is reloaded; deleting the network removes it all', async () => {
    const net = (await srv.api.post('/v2.0/networks', { network: { name: `${PREFIX}-net` } })).body.network;
    const subnet = (
      await srv.api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.124.0.0/24', ip_version: 4, gateway_ip: '10.124.0.1', dns_nameservers: ['192.0.2.53'] } })
    ).body.subnet;
    assert.equal(subnet.enable_dhcp, true);
    const hosting = (await srv.api.get(`/v2.0/networks/${net.id}/dhcp-agents`)).body.agents;
    assert.deepEqual(
      hosting.map((a: { host: string }) => a.host),
      [hv],
      'the network is scheduled to this host’s DHCP agent',
    );
    await dhcp.resync();
    const qdhcp = `${PREFIX}-qdhcp-${net.id}`;
    assert.ok(namespaces().includes(qdhcp), 'the qdhcp namespace exists');
    const dhcpPorts = (await srv.api.get(`/v2.0/ports?network_id=${net.id}&device_owner=network:dhcp`)).body.ports;
    assert.equal(dhcpPorts.length, 1);
    assert.equal(dhcpPorts[0]['binding:host_id'], hv);
    assert.equal(dhcpPorts[0]['binding:vif_type'], 'bridge');
    assert.match(dhcpPorts[0].device_id, new RegExp(`^dhcp[0-9a-f-]{36}-${net.id}$`));
    assert.ok(alive(pidOf(net.id)), 'dnsmasq runs');
    // the L2 agent hears of the new tap (an update of the DHCP port) and joins it, no sync asked here
    const br = `brq${net.id.slice(0, 11)}`;
    const masterOf = (dev: string) => (JSON.parse(sh('ip', '-n', hv, '-j', 'link', 'show')) as Array<{ ifname: string; master?: string }>).find((l) => l.ifname === dev)?.master;
    for (let i = 0; i < 100 && masterOf(tapName(dhcpPorts[0].id)) !== br; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(masterOf(tapName(dhcpPorts[0].id)), br, 'the DHCP port’s tap is on the bridge');

    // the VM's port, bound to the host, and the VM plugged: its eth0 is the other end of the tap
    const port = (await srv.api.post('/v2.0/ports', { port: { network_id: net.id, 'binding:host_id': hv, device_owner: 'compute:nova' } })).body.port;
    sh('ip', 'netns', 'add', vm);
    sh('ip', 'link', 'add', tapName(port.id), 'netns', hv, 'mtu', String(net.mtu), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vm, 'mtu', String(net.mtu));
    sh('ip', '-n', hv, 'link', 'set', tapName(port.id), 'up');
    sh('ip', '-n', vm, 'link', 'set', 'eth0', 'address', port.mac_address);
    sh('ip', '-n', vm, 'link', 'set', 'eth0', 'up');
    await l2.resync();
    await dhcp.resync();
    assert.equal(masterOf(tapName(port.id)), br, 'the VM’s tap is on the bridge');
    await dhcp.resync();
    assert.equal(dhcpDriver.lastCommands, 0, 'a second pass with nothing changed runs no command');

    const got = lease();
    assert.equal(got.ip, port.fixed_ips[0].ip_address);
    assert.equal(got.subnet, '255.255.255.0');
    assert.equal(got.router, '10.124.0.1');
    assert.equal(got.dns, '192.0.2.53');
    assert.equal(got.mtu, String(net.mtu));
    const addrs = JSON.parse(sh('ip', '-n', vm, '-j', 'addr', 'show', 'dev', 'eth0')) as Array<{ addr_info: Array<{ local: string; family: string }> }>;
    assert.deepEqual(addrs[0].addr_info.filter((a) => a.family === 'inet').map((a) => a.local), [port.fixed_ips[0].ip_address]);
    assert.match(sh('ip', '-n', vm, 'route', 'show', 'default'), /default via 10\.124\.0\.1 dev eth0/);

    // malformed and stale notifications are dropped; the agent keeps serving as it was
    const notify = new RpcClient(srv.running.app.transport, DHCP_AGENT_API, DHCP_AGENT);
    await notify.cast('network_create_end', { payload: {} } as never, { server: hv });
    await notify.cast('port_update_end', { payload: { port: { ...port, revision_number: 0 } } }, { server: hv });
    await notify.cast('port_delete_end', { payload: 'nonsense' } as never, { server: hv });
    await notify.cast('network_delete_end', { payload: { network_id: MISSING } }, { server: hv });
    await new Promise((r) => setTimeout(r, 200));
    await dhcp.resync();
    assert.equal(dhcpDriver.lastCommands, 0, 'nothing changed for them');

    // dnsmasq killed: the next sync starts it again
    const first = pidOf(net.id);
    process.kill(first, 'SIGKILL');
    for (let i = 0; i < 50 && alive(first); i++) await new Promise((r) => setTimeout(r, 20));
    await dhcp.resync();
    const second = pidOf(net.id);
    assert.notEqual(second, first);
    assert.ok(alive(second), 'dnsmasq runs again');

    // a new fixed IP, by its notification alone (the network's own pass, no full sync): the hosts
    // file changes, dnsmasq is reloaded (same process), the next lease has it
    const syncs = dhcp.syncs;
    await srv.api.put(`/v2.0/ports/${port.id}`, { port: { fixed_ips: [{ subnet_id: subnet.id, ip_address: '10.124.0.77' }] } });
    const hostsLine = new RegExp(`^${port.mac_address},host-10-124-0-77\\.openstacklocal,10\\.124\\.0\\.77$`, 'm');
    for (let i = 0; i < 100 && !hostsLine.test(readFileSync(path.join(state, 'dhcp', net.id, 'host'), 'utf8')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(readFileSync(path.join(state, 'dhcp', net.id, 'host'), 'utf8'), hostsLine);
    assert.equal(dhcp.syncs, syncs, 'no full sync was needed');
    await dhcp.resync(); // queued behind that pass, so it has ended: it left nothing to do
    assert.equal(dhcpDriver.lastCommands, 0, 'the network’s own pass did it all');
    assert.equal(pidOf(net.id), second, 'reloaded with SIGHUP, not restarted');
    assert.equal(lease().ip, '10.124.0.77');

    // the network deleted: dnsmasq stopped, namespace, veth and state gone
    await srv.api.del(`/v2.0/ports/${port.id}`);
    assert.equal((await srv.api.del(`/v2.0/networks/${net.id}`)).status, 204);
    await dhcp.resync();
    await l2.resync();
    assert.ok(!namespaces().includes(qdhcp), 'the qdhcp namespace is gone');
    assert.ok(!alive(second), 'dnsmasq stopped');
    assert.ok(!existsSync(path.join(state, 'dhcp', net.id)), 'its state directory is gone');
    const left = (JSON.parse(sh('ip', '-n', hv, '-j', 'link', 'show')) as Array<{ ifname: string }>).map((l) => l.ifname);
    assert.ok(!left.includes(tapName(dhcpPorts[0].id)), 'the DHCP port’s veth is gone');
  });
});
