/**
 * Where compile time goes, stage by stage, next to find-my-way, in ONE process (issue 18's
 * compile goal: 10,000 routes in <= 0.25x find-my-way's time):
 *
 *   node --expose-gc bench/floors-compile.mjs [routes=10000] [runs=15] [--cpu-prof] [--only=tree,validate] [--drop] [--base=<dir>] [--heap-prof]
 *
 * The stages are the functions `compile()` runs, imported from src/ (bundled with esbuild into
 * a temporary file first, so no TypeScript loader is in the measured process):
 *   validate  `analyzeRoutes` (every rule, every issue, the compiled routes)
 *   tree      `createJsBackend` on the validated shapes (the interpreter's tree; a
 *             10,000-route tree is past the lookup generator's limits, so nothing is generated)
 *   builder   `matchBuilder` (the generated match builder: `new Function` of one switch)
 *   compile   `compile(routes, { backend: 'js' })`, all of the above plus the router
 * and two references:
 *   find-my-way  the same patterns through `on('GET', ...)` (plus `/x` for `/x/*`, as bench/compile.mjs)
 *   floor        one `split('/')` per pattern, one small object per route and one Map entry:
 *                what any compile that reads every pattern and keeps one record per route pays.
 * Each is timed in process CPU time (GC helper threads included: the figure a loaded machine
 * distorts least) and wall time, runs interleaved, min and median reported; a full GC runs
 * before each run so one stage does not pay for another's garbage (each stage's previous
 * result kept alive: see below).
 * `--cpu-prof` instead writes a V8 CPU profile of 30 compiles (ours, js) to /tmp; `--heap-prof` prints
 * the bytes each stage allocates per run, by function (V8's sampling heap profiler).
 * `--base=<dir>` adds the compile, validate and tree stages of another src/ tree, interleaved.
 *
 *   node --expose-gc bench/floors-compile.mjs --tier-up=github [--after=0,1024,never]
 *
 * measures instead what the deferred code generation costs later (src/match/tiering.ts): for
 * each threshold, in a fresh process, the cumulative process CPU time (V8's background compiler
 * threads included) of compile plus the first 10k ... 1M lookups of the table's mixed corpus
 * (`github`, `gateway`, or a number: the multi-tenant table of that many routes).
 */
import { build as esbuild } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { buildTable, prng, routesObject, tenantPatterns } from './tables.mjs';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const cpuProf = process.argv.includes('--cpu-prof');
const count = Number(args[0] ?? 10_000);
const runs = Number(args[1] ?? 15);
if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');

