/**
 * `nucleon-lab up --transport inproc`: the lab without a broker, a server and every host's agents
 * in the lab's own process. VMs on two hypervisors get their leases (IPv4, DHCPv6 stateful, and
 * stateless on an IPv6-only network) and ping each other, a VM takes router advertisements (a
 * SLAAC address and default route from radvd); stopping the lab process takes everything down.
 * Needs root (CI runs it).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import { freePort, ROOT } from '../helpers/server.js';
import { datapathSkipReason, namespaces, removeNamespaces, sh } from '../helpers/netns.js';
import pino from 'pino';
import { Compute } from '../../src/compute/compute.js';
import { apiClient } from '../../src/compute/api-client.js';
import { ProcessRunner } from '../../src/linux/runner.js';

const run = promisify(execFile);
const PREFIX = `ei${randomBytes(2).toString('hex')}`;
const cli = (name: string) => [process.execPath, '--import', 'tsx', path.join(ROOT, `src/cli/${name}.ts`)];

/** radvd has no option that exits 0 (`-v` prints its version, then exits 1): it is there when its binary is. */
function radvdSkipReason(): string | undefined {
  if (fs.existsSync('/usr/sbin/radvd')) return undefined;
  if (process.env.CI === 'true') throw new Error('under CI: radvd is not installed');
  return 'radvd is not installed';
}

