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
import { Policy } from './api/policy/policy.js';
import { Ml2Plugin } from './plugins/ml2/ml2-plugin.js';
import type { CorePlugin } from './plugins/core-plugin.js';
import { Events } from './plugins/events.js';
import type { ResourcePlugin, ServicePlugin } from './plugins/plugin-api.js';
import { agentsPlugin, type AgentService } from './plugins/agents/agents-plugin.js';
import { AgentNotifier } from './plugins/agents/agent-notifier.js';
import { AgentRpc } from './plugins/agents/agent-rpc.js';
import { createTransport } from './rpc/create-transport.js';
import type { RpcTransport } from './rpc/transport.js';
import os from 'node:os';
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
  /** The core plug-in's narrow interface: reads, the plug-ins' own ports, events, read-side extensions. */
  core: CorePlugin;
  events: Events;
  policy: Policy;
  logger: Logger;
  /** Another plug-in's collection, looked up when used (all plug-ins exist by then). */
  collection(name: string): ResourcePlugin;
}

/** The service plug-ins. The order they join matters only for subscribers of equal priority. */
const SERVICE_PLUGINS: Array<(deps: ServiceDeps) => ServicePlugin> = [
  securityGroupPlugin,
  l3Plugin,
  quotaPlugin,
  rbacPlugin,
  serviceProviderPlugin,
  meteringPlugin,
  subnetPoolPlugin,
  agentsPlugin,
];

export interface App {
  server: FastifyInstance;
  database: Database;
  /** Agents, their heartbeats and scheduling (what the RPC handlers call). */
  agents: AgentService;
  /** The resource events (subscribe after start to hear committed changes). */
  events: Events;
  /** This server's RPC transport (`[DEFAULT] transport_url`); in-process agents of an all-in-one share it. */
  transport: RpcTransport;
  /** The host name this server serves RPC as. */
  host: string;
  close(): Promise<void>;
}

export async function createApp(config: Config, opts: { logger?: Logger; migrate?: boolean; transport?: RpcTransport } = {}): Promise<App> {
  const logger = opts.logger ?? pino({ level: config.DEFAULT.debug ? 'debug' : 'info' });
  const database = new Database(config.database.connection, { poolSize: config.database.max_pool_size, maxRetries: config.database.max_retries });
  if (opts.migrate !== false) await database.migrateToLatest();
  const policy = Policy.forConfig(config);
  const transport = opts.transport ?? createTransport(config, logger, 'nucleon-server');
  const events = new Events(database, logger);
  const ml2 = new Ml2Plugin(database, config, events, { logger, transport });
  let plugins: Record<string, ResourcePlugin> = {};
  const collection = (name: string) => {
    const p = plugins[name];
    if (!p) throw new Error(`no plug-in serves ${name}`);
    return p;
  };
  const services = SERVICE_PLUGINS.map((make) => make({ database, config, core: ml2, events, policy, logger, collection }));
  for (const s of services) if (s.policies) policy.addDefaults(s.policies);
  plugins = Object.assign({}, ml2.collections(), ...services.map((s) => s.collections()));
  const subCollections = services.flatMap((s) => s.subCollections ?? []);
  const server = buildServer({ config, registry: buildRegistry(services), plugins, subCollections, policy, logger });
  const agents = services.find((s): s is ReturnType<typeof agentsPlugin> => 'service' in s)!.service;
  // failover from dead agents, checked every agent_down_time / 2 as Neutron does
  const failover = setInterval(
    () => agents.rescheduleDead().catch((err) => logger.error({ err }, 'rescheduling from dead agents failed')),
    Math.max(Math.floor(config.DEFAULT.agent_down_time / 2), 1) * 1000,
  );
  failover.unref();
  const host = config.DEFAULT.host || os.hostname();
  const notifier = new AgentNotifier(transport, { database, events, agents, logger });
  notifier.subscribe();
  events.seal();
  logger.debug({ subscribers: events.describe() }, 'resource events');
  const rpcServers = await notifier.serve(host, new AgentRpc({ database, core: ml2, agents, collection }));
  return {
    server,
    database,
    agents,
    events,
    transport,
    host,
    async close() {
      clearInterval(failover);
      for (const s of rpcServers) await s.stop();
      if (!opts.transport) await transport.close();
      await server.close();
      await database.close();
    },
  };
}
