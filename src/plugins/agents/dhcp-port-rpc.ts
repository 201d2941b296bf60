/**
 * The DHCP agents' ports, over RPC (Neutron's DhcpRpcCallback: `create_dhcp_port`,
 * `update_dhcp_port`, `release_dhcp_port` on `q-plugin`). A DHCP port is an ordinary port created
 * through the ML2 plug-in (IPAM, MAC, binding to the agent's host, notifications), owned by
 * `network:dhcp`, in the network's project, without port security and outside quotas (as Neutron's
 * RPC path). Creating is idempotent: the agent's existing port on the network (same `device_id`)
 * is reused, given an address on every subnet asked for and bound to the asking host. Everything
 * runs as an admin.
 */
import { makeContext } from '../../core/context.js';
import { InvalidInput, NeutronError } from '../../core/errors.js';
import { NOT_SPECIFIED, prepareItem } from '../../api/resources/attributes.js';
import { buildRegistry } from '../../api/resources/registry.js';
import type { Database } from '../../db/database.js';
import type { Ml2Plugin } from '../ml2/ml2-plugin.js';
import type { Resource } from '../plugin-api.js';

import type { RpcHandler } from './agent-rpc.js';

type Dict = Record<string, unknown>;

const ADMIN = makeContext({ projectId: '', roles: ['admin'], isAdmin: true, requestId: 'rpc-dhcp' });
const OWNER = 'network:dhcp';

function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || !v) throw new InvalidInput({ error_message: `'${what}' must be a non-empty string` });
  return v;
}

/** `{port: {port: {...}}}` → the inner port. */
function portSpec(args: Dict): Dict {
  const inner = (args.port as { port?: unknown } | undefined)?.port;
  if (!inner || typeof inner !== 'object' || Array.isArray(inner)) throw new InvalidInput({ error_message: "'port' must be {\"port\": {…}}" });
  return inner as Dict;
}

function subnetIds(spec: Dict): string[] {
  const ips = spec.fixed_ips ?? [];
  if (!Array.isArray(ips)) throw new InvalidInput({ error_message: "'fixed_ips' must be a list" });
  return ips.map((ip: { subnet_id?: unknown }) => text(ip?.subnet_id, 'fixed_ips.subnet_id'));
}

export function dhcpPortHandlers(deps: { database: Database; ml2: Ml2Plugin }): Record<string, RpcHandler> {
  const portDef = buildRegistry().get('ports');
  if (!portDef) throw new Error('the core ports resource is missing');
  const { ml2, database } = deps;
  const existing = (networkId: string, deviceId: string) =>
    database.db.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_id', '=', deviceId).where('device_owner', '=', OWNER).orderBy('id').execute();

  /** The port's fixed IPs kept where asked, plus one on each subnet asked that it lacks; host set. */
  async function reuse(id: string, host: string, subnets: string[]): Promise<Resource> {
    const port = await ml2.ports.get(ADMIN, id);
    const ips = port.fixed_ips as Array<{ subnet_id: string; ip_address: string }>;
    const changes: Dict = {};
    if (subnets.some((s) => !ips.some((ip) => ip.subnet_id === s))) changes.fixed_ips = [...ips, ...subnets.filter((s) => !ips.some((ip) => ip.subnet_id === s)).map((s) => ({ subnet_id: s }))];
    if (port['binding:host_id'] !== host) changes['binding:host_id'] = host;
    return Object.keys(changes).length ? ml2.ports.update(ADMIN, id, prepareItem(portDef!, changes, 'put')) : port;
  }

  return {
    create_dhcp_port: async (args) => {
      const host = text(args.host, 'host');
      const spec = portSpec(args);
      const networkId = text(spec.network_id, 'network_id');
      const deviceId = text(spec.device_id, 'device_id');
      const subnets = subnetIds(spec);
      const [found] = await existing(networkId, deviceId);
      if (found) return reuse(found.id, host, subnets);
      const net = await ml2.networks.get(ADMIN, networkId);
      return database.transaction(async (trx) => {
        const item = prepareItem(portDef, { network_id: networkId, device_id: deviceId, device_owner: OWNER, name: '', admin_state_up: true, port_security_enabled: false, 'binding:host_id': host }, 'post');
        item.project_id = net.project_id;
        item.fixed_ips = subnets.length ? subnets.map((subnet_id) => ({ subnet_id })) : NOT_SPECIFIED;
        return ml2.ports.createInTransaction(trx, ADMIN, item);
      });
    },
    update_dhcp_port: async (args) => {
      const host = text(args.host, 'host');
      const id = text(args.port_id, 'port_id');
      const changes: Dict = { ...portSpec(args), 'binding:host_id': host };
      for (const k of ['id', 'network_id', 'device_owner', 'project_id', 'tenant_id']) delete changes[k];
      return ml2.ports.update(ADMIN, id, prepareItem(portDef, changes, 'put'));
    },
    release_dhcp_port: async (args) => {
      const networkId = text(args.network_id, 'network_id');
      const deviceId = text(args.device_id, 'device_id');
      for (const p of await existing(networkId, deviceId)) {
        try {
          await ml2.ports.delete(ADMIN, p.id);
        } catch (err) {
          if (!(err instanceof NeutronError) || err.type !== 'PortNotFound') throw err; // deleted meanwhile
        }
      }
      return null;
    },
  };
}
