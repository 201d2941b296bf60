/**
 * The `linuxbridge` mechanism driver: binds a `normal` vNIC on a host whose live Linux bridge
 * agent reaches the segment (a tunnel type it reports, `local`, `flat` on a physical network in its
 * `bridge_mappings` or `interface_mappings`, `vlan` on one in its `interface_mappings`), with
 * Neutron's vif_type and details. After commit it tells the Linux bridge agents of port changes
 * (fanout `q-agent-notifier-port-update|delete`, Neutron's AgentNotifierApi): the port's own agent
 * plugs it, the others learn where its MAC lives (what l2population tells them in Neutron).
 */
import { AGENT_NOTIFIER_API } from '../../../rpc/apis/agent-notifier-api.js';
import { RpcClient } from '../../../rpc/rpc-api.js';
import { agentNotifierTopic } from '../../../rpc/topics.js';
import type { MechanismDriver, PostcommitContext } from '../driver-api.js';
import type { MechanismDeps } from '../mechanism-manager.js';

const dict = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

export function linuxbridgeDriver({ transport, logger }: MechanismDeps): MechanismDriver {
  const updates = transport && new RpcClient(transport, AGENT_NOTIFIER_API, agentNotifierTopic('port', 'update'));
  const deletes = transport && new RpcClient(transport, AGENT_NOTIFIER_API, agentNotifierTopic('port', 'delete'));
  const send = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      logger?.warn({ err: (err as Error).message, what }, 'agent notification not sent; agents resync periodically');
    }
  };
  /** A port with a host (or that had one) is news to the agents; an unbound one concerns none. */
  const portChanged = async ({ current, original, request, segments }: PostcommitContext) => {
    if (!updates || !current || !(current['binding:host_id'] || original?.['binding:host_id'])) return;
    // an agent's own status report (device up/down) is no news to the agents
    if (request && Object.keys(request).every((k) => k === 'status')) return;
    const [seg] = await segments();
    await send('port_update', () =>
      updates.fanout('port_update', {
        port: current as never,
        network_type: seg?.network_type ?? '',
        segmentation_id: seg?.segmentation_id ?? null,
        physical_network: seg?.physical_network ?? null,
      }),
    );
  };
  return {
    name: 'linuxbridge',
    agentType: 'Linux bridge agent',
    tryBind(segment, vnicType, agent) {
      if (vnicType !== 'normal') return `vnic_type ${vnicType} is not supported (only normal)`;
      const c = agent.configurations;
      // what an agent reports is not trusted to be well formed: anything else than a list or a dict counts as none
      const tunnels = Array.isArray(c.tunnel_types) ? (c.tunnel_types as string[]) : [];
      const interfaces = dict(c.interface_mappings);
      const mappings = { ...interfaces, ...dict(c.bridge_mappings) };
      const type = segment.network_type;
      if (![...tunnels, 'local', 'flat', 'vlan'].includes(type)) return `network type ${type} is not served by the agent (tunnel_types ${JSON.stringify(tunnels)})`;
      if (type === 'flat' && !(segment.physical_network && segment.physical_network in mappings))
        return `physical network ${segment.physical_network} is not in the agent's mappings ${JSON.stringify(Object.keys(mappings))}`;
      // a VLAN is a subinterface of a mapped interface; an existing bridge (bridge_mappings) carries flat networks only
      if (type === 'vlan' && !(segment.physical_network && segment.physical_network in interfaces))
        return `physical network ${segment.physical_network} is not in the agent's interface_mappings ${JSON.stringify(Object.keys(interfaces))}`;
      return { vif_type: 'bridge', vif_details: { port_filter: true, connectivity: 'l2' } };
    },
    createPortPostcommit: portChanged,
    updatePortPostcommit: portChanged,
    async deletePortPostcommit({ original }) {
      if (!deletes || !original) return;
      await send('port_delete', () => deletes.fanout('port_delete', { port_id: original.id as string, network_id: original.network_id as string }));
    },
  };
}
