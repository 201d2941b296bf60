/**
 * A router's external gateway (`external_gateway_info`): a port on a `router:external` network
 * (device_owner network:router_gateway, no project, as Neutron makes it), created, re-addressed,
 * moved or removed as the request says, with Neutron's checks in Neutron's order. Inside the
 * caller's transaction.
 */
import type { RequestContext } from '../../core/context.js';
import { BadRequest, RouterExternalGatewayInUseByFloatingIp } from '../../core/errors.js';
import { canonicalIp, isIp } from '../../core/ip.js';
import { DEVICE_OWNER_ROUTER_GW, routerAddresses, routesOf, type RouterRow } from '../../db/repos/l3-repo.js';
import { bool, dbBool, type Executor } from '../../db/schema.js';
import type { Allocation } from '../../ipam/db-ipam.js';
import { checkDuplicateSubnets, checkRoutes } from './router-checks.js';
import { allocationsOf, elevated, ENABLE_SNAT_BY_DEFAULT, type L3Deps } from './l3-support.js';

type FixedIp = { subnet_id?: string; ip_address?: string };

/** The validated request: null (or `{}`) removes the gateway. */
export interface GatewayRequest {
  network_id: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIp[];
}

interface GatewayPort {
  id: string;
  network_id: string;
  mac_address: string;
  ips: Allocation[];
}

export class RouterGateway {
  constructor(private readonly deps: L3Deps) {}

  /**
   * Applies `info` to the router and returns how many extra revisions Neutron's sequence of
   * writes would have added (a new gateway 1, a removed one 2).
   */
  async apply(trx: Executor, ctx: RequestContext, router: RouterRow, info: GatewayRequest | null): Promise<number> {
    const gw = await this.gatewayPort(trx, router);
    const extIps = info?.external_fixed_ips ?? [];
    const ipChange = externalIpChange(gw, extIps);
    const networkId = await this.validate(trx, ctx, router, gw, info, extIps);
    const snat = info && info.enable_snat !== undefined ? info.enable_snat : ENABLE_SNAT_BY_DEFAULT;
    if (bool(router.enable_snat) !== snat) await trx.updateTable('routers').set({ enable_snat: dbBool(snat) }).where('id', '=', router.id).execute();

    if (gw && ipChange && gw.network_id === networkId) {
      await this.readdress(trx, ctx, gw, extIps);
      return 0;
    }
    let extra = 0;
    if (gw && gw.network_id !== networkId) {
      await this.remove(trx, ctx, router, gw);
      extra += 2;
    }
    if (networkId && (!gw || gw.network_id !== networkId)) {
      await this.create(trx, ctx, router, networkId, extIps);
      extra += 1;
    }
    return extra;
  }

  /** Removes the gateway of a router that goes away. */
  async removeFor(trx: Executor, ctx: RequestContext, router: RouterRow): Promise<void> {
    const gw = await this.gatewayPort(trx, router);
    if (gw) await this.remove(trx, ctx, router, gw);
  }

  private async gatewayPort(trx: Executor, router: RouterRow): Promise<GatewayPort | undefined> {
    if (!router.gw_port_id) return undefined;
    const port = await trx.selectFrom('ports').select(['id', 'network_id', 'mac_address']).where('id', '=', router.gw_port_id).executeTakeFirst();
    if (!port) return undefined;
    const ips = (await allocationsOf(trx, [port.id])).map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address }));
    return { ...port, ips };
  }

  /** The network must exist and be external, no requested address may be a subnet's gateway, routes must still reach. */
  private async validate(trx: Executor, ctx: RequestContext, router: RouterRow, gw: GatewayPort | undefined, info: GatewayRequest | null, extIps: FixedIp[]): Promise<string | null> {
    const networkId = info?.network_id ?? null;
    let gwCidrs: string[] = [];
    if (networkId) {
      const network = await this.deps.core.networkRow(trx, ctx, networkId);
      if (!bool(network.router_external)) throw new BadRequest({ resource: 'router', msg: `Network ${networkId} is not an external network` });
      const subnets = await trx.selectFrom('subnets').select(['cidr', 'gateway_ip']).where('network_id', '=', networkId).execute();
      gwCidrs = subnets.map((s) => s.cidr);
      for (const ip of extIps) {
        if (ip.ip_address === undefined || !isIp(ip.ip_address)) continue;
        const wanted = canonicalIp(ip.ip_address);
        if (subnets.some((s) => s.gateway_ip !== null && s.gateway_ip === wanted))
          throw new BadRequest({ resource: 'router', msg: `External IP ${ip.ip_address} is the same as the gateway IP` });
      }
    }
    const routes = (await routesOf(trx, [router.id])).get(router.id) ?? [];
    if (routes.length) {
      const attached = (await routerAddresses(trx, router.id)).filter((a) => a.port_id !== gw?.id);
      checkRoutes(
        router.id,
        routes,
        [...attached.map((a) => a.cidr), ...gwCidrs],
        attached.map((a) => a.ip_address),
      );
    }
    return networkId;
  }

  private async remove(trx: Executor, ctx: RequestContext, router: RouterRow, gw: GatewayPort): Promise<void> {
    const fip = await trx.selectFrom('floatingips').select('id').where('router_id', '=', router.id).executeTakeFirst();
    if (fip) throw new RouterExternalGatewayInUseByFloatingIp({ router_id: router.id, net_id: gw.network_id });
    await trx.updateTable('routers').set({ gw_port_id: null }).where('id', '=', router.id).execute();
    await this.deps.core.deletePort(trx, elevated(ctx), gw.id);
  }

  private async create(trx: Executor, ctx: RequestContext, router: RouterRow, networkId: string, extIps: FixedIp[]): Promise<void> {
    const subnets = await trx.selectFrom('subnets').select(['id', 'cidr']).where('network_id', '=', networkId).execute();
    await checkDuplicateSubnets(trx, router.id, subnets);
    const port = await this.deps.core.createPort(trx, elevated(ctx), {
      network_id: networkId,
      project_id: '',
      device_id: router.id,
      device_owner: DEVICE_OWNER_ROUTER_GW,
      fixed_ips: extIps.length ? extIps : undefined,
    });
    await trx.insertInto('router_ports').values({ router_id: router.id, port_id: port.id as string, port_type: DEVICE_OWNER_ROUTER_GW }).execute();
    await trx.updateTable('routers').set({ gw_port_id: port.id as string }).where('id', '=', router.id).execute();
  }

  /** New addresses on the same external network: the port keeps what it is asked to keep. */
  private async readdress(trx: Executor, ctx: RequestContext, gw: GatewayPort, extIps: FixedIp[]): Promise<void> {
    await this.deps.core.updatePort(trx, elevated(ctx), gw.id, { fixed_ips: extIps });
  }
}

/** Neutron's test for "the requested external addresses differ from the gateway's". */
function externalIpChange(gw: GatewayPort | undefined, extIps: FixedIp[]): boolean {
  if (!extIps.length) return false;
  if (!gw) return true;
  const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  const subnets = new Set(gw.ips.map((i) => i.subnet_id));
  const wantedSubnets = new Set(extIps.filter((f) => f.subnet_id).map((f) => f.subnet_id as string));
  if (!same(subnets, wantedSubnets)) return true;
  const ips = new Set(gw.ips.map((i) => i.ip_address));
  const wantedIps = new Set(extIps.filter((f) => f.ip_address && isIp(f.ip_address)).map((f) => canonicalIp(f.ip_address as string)));
  return !same(ips, wantedIps);
}
