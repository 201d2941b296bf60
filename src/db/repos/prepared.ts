/**
 * Queries built and compiled once, then run many times: for the hottest reads (showing a port),
 * building and compiling a Kysely query costs more than SQLite running it (bench/PROFILE.md).
 * `prepared(build)` compiles `build` with placeholder arguments the first time it runs on a
 * dialect, and afterwards only puts the arguments in. Only for queries whose SQL text does not
 * depend on the arguments' values (a single id, never an IN list).
 */
import { CompiledQuery, type Compilable } from 'kysely';
import type { Executor } from '../schema.js';

interface Compiled {
  sql: string;
  /** For each parameter of the compiled query: which argument it is, or -1 for a constant. */
  slots: number[];
  constants: readonly unknown[];
}

export function prepared<A extends string[], R>(build: (db: Executor, ...args: A) => Compilable<R>): (db: Executor, ...args: A) => Promise<R[]> {
  // the compiled text depends only on the dialect; transactions share their database's adapter
  const byAdapter = new WeakMap<object, Compiled>();
  return async (db, ...args) => {
    const adapter = db.getExecutor().adapter;
    let c = byAdapter.get(adapter);
    if (!c) {
      const marks = args.map((_, i) => `\u0000arg${i}\u0000`) as A;
      const compiled = build(db, ...marks).compile();
      c = { sql: compiled.sql, slots: compiled.parameters.map((p) => marks.indexOf(p as string)), constants: compiled.parameters };
      byAdapter.set(adapter, c);
    }
    const { slots, constants, sql } = c;
    const params = slots.map((slot, i) => (slot >= 0 ? args[slot] : constants[i]));
    return (await db.executeQuery<R>(CompiledQuery.raw(sql, params))).rows;
  };
}
