/**
 * IP allocation inside the caller's transaction. Requested addresses are checked and taken;
 * otherwise a free address is chosen at random (probing for large pools, a scan for small or
 * crowded ones). The primary key (subnet_id, ip_address) is the only guard against two servers
 * choosing the same address: the loser's transaction fails with a duplicate key and is retried
 * whole by Database.transaction, and then sees the address taken.
 */
import {
  InvalidInput,
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  SubnetNotFound,
} from '../core/errors.js';
import { cidrContains, eui64Address, formatIp, parseCidr, parseIp, type Cidr } from '../core/ip.js';
import type { Executor, SubnetRow } from '../db/schema.js';
import { freeInPools, poolSize, randomInPools, usableRange, type Range } from './allocator.js';

export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
  /** The subnet's IPv6 subnet-router anycast address (the network address): a router's gateway port only, never asked through the API. */
  anycast?: boolean;
}

export interface Allocation {
  subnet_id: string;
  ip_address: string;
}

interface SubnetInfo {
  row: SubnetRow;
  cidr: Cidr;
  pools: Range[];
  gateway: bigint | null;
}

/** SLAAC and stateless DHCPv6 subnets give every port its EUI-64 address. */
export const isAutoAddressSubnet = (s: Pick<SubnetRow, 'ip_version' | 'ipv6_address_mode'>): boolean =>
  Number(s.ip_version) === 6 && (s.ipv6_address_mode === 'slaac' || s.ipv6_address_mode === 'dhcpv6-stateless');

const PROBES = 12;
const SCAN_LIMIT = 64;

export class DbIpam {
  /** Loads the network's subnets with their pools. */
  async subnetsOf(trx: Executor, networkId: string): Promise<SubnetInfo[]> {
    const rows = await trx.selectFrom('subnets').selectAll().where('network_id', '=', networkId).orderBy('created_at').orderBy('id').execute();
    if (!rows.length) return [];
    const pools = await trx.selectFrom('allocation_pools').selectAll().where('subnet_id', 'in', rows.map((r) => r.id)).execute();
    return rows.map((row) => {
      const cidr = parseCidr(row.cidr) as Cidr;
      return {
        row,
        cidr,
        gateway: row.gateway_ip ? (parseIp(row.gateway_ip)?.value ?? null) : null,
        pools: pools
          .filter((p) => p.subnet_id === row.id)
          .map((p) => ({ first: parseIp(p.first_ip)!.value, last: parseIp(p.last_ip)!.value }))
          .sort((a, b) => (a.first < b.first ? -1 : 1)),
      };
    });
  }

  /**
   * Allocates the addresses of a new port (or the new set of an updated port, `keep` being the
   * allocations it already holds and keeps). Returns every allocation the port ends up with.
   * `autoAddress`: the port also gets its EUI-64 address on every SLAAC/DHCPv6-stateless subnet it
   * did not name (every port but router interfaces, as in Neutron).
   */
  async allocate(
    trx: Executor,
    networkId: string,
    portId: string,
    mac: string,
    requests: FixedIpRequest[] | undefined,
    keep: Allocation[] = [],
    autoAddress = true,
  ): Promise<Allocation[]> {
    const subnets = await this.subnetsOf(trx, networkId);
    const out: Allocation[] = [];
    if (requests === undefined) {
      // one address from the first IPv4 and IPv6 (stateful) subnet that has one; every auto-address subnet
      for (const version of [4, 6]) {
        const candidates = subnets.filter((s) => s.cidr.version === version && !isAutoAddressSubnet(s.row));
        if (!candidates.length) continue;
        let got: Allocation | undefined;
        for (const s of candidates) if ((got = await this.takeAny(trx, s))) break;
        if (!got) throw new IpAddressGenerationFailure({ net_id: networkId });
        out.push(got);
      }
      for (const s of subnets.filter((x) => isAutoAddressSubnet(x.row))) out.push(await this.takeSpecific(trx, s, eui64Address(s.cidr, mac)));
    } else {
      // As Neutron: requests naming an address the port holds keep it; then a request naming only
      // a subnet reuses an address the port holds there; everything else is newly allocated.
      const unmatched = [...keep];
      const reuse = (pred: (k: Allocation) => boolean) => {
        const i = unmatched.findIndex(pred);
        return i < 0 ? undefined : unmatched.splice(i, 1)[0];
      };
      const kept = requests.map((req) =>
        req.ip_address === undefined ? undefined : reuse((k) => k.ip_address === canonical(req.ip_address!) && (req.subnet_id === undefined || req.subnet_id === k.subnet_id)),
      );
      requests.forEach((req, i) => {
        if (req.ip_address === undefined && req.subnet_id !== undefined) kept[i] = reuse((k) => k.subnet_id === req.subnet_id);
      });
      for (const [i, req] of requests.entries()) out.push(kept[i] ?? (await this.takeRequested(trx, networkId, subnets, req, mac)));
      if (autoAddress)
        for (const s of subnets.filter((x) => isAutoAddressSubnet(x.row) && !out.some((a) => a.subnet_id === x.row.id))) {
          const ip = formatIp(6, eui64Address(s.cidr, mac));
          out.push(keep.find((k) => k.subnet_id === s.row.id && k.ip_address === ip) ?? (await this.takeSpecific(trx, s, eui64Address(s.cidr, mac))));
        }
    }
    const seen = new Set<string>();
    for (const a of out) {
      const key = `${a.subnet_id}/${a.ip_address}`;
      if (seen.has(key)) throw new IpAddressAlreadyAllocated({ ip: a.ip_address, subnet_id: a.subnet_id });
      seen.add(key);
    }
    const fresh = out.filter((a) => !keep.some((k) => k.subnet_id === a.subnet_id && k.ip_address === a.ip_address));
    if (fresh.length)
      await trx
        .insertInto('ip_allocations')
        .values(fresh.map((a) => ({ port_id: portId, ip_address: a.ip_address, subnet_id: a.subnet_id, network_id: networkId })))
        .execute();
    return out;
  }

