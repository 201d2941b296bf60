#!/usr/bin/env node
/**
 * nucleon-agent <l2|dhcp|l3|metering> [--config-file FILE]… [--dry-run]: one agent process. It
 * reports to the servers through `[DEFAULT] transport_url` (RabbitMQ when the servers are on other
 * hosts), as host `[DEFAULT] host`, every `[agent] report_interval` seconds. `--dry-run` asks the
 * servers once what this host should have, prints the commands that would take it there, and
 * exits without changing anything (nor reporting, so the servers do not count it as an agent).
 */
import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { createTransport } from '../rpc/create-transport.js';
import { AgentRuntime, hostOf } from '../agents/agent-runtime.js';
import { driverFor } from '../agents/drivers.js';
import { configFiles } from './args.js';
import { DryRunRunner } from '../linux/runner.js';
import { ShellRunner } from '../linux/shell-runner.js';
import { datapathOf } from '../agents/datapath-config.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const kind = argv.find((a, i) => !a.startsWith('-') && argv[i - 1] !== '--config-file');
  if (!kind || !['l2', 'dhcp', 'l3', 'metering'].includes(kind)) {
    process.stderr.write('usage: nucleon-agent <l2|dhcp|l3|metering> [--config-file FILE]... [--dry-run]\n');
    process.exit(2);
  }
  const config = loadConfig(configFiles(argv));
  const logger = pino({ level: config.DEFAULT.debug ? 'debug' : 'info', base: { pid: process.pid, name: `nucleon-agent-${kind}`, host: hostOf(config) } });
  const transport = createTransport(config, logger, `nucleon-agent ${kind}`);
  const dryRun = argv.includes('--dry-run');
  const real = new ShellRunner(logger);
  const runner = dryRun ? new DryRunRunner(real) : real;
  const datapath = config.agent.datapath || dryRun ? datapathOf(config, runner) : undefined;
  if (!datapath) logger.warn('[agent] datapath = false: the agent follows the server but changes nothing on this host');
  const driver = driverFor(kind, transport, hostOf(config), logger, datapath);
  if (dryRun) {
    await driver.fullSync();
    await transport.close();
    process.exit(0);
  }
  const runtime = new AgentRuntime({ config, transport, driver, logger });
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
