/**
 * Lookup latency for ONE table, in one process (bench/run.mjs starts one process per table,
 * so the type feedback of one table's tree never pollutes another's).
 *
 *   node bench/lookup.mjs '<json options>' <out.json>
 *
 * Steps: build the table and its distinct-path corpora; build every implementation (a
 * failure, e.g. the native addon not built, marks it n/a with the reason); verify on a
 * sample of every corpus that each implementation picks the same route as ours (js), and
 * that ours (native) returns equal matches; then time.
 *
 * Timing: one tinybench task per (implementation, corpus). One task iteration runs a batch
 * of B lookups over the corpus (a cursor cycles through it), so the timer's overhead is
 * amortized. By default every lookup gets a FRESH string (cut from a Buffer with
 * latin1Slice before the iteration, outside the timed region), like a request path from
 * Node's HTTP parser: V8 caches a string's hash in the string, so replaying the same string
 * objects makes every Map/object-keyed lookup look several times cheaper than it is for
 * real traffic (`strings: 'reused'` measures that way, for comparison). Tables of route objects
 * (methods, conditions) hand each lookup a request object too, and by the same rule it is a
 * FRESH copy of the corpus's request (`freshRequest`, request-tables.mjs), made with its batch,
 * untimed, for every implementation alike (each peer reads the method from that same copy): a
 * server's `req` is created by the parser for that request and is in cache when the router
 * reads it, while the corpus's objects, built once and visited in shuffled order, would cost
 * every router a cache miss per lookup (`strings: 'reused'` reuses those too). B is calibrated
 * per task to make an iteration ~100 us. Before that, every
 * implementation is warmed up (`prewarmPasses` whole passes over each of its corpora, and at
 * least `prewarmMs`), so the figures are steady-state ones: see "Warm-up" below. Each result is
 * folded into an accumulator that escapes (XOR of the route id), so no lookup can be
 * optimized away. Tasks run in R rounds, corpus by corpus with the implementations shuffled within
 * each corpus every round (`roundOrder`), and the reported figure is
 * the median over rounds of the per-round median (p50) ns per lookup: on a noisy 2-core
 * machine this keeps a burst of background load from landing on one implementation only.
 */
import { writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { buildTable, packPaths, prng, routesObject, shuffle } from './tables.mjs';
import { IMPLEMENTATIONS, loadOurs } from './peers.mjs';
import { REQUEST_TABLES, buildRequestTable, freshRequest } from './request-tables.mjs';
import { implementationsFor } from './request-peers.mjs';

const opts = {
  table: 'github',
  perKind: 50_000,
  kinds: null, // null: every corpus of the table plus 'mixed'
  only: null, // implementation keys, null: all
  rounds: 5,
  time: 200,
  warmupTime: 100,
  verifySample: 4_000,
  iterationNs: 100_000,
  prewarmMs: 500, // per implementation, before calibration and timing: at least this long...
  prewarmPasses: 2, // ...and at least this many whole passes over each of its corpora...
  prewarmMaxMs: 8_000, // ...unless that takes longer than this (the regex scan on 10,001 routes: ~1 ms per lookup)
  strings: 'fresh', // 'fresh': every lookup gets a never-hashed string, as from the HTTP parser; 'reused': the corpus strings themselves
  ...JSON.parse(process.argv[2] ?? '{}'),
};
const outFile = process.argv[3];

/** BENCH_PHASES=1: a line on stdout at each phase, to place V8's --trace-opt/--trace-deopt lines (run.mjs: BENCH_LOOKUP_NODE_ARGS). */
const phase = process.env.BENCH_PHASES ? (name) => console.log(`[phase ${performance.now().toFixed(0)} ms] ${name}`) : () => {};

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};

