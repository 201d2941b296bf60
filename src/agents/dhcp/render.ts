/**
 * What dnsmasq is given for one network, as Neutron's dnsmasq driver gives it: the hosts file
 * (`--dhcp-hostsfile`, one `MAC,name,IP` line per fixed IP on a DHCP subnet, tagged `set:port-<id>`
 * when the port has extra DHCP options), the options file (`--dhcp-optsfile`: per subnet the router,
 * DNS servers, classless static routes as options 121 and 249, the MTU and the domain; per port its
 * `extra_dhcp_opts`), and the command line (`--dhcp-range` per subnet, static: only known hosts get
 * an address). Pure: the planner compares these strings with what is on disk and in /proc.
 */
import { createHash } from 'node:crypto';

export interface DhcpSubnet {
  id: string;
  cidr: string;
  ip_version: number;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  dns_nameservers: string[];
  host_routes: Array<{ destination: string; nexthop: string }>;
  ipv6_address_mode?: string | null;
  ipv6_ra_mode?: string | null;
}

export interface DhcpPort {
  id: string;
  mac_address: string;
  fixed_ips: Array<{ subnet_id: string; ip_address: string }>;
  extra_dhcp_opts?: Array<{ opt_name: string; opt_value: string; ip_version?: number }> | null;
  dns_name?: string;
  device_id?: string;
  device_owner?: string;
  'binding:host_id'?: string;
}

/** A network as the DHCP agent serves it (the server's `get_network_info`). */
export interface DhcpNetwork {
  id: string;
  mtu: number;
  subnets: DhcpSubnet[];
  ports: DhcpPort[];
}

export interface DnsmasqOptions {
  /** `[DEFAULT] dns_domain`, without the trailing dot. */
  domain: string;
  /** `[DEFAULT] dhcp_lease_duration`, seconds; -1 is infinite. */
  leaseDuration: number;
}

/** dnsmasq's lease ceiling when subnets are large (Neutron's `dnsmasq_lease_max`). */
const LEASE_MAX = 2 ** 24;

export const subnetTag = (id: string) => `subnet-${id}`;
export const portTag = (id: string) => `port-${id}`;
export const nsDeviceName = (portId: string) => `ns-${portId.slice(0, 11)}`;

/** Neutron's DHCP port `device_id`: `dhcp<uuid5(DNS namespace, host)>-<network id>`. */
export function dhcpDeviceId(host: string, networkId: string): string {
  const ns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
  const h = createHash('sha1').update(ns).update(host).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `dhcp${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}-${networkId}`;
}

/**
 * Subnets dnsmasq serves: DHCP enabled, and for IPv6 DHCPv6 (stateful or stateless) or no mode at
 * all (Neutron's compatibility rule); SLAAC subnets are the router's business. IPv6 prefixes longer
 * than /64 cannot be served (Neutron skips them too).
 */
