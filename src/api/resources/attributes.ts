/**
 * Resources are data. A resource declares its attributes (the idea of neutron-lib's attribute maps)
 * and extensions add attributes to existing resources; one generic controller serves them all from
 * these definitions: which fields a create or update may carry, their defaults, converters and
 * validators, which are visible, filterable and sortable. Pure; no I/O.
 */
import { HTTPBadRequest } from '../../core/errors.js';
import type { Converter, Validator } from './validators.js';

/** Neutron's ATTR_NOT_SPECIFIED: the client said nothing and the plug-in decides. */
export const NOT_SPECIFIED: unique symbol = Symbol('NOT_SPECIFIED');

export interface AttributeDef {
  allowPost: boolean;
  allowPut: boolean;
  /** Absent on an attribute that allows POST: the attribute is required on create. */
  default?: unknown;
  convert?: Converter;
  validate?: Validator;
  isVisible: boolean;
  isFilter: boolean;
  isSortKey: boolean;
  /** How a query-string filter value is converted (defaults to `convert`). */
  convertFilter?: Converter;
  /** Only admins may set it (create or update); enforced by the policy layer. */
  adminOnly?: boolean;
  /** Only admins see it (`provider:*`, `binding:host_id`…); hidden from others in every response. */
  adminVisible?: boolean;
}

export type AttributeMap = Record<string, AttributeDef>;

/** Shorthand with Neutron's defaults: read-only, visible, neither filter nor sort key. */
export function attr(spec: Partial<AttributeDef>): AttributeDef {
  return { allowPost: false, allowPut: false, isVisible: true, isFilter: false, isSortKey: false, ...spec };
}

export interface ResourceDef {
  /** Singular body key, e.g. `network`. */
  member: string;
  /** Collection name, the body key of lists and bulk creates, e.g. `networks`, `security_groups`. */
  collection: string;
  /** URL segment when it differs from the collection key (`rbac-policies` for `rbac_policies`). */
  path?: string;
  attributes: AttributeMap;
  /** Has description, tags, revision_number and timestamps (standard attributes). */
  standardAttributes: boolean;
  /** False: a create takes one item, never the collection form (`Bulk operation not supported`). */
  allowBulk?: boolean;
}

export interface ExtensionDef {
  alias: string;
  name: string;
  description: string;
  updated: string;
  /** Attributes this extension adds, by collection. */
  attributes?: Record<string, AttributeMap>;
}

/** The loaded resources with every extension's attributes merged in. */
export class ResourceRegistry {
  readonly resources = new Map<string, ResourceDef>();
  readonly extensions: ExtensionDef[] = [];

  addResource(def: ResourceDef): void {
    this.resources.set(def.collection, { ...def, attributes: { ...def.attributes } });
  }

  /** Adds an extension; a second definition of the same alias only contributes its attributes. */
  addExtension(ext: ExtensionDef): void {
    if (!this.extensions.some((e) => e.alias === ext.alias)) this.extensions.push(ext);
    for (const [collection, attrs] of Object.entries(ext.attributes ?? {})) {
      const res = this.resources.get(collection);
      if (!res) throw new Error(`extension ${ext.alias} extends unknown resource ${collection}`);
      Object.assign(res.attributes, attrs);
    }
  }

  get(collection: string): ResourceDef | undefined {
    return this.resources.get(collection);
  }
}

/**
 * Checks and completes one item of a create (`post`) or update body: unknown and read-only
 * attributes are refused, defaults filled in on create, values converted and validated.
 * Throws HTTPBadRequest/InvalidInput with Neutron's texts.
 */
export function prepareItem(res: ResourceDef, item: Record<string, unknown>, action: 'post' | 'put'): Record<string, unknown> {
  const unknown = Object.keys(item).filter((k) => !(k in res.attributes));
  if (unknown.length) throw new HTTPBadRequest({ msg: `Unrecognized attribute(s) '${unknown.join(', ')}'` });
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) {
    const def = res.attributes[name];
    if (action === 'post' && !def.allowPost) throw new HTTPBadRequest({ msg: `Attribute '${name}' not allowed in POST` });
    if (action === 'put' && !def.allowPut) throw new HTTPBadRequest({ msg: `Cannot update read-only attribute ${name}` });
    out[name] = checkValue(name, def, value);
  }
  if (action === 'post') {
    for (const [name, def] of Object.entries(res.attributes)) {
      if (!def.allowPost || name in out) continue;
      if (!('default' in def)) {
        if (name === 'tenant_id' || name === 'project_id') continue; // filled from the request context
        throw new HTTPBadRequest({ msg: `Failed to parse request. Required attribute '${name}' not specified` });
      }
      out[name] = typeof def.default === 'object' && def.default !== null ? structuredClone(def.default) : def.default;
    }
  }
  return out;
}

export function checkValue(name: string, def: AttributeDef, value: unknown): unknown {
  if (value === NOT_SPECIFIED) return value;
  const converted = def.convert ? def.convert(value) : value;
  const why = def.validate?.(converted);
  if (why) throw new HTTPBadRequest({ msg: `Invalid input for ${name}. Reason: ${why}.` });
  return converted;
}