const ours = await loadOurs();
// Tables of route objects carry a request per path (`table.requests`) and their own
// implementations (bench/request-peers.mjs); the loop then hands the request over as `q`.
const table = REQUEST_TABLES.includes(opts.table) ? buildRequestTable(opts.table, opts.perKind) : buildTable(opts.table, opts.perKind);
const routes = table.routes ?? routesObject(table.patterns);
const definitions = table.requests ? implementationsFor(table) : IMPLEMENTATIONS;
const requestOf = (kind, j) => table.requests?.[kind][j];
/** The implementation each one is checked against: ours (js) on the same table, by default. */
const referenceKey = (def) => def.reference ?? 'ours-js';
const kinds = opts.kinds ?? [...Object.keys(table.corpora).filter((k) => k !== 'mixed'), 'mixed'];

// --- build -----------------------------------------------------------------------------
const impls = [];
const references = new Set(definitions.map(referenceKey));
for (const def of definitions) {
  // References (ours (js)) are always built: every answer is checked against one.
  if (opts.only && !opts.only.includes(def.key) && !references.has(def.key)) continue;
  const entry = { key: def.key, name: def.name, group: def.group, available: false, reason: null, def, state: null };
  try {
    entry.state = await def.build(table.patterns, routes, ours, table);
    entry.available = true;
  } catch (e) {
    entry.reason = String(e && e.message ? e.message : e).split('\n')[0];
  }
  impls.push(entry);
}
const referenceOf = (impl) => impls.find((i) => i.key === referenceKey(impl.def));
for (const key of references) {
  const ref = impls.find((i) => i.key === key);
  if (!ref || !ref.available) throw new Error(`${key} failed to build: ${ref?.reason}`);
}
const reference = impls.find((i) => i.key === 'ours-js');

// --- verify ----------------------------------------------------------------------------
const patternOf = (id) => (table.describe ? table.describe(id) : id < 0 ? null : table.patterns[id]);
function sampleOf(list, n) {
  if (list.length <= n) return list;
  const step = list.length / n;
  const out = [];
  for (let i = 0; i < n; i++) out.push(list[Math.floor(i * step)]);
  return out;
}

/** Each corpus should hold what its name says, by our own router's answer. */
function kindOk(kind, id, path, q) {
  if (table.kindOk) return table.kindOk(kind, id, path, q, reference.state.r);
  const p = patternOf(id);
  if (kind === 'static') return p !== null && !p.includes(':') && !p.includes('*');
  if (kind === 'param') return p !== null && p.includes(':') && !p.endsWith('*');
  if (kind === 'catch-all') return p !== null && p.endsWith('/*') && p !== '/*';
  if (kind === 'miss') return p === null || p === '/*';
  return true;
}

const corpusErrors = {};
const samples = {};
// Samples are corpus positions, so that a path keeps its request.
for (const kind of kinds) {
  samples[kind] = sampleOf(
    table.corpora[kind].map((_, j) => j),
    opts.verifySample,
  );
  const answerOf = (j) => reference.def.answer(reference.state, table.corpora[kind][j], requestOf(kind, j));
  const bad = samples[kind].filter((j) => !kindOk(kind, answerOf(j), table.corpora[kind][j], requestOf(kind, j)));
  if (bad.length)
    corpusErrors[kind] = { count: bad.length, examples: bad.slice(0, 3).map((j) => ({ path: table.corpora[kind][j], request: requestOf(kind, j), ours: patternOf(answerOf(j)) })) };
}

