/**
 * What the host should have for the routers scheduled on it (plan.ts's state), from `sync_routers`
 * (server-api.ts RouterInfo). A router that is administratively down has nothing: its namespace
 * goes, as in Neutron, where such a router is not synced to its agent. Floating IPs and gateway
 * SNAT need the gateway; the default routes are the gateway subnets' gateways. An HA router
 * (keepalived.ts) also has its HA device, and keepalived's configuration in place of the
 * addresses and routes the agent would set itself. Pure.
 */
import ipaddr from 'ipaddr.js';
import type { RouterInfo, RouterPortInfo } from '../server-api.js';
import { renderNat } from './nat.js';
import { RA_MODES, renderRadvdArgv, renderRadvdConf, type RaInterface } from './radvd.js';
import { linkLocalOf, renderKeepalivedArgv, renderKeepalivedConf, renderNotifyScript } from './keepalived.js';
import { gatewayName, haName, interfaceName, qrouterNamespace, routeKey, ROUTER_SYSCTLS, routerDir, type L3HostState, type L3Layout, type RouterRoute, type RouterState } from './plan.js';

type Dict = Record<string, unknown>;

/** A route's destination as `ip -j route` prints it: the network's address, no `/32` or `/128`; null when not an address. */
export function routeDestination(cidr: string): string | null {
  try {
    const [addr, len] = ipaddr.parseCIDR(cidr);
    const full = addr.kind() === 'ipv4' ? 32 : 128;
    const net = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
    if (len === 0) return 'default';
    return len === full ? net.toString() : `${net.toString()}/${len}`;
  } catch {
    return null;
  }
}

const isV6 = (ip: string) => ip.includes(':');
const addrsOf = (p: RouterPortInfo) => p.fixed_ips.filter((f) => f.prefixlen > 0).map((f) => `${f.ip_address}/${f.prefixlen}`);

/** The floating IPs of a router that the agent configures: associated (a fixed address) and IPv4. */
export function floatingIpsOf(r: RouterInfo): Array<{ id: string; floating: string; fixed: string }> {
  return (r._floatingips ?? [])
    .filter((f: Dict) => typeof f.floating_ip_address === 'string' && typeof f.fixed_ip_address === 'string' && !isV6(f.floating_ip_address as string))
    .map((f: Dict) => ({ id: String(f.id), floating: f.floating_ip_address as string, fixed: f.fixed_ip_address as string }));
}

/** Whether the agent serves a router at all (administratively up). */
export const servesRouter = (r: RouterInfo) => r.admin_state_up !== false;

/**
 * One router's state. `haState`: what its keepalived last said here (observe.ts), which decides
 * whether radvd runs (on the master only) for an HA router.
 */
export function desiredRouter(r: RouterInfo, o: L3Layout, haState = ''): RouterState {
  const devices = new Map<string, { mac: string; mtu: number; addrs: string[] }>();
  const routes = new Map<string, RouterRoute>();
  const ra: RaInterface[] = [];
  for (const p of r._interfaces ?? []) {
    const name = interfaceName(p.id);
    devices.set(name, { mac: p.mac_address.toLowerCase(), mtu: p.mtu || 1500, addrs: addrsOf(p).sort() });
    const subnets = (p.subnets ?? []).filter((s) => s.ipv6_ra_mode && RA_MODES.includes(s.ipv6_ra_mode) && isV6(s.cidr));
    if (subnets.length) ra.push({ device: name, mtu: p.mtu || 1500, subnets: subnets.map((s) => ({ cidr: s.cidr, ipv6_ra_mode: s.ipv6_ra_mode!, dns_nameservers: s.dns_nameservers ?? [] })) });
  }
  const gw = r.gw_port;
  const fips = gw ? floatingIpsOf(r) : [];
  let snatTo: string | null = null;
  if (gw) {
    const name = gatewayName(gw.id);
    const addrs = [...addrsOf(gw), ...fips.map((f) => `${f.floating}/32`)];
    devices.set(name, { mac: gw.mac_address.toLowerCase(), mtu: gw.mtu || 1500, addrs: [...new Set(addrs)].sort() });
    for (const s of gw.subnets ?? []) {
      if (!s.gateway_ip) continue;
      const route = { dst: 'default', via: s.gateway_ip };
      if (!routes.has(routeKey(route))) routes.set(routeKey(route), route);
    }
    const info = r.external_gateway_info as { enable_snat?: boolean } | null | undefined;
    if (info?.enable_snat !== false) snatTo = gw.fixed_ips.find((f) => !isV6(f.ip_address))?.ip_address ?? null;
  }
  for (const e of (r.routes as Array<{ destination?: unknown; nexthop?: unknown }> | undefined) ?? []) {
    const dst = typeof e.destination === 'string' ? routeDestination(e.destination) : null;
    if (!dst || typeof e.nexthop !== 'string') continue;
    const route = { dst, via: e.nexthop };
    routes.set(routeKey(route), route);
  }
  const dir = routerDir(o.stateDir, r.id);
  const nat = renderNat({ gateway: gw ? gatewayName(gw.id) : null, snatTo, floatingIps: fips });
  const files = new Map<string, string>();
  if (ra.length) files.set('radvd.conf', renderRadvdConf(ra, o.minRtrAdvInterval, o.maxRtrAdvInterval));
  const sortedRoutes = [...routes.values()].sort((a, b) => (routeKey(a) < routeKey(b) ? -1 : 1));
  const ha = isHa(r);
  if (ha) {
    // keepalived carries the addresses (and the devices' link-local ones) and routes on the master
    const vips = [...devices].flatMap(([dev, d]) => [...d.addrs, `${linkLocalOf(d.mac)}/64`].map((cidr) => ({ cidr, dev })));
    for (const d of devices.values()) d.addrs = [];
    const haPort = r._ha_interface!;
    const haDevice = haName(haPort.id);
    devices.set(haDevice, { mac: haPort.mac_address.toLowerCase(), mtu: haPort.mtu || 1500, addrs: addrsOf(haPort).sort() });
    const dev = (route: RouterRoute) => (route.dst === 'default' && gw ? gatewayName(gw.id) : undefined);
    files.set('keepalived.conf', renderKeepalivedConf({ vrId: r.ha_vr_id!, haDevice, vips, routes: sortedRoutes.map((x) => ({ ...x, dev: dev(x) })), advertInt: o.haVrrpAdvertInt }, dir));
    files.set('notify.sh', renderNotifyScript(dir));
  }
  return {
    netns: qrouterNamespace(o.prefix, r.id),
    hasNetns: true,
    sysctls: new Map(ROUTER_SYSCTLS),
    devices,
    routes: ha ? [] : sortedRoutes,
    nat,
    dir,
    files,
    radvd: ra.length && (!ha || haState === 'master') ? { argv: renderRadvdArgv(dir), pid: 0 } : null,
    keepalived: ha ? { argv: renderKeepalivedArgv(dir), pid: 0 } : null,
    ha,
    haState: '',
  };
}

/** An HA router this agent can run: flagged, with its VRRP id and this host's HA port. */
export const isHa = (r: RouterInfo) => r.ha === true && typeof r.ha_vr_id === 'number' && !!r._ha_interface;

/** The host's desired state: one entry per router served; `haStates`: router id → what its keepalived said here. */
export function desiredL3(routers: RouterInfo[], o: L3Layout, haStates: Map<string, string> = new Map()): L3HostState {
  return new Map(routers.filter(servesRouter).map((r) => [r.id, desiredRouter(r, o, haStates.get(r.id))]));
}
