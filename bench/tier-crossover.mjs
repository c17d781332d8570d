/**
 * When does the generated lookup pay? Steady-state lookup cost of the generated code against the
 * interpreter (and native code, where the addon is built) on tables of growing size, what the
 * tier-up costs, and after how many lookups it is repaid (src/match/tiering.ts,
 * src/match/codegen-lookup.ts `fitsCodegen`). The data behind the generator's admission rule
 * (notes-lookup.md, "Session 24: when generated code pays"):
 *
 *   node bench/tier-crossover.mjs [tables=all] [rounds=9] [--trials=3] [--warm=60] [--unguarded]
 *
 * tables: a comma list of gateway, github, github-x<k> (the GitHub table under k API prefixes
 * `/v1` ... `/vk`), github-d<k> (the same with the copies made different: see githubScaled), tenants-<n> (the multi-tenant table of bench/tables.mjs with
 * n tenants, 4 routes each, plus `/*`); default: all of ALL below.
 *
 * The router is bundled from src/ with esbuild (as floors-compile.mjs does) into
 * bench/.tier-crossover/ (inside the package, so the native addon resolves; removed at exit),
 * with ONE change: `fitsCodegen` becomes switchable, so one build serves a table with generated
 * code where the admission rule would refuse it ("all") or with the interpreter where the rule
 * admits it ("none"). The rule's own verdict is the column "rule". `--unguarded` (the "before"
 * of the literal guard) removes the length check the generator puts before each unrolled literal
 * test, so `charCodeAt` reads past shorter paths again: those out-of-bounds reads deoptimized the
 * generated functions again and again on repetitive tables (notes-lookup.md, Session 24).
 *
 * Steady state, one process per table: three routers of one build, `backend: 'js'` with the
 * generated lookup (`codegenAfter: 0`), `backend: 'js'` with the lookup refused (the
 * interpreter walks; the match builder is generated in both, as for a refused table), and
 * `backend: 'native'`. Each answers the whole mixed corpus (static, parameter, catch-all hits and
 * misses, distinct parameter values) and must give the interpreter's match (route, params,
 * remainder). Then --warm untimed rounds (60: 1.8M lookups per engine; V8 takes up to millions
 * of lookups to stop re-optimizing large generated functions, and its background compiles count
 * in process CPU; "settled" says when each got within 10% of its timed figure), then `rounds`
 * timed rounds. Every round cuts fresh strings (latin1Slice of
 * one Buffer, batches of 300) from a new slice of the corpus for every engine, in a rotated
 * order, and times process CPU per lookup; median and lower quartile over rounds.
 *
 * Break-even, fresh processes (the JIT's bill is the real price of tiering up): `tiered`
 * (default threshold 1,024, generator admitted) and `interp` (refused), alternated `trials`
 * times; cumulative process CPU (V8's background compiler threads included) of compile plus the
 * first 10k ... 3M lookups, and the CPU of the lookup that crosses the threshold (code
 * generation, `new Function`, V8's parse). Break-even: where the tiered curve (medians) meets the
 * interpreter's, interpolated between checkpoints; past 3M extrapolated with the steady-state
 * saving (`~`), "never" where generated code is not faster at steady state.
 */
import { build as esbuild } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { buildTable, fill, generate, packPaths, prng, routesObject, shuffle, tenantCorpora, tenantPatterns, tokens } from './tables.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALL = ['gateway', 'github', 'tenants-25', 'github-x2', 'tenants-100', 'github-x4', 'tenants-300', 'github-x8', 'tenants-1000', 'tenants-3000'];
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const child = flag('child', null);
const curve = flag('curve', null);
const rounds = Number(positional[1] ?? 9);
const trials = Number(flag('trials', 3));
const warm = Number(flag('warm', 60));
const unguarded = process.argv.includes('--unguarded');
const PER_KIND = 10_000;
const CHECKPOINTS = [1_024, 10_000, 100_000, 300_000, 1_000_000, 3_000_000];

// --- tables -------------------------------------------------------------------------------

