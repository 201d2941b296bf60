/**
 * The real `openstack` CLI (Debian's python3-openstackclient, through openstacksdk) against an
 * in-process Nucleon on SQLite, in noauth mode: `--os-auth-type none --os-endpoint URL` sends every
 * service, the network one included, to that URL with no Keystone. This checks what unit tests
 * cannot: that a client operators really use can create, find, update and delete networks, subnets,
 * ports and subnet pools, and that it reads our Neutron-shaped errors. On a laptop without the CLI the test skips;
 * under CI (CI=true) it fails instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliOnFreshServer } from './helpers/cli.js';

test('the openstack CLI manages networks, subnets and ports and reads Neutron errors', { timeout: 300_000 }, async (t) => {
  const cli = await cliOnFreshServer(t);
  if (!cli) return;
  const { ok, fails } = cli;

  // Network: create with a description and a tag (the CLI PUTs the tags after the POST).
  const net = await ok('network', 'create', '--description', 'made by the CLI', '--tag', 'cli-tag', 'cli-net', '-f', 'json');
  assert.equal(net.name, 'cli-net');
  assert.equal(net.status, 'ACTIVE');
  assert.equal(net.project_id, 'fake_project_id');

  const listed = await ok('network', 'list', '--tags', 'cli-tag', '--long', '-f', 'json');
  assert.deepEqual(
    listed.map((n: { ID: string; Tags: string[] }) => [n.ID, n.Tags]),
    [[net.id, ['cli-tag']]],
  );

  const shown = await ok('network', 'show', 'cli-net', '-f', 'json');
  assert.equal(shown.id, net.id);
  assert.equal(shown.description, 'made by the CLI');
  assert.deepEqual(shown.tags, ['cli-tag']);

  await ok('network', 'set', '--name', 'cli-net-renamed', net.id);
  const renamed = await ok('network', 'show', 'cli-net-renamed', '-f', 'json');
  assert.equal(renamed.id, net.id);
  assert.ok(renamed.revision_number > shown.revision_number, 'an update bumps revision_number');

  // Subnet.
  const subnet = await ok(
    'subnet', 'create', 'cli-subnet', '--network', 'cli-net-renamed', '--subnet-range', '10.20.0.0/24',
    '--allocation-pool', 'start=10.20.0.10,end=10.20.0.100', '--dns-nameserver', '10.20.0.2',
    '--gateway', '10.20.0.1', '-f', 'json',
  );
  assert.equal(subnet.network_id, net.id);
  assert.equal(subnet.cidr, '10.20.0.0/24');
  assert.equal(subnet.ip_version, 4);

  const subnets = await ok('subnet', 'list', '--network', net.id, '-f', 'json');
  assert.deepEqual(
    subnets.map((s: { ID: string; Subnet: string }) => [s.ID, s.Subnet]),
    [[subnet.id, '10.20.0.0/24']],
  );
  const subnetShown = await ok('subnet', 'show', 'cli-subnet', '-f', 'json');
  assert.equal(subnetShown.id, subnet.id);
  assert.equal(subnetShown.gateway_ip, '10.20.0.1');
  assert.deepEqual(subnetShown.allocation_pools, [{ start: '10.20.0.10', end: '10.20.0.100' }]);
  assert.deepEqual(subnetShown.dns_nameservers, ['10.20.0.2']);
  assert.equal(subnetShown.enable_dhcp, true);

  // Port with a fixed IP, renamed, then shown by its new name.
  const port = await ok(
    'port', 'create', 'cli-port', '--network', net.id, '--fixed-ip', 'subnet=cli-subnet,ip-address=10.20.0.50', '-f', 'json',
  );
  assert.equal(port.network_id, net.id);
  await ok('port', 'set', '--name', 'cli-port-renamed', port.id);
  const portShown = await ok('port', 'show', 'cli-port-renamed', '-f', 'json');
  assert.equal(portShown.id, port.id);
  assert.deepEqual(portShown.fixed_ips, [{ subnet_id: subnet.id, ip_address: '10.20.0.50' }]);
  assert.match(portShown.mac_address, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);

  // Errors, as the CLI reports them.
  const dup = await fails('port', 'create', 'cli-dup', '--network', net.id, '--fixed-ip', `subnet=${subnet.id},ip-address=10.20.0.50`);
  assert.match(dup, /409/);
  assert.match(dup, /IP address 10\.20\.0\.50 already allocated in subnet/);

  // The CLI GETs /networks/<id>, then falls back to ?name=<id>; --debug shows the 404 body it got.
  const missing = await fails('--debug', 'network', 'show', '0e4f0d6c-0000-4000-8000-000000000000');
  assert.match(missing, /"type":\s*"NetworkNotFound"/);
  assert.match(missing, /Network 0e4f0d6c-0000-4000-8000-000000000000 could not be found/);
  assert.match(missing, /No Network found for 0e4f0d6c-0000-4000-8000-000000000000/);

  const inUse = await fails('network', 'delete', net.id);
  assert.match(inUse, /409/);
  assert.match(inUse, /There are one or more ports still in use on the network/);
  assert.ok(inUse.includes(port.id), 'NetworkInUse names the port');

  // Clean up in order; then the network is gone from the list.
  await ok('port', 'delete', port.id);
  await ok('subnet', 'delete', subnet.id);
  await ok('network', 'delete', net.id);
  const after = await ok('network', 'list', '-f', 'json');
  assert.ok(!after.some((n: { ID: string }) => n.ID === net.id), 'the deleted network is no longer listed');
});

test('the openstack CLI manages subnet pools and takes subnets from them', { timeout: 300_000 }, async (t) => {
  const cli = await cliOnFreshServer(t);
  if (!cli) return;
  const { ok, fails } = cli;

  const pool = await ok('subnet', 'pool', 'create', '--pool-prefix', '10.200.0.0/16', '--default-prefix-length', '24', '--tag', 'blue', 'cli-pool', '-f', 'json');
  assert.deepEqual([pool.prefixes, pool.default_prefixlen, pool.min_prefixlen, pool.max_prefixlen, pool.tags], [['10.200.0.0/16'], 24, 8, 32, ['blue']]);
  const net = await ok('network', 'create', 'cli-pool-net', '-f', 'json');
  const sub = await ok('subnet', 'create', '--network', net.id, '--subnet-pool', 'cli-pool', '--prefix-length', '26', 'cli-pool-sub', '-f', 'json');
  assert.deepEqual([sub.cidr, sub.subnetpool_id, sub.gateway_ip], ['10.200.0.0/26', pool.id, '10.200.0.1']);

  await ok('subnet', 'pool', 'set', '--pool-prefix', '10.201.0.0/16', '--name', 'cli-pool-2', 'cli-pool');
  const grown = await ok('subnet', 'pool', 'show', 'cli-pool-2', '-f', 'json');
  assert.deepEqual(grown.prefixes, ['10.200.0.0/15']);
  const listed = await ok('subnet', 'pool', 'list', '--tags', 'blue', '-f', 'json');
  assert.deepEqual(listed.map((p: { ID: string }) => p.ID), [pool.id]);

  const inUse = await fails('subnet', 'pool', 'delete', 'cli-pool-2');
  assert.match(inUse, /Unable to delete subnet pool: Subnet pool has existing allocations/);
  await ok('subnet', 'delete', sub.id);
  await ok('subnet', 'pool', 'delete', 'cli-pool-2');
  assert.deepEqual(await ok('subnet', 'pool', 'list', '-f', 'json'), []);
});
