/**
 * Subnets: the CIDR given or allocated from a subnet pool (the `allocateFromPool` hook), gateway
 * and pool checks (Neutron's rules and errors), IPv6 address modes, overlap and subnet pool
 * affinity within a network, name servers and host routes; deletion refused while ports other
 * than DHCP ports hold addresses from the subnet.
 */
import { newId, type RequestContext } from '../../core/context.js';
import {
  BadRequest,
  DNSNameServersExhausted,
  GatewayConflictWithAllocationPools,
  HostRoutesExhausted,
  InvalidInput,
  NetworkSubnetPoolAffinityError,
  PolicyNotAuthorized,
  SubnetInUse,
  SubnetNotFound,
} from '../../core/errors.js';
import { cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp, type Cidr } from '../../core/ip.js';
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import { defaultGateway, defaultPools, usableRange, validatePools, type Range } from '../../ipam/allocator.js';
import { bool, dbBool, type Executor, type SubnetRow } from '../../db/schema.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, deleteTagsOf, standardValues, tagsOf } from '../../db/repos/standard-attr-repo.js';
import { subnetChildren } from '../../db/repos/subnet-repo.js';
import { networkSharedWith } from '../../db/repos/rbac-repo.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import type { Ml2Deps } from './ml2-plugin.js';
import type { InternalSubnetSpec } from '../core-plugin.js';
import { AUTO_DELETE_OWNERS } from './network-ops.js';
import { isAutoAddressSubnet } from '../../ipam/db-ipam.js';
import { extendViews } from '../extensions.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  ['id', 'name', 'ip_version', 'network_id', 'cidr', 'gateway_ip', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'project_id', 'description', 'revision_number', 'created_at', 'updated_at'].map((c) => [c, c]),
);
COLUMNS.tenant_id = 'project_id';
COLUMNS.subnetpool_id = 'subnetpool_id';

export class SubnetOps implements ResourcePlugin {
  readonly tags;

  constructor(private readonly deps: Ml2Deps) {
    this.tags = tagOps(deps.database, 'subnets', (ctx, id) => this.get(ctx, id));
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    return this.deps.database.transaction(async (trx) => {
      await this.deps.events.publish(trx, 'subnet', 'before_create', { ctx, items });
      const ids: string[] = [];
      for (const item of items) ids.push(await this.createOne(trx, ctx, item));
      const views = await this.views(trx, ids);
      for (const current of views) await this.deps.events.publish(trx, 'subnet', 'after_create', { ctx, current });
      return views;
    });
  }

  /** A plug-in's own subnet (core-plugin.ts), inside its transaction: no quota, the same events as an API create. */
  async createInternal(trx: Executor, ctx: RequestContext, spec: InternalSubnetSpec): Promise<Resource> {
    const item: Resource = {
      ...spec,
      tenant_id: spec.project_id,
      description: '',
      prefixlen: NOT_SPECIFIED,
      subnetpool_id: NOT_SPECIFIED,
      use_default_subnetpool: false,
      ipv6_ra_mode: NOT_SPECIFIED,
      ipv6_address_mode: NOT_SPECIFIED,
      allocation_pools: NOT_SPECIFIED,
      dns_nameservers: NOT_SPECIFIED,
      host_routes: NOT_SPECIFIED,
    };
    const id = await this.createOne(trx, ctx, item);
    const [current] = await this.views(trx, [id]);
    await this.deps.events.publish(trx, 'subnet', 'after_create', { ctx, current });
    return current;
  }

