#!/usr/bin/env node
/**
 * nucleon-agent <l2|dhcp|l3|metering> [--config-file FILE]…: one agent process. It reports to the
 * servers through `[DEFAULT] transport_url` (RabbitMQ when the servers are on other hosts), as
 * host `[DEFAULT] host`, every `[agent] report_interval` seconds.
 */
import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { createTransport } from '../rpc/create-transport.js';
import { AgentRuntime, hostOf } from '../agents/agent-runtime.js';
import { driverFor } from '../agents/drivers.js';
import { configFiles } from './args.js';
import { ProcessRunner } from '../linux/runner.js';
import { dhcpLayout } from '../agents/dhcp/dhcp-agent.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const kind = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--config-file');
  if (!kind || !['l2', 'dhcp', 'l3', 'metering'].includes(kind)) {
    process.stderr.write('usage: nucleon-agent <l2|dhcp|l3|metering> [--config-file FILE]...\n');
    process.exit(2);
  }
  const config = loadConfig(configFiles(argv));
  const logger = pino({ level: config.DEFAULT.debug ? 'debug' : 'info', base: { pid: process.pid, name: `nucleon-agent-${kind}`, host: hostOf(config) } });
  const transport = createTransport(config, logger, `nucleon-agent ${kind}`);
  const datapath = config.agent.datapath
    ? { runner: new ProcessRunner(logger), netns: config.agent.host_namespace || undefined, localIp: config.vxlan.local_ip, dhcp: dhcpLayout(config) }
    : undefined;
  if (!datapath) logger.warn('[agent] datapath = false: the agent follows the server but changes nothing on this host');
  const runtime = new AgentRuntime({ config, transport, driver: driverFor(kind, transport, hostOf(config), logger, datapath), logger });
  await runtime.start();
  const stop = async () => {
    await runtime.stop();
    await transport.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`nucleon-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
