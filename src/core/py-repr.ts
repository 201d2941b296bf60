/**
 * Python's `repr()`/`str()` of JSON values. Some Neutron messages embed request data formatted by
 * Python (`Invalid format for routes: [{'destination': '10.0.0.0/24', 'nexthop': '10.1.0.5'}]`), so
 * clients that match on those texts see the same here. Pure.
 */

/** `repr()`: strings quoted, dicts and lists in Python's literal form. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${quote(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** `str()`: like repr, except that a string is itself. */
export const pyStr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));

/** A set literal of strings, in the given order: `{'network_id'}`. */
export const pySet = (items: string[]): string => `{${items.map(quote).join(', ')}}`;

function quote(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s.replace(/\\/g, '\\\\')}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
