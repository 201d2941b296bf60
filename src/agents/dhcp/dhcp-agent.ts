/**
 * The DHCP agent's datapath pass, called by DhcpDriver on every sync when `[agent] datapath` is
 * on: make sure each served network has this host's DHCP port (`create_dhcp_port`, idempotent on
 * the server), observe the host, plan (plan.ts) and apply, tell the L2 agent of new taps (an update
 * of their port), then release the DHCP ports of networks the host no longer serves. A network whose port could not be had is left as it is this pass.
 * `applyDhcp` is the only side effect: commands through the CommandRunner (a dry run prints them,
 * files included), files written whole and renamed into place, a stopped dnsmasq awaited.
 */
import path from 'node:path';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Config } from '../../config/config.js';
import { DryRunRunner, type CommandRunner } from '../../linux/runner.js';
import type { RpcClient } from '../../rpc/rpc-api.js';
import type { ServerPluginApi } from '../server-api.js';
import { observeDhcp } from './observe.js';
import { desiredDhcp, planDhcp, renderDhcpCommand, type DhcpCommand, type DhcpLayout } from './plan.js';
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

/** Whether a process is gone (or a zombie nobody reaped yet). */
async function gone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || /^\d+ \(.*\) [ZX] /.test(stat);
}

/** Runs a plan on the host; the first failure stops it (the next sync plans again from what is there). */
export async function applyDhcp(run: CommandRunner, cmds: DhcpCommand[], hostNetns?: string): Promise<void> {
  const dry = run instanceof DryRunRunner;
  for (const c of cmds) {
    if (c.op === 'write-file') {
      if (dry) await run.run(['install', '-D', '-m', '0644', '/dev/stdin', c.path]);
      else {
        await mkdir(path.dirname(c.path), { recursive: true, mode: 0o755 });
        await writeFile(`${c.path}.tmp`, c.content, { mode: 0o644 });
        await rename(`${c.path}.tmp`, c.path);
      }
      continue;
    }
    if (c.op === 'remove-dir') {
      if (dry) await run.run(['rm', '-rf', c.path]);
      else await rm(c.path, { recursive: true, force: true });
      continue;
    }
    try {
      await run.run(renderDhcpCommand(c, hostNetns)!);
    } catch (err) {
      // a dnsmasq that died since we looked is as good as stopped
      if (c.op !== 'stop-dnsmasq' || !(await gone(c.pid))) throw err;
    }
    if (c.op === 'stop-dnsmasq' && !dry) for (let i = 0; i < 100 && !(await gone(c.pid)); i++) await new Promise((r) => setTimeout(r, 50));
  }
}

type Dict = Record<string, unknown>;

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

/** One datapath pass for the networks hosted here; returns the number of commands run. */
export async function syncDhcp(server: RpcClient<ServerPluginApi>, host: string, hosted: Dict[], dp: DhcpDatapath, log: Logger): Promise<number> {
  const networks: DhcpNetwork[] = [];
  const ports = new Map<string, DhcpPort>();
  const skipped = new Set<string>();
  // a dry run changes nothing, on the host or on the servers: no DHCP port is made, updated or released
  const dry = dp.runner instanceof DryRunRunner;
  for (const raw of hosted) {
    const net = raw as unknown as DhcpNetwork;
    const served = servedSubnets(net);
    if (!served.length) continue;
    const deviceId = dhcpDeviceId(host, net.id);
    let port: DhcpPort | undefined = net.ports.find((p) => p.device_id === deviceId && p.device_owner === 'network:dhcp');
    const ready = port && (port as unknown as Dict)['binding:host_id'] === host && served.every((s) => port!.fixed_ips.some((ip) => ip.subnet_id === s.id));
    if (!ready && dry) {
      log.info({ network_id: net.id }, 'dry run: this network has no DHCP port of this host yet; a real sync would ask for one (create_dhcp_port) and serve it');
      skipped.add(net.id);
      continue;
    }
    try {
      if (!ready) {
        const spec = { network_id: net.id, device_id: deviceId, fixed_ips: served.map((s) => ({ subnet_id: s.id })) };
        port = (await server.call('create_dhcp_port', { host, port: { port: spec } })) as unknown as DhcpPort;
      }
    } catch (err) {
      log.warn({ network_id: net.id, err: (err as Error).message }, 'no DHCP port for the network; trying again at the next sync');
      skipped.add(net.id);
      continue;
    }
    ports.set(net.id, port!);
    networks.push({ ...net, ports: [...net.ports.filter((p) => p.id !== port!.id), port!] });
  }
  const want = desiredDhcp(networks, ports, dp.layout);
  if (!dry && networks.length) await letDnsmasqRead(dp.layout.stateDir, log);
  const have = await observeDhcp(dp.runner, dp.layout);
  for (const id of skipped) have.delete(id);
  const cmds = planDhcp(want, have);
  await applyDhcp(dp.runner, cmds, dp.netns);
  // a new tap: its port is updated so that the L2 agent hears of it now (Neutron's polls its taps)
  for (const c of cmds) {
    if (c.op !== 'add-veth' || dry) continue;
    const port = [...ports.values()].find((p) => nsDeviceName(p.id) === c.name)!;
    try {
      await server.call('update_dhcp_port', { host, port_id: port.id, port: { port: { 'binding:host_id': host } } });
    } catch (err) {
      log.warn({ port_id: port.id, err: (err as Error).message }, 'DHCP port not updated; its tap joins the bridge at the L2 agent’s next sync');
    }
  }
  // dnsmasq has the ports of the networks it serves now: they may go ACTIVE (provisioning blocks)
  const ready = dry ? [] : networks.flatMap((n) => n.ports.filter((p) => p.device_owner !== 'network:dhcp').map((p) => p.id));
  if (ready.length) {
    try {
      await server.call('dhcp_ready_on_ports', { port_ids: ready });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'ports not reported ready; they go ACTIVE after the next sync');
    }
  }
  for (const id of have.keys()) {
    if (want.has(id) || dry) continue;
    try {
      await server.call('release_dhcp_port', { host, network_id: id, device_id: dhcpDeviceId(host, id) });
    } catch (err) {
      log.warn({ network_id: id, err: (err as Error).message }, 'DHCP port not released; trying again at the next sync');
    }
  }
  return cmds.length;
}
