/**
 * RBAC on networks (`access_as_shared`, `access_as_external`), as Neutron's ML2 and external-net
 * code do it: a `*` shared policy is what `shared = true` means (the `networks.shared` column is
 * kept as its cache), an external policy makes the network external, a project loses access only
 * when none of its ports (or router gateways) depend on it. Also the ML2 hooks that keep policies
 * in step with network creates and updates, and `shared` as each caller sees it.
 */
import { sql } from 'kysely';
import { newId, type RequestContext } from '../../core/context.js';
import { ExternalNetworkInUse, InvalidInput, InvalidSharedSetting, RbacPolicyInUse } from '../../core/errors.js';
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import { bool, dbBool, type Executor, type NetworkRow } from '../../db/schema.js';
import { networkRow } from '../../db/repos/network-repo.js';
import { bumpRevision } from '../../db/repos/standard-attr-repo.js';
import {
  ACCESS_EXTERNAL,
  ACCESS_SHARED,
  findPolicy,
  insertPolicy,
  networkAccessible,
  networksSharedWith,
  policiesOf,
  WILDCARD,
  type RbacPolicyRow,
} from '../../db/repos/rbac-repo.js';
import type { Resource } from '../plugin-api.js';
import type { Events } from '../events.js';
import type { ReadExtensions } from '../extensions.js';
import { callbackFailure, type RbacObjectType } from './object-types.js';

const SHARED_CALLBACK = 'neutron.plugins.ml2.plugin.NeutronDbPluginV2.validate_network_rbac_policy_change';
const EXTERNAL_CREATE_CALLBACK = 'neutron.plugins.ml2.plugin.External_net_db_mixin._process_ext_policy_create';
const EXTERNAL_CHECK_CALLBACK = 'neutron.plugins.ml2.plugin.External_net_db_mixin._validate_ext_not_in_use_by_tenant';
const GATEWAY_OWNER = 'network:router_gateway';

export class NetworkRbac implements RbacObjectType {
  readonly name = 'network';
  readonly table = 'network_rbacs' as const;
  readonly actions = [ACCESS_SHARED, ACCESS_EXTERNAL] as const;

  /** @param routersExist whether the L3 tables are there (router gateways can depend on external policies). */
  constructor(private readonly routersExist: Promise<boolean>) {}

  async beforeCreate(trx: Executor, ctx: RequestContext, p: RbacPolicyRow): Promise<void> {
    const callback = p.action === ACCESS_SHARED ? SHARED_CALLBACK : EXTERNAL_CREATE_CALLBACK;
    const net = await networkRow(trx, p.object_id);
    if (!net || !(ctx.isAdmin || net.project_id === ctx.projectId || (await networkAccessible(trx, net.id, ctx.projectId))))
      throw new InvalidInput({ error_message: callbackFailure(callback, `Network ${p.object_id} could not be found.`) });
    if (!ctx.isAdmin && net.project_id !== ctx.projectId)
      throw new InvalidInput({ error_message: callbackFailure(callback, 'Only admins can manipulate policies on networks they do not own') });
    if (p.action === ACCESS_EXTERNAL && !bool(net.router_external)) {
      // an external policy turns the network into an external network
      await trx.updateTable('networks').set({ router_external: 1 }).where('id', '=', net.id).execute();
      await bumpRevision(trx, 'networks', net.id);
    }
  }

  async beforeUpdate(trx: Executor, ctx: RequestContext, p: RbacPolicyRow, target: string): Promise<void> {
    const net = (await networkRow(trx, p.object_id))!;
    if (p.action === ACCESS_SHARED) {
      if (!ctx.isAdmin && net.project_id !== ctx.projectId)
        throw new RbacPolicyInUse({ object_id: net.id, details: callbackFailure(SHARED_CALLBACK, 'Only admins can manipulate policies on networks they do not own') });
      if (p.target_tenant === net.project_id || p.target_tenant === target) return;
      await this.ensureNoPortsOf(trx, net, p.target_tenant);
    } else if (target !== p.target_tenant) await this.ensureNoGatewaysDepend(trx, net, p, target);
  }

