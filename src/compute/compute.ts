/**
 * nucleon-compute: a small Nova-like compute for tests and demos. A "VM" is a network namespace
 * (`<lab>-vm-<name>`) whose `eth0` is a veth peer of the tap (`tap<port-id[:11]>`) in its
 * hypervisor's namespace, as Nova's libvirt driver plugs a tap into the Linux bridge agent's host.
 * Booting binds a port to the host through the API, plugs the VM, waits for the L2 agent to report
 * the port ACTIVE, then runs a real DHCP client (busybox udhcpc) in the VM. Like a guest's kernel,
 * a VM takes router advertisements (SLAAC addresses and the default route from radvd on a router's
 * interface): `eth0` accepts them and does not forward. A boot that fails leaves nothing behind: no
 * namespace, no veth, no port it created.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CommandRunner } from '../linux/runner.js';
import { readLab, vmNamespace, type LabState } from '../lab/lab.js';
import { execIn } from '../linux/ip-netns.js';
import { errorText, type ApiClient } from './api-client.js';
import { tapName } from '../agents/l2/plan.js';

export interface VmRecord {
  name: string;
  id: string;
  host: string;
  namespace: string;
  hostNamespace: string;
  portId: string;
  /** The port was made for this VM (deleted with it), not handed in with --port (then only unbound). */
  ownPort: boolean;
  tap: string;
}

export interface BootOptions {
  name: string;
  host: string;
  network?: string;
  port?: string;
  securityGroups: string[];
  /** How long to wait for the port to go ACTIVE and for a lease, in ms. */
  timeoutMs: number;
}

export class ComputeError extends Error {}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** The event script udhcpc runs inside the VM: addresses and routes of the VM's own interface, nothing else. */
export const UDHCPC_SCRIPT = `#!/bin/sh
# nucleon-compute: udhcpc's event script. It runs inside the VM's namespace and only configures the
# VM's interface (never /etc/resolv.conf); the lease is written to $LEASE_FILE for 'list'.
case "$1" in
  deconfig)
    ip addr flush dev "$interface" scope global
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface" scope global
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    set -- $staticroutes
    while [ $# -ge 2 ]; do ip route replace "$1" via "$2" dev "$interface"; shift 2; done
    printf '%s\\n' "ip=$ip" "mask=$mask" "router=$router" "dns=$dns" "mtu=$mtu" "domain=$domain" "lease=$lease" > "$LEASE_FILE"
    ;;
esac
exit 0
`;

/**
 * A VM's IPv6 settings on `eth0`, set before it comes up: a host, not a router (forwarding 0), so
 * it takes router advertisements (accept_ra 1) and builds SLAAC addresses from their prefixes
 * (autoconf 1). A new namespace has these by default; they are set so that a machine whose defaults
 * new namespaces inherit (`net.core.devconf_inherit_init_net`) cannot turn them off.
 */
export const VM_SYSCTLS = ['net.ipv6.conf.all.forwarding=0', 'net.ipv6.conf.eth0.forwarding=0', 'net.ipv6.conf.eth0.accept_ra=1', 'net.ipv6.conf.eth0.autoconf=1', 'net.ipv6.conf.eth0.disable_ipv6=0'];

/** A VM's address on `eth0`, as `ip -j addr` says it. */
export interface VmAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  /** From SLAAC or DHCP (it has lifetimes), rather than set by nucleon-compute. */
  dynamic: boolean;
  /** Still in duplicate address detection: not usable yet. */
  tentative: boolean;
}

/** The global-scope addresses in `ip -j addr show dev eth0` output (no link-local ones). */
export function parseGlobalAddresses(json: string): VmAddress[] {
  const links = JSON.parse(json.trim() || '[]') as Array<{ addr_info?: Array<{ family: 'inet' | 'inet6'; local: string; prefixlen: number; scope: string; dynamic?: boolean; tentative?: boolean }> }>;
  return (links[0]?.addr_info ?? [])
    .filter((i) => i.scope === 'global')
    .map((i) => ({ family: i.family, local: i.local, prefixlen: i.prefixlen, dynamic: i.dynamic === true, tentative: i.tentative === true }));
}

export class Compute {
  private readonly vmDir: string;