const summaryOf = (m) => (m === null ? null : JSON.stringify({ pattern: m.pattern, variant: m.variant?.index, params: m.params, remainder: m.remainder }));
for (const impl of impls) {
  impl.verification = {};
  const ref = referenceOf(impl);
  if (!impl.available || impl === ref) continue;
  for (const kind of kinds) {
    if (impl.def.staticOnly && kind !== 'static') continue;
    // The regex scan costs ~0.1 us per route per lookup: on big tables verify fewer paths.
    const cap = impl.def.verifyBudget ? Math.max(200, Math.floor(impl.def.verifyBudget / table.patterns.length)) : Infinity;
    const sample = samples[kind].length > cap ? sampleOf(samples[kind], cap) : samples[kind];
    let mismatched = 0;
    const examples = [];
    for (const j of sample) {
      const p = table.corpora[kind][j];
      const q = requestOf(kind, j);
      const want = ref.def.answer(ref.state, p, q);
      let got;
      try {
        got = impl.def.answer(impl.state, p, q);
      } catch (e) {
        got = `threw: ${e.message}`;
      }
      let same = got === want;
      // Ours (native, interpreter) must return EQUAL matches (params, remainder), not only the same route.
      if (same && impl.group === 'ours') same = summaryOf(ref.state.r.match(p, q)) === summaryOf(impl.state.r.match(p, q));
      if (!same) {
        mismatched++;
        if (examples.length < 3) examples.push({ path: q?.method ? `${q.method} ${p}` : p, ours: patternOf(want), theirs: typeof got === 'number' ? patternOf(got) : got });
      }
    }
    impl.verification[kind] = { checked: sample.length, mismatched, examples };
  }
}

// --- time ------------------------------------------------------------------------------
function makeLoop(impl, kind, paths, packed, requests) {
  // With requests (tables of route objects), the k-th lookup's request object is q: in fresh
  // mode a copy made by refill with the path string (untimed; see the header), in reused mode
  // the corpus's own object. Tables without requests get exactly the loop they always had.
  const withRequests = requests !== undefined;
  // A distinct source text per task: its own function, call sites and type feedback.
  const factory = new Function(
    'r',
    'h',
    'paths',
    'packed',
    'fresh',
    'requests',
    'freshRequest',
    `/* ${impl.key} ${kind} */
    let i = 0, s = 0, B = 1;
    const n = paths.length;
    let batch = [];
    let qbatch = [];
    const buf = packed.packed, off = packed.offsets;
    return {
      /** Untimed: the next B request paths, as fresh strings, and fresh copies of their requests (fresh mode). */
      refill() {
        if (batch.length !== B) { batch = new Array(B); qbatch = new Array(B); }
        for (let k = 0; k < B; k++) {
          batch[k] = buf.latin1Slice(off[i], off[i + 1]);
          ${withRequests ? 'qbatch[k] = freshRequest(requests[i]);' : ''}
          if (++i === n) i = 0;
        }
      },
      run: fresh
        ? function run() {
            for (let k = 0; k < B; k++) {
              const p = batch[k];
              ${withRequests ? 'const q = qbatch[k];' : ''}
              ${impl.def.loop}
            }
          }
        : function run() {
            for (let k = 0; k < B; k++) {
              const p = paths[i];
              ${withRequests ? 'const q = requests[i];' : ''}
              if (++i === n) i = 0;
              ${impl.def.loop}
            }
          },
      setBatch(b) { B = b; },
      size() { return n; },
      sink() { return s; },
    };`,
  );
  return factory(impl.state.r, impl.state.h, paths, packed, opts.strings === 'fresh', requests, freshRequest);
}

/** Runs one timed unit of work of a loop (refilling fresh strings first, untimed for tinybench). */
function once(loop) {
  if (opts.strings === 'fresh') loop.refill();
  loop.run();
}

function calibrate(loop) {
  loop.setBatch(1);
  let t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < 15 && calls < 20_000) {
    once(loop);
    calls++;
  }
  // Time the lookups only (fresh strings are cut outside the timed region), in batches of
  // 64, and take the MEDIAN batch: on a loaded machine a preempted batch costs milliseconds,
  // and a mean over a few calls then picks a batch of 1, where the timer's own overhead is
  // what tinybench measures.
  loop.setBatch(64);
  const times = [];
  const wall = performance.now();
  while (times.length < 41 && performance.now() - wall < 1_000) {
    if (opts.strings === 'fresh') loop.refill();
    const t = performance.now();
    loop.run();
    times.push(performance.now() - t);
  }
  const ns = Math.max(1, (median(times) * 1e6) / 64);
  const batch = Math.max(1, Math.min(4096, Math.round(opts.iterationNs / ns)));
  loop.setBatch(batch);
  return batch;
}