  async beforeDelete(trx: Executor, _ctx: RequestContext, p: RbacPolicyRow): Promise<void> {
    const net = (await networkRow(trx, p.object_id))!;
    if (p.action === ACCESS_SHARED) {
      if (p.target_tenant !== net.project_id) await this.ensureNoPortsOf(trx, net, p.target_tenant);
    } else await this.ensureNoGatewaysDepend(trx, net, p);
  }

  async afterChange(trx: Executor, p: RbacPolicyRow, event: 'create' | 'update' | 'delete'): Promise<void> {
    await bumpRevision(trx, 'networks', p.object_id);
    if (p.action === ACCESS_SHARED) await syncSharedCache(trx, p.object_id);
    if (p.action === ACCESS_EXTERNAL && event === 'delete' && !(await policiesOf(trx, this.table, p.object_id, ACCESS_EXTERNAL)).length) {
      // the last external policy is gone: the network stops being external (unless gateways use it)
      const gateway = await trx.selectFrom('ports').select('id').where('network_id', '=', p.object_id).where('device_owner', '=', GATEWAY_OWNER).executeTakeFirst();
      if (gateway) throw new ExternalNetworkInUse({ net_id: p.object_id });
      await trx.updateTable('networks').set({ router_external: 0 }).where('id', '=', p.object_id).execute();
      await bumpRevision(trx, 'networks', p.object_id);
    }
  }

  /**
   * Neutron's ensure_no_tenant_ports_on_network: `tenant` (or, for `*`, every project without a
   * policy of its own) must have no ports on the network.
   */
  private async ensureNoPortsOf(trx: Executor, net: NetworkRow, tenant: string): Promise<void> {
    let q = trx.selectFrom('ports').select('id').where('network_id', '=', net.id);
    if (tenant === WILDCARD) {
      const others = (await policiesOf(trx, this.table, net.id, ACCESS_SHARED)).map((r) => r.target_tenant).filter((t) => t !== WILDCARD);
      q = q.where('project_id', 'not in', [...others, net.project_id]);
    } else {
      if (await findPolicy(trx, this.table, net.id, ACCESS_SHARED, WILDCARD)) return;
      q = q.where('project_id', '=', tenant);
    }
    if (await q.executeTakeFirst()) {
      const reason = `Unable to reconfigure sharing settings for network ${net.id}. Multiple tenants are using it.`;
      throw new RbacPolicyInUse({ object_id: net.id, details: callbackFailure(SHARED_CALLBACK, reason) });
    }
  }

  /** Neutron's _validate_ext_not_in_use_by_tenant: routers whose gateway needs the policy. */
  private async ensureNoGatewaysDepend(trx: Executor, net: NetworkRow, p: RbacPolicyRow, newTarget?: string): Promise<void> {
    if (!(await this.routersExist)) return;
    // the L3 plug-in's table, read by name: routers whose gateway port is on this network
    const gatewayOwners = async () =>
      (
        await sql<{ project_id: string }>`SELECT r.project_id FROM routers r JOIN ports p ON p.id = r.gw_port_id
          WHERE p.network_id = ${net.id} AND p.device_owner = ${GATEWAY_OWNER}`.execute(trx)
      ).rows.map((r) => r.project_id);
    let depends: boolean;
    if (p.target_tenant !== WILDCARD) {
      if (await findPolicy(trx, this.table, net.id, ACCESS_EXTERNAL, WILDCARD)) return;
      depends = (await gatewayOwners()).includes(p.target_tenant);
    } else {
      const entitled = (await policiesOf(trx, this.table, net.id, ACCESS_EXTERNAL)).map((r) => r.target_tenant).filter((t) => t !== WILDCARD);
      if (newTarget !== undefined) entitled.push(newTarget);
      depends = (await gatewayOwners()).some((owner) => !entitled.includes(owner));
    }
    if (depends) {
      const inner = new RbacPolicyInUse({ object_id: net.id, details: 'There are routers attached to this network that depend on this policy for access.' });
      throw new RbacPolicyInUse({ object_id: net.id, details: callbackFailure(EXTERNAL_CHECK_CALLBACK, inner.message) });
    }
  }

