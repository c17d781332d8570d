/**
 * Runs the benchmarks and writes the report.
 *
 *   npm run bench      full run: every corpus, compile at 1k/10k/100k routes, proxy;
 *                      writes bench/results/latest.json and bench/results/latest.md
 *   npm run bench:ci   short run (< 2 minutes): mixed corpus only, compile at 10k, short
 *                      proxy runs; prints the table (also bench/results/ci.{json,md},
 *                      git-ignored) and exits 1 ONLY on a gross regression:
 *                        - ours (js) slower than find-my-way on a table,
 *                        - on the GitHub table with methods, ours (js) or ours (auto)
 *                          above 0.5x find-my-way (issue 12's target), or
 *                        - the backend auto picks slower than the other one.
 *                      A failing check is re-measured once in a fresh process (only the
 *                      implementations it compares, a longer warm-up, more rounds) and
 *                      fails only if the re-run confirms it.
 *
 * The benchmarks import the package by its own name, i.e. the built dist/ that users get,
 * with no TypeScript loader; dist/ is (re)built first when missing or older than src/.
 * Options: --ci, --build (force a build), --skip=lookup,compile,proxy,
 * --tables=github,gateway,tenants,github-methods,gateway-conditions. Environment:
 * BENCH_LOOKUP_NODE_ARGS (below).
 */
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { TABLES } from './tables.mjs';
import { REQUEST_TABLES } from './request-tables.mjs';
import { runProxy } from './proxy.mjs';
import { gate, renderMarkdown, targets } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const ci = args.includes('--ci');
const argValue = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const skip = new Set((argValue('skip') ?? '').split(',').filter(Boolean));
const tables = (argValue('tables') ?? [...TABLES, ...REQUEST_TABLES].join(',')).split(',');

/**
 * The benchmarks measure the built package (dist/). Build it (`npm run build:ts`) when it is
 * missing or older than any source file, or with --build; CI has just built it, so the short
 * run does not pay for a second build.
 */