// --- the stages, from src/ -------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'floors-compile-'));
const entry = join(dir, 'entry.ts');
writeFileSync(
  entry,
  [
    `export { compile } from ${JSON.stringify(join(root, 'src/match/router.ts'))};`,
    `export { analyzeRoutes } from ${JSON.stringify(join(root, 'src/validate/validate.ts'))};`,
    `export { resolveMatchOptions } from ${JSON.stringify(join(root, 'src/options.ts'))};`,
    `export { createJsBackend } from ${JSON.stringify(join(root, 'src/match/tree.ts'))};`,
    `export { matchBuilder } from ${JSON.stringify(join(root, 'src/match/materialize.ts'))};`,
  ].join('\n'),
);
const outfile = join(dir, 'stages.mjs');
await esbuild({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error', absWorkingDir: root });
const src = await import(pathToFileURL(outfile).href);

// --base=<dir>: another checkout's src/ (e.g. `git archive <commit> src | tar -x -C <dir>`), bundled
// the same way; its compile, validate and tree stages run interleaved with ours (the before/after
// figure on a loaded machine). The directory must sit inside the repository, for node_modules.
const baseDir = process.argv.find((a) => a.startsWith('--base='))?.slice(7);
let base = null;
if (baseDir !== undefined) {
  const baseRoot = join(process.cwd(), baseDir);
  const baseEntry = join(dir, 'base-entry.ts');
  writeFileSync(baseEntry, readFileSync(entry, 'utf8').replaceAll(JSON.stringify(join(root, 'src')).slice(0, -1), JSON.stringify(join(baseRoot, 'src')).slice(0, -1)));
  const baseOut = join(dir, 'base-stages.mjs');
  await esbuild({ entryPoints: [baseEntry], bundle: true, format: 'esm', platform: 'node', outfile: baseOut, logLevel: 'error', absWorkingDir: baseRoot });
  base = await import(pathToFileURL(baseOut).href);
}

// --- --tier-up: the cost of tiering up, one fresh process per threshold ---------------------
const tierUp = process.argv.find((a) => a.startsWith('--tier-up='))?.slice(10);
const tierChild = process.argv.find((a) => a.startsWith('--tier-child='))?.slice(13);
if (tierUp !== undefined) {
  const afters = (process.argv.find((a) => a.startsWith('--after='))?.slice(8) ?? '0,1024,never').split(',');
  const script = fileURLToPath(import.meta.url);
  console.log(`## compile + first K lookups, cumulative process CPU ms (${tierUp}; threshold = ROUTING_CORE_CODEGEN_AFTER)`);
  for (const after of afters) process.stdout.write(execFileSync(process.execPath, ['--expose-gc', script, `--tier-child=${tierUp},${after}`], { encoding: 'utf8' }));
  process.exit(0);
}
if (tierChild !== undefined) {
  const [table, after] = tierChild.split(',');
  process.env.ROUTING_CORE_CODEGEN_AFTER = after === 'never' ? String(Number.MAX_SAFE_INTEGER) : after;
  let tableRoutes;
  let paths;
  if (/^\d+$/.test(table)) {
    const n = Number(table);
    tableRoutes = routesObject(tenantPatterns(n).patterns);
    const rnd = prng(7);
    const tenants = Math.max(1, Math.floor((n - 1) / 4));
    paths = Array.from({ length: 200_000 }, (_, i) => {
      const t = Math.floor(rnd() * tenants);
      const v = (i * 7919 + 13).toString(36);
      return i % 4 === 0 ? `/t${t}/health` : i % 4 === 1 ? `/t${t}/users/${v}` : i % 4 === 2 ? `/t${t}/api/${v}/x` : `/t${t}/users/${v}/orders/${i}`;
    });
  } else {
    const t = buildTable(table, 20_000);
    tableRoutes = routesObject(t.patterns);
    paths = t.corpora.mixed;
  }
  const marks = [10_000, 100_000, 300_000, 1_000_000];
  const out = [];
  const start = process.cpuUsage();
  const router = src.compile(tableRoutes, { backend: 'js', limits: { maxRoutes: 100_000 } });
  let k = 0;
  for (const m of marks) {
    for (; k < m; k++) router.match(paths[k % paths.length]);
    const d = process.cpuUsage(start);
    out.push(`${m.toLocaleString('en-US')}: ${((d.user + d.system) / 1000).toFixed(0)}`);
  }
  console.log(`threshold ${after.padStart(5)} (engine ${router.engine}): ${out.join(', ')}`);
  process.exit(0);
}

const { patterns } = tenantPatterns(count);
const routes = routesObject(patterns);
const limits = { limits: { maxRoutes: Math.max(count, 10_000) } };
const resolved = src.resolveMatchOptions(limits);
const analysis = src.analyzeRoutes(routes, resolved);
if (!analysis.valid) throw new Error('table invalid');
const shapes = analysis.routes.map((r) => r.shape);

const fmwList = [];
for (const p of patterns) {
  fmwList.push(p);
  if (p.endsWith('/*') && p !== '/*') fmwList.push(p.slice(0, -2));
}
const FindMyWay = require('find-my-way');
const handler = () => {};

const stages = {
  'compile (ours, js)': () => src.compile(routes, { backend: 'js', ...limits }),
  'validate (analyzeRoutes)': () => src.analyzeRoutes(routes, resolved),
  'tree (createJsBackend)': () => src.createJsBackend(shapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: true }),
  'match builder (matchBuilder)': () => src.matchBuilder(analysis.routes, true),
  ...(base === null
    ? {}
    : {
        'compile (base)': () => base.compile(routes, { backend: 'js', ...limits }),
        'validate (base)': () => base.analyzeRoutes(routes, resolved),
        'tree (base)': () => base.createJsBackend(shapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: true }),
      }),
  'find-my-way': () => {
    const r = FindMyWay();
    for (let i = 0; i < fmwList.length; i++) r.on('GET', fmwList[i], handler, { id: i });
    return r;
  },
  'floor: split + record + Map entry per route': () => {
    const m = new Map();
    for (const [pattern, target] of Object.entries(routes)) m.set(pattern, { pattern, target, shape: pattern.split('/') });
    return m;
  },
};

