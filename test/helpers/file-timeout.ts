/**
 * A bound on each test file's wall-clock time, so a hang fails the run in minutes instead of at CI's
 * limit. scripts/test.sh preloads this module (`--import`) into every test file's process (node's
 * runner starts one per file; the runner itself does not load it). It starts a worker thread whose
 * timer fires even when the file's main thread is stuck: a promise that never settles with a handle
 * keeping the loop alive, a synchronous loop, a child process that never exits. When the bound
 * passes, the worker says so on stderr (the runner shows it as a `#` line under the file), kills
 * every descendant process of the file (collected from /proc before any is killed, so none is
 * re-parented out of reach), then kills the file's process; the runner reports the file failed and
 * goes on with the next. Run a file by hand with the same `--import` to get the same bound.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Seconds a test file may run unless it is listed below (NUCLEON_TEST_FILE_TIMEOUT_S overrides it);
 * the slowest such file, the openstack CLI topology, takes about a minute on two cores.
 */
export const DEFAULT_FILE_TIMEOUT_S = Number(process.env.NUCLEON_TEST_FILE_TIMEOUT_S) || 300;

/** The known-long files, by path from the repository root. */
export const FILE_TIMEOUTS_S: Record<string, number> = {
  'test/tempest.test.ts': 1500, // its own test bound is 20 minutes; this is the backstop above it
  'test/e2e/lab.test.ts': 600, // about 50 s on two cores
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function fileTimeoutSeconds(file: string): number {
  const rel = path.relative(root, path.resolve(file)).split(path.sep).join('/');
  return FILE_TIMEOUTS_S[rel] ?? DEFAULT_FILE_TIMEOUT_S;
}

// Plain CommonJS, run without tsx (execArgv: []): it only reads /proc and sends signals.
const WATCHDOG = `
const fs = require('node:fs');
const { workerData: { pid, file, seconds } } = require('node:worker_threads');
function children(p) {
  let tids = [];
  try { tids = fs.readdirSync('/proc/' + p + '/task'); } catch { return []; }
  const out = [];
  for (const t of tids) {
    try {
      for (const c of fs.readFileSync('/proc/' + p + '/task/' + t + '/children', 'utf8').split(' ')) if (c.trim()) out.push(Number(c));
    } catch {}
  }
  return out;
}
setTimeout(() => {
  const all = [];
  const todo = children(pid);
  while (todo.length) { const c = todo.pop(); all.push(c); todo.push(...children(c)); }
  fs.writeSync(2, 'test file timeout: ' + file + ' still running after ' + seconds + ' s (bounds: test/helpers/file-timeout.ts); killing it' +
    (all.length ? ' and its ' + all.length + ' child process(es)' : '') + '\\n');
  for (const c of all) { try { process.kill(c, 'SIGKILL'); } catch {} }
  process.kill(pid, 'SIGKILL');
}, seconds * 1000);
`;

const file = process.argv[1];
if (file) {
  const seconds = fileTimeoutSeconds(file);
  const rel = path.relative(root, path.resolve(file));
  const shown = rel.startsWith('..') ? path.resolve(file) : rel;
  new Worker(WATCHDOG, { eval: true, execArgv: [], workerData: { pid: process.pid, file: shown, seconds } }).unref();
}
