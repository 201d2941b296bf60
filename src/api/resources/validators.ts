/**
 * Attribute validators and converters in the manner of neutron-lib's `validators` and `converters`:
 * a validator returns the reason a value is refused (undefined when it is fine), a converter returns
 * the converted value or throws `InvalidInput`. The reasons are Neutron's texts, since clients show
 * them to people. Pure; no I/O.
 */
import { InvalidInput } from '../../core/errors.js';
import { isIp, parseCidr, formatCidr, formatIp, parseMac } from '../../core/ip.js';
import { pyStr } from '../../core/py-repr.js';

export type Validator = (value: unknown) => string | undefined;
export type Converter = (value: unknown) => unknown;

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? String(v));
const isDict = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---- converters ----
export const toBoolean: Converter = (v) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['true', '1', 'yes', 'on', 't', 'y'].includes(s)) return true;
    if (['false', '0', 'no', 'off', 'f', 'n'].includes(s)) return false;
  }
  if (v === 0 || v === 1) return v === 1;
  throw new InvalidInput({ error_message: `'${show(v)}' cannot be converted to boolean` });
};

export const toInt: Converter = (v) => {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new InvalidInput({ error_message: `'${show(v)}' is not an integer` });
};

/** neutron-lib's convert_to_int: Python's int() of the value (1.7 → 1, True → 1, ' 5 ' → 5; None refused). */
export const toPythonInt: Converter = (v) => {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number(v.trim());
  throw new InvalidInput({ error_message: `'${pyStr(v)}' is not an integer` });
};

export const toIntOrNull: Converter = (v) => (v === null ? null : toInt(v));

/** `None` → []; a scalar → [scalar]; a list stays. */
export const toList: Converter = (v) => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);
export const noneToEmptyList: Converter = (v) => (v === null ? [] : v);

// ---- validators ----
export const isString =
  (maxLen?: number): Validator =>
  (v) => {
    // a NUL character cannot be stored (PostgreSQL refuses it in text), so it is no valid string
    if (typeof v !== 'string' || v.includes('\u0000')) return `'${show(v)}' is not a valid string`;
    if (maxLen !== undefined && v.length > maxLen) return `'${v}' exceeds maximum length of ${maxLen}`;
    return undefined;
  };

/** neutron-lib's validate_not_empty_string: a string with something besides white space. */
export const isNotEmptyString =
  (maxLen?: number): Validator =>
  (v) =>
    isString(maxLen)(v) ?? ((v as string).trim() ? undefined : `'${v}' Blank strings are not permitted`);

export const isStringOrNull =
  (maxLen?: number): Validator =>
  (v) =>
    v === null ? undefined : isString(maxLen)(v);

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
export const isUuidText = (v: unknown): v is string => typeof v === 'string' && UUID_RE.test(v);
export const isUuid: Validator = (v) => (isUuidText(v) ? undefined : `'${show(v)}' is not a valid UUID`);
export const isUuidOrNull: Validator = (v) => (v === null ? undefined : isUuid(v));

export const isBoolean: Validator = (v) => (typeof v === 'boolean' ? undefined : `'${show(v)}' is not a valid boolean value`);

export const isOneOf =
  (values: readonly unknown[]): Validator =>
  (v) =>
    values.includes(v) ? undefined : `${show(v)} is not in valid_values`;

export const isOneOfOrNull =
  (values: readonly unknown[]): Validator =>
  (v) =>
    v === null ? undefined : isOneOf(values)(v);

export const isRange =
  (min: number, max: number): Validator =>
  (v) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) return `'${show(v)}' is not an integer`;
    if (v < min) return `'${v}' is too small - must be at least '${min}'`;
    if (v > max) return `'${v}' is too large - must be no larger than '${max}'`;
    return undefined;
  };

export const isNonNegative: Validator = (v) => {
  if (typeof v !== 'number' || !Number.isInteger(v)) return `'${show(v)}' is not an integer`;
  return v < 0 ? `'${v}' should be non-negative` : undefined;
};

export const isIpAddress: Validator = (v) => (isIp(v) ? undefined : `'${show(v)}' is not a valid IP address`);
export const isIpAddressOrNull: Validator = (v) => (v === null ? undefined : isIpAddress(v));

export const isMacAddress: Validator = (v) => (parseMac(v) ? undefined : `'${show(v)}' is not a valid MAC address`);