if (cpuProf) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  for (let i = 0; i < 30; i++) stages['compile (ours, js)']();
  const { profile } = await session.post('Profiler.stop');
  const file = join(tmpdir(), `floors-compile-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`profile: ${file} (summary: node bench/profile.mjs --summary ${file})`);
  process.exit(0);
}

/*
 * `--heap-prof`: bytes each stage allocates per run (V8's sampling heap profiler, objects either
 * GC collected included: allocation, not what stays live), in total and by function, over 10
 * runs. Unlike time, allocation does not move with the machine's load; on this table it is what
 * the scavenges (a third of compile's CPU profile) are paid for.
 */
if (process.argv.includes('--heap-prof')) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  const byFunction = (head) => {
    const out = new Map();
    const walk = (node) => {
      if (node.selfSize > 0) {
        const f = node.callFrame;
        const name = `${f.functionName || '(anonymous)'}:${f.lineNumber + 1}`;
        out.set(name, (out.get(name) ?? 0) + node.selfSize);
      }
      for (const c of node.children) walk(c);
    };
    walk(head);
    return out;
  };
  const heapRuns = 10;
  for (const [name, fn] of Object.entries(stages)) {
    if (name.startsWith('find-my-way') || name.startsWith('floor')) continue;
    fn(); // warm-up, outside the sampling
    await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const keep = [];
    for (let i = 0; i < heapRuns; i++) keep.push(fn());
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const fns = [...byFunction(profile.head)].sort((a, b) => b[1] - a[1]);
    const total = fns.reduce((sum, [, b]) => sum + b, 0);
    console.log(`## ${name}: ${(total / heapRuns / 1024).toFixed(0)} KB allocated per run (${(total / heapRuns / count) | 0} B per route)`);
    for (const [f, b] of fns.slice(0, 12)) console.log(`  ${(b / heapRuns / 1024).toFixed(0).padStart(6)} KB  ${f}`);
  }
  process.exit(0);
}

// `--only=tree,find` keeps the stages whose name contains one of the words (find-my-way always stays: the ratios need it).
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
if (only) for (const name of Object.keys(stages)) if (name !== 'find-my-way' && !only.some((w) => name.includes(w))) delete stages[name];
const times = Object.fromEntries(Object.keys(stages).map((k) => [k, { cpu: [], wall: [] }]));
/*
 * Each stage's previous result stays alive while it runs again (as a server keeps its current
 * router while it compiles the next table, and as bench/compile.mjs holds its cold build).
 * Dropping every result before the full GC let V8 collect the hidden classes of a stage's
 * objects (the tree's nodes, validation's records): the next run then deoptimized the code that
 * had them in its dependencies and re-optimized it on the clock (`--trace-deopt`: "code
 * dependencies", "weak objects"), so it measured the JIT more than the work: the tree stage alone
 * took 20-80 ms where 5-10 ms is its cost once optimized (notes-compile.md, session 22).
 * `--drop` restores the old behaviour.
 */
const drop = process.argv.includes('--drop');
const kept = {};
for (const [name, fn] of Object.entries(stages)) kept[name] = fn(); // warm-up
for (let run = 0; run < runs; run++) {
  const names = Object.keys(stages);
  const shift = run % names.length;
  for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
    if (drop) kept[name] = null;
    globalThis.gc();
    const c = process.cpuUsage();
    const t = performance.now();
    kept[name] = stages[name]();
    const wall = performance.now() - t;
    const d = process.cpuUsage(c);
    times[name].cpu.push((d.user + d.system) / 1000);
    times[name].wall.push(wall);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const min = (xs) => Math.min(...xs);
const fmw = times['find-my-way'];
console.log(`## compile of ${patterns.length} routes, ${runs} interleaved runs${drop ? ' (--drop)' : ''}, load ${(await import('node:os')).loadavg()[0].toFixed(1)}`);
console.log('| stage | CPU ms min / median | wall ms min / median | CPU vs find-my-way (median) |');
console.log('| --- | ---: | ---: | ---: |');
for (const [name, t] of Object.entries(times)) {
  console.log(
    `| ${name} | ${min(t.cpu).toFixed(1)} / ${med(t.cpu).toFixed(1)} | ${min(t.wall).toFixed(1)} / ${med(t.wall).toFixed(1)} | ${(med(t.cpu) / med(fmw.cpu)).toFixed(2)}x |`,
  );
}
