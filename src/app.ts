/**
 * Wires one server process together: configuration → database (migrated) → plug-ins → HTTP.
 * Used by the nucleon-server command and by the tests, so both run the same assembly.
 */
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/config.js';
import { Database } from './db/database.js';
import { buildServer } from './api/server.js';
import { buildRegistry } from './api/resources/registry.js';
import { Ml2Plugin } from './plugins/ml2/ml2-plugin.js';
import type { ServicePlugin } from './plugins/plugin-api.js';
import { securityGroupPlugin } from './plugins/securitygroups/sg-plugin.js';
import { l3Plugin } from './plugins/l3/l3-plugin.js';
import { quotaPlugin } from './plugins/quotas/quota-plugin.js';
import { rbacPlugin } from './plugins/rbac/rbac-plugin.js';
import { serviceProviderPlugin } from './plugins/service-providers/service-provider-plugin.js';
import { meteringPlugin } from './plugins/metering/metering-plugin.js';
import { subnetPoolPlugin } from './plugins/subnetpools/subnetpool-plugin.js';

/** What a service plug-in is built from. */
export interface ServiceDeps {
  database: Database;
  config: Config;
  ml2: Ml2Plugin;
}

/** The service plug-ins, in the order they join (their hooks run in this order). */
const SERVICE_PLUGINS: Array<(deps: ServiceDeps) => ServicePlugin> = [
  securityGroupPlugin,
  l3Plugin,
  quotaPlugin,
  rbacPlugin,
  serviceProviderPlugin,
  meteringPlugin,
  subnetPoolPlugin,
];

export interface App {
  server: FastifyInstance;
  database: Database;
  close(): Promise<void>;
}

export async function createApp(config: Config, opts: { logger?: Logger; migrate?: boolean } = {}): Promise<App> {
  const logger = opts.logger ?? pino({ level: config.DEFAULT.debug ? 'debug' : 'info' });
  const database = new Database(config.database.connection, { poolSize: config.database.max_pool_size, maxRetries: config.database.max_retries });
  if (opts.migrate !== false) await database.migrateToLatest();
  const ml2 = new Ml2Plugin(database, config);
  const services = SERVICE_PLUGINS.map((make) => make({ database, config, ml2 }));
  const plugins = Object.assign({}, ml2.collections(), ...services.map((s) => s.collections()));
  const server = buildServer({ config, registry: buildRegistry(services), plugins, logger });
  return {
    server,
    database,
    async close() {
      await server.close();
      await database.close();
    },
  };
}
