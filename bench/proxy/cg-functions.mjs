/**
 * Where two callgrind dumps of bench/proxy/differential.mjs (mode callgrind) differ, per
 * function: instructions per request (the dumps cover 1,000 requests), JIT code named through
 * V8's perf map (`--perf-basic-prof`; callgrind only sees `???:0x...` addresses), so a JS
 * function shows as `JS:name file:line` next to V8's builtins and C++ runtime. Not in CI.
 *
 *   node bench/proxy/cg-functions.mjs <dumpA> <mapA> <dumpB> <mapB> [rows=30]
 *
 * With CG_COUNT=N (the windows counted N requests) the counts are divided by N instead.
 * With CG_BUNDLE=1 a JS function of any bundle (`file:///.../x.js`, e.g. bench/policies.mjs's
 * AF_ROUTES_LIB and BEFORE builds) is named without its file, so two builds' rows pair up.
 * (differential.mjs prints "<dump> <map>" for each target's main thread.) Prints the totals,
 * then the functions where A spends most over B, and the ones where B spends most over A.
 */
import { execFileSync } from 'node:child_process';
import { perfMapName, readPerfMap } from '../perf-map.mjs';

const [dumpA, mapA, dumpB, mapB, rowsArg = '30'] = process.argv.slice(2);
if (dumpB === undefined || mapB === undefined) {
  console.error('usage: node bench/proxy/cg-functions.mjs <dumpA> <mapA> <dumpB> <mapB> [rows]');
  process.exit(2);
}
/** Requests per dump: the bench's CG_COUNT (1,000 unless set). */
const REQUESTS = Number(process.env.CG_COUNT ?? 1_000);

const BUNDLE = process.env.CG_BUNDLE === '1';
const nameAt = (map, address) => {
  const name = perfMapName(map, address) ?? 'JIT code (not in the map)';
  return BUNDLE ? name.replace(/ file:\/\/\/\S+\.m?js$/, ' <bundle>') : name;
};

/** Self instructions per function name. */
function functions(dump, mapFile) {
  const map = readPerfMap(mapFile);
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', dump], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = new Map();
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (m === null || m[2] === 'PROGRAM TOTALS') continue;
    const ir = Number(m[1].replaceAll(',', ''));
    const address = /^\?\?\?:0x([0-9a-f]+)/.exec(m[2]);
    const name = address !== null ? nameAt(map, parseInt(address[1], 16)) : m[2].replace(/\s*\[.*\]$/, '').replace(/^\?\?\?:/, '');
    out.set(name, (out.get(name) ?? 0) + ir);
  }
  return out;
}

const a = functions(dumpA, mapA);
const b = functions(dumpB, mapB);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((name) => {
  const x = (a.get(name) ?? 0) / REQUESTS;
  const y = (b.get(name) ?? 0) / REQUESTS;
  return { name, x, y, d: x - y };
});
const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
const n = Number(rowsArg);
const fmt = (v) => Math.round(v).toLocaleString('en-US').padStart(8);
console.log(`instructions per request: A ${fmt(sum('x'))}, B ${fmt(sum('y'))}, A - B ${fmt(sum('d'))}\n`);
console.log('   A - B        A        B  function (A spends more)');
for (const r of [...rows].sort((p, q) => q.d - p.d).slice(0, n)) console.log(`${fmt(r.d)} ${fmt(r.x)} ${fmt(r.y)}  ${r.name.slice(0, 120)}`);
console.log('\n   A - B        A        B  function (B spends more)');
for (const r of [...rows].sort((p, q) => p.d - q.d).slice(0, n)) console.log(`${fmt(r.d)} ${fmt(r.x)} ${fmt(r.y)}  ${r.name.slice(0, 120)}`);
