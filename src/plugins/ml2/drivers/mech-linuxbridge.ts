/**
 * The `linuxbridge` mechanism driver: binds a `normal` vNIC on a host whose live Linux bridge
 * agent reaches the segment (a tunnel type it reports, `local`, `flat` on a physical network in its
 * `bridge_mappings` or `interface_mappings`, `vlan` on one in its `interface_mappings`), with
 * Neutron's vif_type and details.
 */
import type { BindingDriver } from '../port-binding.js';

export const linuxbridgeDriver: BindingDriver = {
  name: 'linuxbridge',
  agentType: 'Linux bridge agent',
  tryBind(segment, vnicType, agent) {
    if (vnicType !== 'normal') return `vnic_type ${vnicType} is not supported (only normal)`;
    const c = agent.configurations;
    const tunnels = Array.isArray(c.tunnel_types) ? (c.tunnel_types as string[]) : [];
    const mappings = { ...((c.interface_mappings as Record<string, string>) ?? {}), ...((c.bridge_mappings as Record<string, string>) ?? {}) };
    const type = segment.network_type;
    if (![...tunnels, 'local', 'flat', 'vlan'].includes(type)) return `network type ${type} is not served by the agent (tunnel_types ${JSON.stringify(tunnels)})`;
    if (type === 'flat' && !(segment.physical_network && segment.physical_network in mappings))
      return `physical network ${segment.physical_network} is not in the agent's mappings ${JSON.stringify(Object.keys(mappings))}`;
    // a VLAN is a subinterface of a mapped interface; an existing bridge (bridge_mappings) carries flat networks only
    const interfaces = (c.interface_mappings as Record<string, string>) ?? {};
    if (type === 'vlan' && !(segment.physical_network && segment.physical_network in interfaces))
      return `physical network ${segment.physical_network} is not in the agent's interface_mappings ${JSON.stringify(Object.keys(interfaces))}`;
    return { vif_type: 'bridge', vif_details: { port_filter: true, connectivity: 'l2' } };
  },
};

