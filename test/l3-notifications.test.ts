/**
 * Router changes reach the L3 agent at once, after commit, without a resync: a follow-only L3
 * agent (no datapath) on the server's bus hears `router_added_to_agent`, `routers_updated` for an
 * interface, a gateway and a floating IP, and `router_deleted`, and each time fetches exactly
 * those routers with `sync_routers` — whose answer carries what an L3 agent needs (interfaces and
 * gateway port with their subnets' CIDRs and gateways, the floating IPs). A metering agent hears
 * of labels and rules the same way (and reads them again). On every database.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { DIALECTS, skipReason } from './helpers/dialects.js';
import { serverFixture } from './helpers/server.js';
import { loadConfig } from '../src/config/config.js';
import { AgentRuntime } from '../src/agents/agent-runtime.js';
import { L3Driver, MeteringDriver } from '../src/agents/drivers.js';

type Dict = Record<string, unknown>;

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const dialect of DIALECTS) {
  describe(`router changes reach an L3 agent at once (${dialect.name})`, { skip: await skipReason(dialect), timeout: 120_000 }, () => {
    const srv = serverFixture(() => dialect.create());
    let runtime: AgentRuntime;
    let driver: L3Driver;
    const log = pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' });
    before(async () => {
      await srv.start();
      const app = srv.running.app;
      // an hour between heartbeats: nothing but the notifications can bring a change in this test
      const config = loadConfig([], { NUCLEON_DEFAULT__HOST: 'l3n-net1', NUCLEON_AGENT__REPORT_INTERVAL: '3600' });
      driver = new L3Driver(app.transport, 'l3n-net1', log);
      runtime = new AgentRuntime({ config, transport: app.transport, driver, logger: log });
      await runtime.start();
      await until('the first full sync', () => runtime.syncs === 1);
    });
    after(async () => {
      await runtime?.stop();
      await srv.stop();
    });

    it('interfaces, gateway, floating IPs and deletion arrive by notification alone, with subnets and gateways', async () => {
      const api = srv.api;
      const net = (await api.post('/v2.0/networks', { network: { name: 'l3n-int' } })).body.network;
      const sub = (await api.post('/v2.0/subnets', { subnet: { network_id: net.id, cidr: '10.61.0.0/24', ip_version: 4 } })).body.subnet;
      const ext = (await api.post('/v2.0/networks', { network: { name: 'l3n-ext', 'router:external': true } })).body.network;
      const extSub = (await api.post('/v2.0/subnets', { subnet: { network_id: ext.id, cidr: '198.51.100.0/24', ip_version: 4 } })).body.subnet;
      const router = (await api.post('/v2.0/routers', { router: { name: 'l3n-r' } })).body.router;
      const syncs = runtime.syncs;

      // scheduled onto the only L3 agent: router_added_to_agent, then sync_routers for it
      const mine = () => driver.routers.get(router.id) as Dict | undefined;
      await until('router_added_to_agent', () => mine());

      assert.equal((await api.put(`/v2.0/routers/${router.id}/add_router_interface`, { subnet_id: sub.id })).status, 200);
      const iface = await until('the interface', () => (mine()?._interfaces as Dict[] | undefined)?.[0]);
      assert.deepEqual(iface.subnets, [{ id: sub.id, cidr: '10.61.0.0/24', gateway_ip: '10.61.0.1', dns_nameservers: [], ipv6_ra_mode: null, subnetpool_id: null }]);
      assert.deepEqual(iface.fixed_ips, [{ subnet_id: sub.id, ip_address: '10.61.0.1', prefixlen: 24 }]);
      assert.equal(iface.device_owner, 'network:router_interface');
      assert.equal(iface.mtu, net.mtu);
      assert.deepEqual(iface.extra_subnets, []);

      assert.equal((await api.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: { network_id: ext.id } } })).status, 200);
      const gw = (await until('the gateway port', () => mine()?.gw_port as Dict | null | undefined)) as Dict;
      assert.equal((gw.subnets as Dict[])[0].cidr, '198.51.100.0/24');
      assert.equal((gw.subnets as Dict[])[0].gateway_ip, extSub.gateway_ip);

      const vm = (await api.post('/v2.0/ports', { port: { network_id: net.id, name: 'l3n-vm' } })).body.port;
      const fip = (await api.post('/v2.0/floatingips', { floatingip: { floating_network_id: ext.id, port_id: vm.id } })).body.floatingip;
      const fips = await until('the floating IP', () => ((mine()?._floatingips as Dict[] | undefined)?.length ? (mine()!._floatingips as Dict[]) : undefined));
      assert.deepEqual(
        fips.map((f) => [f.id, f.fixed_ip_address, f.floating_ip_address]),
        [[fip.id, vm.fixed_ips[0].ip_address, fip.floating_ip_address]],
      );
      // the port goes: its floating IP is disassociated, and the router hears of it
      assert.equal((await api.del(`/v2.0/ports/${vm.id}`)).status, 204);
      await until('the disassociation', () => (mine()?._floatingips as Dict[]).length === 0);

      assert.equal((await api.put(`/v2.0/routers/${router.id}/remove_router_interface`, { subnet_id: sub.id })).status, 200);
      await until('the interface removal', () => (mine()?._interfaces as Dict[]).length === 0);
      assert.equal((await api.del(`/v2.0/floatingips/${fip.id}`)).status, 204);
      assert.equal((await api.put(`/v2.0/routers/${router.id}`, { router: { external_gateway_info: null } })).status, 200);
      await until('the gateway removal', () => mine()?.gw_port === null);
      assert.equal((await api.del(`/v2.0/routers/${router.id}`)).status, 204);
      await until('router_deleted', () => !driver.routers.has(router.id));

      assert.equal(runtime.syncs, syncs, 'no full sync: every change came by notification');
    });

    it('metering labels and rules reach a metering agent by notification', async () => {
      const app = srv.running.app;
      const config = loadConfig([], { NUCLEON_DEFAULT__HOST: 'l3n-net1', NUCLEON_AGENT__REPORT_INTERVAL: '3600' });
      const metering = new MeteringDriver(app.transport, 'l3n-net1', log);
      const mrt = new AgentRuntime({ config, transport: app.transport, driver: metering, logger: log });
      await mrt.start();
      try {
        await until('the first metering sync', () => mrt.syncs === 1);
        const label = (await srv.api.post('/v2.0/metering/metering-labels', { metering_label: { name: 'l3n-label' } })).body.metering_label;
        await until('the label', () => metering.labels.some((l) => l.id === label.id));
        const rule = (await srv.api.post('/v2.0/metering/metering-label-rules', { metering_label_rule: { metering_label_id: label.id, remote_ip_prefix: '10.62.0.0/16', direction: 'ingress' } })).body.metering_label_rule;
        await until('the rule', () => (metering.labels.find((l) => l.id === label.id)?.rules as Dict[] | undefined)?.some((r) => r.id === rule.id));
        assert.equal((await srv.api.del(`/v2.0/metering/metering-labels/${label.id}`)).status, 204);
        await until('the label removal', () => !metering.labels.some((l) => l.id === label.id));
      } finally {
        await mrt.stop();
      }
    });
  });
}
