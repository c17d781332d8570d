/**
 * Instructions, branches and branch MISPREDICTS per lookup, counted by valgrind's callgrind
 * (`--branch-sim=yes`): figures that do not move with the machine's load, for one router on one
 * table's corpus at steady state.
 *
 *   node bench/lookup-counts.mjs [tables=github,gateway] [impls=ours-js,medley] [kinds=all]
 *        [--window=20000] [--dist=<dir>] [--runs=3] [--functions=N] [--cache] [--keep]
 *
 * tables: bench/tables.mjs names; impls: keys of bench/peers.mjs (`null` is a loop that only
 * reads the path's length: the harness's own share; `floor` is floors-lookup.mjs's floor program); kinds: corpora (static, param, miss,
 * catch-all, mixed; default every corpus of the table); --dist: another build of the package
 * (a copy of `dist/`) for "ours" instead of ./dist (the before of an A/B); --runs: processes per
 * row (default 3; instructions repeat to ~1% in one invocation, a few % between invocations as
 * scavenges land differently; mispredicts move by up to ~15% with where V8 put
 * the code, as the simulated predictor is indexed by address: the row is the median, each run's
 * mispredicts are listed); --functions=N: per row (its first run), the N
 * functions with the most instructions and their mispredicts, JIT code named through V8's perf map
 * (`--perf-basic-prof`); --cache: callgrind's cache simulation too (L1 instruction and data
 * misses, last level; the host's cache geometry), which the branch counts leave out: a walk
 * emitted as code has its footprint in the instruction cache, a table walked as data in the data
 * cache; --keep: keep the dumps.
 *
 * Per row, one `node` under valgrind (`--instr-atstart=no`: nothing is counted until asked):
 * 1. the child builds the table (10,000 distinct paths per corpus kind, the generators of
 *    bench/tables.mjs) and the router, and warms it up with 5 passes over the corpus (and at
 *    least 400,000 lookups) in batches
 *    of 300 FRESH strings (latin1Slice of one Buffer, as bench/lookup.mjs and profile.mjs cut
 *    them), uninstrumented (fast); V8 runs `--single-threaded` (its optimizing compiler and GC on
 *    the main thread, so nothing of theirs lags behind into the window, and the optimizer's
 *    work can be told apart by function name) and `--no-flush-bytecode`;
 * 2. it cuts the strings of the pre-window and of the window beforehand (fresh, never looked
 *    up), so the counted loop does nothing but lookups (callgrind simulates no caches here, so
 *    where the strings lie does not matter);
 * 3. the driver switches instrumentation on (`callgrind_control -i on`), the child runs 2,000
 *    lookups (the simulated predictor's tables warm up), the driver zeroes the counters
 *    (`-z`), the child runs the window, the driver dumps (`-d`).
 * The dump is read per function: V8's optimizing compiler (which should be 0 after the
 * warm-up: printed, so a row that was still compiling shows) and the GC are reported apart;
 * the rest, per lookup: Ir (instructions), Bc / Bcm (conditional branches / mispredicted),
 * Bi / Bim (indirect jumps, e.g. a `switch` compiled to a jump table, returns are not counted /
 * mispredicted).
 *
 * What callgrind's branch simulation is: a 2-bit saturating counter per conditional-branch
 * address (16K entries, no global history) and a last-target buffer for indirect jumps (512
 * entries). A real core (this one: AMD Zen 3) predicts better, using history, so the counts are
 * an upper bound on what is unpredictable, and the right tool to compare two walks on the same
 * corpus; they are not cycles. A rough cost: a mispredict costs ~13 cycles (~5 ns here) on Zen 3.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildTable, packPaths, routesObject } from './tables.mjs';
import { IMPLEMENTATIONS, loadOurs } from './peers.mjs';
import { GC } from './proxy/callgrind.mjs';
import { perfMapName, readPerfMap } from './perf-map.mjs';
import { floorProgram } from './floors-lookup.mjs';

const PER_KIND = 10_000;
const WARM_PASSES = 5;
/**
 * And at least this many lookups: rarely called generated functions (e.g. GitHub's `n5`, under a
 * few routes) got hot only after 5 passes of 10,000 parameter paths, and TurboFan compiled them
 * inside the window (the compiler column showed it).
 */
const WARM_LOOKUPS = 400_000;
const BATCH = 300;
const PRE = 2_000;
const COMPILER = /compiler::|turboshaft|maglev|Compile|Parser::|Parse[A-Z]/;
/** With --cache, callgrind's cache simulation adds I1mr (L1 instruction misses) and D1mr/D1mw (L1 data read/write misses) and the last level's. */
const EVENTS = ['Ir', 'Bc', 'Bcm', 'Bi', 'Bim', 'I1mr', 'D1mr', 'D1mw', 'ILmr', 'DLmr', 'DLmw'];

