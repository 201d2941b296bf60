/**
 * `PUT /v2.0/routers/{id}/add_router_interface` and `remove_router_interface`, by subnet (a new
 * port takes the subnet's gateway address; a second IPv6 subnet of a network joins the router's
 * existing IPv6 port there) or by an existing port. One transaction each; the answer is Neutron's
 * interface info `{id, tenant_id, port_id, network_id, subnet_id, subnet_ids}`. The ports' owner is
 * `network:router_interface`, or `network:ha_router_replicated_interface` on an HA router.
 */
import type { RequestContext } from '../../core/context.js';
import { BadRequest, PortInUse, RouterInterfaceNotFound, RouterInterfaceNotFoundForSubnet, SubnetMismatchForPort } from '../../core/errors.js';
import { parseCidr, parseIp } from '../../core/ip.js';
import { pyStr } from '../../core/py-repr.js';
import { isDict, isUuidText } from '../../api/resources/validators.js';
import { bumpRevision } from '../../db/repos/standard-attr-repo.js';
import { interfaceOwner, routerAddresses, type RouterRow } from '../../db/repos/l3-repo.js';
import type { Executor, PortRow, SubnetRow } from '../../db/schema.js';
import type { Resource } from '../plugin-api.js';
import { allocationsOf, checkSubnetAddressMode, elevated, visibleSubnet, type L3Deps } from './l3-support.js';
import { checkDuplicateSubnets, confirmInterfaceNotInUse } from './router-checks.js';
import type { RouterOps } from './router-ops.js';

interface InterfaceRequest {
  portId?: string;
  subnetId?: string;
}

interface Attached {
  port: Pick<PortRow, 'id' | 'project_id' | 'network_id'>;
  subnets: Array<Pick<SubnetRow, 'id'>>;
  /** Whether a router port came or went (only that moves the router's revision, as in Neutron). */
  portChanged: boolean;
}

const isV6 = (ip: string) => parseIp(ip)?.version === 6;

/** Neutron's checks of the body, with its texts. */
function interfaceRequest(body: unknown, forRemoval: boolean): InterfaceRequest {
  const info = isDict(body) ? body : {};
  const hasPort = 'port_id' in info;
  const hasSubnet = 'subnet_id' in info;
  if (!hasPort && !hasSubnet) throw new BadRequest({ resource: 'router', msg: 'Either subnet_id or port_id must be specified' });
  for (const key of ['port_id', 'subnet_id']) {
    if (key in info && !isUuidText(info[key])) throw new BadRequest({ resource: 'router', msg: `'${pyStr(info[key])}' is not a valid UUID` });
  }
  if (!forRemoval && hasPort && hasSubnet) throw new BadRequest({ resource: 'router', msg: 'Cannot specify both subnet-id and port-id' });
  return { portId: info.port_id as string | undefined, subnetId: info.subnet_id as string | undefined };
}

const interfaceInfo = (routerId: string, a: Attached, subnetId: string): Resource => ({
  id: routerId,
  tenant_id: a.port.project_id,
  port_id: a.port.id,
  network_id: a.port.network_id,
  subnet_id: subnetId,
  subnet_ids: a.subnets.map((s) => s.id),
});

export class RouterInterfaces {
  constructor(
    private readonly deps: L3Deps,
    private readonly routers: RouterOps,
  ) {}

  async add(ctx: RequestContext, routerId: string, body: unknown): Promise<Resource> {
    return this.deps.database.transaction(async (trx) => {
      const router = await this.routers.visibleRow(trx, ctx, routerId, true);
      const req = interfaceRequest(body, false);
      const attached = req.portId ? await this.addPort(trx, ctx, router, req.portId) : await this.addSubnet(trx, ctx, router, req.subnetId as string);
      if (attached.portChanged) await bumpRevision(trx, 'routers', router.id);
      const info = interfaceInfo(router.id, attached, attached.subnets[attached.subnets.length - 1].id);
      await this.deps.events.publish(trx, 'router_interface', 'after_create', { ctx, router_id: router.id, port_id: attached.port.id, network_id: attached.port.network_id, subnet_ids: info.subnet_ids as string[] });
      return info;
    });
  }