  /** Joins network creates and updates (`shared`, `router:external`) and network views to RBAC. */
  register(events: Events, extensions: ReadExtensions): void {
    events.subscribe(
      'network',
      'precommit_create',
      async ({ request: item, current: network }, trx) => {
        if (item.shared === true) await this.addWildcard(trx, network, ACCESS_SHARED);
        if (item['router:external'] === true) await this.addWildcard(trx, network, ACCESS_EXTERNAL);
      },
      { name: 'rbac: shared and external networks' },
    );
    events.subscribe('network', 'precommit_update', async ({ request: changes, original: before }, trx) => {
      if ('shared' in changes) {
        const entry = await findPolicy(trx, this.table, before.id, ACCESS_SHARED, WILDCARD);
        if (changes.shared && !entry) await this.addWildcard(trx, before, ACCESS_SHARED);
        if (!changes.shared && entry) {
          await this.ensureSharingNotNeeded(trx, before);
          await trx.deleteFrom(this.table).where('id', '=', entry.id).execute();
        }
      }
      const external = changes['router:external'];
      if (external !== undefined && external !== NOT_SPECIFIED && external !== bool(before.router_external)) {
        if (external) await this.addWildcard(trx, before, ACCESS_EXTERNAL);
        else await trx.deleteFrom(this.table).where('object_id', '=', before.id).where('action', '=', ACCESS_EXTERNAL).execute();
      }
    }, { name: 'rbac: shared and external changes' });
    extensions.network.push(async (trx, views, ctx) => this.extendShared(trx, views, ctx));
  }

  /** `shared` as the caller sees it: shared with everyone or with the caller's project. */
  private async extendShared(trx: Executor, views: Resource[], ctx?: RequestContext): Promise<void> {
    if (!ctx || !views.length) return;
    const shared = await networksSharedWith(trx, views.map((v) => v.id as string), ctx.projectId);
    for (const v of views) v.shared = shared.has(v.id as string);
  }

  private async addWildcard(trx: Executor, net: Pick<NetworkRow, 'id' | 'project_id'>, action: string): Promise<void> {
    if (await findPolicy(trx, this.table, net.id, action, WILDCARD)) return;
    await insertPolicy(trx, this.table, { id: newId(), project_id: net.project_id, object_id: net.id, action, target_tenant: WILDCARD });
  }

  /**
   * Neutron's _validate_shared_update: a network stops being shared for everyone only when every
   * project with ports (other than network:* ports) or subnets on it still has a policy of its own.
   */
  private async ensureSharingNotNeeded(trx: Executor, net: NetworkRow): Promise<void> {
    const ports = await trx.selectFrom('ports').select('project_id').where('network_id', '=', net.id).where('device_owner', 'not like', 'network:%').execute();
    const subnets = await trx.selectFrom('subnets').select('project_id').where('network_id', '=', net.id).execute();
    const tenants = new Set([...ports, ...subnets].map((r) => r.project_id));
    if (tenants.size === 0 || (tenants.size === 1 && tenants.has(net.project_id))) return;
    const allowed = new Set((await policiesOf(trx, this.table, net.id, ACCESS_SHARED)).map((r) => r.target_tenant).filter((t) => t !== WILDCARD));
    allowed.add(net.project_id);
    if ([...tenants].some((t) => !allowed.has(t))) throw new InvalidSharedSetting({ network: net.name });
  }
}

/** `networks.shared` caches whether a `*` access_as_shared policy exists (for code that reads the row). */
async function syncSharedCache(trx: Executor, networkId: string): Promise<void> {
  const wildcard = await findPolicy(trx, 'network_rbacs', networkId, ACCESS_SHARED, WILDCARD);
  await trx.updateTable('networks').set({ shared: dbBool(wildcard) }).where('id', '=', networkId).execute();
}