const packedCorpora = Object.fromEntries(kinds.map((k) => [k, packPaths(table.corpora[k])]));
const tasks = [];
for (const impl of impls) {
  impl.ns = {};
  impl.rounds = {};
  impl.batch = {};
  if (!impl.available || (opts.only && !opts.only.includes(impl.key))) continue;
  for (const kind of kinds) {
    if (impl.def.staticOnly && kind !== 'static') continue;
    impl.rounds[kind] = [];
    tasks.push({ impl, kind, loop: makeLoop(impl, kind, table.corpora[kind], packedCorpora[kind], table.requests?.[kind]), batch: 0, id: `${impl.key} ${kind}` });
  }
}

/*
 * Warm-up. Steady state is what a long-running server sees (the cost of warming up is measured
 * by bench/compile.mjs): each implementation runs before calibration and timing, so that JIT
 * compilation is done first. "Done" needs every branch the timed rounds will take to have been
 * taken once: V8 optimizes a function with the type feedback its branches have collected so
 * far, and optimized code that reaches a branch never taken before deoptimizes ("Insufficient
 * type feedback for binary/compare operation") and is recompiled, on the main thread here
 * (run.mjs passes --no-concurrent-recompilation). A big generated matcher has many branches
 * only rare paths reach (a miss path's random first letters under `/m...`), so a warm-up that
 * covers part of the corpus leaves those recompiles to the timed rounds. Measured (notes-lookup.md,
 * Session 24) with the old warm-up, a fixed 300 ms: in bench:ci, ours (js)'s `n0` spent most of
 * it being recompiled, ran a fraction of the corpus, and deoptimized twice more during timing
 * (189 and 132 ms recompiles, plus five subtree functions compiled for the first time), while
 * find-my-way, with no generated code, pays nothing comparable. In a plain loop over the
 * corpus every deoptimization of the generated code falls in the first pass, none in the
 * second or third.
 *
 * So the rule, the same for every implementation: `prewarmPasses` (2) WHOLE passes over each
 * of its corpora (every path the rounds will look up, so every branch they reach), and at least
 * `prewarmMs`; only an implementation too slow to make the passes in `prewarmMaxMs` stops
 * there (the regex scan on the 10,001-route table; the result's `prewarm` says how far each
 * got). The first pass meets every branch; code optimized during it may still lack a branch
 * met later in it, and the second pass lets that last deoptimization and recompile happen
 * before timing. This hides no per-lookup cost: the rounds replay the same corpora,
 * and a server's traffic repeats its routes; what it leaves out (a recompile per newly met
 * branch, each once per process) is a warm-up cost, bench/compile.mjs's concern.
 */
for (const impl of impls) {
  const own = tasks.filter((t) => t.impl === impl);
  if (own.length === 0 || (opts.prewarmMs <= 0 && opts.prewarmPasses <= 0)) continue;
  const started = performance.now();
  const until = started + opts.prewarmMs;
  const cap = started + Math.max(opts.prewarmMs, opts.prewarmMaxMs);
  const batch = 64;
  for (const t of own) t.loop.setBatch(batch);
  // Batches per task for the passes (the loop's cursor cycles through the corpus, one batch at a time).
  const need = own.map((t) => Math.ceil((opts.prewarmPasses * t.loop.size()) / batch));
  const done = own.map(() => 0);
  for (let i = 0; ; i++) {
    const k = i % own.length;
    const now = performance.now();
    const passesLeft = done.some((d, j) => d < need[j]) && now < cap;
    if (!passesLeft && now >= until) break;
    // Round-robin over the implementation's tasks; one whose passes are done still runs while time is left.
    if (done[k] < need[k] || !passesLeft) {
      once(own[k].loop);
      done[k]++;
    }
  }
  impl.prewarm = {
    ms: Math.round(performance.now() - started),
    passes: Object.fromEntries(own.map((t, j) => [t.kind, Math.round(((done[j] * batch) / t.loop.size()) * 10) / 10])),
  };
  phase(`prewarm ${impl.key}: ${JSON.stringify(impl.prewarm)}`);
}
phase('prewarm done');
for (const t of tasks) t.batch = t.impl.batch[t.kind] = calibrate(t.loop);
phase('calibrated');

