/**
 * End to end on one machine shaped like many: a nucleon-server process on PostgreSQL, agents over
 * RabbitMQ (a virtual host of this run), a lab of two hypervisors and a network node built by
 * `nucleon-lab`, and VMs booted by `nucleon-compute`. Checks what a cloud user relies on: VMs get
 * the API's addresses from dnsmasq and reach each other across hosts over VXLAN, another network
 * does not reach them, changes converge, an agent that was stopped catches up while the VMs keep
 * working, a boot that cannot bind says so and leaves nothing behind, and the lab leaves nothing
 * behind either. Needs root, RabbitMQ and PostgreSQL; CI runs it and it must not skip there.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { postgres, skipReason } from '../helpers/dialects.js';
import { client, ROOT, spawnServer, type Spawned } from '../helpers/server.js';
import { rabbitctlSkipReason, testVhost } from '../helpers/rabbitmq.js';
import { labStateDir, readLab, startAgent } from '../../src/lab/lab.js';
import { bridgeName } from '../../src/agents/l2/plan.js';

const run = promisify(execFile);
const PREFIX = `e2e${randomBytes(2).toString('hex')}`;
const DOWN_TIME = 6;
const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString();

function why(): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'the end-to-end tests need root (network namespaces)';
  else {
    for (const tool of [['ip', '-V'], ['busybox'], ['dnsmasq', '--version'], ['nft', '--version'], ['socat', '-V']]) {
      try {
        sh(...tool);
      } catch {
        reason = `${tool[0]} is not installed`;
      }
    }
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
    const up = await run(cmd, [...args, 'up', '--prefix', PREFIX, '--url', server.url, '--transport-url', vhost.url, '--report-interval', '1'], { timeout: 120_000 });
    assert.match(up.stdout, /all 6 agents report/);
  });

  after(async () => {
    const [cmd, ...args] = cli('nucleon-lab');
    await run(cmd, [...args, 'down', '--prefix', PREFIX]).catch((err) => assert.fail(`nucleon-lab down: ${err}`));
    await server?.stop();
    await db?.drop();
    vhost?.remove();
    // nothing of the run is left: no namespace, no process working for it
    assert.deepEqual(
      sh('ip', 'netns', 'list')
        .split('\n')
        .filter((n) => n.startsWith(`${PREFIX}-`)),
      [],
    );
    const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && (() => { try { return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(`/run/nucleon-lab/${PREFIX}/`); } catch { return false; } })()); // prettier-ignore
    assert.deepEqual(procs, [], 'no agent or dnsmasq of the lab is left');
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

  it('deleting the VMs and the network converges every host, and the DHCP namespace goes away', async () => {
    await compute('delete', 'vm1');
    await compute('delete', 'vm2');
    assert.equal((await api.del(`/v2.0/networks/${netA.id}`)).status, 204);
    await until('bridges gone', () => ['hv1', 'hv2', 'net1'].every((h) => !links(h).includes(bridgeName(netA.id))));
    await until('qdhcp namespace gone', () => !sh('ip', 'netns', 'list').includes(`qdhcp-${netA.id}`));
    assert.equal((await compute('list')).stdout.trim(), '');
  });
});
