/**
 * End to end on one machine shaped like many: a nucleon-server process on PostgreSQL, agents over
 * RabbitMQ (a virtual host of this run), a lab of two hypervisors and two network nodes built by
 * `nucleon-lab`, and VMs booted by `nucleon-compute`. Checks what a cloud user relies on: VMs get
 * the API's addresses from dnsmasq and reach each other across hosts over VXLAN, another network
 * does not reach them, changes converge, an agent that was stopped catches up while the VMs keep
 * working, a boot that cannot bind says so and leaves nothing behind. And what the L3 agent's
 * tests will rely on: both network nodes on the outside bridge, the outside world's IPv6 address
 * usable at once with routes back to project prefixes, `host-down` cutting a network node off
 * entirely (its agents dead in the API, its namespaces' daemons killed, nothing crossing its
 * links) and `host-up` bringing it back, and `down` leaving nothing behind, keepalived (which
 * restarts its children) and radvd included. Needs root, RabbitMQ and PostgreSQL; CI runs it and it
 * must not skip there.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgres, skipReason } from '../helpers/dialects.js';
import { client, ROOT, spawnServer, type Spawned } from '../helpers/server.js';
import { rabbitctlSkipReason, testVhost } from '../helpers/rabbitmq.js';
import pino from 'pino';
import { labStateDir, networkNodes, outsideRoute, readLab, startAgent } from '../../src/lab/lab.js';
import { ProcessRunner } from '../../src/linux/runner.js';
import { isGone } from '../../src/linux/daemon.js';
import { bridgeName } from '../../src/agents/l2/plan.js';

const run = promisify(execFile);
const PREFIX = `e2e${randomBytes(2).toString('hex')}`;
const DOWN_TIME = 6;
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();

function why(): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'the end-to-end tests need root (network namespaces)';
  else {
    for (const tool of [['ip', '-V'], ['busybox'], ['dnsmasq', '--version'], ['nft', '--version'], ['socat', '-V'], ['keepalived', '--version'], ['arping', '-V']]) {
      try {
        sh(...tool);
      } catch {
        reason = `${tool[0]} is not installed`;
      }
    }
    // `radvd -v` says its version but exits 1
    if (!fs.existsSync('/usr/sbin/radvd')) reason = 'radvd is not installed';
  }
  if (reason && process.env.CI === 'true') throw new Error(`under CI: ${reason}`);
  return reason;
}

const cli = (name: string) => [process.execPath, '--import', 'tsx', path.join(ROOT, `src/cli/${name}.ts`)];

/** Removes labs of killed earlier runs of this test (`e2e????`), by their names alone. */
async function cleanupStale(): Promise<void> {
  const labs = new Set<string>();
  for (const n of sh('ip', 'netns', 'list').split('\n')) {
    const m = /^(e2e[0-9a-f]{4})-/.exec(n);
    if (m) labs.add(m[1]);
  }
  if (fs.existsSync('/run/nucleon-lab')) for (const d of fs.readdirSync('/run/nucleon-lab')) if (/^e2e[0-9a-f]{4}$/.test(d)) labs.add(d);
  for (const p of labs) {
    const [cmd, ...args] = cli('nucleon-lab');
    await run(cmd, [...args, 'down', '--prefix', p]).catch(() => undefined);
  }
}

/** Whether `ping` from namespace `ns` reaches `ip` (IPv4 or IPv6). */
const nsPings = (ns: string, ip: string) =>
  run('ip', ['netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip], { timeout: 10_000 }).then(
    () => true,
    () => false,
  );

/** What is left of the lab: its namespaces, the processes whose command line names its state directory, whether that directory exists. */
const leftovers = () => ({
  namespaces: sh('ip', 'netns', 'list')
    .split('\n')
    .filter((n) => n.startsWith(`${PREFIX}-`)),
  processes: fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && (() => { try { return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`${labStateDir(PREFIX)}/`); } catch { return false; } })()), // prettier-ignore
  stateDir: fs.existsSync(labStateDir(PREFIX)),
});

