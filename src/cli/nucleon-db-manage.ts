#!/usr/bin/env node
/**
 * nucleon-db-manage [--config-file FILE] upgrade head | current | check
 *   upgrade head  apply every pending migration
 *   current       print the applied revision
 *   check         exit 1 when migrations are pending (for deploy scripts)
 */
import { loadConfig } from '../config/config.js';
import { Database, MIGRATIONS } from '../db/database.js';

async function main(argv: string[]): Promise<number> {
  const files: string[] = [];
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config-file') files.push(argv[++i]);
    else words.push(argv[i]);
  }
  const config = loadConfig(files);
  const db = new Database(config.database.connection);
  try {
    const migrations = await db.migrator().getMigrations();
    const applied = migrations.filter((m) => m.executedAt).map((m) => m.name);
    const head = Object.keys(MIGRATIONS).sort().pop();
    switch (words.join(' ')) {
      case 'upgrade head':
      case 'upgrade heads':
        await db.migrateToLatest();
        console.log(`upgraded to ${head}`);
        return 0;
      case 'current':
        console.log(applied.length ? applied[applied.length - 1] : '(none)');
        return 0;
      case 'check': {
        const pending = migrations.filter((m) => !m.executedAt).map((m) => m.name);
        if (pending.length) {
          console.log(`pending migrations: ${pending.join(', ')}`);
          return 1;
        }
        console.log(`up to date at ${head}`);
        return 0;
      }
      default:
        console.error('usage: nucleon-db-manage [--config-file FILE] upgrade head | current | check');
        return 2;
    }
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`nucleon-db-manage: ${(err as Error).message}`);
    process.exit(1);
  },
);