/**
 * The GitHub table under `k` API prefixes (`/v1/...` ... `/vk/...`); corpora as bench/tables.mjs's.
 * `distinct`: under `/vi` every static segment but the first gets the suffix `i` (`/v2/repos/:owner/:repo/issues2`),
 * so the copies are different subtrees: the same size without the repetition.
 */
function githubScaled(k, distinct) {
  const data = JSON.parse(readFileSync(join(root, 'bench', 'data', 'github-api-routes.json'), 'utf8'));
  const base = data.routes.map((r) => r.pattern);
  const prefixes = Array.from({ length: k }, (_, i) => `/v${i + 1}`);
  const variant = (b, i) => (distinct && i > 0 ? b.replace(/(?<=.)\/([a-z_]+)(?=\/|$)/g, `/$1${i + 1}`) : b);
  const patterns = prefixes.flatMap((p, i) => base.map((b) => p + variant(b, i)));
  const statics = patterns.filter((p) => !p.includes(':'));
  const dynamic = patterns.filter((p) => p.includes(':'));
  const t = tokens(0x6117 + k);
  const pre = () => t.pick(prefixes);
  const corpora = {
    static: generate(PER_KIND, (i) => statics[i % statics.length], false),
    param: generate(PER_KIND, () => fill(t.pick(dynamic), t)),
    miss: generate(PER_KIND, (i) => {
      switch (i % 6) {
        case 0:
          return `${pre()}/repos/${t.word()}/${t.word()}/${t.pick(['nothing', 'wiki', 'actions', 'pages'])}${t.num()}`;
        case 1:
          return `${pre()}/users/${t.word()}/${t.pick(['likes', 'projects', 'packages'])}`;
        case 2:
          return `/${t.word()}/${t.word()}`;
        case 3:
          return `${pre()}/repos/${t.word()}`;
        case 4:
          return `/v${k + 1 + t.int(50)}/user/keys/${t.num()}`; // an unknown API version
        default:
          return `${pre()}/user/keys/${t.num()}/${t.word()}`;
      }
    }),
  };
  return { title: `GitHub ${distinct ? 'd' : 'x'}${k} (${patterns.length} routes)`, patterns, corpora };
}

/** bench/tables.mjs's multi-tenant table and corpora, with `n` tenants. */
function tenants(n) {
  const { patterns } = tenantPatterns(4 * n + 1);
  const corpora = tenantCorpora(n, PER_KIND, 0x7e4a + n);
  return { title: `Multi-tenant, ${n} tenants (${patterns.length} routes)`, patterns, corpora };
}

function table(name) {
  let t;
  if (name === 'github' || name === 'gateway') t = buildTable(name, PER_KIND);
  else if (/^github-[xd]\d+$/.test(name)) t = githubScaled(Number(name.slice(8)), name[7] === 'd');
  else if (name.startsWith('tenants-')) t = tenants(Number(name.slice(8)));
  else throw new Error(`unknown table "${name}": one of ${ALL.join(', ')}`);
  const all = Object.values(t.corpora).flat();
  const mixed = t.corpora.mixed ?? shuffle(all, prng(0x5eed));
  return { ...t, mixed };
}

// --- the parent: per table, the steady-state process and the break-even processes ----------

const self = fileURLToPath(import.meta.url);
const run = (args) =>
  JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', self, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 })
      .trim()
      .split('\n')
      .pop(),
  );
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};

/**
 * Lookups after which the tiered process has used no more CPU than the interpreter's and stays
 * so at every later checkpoint (separate processes on a loaded machine: the curves can touch
 * early by noise), interpolated; null when it is still behind at the last checkpoint.
 */
function breakEven(tiered, interp) {
  const d = tiered.map((x, i) => x - interp[i]);
  let last = -1; // the last checkpoint where tiered is behind
  for (let i = 0; i < d.length; i++) if (d[i] > 0) last = i;
  if (last === d.length - 1) return null;
  if (last === -1) return CHECKPOINTS[0];
  return Math.round(CHECKPOINTS[last] + ((CHECKPOINTS[last + 1] - CHECKPOINTS[last]) * d[last]) / (d[last] - d[last + 1]));
}

