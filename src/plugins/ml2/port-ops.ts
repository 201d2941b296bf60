/**
 * Ports: MAC generation (unique per network), IP allocation through IPAM, allowed address pairs,
 * extra DHCP options, DNS assignment, and the binding attributes (stored; a port stays `unbound`
 * until a mechanism driver binds it).
 */
import { randomInt } from 'node:crypto';
import { newId, type RequestContext } from '../../core/context.js';
import {
  AddressPairAndPortSecurityRequired,
  AllowedAddressPairExhausted,
  DuplicateAddressPairInRequest,
  MacAddressGenerationFailure,
  MacAddressInUse,
  PortNotFound,
} from '../../core/errors.js';
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import { bool, dbBool, type AllowedAddressPairRow, type Executor, type ExtraDhcpOptRow, type PortRow } from '../../db/schema.js';
import { type ListQuery, type ListSpec } from '../../db/repos/listing.js';
import { bumpRevision, bumpRevisionBy, standardValues } from '../../db/repos/standard-attr-repo.js';
import { deletePortRows, portChildren } from '../../db/repos/port-repo.js';
import type { Allocation, FixedIpRequest } from '../../ipam/db-ipam.js';
import { canonicalIp, isIp } from '../../core/ip.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { tagOps } from '../tag-ops.js';
import { extendViews } from '../extensions.js';
import type { InternalPortChanges, InternalPortSpec } from '../core-plugin.js';
import type { Ml2Deps } from './ml2-plugin.js';
import { prepared } from '../../db/repos/prepared.js';

const COLUMNS: Record<string, string> = Object.fromEntries(
  ['id', 'name', 'network_id', 'admin_state_up', 'mac_address', 'device_id', 'device_owner', 'status', 'project_id', 'description', 'revision_number', 'created_at', 'updated_at'].map((c) => [c, c]),
);
Object.assign(COLUMNS, { tenant_id: 'project_id', 'binding:host_id': 'binding_host_id', 'binding:vnic_type': 'binding_vnic_type' });

type Pair = { ip_address: string; mac_address?: string };

/** Router interfaces get only the addresses they ask for (no automatic SLAAC addresses), as in Neutron. */
const isRouterInterface = (owner: string) => owner.startsWith('network:router_interface') || owner === 'network:ha_router_replicated_interface';
type DhcpOpt = { opt_name: string; opt_value: string | null; ip_version?: number | string };

/** A plug-in's port: the API's defaults, without port security (Neutron gives `network:*` ports none). */
const INTERNAL_DEFAULTS: Resource = {
  name: '',
  description: '',
  admin_state_up: true,
  mac_address: NOT_SPECIFIED,
  port_security_enabled: false,
  allowed_address_pairs: NOT_SPECIFIED,
  extra_dhcp_opts: null,
  security_groups: NOT_SPECIFIED,
  dns_name: '',
  'binding:vnic_type': 'normal',
  'binding:profile': NOT_SPECIFIED,
};

const portById = prepared((trx, id: string) => trx.selectFrom('ports').selectAll().where('id', '=', id));

export class PortOps implements ResourcePlugin {
  readonly tags;

  private readonly dnsDomain: string;

