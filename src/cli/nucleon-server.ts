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
import { allInOneBlocker, startAllInOneAgents, systemProbe } from '../agents/all-in-one.js';


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
  const mode = config.DEFAULT.all_in_one_agents;
  if (!['auto', 'true', 'false'].includes(mode)) throw new Error(`[DEFAULT] all_in_one_agents = ${mode}: auto, true or false`);
  // decided once, by the process that would run them (workers never do)
  const blocker = cluster.isPrimary ? allInOneBlocker(config, systemProbe) : 'an API worker process';
  if (blocker && mode === 'true' && cluster.isPrimary) throw new Error(`[DEFAULT] all_in_one_agents = true, but ${blocker}`);
  if (cluster.isPrimary && workers > 1) {
    const db = new Database(config.database.connection);
    await db.migrateToLatest();
    await db.close();
    const forkedAt = new Map<number, number>();
    const fork = () => {
      const w = cluster.fork();
      forkedAt.set(w.id, Date.now());
    };
    for (let i = 0; i < workers; i++) fork();
    // a worker that dies at start-up will die again: after 5 in a row, stop rather than spin
    let quickDeaths = 0;
    cluster.on('exit', (w, code, signal) => {
      quickDeaths = Date.now() - (forkedAt.get(w.id) ?? 0) < 10_000 ? quickDeaths + 1 : 0;
      if (stopping) return;
      if (quickDeaths >= 5) {
        logger.fatal({ worker: w.process.pid, code, signal }, 'API workers keep dying at start-up (see their error above); stopping');
        logger.flush();
        stop();
        process.exitCode = 1;
        return;
      }
      logger.error({ worker: w.process.pid, code, signal }, 'API worker exited; starting another');
      fork();
    });
    let stopping = false;
    const stop = () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
      setTimeout(() => process.exit(process.exitCode ?? 0), 5000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    logger.info({ workers, bind: `${config.DEFAULT.bind_host}:${config.DEFAULT.bind_port}` }, 'nucleon-server started');
    logger.warn({ all_in_one_agents: mode }, `no agent runs inside this process: ${blocker}. Agents register when nucleon-agent processes report over a shared transport_url (rabbit://…).`);
    return;
  }
  const app = await createApp(config, { logger, migrate: workers === 1 });
  await app.server.listen({ host: config.DEFAULT.bind_host, port: config.DEFAULT.bind_port });
  logger.info({ bind: `${config.DEFAULT.bind_host}:${config.DEFAULT.bind_port}`, database: app.database.adapter.name, rpc_host: app.host }, 'listening');
  let stopAgents: (() => Promise<void>) | undefined;
  if (blocker) {
    if (cluster.isPrimary) logger.warn({ all_in_one_agents: mode }, `no agent runs inside this process: ${blocker}. Agents register when nucleon-agent processes report over a shared transport_url (rabbit://…).`);
  } else {
    stopAgents = await startAllInOneAgents(config, app.transport, logger);
    logger.info(
      { host: app.host, namespace: config.agent.host_namespace || '(this one)', local_ip: config.vxlan.local_ip || '(none: one host)' },
      'all-in-one: the Linux bridge, DHCP, L3 and metering agents run inside this process and change this machine\'s networking ([DEFAULT] all_in_one_agents = false to stop that)',
    );
  }
  const stop = async () => {
    await stopAgents?.();
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