  private async createOne(trx: Executor, ctx: RequestContext, item: Resource): Promise<string> {
    const network = await this.deps.networks.visibleRow(trx, ctx, item.network_id as string);
    // a network shared with the caller takes its ports, not its subnets (admin_or_network_owner)
    if (!ctx.isAdmin && network.project_id !== ctx.projectId) throw new PolicyNotAuthorized({ action: 'create_subnet' });
    const version = item.ip_version as 4 | 6;
    const { cidr, subnetpoolId, chosen } = await this.cidrOf(trx, ctx, item);
    const ra = item.ipv6_ra_mode === NOT_SPECIFIED ? null : (item.ipv6_ra_mode as string | null);
    const mode = item.ipv6_address_mode === NOT_SPECIFIED ? null : (item.ipv6_address_mode as string | null);
    checkIpv6Modes(cidr, ra, mode);

    const others = await trx.selectFrom('subnets').select(['cidr', 'ip_version', 'subnetpool_id']).where('network_id', '=', network.id).execute();
    if (others.some((o) => cidrsOverlap(parseCidr(o.cidr)!, cidr)))
      throw new InvalidInput({ error_message: `Requested subnet with cidr: ${formatCidr(cidr)} for network: ${network.id} overlaps with another subnet` });
    // the subnets of one IP version on a network all come from one pool, or none does
    if (others.some((o) => Number(o.ip_version) === version && (o.subnetpool_id ?? null) !== subnetpoolId)) throw new NetworkSubnetPoolAffinityError();

    let gateway: bigint | null;
    if (item.gateway_ip === NOT_SPECIFIED) gateway = chosen ? cidr.network + 1n : defaultGateway(cidr);
    else if (item.gateway_ip === null) gateway = null;
    else gateway = checkGateway(cidr, item.gateway_ip as string);
    const pools =
      item.allocation_pools === NOT_SPECIFIED
        ? defaultPools(cidr, gateway)
        : validatePools(cidr, item.allocation_pools as Array<{ start: string; end: string }>, gateway);

    const id = newId();
    const dns = item.dns_nameservers === NOT_SPECIFIED ? [] : (item.dns_nameservers as string[]);
    const routes = item.host_routes === NOT_SPECIFIED ? [] : (item.host_routes as Array<{ destination: string; nexthop: string }>);
    this.checkLimits(id, dns, routes);
    const row: SubnetRow = {
      id,
      project_id: item.project_id as string,
      network_id: network.id,
      name: item.name as string,
      ip_version: version,
      cidr: formatCidr(cidr),
      subnetpool_id: subnetpoolId,
      gateway_ip: gateway === null ? null : formatIp(version, gateway),
      enable_dhcp: dbBool(item.enable_dhcp),
      ipv6_ra_mode: ra,
      ipv6_address_mode: mode,
      ...standardValues(item.description as string),
    };
    await trx.insertInto('subnets').values(row).execute();
    await this.writeChildren(trx, id, version, pools, dns, routes);
    await bumpRevision(trx, 'networks', network.id);
    await this.deps.events.publish(trx, 'subnet', 'precommit_create', { ctx, request: item, current: row });
    return id;
  }

  /**
   * The new subnet's CIDR: the one given, or one from the subnet pool the request names
   * (`subnetpool_id`, or `use_default_subnetpool`), with Neutron's checks of the combination.
   * `chosen`: the pool chose it (Neutron then puts the default gateway at network + 1, IPv6 too).
   */
  private async cidrOf(trx: Executor, ctx: RequestContext, item: Resource): Promise<{ cidr: Cidr; subnetpoolId: string | null; chosen: boolean }> {
    const given = (v: unknown) => v !== NOT_SPECIFIED && v !== null && v !== undefined;
    const version = item.ip_version as 4 | 6;
    if (given(item.cidr) && given(item.prefixlen)) throw new BadRequest({ resource: 'subnets', msg: 'cidr and prefixlen must not be supplied together' });
    if (item.use_default_subnetpool === true && given(item.subnetpool_id))
      throw new BadRequest({ resource: 'subnets', msg: 'subnetpool_id and use_default_subnetpool cannot both be specified' });
    if (given(item.cidr)) {
      const c = parseCidr(item.cidr as string) as Cidr;
      if (c.version !== version) throw new InvalidInput({ error_message: `cidr '${item.cidr}' does not match the ip_version '${version}'` });
    }
    const fromPool = given(item.subnetpool_id) || item.use_default_subnetpool === true;
    if (!fromPool) {
      if (!given(item.cidr)) throw new BadRequest({ resource: 'subnets', msg: 'a subnetpool must be specified in the absence of a cidr' });
      return { cidr: parseCidr(item.cidr as string) as Cidr, subnetpoolId: null, chosen: false };
    }
    if (!given(item.cidr) && given(item.allocation_pools))
      throw new BadRequest({ resource: 'subnets', msg: 'allocation_pools allowed only for specific subnet requests.' });
    const allocate = this.deps.pools.allocate;
    if (!allocate) throw new BadRequest({ resource: 'subnets', msg: 'subnet pools are not supported by this server' });
    const got = await allocate(trx, ctx, {
      subnetpool_id: given(item.subnetpool_id) ? (item.subnetpool_id as string) : undefined,
      ip_version: version,
      project_id: item.project_id as string,
      cidr: given(item.cidr) ? (item.cidr as string) : undefined,
      prefixlen: given(item.prefixlen) ? (item.prefixlen as number) : undefined,
      gateway_ip: given(item.gateway_ip) ? (item.gateway_ip as string) : undefined,
    });
    return { cidr: got.cidr, subnetpoolId: got.subnetpool_id, chosen: got.chosen };
  }

