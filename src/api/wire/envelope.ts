/**
 * Request and response bodies: unwrapping `{"network": {...}}` and the bulk form
 * `{"networks": [...]}`, wrapping results, and field selection. Neutron's texts for every shape
 * that cannot be read.
 */
import { HTTPBadRequest } from '../../core/errors.js';
import type { AttributeDef, ResourceDef } from '../resources/attributes.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The items of a create (one, or several for bulk) or the changes of an update. */
export function unwrapBody(res: ResourceDef, body: unknown, action: 'post' | 'put'): { items: Record<string, unknown>[]; bulk: boolean } {
  if (body === undefined || body === null || body === '') throw new HTTPBadRequest({ msg: `Unable to find '${res.member}' in request body` });
  if (!isObject(body)) throw new HTTPBadRequest({ msg: 'Body contains invalid data' });
  if (action === 'post' && res.collection in body && !(res.member in body)) {
    const list = body[res.collection];
    if (!Array.isArray(list)) throw new HTTPBadRequest({ msg: `Object '${res.collection}' contains invalid data` });
    if (!list.length) throw new HTTPBadRequest({ msg: 'Resources required' });
    return {
      bulk: true,
      items: list.map((item) => {
        if (!isObject(item)) throw new HTTPBadRequest({ msg: `Object '${res.collection}' contains invalid data` });
        return item;
      }),
    };
  }
  if (!(res.member in body) || body[res.member] === null) throw new HTTPBadRequest({ msg: `Unable to find '${res.member}' in request body` });
  const item = body[res.member];
  if (!isObject(item)) throw new HTTPBadRequest({ msg: `Object '${res.member}' contains invalid data` });
  return { bulk: false, items: [item] };
}

/** Whether the caller may see an attribute (the policy's `get_<resource>:<attribute>` rules). */
export type CanSee = (name: string, def: AttributeDef) => boolean;

/**
 * Keeps the visible attributes (those `canSee` allows), and of those only `fields` when the client
 * asked for some.
 */
export function selectFields(res: ResourceDef, item: Record<string, unknown>, fields?: string[], canSee?: CanSee): Record<string, unknown> {
  const keep = (k: string) => {
    const def = res.attributes[k];
    return def !== undefined && def.isVisible && (!canSee || canSee(k, def)) && (!fields || fields.includes(k));
  };
  // the common case, every attribute shown: the item itself (it is serialized, never kept); a
  // copy per item was a measurable share of listing 10,000 ports
  let all = true;
  for (const k in item) {
    if (!keep(k)) {
      all = false;
      break;
    }
  }
  if (all) return item;
  const out: Record<string, unknown> = {};
  for (const k in item) if (keep(k)) out[k] = item[k];
  return out;
}
