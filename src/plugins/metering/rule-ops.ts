/**
 * Metering label rules, as Neutron's metering plug-in checks them: prefixes must parse,
 * `remote_ip_prefix` excludes the source/destination pair, at least one
 * prefix is required, and a `remote_ip_prefix` may not overlap another rule's of the same label,
 * direction and `excluded`. Admins only; rules carry no project, so others see none. Neutron raises
 * neutron_lib's bare `Invalid` for the first three, which its fault map does not know (a 500); a
 * client's mistake is a 400 here: InvalidInput with Neutron's reason text.
 */
import type { Events } from '../events.js';
import { newId, type RequestContext } from '../../core/context.js';
import { InvalidInput, MeteringLabelNotFound, MeteringLabelRuleNotFound, MeteringLabelRuleOverlaps, MeteringNotImplemented } from '../../core/errors.js';
import { cidrsOverlap, formatIp, parseCidr } from '../../core/ip.js';
import { pyStr } from '../../core/py-repr.js';
import type { Database } from '../../db/database.js';
import type { ListQuery, ListSpec } from '../../db/repos/listing.js';
import { bool, type Executor } from '../../db/schema.js';
import { listPages, type Resource, type ResourcePages, type ResourcePlugin } from '../plugin-api.js';
import { adminOnly } from './label-ops.js';
import type { MeteringLabelRuleRow } from './metering-repo.js';

const PREFIXES = ['remote_ip_prefix', 'source_ip_prefix', 'destination_ip_prefix'] as const;
const COLUMNS: Record<string, string> = Object.fromEntries(['id', 'metering_label_id', 'direction', 'excluded', ...PREFIXES].map((c) => [c, c]));

export function renderRule(r: MeteringLabelRuleRow): Resource {
  return {
    id: r.id,
    metering_label_id: r.metering_label_id,
    direction: r.direction,
    remote_ip_prefix: r.remote_ip_prefix,
    source_ip_prefix: r.source_ip_prefix,
    destination_ip_prefix: r.destination_ip_prefix,
    excluded: bool(r.excluded),
  };
}

/** Python truthiness of a JSON value (`if rule.get(field)`). */
const given = (v: unknown): boolean => !(v === null || v === undefined || v === '' || v === false || v === 0 || (Array.isArray(v) && !v.length));

/** netaddr.IPNetwork's text: the address as written (host bits kept), with its prefix length. */
function storedPrefix(field: string, v: unknown): string | null {
  if (!given(v)) return null;
  const c = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!c) {
    const text = pyStr(v);
    throw new InvalidInput({ error_message: `${field}: ${text} is invalid ['${text}' does not appear to be an IPv4 or IPv6 interface]` });
  }
  return `${formatIp(c.version, c.host)}/${c.prefix}`;
}

export function checkRule(item: Resource): Record<(typeof PREFIXES)[number], string | null> {
  const [remote, source, destination] = PREFIXES.map((f) => storedPrefix(f, item[f]));
  if (remote && (source || destination))
    throw new InvalidInput({ error_message: "Cannot use 'remote-ip-prefix' in conjunction with 'source-ip-prefix' or 'destination-ip-prefix'" });
  if (!remote && !source && !destination)
    throw new InvalidInput({ error_message: "You must define at least one of the following parameters 'remote_ip_prefix', or 'source_ip_prefix' or 'destination_ip_prefix'" });
  return { remote_ip_prefix: remote, source_ip_prefix: source, destination_ip_prefix: destination };
}

export class MeteringLabelRuleOps implements ResourcePlugin {
  constructor(
    private readonly database: Database,
    private readonly events: Events,
  ) {}

  async create(ctx: RequestContext, items: Resource[]): Promise<Resource[]> {
    adminOnly(ctx, 'create_metering_label_rule');
    return this.database.transaction(async (trx) => {
      const out: Resource[] = [];
      for (const item of items) {
        const prefixes = checkRule(item);
        const labelId = item.metering_label_id as string;
        const excluded = item.excluded ? 1 : 0;
        if (prefixes.remote_ip_prefix) {
          const mine = parseCidr(prefixes.remote_ip_prefix)!;
          const others = await trx
            .selectFrom('metering_label_rules')
            .select('remote_ip_prefix')
            .where('metering_label_id', '=', labelId)
            .where('direction', '=', item.direction as string)
            .where('excluded', '=', excluded)
            .where('remote_ip_prefix', 'is not', null)
            .execute();
          for (const o of others) {
            const theirs = parseCidr(o.remote_ip_prefix!);
            if (theirs && theirs.version === mine.version && cidrsOverlap(theirs, mine))
              throw new MeteringLabelRuleOverlaps({ remote_ip_prefix: pyStr(item.remote_ip_prefix) });
          }
        }
        // the label is locked (a no-op update) for the rest of the unit so that a concurrent delete cannot orphan the rule
        await trx.updateTable('metering_labels').set((eb) => ({ id: eb.ref('id') })).where('id', '=', labelId).execute();
        const label = await trx.selectFrom('metering_labels').select('id').where('id', '=', labelId).executeTakeFirst();
        if (!label) throw new MeteringLabelNotFound({ label_id: labelId });
        const row: MeteringLabelRuleRow = { id: newId(), metering_label_id: labelId, direction: item.direction as string, excluded, ...prefixes };
        await trx.insertInto('metering_label_rules').values(row).execute();
        const current = renderRule(row);
        await this.events.publish(trx, 'metering_label_rule', 'after_create', { ctx, current });
        out.push(current);
      }
      return out;
    });
  }

  private async visibleRow(trx: Executor, ctx: RequestContext, id: string): Promise<MeteringLabelRuleRow> {
    const row = ctx.isAdmin ? await trx.selectFrom('metering_label_rules').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
    if (!row) throw new MeteringLabelRuleNotFound({ rule_id: id });
    return row;
  }

  async get(ctx: RequestContext, id: string): Promise<Resource> {
    return renderRule(await this.visibleRow(this.database.db, ctx, id));
  }

  async list(ctx: RequestContext, q: ListQuery): Promise<ResourcePages> {
    const spec: ListSpec = {
      table: 'metering_label_rules',
      columns: COLUMNS,
      booleans: new Set(['excluded']),
      markerNotFound: (id) => new MeteringLabelRuleNotFound({ rule_id: id }),
      scope: ctx.isAdmin ? undefined : (eb) => eb('metering_label_rules.id', 'is', null), // never true
    };
    return listPages<MeteringLabelRuleRow>(this.database.db, spec, q, async (part) => part.map(renderRule));
  }

  /** Neutron's metering plug-in has no rule update: 501 once the rule is found. */
  async update(ctx: RequestContext, id: string): Promise<Resource> {
    await this.visibleRow(this.database.db, ctx, id);
    throw new MeteringNotImplemented();
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.database.transaction(async (trx) => {
      const row = await this.visibleRow(trx, ctx, id);
      await this.events.publish(trx, 'metering_label_rule', 'after_delete', { ctx, original: renderRule(row) });
      await trx.deleteFrom('metering_label_rules').where('id', '=', id).execute();
    });
  }
}