/** A network in CIDR notation without host bits, like netaddr's strict check in neutron-lib. */
export const isSubnetCidr: Validator = (v) => {
  const c = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!c || !(v as string).includes('/')) return `'${show(v)}' is not a valid IP subnet`;
  if (c.host !== c.network) return `'${show(v)}' isn't a recognized IP subnet cidr, '${formatCidr(c)}' is recommended`;
  return undefined;
};
/**
 * neutron-lib's validate_subnet: an address and a prefix length; host bits are allowed, but an
 * IPv4 text must be the canonical one (`10.0.0.0/08` is not).
 */
export const isSubnet: Validator = (v) => {
  const c = typeof v === 'string' ? parseCidr(v) : undefined;
  if (!c) return `'${pyStr(v)}' is not a valid IP subnet`;
  const text = v as string;
  if (!text.includes('/') || (c.version === 4 && `${formatIp(4, c.host)}/${c.prefix}` !== text))
    return `'${text}' isn't a recognized IP subnet cidr, '${formatCidr(c)}' is recommended`;
  return undefined;
};

/** neutron-lib's validate_subnet_list: duplicates first, then each item. */
export const isSubnetList: Validator = (v) => {
  if (!Array.isArray(v)) return `'${pyStr(v)}' is not a list`;
  const dups = v.filter((x, i) => v.findIndex((y) => JSON.stringify(y) === JSON.stringify(x)) !== i);
  if (dups.length) return `Duplicate items in the list: '${[...new Set(dups.map(pyStr))].join(', ')}'`;
  for (const item of v) {
    const why = isSubnet(item);
    if (why) return why;
  }
  return undefined;
};

export const isSubnetCidrOrNull: Validator = (v) => (v === null ? undefined : isSubnetCidr(v));

/** An IP address or CIDR (host bits allowed), as allowed address pairs take. */
export const isIpOrCidr: Validator = (v) =>
  typeof v === 'string' && (isIp(v) || (v.includes('/') && parseCidr(v))) ? undefined : `'${show(v)}' is not a valid IP address`;

export const isDictList =
  (keys: Record<string, { required: boolean; validate?: Validator }>, what: string): Validator =>
  (v) => {
    if (!Array.isArray(v)) return `Invalid data format for ${what}: '${show(v)}'`;
    for (const item of v) {
      if (!isDict(item)) return `Invalid data format for ${what}: '${show(item)}'`;
      for (const k of Object.keys(item)) {
        if (!(k in keys)) return `Unrecognized attribute(s) '${k}' in ${what}`;
      }
      for (const [k, spec] of Object.entries(keys)) {
        if (!(k in item)) {
          if (spec.required) return `Invalid data format for ${what}: '${show(item)}'`;
          continue;
        }
        const why = spec.validate?.(item[k]);
        if (why) return why;
      }
    }
    return undefined;
  };

export const isListOf =
  (each: Validator, what: string, opts: { unique?: boolean } = {}): Validator =>
  (v) => {
    if (!Array.isArray(v)) return `'${show(v)}' is not a list`;
    for (const item of v) {
      const why = each(item);
      if (why) return why;
    }
    if (opts.unique && new Set(v.map(show)).size !== v.length) return `Duplicate ${what} in list`;
    return undefined;
  };

export const isDictOrNull: Validator = (v) => (v === null || isDict(v) ? undefined : `'${show(v)}' is not a dictionary`);

/** A DNS host label or FQDN as Neutron's dns-integration accepts for `dns_name` (empty allowed). */
export const isDnsName: Validator = (v) => {
  if (typeof v !== 'string') return `'${show(v)}' is not a valid string`;
  if (v === '') return undefined;
  if (v.length > 255) return `'${v}' exceeds the 255 character FQDN limit`;
  const name = v.endsWith('.') ? v.slice(0, -1) : v;
  for (const label of name.split('.')) {
    if (label.length < 1 || label.length > 63) return `'${v}' not a valid PQDN or FQDN. Reason: Encountered an empty component.`;
    if (!/^[a-z0-9-]+$/i.test(label) || label.startsWith('-') || label.endsWith('-'))
      return `'${v}' not a valid PQDN or FQDN. Reason: Name '${v}' must be 1-63 characters long, each of which can only be alphanumeric or a hyphen.`;
  }
  return undefined;
};

export { isDict };