  constructor(
    private readonly api: ApiClient,
    private readonly run: CommandRunner,
    private readonly lab: LabState,
    private readonly say: (line: string) => void = () => {},
  ) {
    this.vmDir = path.join(lab.stateDir, 'vms');
  }

  static forLab(api: ApiClient, run: CommandRunner, prefix: string, say?: (line: string) => void): Compute {
    const lab = readLab(prefix);
    if (!lab) throw new ComputeError(`lab '${prefix}' is not up (nucleon-lab up --prefix ${prefix})`);
    return new Compute(api, run, lab, say);
  }

  private recordPath = (name: string) => path.join(this.vmDir, `${name}.json`);
  leasePath = (name: string) => path.join(this.vmDir, `${name}.lease`);

  records(): VmRecord[] {
    if (!fs.existsSync(this.vmDir)) return [];
    return fs
      .readdirSync(this.vmDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(fs.readFileSync(path.join(this.vmDir, f), 'utf8')) as VmRecord)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  record(name: string): VmRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.recordPath(name), 'utf8')) as VmRecord;
    } catch {
      return undefined;
    }
  }

  private async findNetwork(ref: string): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const byId = await this.api.get(`/v2.0/networks/${encodeURIComponent(ref)}`);
    if (byId.status === 200) return byId.body.network;
    const byName = await this.api.get(`/v2.0/networks?name=${encodeURIComponent(ref)}`);
    const found = byName.status === 200 ? (byName.body.networks as Array<Record<string, any>>) : []; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (found.length === 1) return found[0];
    if (found.length > 1) throw new ComputeError(`${found.length} networks are named '${ref}': give its id`);
    throw new ComputeError(`network '${ref}' not found`);
  }

  async boot(o: BootOptions): Promise<{ record: VmRecord; port: Record<string, any>; lease?: Record<string, string> }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (!NAME_RE.test(o.name)) throw new ComputeError(`VM name '${o.name}': 1-31 lower-case letters, digits and '-'`);
    const host = this.lab.hosts[o.host];
    if (!host) throw new ComputeError(`host '${o.host}' is not a host of lab '${this.lab.prefix}' (${Object.keys(this.lab.hosts).join(', ')})`);
    if (this.record(o.name)) throw new ComputeError(`a VM named '${o.name}' exists`);
    if (!o.network && !o.port) throw new ComputeError('give --network or --port');
    const vmId = crypto.randomUUID();
    const binding = { device_owner: 'compute:nova', device_id: vmId, 'binding:host_id': o.host };
    let port: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    let ownPort = false;
    if (o.port) {
      const got = await this.api.get(`/v2.0/ports/${encodeURIComponent(o.port)}`);
      if (got.status !== 200) throw new ComputeError(errorText(got));
      const cur = got.body.port;
      if (cur.device_id && cur.device_id !== vmId) throw new ComputeError(`port ${cur.id} is in use by device ${cur.device_id} (${cur.device_owner || 'no owner'})`);
      if (cur['binding:host_id'] && cur['binding:host_id'] !== o.host) throw new ComputeError(`port ${cur.id} is bound to host ${cur['binding:host_id']}`);
      if (o.network) {
        const net = await this.findNetwork(o.network);
        if (net.id !== cur.network_id) throw new ComputeError(`port ${cur.id} is on network ${cur.network_id}, not ${net.id}`);
      }
      const upd = await this.api.put(`/v2.0/ports/${cur.id}`, { port: { ...binding, ...(o.securityGroups.length ? { security_groups: o.securityGroups } : {}) } });
      if (upd.status !== 200) throw new ComputeError(errorText(upd));
      port = upd.body.port;
    } else {
      const net = await this.findNetwork(o.network as string);
      const created = await this.api.post('/v2.0/ports', { port: { network_id: net.id, name: o.name, ...binding, ...(o.securityGroups.length ? { security_groups: o.securityGroups } : {}) } });
      if (created.status !== 201) throw new ComputeError(errorText(created));
      port = created.body.port;
      ownPort = true;
    }
    const record: VmRecord = { name: o.name, id: vmId, host: o.host, namespace: vmNamespace(this.lab.prefix, o.name), hostNamespace: host.namespace, portId: port.id, ownPort, tap: tapName(port.id) };
    if (port['binding:vif_type'] !== 'bridge') {
      await this.releasePort(record);
      throw new ComputeError(
        `port ${port.id} could not be bound on host ${o.host} (binding:vif_type ${port['binding:vif_type']}): no live Linux bridge agent there that serves this network's type; the server log says why`,
      );
    }
    fs.mkdirSync(this.vmDir, { recursive: true });
    fs.writeFileSync(this.recordPath(o.name), `${JSON.stringify(record, null, 2)}\n`);
    try {
      await this.plug(record, port);
      this.say(`${o.name}: plugged ${record.tap} into ${o.host}, waiting for the port to go ACTIVE`);
      port = await this.waitActive(port.id, o.timeoutMs);
      const lease = await this.configure(record, port, o.timeoutMs);
      return { record, port, lease };
    } catch (err) {
      await this.delete(o.name).catch(() => undefined);
      throw err;
    }
  }

  private async plug(r: VmRecord, port: Record<string, any>): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const net = await this.api.get(`/v2.0/networks/${port.network_id}`);
    const mtu = String(net.body.network?.mtu ?? 1450);
    await this.run.run(['ip', 'netns', 'add', r.namespace]);
    await this.run.run(['ip', '-n', r.namespace, 'link', 'set', 'lo', 'up']);
    await this.run.run(['ip', 'link', 'add', r.tap, 'netns', r.hostNamespace, 'mtu', mtu, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', r.namespace, 'mtu', mtu]);
    await this.run.run(['ip', '-n', r.namespace, 'link', 'set', 'eth0', 'address', port.mac_address]);
    await this.run.run(execIn(r.namespace, ['sysctl', '-q', '-w', ...VM_SYSCTLS]));
    await this.run.run(['ip', '-n', r.namespace, 'link', 'set', 'eth0', 'up']);
    await this.run.run(['ip', '-n', r.hostNamespace, 'link', 'set', r.tap, 'up']);
  }

  private async waitActive(portId: string, timeoutMs: number): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.api.get(`/v2.0/ports/${portId}`);
      if (r.status !== 200) throw new ComputeError(errorText(r));
      if (r.body.port.status === 'ACTIVE') return r.body.port;
      if (Date.now() > deadline) throw new ComputeError(`port ${portId} did not go ACTIVE within ${timeoutMs / 1000} s: is the L2 agent on its host running?`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }

  /** DHCP when a subnet of the port has it, else the API's addresses set statically. Returns the lease. */
  private async configure(r: VmRecord, port: Record<string, any>, timeoutMs: number): Promise<Record<string, string> | undefined> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const subnets = [];
    for (const ip of port.fixed_ips as Array<{ subnet_id: string; ip_address: string }>) {
      const s = await this.api.get(`/v2.0/subnets/${ip.subnet_id}`);
      if (s.status === 200) subnets.push({ ...s.body.subnet, address: ip.ip_address });
    }
    const v4 = subnets.find((s) => s.ip_version === 4);
    if (v4?.enable_dhcp) {
      this.say(`${r.name}: asking for an address (udhcpc)`);
      const lease = await this.dhcp(r.name, timeoutMs);
      if (lease?.ip !== v4.address) throw new ComputeError(`${r.name}: DHCP gave ${lease?.ip ?? 'nothing'}, the API assigned ${v4.address}`);
      return lease;
    }
    for (const s of subnets) {
      await this.run.run(['ip', '-n', r.namespace, 'addr', 'add', `${s.address}/${String(s.cidr).split('/')[1]}`, 'dev', 'eth0']);
      if (s.gateway_ip && s.ip_version === 4) await this.run.run(['ip', '-n', r.namespace, 'route', 'replace', 'default', 'via', s.gateway_ip, 'dev', 'eth0']);
    }
    return undefined;
  }

  /**
   * Runs the VM's DHCP client once (until it has a lease, or gives up after `timeoutMs`), asking
   * for the MTU and classless static routes beside the default options; returns the lease.
   */
  async dhcp(name: string, timeoutMs = 10_000): Promise<Record<string, string> | undefined> {
    const r = this.record(name);
    if (!r) throw new ComputeError(`no VM named '${name}'`);
    const script = path.join(this.vmDir, 'udhcpc.sh');
    fs.writeFileSync(script, UDHCPC_SCRIPT, { mode: 0o755 });
    fs.rmSync(this.leasePath(name), { force: true });
    const tries = String(Math.max(1, Math.round(timeoutMs / 1000)));
    const udhcpc = ['busybox', 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', tries, '-T', '1', '-A', '1', '-O', 'mtu', '-O', 'staticroutes', '-s', script];
    await this.run.run(['ip', 'netns', 'exec', r.namespace, 'env', `LEASE_FILE=${this.leasePath(name)}`, ...udhcpc]);
    return this.lease(name);
  }

  lease(name: string): Record<string, string> | undefined {
    try {
      return Object.fromEntries(
        fs
          .readFileSync(this.leasePath(name), 'utf8')
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
    } catch {
      return undefined;
    }
  }

  private async releasePort(r: Pick<VmRecord, 'portId' | 'ownPort'>): Promise<void> {
    const res = r.ownPort
      ? await this.api.delete(`/v2.0/ports/${r.portId}`)
      : await this.api.put(`/v2.0/ports/${r.portId}`, { port: { device_id: '', device_owner: '', 'binding:host_id': '' } });
    if (res.status >= 400 && res.status !== 404) throw new ComputeError(errorText(res));
  }

  /** Unplugs and removes a VM: its namespace (the veth goes with it), then its port. */
  async delete(name: string): Promise<void> {
    const r = this.record(name);
    const ns = r?.namespace ?? vmNamespace(this.lab.prefix, name);
    const present = (await this.run.run(['ip', '-j', 'netns', 'list'], { read: true })).includes(`"${ns}"`);
    if (!r && !present) throw new ComputeError(`no VM named '${name}'`);
    if (present) {
      const pids = (await this.run.run(['ip', 'netns', 'pids', ns], { read: true })).split('\n').filter(Boolean);
      if (pids.length) await this.run.run(['kill', ...pids]).catch(() => undefined);
      await this.run.run(['ip', 'netns', 'del', ns]);
    }
    // the tap is gone with its peer; a tap left in the host (a half-plugged VM) is removed too
    if (r) {
      await this.run.run(['ip', '-n', r.hostNamespace, 'link', 'del', r.tap]).catch(() => undefined);
      await this.releasePort(r);
    }
    fs.rmSync(this.recordPath(name), { force: true });
    fs.rmSync(this.leasePath(name), { force: true });
  }

  /** The VM's global addresses on `eth0` now (IPv4 from DHCP or set statically, IPv6 from SLAAC, DHCPv6 or set statically). */
  async addresses(name: string): Promise<VmAddress[]> {
    const r = this.record(name);
    if (!r) throw new ComputeError(`no VM named '${name}'`);
    return parseGlobalAddresses(await this.run.run(['ip', '-n', r.namespace, '-j', 'addr', 'show', 'dev', 'eth0'], { read: true }));
  }

  /** Runs `argv` inside the VM (`ip netns exec`); resolves with its output, rejects when it fails. */
  async exec(name: string, argv: string[]): Promise<string> {
    const r = this.record(name);
    if (!r) throw new ComputeError(`no VM named '${name}'`);
    return this.run.run(execIn(r.namespace, argv));
  }

  /** The VMs with what the host and the API say about them now. */
  async list(): Promise<Array<VmRecord & { running: boolean; addresses: string[]; status: string }>> {
    const namespaces = await this.run.run(['ip', '-j', 'netns', 'list'], { read: true });
    const out = [];
    for (const r of this.records()) {
      const running = namespaces.includes(`"${r.namespace}"`);
      const addresses = running ? (await this.addresses(r.name).catch(() => [])).map((a) => `${a.local}/${a.prefixlen}`) : [];
      const p = await this.api.get(`/v2.0/ports/${r.portId}`).catch(() => undefined);
      out.push({ ...r, running, addresses, status: !p ? 'API unreachable' : p.status === 200 ? String(p.body.port.status) : 'port missing' });
    }
    return out;
  }
}