  private checkLimits(id: string, dns: string[], routes: unknown[]): void {
    if (dns.length > this.deps.config.DEFAULT.max_dns_nameservers)
      throw new DNSNameServersExhausted({ subnet_id: id, quota: this.deps.config.DEFAULT.max_dns_nameservers });
    if (routes.length > this.deps.config.DEFAULT.max_subnet_host_routes)
      throw new HostRoutesExhausted({ subnet_id: id, quota: this.deps.config.DEFAULT.max_subnet_host_routes });
  }

  private async writeChildren(
    trx: Executor,
    id: string,
    version: 4 | 6,
    pools: Range[] | undefined,
    dns: string[] | undefined,
    routes: Array<{ destination: string; nexthop: string }> | undefined,
  ): Promise<void> {
    if (pools) {
      await trx.deleteFrom('allocation_pools').where('subnet_id', '=', id).execute();
      if (pools.length)
        await trx
          .insertInto('allocation_pools')
          .values(pools.map((p) => ({ id: newId(), subnet_id: id, first_ip: formatIp(version, p.first), last_ip: formatIp(version, p.last) })))
          .execute();
    }
    if (dns) {
      await trx.deleteFrom('dns_nameservers').where('subnet_id', '=', id).execute();
      if (dns.length) await trx.insertInto('dns_nameservers').values(dns.map((address, order) => ({ subnet_id: id, address, order }))).execute();
    }
    if (routes) {
      await trx.deleteFrom('subnet_routes').where('subnet_id', '=', id).execute();
      if (routes.length)
        await trx
          .insertInto('subnet_routes')
          .values(routes.map((r) => ({ subnet_id: id, destination: formatCidrText(r.destination), nexthop: r.nexthop })))
          .execute();
    }
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    await this.visibleRow(this.deps.database.db, ctx, id);
    return (await this.views(this.deps.database.db, [id]))[0];
  }

