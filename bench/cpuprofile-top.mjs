#!/usr/bin/env node
/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) as Markdown: self time by function, self time by
 * module/package, and inclusive (total) time of Nucleon's own functions. Percentages are of the
 * non-idle samples ("(idle)" = waiting for I/O is excluded).
 *   node bench/cpuprofile-top.mjs FILE.cpuprofile [--top 25] [--title TEXT]
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { SourceMap } from 'node:module';

const { values: a, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, title: { type: 'string', default: '' } } });
const prof = JSON.parse(fs.readFileSync(positionals[0], 'utf8'));
const TOP = Number(a.top);

const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// time of each sample: the delta to the next sample (the last one gets the mean)
const deltas = prof.timeDeltas;
const mean = (prof.endTime - prof.startTime) / Math.max(1, prof.samples.length);
const sampleTime = prof.samples.map((_, i) => (i + 1 < deltas.length ? Math.max(0, deltas[i + 1]) : mean));

// compiled files (tsc output with .js.map beside them): report the .ts position
const maps = new Map();
function original(url, line, col) {
  if (!url.startsWith('file://') || url.includes('/node_modules/')) return null;
  const file = url.slice('file://'.length);
  if (!maps.has(file)) {
    let m = null;
    try { m = new SourceMap(JSON.parse(fs.readFileSync(file + '.map', 'utf8'))); } catch { /* no map */ }
    maps.set(file, m);
  }
  const e = maps.get(file)?.findEntry(line, col);
  return e && e.originalSource ? `${e.originalSource.replace(/^.*?\/src\//, 'src/')}:${e.originalLine + 1}` : null;
}
function where(cf) {
  const url = cf.url ?? '';
  if (!url) return '';
  const o = original(url, cf.lineNumber, cf.columnNumber);
  if (o) return o;
  let p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) p = p.slice(nm + '/node_modules/'.length);
  else if (p.includes('/src/')) p = p.slice(p.lastIndexOf('/src/') + 1);
  return `${p}:${cf.lineNumber + 1}`;
}
function module(cf) {
  const url = cf.url ?? '';
  const name = cf.functionName;
  if (!url) return ['(idle)', '(program)', '(garbage collector)', '(root)'].includes(name) ? name : '(native/V8 builtins)';
  if (url.startsWith('node:')) return 'node: core (' + url.slice(5).split('/')[0] + ')';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.includes('/src/')) return 'nucleon ' + url.slice(url.lastIndexOf('/src/') + 1).split('/').slice(0, -1).join('/') + '/';
  return url;
}
const key = (cf) => `${cf.functionName || '(anonymous)'}\t${where(cf)}`;

const self = new Map(), selfMod = new Map(), incl = new Map();
let total = 0, idle = 0;
prof.samples.forEach((id, i) => {
  const n = byId.get(id);
  const t = sampleTime[i];
  if (n.callFrame.functionName === '(idle)') { idle += t; return; }
  total += t;
  const k = key(n.callFrame);
  self.set(k, (self.get(k) ?? 0) + t);
  const m = module(n.callFrame);
  selfMod.set(m, (selfMod.get(m) ?? 0) + t);
  // inclusive: every distinct Nucleon function on the stack
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const cf = byId.get(cur).callFrame;
    if (!cf.url || !cf.url.includes('/src/') || cf.url.includes('/node_modules/')) continue;
    const kk = key(cf);
    if (seen.has(kk)) continue;
    seen.add(kk);
    incl.set(kk, (incl.get(kk) ?? 0) + t);
  }
});
const pc = (t) => ((100 * t) / total).toFixed(1);
const ms = (t) => (t / 1000).toFixed(0);
const top = (m, n) => [...m.entries()].sort((x, y) => y[1] - x[1]).slice(0, n);
const out = [];
out.push(`### ${a.title || positionals[0]}`, '');
out.push(`Profile ${positionals[0].split('/').pop()}: ${prof.samples.length} samples over ${((prof.endTime - prof.startTime) / 1e6).toFixed(1)} s; ` +
  `busy (non-idle) ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s. Percentages are of busy time.`, '');
out.push(`**Self time by function (top ${TOP})**`, '', '| # | self % | self ms | function | location |', '|---:|---:|---:|---|---|');
top(self, TOP).forEach(([k, t], i) => { const [fn, loc] = k.split('\t'); out.push(`| ${i + 1} | ${pc(t)} | ${ms(t)} | \`${fn}\` | ${loc || '–'} |`); });
out.push('', '**Self time by module / package**', '', '| self % | self ms | module |', '|---:|---:|---|');
for (const [m, t] of top(selfMod, 20)) out.push(`| ${pc(t)} | ${ms(t)} | ${m} |`);
out.push('', '**Inclusive time of Nucleon functions (src/, top 20)**', '', '| total % | function | location |', '|---:|---|---|');
for (const [k, t] of top(incl, 20)) { const [fn, loc] = k.split('\t'); out.push(`| ${pc(t)} | \`${fn}\` | ${loc} |`); }
out.push('');
console.log(out.join('\n'));
