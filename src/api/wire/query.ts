/**
 * Query strings of list and show requests, as Neutron reads them: filters on filterable
 * attributes (a repeated key means OR), `fields`, `sort_key`/`sort_dir` pairs, `limit`, `marker`,
 * `page_reverse`, and the tag filters. Unknown filters and sort keys are refused with Neutron's texts.
 */
import { BadRequest, HTTPBadRequest } from '../../core/errors.js';
import type { ListQuery, SortKey, TagFilters } from '../../db/repos/listing.js';
import type { ResourceDef } from '../resources/attributes.js';
import { toBoolean } from '../resources/validators.js';

const CONTROL = new Set(['fields', 'sort_key', 'sort_dir', 'limit', 'marker', 'page_reverse']);
const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'] as const;

export interface ParsedList extends ListQuery {
  fields?: string[];
}

/** Pairs of the raw query string, in order (for pagination links that keep the client's order). */
export function queryPairs(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))];
}

export function parseFields(pairs: Array<[string, string]>): string[] | undefined {
  const fields = pairs.filter(([k]) => k === 'fields').flatMap(([, v]) => v.split(',')).filter(Boolean);
  return fields.length ? fields : undefined;
}

export function parseListQuery(res: ResourceDef, pairs: Array<[string, string]>, maxLimit: number): ParsedList {
  const filters: Record<string, unknown[]> = {};
  const tagFilters: TagFilters = {};
  const invalid: string[] = [];
  for (const [key, value] of pairs) {
    if (CONTROL.has(key)) continue;
    if ((TAG_FILTERS as readonly string[]).includes(key)) {
      const list = (tagFilters[key as keyof TagFilters] ??= []);
      list.push(...value.split(',').filter(Boolean));
      continue;
    }
    const def = res.attributes[key];
    if (!def || !def.isFilter || key === 'tags') {
      if (!invalid.includes(key)) invalid.push(key);
      continue;
    }
    const convert = def.convertFilter ?? def.convert;
    const converted = convert ? convert(value) : value;
    // no column holds a number beyond 32 bits: refuse rather than let the database choke on it
    if (typeof converted === 'number' && !(Math.abs(converted) <= 2147483647))
      throw new HTTPBadRequest({ msg: `Invalid filter value for ${key}: ${value} is out of range` });
    (filters[key] ??= []).push(converted);
  }
  if (invalid.length) throw new HTTPBadRequest({ msg: `[${invalid.map((k) => `'${k}'`).join(', ')}] is invalid attribute for filtering` });

  const keys = pairs.filter(([k]) => k === 'sort_key').map(([, v]) => v);
  const dirs = pairs.filter(([k]) => k === 'sort_dir').map(([, v]) => v);
  if (keys.length !== dirs.length) throw new HTTPBadRequest({ msg: 'The number of sort_keys and sort_dirs must be same' });
  const badKeys = keys.filter((k) => !res.attributes[k]?.isSortKey);
  if (badKeys.length) throw new HTTPBadRequest({ msg: `[${badKeys.map((k) => `'${k}'`).join(', ')}] is invalid attribute for sort_keys` });
  const badDirs = dirs.filter((d) => d !== 'asc' && d !== 'desc');
  if (badDirs.length)
    throw new HTTPBadRequest({ msg: `[${badDirs.map((d) => `'${d}'`).join(', ')}] is invalid value for sort_dirs, valid value is 'asc' and 'desc'` });
  const sorts: SortKey[] = keys.map((key, i) => ({ key: key === 'tenant_id' ? 'project_id' : key, dir: dirs[i] as 'asc' | 'desc' }));

  const get = (k: string) => pairs.filter(([key]) => key === k).map(([, v]) => v).pop();
  let limit: number | undefined;
  const rawLimit = get('limit');
  if (rawLimit !== undefined) {
    if (!/^\d+$/.test(rawLimit)) throw new BadRequest({ resource: 'limit', msg: `Limit must be an integer 0 or greater and not '${rawLimit}'` });
    limit = Number(rawLimit) || undefined;
  }
  if (maxLimit > 0 && (limit === undefined || limit > maxLimit)) limit = maxLimit;
  const rawReverse = get('page_reverse');
  const pageReverse = rawReverse === undefined ? false : (toBoolean(rawReverse) as boolean);
  return { filters, tagFilters, sorts, limit, marker: get('marker'), pageReverse, fields: parseFields(pairs) };
}
