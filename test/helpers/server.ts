/**
 * Starting Nucleon for tests: in-process on an ephemeral port (`startApp`), or as real server
 * processes (`spawnServer`) for the tests that need several. Plus a tiny JSON client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createApp, type App } from '../../src/app.js';
import { Database } from '../../src/db/database.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Running {
  url: string;
  app: App;
  close(): Promise<void>;
}

export async function startApp(dbUrl: string, overrides: Record<string, string> = {}): Promise<Running> {
  const config: Config = loadConfig([], { NUCLEON_DATABASE__CONNECTION: dbUrl, ...overrides });
  const app = await createApp(config, { logger: pino({ level: process.env.NUCLEON_TEST_LOG ?? 'silent' }) });
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${addr.port}`, app, close: () => app.close() };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface Spawned {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** A real nucleon-server process (through tsx, so no build is needed). */
export async function spawnServer(env: Record<string, string>): Promise<Spawned> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/nucleon-server.ts')], {
    cwd: ROOT,
    // never agents inside a test's server: they would change this machine's networking (tests opt in)
    env: { ...process.env, NUCLEON_DEFAULT__BIND_PORT: String(port), NUCLEON_DEFAULT__ALL_IN_ONE_AGENTS: 'false', ...env },
    // NUCLEON_TEST_SERVER_LOG=FILE keeps the servers' logs (appended) for a failing test
    stdio: ['ignore', process.env.NUCLEON_TEST_SERVER_LOG ? fs.openSync(process.env.NUCLEON_TEST_SERVER_LOG, 'a') : 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nucleon-server exited ${proc.exitCode}: ${stderr}`);
    try {
      const r = await fetch(`${url}/`);
      if (r.ok) break;
    } catch {
      /* not yet listening */
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`nucleon-server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
        setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/**
 * Two nucleon-server processes on one fresh, migrated database, for the race tests: `servers` is
 * filled by `start()` (call it in `before`); `env` adds to the servers' environment.
 */
export function twoServerFixture(createDb: () => Promise<{ url: string; drop(): Promise<void> }>, env: Record<string, string> = {}) {
  let db: { url: string; drop(): Promise<void> } | undefined;
  const servers: Spawned[] = [];
  return {
    servers,
    async start() {
      db = await createDb();
      const migrate = new Database(db.url);
      await migrate.migrateToLatest();
      await migrate.close();
      const all = { NUCLEON_DATABASE__CONNECTION: db.url, ...env };
      servers.push(...(await Promise.all([spawnServer(all), spawnServer(all)])));
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
      await db?.drop();
    },
  };
}

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

/** JSON over HTTP; `body` may be a string to send as-is. */
export function client(base: string, defaultHeaders: Record<string, string> = {}) {
  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const r = await fetch(`${base}${p}`, {
      method,
      headers: { 'content-type': 'application/json', ...defaultHeaders, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: parsed, headers: r.headers };
  };
  return {
    get: (p: string, h?: Record<string, string>) => call('GET', p, undefined, h),
    post: (p: string, b?: unknown, h?: Record<string, string>) => call('POST', p, b, h),
    put: (p: string, b?: unknown, h?: Record<string, string>) => call('PUT', p, b, h),
    del: (p: string, h?: Record<string, string>) => call('DELETE', p, undefined, h),
    call,
  };
}
export type Client = ReturnType<typeof client>;

/**
 * One server per dialect for a test file: `withServer(dialect, overrides)` returns accessors that
 * are valid inside the describe block's tests.
 */
export function serverFixture(createDb: () => Promise<{ url: string; drop(): Promise<void> }>, overrides: Record<string, string> = {}) {
  let db: { url: string; drop(): Promise<void> } | undefined;
  let running: Running | undefined;
  let api: Client | undefined;
  return {
    async start() {
      db = await createDb();
      running = await startApp(db.url, overrides);
      api = client(running.url);
    },
    async stop() {
      await running?.close();
      await db?.drop();
    },
    get api(): Client {
      if (!api) throw new Error('server not started');
      return api;
    },
    get url(): string {
      return running!.url;
    },
    get running(): Running {
      return running!;
    },
  };
}

/** A real nucleon-agent process of `kind` as host `host` (through tsx); stop it with `stopProcess`. */
export function spawnAgent(kind: string, host: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/nucleon-agent.ts'), kind], {
    cwd: ROOT,
    env: { ...process.env, NUCLEON_DEFAULT__HOST: host, ...env },
    stdio: ['ignore', 'ignore', process.env.NUCLEON_TEST_LOG ? 'inherit' : 'ignore'],
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export const stopProcess = (p: ChildProcess): Promise<void> =>
  new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('exit', () => resolve());
    p.kill('SIGTERM');
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  });
