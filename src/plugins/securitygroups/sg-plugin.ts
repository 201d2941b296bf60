/**
 * The security group service plug-in: the two collections, and the ports' `security_groups`
 * (the project's default group unless told otherwise; none without port security; none by default
 * for `network:*` ports), joined to the core through the port events. Rule changes are published
 * (`security_group_rule` after_create/after_delete) for the agents' filters to follow.
 */
import { NOT_SPECIFIED } from '../../api/resources/attributes.js';
import { securityGroupExtensions, securityGroupResource, securityGroupRuleResource } from '../../api/resources/security-groups.js';
import type { RequestContext } from '../../core/context.js';
import { PortSecurityAndIPRequiredForSecurityGroups, PortSecurityPortHasSecurityGroup, SecurityGroupConflict } from '../../core/errors.js';
import { bool, type Executor, type PortRow } from '../../db/schema.js';
import type { ServiceDeps } from '../../app.js';
import type { ServicePlugin } from '../plugin-api.js';
import { SecurityGroupOps } from './group-ops.js';
import { SecurityGroupRuleOps } from './rule-ops.js';
import { groupsOfPorts, type SecurityGroupRow, type SecurityGroupRuleRow } from './sg-repo.js';

declare module '../events.js' {
  interface EventMap {
    security_group: Pick<Lifecycle<SecurityGroupRow>, 'before_create'>;
    security_group_rule: Pick<Lifecycle<SecurityGroupRuleRow>, 'before_create' | 'after_create' | 'after_delete'>;
  }
}

export function securityGroupPlugin({ database, events, core }: ServiceDeps): ServicePlugin {
  events.declare('security_group', ['before_create']);
  events.declare('security_group_rule', ['before_create', 'after_create', 'after_delete']);
  const groups = new SecurityGroupOps(database, events);
  const rules = new SecurityGroupRuleOps(database, events, groups);

  /**
   * Checks that every group exists and is usable by the caller, and that they are all stateful or
   * all stateless (Neutron refuses a mix: one port is filtered one way), then binds them to the port.
   */
  async function bind(trx: Executor, ctx: RequestContext, port: PortRow, ids: string[]): Promise<void> {
    const stateful = new Set<boolean>();
    for (const id of ids) stateful.add(bool((await groups.visibleRow(trx, ctx, id)).stateful));
    if (stateful.size > 1) throw new SecurityGroupConflict({ reason: 'Cannot apply both stateful and stateless security groups on the same port at the same time' });
    await trx.deleteFrom('port_security_groups').where('port_id', '=', port.id).execute();
    if (ids.length) await trx.insertInto('port_security_groups').values(ids.map((id) => ({ port_id: port.id, security_group_id: id }))).execute();
  }

  events.subscribe(
    'port',
    'precommit_create',
    async ({ ctx, request, current: port }, trx) => {
      const secure = bool(port.port_security_enabled);
      let ids = request.security_groups as string[] | typeof NOT_SPECIFIED | undefined;
      if (ids === NOT_SPECIFIED || ids === undefined) {
        ids = secure && !port.device_owner.startsWith('network:') ? [await groups.ensureDefault(trx, port.project_id)] : [];
      } else if (ids.length && !secure) throw new PortSecurityAndIPRequiredForSecurityGroups();
      await bind(trx, ctx, port, ids);
    },
    { name: 'security groups of a new port' },
  );

  events.subscribe(
    'port',
    'precommit_update',
    async ({ ctx, request, current: port }, trx) => {
      const secure = bool(port.port_security_enabled);
      if ('security_groups' in request) {
        const ids = request.security_groups as string[];
        if (ids.length && !secure) throw new PortSecurityAndIPRequiredForSecurityGroups();
        await bind(trx, ctx, port, ids);
      } else if (!secure) {
        const bound = await trx.selectFrom('port_security_groups').select('security_group_id').where('port_id', '=', port.id).executeTakeFirst();
        if (bound) throw new PortSecurityPortHasSecurityGroup();
      }
    },
    { name: 'security groups of an updated port' },
  );

  core.extensions.port.push(async (trx, ports) => {
    const byPort = await groupsOfPorts(trx, ports.map((p) => p.id as string));
    for (const p of ports) p.security_groups = byPort.get(p.id as string) ?? [];
  });

  core.extensions.portFilters.security_groups = (eb, values) =>
    eb.exists(
      eb
        .selectFrom('port_security_groups')
        .select('port_security_groups.port_id')
        .whereRef('port_security_groups.port_id', '=', 'ports.id')
        .where('port_security_groups.security_group_id', 'in', values as string[]),
    );

  return {
    resources: [securityGroupResource(), securityGroupRuleResource()],
    extensions: securityGroupExtensions(),
    collections: () => ({ security_groups: groups, security_group_rules: rules }),
  };
}
