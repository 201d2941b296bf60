/** Rows of security groups, rules, default groups and port bindings (tables of migration 0002). */
import type { Executor, StandardColumns } from '../../db/schema.js';
import { prepared } from '../../db/repos/prepared.js';
import { chunks } from '../../db/repos/listing.js';

export interface SecurityGroupRow extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  stateful: number | boolean;
}

export interface SecurityGroupRuleRow {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  /** The network of remote_ip_prefix (host bits cleared), stored so that it can be filtered on. */
  normalized_cidr: string | null;
  remote_group_id: string | null;
  description: string | null;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

declare module '../../db/schema.js' {
  interface Schema {
    security_groups: SecurityGroupRow;
    security_group_rules: SecurityGroupRuleRow;
    default_security_groups: { project_id: string; security_group_id: string };
    port_security_groups: { port_id: string; security_group_id: string };
  }
}

export async function rulesOf(trx: Executor, groupIds: string[]): Promise<Map<string, SecurityGroupRuleRow[]>> {
  const out = new Map<string, SecurityGroupRuleRow[]>(groupIds.map((id) => [id, []]));
  for (const part of chunks(groupIds)) {
    if (!part.length) continue;
    const rows = await trx.selectFrom('security_group_rules').selectAll().where('security_group_id', 'in', part).orderBy('created_at').orderBy('id').execute();
    for (const r of rows) out.get(r.security_group_id)?.push(r);
  }
  return out;
}

/** Security group ids of each port, in a stable order. */
const groupsOfOnePort = prepared((trx, id: string) => trx.selectFrom('port_security_groups').selectAll().where('port_id', '=', id).orderBy('security_group_id'));

export async function groupsOfPorts(trx: Executor, portIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(portIds.map((id) => [id, []]));
  for (const part of chunks(portIds)) {
    if (!part.length) continue;
    const rows =
      part.length === 1
        ? await groupsOfOnePort(trx, part[0])
        : await trx.selectFrom('port_security_groups').selectAll().where('port_id', 'in', part).orderBy('security_group_id').execute();
    for (const r of rows) out.get(r.port_id)?.push(r.security_group_id);
  }
  return out;
}