  constructor(private readonly deps: Ml2Deps) {
    this.tags = tagOps(deps.database, 'ports', (ctx, id) => this.get(ctx, id));
    this.dnsDomain = deps.config.DEFAULT.dns_domain.replace(/\.$/, '');
  }

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    return this.deps.database.transaction(async (trx) => {
      await this.deps.events.publish(trx, 'port', 'before_create', { ctx, items });
      const out: Resource[] = [];
      for (const item of items) out.push(await this.createInTransaction(trx, ctx, item));
      return out;
    });
  }

  /**
   * Creates one port inside the caller's transaction and renders it from what was written (no
   * read-back), with its events: `precommit_create` once the rows exist, `after_create` rendered.
   * `item`: a prepared item, every attribute present, NOT_SPECIFIED where the plug-in decides.
   * Quota is the caller's check.
   */
  private async createInTransaction(trx: Executor, ctx: RequestContext, item: Resource, initial: { status?: string; revision?: number } = {}): Promise<Resource> {
    const network = await this.deps.networks.visibleRow(trx, ctx, item.network_id as string);
    const id = newId();
    const mac = item.mac_address === NOT_SPECIFIED ? await this.generateMac(trx, network.id) : (item.mac_address as string);
    if (item.mac_address !== NOT_SPECIFIED) await this.checkMacFree(trx, network.id, mac);
    const portSecurity = item.port_security_enabled === NOT_SPECIFIED ? bool(network.port_security_enabled) : (item.port_security_enabled as boolean);
    const pairs = item.allowed_address_pairs === NOT_SPECIFIED ? [] : (item.allowed_address_pairs as Pair[]);
    this.checkPairs(pairs, mac, portSecurity);
    const hostId = item['binding:host_id'] === NOT_SPECIFIED ? '' : ((item['binding:host_id'] as string) ?? '');
    const binding = await this.deps.mechanisms.bind(trx, { id, network_id: network.id, binding_host_id: hostId, binding_vnic_type: item['binding:vnic_type'] as string });
    const row: PortRow = {
      id,
      project_id: item.project_id as string,
      network_id: network.id,
      name: item.name as string,
      mac_address: mac,
      admin_state_up: dbBool(item.admin_state_up),
      status: initial.status ?? 'DOWN',
      device_id: item.device_id as string,
      device_owner: item.device_owner as string,
      port_security_enabled: dbBool(portSecurity),
      dns_name: (item.dns_name as string | undefined) ?? '',
      binding_host_id: hostId,
      binding_vnic_type: item['binding:vnic_type'] as string,
      binding_profile: JSON.stringify(item['binding:profile'] === NOT_SPECIFIED ? {} : (item['binding:profile'] ?? {})),
      binding_vif_type: binding.vif_type,
      binding_vif_details: JSON.stringify(binding.vif_details),
      ...standardValues(item.description as string),
      revision_number: initial.revision ?? 1,
    };
    await trx.insertInto('ports').values(row).execute();
    const requests = item.fixed_ips === NOT_SPECIFIED ? undefined : (item.fixed_ips as FixedIpRequest[]);
    const ips = await this.deps.ipam.allocate(trx, network.id, id, mac, requests, [], !isRouterInterface(row.device_owner));
    const pairRows = pairs.length ? await this.writePairs(trx, id, mac, pairs) : [];
    const opts = (item.extra_dhcp_opts as DhcpOpt[] | null) ?? [];
    const optRows = opts.length ? await this.writeOpts(trx, id, opts, false) : [];
    await this.deps.events.publish(trx, 'port', 'precommit_create', { ctx, request: item, current: row });
    const view = this.render(row, ips, pairRows, optRows, []);
    await extendViews(this.deps.extensions.port, trx, [view]);
    await this.deps.events.publish(trx, 'port', 'after_create', { ctx, current: view });
    return view;
  }

  /** A port a plug-in owns (core-plugin.ts): every attribute at its default but the spec's, no port security. */
  async createInternal(trx: Executor, ctx: RequestContext, spec: InternalPortSpec): Promise<Resource> {
    return this.createInTransaction(trx, ctx, {
      ...INTERNAL_DEFAULTS,
      name: spec.name ?? '',
      network_id: spec.network_id,
      project_id: spec.project_id,
      tenant_id: spec.project_id,
      device_id: spec.device_id,
      device_owner: spec.device_owner,
      'binding:host_id': spec['binding:host_id'] ?? NOT_SPECIFIED,
      fixed_ips: spec.fixed_ips ?? NOT_SPECIFIED,
    }, { status: spec.status, revision: spec.revision_number });
  }

  private async generateMac(trx: Executor, networkId: string): Promise<string> {
    const base = this.deps.config.DEFAULT.base_mac.toLowerCase().split(':');
    for (let i = 0; i < 16; i++) {
      const mac = base.map((o, k) => (k >= 3 && o === '00' ? randomInt(256).toString(16).padStart(2, '0') : o)).join(':');
      const taken = await trx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst();
      if (!taken) return mac;
    }
    throw new MacAddressGenerationFailure({ net_id: networkId });
  }

  private async checkMacFree(trx: Executor, networkId: string, mac: string, self?: string): Promise<void> {
    const taken = await trx.selectFrom('ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac).executeTakeFirst();
    if (taken && taken.id !== self) throw new MacAddressInUse({ net_id: networkId, mac });
  }

  private checkPairs(pairs: Pair[], mac: string, portSecurity: boolean): void {
    if (pairs.length && !portSecurity) throw new AddressPairAndPortSecurityRequired();
    const max = this.deps.config.DEFAULT.max_allowed_address_pair;
    if (pairs.length > max) throw new AllowedAddressPairExhausted({ quota: max });
    const seen = new Set<string>();
    for (const p of pairs) {
      const key = `${p.mac_address ?? mac}|${p.ip_address}`;
      if (seen.has(key)) throw new DuplicateAddressPairInRequest({ mac_address: p.mac_address ?? mac, ip_address: p.ip_address });
      seen.add(key);
    }
  }

  private async writePairs(trx: Executor, id: string, mac: string, pairs: Pair[]): Promise<AllowedAddressPairRow[]> {
    await trx.deleteFrom('allowed_address_pairs').where('port_id', '=', id).execute();
    const rows = pairs.map((p) => ({ port_id: id, mac_address: (p.mac_address ?? mac).toLowerCase(), ip_address: isIp(p.ip_address) ? canonicalIp(p.ip_address) : p.ip_address }));
    if (rows.length) await trx.insertInto('allowed_address_pairs').values(rows).execute();
    return rows;
  }

  /** On update (`merge`), options are changed by name and removed when their value is null. Returns the rows written. */
  private async writeOpts(trx: Executor, id: string, opts: DhcpOpt[], merge: boolean): Promise<ExtraDhcpOptRow[]> {
    if (!merge) await trx.deleteFrom('extra_dhcp_opts').where('port_id', '=', id).execute();
    const written: ExtraDhcpOptRow[] = [];
    for (const o of opts) {
      const version = o.ip_version === undefined ? 4 : Number(o.ip_version);
      await trx.deleteFrom('extra_dhcp_opts').where('port_id', '=', id).where('opt_name', '=', o.opt_name).where('ip_version', '=', version).execute();
      if (o.opt_value !== null && o.opt_value !== undefined) {
        const row = { id: newId(), port_id: id, opt_name: o.opt_name, opt_value: o.opt_value, ip_version: version };
        await trx.insertInto('extra_dhcp_opts').values(row).execute();
        written.push(row);
      }
    }
    return written;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    const row = await this.visibleRow(this.deps.database.db, ctx, id);
    return (await this.viewsOf(this.deps.database.db, [row]))[0];
  }

  /** A port the caller may see: its own, or one on its own network (admins see all); else PortNotFound. */
  async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<PortRow> {
    const [row] = await portById(trx, id);
    if (!row) throw new PortNotFound({ port_id: id });
    if (!ctx.isAdmin && row.project_id !== ctx.projectId) {
      const net = await trx.selectFrom('networks').select('project_id').where('id', '=', row.network_id).executeTakeFirst();
      if (net?.project_id !== ctx.projectId) throw new PortNotFound({ port_id: id });
    }
    return row;
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const db = this.deps.database.db;
    const spec: ListSpec = {
      table: 'ports',
      tagType: 'ports',
      columns: COLUMNS,
      markerNotFound: (id) => new PortNotFound({ port_id: id }),
      booleans: new Set(['admin_state_up']),
      scope: ctx.isAdmin
        ? undefined
        : (eb) =>
            eb.or([
              eb('ports.project_id', '=', ctx.projectId),
              eb.exists(eb.selectFrom('networks').select('networks.id').whereRef('networks.id', '=', 'ports.network_id').where('networks.project_id', '=', ctx.projectId)),
            ]),
      special: {
        ...this.deps.extensions.portFilters,
        fixed_ips: (eb, values) => {
          const conds = (values as Array<{ key: string; value: string }>).map(({ key, value }) => {
            let sub = eb.selectFrom('ip_allocations').select('ip_allocations.port_id').whereRef('ip_allocations.port_id', '=', 'ports.id');
            if (key === 'ip_address') sub = sub.where('ip_allocations.ip_address', '=', isIp(value) ? canonicalIp(value) : value);
            else if (key === 'subnet_id') sub = sub.where('ip_allocations.subnet_id', '=', value);
            else sub = sub.where('ip_allocations.ip_address', 'like', `%${value.replace(/[%_\\]/g, (c) => `\\${c}`)}%`);
            return eb.exists(sub);
          });
          return eb.and(conds);
        },
      },
    };
    return listPages<PortRow>(db, spec, q, (part) => this.viewsOf(db, part));
  }

  async update(ctx: RequestContext, id: string, changes: Resource, ifMatch?: number): Promise<Resource> {
    return this.deps.database.transaction((trx) => this.updateInTransaction(trx, ctx, id, changes, { ifMatch }));
  }

  /** A plug-in's change to a port it manages (core-plugin.ts), inside its transaction: the same checks and events as the API's. */
  async updateInternal(trx: Executor, ctx: RequestContext, id: string, changes: InternalPortChanges, revisions = 1): Promise<Resource> {
    return this.updateInTransaction(trx, ctx, id, changes as Resource, { revisions });
  }

  /**
   * One port update inside `trx`: `before_update` (nothing written yet), the rows, IPAM, then
   * `precommit_update` with the rows before and after, and `after_update` with both rendered.
   * Returns the port as rendered after the change.
   */
  private async updateInTransaction(trx: Executor, ctx: RequestContext, id: string, changes: Resource, opts: { ifMatch?: number; revisions?: number }): Promise<Resource> {
    const { events } = this.deps;
    const row = await this.visibleRow(trx, ctx, id);
    const children = await portChildren(trx, [id]);
    const original = events.wants('port', 'after_update') ? (await this.render1(trx, row, children)) : undefined;
    await events.publish(trx, 'port', 'before_update', { ctx, request: changes, original: row });
    const touched = Object.keys(changes).length > 0;
    await bumpRevision(trx, 'ports', id, opts.ifMatch, touched);
    const set: Partial<PortRow> = {};
    const mac = 'mac_address' in changes ? (changes.mac_address as string) : row.mac_address;
    if ('mac_address' in changes && mac !== row.mac_address) {
      await this.checkMacFree(trx, row.network_id, mac, id);
      set.mac_address = mac;
    }
    for (const k of ['name', 'device_id', 'device_owner', 'description', 'dns_name', 'status'] as const) if (k in changes) set[k] = changes[k] as string;
    if ('admin_state_up' in changes) set.admin_state_up = dbBool(changes.admin_state_up);
    if ('binding:host_id' in changes) set.binding_host_id = (changes['binding:host_id'] as string) ?? '';
    if ('binding:vnic_type' in changes) set.binding_vnic_type = changes['binding:vnic_type'] as string;
    if ('binding:profile' in changes) set.binding_profile = JSON.stringify(changes['binding:profile'] ?? {});
    const portSecurity = 'port_security_enabled' in changes ? (changes.port_security_enabled as boolean) : bool(row.port_security_enabled);
    if ('port_security_enabled' in changes) set.port_security_enabled = dbBool(portSecurity);
    // bind again when where or how changed, and retry a failed binding on any update (as ML2 does)
    if ('binding:host_id' in changes || 'binding:vnic_type' in changes || row.binding_vif_type === 'binding_failed') {
      const binding = await this.deps.mechanisms.bind(trx, { ...row, ...set });
      set.binding_vif_type = binding.vif_type;
      set.binding_vif_details = JSON.stringify(binding.vif_details);
    }
    const pairs =
      'allowed_address_pairs' in changes
        ? (changes.allowed_address_pairs as Pair[])
        : (children.pairs.get(id) ?? []).map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address }));
    if ('allowed_address_pairs' in changes || 'port_security_enabled' in changes) this.checkPairs(pairs, mac, portSecurity);
    if (Object.keys(set).length) await trx.updateTable('ports').set(set).where('id', '=', id).execute();
    if (touched && (opts.revisions ?? 1) > 1) await bumpRevisionBy(trx, 'ports', id, (opts.revisions ?? 1) - 1);
    if ('allowed_address_pairs' in changes) await this.writePairs(trx, id, mac, pairs);
    if ('extra_dhcp_opts' in changes) await this.writeOpts(trx, id, (changes.extra_dhcp_opts as DhcpOpt[] | null) ?? [], true);
    if ('fixed_ips' in changes) {
      const current: Allocation[] = (children.ips.get(id) ?? []).map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address }));
      const owner = (changes.device_owner as string | undefined) ?? row.device_owner;
      const wanted = await this.deps.ipam.allocate(trx, row.network_id, id, mac, changes.fixed_ips as FixedIpRequest[], current, !isRouterInterface(owner));
      for (const old of current) {
        if (!wanted.some((w) => w.subnet_id === old.subnet_id && w.ip_address === old.ip_address))
          await trx.deleteFrom('ip_allocations').where('subnet_id', '=', old.subnet_id).where('ip_address', '=', old.ip_address).execute();
      }
    }
    const [after] = await portById(trx, id);
    await events.publish(trx, 'port', 'precommit_update', { ctx, request: changes, original: row, current: after });
    const view = (await this.viewsOf(trx, [after]))[0];
    if (original) await events.publish(trx, 'port', 'after_update', { ctx, request: changes, original, current: view });
    return view;
  }

  async delete(ctx: RequestContext, id: string, ifMatch?: number): Promise<void> {
    await this.deps.database.transaction(async (trx) => {
      const port = await this.visibleRow(trx, ctx, id);
      if (ifMatch !== undefined) await bumpRevision(trx, 'ports', id, ifMatch, false);
      await this.deleteRow(trx, ctx, port, false);
    });
  }

  /** A plug-in's port (core-plugin.ts), inside its transaction; nothing when it is gone. */
  async deleteInternal(trx: Executor, ctx: RequestContext, id: string): Promise<void> {
    const [port] = await portById(trx, id);
    if (port) await this.deleteRow(trx, ctx, port, true);
  }

  private async deleteRow(trx: Executor, ctx: RequestContext, port: PortRow, internal: boolean): Promise<void> {
    const { events } = this.deps;
    await events.publish(trx, 'port', 'precommit_delete', { ctx, original: port, internal });
    // rendered before the rows go: the subscribers after commit learn what it was (network, groups, host)
    await events.publish(trx, 'port', 'after_delete', async () => ({ ctx, original: (await this.viewsOf(trx, [port]))[0] }));
    await deletePortRows(trx, port.id);
  }

  /** One port rendered from its row and children already read (extensions included). */
  private async render1(trx: Executor, r: PortRow, children: Awaited<ReturnType<typeof portChildren>>): Promise<Resource> {
    const view = this.render(r, children.ips.get(r.id) ?? [], children.pairs.get(r.id) ?? [], children.opts.get(r.id) ?? [], children.tags.get(r.id) ?? []);
    await extendViews(this.deps.extensions.port, trx, [view]);
    return view;
  }

  private async viewsOf(trx: Executor, rows: PortRow[]): Promise<Resource[]> {
    const ids = rows.map((r) => r.id);
    const children = await portChildren(trx, ids);
    const views = rows.map((r) =>
      this.render(r, children.ips.get(r.id) ?? [], children.pairs.get(r.id) ?? [], children.opts.get(r.id) ?? [], children.tags.get(r.id) ?? []),
    );
    await extendViews(this.deps.extensions.port, trx, views);
    return views;
  }

  /** The wire form of a port from its rows. Pure. */
  private render(
    r: PortRow,
    allocations: Array<{ subnet_id: string; ip_address: string }>,
    pairs: Array<{ ip_address: string; mac_address: string }>,
    opts: Array<{ opt_name: string; opt_value: string; ip_version: number }>,
    tags: string[],
  ): Resource {
    const ips = allocations.map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address }));
    return {
      id: r.id,
      name: r.name,
      network_id: r.network_id,
      tenant_id: r.project_id,
      project_id: r.project_id,
      mac_address: r.mac_address,
      admin_state_up: bool(r.admin_state_up),
      status: r.status,
      device_id: r.device_id,
      device_owner: r.device_owner,
      fixed_ips: ips,
      port_security_enabled: bool(r.port_security_enabled),
      'binding:vnic_type': r.binding_vnic_type,
      'binding:profile': JSON.parse(r.binding_profile || '{}'),
      'binding:host_id': r.binding_host_id,
      'binding:vif_type': r.binding_vif_type,
      'binding:vif_details': JSON.parse(r.binding_vif_details || '{}'),
      allowed_address_pairs: pairs.map((p) => ({ ip_address: p.ip_address, mac_address: p.mac_address })),
      extra_dhcp_opts: opts.map((o) => ({ opt_name: o.opt_name, opt_value: o.opt_value, ip_version: Number(o.ip_version) })),
      dns_name: r.dns_name,
      dns_assignment: ips.map((ip) => {
        const hostname = r.dns_name || `host-${ip.ip_address.replace(/[.:]/g, '-')}`;
        return { ip_address: ip.ip_address, hostname, fqdn: `${hostname}.${this.dnsDomain}.` };
      }),
      description: r.description,
      tags,
      created_at: r.created_at,
      updated_at: r.updated_at,
      revision_number: Number(r.revision_number),
    };
  }
}
