/**
 * The checks a router's ports and routes must pass (Neutron's rules and errors): no two attached
 * subnets may overlap, every extra route's next hop must sit on an attached subnet without being
 * the router's own address, and an interface that floating IPs or routes depend on stays.
 * Inside the caller's transaction; reads only.
 */
import { BadRequest, InvalidRoutes, RouterInterfaceInUseByFloatingIP, RouterInterfaceInUseByRoute, RoutesExhausted } from '../../core/errors.js';
import { cidrContains, cidrsOverlap, parseCidr, parseIp, type Cidr } from '../../core/ip.js';
import { pyRepr } from '../../core/py-repr.js';
import { DEVICE_OWNER_ROUTER_GW, routerAddresses, routesOf, type RouterAddress } from '../../db/repos/l3-repo.js';
import type { Executor } from '../../db/schema.js';
import { MAX_ROUTES } from './l3-support.js';

export type Route = { destination: string; nexthop: string };

/**
 * Refuses subnets a router cannot take: one it already has a port on, or one overlapping any of
 * its subnets (all subnets of the gateway's network count). `addresses`: the router's, when loaded.
 */
export async function checkDuplicateSubnets(
  trx: Executor,
  routerId: string,
  fresh: Array<{ id: string; cidr: string }>,
  addresses?: RouterAddress[],
): Promise<void> {
  const freshIds = new Set(fresh.map((s) => s.id));
  const own = new Map<string, string>();
  const gatewayNetworks = new Set<string>();
  for (const a of addresses ?? (await routerAddresses(trx, routerId))) {
    if (freshIds.has(a.subnet_id)) throw new BadRequest({ resource: 'router', msg: `Router already has a port on subnet ${a.subnet_id}` });
    if (a.port_type === DEVICE_OWNER_ROUTER_GW) gatewayNetworks.add(a.network_id);
    else own.set(a.subnet_id, a.cidr);
  }
  if (gatewayNetworks.size) {
    const rows = await trx.selectFrom('subnets').select(['id', 'cidr']).where('network_id', 'in', [...gatewayNetworks]).execute();
    for (const r of rows) own.set(r.id, r.cidr);
  }
  for (const [id, cidr] of [...own].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const c = parseCidr(cidr) as Cidr;
    for (const s of fresh) {
      if (cidrsOverlap(c, parseCidr(s.cidr) as Cidr))
        throw new BadRequest({ resource: 'router', msg: `Cidr ${s.cidr} of subnet ${s.id} overlaps with cidr ${cidr} of subnet ${id}` });
    }
  }
}

/**
 * Every next hop must be on one of `cidrs` and must not be one of `ips` (the router's own
 * addresses); at most MAX_ROUTES routes. `routes` go into the message as Python shows them.
 */
export function checkRoutes(routerId: string, routes: Route[], cidrs: string[], ips: string[]): void {
  if (routes.length > MAX_ROUTES) throw new RoutesExhausted({ router_id: routerId, quota: MAX_ROUTES });
  const nets = cidrs.map((c) => parseCidr(c) as Cidr);
  const own = new Set(ips.map((ip) => parseIp(ip)!.value));
  for (const r of routes) {
    const hop = parseIp(r.nexthop)!;
    if (!nets.some((n) => cidrContains(n, hop.version, hop.value))) throw new InvalidRoutes({ routes: pyRepr(routes), reason: 'the nexthop is not connected with router' });
    if (own.has(hop.value)) throw new InvalidRoutes({ routes: pyRepr(routes), reason: 'the nexthop is used by router' });
  }
}

/** Routes checked against every address of every port the router has now. */
export async function checkRoutesAgainstPorts(trx: Executor, routerId: string, routes: Route[]): Promise<void> {
  if (routes.length > MAX_ROUTES) throw new RoutesExhausted({ router_id: routerId, quota: MAX_ROUTES });
  if (!routes.length) return;
  const addrs = await routerAddresses(trx, routerId);
  checkRoutes(
    routerId,
    routes,
    addrs.map((a) => a.cidr),
    addrs.map((a) => a.ip_address),
  );
}

/**
 * Before an interface on `subnet` goes: no floating IP the router serves may have its fixed
 * address there, and no extra route may go through it.
 */
export async function confirmInterfaceNotInUse(trx: Executor, routerId: string, subnet: { id: string; cidr: string }): Promise<void> {
  const cidr = parseCidr(subnet.cidr) as Cidr;
  const fips = await trx
    .selectFrom('floatingips')
    .innerJoin('ip_allocations', 'ip_allocations.port_id', 'floatingips.fixed_port_id')
    .select(['floatingips.fixed_ip_address'])
    .where('floatingips.router_id', '=', routerId)
    .where('ip_allocations.subnet_id', '=', subnet.id)
    .execute();
  for (const f of fips) {
    const ip = f.fixed_ip_address ? parseIp(f.fixed_ip_address) : undefined;
    if (ip && cidrContains(cidr, ip.version, ip.value)) throw new RouterInterfaceInUseByFloatingIP({ router_id: routerId, subnet_id: subnet.id });
  }
  const routes = (await routesOf(trx, [routerId])).get(routerId) ?? [];
  for (const r of routes) {
    const hop = parseIp(r.nexthop)!;
    if (cidrContains(cidr, hop.version, hop.value)) throw new RouterInterfaceInUseByRoute({ router_id: routerId, subnet_id: subnet.id });
  }
}