const NULL_IMPL = { name: 'null (harness loop only)', key: 'null', build: () => ({ r: null }), loop: 's ^= p.length;' };
/**
 * `floor`: floors-lookup.mjs's floor program (not a matcher: each path's route is known
 * beforehand, read by its corpus index `k`), so ours' counts can be split into the floor's work
 * and what ours adds above it (the decision, the match object's extra fields).
 */
const FLOOR_IMPL = {
  name: 'floor (js): read chars once, slice params, allocate result',
  key: 'floor',
  build: async (ours, table, paths) => {
    const router = ours.compile(routesObject(table.patterns), { backend: 'js', limits: { maxRoutes: 1_000_000 } });
    const { floor, ids, routeOf, sl, E } = floorProgram((p) => router.match(p), paths);
    return { r: { ids, R: routeOf, sl, E }, h: floor };
  },
  loop: 'const k = idx[j]; const m = h(p, r.ids[k], r.R[k], r.sl, r.E); s ^= m === null ? -1 : m.route.index;',
};

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await driver(process.argv.slice(2));

/** The process under valgrind: warm up, then run the pre-window and the window on the driver's word. */
async function child([tableName, key, kind, windowArg, dist, tableModule]) {
  const table = (tableModule ? (await import(pathToFileURL(tableModule).href)).buildTable : buildTable)(tableName, PER_KIND);
  const paths = table.corpora[kind];
  if (paths === undefined) throw new Error(`table ${tableName} has no corpus ${kind} (${Object.keys(table.corpora).join(', ')})`);
  const def = key === 'null' ? NULL_IMPL : key === 'floor' ? FLOOR_IMPL : IMPLEMENTATIONS.find((d) => d.key === key);
  if (def === undefined) throw new Error(`unknown implementation ${key}`);
  const ours = dist ? await import(pathToFileURL(resolve(dist, 'index.js')).href) : await loadOurs();
  const state = def === FLOOR_IMPL ? await def.build(ours, table, paths) : await def.build(table.patterns, routesObject(table.patterns), ours, table);
  const loop = new Function(
    'r',
    'h',
    `/* ${def.name} */ let s = 0; return function benchLoop(batch, from, n, idx) { for (let j = from; j < from + n; j++) { const p = batch[j]; ${def.loop} } return s; };`,
  )(state.r, state.h);
  const { packed, offsets } = packPaths(paths);
  let cursor = 0;
  // Each string's corpus index beside it (`idx`): read by the floor's loop only.
  const cut = (into, count) => {
    into.idx ??= new Int32Array(count);
    for (let k = 0; k < count; k++) {
      into[k] = packed.latin1Slice(offsets[cursor], offsets[cursor + 1]);
      into.idx[k] = cursor;
      if (++cursor === paths.length) cursor = 0;
    }
    return into;
  };
  let sink = 0;
  const batch = new Array(BATCH);
  for (let done = 0; done < Math.max(WARM_PASSES * paths.length, WARM_LOOKUPS); done += BATCH) sink ^= loop(cut(batch, BATCH), 0, BATCH, batch.idx);
  const windowSize = Number(windowArg);
  const pre = cut(new Array(PRE), PRE);
  const win = cut(new Array(windowSize), windowSize);
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const step = async (said) => {
    process.stdout.write(`${said}\n`);
    await lines.next();
  };
  await step('ready'); // the driver switches instrumentation on
  for (let k = 0; k < PRE; k += BATCH) sink ^= loop(pre, k, Math.min(BATCH, PRE - k), pre.idx);
  await step('pre'); // the driver zeroes the counters
  for (let k = 0; k < windowSize; k += BATCH) sink ^= loop(win, k, Math.min(BATCH, windowSize - k), win.idx);
  await step(`done ${sink & 1}`); // the driver dumps
  process.exit(0);
}