  private async takeRequested(trx: Executor, networkId: string, subnets: SubnetInfo[], req: FixedIpRequest, mac: string): Promise<Allocation> {
    let subnet: SubnetInfo | undefined;
    if (req.subnet_id !== undefined) {
      subnet = subnets.find((s) => s.row.id === req.subnet_id);
      if (!subnet) {
        const exists = await trx.selectFrom('subnets').select('id').where('id', '=', req.subnet_id).executeTakeFirst();
        if (!exists) throw new SubnetNotFound({ subnet_id: req.subnet_id });
        throw new InvalidInput({
          error_message: `Failed to create port on network ${networkId}, because fixed_ips included invalid subnet ${req.subnet_id}`,
        });
      }
    }
    // the subnet-router anycast address (an IPv6 gateway at the network address): routers only, never from the pools
    if (req.anycast && subnet) return this.takeSpecific(trx, subnet, subnet.cidr.network);
    if (req.ip_address !== undefined) {
      const ip = parseIp(req.ip_address)!;
      const inUsable = (s: SubnetInfo) => {
        const r = usableRange(s.cidr);
        return cidrContains(s.cidr, ip.version, ip.value) && ip.value >= r.first && ip.value <= r.last;
      };
      if (subnet) {
        if (!inUsable(subnet)) throw new InvalidIpForSubnet({ ip_address: req.ip_address });
      } else {
        subnet = subnets.find(inUsable);
        if (!subnet) throw new InvalidIpForNetwork({ ip_address: req.ip_address });
      }
      return this.takeSpecific(trx, subnet, ip.value);
    }
    const s = subnet as SubnetInfo;
    if (isAutoAddressSubnet(s.row)) return this.takeSpecific(trx, s, eui64Address(s.cidr, mac));
    const got = await this.takeAny(trx, s);
    if (!got) throw new IpAddressGenerationFailure({ net_id: networkId });
    return got;
  }

  private async takeSpecific(trx: Executor, s: SubnetInfo, value: bigint): Promise<Allocation> {
    const ip = formatIp(s.cidr.version, value);
    if (await this.isTaken(trx, s.row.id, ip)) throw new IpAddressAlreadyAllocated({ ip, subnet_id: s.row.id });
    return { subnet_id: s.row.id, ip_address: ip };
  }

  /** A free pool address of the subnet, never the gateway; undefined when the pools are full. */
  private async takeAny(trx: Executor, s: SubnetInfo): Promise<Allocation | undefined> {
    const exclude = new Set<bigint>(s.gateway === null ? [] : [s.gateway]);
    const size = poolSize(s.pools);
    if (size === 0n) return undefined;
    if (size > 4096n) {
      for (let i = 0; i < PROBES; i++) {
        const v = randomInPools(s.pools)!;
        if (exclude.has(v)) continue;
        const ip = formatIp(s.cidr.version, v);
        if (!(await this.isTaken(trx, s.row.id, ip))) return { subnet_id: s.row.id, ip_address: ip };
      }
    }
    const rows = await trx.selectFrom('ip_allocations').select('ip_address').where('subnet_id', '=', s.row.id).execute();
    const taken = new Set(rows.map((r) => parseIp(r.ip_address)!.value));
    const free = freeInPools(s.pools, taken, exclude, SCAN_LIMIT);
    if (!free.length) return undefined;
    return { subnet_id: s.row.id, ip_address: formatIp(s.cidr.version, free[Math.floor(Math.random() * free.length)]) };
  }

  private async isTaken(trx: Executor, subnetId: string, ip: string): Promise<boolean> {
    const row = await trx.selectFrom('ip_allocations').select('port_id').where('subnet_id', '=', subnetId).where('ip_address', '=', ip).executeTakeFirst();
    return row !== undefined;
  }
}

const canonical = (ip: string) => {
  const p = parseIp(ip);
  return p ? formatIp(p.version, p.value) : ip;
};
