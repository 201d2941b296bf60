/**
 * The DHCP agent's datapath pass, called by DhcpDriver on every sync when `[agent] datapath` is
 * on, for every hosted network or for one (a key of the agent's work queue): make sure each served
 * network has this host's DHCP port (`create_dhcp_port`, idempotent on the server), observe the
 * host, plan (plan.ts) and apply, tell the L2 agent of new taps (an update of their port), report
 * the ports of converged networks ready, then release the DHCP ports of networks the host no
 * longer serves. A network whose port could not be had is left as it is this pass. Changes go
 * through `applyCommands` (src/linux/apply.ts), files included: a failed command does not stop the
 * others, and a network with a failed command is not reported ready. A pass that left something
 * undone (a failed command, no DHCP port, ports not reported ready) throws at its end, so that the
 * runtime retries it with backoff. A dry run changes nothing, on the host or the servers.
 */
import path from 'node:path';
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import type { CommandRunner } from '../../linux/runner.js';
import { applyCommands, reportError } from '../../linux/apply.js';
import type { HostCommand } from '../../linux/host-command.js';
import type { RpcClient } from '../../rpc/rpc-api.js';
import type { NetworkInfo, ServerPluginApi } from '../server-api.js';
import { observeDhcp } from './observe.js';
import { desiredDhcp, planDhcpByNetwork, renderDhcp, type DhcpLayout } from './plan.js';
import { dhcpDeviceId, nsDeviceName, servedSubnets, type DhcpNetwork, type DhcpPort } from './render.js';

export interface DhcpDatapath {
  runner: CommandRunner;
  /** `[agent] host_namespace`: where the taps go (the L2 agent's devices). */
  netns?: string;
  layout: DhcpLayout;
}

export const dhcpLayout = (config: Config): DhcpLayout => ({
  prefix: config.agent.namespace_prefix,
  stateDir: path.resolve(config.DEFAULT.state_path, 'dhcp'),
  domain: config.DEFAULT.dns_domain.replace(/\.$/, ''),
  leaseDuration: config.DEFAULT.dhcp_lease_duration,
});


/**
 * dnsmasq reads its hosts and options files again after a SIGHUP as the user it dropped to
 * (`nobody`): every directory above them must let others through, or updates are silently ignored
 * while the first start (as root) worked. The agent's own `dhcp` directory is made 0755, and the
 * state directory gets the search bit for others if it lacks it (said once in the log).
 */
async function letDnsmasqRead(stateDir: string, log: Logger): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o755 });
  for (const dir of [stateDir, path.dirname(stateDir)]) {
    const mode = (await stat(dir)).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      await chmod(dir, mode | 0o001 | (dir === stateDir ? 0o055 : 0));
      log.warn({ dir, mode: mode.toString(8) }, 'made the directory searchable by others: dnsmasq reads its files there as nobody');
    }
  }
}

/**
 * One datapath pass for the networks hosted here (`hosted`: all of them, as the server lists
 * them), or only for network `only`; returns the number of commands run.
 */
export async function syncDhcp(server: RpcClient<ServerPluginApi>, host: string, hosted: NetworkInfo[], dp: DhcpDatapath, log: Logger, only?: string): Promise<number> {
  const networks: DhcpNetwork[] = [];
  const ports = new Map<string, DhcpPort>();
  const skipped = new Set<string>();
  /** What this pass could not do; the pass fails with it at the end, so that the runtime retries it with backoff. */
  const unfinished: string[] = [];
  // a dry run changes nothing, on the host or on the servers: no DHCP port is made, updated or released
  const dry = dp.runner.dryRun;
  for (const raw of hosted) {
    if (only !== undefined && raw.id !== only) continue;
    const net: DhcpNetwork = raw;
    const served = servedSubnets(net);
    if (!served.length) continue;
    const deviceId = dhcpDeviceId(host, net.id);
    let port: DhcpPort | undefined = net.ports.find((p) => p.device_id === deviceId && p.device_owner === 'network:dhcp');
    const ready = port && port['binding:host_id'] === host && served.every((s) => port!.fixed_ips.some((ip) => ip.subnet_id === s.id));
    if (!ready && dry) {
      log.info({ network_id: net.id }, 'dry run: this network has no DHCP port of this host yet; a real sync would ask for one (create_dhcp_port) and serve it');
      skipped.add(net.id);
      continue;
    }
    try {
      if (!ready) {
        const spec = { network_id: net.id, device_id: deviceId, fixed_ips: served.map((s) => ({ subnet_id: s.id })) };
        port = await server.call('create_dhcp_port', { host, port: { port: spec } });
      }
    } catch (err) {
      log.warn({ network_id: net.id, err: (err as Error).message }, 'no DHCP port for the network; the pass is retried');
      unfinished.push(`no DHCP port for network ${net.id}: ${(err as Error).message}`);
      skipped.add(net.id);
      continue;
    }
    ports.set(net.id, port!);
    networks.push({ ...net, ports: [...net.ports.filter((p) => p.id !== port!.id), port!] });
  }
  const want = desiredDhcp(networks, ports, dp.layout);
  if (!dry && networks.length) await letDnsmasqRead(dp.layout.stateDir, log);
  const have = await observeDhcp(dp.runner, dp.layout, only);
  for (const id of skipped) have.delete(id);
  const plan = planDhcpByNetwork(want, have);
  const rendered = plan.flatMap(({ id, cmds }) => cmds.map((c) => ({ id, c, host: renderDhcp(c) })));
  const report = await applyCommands(dp.runner, rendered.map((r) => r.host), dp.netns);
  const notDone = new Set<HostCommand>([...report.failed.map((f) => f.command), ...report.skipped]);
  // a network with a command not done is not converged: its ports are not ready, its DHCP port not released
  const broken = new Set(rendered.filter((r) => notDone.has(r.host)).map((r) => r.id));
  // a new tap: its port is updated so that the L2 agent hears of it now (Neutron's polls its taps)
  for (const { c, host: made } of rendered) {
    if (c.op !== 'add-veth' || dry || notDone.has(made)) continue;
    const port = [...ports.values()].find((p) => nsDeviceName(p.id) === c.name)!;
    try {
      await server.call('update_dhcp_port', { host, port_id: port.id, port: { port: { 'binding:host_id': host } } });
    } catch (err) {
      log.warn({ port_id: port.id, err: (err as Error).message }, 'DHCP port not updated; its tap joins the bridge at the L2 agent’s next sync');
    }
  }
  // dnsmasq has the ports of the networks it serves now: they may go ACTIVE (provisioning blocks)
  const ready = dry ? [] : networks.filter((n) => !broken.has(n.id)).flatMap((n) => n.ports.filter((p) => p.device_owner !== 'network:dhcp').map((p) => p.id));
  if (ready.length) {
    try {
      await server.call('dhcp_ready_on_ports', { port_ids: ready });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'ports not reported ready; the pass is retried');
      unfinished.push(`ports not reported ready: ${(err as Error).message}`);
    }
  }
  for (const id of have.keys()) {
    if (want.has(id) || dry || broken.has(id)) continue;
    try {
      await server.call('release_dhcp_port', { host, network_id: id, device_id: dhcpDeviceId(host, id) });
    } catch (err) {
      log.warn({ network_id: id, err: (err as Error).message }, 'DHCP port not released; trying again at the next sync');
    }
  }
  const failed = reportError(report);
  if (failed || unfinished.length) throw new Error([failed?.message, ...unfinished].filter(Boolean).join('; '));
  return rendered.length;
}
