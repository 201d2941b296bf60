/** Parsing of the `min:max` and `physnet[:min:max]` range options that the type drivers take. */

export function parseRanges(entries: string[], what: string, lo: number, hi: number): Array<[number, number]> {
  return entries.map((e) => {
    const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(e);
    if (!m) throw new Error(`invalid ${what} range '${e}': expected min:max`);
    const [min, max] = [Number(m[1]), Number(m[2])];
    if (min > max || min < lo || max > hi) throw new Error(`invalid ${what} range '${e}': must be within ${lo}:${hi} with min <= max`);
    return [min, max];
  });
}

/** `physnet1:100:200,physnet2` → physnet1 → [[100,200]], physnet2 → [] (provider networks only). */
export function parsePhysnetRanges(entries: string[], what: string, lo: number, hi: number): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (const e of entries) {
    const [physnet, ...rest] = e.split(':').map((s) => s.trim());
    if (!physnet) throw new Error(`invalid ${what} entry '${e}'`);
    const ranges = out.get(physnet) ?? [];
    if (rest.length) ranges.push(...parseRanges([rest.join(':')], what, lo, hi));
    out.set(physnet, ranges);
  }
  return out;
}