describe('nucleon-lab --transport inproc: one process, no broker', { skip: datapathSkipReason([['ip', '-V'], ['nft', '--version'], ['dnsmasq', '--version'], ['busybox', 'udhcpc', '--help'], ['dhclient', '--version']]) ?? radvdSkipReason() }, () => {
  let lab: ChildProcess;
  let url: string;
  let out = '';
  before(async () => {
    removeNamespaces((n) => /^ei[0-9a-f]{4}-/.test(n));
    url = `http://127.0.0.1:${await freePort()}`;
    const [cmd, ...args] = cli('nucleon-lab');
    lab = spawn(cmd, [...args, 'up', '--prefix', PREFIX, '--transport', 'inproc', '--url', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    lab.stdout?.on('data', (d) => (out += d));
    lab.stderr?.on('data', (d) => (out += d));
    for (let i = 0; !out.includes('is up'); i++) {
      assert.ok(i < 300 && lab.exitCode === null, `the lab comes up: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    if (lab.exitCode === null) {
      lab.kill('SIGTERM');
      await new Promise((r) => lab.once('exit', r));
    }
    removeNamespaces((n) => n.startsWith(`${PREFIX}-`));
  });

  it('serves VMs on two hypervisors, then leaves nothing when stopped', async () => {
    const api = async (method: string, p: string, body?: unknown) => (await fetch(`${url}${p}`, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } })).json();
    assert.equal((await api('GET', '/v2.0/agents?alive=true')).agents.length, 6);
    const net = (await api('POST', '/v2.0/networks', { network: { name: 'inproc' } })).network;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.66.0.0/24', ip_version: 4 } });
    const v6 = (await api('POST', '/v2.0/subnets', { subnet: { network_id: net.id, cidr: 'fd00:66::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateful', ipv6_ra_mode: 'dhcpv6-stateful' } })).subnet;
    const [cmd, ...args] = cli('nucleon-compute');
    const compute = (...a: string[]) => run(cmd, [...args, '--lab', PREFIX, '--url', url, ...a], { timeout: 90_000 });
    await compute('boot', '--host', 'hv1', '--network', 'inproc', 'vm1');
    await compute('boot', '--host', 'hv2', '--network', 'inproc', 'vm2');
    const ports = (await api('GET', `/v2.0/ports?network_id=${net.id}&device_owner=compute:nova`)).ports as Array<{ name: string; fixed_ips: Array<{ ip_address: string }> }>;
    const vm2 = ports.find((p) => p.name === 'vm2')!.fixed_ips[0].ip_address;
    await compute('console', 'vm1', '--', 'ping', '-c', '2', '-i', '0.2', '-W', '2', vm2);
    // DHCPv6 (stateful) from the same dnsmasq: ISC dhclient, with a script that changes nothing, records the offer
    const want6 = ports.find((p) => p.name === 'vm1')!.fixed_ips.find((i) => i.ip_address.includes(':'))!.ip_address;
    assert.ok(want6.startsWith('fd00:66:'), `the port has an address on ${v6.cidr}`);
    const lease = path.join(os.tmpdir(), `${PREFIX}-v6.lease`);
    // (until the VM's link-local address has passed duplicate address detection, dhclient -1 gives up at once)
    for (let i = 0; ; i++) {
      const ok = await compute('console', 'vm1', '--', 'dhclient', '-6', '-1', '-sf', '/bin/true', '-lf', lease, '-pf', `${lease}.pid`, 'eth0').then(
        () => true,
        () => false,
      );
      if (ok) break;
      assert.ok(i < 10, 'dhclient -6 gets a lease');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(fs.readFileSync(lease, 'utf8'), new RegExp(`iaaddr ${want6.replace(/:/g, ':')} \\{`), 'the API\'s IPv6 address, offered by DHCPv6');
    fs.rmSync(lease, { force: true });
    // an information request (stateless DHCPv6) is answered with the options, the DNS server among
    // them: dhclient hands them to its script, which here only writes them to a file of the test.
    const dump = path.join(os.tmpdir(), `${PREFIX}-dhcp6.env`);
    const script = path.join(os.tmpdir(), `${PREFIX}-dhcp6.sh`);
    fs.writeFileSync(script, `#!/bin/sh\nenv > ${dump}\n`, { mode: 0o755 });
    // on a network of its own, IPv6 only: the address comes from SLAAC (set by nucleon-compute as the API computed it), the options from DHCPv6
    const net6 = (await api('POST', '/v2.0/networks', { network: { name: 'inproc6' } })).network;
    await api('POST', '/v2.0/subnets', { subnet: { network_id: net6.id, cidr: 'fd00:67::/64', ip_version: 6, ipv6_address_mode: 'dhcpv6-stateless', ipv6_ra_mode: 'dhcpv6-stateless', dns_nameservers: ['fd00:67::53'] } });
    await compute('boot', '--host', 'hv2', '--network', 'inproc6', 'vm6');
    for (let i = 0; ; i++) {
      const ok = await compute('console', 'vm6', '--', 'dhclient', '-6', '-S', '-1', '-sf', script, '-lf', lease, '-pf', `${lease}.pid`, 'eth0').then(
        () => true,
        () => false,
      );
      if (ok) break;
      assert.ok(i < 10, 'dhclient -6 -S gets an answer');
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(fs.readFileSync(dump, 'utf8'), /^new_dhcp6_name_servers=fd00:67::53$/m);
    for (const f of [lease, `${lease}.pid`, dump, script]) fs.rmSync(f, { force: true });
    // router advertisements reach a VM and it takes them (SLAAC): radvd, as the L3 agent will run it
    // on a router's interface, here on the DHCP port of inproc6 (net1) with a prefix the API does not know
    const vms = Compute.forLab(apiClient({ url }), new ProcessRunner(pino({ level: 'silent' })), PREFIX);
    assert.equal((await vms.exec('vm6', ['sysctl', '-n', 'net.ipv6.conf.eth0.accept_ra', 'net.ipv6.conf.eth0.autoconf', 'net.ipv6.conf.eth0.forwarding'])).split('\n').join(' ').trim(), '1 1 0');
    const qdhcp = `${PREFIX}-net1-qdhcp-${net6.id}`;
    const dev = (JSON.parse(sh('ip', '-n', qdhcp, '-j', 'link', 'show')) as Array<{ ifname: string }>).find((l) => l.ifname.startsWith('ns-'))!.ifname;
    const radvdConf = path.join(os.tmpdir(), `${PREFIX}-radvd.conf`);
    fs.writeFileSync(radvdConf, `interface ${dev} {\n AdvSendAdvert on;\n MinRtrAdvInterval 3;\n MaxRtrAdvInterval 4;\n prefix 2001:db8:68::/64 {\n  AdvOnLink on;\n  AdvAutonomous on;\n };\n};\n`);
    sh('ip', 'netns', 'exec', qdhcp, 'radvd', '-C', radvdConf, '-p', `${radvdConf}.pid`, '-m', 'syslog');
    const slaac = async () => (await vms.addresses('vm6')).find((a) => a.family === 'inet6' && a.local.startsWith('2001:db8:68:') && a.dynamic && !a.tentative);
    for (let i = 0; !(await slaac()); i++) {
      assert.ok(i < 100, `vm6 gets a SLAAC address from the advertisement: ${JSON.stringify(await vms.addresses('vm6'))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(await vms.exec('vm6', ['ip', '-6', 'route', 'show', 'default']), /^default via fe80::\S+ dev eth0 proto ra/m, 'and its default route');
    for (const pid of sh('ip', 'netns', 'pids', qdhcp).split('\n').filter(Boolean)) if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'radvd') process.kill(Number(pid));
    for (const f of [radvdConf, `${radvdConf}.pid`]) fs.rmSync(f, { force: true });
    lab.kill('SIGTERM');
    await new Promise((r) => lab.once('exit', r));
    assert.equal(lab.exitCode, 0, out);
    assert.deepEqual(
      namespaces().filter((n) => n.startsWith(`${PREFIX}-`)),
      [],
      'every namespace of the lab is gone',
    );
  });
});