export function servedSubnets(net: DhcpNetwork): DhcpSubnet[] {
  return net.subnets
    .filter((s) => {
      if (!s.enable_dhcp) return false;
      if (s.ip_version === 4) return true;
      const mode = s.ipv6_address_mode ?? null;
      const dhcpv6 = mode === 'dhcpv6-stateful' || mode === 'dhcpv6-stateless' || (!mode && !s.ipv6_ra_mode);
      return dhcpv6 && Number(s.cidr.split('/')[1]) <= 64;
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether a subnet's clients get their address from dnsmasq (IPv4, or DHCPv6 stateful / no mode). */
const givesAddresses = (s: DhcpSubnet) => s.ip_version === 4 || s.ipv6_address_mode !== 'dhcpv6-stateless';

const byId = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const bracket = (ip: string) => (ip.includes(':') ? `[${ip}]` : ip);
const hasOpts = (p: DhcpPort) => (p.extra_dhcp_opts ?? []).length > 0;

/** The hosts file: `MAC,host-10-0-0-3.<domain>,10.0.0.3[,set:port-<id>]`, IPv6 addresses in brackets. */
export function renderHosts(net: DhcpNetwork, o: DnsmasqOptions): string {
  const served = new Map(servedSubnets(net).map((s) => [s.id, s]));
  const lines: string[] = [];
  for (const p of byId(net.ports)) {
    const tag = hasOpts(p) ? `,set:${portTag(p.id)}` : '';
    let stateless = false;
    for (const ip of p.fixed_ips) {
      const s = served.get(ip.subnet_id);
      if (!s) continue;
      if (!givesAddresses(s)) {
        stateless = true;
        continue;
      }
      const host = p.dns_name || `host-${ip.ip_address.replace(/[.:]/g, '-')}`;
      lines.push(`${p.mac_address},${o.domain ? `${host}.${o.domain}` : host},${bracket(ip.ip_address)}${tag}`);
    }
    // a DHCPv6-stateless client only asks for options: its line tags it for its own
    if (stateless && tag && !lines.some((l) => l.startsWith(`${p.mac_address},`))) lines.push(`${p.mac_address}${tag}`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The options file: per served subnet, then per port with `extra_dhcp_opts`. */
export function renderOpts(net: DhcpNetwork, dhcpPort: DhcpPort | undefined, o: DnsmasqOptions): string {
  const lines: string[] = [];
  for (const s of servedSubnets(net)) {
    const tag = `tag:${subnetTag(s.id)}`;
    const own = dhcpPort?.fixed_ips.find((ip) => ip.subnet_id === s.id)?.ip_address;
    const dns = s.dns_nameservers.length ? s.dns_nameservers : own ? [own] : [];
    if (s.ip_version === 6) {
      if (dns.length) lines.push(`${tag},option6:dns-server,${dns.map(bracket).join(',')}`);
      if (o.domain) lines.push(`${tag},option6:domain-search,${o.domain}`);
      continue;
    }
    if (dns.length) lines.push(`${tag},option:dns-server,${dns.join(',')}`);
    if (o.domain) lines.push(`${tag},option:domain-name,${o.domain}`);
    const routes = s.host_routes.filter((r) => r.destination !== '0.0.0.0/0' || !s.gateway_ip).map((r) => `${r.destination},${r.nexthop}`);
    if (routes.length) {
      // a client that takes option 121 ignores option 3: the default route goes with them
      if (s.gateway_ip) routes.push(`0.0.0.0/0,${s.gateway_ip}`);
      lines.push(`${tag},option:classless-static-route,${routes.join(',')}`);
      lines.push(`${tag},249,${routes.join(',')}`);
    }
    lines.push(s.gateway_ip ? `${tag},option:router,${s.gateway_ip}` : `${tag},option:router`);
    if (net.mtu > 0) lines.push(`${tag},option:mtu,${net.mtu}`);
  }
  for (const p of byId(net.ports)) {
    for (const opt of p.extra_dhcp_opts ?? []) {
      const v6 = Number(opt.ip_version ?? 4) === 6;
      const name = /^\d+$/.test(opt.opt_name) ? opt.opt_name : `${v6 ? 'option6' : 'option'}:${opt.opt_name}`;
      lines.push(`tag:${portTag(p.id)},${name},${opt.opt_value}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** The files of a network's directory that dnsmasq reads (name → content). */
export function renderFiles(net: DhcpNetwork, dhcpPort: DhcpPort | undefined, o: DnsmasqOptions): Map<string, string> {
  return new Map([
    ['host', renderHosts(net, o)],
    ['opts', renderOpts(net, dhcpPort, o)],
  ]);
}

function v4Netmask(prefix: number): string {
  const bits = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join('.');
}

/** dnsmasq's command line for a network (what /proc/<pid>/cmdline shows while it runs). */
export function renderDnsmasqArgv(net: DhcpNetwork, device: string, dir: string, o: DnsmasqOptions): string[] {
  const lease = o.leaseDuration === -1 ? 'infinite' : `${o.leaseDuration}s`;
  const argv = [
    'dnsmasq',
    '--no-hosts',
    '--no-resolv',
    `--pid-file=${dir}/pid`,
    `--dhcp-hostsfile=${dir}/host`,
    `--dhcp-optsfile=${dir}/opts`,
    `--dhcp-leasefile=${dir}/leases`,
    '--dhcp-authoritative',
    '--bind-interfaces',
    `--interface=${device}`,
    '--except-interface=lo',
  ];
  let leases = 0;
  for (const s of servedSubnets(net)) {
    const [addr, len] = s.cidr.split('/');
    const prefix = Number(len);
    if (s.ip_version === 4) {
      argv.push(`--dhcp-range=set:${subnetTag(s.id)},${addr},static,${v4Netmask(prefix)},${lease}`);
      leases += 2 ** (32 - prefix);
    } else {
      argv.push(`--dhcp-range=set:${subnetTag(s.id)},${addr},static,${prefix},${lease}`);
      leases += LEASE_MAX;
    }
  }
  argv.push(`--dhcp-lease-max=${Math.min(leases, LEASE_MAX)}`, '--conf-file=/dev/null');
  if (o.domain) argv.push(`--domain=${o.domain}`);
  return argv;
}