/**
 * The order of the tasks in one round: corpus by corpus (the corpora in an order rotated each
 * round), and within a corpus every implementation in a shuffled order (seeded, so runs
 * repeat). Measured (notes-lookup.md, Session 24): timing one implementation's corpora back to
 * back (~0.9 s per implementation per round) let a 1-2 s burst of background load double every
 * figure of one or two implementations in that round, and three such hits in five rounds moved
 * a median by 2x. With the implementations interleaved per corpus, a burst lands on several
 * implementations of the same corpus, and which one goes first or last changes every round.
 */
function roundOrder(round) {
  const byKind = kinds.map((kind) => tasks.filter((t) => t.kind === kind)).filter((g) => g.length > 0);
  const shift = round % byKind.length;
  const rotated = [...byKind.slice(shift), ...byKind.slice(0, shift)];
  const random = prng(0x9e3779b1 + round);
  return rotated.flatMap((group) => shuffle([...group], random));
}

let sink = 0;
for (let round = 0; round < opts.rounds; round++) {
  const bench = new Bench({ time: opts.time, warmupTime: round === 0 ? opts.warmupTime : opts.warmupTime / 4, throws: true });
  for (const t of roundOrder(round)) {
    if (opts.strings === 'fresh') bench.add(t.id, t.loop.run, { beforeEach: t.loop.refill });
    else bench.add(t.id, t.loop.run);
  }
  phase(`round ${round}`);
  await bench.run();
  for (const task of bench.tasks) {
    const t = tasks.find((x) => x.id === task.name);
    const res = task.result;
    if (!res || !res.latency) throw new Error(`task ${task.name} has no result (${res?.state})`);
    t.impl.rounds[t.kind].push((res.latency.p50 * 1e6) / t.batch);
  }
}
for (const t of tasks) {
  t.impl.ns[t.kind] = median(t.impl.rounds[t.kind]);
  sink ^= t.loop.sink();
}

const result = {
  table: table.name,
  title: table.title,
  /** undefined: a path-only table; 'methods' | 'conditions': a table of route objects (request-tables.mjs). */
  family: table.family,
  routes: table.patterns.length,
  /** The backend `compile(routes)` picks for this table (backend: 'auto'). */
  autoBackend: ours.compile(routes, { limits: { maxRoutes: 1_000_000 } }).backend,
  distinctPaths: table.distinct,
  corpus: Object.fromEntries(kinds.map((k) => [k, { paths: table.corpora[k].length, distinct: new Set(table.corpora[k]).size }])),
  kinds,
  corpusErrors,
  rounds: opts.rounds,
  strings: opts.strings,
  timePerTaskMs: opts.time,
  impls: impls.map(({ key, name, group, def, available, reason, verification, ns, rounds, batch, prewarm }) => ({
    key,
    name,
    group,
    reference: referenceKey(def),
    available,
    reason,
    verification,
    ns,
    rounds,
    batch,
    /** The warm-up: its ms, and the passes over each corpus it made (>= prewarmPasses unless prewarmMaxMs cut it). */
    prewarm,
  })),
  sink,
};
if (outFile) writeFileSync(outFile, JSON.stringify(result, null, 1));
else console.log(JSON.stringify(result, null, 1));
