/**
 * The databases tests run against. SQLite always; PostgreSQL and MariaDB when they answer on
 * 127.0.0.1 (every test gets a fresh database of its own). Under CI (CI=true) a database that
 * does not answer fails the run instead of skipping.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createConnection } from 'mysql2/promise';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface DialectUnderTest {
  name: 'sqlite' | 'postgres' | 'mysql';
  /** Why this dialect cannot run here, or undefined when it can. */
  unavailable(): Promise<string | undefined>;
  create(): Promise<TestDatabase>;
}

const PG_ADMIN = { host: '127.0.0.1', port: 5432, user: process.env.NUCLEON_TEST_PG_USER ?? 'postgres', database: 'postgres' };
const MY_ADMIN = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const uniqueName = () => `nucleon_test_${randomBytes(5).toString('hex')}`;

export const sqlite: DialectUnderTest = {
  name: 'sqlite',
  unavailable: async () => undefined,
  async create() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nucleon-test-'));
    return { url: `sqlite:///${path.join(dir, 'db.sqlite')}`, drop: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  },
};

export const postgres: DialectUnderTest = {
  name: 'postgres',
  async unavailable() {
    const c = new pg.Client(PG_ADMIN);
    try {
      await c.connect();
      await c.query('select 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL not reachable on 127.0.0.1:5432 as ${PG_ADMIN.user}: ${(err as Error).message}`;
    } finally {
      await c.end().catch(() => {});
    }
  },
  async create() {
    const name = uniqueName();
    const c = new pg.Client(PG_ADMIN);
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    return {
      url: `postgresql://${PG_ADMIN.user}@127.0.0.1:5432/${name}`,
      async drop() {
        const d = new pg.Client(PG_ADMIN);
        await d.connect();
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await d.end();
      },
    };
  },
};

export const mysql: DialectUnderTest = {
  name: 'mysql',
  async unavailable() {
    try {
      const c = await createConnection(MY_ADMIN);
      await c.query('select 1');
      await c.end();
      return undefined;
    } catch (err) {
      return `MariaDB not reachable on 127.0.0.1:3306 as root: ${(err as Error).message}`;
    }
  },
  async create() {
    const name = uniqueName();
    const c = await createConnection(MY_ADMIN);
    await c.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4`);
    await c.end();
    return {
      url: `mysql+pymysql://root@127.0.0.1:3306/${name}`,
      async drop() {
        const d = await createConnection(MY_ADMIN);
        await d.query(`DROP DATABASE IF EXISTS ${name}`);
        await d.end();
      },
    };
  },
};

export const DIALECTS: DialectUnderTest[] = [sqlite, postgres, mysql];


/** For `describe(name, { skip })`: the reason to skip, or undefined; under CI an unavailable database throws. */
export async function skipReason(d: DialectUnderTest): Promise<string | undefined> {
  const why = await d.unavailable();
  if (why && process.env.CI === 'true') throw new Error(`${d.name} is required under CI: ${why}`);
  return why;
}