  /** A subnet the caller may see (its own, or on a network it may see); else SubnetNotFound. */
  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<SubnetRow> {
    const row = await trx.selectFrom('subnets').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new SubnetNotFound({ subnet_id: id });
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) {
      const net = await trx
        .selectFrom('networks')
        .select('networks.id')
        .where('networks.id', '=', row.network_id)
        .where((e) => e.or([e('networks.project_id', '=', ctx.projectId), networkSharedWith(e, ctx.projectId)]))
        .executeTakeFirst();
      if (!net) throw new SubnetNotFound({ subnet_id: id });
    }
    return row;
  }

  /** Subnets of a network shared with the caller are seen, not changed (admin_or_network_owner). */
  private async networkOwnerOnly(trx: Executor, ctx: RequestContext, row: SubnetRow, action: string): Promise<void> {
    if (ctx.isAdmin) return;
    const net = await trx.selectFrom('networks').select('project_id').where('id', '=', row.network_id).executeTakeFirst();
    if (net?.project_id !== ctx.projectId) throw new PolicyNotAuthorized({ action });
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.deps.database.db;
    const spec: ListSpec = {
      table: 'subnets',
      tagType: 'subnets',
      columns: COLUMNS,
      markerNotFound: (id) => new SubnetNotFound({ subnet_id: id }),
      booleans: new Set(['enable_dhcp']),
      scope: ctx.isAdmin
        ? undefined
        : (eb) =>
            eb.or([
              eb('subnets.project_id', '=', ctx.projectId),
              eb.exists(
                eb
                  .selectFrom('networks')
                  .select('networks.id')
                  .whereRef('networks.id', '=', 'subnets.network_id')
                  // a subnet of an external network is not the world's to see unless it is shared (Neutron's get_subnet rule)
                  .where((e) => e.or([e('networks.project_id', '=', ctx.projectId), networkSharedWith(e, ctx.projectId)])),
              ),
            ]),
    };
    return listPages<SubnetRow>(db, spec, q, (part) => this.viewsOf(db, part));
  }

  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    const { events } = this.deps;
    return this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      await this.networkOwnerOnly(trx, ctx, row, 'update_subnet');
      const original = events.wants('subnet', 'after_update') ? (await this.viewsOf(trx, [row]))[0] : undefined;
      await events.publish(trx, 'subnet', 'before_update', { ctx, request: changes, original: row });
      const cidr = parseCidr(row.cidr) as Cidr;
      const version = cidr.version;
      let gateway = row.gateway_ip ? parseIp(row.gateway_ip)!.value : null;
      if ('gateway_ip' in changes) gateway = changes.gateway_ip === null ? null : checkGateway(cidr, changes.gateway_ip as string);
      let pools: Range[] | undefined;
      if ('allocation_pools' in changes) pools = validatePools(cidr, changes.allocation_pools as Array<{ start: string; end: string }>, gateway);
      else if ('gateway_ip' in changes && gateway !== null) {
        const current = (await subnetChildren(trx, [id])).pools.get(id) ?? [];
        const hit = current.find((p) => gateway! >= parseIp(p.first_ip)!.value && gateway! <= parseIp(p.last_ip)!.value);
        if (hit) throw new GatewayConflictWithAllocationPools({ ip_address: formatIp(version, gateway), pool: `${hit.first_ip}-${hit.last_ip}` });
      }
      const dns = 'dns_nameservers' in changes ? (changes.dns_nameservers as string[]) : undefined;
      const routes = 'host_routes' in changes ? (changes.host_routes as Array<{ destination: string; nexthop: string }>) : undefined;
      this.checkLimits(id, dns ?? [], routes ?? []);
      await bumpRevision(trx, 'subnets', id, ifMatch, Object.keys(changes).length > 0);
      const set: Partial<SubnetRow> = {};
      if ('name' in changes) set.name = changes.name as string;
      if ('description' in changes) set.description = changes.description as string;
      if ('enable_dhcp' in changes) set.enable_dhcp = dbBool(changes.enable_dhcp);
      if ('gateway_ip' in changes) set.gateway_ip = gateway === null ? null : formatIp(version, gateway);
      if (Object.keys(set).length) await trx.updateTable('subnets').set(set).where('id', '=', id).execute();
      await this.writeChildren(trx, id, version, pools, dns, routes);
      const after = { ...row, ...set, revision_number: Number(row.revision_number) + (Object.keys(changes).length ? 1 : 0) };
      await events.publish(trx, 'subnet', 'precommit_update', { ctx, request: changes, original: row, current: after });
      const [current] = await this.views(trx, [id]);
      if (original) await events.publish(trx, 'subnet', 'after_update', { ctx, request: changes, original, current });
      return current;
    });
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.deps.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      await this.networkOwnerOnly(trx, ctx, row, 'delete_subnet');
      if (ifMatch !== undefined) await bumpRevision(trx, 'subnets', id, ifMatch, false);
      await this.deps.events.publish(trx, 'subnet', 'precommit_delete', { ctx, original: row, internal: false });
      await this.deps.events.publish(trx, 'subnet', 'after_delete', async () => ({ ctx, original: (await this.viewsOf(trx, [row]))[0] }));
      const users = await trx
        .selectFrom('ip_allocations')
        .innerJoin('ports', 'ports.id', 'ip_allocations.port_id')
        .select(['ports.id', 'ports.device_owner'])
        .where('ip_allocations.subnet_id', '=', id)
        .execute();
      // SLAAC/stateless addresses go with their subnet, except a router's; other ports' addresses block it
      const auto = isAutoAddressSubnet(row);
      const routerPort = (owner: string) => owner.startsWith('network:router_interface') || owner === 'network:ha_router_replicated_interface';
      const blocking = users.filter((u) => (auto ? routerPort(u.device_owner) : !AUTO_DELETE_OWNERS.includes(u.device_owner)));
      if (blocking.length) throw new SubnetInUse({ subnet_id: id });
      await trx.deleteFrom('ip_allocations').where('subnet_id', '=', id).execute();
      await deleteTagsOf(trx, 'subnets', id);
      await trx.deleteFrom('subnets').where('id', '=', id).execute();
      await bumpRevision(trx, 'networks', row.network_id);
    });
  }

  async views(trx: Executor, ids: string[]): Promise<Resource[]> {
    const rows = ids.length ? await trx.selectFrom('subnets').selectAll().where('id', 'in', ids).execute() : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    return this.viewsOf(trx, ids.map((id) => byId.get(id)).filter((r): r is SubnetRow => r !== undefined));
  }

  private async viewsOf(trx: Executor, rows: SubnetRow[]): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const [children, tags] = await Promise.all([subnetChildren(trx, ids), tagsOf(trx, 'subnets', ids)]);
    const views = rows.map((r) => {
      const pools = [...(children.pools.get(r.id) ?? [])].sort((a, b) => (parseIp(a.first_ip)!.value < parseIp(b.first_ip)!.value ? -1 : 1));
      return {
        id: r.id,
        name: r.name,
        tenant_id: r.project_id,
        project_id: r.project_id,
        network_id: r.network_id,
        ip_version: Number(r.ip_version),
        subnetpool_id: r.subnetpool_id ?? null,
        enable_dhcp: bool(r.enable_dhcp),
        ipv6_ra_mode: r.ipv6_ra_mode,
        ipv6_address_mode: r.ipv6_address_mode,
        gateway_ip: r.gateway_ip,
        cidr: r.cidr,
        allocation_pools: pools.map((p) => ({ start: p.first_ip, end: p.last_ip })),
        host_routes: (children.routes.get(r.id) ?? []).map((h) => ({ destination: h.destination, nexthop: h.nexthop })),
        dns_nameservers: (children.dns.get(r.id) ?? []).map((d) => d.address),
        description: r.description,
        tags: tags.get(r.id) ?? [],
        created_at: r.created_at,
        updated_at: r.updated_at,
        revision_number: Number(r.revision_number),
      };
    });
    await extendViews(this.deps.extensions.subnet, trx, views);
    return views;
  }
}

