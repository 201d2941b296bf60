#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * nucleon-server: the Networking API. `--config-file FILE` (repeatable); environment overrides as
 * described in config/config.ts. With `api_workers > 1` the primary forks that many workers that
 * share the listening socket (node:cluster); the database is their only shared state.
 */
import cluster from 'node:cluster';
import pino from 'pino';
import { loadConfig } from '../config/config.js';
import { createApp } from '../app.js';
import { Database } from '../db/database.js';
import { configFiles } from './args.js';


async function main(): Promise<void> {
  const config = loadConfig(configFiles(process.argv.slice(2)));
  // Buffered, asynchronous log writes: a synchronous write per request costs more than the request.
  const logger = pino(
    { level: config.DEFAULT.debug ? 'debug' : 'info', base: { pid: process.pid, name: 'nucleon-server' } },
    pino.destination({ dest: 1, sync: false, minLength: 4096 }),
  );
  const flushEvery = setInterval(() => logger.flush(), 1000);
  flushEvery.unref();
  const workers = Math.max(1, config.DEFAULT.api_workers);
  if (cluster.isPrimary && workers > 1) {
    const db = new Database(config.database.connection);
    await db.migrateToLatest();
    await db.close();
    for (let i = 0; i < workers; i++) cluster.fork();
    cluster.on('exit', (w, code, signal) => {
      logger.error({ worker: w.process.pid, code, signal }, 'API worker exited; starting another');
      if (!stopping) cluster.fork();
    });
    let stopping = false;
    const stop = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    logger.info({ workers, bind: `${config.DEFAULT.bind_host}:${config.DEFAULT.bind_port}` }, 'nucleon-server started');
    return;
  }
  const app = await createApp(config, { logger, migrate: workers === 1 });
  await app.server.listen({ host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port });
  logger.info({ bind: `${config.DEFAULT.bind_host}:${config.DEFAULT.bind_port}`, database: app.database.adapter.name, rpc_host: app.host }, 'listening');
  logger.warn(
    { transport: config.DEFAULT.transport_url || 'inproc://' },
    'no agent runs inside this process: the DHCP, L3 and metering agents have no Linux datapath yet (dnsmasq, router namespaces, counters), so in-process agents would report alive and leave networks without DHCP or routing. ' +
      'Agents register when nucleon-agent processes report over a shared transport_url (rabbit://…).',
  );
  const stop = async () => {
    await app.close();
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(`nucleon-server: ${(err as Error).message}`);
  process.exit(1);
});