if (child === null && curve === null) {
  const names = positional[0] && positional[0] !== 'all' ? positional[0].split(',') : ALL;
  for (const n of names) table(n); // unknown names fail here, before any measuring
  const rows = [];
  for (const name of names) {
    const extra = unguarded ? ['--unguarded'] : [];
    const row = run([name, String(rounds), `--warm=${warm}`, `--child=${name}`, ...extra]);
    const curves = { tiered: [], interp: [] };
    for (let i = 0; i < trials; i++) for (const engine of ['tiered', 'interp']) curves[engine].push(run([`--curve=${name},${engine}`, ...extra]));
    row.cumulative = Object.fromEntries(Object.entries(curves).map(([k, list]) => [k, CHECKPOINTS.map((_, i) => median(list.map((c) => c.cumulative[i])))]));
    row.crossing = median(curves.tiered.map((c) => c.crossing));
    row.crossingAll = curves.tiered.map((c) => c.crossing);
    rows.push(row);
    process.stderr.write(`${name}: ${JSON.stringify(row)}\n`);
  }
  const f = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(0));
  const n = (x) => x.toLocaleString('en-US');
  console.log(
    `Steady state: CPU ns per lookup, median (lower quartile) of ${rounds} rounds of 30,000 fresh strings after the warm-up of ${warm} rounds ("settled": lookups the generated engine ran before it stayed within 10% of its timed figure). ` +
      `Fresh processes, median of ${trials}: CPU ms of the lookup that crosses the threshold, cumulative CPU ms of compile + the first 3M lookups (tiered / interpreter), break-even ("~": extrapolated past 3M with the steady-state saving). "distinct": structurally different subtrees (route indices aside).`,
  );
  console.log(
    '| table | routes | nodes | distinct | height | fan-out | interpreter ns | generated ns | gen/interp | native ns | gen settled after | crossing ms | 3M lookups ms, tiered / interp | break-even lookups | rule |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) {
    const ratio = r.gen.median / r.interp.median;
    const saved = r.interp.median - r.gen.median;
    const [ti, ii] = [r.cumulative.tiered, r.cumulative.interp];
    const be = breakEven(ti, ii);
    const last = CHECKPOINTS.length - 1;
    const beText = be !== null ? n(be) : saved > 0 ? `~${n(Math.round(CHECKPOINTS[last] + ((ti[last] - ii[last]) * 1e6) / saved))}` : 'never';
    console.log(
      `| ${r.name} | ${n(r.routes)} | ${n(r.nodes)} | ${n(r.distinct)} (${Math.round((100 * r.distinct) / r.nodes)}%) | ${r.height} | ${r.fanOut} | ${f(r.interp.median)} (${f(r.interp.q1)}) | ${f(r.gen.median)} (${f(r.gen.q1)}) | ${ratio.toFixed(2)} | ${r.native ? `${f(r.native.median)} (${f(r.native.q1)})` : 'n/a'} | ${r.settled.gen === null ? `> ${n(r.settled.warm)}` : n(r.settled.gen)} | ${r.crossing.toFixed(1)} | ${n(Math.round(ti[last]))} / ${n(Math.round(ii[last]))} | ${beText} | ${r.rule ? 'generated' : 'refused'} |`,
    );
  }
  process.exit(0);
}

// --- the children ---------------------------------------------------------------------------

