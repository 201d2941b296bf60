/**
 * How the L3 plug-in guards the core resources, through their events (each inside the core's
 * transaction): router and floating IP ports cannot be deleted through the port API, deleting a
 * port clears its floating IPs, a router interface's IPv4 address cannot be changed
 * (`l3-port-ip-change-not-allowed`), a network with gateways cannot stop being external, and
 * deleting an external network takes its unassociated floating IPs with it, as in Neutron.
 */
import { BadRequest, ExternalNetworkInUse, ServicePortInUse } from '../../core/errors.js';
import { canonicalIp, isIp, parseIp } from '../../core/ip.js';
import { DEVICE_OWNER_FLOATINGIP, DEVICE_OWNER_ROUTER_GW, DEVICE_OWNER_ROUTER_INTF, L3_DEVICE_OWNERS } from '../../db/repos/l3-repo.js';
import { bool, type Executor, type PortRow } from '../../db/schema.js';
import { PRIORITY, type Events } from '../events.js';
import type { FloatingIpOps } from './floatingip-ops.js';
import { allocationsOf } from './l3-support.js';

/** Router ports whose IPv4 addresses only the L3 plug-in may change. */
const IP_UPDATE_NOT_ALLOWED = [DEVICE_OWNER_ROUTER_INTF, 'network:router_ha_interface', 'network:ha_router_replicated_interface', 'network:router_centralized_snat'];

export function registerL3Hooks(events: Events, fips: FloatingIpOps): void {
  events.subscribe(
    'port',
    'precommit_delete',
    async ({ ctx, original: port, internal }, trx) => {
      if (!internal) await preventL3PortDeletion(trx, port);
      await fips.disassociatePort(trx, ctx, port.id);
    },
    { priority: PRIORITY.CHECK, name: 'l3: router and floating IP ports' },
  );

  events.subscribe(
    'port',
    'before_update',
    async ({ request: changes, original: before }, trx) => {
      if (!('fixed_ips' in changes) || !IP_UPDATE_NOT_ALLOWED.includes(before.device_owner)) return;
      if (!(await routerExists(trx, before.device_id))) return;
      if (await ipv4Changed(trx, before.id, changes.fixed_ips as Array<{ subnet_id?: string; ip_address?: string }>))
        throw new BadRequest({ resource: 'ports', msg: `IP updates for port ${before.id} are not allowed` });
    },
    { priority: PRIORITY.CHECK, name: 'l3: router interface addresses' },
  );

  events.subscribe(
    'network',
    'precommit_update',
    async ({ request: changes, original: before }, trx) => {
      if (changes['router:external'] !== false || !bool(before.router_external)) return;
      const gw = await trx.selectFrom('ports').select('id').where('network_id', '=', before.id).where('device_owner', '=', DEVICE_OWNER_ROUTER_GW).executeTakeFirst();
      if (gw) throw new ExternalNetworkInUse({ net_id: before.id });
    },
    { priority: PRIORITY.CHECK, name: 'l3: external network in use' },
  );

  events.subscribe(
    'network',
    'precommit_delete',
    async ({ ctx, original: network }, trx: Executor) => {
      if (!bool(network.router_external)) return;
      const idle = await trx.selectFrom('floatingips').select(['id', 'floating_port_id']).where('floating_network_id', '=', network.id).where('fixed_port_id', 'is', null).execute();
      for (const f of idle) await fips.remove(trx, ctx, f);
    },
    { name: 'l3: idle floating IPs of an external network' },
  );
}

const routerExists = async (trx: Executor, id: string): Promise<boolean> =>
  (await trx.selectFrom('routers').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

/** Neutron's ServicePortInUse, unless the port has no address or its router/floating IP is gone. */
async function preventL3PortDeletion(trx: Executor, port: PortRow): Promise<void> {
  if (!L3_DEVICE_OWNERS.includes(port.device_owner)) return;
  const ip = await trx.selectFrom('ip_allocations').select('port_id').where('port_id', '=', port.id).executeTakeFirst();
  if (!ip) return;
  const owner =
    port.device_owner === DEVICE_OWNER_FLOATINGIP
      ? await trx.selectFrom('floatingips').select('id').where('id', '=', port.device_id).executeTakeFirst()
      : await trx.selectFrom('routers').select('id').where('id', '=', port.device_id).executeTakeFirst();
  if (!owner) return;
  throw new ServicePortInUse({ port_id: port.id, reason: `has device owner ${port.device_owner}` });
}

/**
 * Whether the requested fixed IPs add or drop an IPv4 address. A request naming only a subnet
 * counts as a new address (the core allocates a fresh one for it).
 */
async function ipv4Changed(trx: Executor, portId: string, wanted: Array<{ subnet_id?: string; ip_address?: string }>): Promise<boolean> {
  const current = await allocationsOf(trx, [portId]);
  const left = new Map(current.map((a) => [a.ip_address, a]));
  const added: Array<{ subnet_id?: string; ip_address?: string }> = [];
  const bySubnet: typeof wanted = [];
  for (const w of wanted) {
    const key = w.ip_address !== undefined && isIp(w.ip_address) ? canonicalIp(w.ip_address) : undefined;
    if (key !== undefined && left.has(key)) left.delete(key);
    else if (w.ip_address === undefined && w.subnet_id !== undefined) bySubnet.push(w);
    else added.push(w);
  }
  // a subnet named without an address keeps the address the port already has there (as IPAM does)
  for (const w of bySubnet) {
    const same = [...left.values()].find((a) => a.subnet_id === w.subnet_id);
    if (same) left.delete(same.ip_address);
    else added.push(w);
  }
  const v4 = async (ips: Array<{ subnet_id?: string; ip_address?: string }>) => {
    for (const ip of ips) {
      if (ip.ip_address !== undefined) {
        if (parseIp(ip.ip_address)?.version === 4) return true;
      } else if (ip.subnet_id !== undefined) {
        const s = await trx.selectFrom('subnets').select('ip_version').where('id', '=', ip.subnet_id).executeTakeFirst();
        if (s && Number(s.ip_version) === 4) return true;
      }
    }
    return false;
  };
  return (await v4(added)) || (await v4([...left.values()]));
}
