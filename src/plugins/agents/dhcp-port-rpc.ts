/**
 * The DHCP agents' ports, over RPC (Neutron's DhcpRpcCallback: `create_dhcp_port`,
 * `update_dhcp_port`, `release_dhcp_port` on `q-plugin`). A DHCP port is an ordinary port created
 * through the core plug-in's narrow interface (IPAM, MAC, binding to the agent's host, events), owned by
 * `network:dhcp`, in the network's project, without port security and outside quotas (as Neutron's
 * RPC path). Creating is idempotent: the agent's existing port on the network (same `device_id`)
 * is reused, given an address on every subnet asked for and bound to the asking host. Everything
 * runs as an admin.
 */
import { makeContext } from '../../core/context.js';
import { InvalidInput, NeutronError } from '../../core/errors.js';
import type { Database } from '../../db/database.js';
import { isIp } from '../../core/ip.js';
import type { CorePlugin, InternalPortChanges } from '../core-plugin.js';

import { portInfo } from './agent-rpc.js';
import type { Handlers } from '../../rpc/rpc-api.js';
import type { PortInfo, ServerPluginApi } from '../../agents/server-api.js';

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

export function dhcpPortHandlers(deps: { database: Database; core: CorePlugin }): Pick<Handlers<ServerPluginApi>, 'create_dhcp_port' | 'update_dhcp_port' | 'release_dhcp_port'> {
  const { core, database } = deps;
  const existing = (networkId: string, deviceId: string) =>
    database.db.selectFrom('ports').select('id').where('network_id', '=', networkId).where('device_id', '=', deviceId).where('device_owner', '=', OWNER).orderBy('id').execute();

  /** The port's fixed IPs kept where asked, plus one on each subnet asked that it lacks; host set. */
  async function reuse(id: string, host: string, subnets: string[]): Promise<PortInfo> {
    // read before the transaction: on SQLite a read outside an open write transaction waits for it
    const port = await core.getPort(ADMIN, id);
    return database.transaction(async (trx) => {
      const ips = port.fixed_ips as Array<{ subnet_id: string; ip_address: string }>;
      const changes: InternalPortChanges = {};
      const missing = subnets.filter((s) => !ips.some((ip) => ip.subnet_id === s));
      if (missing.length) changes.fixed_ips = [...ips, ...missing.map((subnet_id) => ({ subnet_id }))];
      if (port['binding:host_id'] !== host) changes['binding:host_id'] = host;
      return portInfo(Object.keys(changes).length ? await core.updatePort(trx, ADMIN, id, changes) : port);
    });
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
      const net = await core.getNetwork(ADMIN, networkId);
      return database.transaction(async (trx) =>
        portInfo(await core.createPort(trx, ADMIN, {
          network_id: networkId,
          project_id: net.project_id as string,
          device_id: deviceId,
          device_owner: OWNER,
          'binding:host_id': host,
          fixed_ips: subnets.length ? subnets.map((subnet_id) => ({ subnet_id })) : undefined,
        })),
      );
    },
    update_dhcp_port: async (args) => {
      const host = text(args.host, 'host');
      const id = text(args.port_id, 'port_id');
      const spec = portSpec(args);
      const changes: InternalPortChanges = { 'binding:host_id': host };
      if ('fixed_ips' in spec) changes.fixed_ips = fixedIps(spec.fixed_ips);
      return database.transaction(async (trx) => {
        const port = await core.portRow(trx, ADMIN, id);
        if (port.device_owner !== OWNER) throw new InvalidInput({ error_message: `port ${id} is not a DHCP port` });
        return portInfo(await core.updatePort(trx, ADMIN, id, changes));
      });
    },
    release_dhcp_port: async (args) => {
      const networkId = text(args.network_id, 'network_id');
      const deviceId = text(args.device_id, 'device_id');
      for (const p of await existing(networkId, deviceId)) {
        try {
          await database.transaction((trx) => core.deletePort(trx, ADMIN, p.id));
        } catch (err) {
          if (!(err instanceof NeutronError) || err.type !== 'PortNotFound') throw err; // deleted meanwhile
        }
      }
      return null;
    },
  };
}

/** The agent's `fixed_ips`: a list of `{subnet_id?, ip_address?}` with string values. */
function fixedIps(v: unknown): Array<{ subnet_id?: string; ip_address?: string }> {
  if (!Array.isArray(v)) throw new InvalidInput({ error_message: "'fixed_ips' must be a list" });
  return v.map((ip) => {
    if (!ip || typeof ip !== 'object') throw new InvalidInput({ error_message: "'fixed_ips' entries must be dictionaries" });
    const out: { subnet_id?: string; ip_address?: string } = {};
    for (const k of ['subnet_id', 'ip_address'] as const) {
      const x = (ip as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = text(x, `fixed_ips.${k}`);
      if (k === 'ip_address' && x !== undefined && !isIp(x as string)) throw new InvalidInput({ error_message: `'${String(x)}' is not a valid IP address` });
    }
    return out;
  });
}
