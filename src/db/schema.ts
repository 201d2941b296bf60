/**
 * Row types of every table, as Kysely sees them. Column names are Neutron's wire names where a
 * column holds a resource field. Booleans are written as 0/1 (the one form all three databases
 * accept) and read back through `bool()`; timestamps are Neutron's wire text (`2026-01-01T00:00:00Z`).
 */
import type { Kysely, Transaction } from 'kysely';

type Bool = number | boolean;

export interface StandardColumns {
  description: string;
  revision_number: number;
  created_at: string;
  updated_at: string;
}

export interface NetworkRow extends StandardColumns {
  id: string;
  project_id: string;
  name: string;
  status: string;
  admin_state_up: Bool;
  shared: Bool;
  mtu: number;
  router_external: Bool;
  port_security_enabled: Bool;
  availability_zone_hints: string;
  dns_domain: string;
}

export interface SegmentRow {
  id: string;
  network_id: string;
  network_type: string;
  physical_network: string | null;
  segmentation_id: number | null;
  segment_index: number;
}

/** One row per allocated segment: the primary key is what keeps two servers from sharing one. */
export interface SegmentAllocationRow {
  network_type: string;
  /** '' where the type has no physical network (vxlan). */
  physical_network: string;
  segmentation_id: number;
  network_id: string;
}

export interface SubnetRow extends StandardColumns {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  ip_version: number;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: Bool;
  ipv6_ra_mode: string | null;
  ipv6_address_mode: string | null;
  /** The subnet pool the CIDR was allocated from (migration 0007). */
  subnetpool_id: string | null;
}

export interface AllocationPoolRow {
  id: string;
  subnet_id: string;
  first_ip: string;
  last_ip: string;
}

export interface DnsNameserverRow {
  subnet_id: string;
  address: string;
  order: number;
}

export interface SubnetRouteRow {
  subnet_id: string;
  destination: string;
  nexthop: string;
}

export interface PortRow extends StandardColumns {
  id: string;
  project_id: string;
  network_id: string;
  name: string;
  mac_address: string;
  admin_state_up: Bool;
  status: string;
  device_id: string;
  device_owner: string;
  port_security_enabled: Bool;
  dns_name: string;
  binding_host_id: string;
  binding_vnic_type: string;
  binding_profile: string;
  /** What binding gave (migration 0009): `unbound`, `bridge`, `binding_failed`; details as JSON text. */
  binding_vif_type: string;
  binding_vif_details: string;
}

/** The primary key (subnet_id, ip_address) is what keeps two servers from handing out one address. */
export interface IpAllocationRow {
  port_id: string;
  ip_address: string;
  subnet_id: string;
  network_id: string;
}

export interface AllowedAddressPairRow {
  port_id: string;
  mac_address: string;
  ip_address: string;
}

export interface ExtraDhcpOptRow {
  id: string;
  port_id: string;
  opt_name: string;
  opt_value: string;
  ip_version: number;
}

export interface TagRow {
  resource_type: string;
  resource_id: string;
  tag: string;
}

export interface Schema {
  networks: NetworkRow;
  network_segments: SegmentRow;
  segment_allocations: SegmentAllocationRow;
  subnets: SubnetRow;
  allocation_pools: AllocationPoolRow;
  dns_nameservers: DnsNameserverRow;
  subnet_routes: SubnetRouteRow;
  ports: PortRow;
  ip_allocations: IpAllocationRow;
  allowed_address_pairs: AllowedAddressPairRow;
  extra_dhcp_opts: ExtraDhcpOptRow;
  tags: TagRow;
}

/** What repositories take: the database or a transaction on it. */
export type Executor = Kysely<Schema> | Transaction<Schema>;

export const bool = (v: Bool | null | undefined): boolean => v === true || v === 1 || (v as unknown) === '1';
export const dbBool = (v: unknown): number => (v ? 1 : 0);