  private async addSubnet(trx: Executor, ctx: RequestContext, router: RouterRow, subnetId: string): Promise<Attached> {
    const subnet = await visibleSubnet(this.deps, trx, ctx, subnetId);
    if (!subnet.gateway_ip) throw new BadRequest({ resource: 'router', msg: 'Subnet for router interface must have a gateway IP' });
    if (!ctx.isAdmin && subnet.project_id !== ctx.projectId)
      throw new BadRequest({ resource: 'router', msg: `Cannot add interface to router because subnet ${subnetId} is not owned by project making the request` });
    checkSubnetAddressMode(subnet);
    const addresses = await routerAddresses(trx, router.id);
    await checkDuplicateSubnets(trx, router.id, [subnet], addresses);
    // IPv6 gateways are the subnet-router anycast address, which only routers may take
    const anycast = Number(subnet.ip_version) === 6 && parseCidr(subnet.cidr)?.network === parseIp(subnet.gateway_ip)?.value;
    const fixedIp = anycast ? { subnet_id: subnet.id, anycast: true } : { subnet_id: subnet.id, ip_address: subnet.gateway_ip };
    if (Number(subnet.ip_version) === 6) {
      // a further IPv6 prefix of a network goes onto the router's IPv6 port there
      const v6 = addresses.find((a) => a.port_type === interfaceOwner(router) && a.network_id === subnet.network_id && isV6(a.ip_address));
      if (v6) {
        const port = await trx.selectFrom('ports').selectAll().where('id', '=', v6.port_id).executeTakeFirstOrThrow();
        const keep = (await allocationsOf(trx, [port.id])).map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address }));
        await this.deps.core.updatePort(trx, elevated(ctx), port.id, { fixed_ips: [...keep, fixedIp] });
        return { port, subnets: [subnet], portChanged: false };
      }
    }
    const port = await this.deps.core.createPort(trx, ctx, {
      network_id: subnet.network_id,
      project_id: router.project_id,
      device_id: router.id,
      device_owner: interfaceOwner(router),
      fixed_ips: [fixedIp],
      // Neutron writes the owner once more after recording the router port
      revision_number: 2,
    });
    await trx.insertInto('router_ports').values({ router_id: router.id, port_id: port.id as string, port_type: interfaceOwner(router) }).execute();
    return { port: { id: port.id as string, project_id: port.project_id as string, network_id: port.network_id as string }, subnets: [subnet], portChanged: true };
  }

  private async addPort(trx: Executor, ctx: RequestContext, router: RouterRow, portId: string): Promise<Attached> {
    const port = await this.deps.core.portRow(trx, ctx, portId);
    if (port.device_id !== '') throw new PortInUse({ port_id: port.id, net_id: port.network_id, device_id: port.device_id });
    const ips = await allocationsOf(trx, [port.id]);
    if (!ips.length) throw new BadRequest({ resource: 'router', msg: 'Router port must have at least one fixed IP' });
    const rows = await trx.selectFrom('subnets').selectAll().where('id', 'in', [...new Set(ips.map((i) => i.subnet_id))]).execute();
    const subnets = ips.map((i) => rows.find((r) => r.id === i.subnet_id) as SubnetRow);
    for (const s of subnets) checkSubnetAddressMode(s);

    // Neutron updates the port twice (owner before and after recording the router port)
    await this.deps.core.updatePort(trx, ctx, port.id, { device_id: router.id, device_owner: interfaceOwner(router) }, { revisions: 2 });

    const addresses = await routerAddresses(trx, router.id);
    if (ips.some((i) => isV6(i.ip_address))) {
      const other = addresses.find((a) => a.network_id === port.network_id && isV6(a.ip_address));
      if (other)
        throw new BadRequest({
          resource: 'router',
          msg: `Cannot have multiple router ports with the same network id if both contain IPv6 subnets. Existing port ${other.port_id} has IPv6 subnet(s) and network id ${other.network_id}`,
        });
    }
    await checkDuplicateSubnets(trx, router.id, subnets, addresses);
    if (subnets.filter((s) => Number(s.ip_version) === 4).length > 1) throw new BadRequest({ resource: 'router', msg: 'Cannot have multiple IPv4 subnets on router port' });
    if (!ctx.isAdmin) await this.checkInPools(trx, ctx, port.id, ips, subnets);
    await trx.insertInto('router_ports').values({ router_id: router.id, port_id: port.id, port_type: interfaceOwner(router) }).execute();
    return { port, subnets, portChanged: true };
  }

  /** A project may not plug a port holding an address outside the pools of a subnet it does not own. */
  private async checkInPools(trx: Executor, ctx: RequestContext, portId: string, ips: Array<{ subnet_id: string; ip_address: string }>, subnets: SubnetRow[]): Promise<void> {
    const pools = await trx.selectFrom('allocation_pools').selectAll().where('subnet_id', 'in', subnets.map((s) => s.id)).execute();
    for (const ip of ips) {
      const subnet = subnets.find((s) => s.id === ip.subnet_id) as SubnetRow;
      const v = parseIp(ip.ip_address)!.value;
      const inPool = pools.some((p) => p.subnet_id === ip.subnet_id && parseIp(p.first_ip)!.value <= v && v <= parseIp(p.last_ip)!.value);
      if (!inPool && subnet.project_id !== ctx.projectId)
        throw new BadRequest({
          resource: 'router',
          msg: `Cannot add interface to router because specified port ${portId} has an IP address out of the allocation pool of subnet ${ip.subnet_id}, which is not owned by the project making the request`,
        });
    }
  }

  async remove(ctx: RequestContext, routerId: string, body: unknown): Promise<Resource> {
    const req = interfaceRequest(body, true);
    return this.deps.database.transaction(async (trx) => {
      const router = await this.routers.visibleRow(trx, ctx, routerId, true);
      const removed = req.portId ? await this.removePort(trx, ctx, router, req.portId, req.subnetId) : await this.removeSubnet(trx, ctx, router, req.subnetId as string);
      if (removed.portChanged) await bumpRevision(trx, 'routers', router.id);
      const info = interfaceInfo(router.id, removed, removed.subnets[0].id);
      await this.deps.events.publish(trx, 'router_interface', 'after_delete', { ctx, router_id: router.id, port_id: removed.port.id, network_id: removed.port.network_id, subnet_ids: info.subnet_ids as string[] });
      return info;
    });
  }

  private async removePort(trx: Executor, ctx: RequestContext, router: RouterRow, portId: string, subnetId: string | undefined): Promise<Attached> {
    const rp = await trx
      .selectFrom('router_ports')
      .innerJoin('ports', 'ports.id', 'router_ports.port_id')
      .select(['ports.id', 'ports.project_id', 'ports.network_id'])
      .where('router_ports.router_id', '=', router.id)
      .where('router_ports.port_id', '=', portId)
      .where('router_ports.port_type', '=', interfaceOwner(router))
      .executeTakeFirst();
    if (!rp) throw new RouterInterfaceNotFound({ router_id: router.id, port_id: portId });
    const subnetIds = [...new Set((await allocationsOf(trx, [rp.id])).map((a) => a.subnet_id))];
    if (subnetId !== undefined && !subnetIds.includes(subnetId)) throw new SubnetMismatchForPort({ port_id: portId, subnet_id: subnetId });
    const subnets = subnetIds.length ? await trx.selectFrom('subnets').select(['id', 'cidr']).where('id', 'in', subnetIds).orderBy('id').execute() : [];
    for (const s of subnets) await confirmInterfaceNotInUse(trx, router.id, s);
    await this.deps.core.deletePort(trx, ctx, rp.id);
    return { port: rp, subnets, portChanged: true };
  }

  private async removeSubnet(trx: Executor, ctx: RequestContext, router: RouterRow, subnetId: string): Promise<Attached> {
    const subnet = await visibleSubnet(this.deps, trx, ctx, subnetId);
    const ports = await trx
      .selectFrom('router_ports')
      .innerJoin('ports', 'ports.id', 'router_ports.port_id')
      .select(['ports.id', 'ports.project_id', 'ports.network_id'])
      .where('router_ports.router_id', '=', router.id)
      .where('router_ports.port_type', '=', interfaceOwner(router))
      .where('ports.network_id', '=', subnet.network_id)
      .orderBy('ports.id')
      .execute();
    if (ports.length) await confirmInterfaceNotInUse(trx, router.id, subnet);
    const ips = await allocationsOf(
      trx,
      ports.map((p) => p.id),
    );
    for (const p of ports) {
      const own = ips.filter((i) => i.port_id === p.id);
      if (!own.some((i) => i.subnet_id === subnet.id)) continue;
      if (new Set(own.map((i) => i.subnet_id)).size > 1) {
        // a port with several prefixes only loses this one
        const rest = own.filter((i) => i.subnet_id !== subnet.id).map((i) => ({ subnet_id: i.subnet_id, ip_address: i.ip_address }));
        await this.deps.core.updatePort(trx, elevated(ctx), p.id, { fixed_ips: rest });
        return { port: p, subnets: [subnet], portChanged: false };
      }
      await this.deps.core.deletePort(trx, elevated(ctx), p.id);
      return { port: p, subnets: [subnet], portChanged: true };
    }
    throw new RouterInterfaceNotFoundForSubnet({ router_id: router.id, subnet_id: subnetId });
  }
}
