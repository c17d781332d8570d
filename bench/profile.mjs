/**
 * A lookup loop to profile, and a summary of the profile it produces.
 *
 *   node bench/profile.mjs <table> [impl] [seconds] [kind] [out.cpuprofile]
 *   node bench/profile.mjs --summary <file>.cpuprofile [top]
 *
 * table: github | gateway | tenants, or a table of route objects (bench/request-tables.mjs:
 * github-methods | gateway-conditions); impl: a key from bench/peers.mjs, or from
 * bench/request-peers.mjs for a table of route objects (default ours-js; ours-js-interp for the
 * interpreter, or a peer, for contrast); kind: a corpus (default mixed).
 * The loop is the same as the benchmark's (distinct paths, cycled, a fresh string per lookup,
 * the corpus's request object as `q` on a table of route objects, results consumed). Set-up
 * and a 2 s warm-up are excluded: the V8 CPU profiler (the one behind --cpu-prof) is started
 * through node:inspector around the steady-state loop only, sampling every 100 us.
 * (Generated code has no URL: our generated lookup functions are n0, n1, ...; the
 * generated match builders show as "(anonymous)"; the timed loop is "benchLoop".)
 * The summary lists self time per function (and source line of the function), so the cost
 * can be attributed: our walk, the match builder, string/Map builtins, GC.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { buildTable, packPaths, routesObject } from './tables.mjs';
import { IMPLEMENTATIONS, loadOurs } from './peers.mjs';
import { REQUEST_TABLES, buildRequestTable } from './request-tables.mjs';
import { implementationsFor } from './request-peers.mjs';

if (process.argv[2] === '--summary') {
  const profile = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const top = Number(process.argv[4] ?? 25);
  const dt = new Map();
  // timeDeltas[i] is the time before sample i; attribute it to the sampled node.
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  // Shares are of the lookup work: the harness (string cutting, loop driver, profiler
  // plumbing) and idle time are left out.
  const HARNESS = new Set(['(idle)', '(program)', 'refill', 'runFor', 'dispatch', 'latin1Slice', 'now']);
  const byFn = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const t = dt.get(node.id) ?? 0;
    const f = node.callFrame;
    if (HARNESS.has(f.functionName)) continue;
    total += t;
    const file = f.url ? f.url.replace(/^.*\/(node_modules\/[^/]+(\/[^/]+)?|dist|bench)\//, '$1/') : '';
    const key = `${f.functionName || '(anonymous)'}  ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + t);
  }
  const rows = [...byFn.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [k, t] of rows) console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`);
  // Hot source lines (positionTicks) of functions in dist/, printed with the line's text.
  const lineTicks = new Map();
  let ticks = 0;
  for (const node of profile.nodes) {
    for (const pt of node.positionTicks ?? []) {
      ticks += pt.ticks;
      if (!node.callFrame.url.includes('/dist/')) continue;
      const k = `${node.callFrame.url}:${pt.line}`;
      lineTicks.set(k, (lineTicks.get(k) ?? 0) + pt.ticks);
    }
  }
  const files = new Map();
  const lineText = (key) => {
    const at = key.lastIndexOf(':');
    const url = key.slice(0, at);
    if (!files.has(url)) files.set(url, (profile.$sources?.[url] ?? readFileSync(new URL(url), 'utf8')).split('\n'));
    return files.get(url)[Number(key.slice(at + 1)) - 1]?.trim().slice(0, 110);
  };
  // Generated code (no URL): find the script holding the function by name, show its lines.
  const genTicks = new Map();
  for (const node of profile.nodes) {
    const f = node.callFrame;
    if (f.url || !/^n\d+$/.test(f.functionName) || !profile.$generated) continue;
    const src = profile.$generated.find((g) => g.includes(`function ${f.functionName}(`));
    if (!src) continue;
    const lines = src.split('\n');
    for (const pt of node.positionTicks ?? []) {
      const text = lines[pt.line - 1]?.trim().slice(0, 110) ?? '?';
      const k = `${f.functionName}:${pt.line}  ${text}`;
      genTicks.set(k, (genTicks.get(k) ?? 0) + pt.ticks);
    }
  }
  if (genTicks.size > 0) {
    console.log('\nhot lines in generated code (share of line-attributed samples):');
    for (const [k, n] of [...genTicks.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * n) / ticks).toFixed(1).padStart(5)}%  ${k}`);
  }
  console.log('\nhot lines in dist/ (share of line-attributed samples):');
  for (const [k, n] of [...lineTicks.entries()].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * n) / ticks).toFixed(1).padStart(5)}%  ${k.replace(/^.*\/dist\//, 'dist/')}  ${lineText(k)}`);
  process.exit(0);
}

const [table = 'tenants', key = 'ours-js', seconds = '5', kind = 'mixed', out = `bench-${table}-${key}.cpuprofile`] = process.argv.slice(2);
const withRequests = REQUEST_TABLES.includes(table);
const t = withRequests ? buildRequestTable(table, 50_000) : buildTable(table, 50_000);
const def = (withRequests ? implementationsFor(t) : IMPLEMENTATIONS).find((d) => d.key === key);
if (!def) throw new Error(`unknown implementation ${key}`);
// Keep the source of code generated with `new Function` (our generated matcher), so the
// summary can show its hot lines too. (Harness only: wraps the global Function constructor.)
const generatedSources = [];
const NativeFunction = globalThis.Function;
globalThis.Function = new Proxy(NativeFunction, {
  construct(target, argsList, newTarget) {
    const fn = Reflect.construct(target, argsList, newTarget === globalThis.Function ? target : newTarget);
    generatedSources.push(fn.toString());
    return fn;
  },
  apply(target, thisArg, argsList) {
    const fn = Reflect.apply(target, thisArg, argsList);
    generatedSources.push(fn.toString());
    return fn;
  },
});
const state = await def.build(t.patterns, t.routes ?? routesObject(t.patterns), await loadOurs(), t);
const paths = t.corpora[kind];
const requests = withRequests ? t.requests[kind] : null;
// dist/ may be rebuilt by someone else while this runs: keep the text that was loaded.
const distUrl = new URL('../dist/index.js', import.meta.url).href;
const distText = readFileSync(new URL(distUrl), 'utf8');
// Fresh strings per lookup, as in bench/lookup.mjs (cut in `refill`, which shows in the profile
// under its own name: leave it out when reading the shares).
const { packed, offsets } = packPaths(paths);
const CHUNK = 10_000;
const batch = new Array(CHUNK);
const qbatch = new Array(CHUNK);
let cursor = 0;
function refill() {
  for (let k = 0; k < CHUNK; k++) {
    batch[k] = packed.latin1Slice(offsets[cursor], offsets[cursor + 1]);
    if (requests !== null) qbatch[k] = requests[cursor];
    if (++cursor === paths.length) cursor = 0;
  }
}
globalThis.Function = NativeFunction;
const loop = new Function(
  'r',
  'h',
  'batch',
  'qbatch',
  `let s = 0; return function benchLoop(count) { for (let k = 0; k < count; k++) { const p = batch[k]; const q = qbatch[k]; ${def.loop} } return s; };`,
)(state.r, state.h, batch, qbatch);
let sink = 0;
let lookupMs = 0;
const runFor = (ms) => {
  const until = performance.now() + ms;
  let lookups = 0;
  lookupMs = 0;
  while (performance.now() < until) {
    refill();
    const t = performance.now();
    sink ^= loop(CHUNK);
    lookupMs += performance.now() - t;
    lookups += CHUNK;
  }
  return lookups;
};
runFor(2_000); // warm-up (tier-up), not profiled
// Profile only the steady-state loop: the same V8 CPU profiler as --cpu-prof, started after set-up.
const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, res) => (err ? reject(err) : resolve(res))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 100 });
await post('Profiler.start');
const lookups = runFor(Number(seconds) * 1000);
const elapsed = lookupMs;
const { profile } = await post('Profiler.stop');
// Keep the text of the files the profile points into, so line numbers stay readable even
// after dist/ is rebuilt.
profile.$sources = { [distUrl]: distText };
profile.$generated = generatedSources;
for (const node of profile.nodes) {
  const url = node.callFrame.url;
  if (url.startsWith('file:') && !(url in profile.$sources)) profile.$sources[url] = readFileSync(new URL(url), 'utf8');
}
writeFileSync(out, JSON.stringify(profile));
console.error(`${def.name} on ${t.title}, ${kind}: ${((elapsed * 1e6) / lookups).toFixed(0)} ns per lookup while profiled; profile in ${out} (sink ${sink})`);