function ensureBuilt() {
  const root = join(here, '..');
  const dist = join(root, 'dist', 'index.js');
  let stale = args.includes('--build') || !existsSync(dist);
  if (!stale) {
    const built = statSync(dist).mtimeMs;
    const newer = (dir) =>
      readdirSync(dir, { withFileTypes: true }).some((e) => {
        const p = join(dir, e.name);
        return e.isDirectory() ? newer(p) : statSync(p).mtimeMs > built;
      });
    stale = newer(join(root, 'src')) || ['package.json', 'tsup.config.ts'].some((f) => existsSync(join(root, f)) && statSync(join(root, f)).mtimeMs > built);
  }
  if (!stale) return;
  process.stderr.write('[bench] dist/ is missing or older than src/: npm run build:ts\n');
  const r = spawnSync('npm', ['run', 'build:ts'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    process.stderr.write('[bench] the package does not build: nothing to measure\n');
    process.exit(2);
  }
}
ensureBuilt();

const CONFIG = ci
  ? {
      // The gate's implementations and the fastest peers; the slow baselines only in full runs.
      lookup: {
        perKind: 50_000,
        kinds: ['mixed'],
        rounds: 4,
        time: 100,
        warmupTime: 50,
        verifySample: 1_500,
        prewarmMs: 300,
        only: ['ours-js', 'ours-js-interp', 'ours-native', 'find-my-way', 'memoirist', 'medley'],
      },
      // Per table, implementations added to `only`: every peer that does methods; ours on the
      // conditions table's plain twin.
      also: { 'github-methods': ['rou3'], 'gateway-conditions': ['ours-js-plain', 'ours-js-interp-plain', 'ours-native-plain'] },
      // 5 warm runs: a single one often lands on a major GC of the cold compile's garbage (measured 0.95x once, 0.35x re-run).
      compile: [{ routes: 10_000, runs: 5, warmups: 5 }],
      proxy: { seconds: 2, warmupSeconds: 0.5, rounds: 1 },
    }
  : {
      lookup: { perKind: 50_000, rounds: 5, time: 150, warmupTime: 100, verifySample: 4_000, prewarmMs: 1_000 },
      // The same tables with the corpus strings replayed (hash cached in the string, old and
      // scattered objects): how replaying skews a benchmark. Not used by targets or the gate.
      reused: { perKind: 50_000, kinds: ['static', 'mixed'], rounds: 3, time: 120, warmupTime: 60, verifySample: 500, prewarmMs: 1_000, strings: 'reused' },
      compile: [
        { routes: 1_000, runs: 15, warmups: 10 },
        { routes: 10_000, runs: 7, warmups: 5 },
        { routes: 100_000, runs: 3, warmups: 1 },
      ],
      proxy: { seconds: 6, warmupSeconds: 2, rounds: 3 },
    };

/**
 * Lookup processes compile optimized code on the main thread: the figures are steady-state
 * ones, and on a loaded shared machine V8's background compiler threads get so little CPU
 * that a big generated matcher can stay unoptimized through the whole warm-up and timing
 * (seen here: ours (js) 3-5x slower than its optimized self, under load 14 on 2 cores). The
 * optimized code is the same either way; only when it arrives changes. compile.mjs, which
 * measures warm-up itself, keeps V8's default. BENCH_LOOKUP_NODE_ARGS adds flags (e.g.
 * '--trace-opt --trace-deopt', with BENCH_PHASES=1 to mark lookup.mjs's phases in the output).
 */
const LOOKUP_NODE_ARGS = ['--no-concurrent-recompilation', ...(process.env.BENCH_LOOKUP_NODE_ARGS ?? '').split(' ').filter(Boolean)];

const started = performance.now();
const log = (msg) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${msg}\n`);
const work = join(tmpdir(), `routing-core-bench-${process.pid}`);
mkdirSync(work, { recursive: true });

/** Runs a bench script in a fresh node process; it writes its JSON result to a file. */
function child(script, nodeArgs, options) {
  const out = join(work, `${script.replace(/\W/g, '_')}-${Math.random().toString(36).slice(2)}.json`);
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeArgs, join(here, script), JSON.stringify(options), out], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.once('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(`${script} ${JSON.stringify(options)} failed (${signal ?? code})`));
      resolve(JSON.parse(readFileSync(out, 'utf8')));
    });
  });
}

/**
 * The last full run's lookup figures (bench/results/latest.json, read before a full run
 * overwrites it): tables without conditions are compared with them in the report.
 */
function previousResults() {
  const file = join(here, 'results', 'latest.json');
  if (!existsSync(file)) return null;
  try {
    const prev = JSON.parse(readFileSync(file, 'utf8'));
    return {
      source: 'bench/results/latest.json',
      mode: prev.meta.mode,
      date: prev.meta.date,
      commit: prev.meta.commit,
      lookups: prev.lookups.map(({ table, family, impls }) => ({ table, family, impls: impls.map(({ key, available, ns }) => ({ key, available, ns })) })),
    };
  } catch {
    return null;
  }
}

function gitInfo() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: here, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const results = { meta: {}, lookups: [], lookupsReused: [], compile: [], proxy: null, previous: previousResults() };
try {
  if (!skip.has('lookup')) {
    for (const table of tables) {
      log(`lookup: ${table}`);
      const only = CONFIG.lookup.only && [...CONFIG.lookup.only, ...(CONFIG.also?.[table] ?? [])];
      const r = await child('lookup.mjs', LOOKUP_NODE_ARGS, { ...CONFIG.lookup, only, table });
      results.lookups.push(r);
      const mixed = r.impls.filter((i) => i.ns?.mixed !== undefined).map((i) => `${i.key} ${i.ns.mixed.toFixed(0)}`);
      log(`  mixed, ns per lookup: ${mixed.join(', ')}`);
      if (CONFIG.reused && !REQUEST_TABLES.includes(table)) {
        log(`lookup: ${table}, replayed (hash-cached) strings`);
        results.lookupsReused.push(await child('lookup.mjs', LOOKUP_NODE_ARGS, { ...CONFIG.reused, table }));
      }
    }
  }
  if (!skip.has('compile')) {
    for (const { routes, runs, warmups } of CONFIG.compile) {
      for (const impl of ['ours-js', 'ours-js-interp', 'ours-native', 'find-my-way']) {
        log(`compile: ${impl}, ${routes} routes`);
        results.compile.push(await child('compile.mjs', ['--expose-gc'], { impl, routes, runs, warmups }));
      }
    }
  }
  if (!skip.has('proxy')) {
    log('proxy');
    results.proxy = await runProxy({ ...CONFIG.proxy, log });
  }

  // Gate, with a confirming re-run of any failing table before declaring a regression.
  results.gate = gate(results.lookups);
  for (const g of results.gate.filter((x) => !x.pass && !x.informational)) {
    log(`gate: "${g.check}" failed on ${g.table} (${g.ratio.toFixed(2)}x); re-measuring`);
    const again = await child('lookup.mjs', LOOKUP_NODE_ARGS, { ...CONFIG.lookup, table: g.table, kinds: ['mixed'], only: g.keys, rounds: 5, time: 120, prewarmMs: 1_500 });
    const recheck = gate([again]).find((x) => x.check === g.check);
    if (recheck) {
      g.confirmRatio = recheck.ratio;
      g.pass = recheck.pass;
    }
  }
  await compileGate(results);
  results.targets = targets(results);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/**
 * Compile gate (issue 18; bench/results/notes-compile.md): ours (js) compiling the 10,000-route
 * table against find-my-way, on process CPU time (compile.mjs `warmCpuMs`: wall time on this
 * shared machine mostly measures waiting for a core). Measured since tiered code generation
 * (session 23, load 9-13 on 2 shared cores): 0.18-0.23x in one process (bench/floors-compile.mjs
 * style A/B), 0.25-0.35x in bench/compile.mjs runs, and 0.26-0.57x (median 0.34x) as this gate's
 * first pass in six `bench:ci` runs (separate processes: find-my-way's own time swung 200-729 ms).
 * Before the compile work it measured 0.62-1.24x. Session 24 (validation's shape index, fewer
 * allocations, and untimed warm-up compiles before the timed ones) brought it to 0.11-0.12x in a
 * clean-clone CI run and a full run (0.14-0.15x in one process at load 7-18). So the gate is now
 * the goal itself, 0.25x: about twice the typical figure, as 0.5x was before. A failure is re-measured as three interleaved
 * pairs (ours, find-my-way, ours, ...) with 7 warm runs each, and counts only if the median
 * pair's ratio fails too: a load change between two processes moves one pair, not three.
 */
async function compileGate(res) {
  const COMPILE_GATE = 0.25;
  const pick = (list, impl) => list.find((c) => c.routes === 10_000 && c.impl === impl && c.available && c.warmCpuMs !== undefined);
  const ours = pick(res.compile, 'ours-js');
  const fmw = pick(res.compile, 'find-my-way');
  if (!ours || !fmw) return;
  const g = {
    table: 'compile',
    title: 'Compile, 10,000 routes (CPU time)',
    check: `ours (js) ≤ ${COMPILE_GATE}x find-my-way (target 0.25x)`,
    keys: ['ours-js', 'find-my-way'],
    ratio: ours.warmCpuMs / fmw.warmCpuMs,
  };
  g.pass = g.ratio <= COMPILE_GATE;
  if (!g.pass) {
    log(`gate: "${g.check}" failed (${g.ratio.toFixed(2)}x); re-measuring in three interleaved pairs`);
    const ratios = [];
    for (let pair = 0; pair < 3; pair++) {
      const again = [];
      for (const impl of ['ours-js', 'find-my-way']) again.push(await child('compile.mjs', ['--expose-gc'], { impl, routes: 10_000, runs: 7, warmups: 5 }));
      const a = pick(again, 'ours-js');
      const b = pick(again, 'find-my-way');
      if (a && b) ratios.push(a.warmCpuMs / b.warmCpuMs);
    }
    if (ratios.length > 0) {
      ratios.sort((x, y) => x - y);
      g.confirmRatio = ratios[ratios.length >> 1];
      g.pass = g.confirmRatio <= COMPILE_GATE;
    }
  }
  res.gate.push(g);
}

const cpuList = cpus();
results.meta = {
  mode: ci ? 'ci' : 'full',
  date: new Date().toISOString(),
  node: process.versions.node,
  cpus: cpuList.length,
  cpu: cpuList[0]?.model?.trim() ?? 'unknown',
  ...gitInfo(),
  totalSeconds: (performance.now() - started) / 1000,
  config: CONFIG,
};

const markdown = renderMarkdown(results);
const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const base = ci ? 'ci' : 'latest';
writeFileSync(join(dir, `${base}.json`), JSON.stringify(results, null, 1) + '\n');
writeFileSync(join(dir, `${base}.md`), markdown + '\n');
process.stdout.write(markdown + '\n');
log(`wrote bench/results/${base}.json and bench/results/${base}.md`);

const failed = results.gate.filter((g) => !g.pass && !g.informational);
if (failed.length && ci) {
  process.stderr.write(
    `\nbench:ci gate FAILED (confirmed by a re-run):\n${failed.map((g) => `  ${g.title}: ${g.check}: ${g.ratio.toFixed(2)}x, re-run ${g.confirmRatio?.toFixed(2)}x`).join('\n')}\n`,
  );
  process.exitCode = 1;
}
