/** What an agent needs to change its host, read from its configuration (one place for the CLI and all-in-one). */
import type { Config } from '../config/config.js';
import type { CommandRunner } from '../linux/runner.js';
import { dhcpLayout } from './dhcp/dhcp-agent.js';
import { l3Layout } from './l3/l3-agent.js';
import type { AgentDatapath } from './drivers.js';
import { parseMappings } from './l2/plan.js';

/** `[agent] host_namespace`, `[vxlan] local_ip`, `[linux_bridge]` mappings (a bad entry throws naming the option), the DHCP and L3 layouts. */
export function datapathOf(config: Config, runner: CommandRunner): AgentDatapath {
  return {
    runner,
    netns: config.agent.host_namespace || undefined,
    localIp: config.vxlan.local_ip,
    mappings: {
      interfaces: parseMappings(config.linux_bridge.physical_interface_mappings, 'physical_interface_mappings'),
      bridges: parseMappings(config.linux_bridge.bridge_mappings, 'bridge_mappings'),
    },
    dhcp: dhcpLayout(config),
    l3: l3Layout(config),
  };
}