/** Runs one child per row under valgrind and prints the table. */
async function driver(argv) {
  const flags = new Map(argv.filter((a) => a.startsWith('--')).map((a) => [a.replace(/^--([^=]+).*$/, '$1'), a.includes('=') ? a.slice(a.indexOf('=') + 1) : '1']));
  const [tablesArg = 'github,gateway', implsArg = 'ours-js,medley', kindsArg = 'all'] = argv.filter((a) => !a.startsWith('--'));
  const windowSize = Number(flags.get('window') ?? 20_000);
  const runs = Number(flags.get('runs') ?? 3);
  const dist = flags.has('dist') ? resolve(flags.get('dist')) : '';
  const functions = Number(flags.get('functions') ?? 0);
  const cache = flags.has('cache');
  // --table-module=<file.mjs>: tables from that module's `buildTable(name, perKind)` instead of bench/tables.mjs.
  const tableModule = flags.has('table-module') ? resolve(flags.get('table-module')) : '';
  const tables = tableModule ? (await import(pathToFileURL(tableModule).href)).buildTable : buildTable;
  const details = [];
  const dir = mkdtempSync(join(tmpdir(), 'af-lookup-counts-'));
  const script = fileURLToPath(import.meta.url);
  console.log(
    `Per lookup, callgrind --branch-sim=yes, window of ${windowSize} lookups after ${WARM_PASSES} warm-up passes${dist ? `; ours from ${dist}` : ''}. ` +
      'Bc/Bcm: conditional branches/mispredicted; Bi/Bim: indirect jumps/mispredicted; GC and compiler Ir apart.\n',
  );
  const cacheCols = cache ? ' I1mr | D1mr + D1mw | LL misses |' : '';
  console.log(`| table | corpus | implementation | Ir | Bc | Bcm | Bi | Bim | mispredicts | (each run) | GC Ir | compiler Ir |${cacheCols}`);
  console.log(`| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |${cache ? ' ---: | ---: | ---: |' : ''}`);
  const median = (xs) => {
    const a = [...xs].sort((x, y) => x - y);
    return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  };
  for (const tableName of tablesArg.split(',')) {
    const kinds = kindsArg === 'all' ? [...Object.keys(tables(tableName, 10).corpora)] : kindsArg.split(',');
    for (const kind of kinds)
      for (const key of implsArg.split(',')) {
        const got = [];
        for (let run = 0; run < runs; run++) {
          const out = join(dir, `${tableName}-${kind}-${key}-${run}.out`);
          got.push(await count(script, out, [tableName, key, kind, String(windowSize), dist, tableModule], run === 0 ? functions : 0, cache));
        }
        // Ir repeats to ~1%; mispredicts move by up to ~15% with where V8 placed the code (the
        // simulated predictor is indexed by address), hence the median of the runs.
        const per = (v) => (v / windowSize).toFixed(1);
        const med = (f) => per(median(got.map(f)));
        const each = got.map((c) => per(c.work.Bcm + c.work.Bim)).join(', ');
        console.log(
          `| ${tableName} | ${kind} | ${key} | ${med((c) => c.work.Ir)} | ${med((c) => c.work.Bc)} | ${med((c) => c.work.Bcm)} | ${med((c) => c.work.Bi)} | ${med((c) => c.work.Bim)} | ${med((c) => c.work.Bcm + c.work.Bim)} | ${each} | ${med((c) => c.gc.Ir)} | ${med((c) => c.compiler.Ir)} |${
            cache ? ` ${med((c) => c.work.I1mr)} | ${med((c) => c.work.D1mr + c.work.D1mw)} | ${med((c) => c.work.ILmr + c.work.DLmr + c.work.DLmw)} |` : ''
          }`,
        );
        for (const [name, f] of got[0].top)
          details.push(
            `${tableName} ${kind} ${key}: ${per(f.Bcm + f.Bim).padStart(5)} mispredicts (${per(f.Bcm)} + ${per(f.Bim)}), ${per(f.Ir).padStart(6)} Ir  ${name.slice(0, 100)}`,
          );
      }
  }
  if (details.length > 0) console.log(`\nPer lookup, the functions with the most instructions, with their mispredicts (conditional + indirect):\n${details.join('\n')}`);
  if (flags.has('keep')) console.log(`\ndumps: ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

/** One row: the child under valgrind, stepped through its window; the dump's costs by kind of function. */
async function count(script, out, args, functions, cache) {
  const argv = [
    '--tool=callgrind',
    '--branch-sim=yes',
    ...(cache ? ['--cache-sim=yes'] : []),
    '--instr-atstart=no',
    `--callgrind-out-file=${out}`,
    // NODE=<binary>: count under another Node (e.g. 22) than the one running this script.
    process.env.NODE || process.execPath,
    '--single-threaded',
    '--no-flush-bytecode',
    // Names for JIT code (callgrind sees only addresses): /tmp/perf-<pid>.map, removed after.
    ...(functions > 0 ? ['--perf-basic-prof'] : []),
    script,
    '--child',
    ...args,
  ];
  const proc = spawn('valgrind', argv, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((res) => proc.once('exit', res));
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const expect = async (word) => {
    const { value, done } = await lines.next();
    if (done || !value.startsWith(word)) {
      await exited;
      throw new Error(`lookup-counts child: expected "${word}", got ${done ? 'its exit' : JSON.stringify(value)}\n${stderr.slice(-3000)}`);
    }
  };
  const control = (...a) => execFileSync('callgrind_control', [...a, String(proc.pid)], { stdio: 'ignore' });
  await expect('ready');
  control('-i', 'on');
  proc.stdin.write('go\n');
  await expect('pre');
  control('-z');
  proc.stdin.write('go\n');
  await expect('done');
  control('-d');
  proc.stdin.write('go\n');
  await exited;
  // The dump requested by -d carries a numbered suffix; the final dump at exit (the last
  // lines of the child) is the plain file name and is ignored.
  const base = out.slice(out.lastIndexOf('/') + 1);
  const dumps = readdirSync(join(out, '..')).filter((f) => f.startsWith(`${base}.`));
  if (dumps.length !== 1) throw new Error(`expected one dump for ${base}, found ${dumps.join(', ')}`);
  const costs = selfCosts(readFileSync(join(out, '..', dumps[0]), 'utf8'));
  const mapFile = `/tmp/perf-${proc.pid}.map`;
  let top = [];
  if (functions > 0) {
    // Per function name (several JIT code objects of one function, e.g. recompiled, add up).
    const map = readPerfMap(mapFile);
    const byName = new Map();
    for (const [fn, c] of costs) {
      const name = nameOf(fn, map);
      const sum = byName.get(name) ?? Object.fromEntries(EVENTS.map((e) => [e, 0]));
      for (const e of EVENTS) sum[e] += c[e];
      byName.set(name, sum);
    }
    top = [...byName.entries()].sort((a, b) => b[1].Ir - a[1].Ir).slice(0, functions);
  }
  rmSync(mapFile, { force: true });
  return { ...costsByKind(costs), top };
}

/**
 * Self cost per function of a callgrind dump. Format (callgrind's): `events:` names the columns;
 * `fn=(id) name` (a later `fn=(id)` reuses the name) starts a function's cost lines
 * `<position> <event counts...>`; a `calls=` line means the NEXT cost line is a call's inclusive
 * cost, not self cost, and is skipped; `cfn=(id) name` may name a function first.
 */
function selfCosts(text) {
  const names = new Map();
  const costs = new Map();
  let events = null;
  let current = null;
  let skipNext = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('events:')) {
      events = line.slice(7).trim().split(/\s+/);
      continue;
    }
    if (line.startsWith('fn=')) {
      const m = /^fn=\((\d+)\)(?: (.*))?$/.exec(line);
      let fn = line.slice(3);
      if (m !== null) {
        if (m[2] !== undefined) names.set(m[1], m[2]);
        fn = names.get(m[1]) ?? '';
      }
      current = costs.get(fn);
      if (current === undefined) costs.set(fn, (current = Object.fromEntries(EVENTS.map((e) => [e, 0]))));
      continue;
    }
    if (line.startsWith('calls=')) {
      skipNext = true;
      continue;
    }
    // A called function's name may be given first where it is called.
    if (line.startsWith('cfn=')) {
      const m = /^cfn=\((\d+)\) (.*)$/.exec(line);
      if (m !== null) names.set(m[1], m[2]);
      continue;
    }
    if (!/^[+\-*\d]/.test(line) || events === null || current === null) continue;
    if (skipNext) {
      skipNext = false;
      continue;
    }
    const parts = line.split(' ');
    for (let i = 1; i < parts.length && i - 1 < events.length; i++) if (events[i - 1] in current) current[events[i - 1]] += Number(parts[i]);
  }
  if (events === null) throw new Error('not a callgrind dump (no events line)');
  return costs;
}

/** The dump's self costs summed into V8's GC, its compiler, and the rest ("work"). */
function costsByKind(costs) {
  const zero = () => Object.fromEntries(EVENTS.map((e) => [e, 0]));
  const sums = { work: zero(), gc: zero(), compiler: zero() };
  for (const [fn, c] of costs) {
    const bucket = COMPILER.test(fn) ? sums.compiler : GC.test(fn) ? sums.gc : sums.work;
    for (const e of EVENTS) bucket[e] += c[e];
  }
  return sums;
}

/** A callgrind function name, JIT addresses (`0x...`) named through the perf map (tier marks dropped). */
function nameOf(fn, map) {
  const address = /^0x([0-9a-f]+)(?:'\d+)?$/.exec(fn); // 'N: callgrind's recursion depth
  if (address === null) return fn;
  return perfMapName(map, parseInt(address[1], 16)) ?? `JIT code ${fn}`;
}