const dir = join(root, 'bench', '.tier-crossover', String(process.pid));
mkdirSync(dir, { recursive: true });
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const outfile = join(dir, 'router.mjs');
const [tableName, curveEngine] = curve !== null ? curve.split(',') : [child, null];
const t = table(tableName);
const CODEGEN = join(root, 'src', 'match', 'codegen-lookup.ts');
/** The one change to src/: `fitsCodegen` answers the rule (`rule`), everything (`all`) or nothing (`none`). */
const switchable = {
  name: 'switchable-admission',
  setup(b) {
    b.onLoad({ filter: /codegen-lookup\.ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      if (!text.includes('export function fitsCodegen(')) throw new Error('src/match/codegen-lookup.ts has no `export function fitsCodegen(`: update bench/tier-crossover.mjs');
      if (unguarded) {
        const guarded = 'const tests: string[] = this.boundedEnd ? [] : [`${pos} + ${prefix.length} <= end`];';
        if (!text.includes(guarded)) throw new Error(`--unguarded: src/match/codegen-lookup.ts has no \`${guarded}\` (the literal guard): update bench/tier-crossover.mjs`);
        text = text.replace(guarded, 'const tests: string[] = [];');
      }
      const patched =
        text.replace('export function fitsCodegen(', 'function admittedByRule(') +
        `
let admission: 'rule' | 'all' | 'none' = 'rule';
export function setAdmission(mode: 'rule' | 'all' | 'none'): void { admission = mode; }
export { admittedByRule };
export function fitsCodegen(root: Node, sizes: Map<Node, number> = new Map()): boolean {
  if (admission === 'rule') return admittedByRule(root, sizes);
  // "all" keeps the height limit: past it the emitter itself recurses too deep (not a speed rule).
  return admission === 'all' && measureTree(root, sizes, { size: Infinity, height: 128 }).height <= 128;
}
`;
      return { contents: patched, loader: 'ts' };
    });
  },
};
const entry = join(dir, 'entry.ts');
writeFileSync(
  entry,
  [
    `export { compile } from ${JSON.stringify(join(root, 'src/match/router.ts'))};`,
    `export { jsTree } from ${JSON.stringify(join(root, 'src/match/tree.ts'))};`,
    `export { measureTree } from ${JSON.stringify(join(root, 'src/match/node.ts'))};`,
    `export { analyzeRoutes } from ${JSON.stringify(join(root, 'src/validate/validate.ts'))};`,
    `export { resolveMatchOptions } from ${JSON.stringify(join(root, 'src/options.ts'))};`,
    `export { setAdmission, admittedByRule, distinctSubtrees } from ${JSON.stringify(CODEGEN)};`,
  ].join('\n'),
);
await esbuild({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', outfile, logLevel: 'error', absWorkingDir: root, plugins: [switchable] });
const src = await import(pathToFileURL(outfile).href);

const routes = routesObject(t.patterns);
const paths = t.mixed;
const limits = { maxRoutes: 1_000_000 };
const { packed, offsets } = packPaths(paths);
const B = 300;
const batch = new Array(B);
/** Fresh strings for the next batch, as Node's HTTP parser hands them over. */
const refill = (start) => {
  for (let k = 0, i = start; k < B; k++, i = i + 1 === paths.length ? 0 : i + 1) batch[k] = packed.latin1Slice(offsets[i], offsets[i + 1]);
};
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const loopFor = (r, label) =>
  // Its own loop function per engine: own call sites and type feedback.
  new Function(
    'r',
    'batch',
    `/* ${label} */ return function loop(n) { let s = 0; for (let k = 0; k < n; k++) { const m = r.match(batch[k]); s ^= m === null ? -1 : m.route.index; } return s; };`,
  )(r, batch);
let sink = 0;

if (curve !== null) {
  // One engine from compile on: cumulative process CPU at each checkpoint.
  src.setAdmission(curveEngine === 'tiered' ? 'all' : 'none');
  const t0 = cpu();
  const r = src.compile(routes, { limits, backend: 'js' });
  const loop = loopFor(r, curveEngine);
  const cumulative = [];
  let done = 0;
  let crossing = null;
  for (const target of CHECKPOINTS) {
    while (done < target) {
      const n = Math.min(B, target - done);
      refill(done % paths.length);
      if (done === 1_024 && crossing === null) {
        // The lookup that crosses the default threshold (tiering.ts) generates the code.
        const c0 = cpu();
        sink ^= loop(1);
        crossing = (cpu() - c0) / 1000;
        done += 1;
        continue;
      }
      sink ^= loop(n);
      done += n;
    }
    cumulative.push((cpu() - t0) / 1000);
  }
  if (curveEngine === 'tiered' && r.engine !== 'generated') throw new Error(`${tableName}: the tiered router serves ${r.engine}`);
  console.log(JSON.stringify({ cumulative, crossing, sink: sink & 1 }));
  process.exit(0);
}

// The tree's shape: nodes, height, the widest node (static children + parameter children).
const tree = src.jsTree(src.analyzeRoutes(routes, src.resolveMatchOptions({ limits })).routes.map((r) => r.shape));
const { size: nodes, height } = src.measureTree(tree.root);
let fanOut = 0;
for (const stack = [tree.root]; stack.length > 0;) {
  const node = stack.pop();
  const kids = [...node.children, ...node.constrained.map((c) => c.node), ...(node.param ? [node.param] : [])];
  fanOut = Math.max(fanOut, kids.length);
  stack.push(...kids);
}
const rule = src.admittedByRule(tree.root, new Map());
const distinct = src.distinctSubtrees(tree.root);

function router(mode, options) {
  src.setAdmission(mode);
  try {
    return src.compile(routes, { limits, ...options });
  } finally {
    src.setAdmission('rule');
  }
}
const engines = [
  { key: 'interp', r: router('none', { backend: 'js', codegenAfter: 0 }) },
  { key: 'gen', r: router('all', { backend: 'js', codegenAfter: 0 }) },
];
try {
  engines.push({ key: 'native', r: router('rule', { backend: 'native' }) });
} catch (error) {
  process.stderr.write(`${tableName}: native n/a (${error.message.split('\n')[0]})\n`);
}
const want = { interp: 'interpreter', gen: 'generated', native: 'native' };
for (const e of engines) if (e.r.engine !== want[e.key]) throw new Error(`${tableName}: ${e.key} router serves ${e.r.engine}, not ${want[e.key]}`);

// Same answers on the whole corpus.
const summary = (m) => (m === null ? null : JSON.stringify([m.route.index, m.params, m.remainder]));
for (const p of paths) {
  const ref = summary(engines[0].r.match(p));
  for (const e of engines) if (summary(e.r.match(p)) !== ref) throw new Error(`${tableName}: ${e.key} answers ${summary(e.r.match(p))}, the interpreter ${ref} for ${p}`);
}

const N = 30_000;
for (const e of engines) {
  e.loop = loopFor(e.r, e.key);
  e.ns = [];
  e.warm = [];
}
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const stats = (xs) => {
  const a = sorted(xs);
  return { median: a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2, q1: a[Math.floor((a.length - 1) / 4)], all: xs.map((x) => Math.round(x)) };
};
let cursor = 0;
for (let round = -warm; round < rounds; round++) {
  const start = cursor;
  cursor = (cursor + N) % paths.length;
  for (let k = 0; k < engines.length; k++) {
    const e = engines[(k + round + warm) % engines.length];
    let us = 0;
    for (let done = 0; done + B <= N; done += B) {
      refill((start + done) % paths.length);
      const t0 = cpu();
      sink ^= e.loop(B);
      us += cpu() - t0;
    }
    (round >= 0 ? e.ns : e.warm).push((us * 1000) / (N - (N % B)));
  }
}
const byKey = Object.fromEntries(engines.map((e) => [e.key, stats(e.ns)]));
/**
 * Lookups an engine ran before it settled: from then on, every 5 consecutive warm-up rounds have
 * a median within 10% of its timed median (null: not within the warm-up).
 */
const settledOf = (e) => {
  const target = 1.1 * stats(e.ns).median;
  let from = null;
  for (let i = 0; i + 5 <= e.warm.length; i++) {
    if (stats(e.warm.slice(i, i + 5)).median > target) from = null;
    else from ??= i;
  }
  return from === null ? null : from * N;
};
console.log(
  JSON.stringify({
    name: tableName,
    title: t.title,
    routes: t.patterns.length,
    nodes,
    height,
    fanOut,
    distinct,
    rule,
    interp: byKey.interp,
    gen: byKey.gen,
    native: byKey.native ?? null,
    settled: { gen: settledOf(engines[1]), interp: settledOf(engines[0]), warm: warm * N, genWarm: engines[1].warm.map(Math.round) },
    sink: sink & 1,
  }),
);
