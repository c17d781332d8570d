/**
 * Compile cost and retained memory of ONE implementation for ONE table size, in a fresh
 * process (bench/run.mjs starts one per pair, with --expose-gc), so heap figures are not
 * disturbed by anything else:
 *
 *   node --expose-gc bench/compile.mjs '{"impl":"ours-js","routes":10000,"runs":5}' <out.json>
 *
 * The table is the multi-tenant shape (bench/tables.mjs, 4 routes per tenant plus `/*`).
 * The input (route object or pattern list) is built BEFORE the first heap reading, so only
 * what the compiled router keeps is counted:
 *   retained heap = heapUsed after (router held, two full GCs) - heapUsed before.
 * The native backend keeps its tree in Rust memory, outside the V8 heap: for it the RSS
 * growth is the meaningful figure (and a coarse one). Time: the first (cold) compile, and
 * the median of `runs` further compiles after `warmups` untimed ones (warm JIT), each result dropped, in wall time and in
 * process CPU time (`warmCpuMs`, what bench:ci gates: robust to waiting for a core). And the mean cost of
 * the first 50,000 lookups (distinct paths) right after the cold compile: what a freshly
 * compiled table costs before the JIT has caught up (lazy compilation, generated code).
 */
/*
 * Fairness: ours defers its generated code (src/match/tiering.ts): the interpreter and the
 * generic match builder serve a table's first 1,024 lookups, then the generated lookup (where
 * the tree fits the generator: not this 10,000-route table) and match builder are built and
 * swapped in. So every compile timed here, cold and warm, is `compile(routes)` PLUS one
 * `match()`, and find-my-way's is its `on()` calls plus one `find()`: the figures are what a
 * server pays before it answers its first request; the tier-up lands in the first-50k-lookups
 * figure. `warmCpuRuns` lists every warm run's CPU time (sorted) next to the median.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { prng, routesObject, tenantPatterns } from './tables.mjs';
import { loadOurs } from './peers.mjs';

const require = createRequire(import.meta.url);
const opts = { impl: 'ours-js', routes: 10_000, runs: 5, warmups: 5, ...JSON.parse(process.argv[2] ?? '{}') };
const outFile = process.argv[3];
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

const { patterns } = tenantPatterns(opts.routes);
const routes = routesObject(patterns);
const limits = { maxRoutes: Math.max(opts.routes, 10_000) };

// Distinct request paths over this table's tenants, for the first lookups after compiling.
const rnd = prng(0xc01d);
const tenants = Math.max(1, Math.floor((opts.routes - 1) / 4));
const FIRST_LOOKUPS = 50_000;
const firstPaths = [];
for (let i = 0; i < FIRST_LOOKUPS; i++) {
  const t = Math.floor(rnd() * tenants);
  const v = (i * 7919 + 13).toString(36);
  firstPaths.push(i % 4 === 0 ? `/t${t}/health` : i % 4 === 1 ? `/t${t}/users/${v}` : i % 4 === 2 ? `/t${t}/api/${v}/x` : `/t${t}/users/${v}/orders/${i}`);
}

let build;
let find;
if (opts.impl === 'ours-js' || opts.impl === 'ours-js-interp' || opts.impl === 'ours-native') {
  const ours = await loadOurs();
  const backend = opts.impl === 'ours-native' ? 'native' : 'js';
  const codegen = opts.impl !== 'ours-js-interp';
  build = () => {
    const router = ours.compile(routes, { backend, codegen, limits });
    router.match(firstPaths[0]);
    return router;
  };
  find = (r, p) => (r.match(p) === null ? 0 : 1);
} else if (opts.impl === 'find-my-way') {
  const FindMyWay = require('find-my-way');
  // Same meaning as ours: `/t1/api/*` also answers `/t1/api` (see bench/peers.mjs).
  const list = [];
  for (const p of patterns) {
    list.push(p);
    if (p.endsWith('/*') && p !== '/*') list.push(p.slice(0, -2));
  }
  const handler = () => {};
  build = () => {
    const r = FindMyWay();
    for (let i = 0; i < list.length; i++) r.on('GET', list[i], handler, { id: i });
    r.find('GET', firstPaths[0]);
    return r;
  };
  find = (r, p) => (r.find('GET', p) === null ? 0 : 1);
} else {
  throw new Error(`unknown implementation ${opts.impl}`);
}

const gcAll = () => {
  globalThis.gc();
  globalThis.gc();
};

let result;
try {
  gcAll();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const kept = build();
  const cold = performance.now() - t0;
  gcAll();
  const after = process.memoryUsage();
  globalThis.__kept = kept;

  // The first lookups after a cold compile: lazy compilation and tier-up of whatever the
  // compiled router runs (generated code included) show here, not in the compile time.
  let hits = 0;
  const t1 = performance.now();
  for (let i = 0; i < FIRST_LOOKUPS; i++) hits += find(kept, firstPaths[i]);
  const firstLookupsNs = ((performance.now() - t1) * 1e6) / FIRST_LOOKUPS;
  if (hits !== FIRST_LOOKUPS) throw new Error(`only ${hits} of ${FIRST_LOOKUPS} first lookups matched`);

  // Untimed compiles first (`warmups`, every implementation alike): right after the cold
  // compile V8 is still optimizing the compile's own code on its compiler thread, which process
  // CPU counts, so the runs just after it measured the optimizer as much as the work (ours'
  // runs spread 45-71 ms there against 25-35 ms settled: notes-compile.md, session 24). The
  // timed runs are then what their name says: warm.
  for (let i = 0; i < opts.warmups; i++) {
    build();
    if (opts.routes >= 100_000) gcAll();
  }
  const warm = [];
  const warmCpu = [];
  for (let i = 0; i < opts.runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    build();
    warm.push(performance.now() - t);
    const d = process.cpuUsage(c);
    warmCpu.push((d.user + d.system) / 1000);
    if (opts.routes >= 100_000) gcAll();
  }
  warm.sort((a, b) => a - b);
  warmCpu.sort((a, b) => a - b);
  result = {
    impl: opts.impl,
    routes: patterns.length,
    available: true,
    coldMs: cold,
    firstLookupsNs,
    warmups: opts.warmups,
    warmMs: warm[warm.length >> 1],
    warmRuns: warm,
    // CPU time of the process (all its threads, GC helpers included) over the same warm runs:
    // on a shared, loaded machine wall time mostly measures waiting for a core; this does not.
    warmCpuMs: warmCpu[warmCpu.length >> 1],
    warmCpuRuns: warmCpu,
    heapBytes: after.heapUsed - before.heapUsed,
    externalBytes: after.external - before.external,
    rssBytes: after.rss - before.rss,
  };
} catch (e) {
  result = { impl: opts.impl, routes: patterns.length, available: false, reason: String(e.message ?? e).split('\n')[0] };
}
const text = JSON.stringify(result);
if (outFile) writeFileSync(outFile, text);
else console.log(text);
