/**
 * `nucleon-lab up --transport inproc`: the lab without a broker. This process builds the hosts,
 * then runs a nucleon-server (SQLite under the lab's state directory) and every host's agents on
 * its in-process bus, each agent acting in its host's namespace as the lab's agent processes do.
 * It stays in the foreground; stopping it (Ctrl-C, SIGTERM, `nucleon-lab down`) takes the lab down.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { createApp, type App } from '../app.js';
import { loadConfig } from '../config/config.js';
import { ProcessRunner } from '../linux/runner.js';
import { AgentRuntime } from '../agents/agent-runtime.js';
import { driverFor } from '../agents/drivers.js';
import { datapathOf } from '../agents/datapath-config.js';
import { agentKinds, hostConfigPath, type LabState } from './lab.js';

export async function runLabInProcess(state: LabState, listen: { host: string; port: number }, logger: Logger): Promise<{ app: App; stop(): Promise<void> }> {
  const config = loadConfig([], { ...process.env, NUCLEON_DEFAULT__STATE_PATH: path.join(state.stateDir, 'server'), NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS: 'false' });
  const app = await createApp(config, { logger: logger.child({ component: 'server' }) });
  await app.server.listen(listen);
  const runtimes: AgentRuntime[] = [];
  try {
    for (const [host, h] of Object.entries(state.hosts)) {
      // the host's own configuration only: environment overrides would give every agent one host name
      const hostConfig = loadConfig([hostConfigPath(state.stateDir, host)], {});
      const log = logger.child({ host });
      const datapath = datapathOf(hostConfig, new ProcessRunner(log));
      for (const kind of agentKinds(h.role)) {
        const rt = new AgentRuntime({ config: hostConfig, transport: app.transport, driver: driverFor(kind, app.transport, host, log.child({ agent: kind }), datapath), logger: log.child({ agent: kind }) });
        await rt.start();
        runtimes.push(rt);
        state.agents.push({ host, kind, pid: process.pid, config: hostConfigPath(state.stateDir, host), log: path.join(state.stateDir, 'logs', 'lab.log') });
      }
    }
  } catch (err) {
    for (const rt of runtimes) await rt.stop();
    await app.close();
    throw err;
  }
  return {
    app,
    async stop() {
      for (const rt of runtimes) await rt.stop();
      await app.close();
    },
  };
}