const until = async (what: string, f: () => Promise<boolean> | boolean, ms = 30_000) => {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('end to end: nucleon-lab, nucleon-compute, agents over RabbitMQ, server on PostgreSQL', { skip: why() ?? (await skipReason(postgres)) ?? (await rabbitctlSkipReason()) }, () => {
  let vhost: ReturnType<typeof testVhost>;
  let db: { url: string; drop(): Promise<void> };
  let server: Spawned;
  let api: ReturnType<typeof client>;
  const compute = async (...args: string[]) => {
    const [cmd, ...pre] = cli('nucleon-compute');
    return run(cmd, [...pre, '--lab', PREFIX, '--url', server.url, ...args], { timeout: 120_000 });
  };
  const inVm = (vm: string, ...argv: string[]) => compute('console', vm, '--', ...argv);
  const pings = (vm: string, ip: string) =>
    inVm(vm, 'ping', '-c', '2', '-i', '0.2', '-W', '1', ip).then(
      () => true,
      () => false,
    );
  const vmAddress = (vm: string) => {
    const a = JSON.parse(sh('ip', '-n', `${PREFIX}-vm-${vm}`, '-j', 'addr', 'show', 'dev', 'eth0')) as Array<{ addr_info: Array<{ family: string; local: string; scope: string }> }>;
    return a[0].addr_info.find((i) => i.family === 'inet' && i.scope === 'global')?.local;
  };
  const links = (host: string) => (JSON.parse(sh('ip', '-n', `${PREFIX}-${host}`, '-j', 'link', 'show')) as Array<{ ifname: string }>).map((l) => l.ifname);
  const portOf = async (vm: string) => {
    const rec = JSON.parse(fs.readFileSync(path.join(labStateDir(PREFIX), 'vms', `${vm}.json`), 'utf8')) as { portId: string };
    return (await api.get(`/v2.0/ports/${rec.portId}`)).body.port;
  };

  before(async () => {
    await cleanupStale();
    vhost = testVhost('e2e');
    db = await postgres.create();
    server = await spawnServer({ NUCLEON_DATABASE__CONNECTION: db.url, NUCLEON_DEFAULT__TRANSPORT_URL: vhost.url, NUCLEON_DEFAULT__AGENT_DOWN_TIME: String(DOWN_TIME) });
    api = client(server.url);
    const [cmd, ...args] = cli('nucleon-lab');
    const up = await run(cmd, [...args, 'up', '--prefix', PREFIX, '--network-nodes', 'net1,net2', '--url', server.url, '--transport-url', vhost.url, '--report-interval', '1'], { timeout: 120_000 });
    assert.match(up.stdout, /all 10 agents report/);
  });

  after(async () => {
    const [cmd, ...args] = cli('nucleon-lab');
    await run(cmd, [...args, 'down', '--prefix', PREFIX]).catch((err) => assert.fail(`nucleon-lab down: ${err}`));
    await server?.stop();
    await db?.drop();
    vhost?.remove();
    // nothing of the run is left, also when a test failed before the last one took the lab down
    assert.deepEqual(leftovers(), { namespaces: [], processes: [], stateDir: false });
  });

  let netA: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  let netB: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  it('VMs on two hypervisors get the API-assigned addresses from dnsmasq and ping each other over VXLAN', async () => {
    netA = (await api.post('/v2.0/networks', { network: { name: 'net-a' } })).body.network;
    const sub = (await api.post('/v2.0/subnets', { subnet: { network_id: netA.id, cidr: '10.61.0.0/24', ip_version: 4, dns_nameservers: ['10.61.0.53'] } })).body.subnet;
    assert.equal(sub.enable_dhcp, true);
    await compute('boot', '--host', 'hv1', '--network', 'net-a', 'vm1');
    await compute('boot', '--host', 'hv2', '--network', 'net-a', 'vm2');
    for (const vm of ['vm1', 'vm2']) {
      const port = await portOf(vm);
      assert.equal(port.status, 'ACTIVE');
      assert.equal(vmAddress(vm), port.fixed_ips[0].ip_address, `${vm} has exactly the address the API gave its port`);
    }
    const lease = Object.fromEntries(
      fs
        .readFileSync(path.join(labStateDir(PREFIX), 'vms', 'vm1.lease'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => l.split('=')),
    );
    assert.equal(lease.router, '10.61.0.1');
    assert.equal(lease.dns, '10.61.0.53');
    assert.equal(lease.mtu, String(netA.mtu));
    assert.ok(await pings('vm1', (await portOf('vm2')).fixed_ips[0].ip_address), 'vm1 on hv1 reaches vm2 on hv2');
    const list = (await compute('list')).stdout;
    assert.match(list, /vm1\s+hv1\s+running/);
    // a port that another VM uses is refused, and nothing is left of the attempt
    const taken = (await portOf('vm2')).id;
    const refused = await compute('boot', '--host', 'hv1', '--port', taken, 'vmdup').then(
      () => 'it booted',
      (err: { stderr: string }) => err.stderr,
    );
    assert.match(refused, new RegExp(`port ${taken} is in use by device`));
    assert.ok(!sh('ip', 'netns', 'list').includes(`${PREFIX}-vm-vmdup`));
    assert.equal((await portOf('vm2'))['binding:host_id'], 'hv2', 'the port is still bound where it was');
  });

  it('a VM on another network does not reach them, even with the same addresses', async () => {
    netB = (await api.post('/v2.0/networks', { network: { name: 'net-b' } })).body.network;
    // the same CIDR, but no port of net-b may hold net-a's addresses (else the ping below would reach that port)
    const taken = new Set([(await portOf('vm1')).fixed_ips[0].ip_address, (await portOf('vm2')).fixed_ips[0].ip_address].map((ip: string) => Number(ip.split('.')[3])));
    const pools: Array<{ start: string; end: string }> = [];
    for (let i = 2; i <= 254; i++) {
      if (taken.has(i)) continue;
      const last = pools.at(-1);
      if (last && Number(last.end.split('.')[3]) === i - 1) last.end = `10.61.0.${i}`;
      else pools.push({ start: `10.61.0.${i}`, end: `10.61.0.${i}` });
    }
    assert.equal((await api.post('/v2.0/subnets', { subnet: { network_id: netB.id, cidr: '10.61.0.0/24', ip_version: 4, allocation_pools: pools } })).status, 201);
    await compute('boot', '--host', 'hv2', '--network', 'net-b', 'vmb');
    assert.equal(vmAddress('vmb'), (await portOf('vmb')).fixed_ips[0].ip_address);
    const onB = (await api.get(`/v2.0/ports?network_id=${netB.id}`)).body.ports.map((p: { fixed_ips: Array<{ ip_address: string }> }) => p.fixed_ips[0]?.ip_address);
    assert.equal(await pings('vmb', (await portOf('vm1')).fixed_ips[0].ip_address), false, `net-b is its own broadcast domain (net-b holds ${onB.join(', ')})`);
    assert.ok(await pings('vm2', (await portOf('vm1')).fixed_ips[0].ip_address), 'net-a still works');
  });

  it('a VM on the flat physical network `public` of the network node reaches the outside world', async () => {
    const pub = (await api.post('/v2.0/networks', { network: { name: 'public', 'provider:network_type': 'flat', 'provider:physical_network': 'public', 'router:external': true } })).body.network;
    assert.equal(pub['provider:network_type'], 'flat');
    await api.post('/v2.0/subnets', { subnet: { network_id: pub.id, cidr: '203.0.113.0/24', ip_version: 4, enable_dhcp: false, gateway_ip: '203.0.113.1' } });
    // hv1 has no mapping for `public`: the port cannot bind there, and the boot leaves nothing behind
    const refused = await compute('boot', '--host', 'hv1', '--network', 'public', 'vmbad').then(
      () => 'it booted',
      (err: { stderr: string }) => err.stderr,
    );
    assert.match(refused, /could not be bound on host hv1 \(binding:vif_type binding_failed\)/);
    assert.ok(!sh('ip', 'netns', 'list').includes(`${PREFIX}-vm-vmbad`));
    assert.equal((await api.get('/v2.0/ports?name=vmbad')).body.ports.length, 0);
    await compute('boot', '--host', 'net1', '--network', 'public', 'vmpub');
    assert.ok(await pings('vmpub', '203.0.113.1'), 'through ext0, joined to the flat network\'s bridge on net1');
    await compute('delete', 'vmpub');
    assert.equal((await api.del(`/v2.0/networks/${pub.id}`)).status, 204);
  });

  it('both network nodes run their four agents, alive in the API, and each has a port on the outside bridge', async () => {
    const lab = readLab(PREFIX);
    assert.ok(lab);
    assert.deepEqual(networkNodes(lab), ['net1', 'net2']);
    for (const host of ['net1', 'net2']) {
      const agents = (await api.get(`/v2.0/agents?host=${host}`)).body.agents as Array<{ agent_type: string; alive: boolean }>;
      assert.deepEqual(agents.map((a) => a.agent_type).sort(), ['DHCP agent', 'L3 agent', 'Linux bridge agent', 'Metering agent'], host);
      assert.ok(agents.every((a) => a.alive), `${host}: ${JSON.stringify(agents)}`);
      assert.match(fs.readFileSync(path.join(labStateDir(PREFIX), `${host}.ini`), 'utf8'), /^physical_interface_mappings = public:ext0$/m);
    }
    const ports = JSON.parse(sh('ip', '-n', lab.outside.namespace, '-j', 'link', 'show', 'master', lab.outside.bridge)) as Array<{ ifname: string; operstate: string }>;
    assert.deepEqual(
      ports.map((p) => `${p.ifname} ${p.operstate}`),
      ['ex-net1 UP', 'ex-net2 UP'],
    );
  });

  it('the outside world answers on IPv6 at once (no DAD) and routes back to a project prefix, inside its namespace only', async () => {
    const lab = readLab(PREFIX);
    assert.ok(lab);
    const out = lab.outside.namespace;
    assert.equal(lab.outside.ip6, '2001:db8:ff::1/64');
    const addrs = (JSON.parse(sh('ip', '-n', out, '-j', 'addr', 'show', 'dev', lab.outside.bridge)) as Array<{ addr_info: Array<{ local: string; tentative?: boolean }> }>)[0].addr_info;
    assert.ok(addrs.some((a) => a.local === '2001:db8:ff::1' && !a.tentative), JSON.stringify(addrs));
    assert.ok(addrs.some((a) => a.local === '203.0.113.1'));
    assert.equal(sh('ip', 'netns', 'exec', out, 'sysctl', '-n', 'net.ipv6.conf.all.forwarding').trim(), '1');
    // a stand-in for a router's gateway port: a namespace on the outside bridge holding a "project" prefix
    const probe = `${PREFIX}-probe`;
    sh('ip', 'netns', 'add', probe);
    try {
      sh('ip', 'link', 'add', 'qg-probe', 'netns', probe, 'type', 'veth', 'peer', 'name', 'ex-probe', 'netns', out);
      sh('ip', '-n', out, 'link', 'set', 'ex-probe', 'master', lab.outside.bridge, 'up');
      sh('ip', '-n', probe, 'addr', 'add', '2001:db8:ff::99/64', 'dev', 'qg-probe', 'nodad');
      sh('ip', '-n', probe, 'addr', 'add', '2001:db8:61::1/128', 'dev', 'lo');
      sh('ip', '-n', probe, 'link', 'set', 'lo', 'up');
      sh('ip', '-n', probe, 'link', 'set', 'qg-probe', 'up');
      sh('ip', '-n', probe, '-6', 'route', 'add', 'default', 'via', '2001:db8:ff::1');
      await until('the outside reachable over IPv6', () => nsPings(probe, '2001:db8:ff::1'), 10_000);
      assert.equal(await nsPings(out, '2001:db8:61::1'), false, 'no route to the project prefix yet');
      const runner = new ProcessRunner(pino({ level: 'silent' }));
      await outsideRoute(runner, lab, '2001:db8:61::/64', '2001:db8:ff::99');
      assert.ok(await nsPings(out, '2001:db8:61::1'), 'the outside reaches the project prefix through the route');
      assert.equal(sh('ip', '-6', 'route', 'show', '2001:db8:61::/64').trim(), '', "the machine's own routes are untouched");
      await outsideRoute(runner, lab, '2001:db8:61::/64', null);
      assert.equal(sh('ip', '-n', out, '-6', 'route', 'show', '2001:db8:61::/64').trim(), '');
    } finally {
      sh('ip', 'netns', 'del', probe);
    }
  });

  it("changing a port's address converges: the next lease is the new address", async () => {
    const port = await portOf('vm2');
    const subnet = port.fixed_ips[0].subnet_id;
    const upd = await api.put(`/v2.0/ports/${port.id}`, { port: { fixed_ips: [{ subnet_id: subnet, ip_address: '10.61.0.222' }] } });
    assert.equal(upd.status, 200);
    await until('the new lease', async () => {
      await compute('renew', '--timeout', '3', 'vm2').catch(() => undefined);
      return vmAddress('vm2') === '10.61.0.222';
    });
    assert.ok(await pings('vm1', '10.61.0.222'));
  });

  it('security groups across hosts: TCP 22 only from the remote group, ICMP per rule, spoofed sources dropped', async () => {
    const group = async (name: string) => (await api.post('/v2.0/security-groups', { security_group: { name } })).body.security_group;
    const srv = await group('e2e-srv');
    const cli = await group('e2e-cli');
    const other = await group('e2e-other');
    const rule = async (r: Record<string, unknown>) => {
      const res = await api.post('/v2.0/security-group-rules', { security_group_rule: { direction: 'ingress', ethertype: 'IPv4', security_group_id: srv.id, ...r } });
      assert.equal(res.status, 201);
    };
    await rule({ protocol: 'tcp', port_range_min: 22, port_range_max: 22, remote_group_id: cli.id });
    await compute('boot', '--host', 'hv1', '--network', 'net-a', '--security-group', srv.id, 'vmsrv');
    await compute('boot', '--host', 'hv2', '--network', 'net-a', '--security-group', cli.id, 'vmcli');
    await compute('boot', '--host', 'hv2', '--network', 'net-a', '--security-group', other.id, 'vmoth');
    const srvIp = (await portOf('vmsrv')).fixed_ips[0].ip_address as string;
    // an SSH-like service: one line to whoever connects
    const listener = spawn('ip', ['netns', 'exec', `${PREFIX}-vm-vmsrv`, 'socat', 'TCP-LISTEN:22,fork,reuseaddr', 'SYSTEM:echo hello'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const connect = (vm: string) =>
        run('ip', ['netns', 'exec', `${PREFIX}-vm-${vm}`, 'socat', '-T', '2', '-', `TCP:${srvIp}:22,connect-timeout=2`], { timeout: 10_000 }).then(
          (r) => r.stdout.trim(),
          () => 'refused',
        );
      assert.equal(await connect('vmcli'), 'hello', 'a member of the remote group reaches port 22 across hosts');
      assert.equal(await connect('vmoth'), 'refused', 'a VM outside the remote group does not');
      assert.equal(await pings('vmcli', srvIp), false, 'no ICMP rule yet: ping dropped');
      await rule({ protocol: 'icmp', remote_ip_prefix: '10.61.0.0/24' });
      await until('the ICMP rule on hv1', () => pings('vmcli', srvIp));
      // vmcli sends from an address that is not its own: dropped on its own host
      await inVm('vmcli', 'ip', 'addr', 'add', '10.61.0.250/24', 'dev', 'eth0');
      const spoofed = await inVm('vmcli', 'ping', '-c', '2', '-i', '0.2', '-W', '1', '-I', '10.61.0.250', srvIp).then(
        () => true,
        () => false,
      );
      assert.equal(spoofed, false, 'a spoofed source address is dropped');
      assert.ok(await pings('vmcli', srvIp), 'its own address still works');
    } finally {
      listener.kill();
    }
    for (const vm of ['vmsrv', 'vmcli', 'vmoth']) await compute('delete', vm);
  });

  it('an agent stopped while things change catches up when started again; the VMs keep working meanwhile', async () => {
    const lab = readLab(PREFIX);
    assert.ok(lab);
    const agent = lab.agents.find((a) => a.host === 'hv2' && a.kind === 'l2');
    assert.ok(agent);
    process.kill(agent.pid, 'SIGTERM');
    await until('the agent to exit', () => !fs.existsSync(`/proc/${agent.pid}`) || fs.readFileSync(`/proc/${agent.pid}/stat`, 'utf8').split(' ')[2] === 'Z');
    // meanwhile: net-b's VM and network go away; hv2 still has net-b's bridge, nobody removes it yet
    await compute('delete', 'vmb');
    assert.equal((await api.del(`/v2.0/networks/${netB.id}`)).status, 204);
    assert.ok(links('hv2').includes(bridgeName(netB.id)));
    assert.ok(await pings('vm1', '10.61.0.222'), 'the datapath keeps working without its agent');
    // once the server calls hv2's agent dead, a boot there cannot bind: a clear error, nothing left behind
    await until('hv2 agent down', async () => !(await api.get('/v2.0/agents?host=hv2&agent_type=Linux%20bridge%20agent')).body.agents[0].alive, (DOWN_TIME + 5) * 1000);
    const failed = await compute('boot', '--host', 'hv2', '--network', 'net-a', '--timeout', '5', 'vmx').then(
      () => 'it booted',
      (err: { stderr: string }) => err.stderr,
    );
    const agents = (await api.get('/v2.0/agents?host=hv2')).body.agents;
    assert.match(failed, /could not be bound on host hv2 \(binding:vif_type binding_failed\)/, `agents of hv2 then: ${JSON.stringify(agents)}`);
    assert.ok(!sh('ip', 'netns', 'list').includes(`${PREFIX}-vm-vmx`), 'no namespace of the failed boot');
    assert.equal((await api.get(`/v2.0/ports?name=vmx`)).body.ports.length, 0, 'no port of the failed boot');
    // started again: it reports, resyncs, and removes what is no longer wanted
    startAgent(lab, 'hv2', 'l2', agent.config);
    await until('hv2 converged', () => !links('hv2').includes(bridgeName(netB.id)));
    assert.ok(await pings('vm1', '10.61.0.222'));
    assert.equal((await portOf('vm2')).status, 'ACTIVE');
  });

  it('host-down cuts a network node off entirely (agents dead in the API, its daemons killed, nothing crosses its links); host-up brings it back', async () => {
    const [cmd, ...args] = cli('nucleon-lab');
    const lab = readLab(PREFIX);
    assert.ok(lab);
    const net2 = lab.hosts.net2.namespace;
    const before = lab.agents.filter((a) => a.host === 'net2');
    assert.equal(before.length, 4);
    // a stand-in for a router of net2's L3 agent: a namespace of net2's, on the outside through net2's
    // ext0 (free: no flat network is bound on net2 now), with a daemon running in it
    const qr = `${net2}-qrouter-probe`;
    sh('ip', 'netns', 'add', qr);
    try {
      sh('ip', '-n', net2, 'link', 'add', 'br-probe', 'type', 'bridge');
      sh('ip', '-n', net2, 'link', 'set', 'ext0', 'master', 'br-probe');
      sh('ip', 'link', 'add', 'qg-probe', 'netns', qr, 'type', 'veth', 'peer', 'name', 'tp-probe', 'netns', net2);
      sh('ip', '-n', net2, 'link', 'set', 'tp-probe', 'master', 'br-probe', 'up');
      sh('ip', '-n', net2, 'link', 'set', 'br-probe', 'up');
      sh('ip', '-n', qr, 'addr', 'add', '203.0.113.52/24', 'dev', 'qg-probe');
      sh('ip', '-n', qr, 'link', 'set', 'qg-probe', 'up');
      const daemon = spawn('ip', ['netns', 'exec', qr, 'sleep', '600'], { stdio: 'ignore', detached: true });
      daemon.unref();
      await until('the probe router reachable from outside', () => nsPings(lab.outside.namespace, '203.0.113.52'), 10_000);
      assert.ok(await nsPings(lab.hosts.hv1.namespace, lab.hosts.net2.underlayIp), 'hv1 reaches net2 over the underlay');

      const down = await run(cmd, [...args, 'host-down', '--prefix', PREFIX, '--host', 'net2'], { timeout: 60_000 });
      assert.match(down.stdout, /host net2 is down/);
      for (const a of before) assert.ok(await isGone(a.pid), `agent ${a.kind} of net2 (pid ${a.pid}) killed`);
      await until('the daemon in the host’s namespace killed', () => isGone(daemon.pid as number), 5000);
      assert.equal(sh('ip', 'netns', 'pids', qr).trim(), '', 'nothing runs in net2’s namespaces');
      assert.equal(readLab(PREFIX)?.hosts.net2.down, true);
      const peer = (JSON.parse(sh('ip', '-n', lab.outside.namespace, '-j', 'link', 'show', 'ex-net2')) as Array<{ operstate: string }>)[0];
      assert.equal(peer.operstate, 'DOWN', 'its port on the outside bridge is down');
      // the router namespace keeps its address, as after a crash, but nothing crosses either way
      assert.equal(await nsPings(lab.outside.namespace, '203.0.113.52'), false, 'the outside no longer reaches it');
      const arp = await run('ip', ['netns', 'exec', lab.outside.namespace, 'arping', '-c', '2', '-w', '3', '-I', lab.outside.bridge, '203.0.113.52'], { timeout: 10_000 }).then(
        () => 'answered',
        () => 'no answer',
      );
      assert.equal(arp, 'no answer', 'no ARP crosses its ext0');
      assert.equal(await nsPings(qr, '203.0.113.1'), false, 'it no longer reaches the outside');
      assert.equal(await nsPings(lab.hosts.hv1.namespace, lab.hosts.net2.underlayIp), false, 'nor the underlay');
      const gone = async () => ((await api.get('/v2.0/agents?host=net2')).body.agents as Array<{ alive: boolean }>).every((a) => !a.alive);
      await until('net2’s agents dead in the API', gone, (DOWN_TIME + 5) * 1000);
      assert.ok(((await api.get('/v2.0/agents?host=net1')).body.agents as Array<{ alive: boolean }>).every((a) => a.alive), 'net1’s agents stay alive');
      const status = await run(cmd, [...args, 'status', '--prefix', PREFIX, '--url', server.url]).then(
        (r) => ({ code: 0, out: r.stdout }),
        (err: { code: number; stdout: string }) => ({ code: err.code, out: err.stdout }),
      );
      assert.equal(status.code, 1, 'status fails while agents are not running');
      assert.match(status.out, /host net2 .*DOWN/);

      const up = await run(cmd, [...args, 'host-up', '--prefix', PREFIX, '--host', 'net2', '--url', server.url], { timeout: 60_000 });
      assert.match(up.stdout, /all 4 agents report/);
      const after = readLab(PREFIX)?.agents.filter((a) => a.host === 'net2') ?? [];
      assert.deepEqual(after.map((a) => a.kind).sort(), ['dhcp', 'l2', 'l3', 'metering']);
      for (const a of after) {
        assert.ok(!before.some((b) => b.pid === a.pid), `agent ${a.kind} has a new pid`);
        assert.equal(await isGone(a.pid), false, `agent ${a.kind} runs`);
      }
      assert.equal(readLab(PREFIX)?.hosts.net2.down, undefined);
      assert.ok(((await api.get('/v2.0/agents?host=net2')).body.agents as Array<{ alive: boolean }>).every((a) => a.alive), 'net2’s agents alive again');
      await until('the probe router reachable again', () => nsPings(lab.outside.namespace, '203.0.113.52'), 10_000);
      assert.ok(await nsPings(lab.hosts.hv1.namespace, lab.hosts.net2.underlayIp), 'and the underlay');
    } finally {
      sh('ip', 'netns', 'del', qr);
      sh('ip', '-n', net2, 'link', 'del', 'br-probe');
    }
  });

  it('deleting the VMs and the network converges every host, and the DHCP namespace goes away', async () => {
    await compute('delete', 'vm1');
    await compute('delete', 'vm2');
    assert.equal((await api.del(`/v2.0/networks/${netA.id}`)).status, 204);
    await until('bridges gone', () => ['hv1', 'hv2', 'net1', 'net2'].every((h) => !links(h).includes(bridgeName(netA.id))));
    await until('qdhcp namespace gone', () => !sh('ip', 'netns', 'list').includes(`qdhcp-${netA.id}`));
    assert.equal((await compute('list')).stdout.trim(), '');
  });

  it('down stops every daemon of the lab, keepalived (which restarts its children) and radvd included, and leaves nothing', async () => {
    // what the L3 agent leaves running in a router namespace of net1: keepalived (a parent and its
    // VRRP child) and radvd (and its privilege-separated child). radvd's files are under net1's
    // state_path, so down finds it by its command line; keepalived's are not, so only the namespace
    // tells whose it is.
    const lab = readLab(PREFIX);
    assert.ok(lab);
    const qr = `${lab.hosts.net1.namespace}-qrouter-ha`;
    const dir = path.join(labStateDir(PREFIX), 'net1', 'ra', 'probe');
    const kdir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-ka-`));
    fs.mkdirSync(dir, { recursive: true });
    sh('ip', 'netns', 'add', qr);
    sh('ip', '-n', qr, 'link', 'add', 'ha-probe', 'type', 'veth', 'peer', 'name', 'ha-peer');
    sh('ip', '-n', qr, 'link', 'add', 'qr-probe', 'type', 'veth', 'peer', 'name', 'qr-peer');
    for (const l of ['lo', 'ha-probe', 'ha-peer', 'qr-probe', 'qr-peer']) sh('ip', '-n', qr, 'link', 'set', l, 'up');
    sh('ip', '-n', qr, 'addr', 'add', '169.254.192.1/18', 'dev', 'ha-probe');
    const vrrp = 'vrrp_instance VR_1 {\n state BACKUP\n interface ha-probe\n virtual_router_id 1\n priority 50\n advert_int 1\n nopreempt\n virtual_ipaddress {\n  169.254.0.1/24 dev ha-probe\n }\n}\n';
    fs.writeFileSync(path.join(kdir, 'keepalived.conf'), `global_defs {\n router_id ${PREFIX}\n}\n${vrrp}`);
    fs.writeFileSync(path.join(dir, 'radvd.conf'), 'interface qr-probe {\n AdvSendAdvert on;\n prefix 2001:db8:61::/64 {\n  AdvOnLink on;\n  AdvAutonomous on;\n };\n};\n');
    sh('ip', 'netns', 'exec', qr, 'keepalived', '-P', '-f', path.join(kdir, 'keepalived.conf'), '-p', path.join(kdir, 'keepalived.pid'), '-r', path.join(kdir, 'vrrp.pid'));
    sh('ip', 'netns', 'exec', qr, 'radvd', '-C', path.join(dir, 'radvd.conf'), '-p', path.join(dir, 'radvd.pid'), '-m', 'syslog');
    const daemons = () => sh('ip', 'netns', 'pids', qr).split('\n').filter(Boolean).map(Number);
    const names = (pids: number[]) => pids.map((p) => fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim()).sort();
    await until('keepalived and radvd with their children', () => names(daemons()).join(' ') === 'keepalived keepalived radvd radvd', 10_000);
    const pids = daemons();

    const [cmd, ...args] = cli('nucleon-lab');
    const down = await run(cmd, [...args, 'down', '--prefix', PREFIX], { timeout: 60_000 });
    fs.rmSync(kdir, { recursive: true, force: true });
    assert.match(down.stdout, /stopped \d+ agent processes/);
    assert.match(down.stdout, /stopped \d+ process(es)? inside the lab's namespaces/);
    for (const pid of pids) assert.ok(await isGone(pid), `daemon ${pid} of the router namespace is gone`);
    // no namespace, no process naming the state directory (agent, dnsmasq, keepalived, radvd), no state directory (the agents' state_path in it)
    assert.deepEqual(leftovers(), { namespaces: [], processes: [], stateDir: false });
  });
});