function checkIpv6Modes(cidr: Cidr, ra: string | null, mode: string | null): void {
  if (cidr.version === 4) {
    if (ra !== null || mode !== null) throw new InvalidInput({ error_message: 'ipv6_ra_mode and ipv6_address_mode are not valid for an IPv4 subnet' });
    return;
  }
  if (ra !== null && mode !== null && ra !== mode)
    throw new InvalidInput({
      error_message: `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${mode}' is not valid. If both attributes are set, they must be the same value`,
    });
  if ((mode === 'slaac' || mode === 'dhcpv6-stateless' || ra === 'slaac' || ra === 'dhcpv6-stateless') && cidr.prefix !== 64)
    throw new InvalidInput({
      error_message: `Invalid CIDR ${formatIp(6, cidr.network)}/${cidr.prefix} for IPv6 address mode. OpenStack uses the EUI-64 address format, which requires the prefix to be /64`,
    });
}

/** A gateway of the right family that is not the network or (IPv4) broadcast address. */
function checkGateway(cidr: Cidr, text: string): bigint {
  const ip = parseIp(text)!;
  if (ip.version !== cidr.version) throw new InvalidInput({ error_message: `Gateway IP version inconsistent with allocation pool version` });
  const r = usableRange(cidr);
  const inside = ip.value >= cidr.network && ip.value <= r.last + (cidr.version === 4 ? 1n : 0n);
  if (cidr.version === 4 && inside && (ip.value < r.first || ip.value > r.last))
    throw new InvalidInput({ error_message: `Gateway is not valid on subnet` });
  return ip.value;
}

function formatCidrText(text: string): string {
  const c = parseCidr(text)!;
  return `${formatIp(c.version, c.network)}/${c.prefix}`;
}
