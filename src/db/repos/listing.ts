/**
 * Generic list queries: attribute filters (several values = OR), tag filters, sorting with the id
 * as the last key, and keyset pagination from a marker (forward or reversed). Every repository's
 * list goes through here, driven by a map from attribute name to column.
 */
import { sql, type SelectQueryBuilder, type Expression, type SqlBool, type ExpressionBuilder } from 'kysely';
import type { Executor, Schema } from '../schema.js';

export interface SortKey {
  key: string;
  dir: 'asc' | 'desc';
}

export interface TagFilters {
  tags?: string[];
  'tags-any'?: string[];
  'not-tags'?: string[];
  'not-tags-any'?: string[];
}

/** A list request, already validated against the resource's attribute definitions. */
export interface ListQuery {
  filters: Record<string, unknown[]>;
  tagFilters: TagFilters;
  sorts: SortKey[];
  limit?: number;
  marker?: string;
  /** The marker's row when the caller already holds it (internal paging): no lookup by id. */
  markerRow?: Record<string, unknown>;
  pageReverse: boolean;
}

export const emptyQuery = (): ListQuery => ({ filters: {}, tagFilters: {}, sorts: [], pageReverse: false });

type AnyQb = SelectQueryBuilder<Schema, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<Schema, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** How an attribute that is not a plain column filters: returns the condition for its values. */
export type SpecialFilter = (eb: AnyEb, values: unknown[]) => Expression<SqlBool>;

export interface ListSpec {
  table: keyof Schema;
  /** Tag resource type (`networks`) for tag filters, or undefined when the resource has no tags. */
  tagType?: string;
  /** attribute name → column of `table`, for filters and sort keys. */
  columns: Record<string, string>;
  special?: Record<string, SpecialFilter>;
  /** Extra condition every row must meet (visibility scope). */
  scope?: (eb: AnyEb) => Expression<SqlBool>;
  /** Column values are stored as 0/1 for these attributes. */
  booleans?: Set<string>;
  /** The error for a marker that names no row (Neutron answers the resource's NotFound). */
  markerNotFound: (id: string) => Error;
}

const dbValue = (spec: ListSpec, attr: string, v: unknown) => (spec.booleans?.has(attr) ? (v ? 1 : 0) : v);

/** Runs the list query; returns rows in the order the client asked for. */
export async function listRows<R>(trx: Executor, spec: ListSpec, q: ListQuery): Promise<R[]> {
  const t = spec.table as string;
  let qb = (trx as any).selectFrom(t).selectAll(t) as AnyQb; // eslint-disable-line @typescript-eslint/no-explicit-any
  qb = qb.where((eb) => {
    const conds: Expression<SqlBool>[] = [];
    if (spec.scope) conds.push(spec.scope(eb));
    for (const [attr, values] of Object.entries(q.filters)) {
      const special = spec.special?.[attr];
      if (special) conds.push(special(eb, values));
      else if (values.some((v) => v === null)) {
        const rest = values.filter((v) => v !== null).map((v) => dbValue(spec, attr, v));
        const col = eb.ref(`${t}.${spec.columns[attr]}`);
        conds.push(rest.length ? eb.or([eb(col, 'is', null), eb(col, 'in', rest as never[])]) : eb(col, 'is', null));
      } else conds.push(eb(eb.ref(`${t}.${spec.columns[attr]}`), 'in', values.map((v) => dbValue(spec, attr, v)) as never[]));
    }
    if (spec.tagType) conds.push(...tagConditions(eb, t, spec.tagType, q.tagFilters));
    return eb.and(conds);
  });
  const sorts = [...q.sorts.filter((s) => s.key !== 'id'), q.sorts.find((s) => s.key === 'id') ?? { key: 'id', dir: 'asc' as const }];
  const effective = sorts.map((s) => ({ col: `${t}.${spec.columns[s.key]}`, dir: q.pageReverse ? flip(s.dir) : s.dir }));
  if (q.marker !== undefined) {
    const markerRow =
      q.markerRow ??
      (await (trx as any) // eslint-disable-line @typescript-eslint/no-explicit-any
        .selectFrom(t)
        .select(effective.map((e) => sql.ref(e.col).as(e.col.split('.')[1])))
        .where(`${t}.id`, '=', q.marker)
        .executeTakeFirst());
    if (!markerRow) throw spec.markerNotFound(q.marker);
    qb = qb.where((eb) => afterMarker(eb, effective, markerRow));
  }
  for (const e of effective) qb = qb.orderBy(sql.ref(e.col), e.dir);
  if (q.limit !== undefined) qb = qb.limit(q.limit);
  const rows = (await qb.execute()) as R[];
  return q.pageReverse ? rows.reverse() : rows;
}

const flip = (d: 'asc' | 'desc') => (d === 'asc' ? 'desc' : 'asc');

/** (k1 > m1) OR (k1 = m1 AND k2 > m2) OR …, with > or < per direction. */
function afterMarker(eb: AnyEb, keys: Array<{ col: string; dir: 'asc' | 'desc' }>, marker: Record<string, unknown>): Expression<SqlBool> {
  const ors: Expression<SqlBool>[] = [];
  for (let i = 0; i < keys.length; i++) {
    const ands: Expression<SqlBool>[] = [];
    for (let j = 0; j < i; j++) ands.push(eb(eb.ref(keys[j].col), '=', marker[keys[j].col.split('.')[1]]));
    const k = keys[i];
    ands.push(eb(eb.ref(k.col), k.dir === 'asc' ? '>' : '<', marker[k.col.split('.')[1]]));
    ors.push(eb.and(ands));
  }
  return eb.or(ors);
}

function tagConditions(eb: AnyEb, table: string, type: string, f: TagFilters): Expression<SqlBool>[] {
  const has = (tag: string) =>
    eb.exists(
      eb
        .selectFrom('tags')
        .select('tags.tag')
        .where('tags.resource_type', '=', type)
        .where('tags.resource_id', '=', eb.ref(`${table}.id`) as any) // eslint-disable-line @typescript-eslint/no-explicit-any
        .where('tags.tag', '=', tag),
    );
  const conds: Expression<SqlBool>[] = [];
  if (f.tags?.length) conds.push(eb.and(f.tags.map(has)));
  if (f['tags-any']?.length) conds.push(eb.or(f['tags-any'].map(has)));
  if (f['not-tags']?.length) conds.push(eb.not(eb.and(f['not-tags'].map(has))));
  if (f['not-tags-any']?.length) conds.push(eb.not(eb.or(f['not-tags-any'].map(has))));
  return conds;
}

/** Splits a long IN list so that no database's parameter limit is hit. */
export function chunks<T>(items: T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
