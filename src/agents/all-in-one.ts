/**
 * All-in-one: the four agents inside the server's process, on its in-process bus, acting on this
 * machine (or in `[agent] host_namespace`). `[DEFAULT] all_in_one_agents`: `auto` starts them when
 * it can (root, the datapath tools present, the in-process bus, one API process) and says why not
 * otherwise; `true` refuses to start without them; `false` never starts them.
 */
import { execFileSync } from 'node:child_process';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { RpcTransport } from '../rpc/transport.js';
import { parseTransportUrl } from '../rpc/transport-url.js';
import { ShellRunner } from '../linux/shell-runner.js';
import { AgentRuntime, hostOf } from './agent-runtime.js';
import { driverFor } from './drivers.js';
import { datapathOf } from './datapath-config.js';

export const AGENT_KINDS = ['l2', 'dhcp', 'l3', 'metering'] as const;
const TOOLS: Array<[string, string[]]> = [
  ['ip', ['-V']],
  ['bridge', ['-V']],
  ['dnsmasq', ['--version']],
];

/** Why in-process agents cannot run here, or undefined when they can. */
export function allInOneBlocker(config: Config, probe: { uid?: number; has(tool: string, args: string[]): boolean }): string | undefined {
  if (config.DEFAULT.all_in_one_agents === 'false') return '[DEFAULT] all_in_one_agents = false';
  if (parseTransportUrl(config.DEFAULT.transport_url).driver !== 'inproc')
    return 'transport_url names a message broker: agents are nucleon-agent processes on their hosts, meeting the servers there';
  if (config.DEFAULT.api_workers > 1) return 'api_workers > 1: each API process has its own in-process bus, so in-process agents would miss the other processes\' changes (use a broker and nucleon-agent processes)';
  if (probe.uid !== 0) return 'not running as root: agents make bridges, namespaces and dnsmasq processes';
  const missing = TOOLS.filter(([t, args]) => !probe.has(t, args)).map(([t]) => t);
  if (missing.length) return `missing datapath tools: ${missing.join(', ')} (Debian: iproute2, dnsmasq-base)`;
  return undefined;
}

export const systemProbe = {
  uid: process.getuid?.(),
  has(tool: string, args: string[]): boolean {
    try {
      execFileSync(tool, args, { stdio: 'ignore', timeout: 5000 });
      return true;
    } catch {
      return false;
    }
  },
};

/** Starts the four agents in this process; resolves to their stop function. */
export async function startAllInOneAgents(config: Config, transport: RpcTransport, logger: Logger): Promise<() => Promise<void>> {
  const runner = new ShellRunner(logger.child({ component: 'datapath' }));
  const datapath = datapathOf(config, runner);
  const runtimes: AgentRuntime[] = [];
  for (const kind of AGENT_KINDS) {
    const log = logger.child({ agent: kind });
    const rt = new AgentRuntime({ config, transport, driver: driverFor(kind, transport, hostOf(config), log, datapath), logger: log });
    await rt.start();
    runtimes.push(rt);
  }
  return async () => {
    for (const rt of runtimes) await rt.stop();
  };
}
