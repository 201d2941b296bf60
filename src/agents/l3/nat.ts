/**
 * A router's NAT, as one nftables table (`ip nucleon-l3`) in its namespace, rendered whole and
 * applied as one transaction that replaces the table (`nft -f -`: all of it or nothing). Existing
 * connections keep going across a replacement: their translation lives in conntrack, and only a
 * connection's first packet goes through the NAT chains.
 *
 * - Floating IPs: 1:1, DNAT of the floating address to the fixed one (packets from outside, and
 *   the router's own), SNAT of the fixed address to the floating one when leaving by the gateway.
 * - Gateway SNAT (`enable_snat`): what else leaves by the gateway takes the gateway's address,
 *   except connections that came in DNATed. Traffic between the router's own subnets leaves by a
 *   `qr-` device and is routed untouched.
 *
 * The table's last chain holds one rule whose comment is the table's signature (a digest of its
 * rules and their count), which observe.ts reads back to tell whether the table is ours and whole.
 */
import { createHash } from 'node:crypto';

export const NAT_TABLE = 'nucleon-l3';

export interface NatSpec {
  /** The gateway device (`qg-…`), or null: no gateway, no NAT. */
  gateway: string | null;
  /** The gateway's IPv4 address when the router SNATs (`enable_snat`), else null. */
  snatTo: string | null;
  /** Floating IP → fixed IP (IPv4). */
  floatingIps: Array<{ floating: string; fixed: string }>;
}

/** The rules per chain, in order. */
export function natRules(n: NatSpec): { prerouting: string[]; output: string[]; postrouting: string[] } {
  const out = { prerouting: [] as string[], output: [] as string[], postrouting: [] as string[] };
  if (!n.gateway) return out;
  const qg = `"${n.gateway}"`;
  const fips = [...n.floatingIps].sort((a, b) => (a.floating < b.floating ? -1 : 1));
  for (const f of fips) {
    out.prerouting.push(`ip daddr ${f.floating} dnat to ${f.fixed}`);
    out.output.push(`ip daddr ${f.floating} dnat to ${f.fixed}`);
    out.postrouting.push(`oifname ${qg} ip saddr ${f.fixed} snat to ${f.floating}`);
  }
  if (n.snatTo) out.postrouting.push(`oifname ${qg} ct status dnat accept`, `oifname ${qg} snat to ${n.snatTo}`);
  return out;
}

/** How many rules a table has, and a digest of them: the comment of the table's `signature` chain. */
export function natSignature(rules: string[]): string {
  return `nucleon-l3 ${rules.length} ${createHash('sha256').update(rules.join('\n')).digest('hex').slice(0, 16)}`;
}

const CHAINS = [
  { name: 'prerouting', hook: 'prerouting', prio: 'dstnat' },
  { name: 'output', hook: 'output', prio: '-100' },
  { name: 'postrouting', hook: 'postrouting', prio: 'srcnat' },
] as const;

/**
 * The desired table as one transaction (creating it empty first so that `delete` never fails),
 * and its signature; no rules at all: the table is only deleted, and the signature is ''.
 */
export function renderNat(n: NatSpec): { signature: string; script: string[] } {
  const rules = natRules(n);
  const all = CHAINS.flatMap((c) => rules[c.name].map((r) => `${c.name} ${r}`));
  const reset = [`add table ip ${NAT_TABLE}`, `delete table ip ${NAT_TABLE}`];
  if (!all.length) return { signature: '', script: reset };
  const sig = natSignature(all);
  return {
    signature: sig,
    script: [
      ...reset,
      `add table ip ${NAT_TABLE}`,
      ...CHAINS.flatMap((c) => [
        `add chain ip ${NAT_TABLE} ${c.name} { type nat hook ${c.hook} priority ${c.prio}; policy accept; }`,
        ...rules[c.name].map((r) => `add rule ip ${NAT_TABLE} ${c.name} ${r}`),
      ]),
      `add chain ip ${NAT_TABLE} signature`,
      `add rule ip ${NAT_TABLE} signature return comment "${sig}"`,
    ],
  };
}

/** The signature a script carries ('' for one that only deletes): what applying it leaves observable. */
export function scriptSignature(script: string[]): string {
  const m = /comment "(nucleon-l3 [^"]+)"/.exec(script.at(-1) ?? '');
  return m ? m[1] : '';
}

type NftObject = Record<string, Record<string, unknown> | undefined>;

/**
 * The signature of the table in `nft -j list table ip nucleon-l3` output: the comment of its
 * `signature` chain's rule when the other chains hold exactly as many rules as it says, else
 * `'damaged'` (a table that is not whole is replaced); '' when there is no table.
 */
export function parseNat(listing: { nftables?: NftObject[] } | undefined): string {
  const objects = listing?.nftables ?? [];
  if (!objects.some((o) => o.table?.name === NAT_TABLE)) return '';
  let count = 0;
  let sig = '';
  for (const o of objects) {
    const rule = o.rule as { table?: string; chain?: string; comment?: string } | undefined;
    if (!rule || rule.table !== NAT_TABLE) continue;
    if (rule.chain === 'signature') sig = rule.comment ?? '';
    else count++;
  }
  const m = /^nucleon-l3 (\d+) [0-9a-f]+$/.exec(sig);
  return m && Number(m[1]) === count ? sig : 'damaged';
}
