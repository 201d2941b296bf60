/**
 * A whole project topology through the real `openstack` CLI (noauth, SQLite): external network
 * and subnet, project network and subnet, a router with a gateway and an interface, a security
 * group with rules, a port, a floating IP created, associated, disassociated; the refusals an
 * operator meets on the way (things in use); then everything deleted again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliOnFreshServer } from './helpers/cli.js';

test('the openstack CLI builds and tears down a router topology with security groups and floating IPs', { timeout: 600_000 }, async (t) => {
  const cli = await cliOnFreshServer(t);
  if (!cli) return;
  const { ok, fails } = cli;

  const ext = await ok('network', 'create', '--external', '--provider-network-type', 'flat', '--provider-physical-network', 'topophys', 'topo-ext', '-f', 'json');
  assert.equal(ext['router:external'], true);
  await ok('subnet', 'create', '--network', 'topo-ext', '--subnet-range', '172.24.4.0/24', '--no-dhcp', 'topo-ext-sub', '-f', 'json');
  await ok('network', 'create', 'topo-net', '-f', 'json');
  const sub = await ok('subnet', 'create', '--network', 'topo-net', '--subnet-range', '10.30.0.0/24', 'topo-sub', '-f', 'json');
  assert.equal(sub.gateway_ip, '10.30.0.1');

  const router = await ok('router', 'create', 'topo-router', '-f', 'json');
  await ok('router', 'set', '--external-gateway', 'topo-ext', 'topo-router');
  await ok('router', 'add', 'subnet', 'topo-router', 'topo-sub');
  const shownRouter = await ok('router', 'show', 'topo-router', '-f', 'json');
  const gw = shownRouter.external_gateway_info;
  assert.equal(gw.network_id, ext.id);
  assert.equal(gw.enable_snat, true);
  assert.match(gw.external_fixed_ips[0].ip_address, /^172\.24\.4\./);
  const interfaces = await ok('port', 'list', '--router', 'topo-router', '--device-owner', 'network:router_interface', '-f', 'json');
  assert.equal(interfaces.length, 1);
  assert.equal(interfaces[0]['Fixed IP Addresses'][0].ip_address, '10.30.0.1', 'the interface took the subnet gateway');

  const sg = await ok('security', 'group', 'create', 'topo-web', '-f', 'json');
  const ssh = await ok('security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '0.0.0.0/0', 'topo-web', '-f', 'json');
  assert.equal(ssh.port_range_min, 22);
  await ok('security', 'group', 'rule', 'create', '--protocol', 'icmp', 'topo-web', '-f', 'json');
  const again = await fails('security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '0.0.0.0/0', 'topo-web');
  assert.match(again, /Security group rule already exists/);

  const port = await ok('port', 'create', '--network', 'topo-net', '--security-group', 'topo-web', 'topo-vm', '-f', 'json');
  assert.deepEqual(port.security_group_ids, [sg.id]);
  const fixedIp = port.fixed_ips[0].ip_address;

  const fip = await ok('floating', 'ip', 'create', 'topo-ext', '-f', 'json');
  assert.match(fip.floating_ip_address, /^172\.24\.4\./);
  assert.equal(fip.port_id, null);
  await ok('floating', 'ip', 'set', '--port', 'topo-vm', fip.id);
  const associated = await ok('floating', 'ip', 'show', fip.id, '-f', 'json');
  assert.equal(associated.port_id, port.id);
  assert.equal(associated.fixed_ip_address, fixedIp);
  assert.equal(associated.router_id, router.id);

  // What an operator is refused while things are in use.
  assert.match(await fails('security', 'group', 'delete', 'topo-web'), /in use/i);
  assert.match(await fails('subnet', 'delete', 'topo-sub'), /One or more ports have an IP allocation from this subnet/);
  assert.match(await fails('router', 'delete', 'topo-router'), /has ports still attached/);
  assert.match(await fails('network', 'delete', 'topo-ext'), /in use/i);

  await ok('floating', 'ip', 'unset', '--port', fip.id);
  assert.equal((await ok('floating', 'ip', 'show', fip.id, '-f', 'json')).port_id, null);
  await ok('floating', 'ip', 'delete', fip.id);
  await ok('port', 'delete', 'topo-vm');
  await ok('security', 'group', 'delete', 'topo-web');
  await ok('router', 'remove', 'subnet', 'topo-router', 'topo-sub');
  await ok('router', 'unset', '--external-gateway', 'topo-router');
  await ok('router', 'delete', 'topo-router');
  await ok('subnet', 'delete', 'topo-sub');
  await ok('network', 'delete', 'topo-net');
  await ok('subnet', 'delete', 'topo-ext-sub');
  await ok('network', 'delete', 'topo-ext');
  const left = await ok('port', 'list', '-f', 'json');
  assert.deepEqual(left, [], 'no port is left behind');
});
