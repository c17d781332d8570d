/**
 * Cost of per-route policies (SPEC 12), not run in CI:
 *   node bench/policies.mjs [seconds=5] [connections=32] [ours]
 * against one upstream (bench/proxy/upstream.mjs) and one gateway process
 * (bench/proxy/policies-server.mjs), autocannon in this process:
 *   - plain: a route without policies (the proxied baseline);
 *   - authrl: apiKey + rateLimit, no cache (the stages' own cost);
 *   - miss:  apiKey + rateLimit + cache, every request a new URL (lookup, upstream, store);
 *   - hit:   the same route, one URL (served from the cache).
 * The same four on `@fastify/http-proxy` with the equivalent plugins (bench/proxy/fastify-policies-server.mjs:
 * `@fastify/bearer-auth`, `@fastify/rate-limit`, undici's cache interceptor as its dispatcher), as
 * fastify-plain, fastify-authrl, fastify-miss and fastify-hit. `node bench/policies.mjs 5 32 ours` skips them.
 * And the ceiling, `bare`: a bare `node:http` server answering a constant copy of one of our hits
 * (bench/proxy/bare-constant-server.mjs: same status, body and headers), i.e. Node's HTTP server
 * alone. No hit path can beat it, so `hitOverBare` says how close ours is and `bareOverPlain` how
 * far the `hit >= 3x plain` goal can go on this machine (autocannon shares its cores).
 * Goals (issue 14): hit >= 3x plain; miss >= 0.85x plain (policies cost <= 15%).
 * Each target gets a warm-up run first; each gateway's plain runs first and last, and its better run counts. Build first (`npx tsup`): it imports the package.
 * Besides req/s it reports the gateway process's CPU time per request (`cpuUsPerReq`), which a
 * machine shared with other load distorts far less than throughput.
 *
 * Two load-independent modes (req/s and CPU time move 2-4x with a shared machine's load; these do not):
 *   CALLGRIND=1 node bench/policies.mjs [rounds=1]   instructions per request (user space, all
 *     threads) of the gateway under valgrind's callgrind, counted over 1,000 requests after a
 *     warm-up (6 runs of 2,000 requests; of 4,000 for `miss`, which fills its store and is evicting
 *     as in a timed run, past the store's first eviction and first queue compaction; each run opens its connections anew, so the per-connection code is
 *     optimized before the window opens), one gateway process per target and round. The
 *     optimizing compiler's own instructions are reported apart, with a warning on stderr when
 *     they exceed 5% of the window (not warm yet), and so are the garbage
 *     collector's (see GC below); CG_COUNT=N counts N requests instead of 1,000. Each dump's
 *     `callgrind_annotate` (self, per function) is kept in a printed directory for differentials
 *     (e.g. miss minus plain); with CG_PERF=1 the gateway also writes V8's perf map and each
 *     window's "<dump> <map>" goes to stderr, for bench/proxy/cg-functions.mjs (JIT code by name).
 *     About a minute per target and round.
 *   HEAP=1 node bench/policies.mjs [rounds=1]   bytes allocated per request (V8's sampling heap
 *     profiler, collected objects included; ./proxy/heap-sampling.mjs) over 20,000 requests after
 *     the same warm-up, with the top allocating functions per target written beside.
 *   ONLY=plain,miss ...   only those targets (bare, plain, authrl, miss, hit);
 *   BEFORE=/abs/path/index.js ...   adds "<target> [before]" rows: the gateway on another build
 *     of the library (e.g. `npx esbuild src/index.ts --bundle --platform=node --format=esm
 *     --packages=external --outfile=dist/bench/before.js` at the older commit), same rounds.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { callgrindTotals } from './proxy/callgrind.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 32);
const withFastify = process.argv[4] !== 'ours';
/** Warm-up runs before a CALLGRIND window (see there). */
const WARM_RUNS = 6;

/** Starts a server script; `wrap` goes before node (valgrind), `nodeArgs` after it, `env` is added to this process's. */
function start(script, arg, { wrap = [], nodeArgs = [], env = {} } = {}) {
  const argv = [...wrap, process.execPath, ...nodeArgs, join(here, 'proxy', script), ...(arg ? [JSON.stringify(arg)] : [])];
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

// One counter for every run: a warm-up's URLs must not come back as hits in the measured run
// (a counter per run made the first ~10,000 requests of a timed `miss` run hits of the warm-up's).
let n = 0;
function run(url, { unique = false, headers = {} } = {}, duration = seconds, amount = undefined, conns = connections) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: conns,
        ...(amount !== undefined ? { amount } : { duration }),
        headers,
        ...(unique ? { requests: [{ setupRequest: (req) => ({ ...req, path: `${new URL(url).pathname}?u=${n++}` }) }] } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

const upstream = await start('upstream.mjs');
if (process.env.CALLGRIND === '1' || process.env.HEAP === '1') {
  try {
    await profileMode(process.env.CALLGRIND === '1' ? 'callgrind' : 'heap');
  } finally {
    upstream.child.kill('SIGTERM');
  }
  process.exit(0);
}

/** CALLGRIND=1 / HEAP=1 (see the top): one gateway process per target and round. */
async function profileMode(kind) {
  const rounds = Number(process.argv[2] ?? 1);
  const up = { upstream: `http://127.0.0.1:${upstream.info.port}` };
  const apiKey = { 'x-api-key': 'bench-key' };
  const all = {
    bare: ['/pol/small', {}],
    plain: ['/plain/small', {}],
    authrl: ['/authrl/small', { headers: apiKey }],
    miss: ['/pol/small', { unique: true, headers: apiKey }],
    hit: ['/pol/small', { headers: apiKey }],
  };
  const only = process.env.ONLY?.split(',');
  const names = Object.keys(all).filter((t) => only === undefined || only.includes(t));
  const builds = [['', {}]];
  if (process.env.BEFORE !== undefined) builds.push([' [before]', { AF_ROUTES_LIB: process.env.BEFORE }]);
  // bare answers a constant copy of a hit of the build under test (captured once, from an ordinary gateway).
  let bareArg;
  if (names.includes('bare')) {
    const g = await start('policies-server.mjs', up);
    const url = `http://127.0.0.1:${g.info.port}/pol/small`;
    await fetchRaw(url, apiKey);
    const hit = await fetchRaw(url, apiKey);
    g.child.kill('SIGTERM');
    bareArg = { status: hit.status, headers: hit.headers, body: hit.body.toString('base64') };
  }
  const dir = mkdtempSync(join(tmpdir(), `af-policies-${kind}-`));
  const rows = {};
  for (let r = 0; r < rounds; r++)
    for (const [suffix, env] of builds)
      for (const name of names) {
        if (name === 'bare' && suffix !== '') continue;
        const [path, opts] = all[name];
        const script = name === 'bare' ? 'bare-constant-server.mjs' : 'policies-server.mjs';
        const arg = name === 'bare' ? bareArg : up;
        const label = `${name}${suffix}`;
        const file = join(dir, `${label.replace(/\W+/g, '-')}-${r}`);
        // `miss` stores every response: its store (10,000 entries) fills at request 10,000, and
        // the first eviction reaches code never run before (the commit closure, which inlines the
        // store's insert, deoptimizes); the write-order queue first compacts at request 20,000
        // (deoptimizing it again). With 12,000 warm-up requests V8 re-optimized that closure
        // inside the counted window (compiler 33-35k instructions per request, 14% of it); with
        // 24,000 both first times and their re-optimization fall in the warm-up (checked with
        // --trace-opt --trace-deopt), and the window evicts one entry per request as real
        // traffic of new URLs does (the queue's next compaction is at 30,000).
        const warm = name === 'miss' ? 24_000 : 5_000;
        let row;
        if (kind === 'callgrind') {
          // Optimizing on the main thread: under valgrind a background compiler lags so far behind
          // that a window 5,000 requests in still ran unoptimized code (its count moved 10-20% run to run).
          const g = await start(script, arg, {
            wrap: ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${file}.out`],
            // No bytecode flushing either: V8 drops the bytecode of functions idle across some GCs,
            // and under valgrind the per-connection code sits idle long enough between runs (one
            // window 6 runs in still recompiled: compiler 117k instructions per request; 0 with this).
            // CG_PERF=1: V8's perf map too, so bench/proxy/cg-functions.mjs can name JIT code in a differential.
            nodeArgs: ['--no-concurrent-recompilation', '--no-flush-bytecode', ...(process.env.CG_PERF === '1' ? ['--perf-basic-prof'] : [])],
            env,
          });
          const url = `http://127.0.0.1:${g.info.port}${path}`;
          // The warm-up in several runs: each run opens its 10 connections anew, and with one
          // warm-up run the counted run's new connections got V8 optimizing the per-connection
          // code (and what it inlines) inside the window, on the main thread here: the compiler
          // was about half of the window's instructions and the rest ran partly unoptimized
          // (bare read 112k instructions per request, 67k once warm; a hit 121k, 87k).
          for (let i = 0; i < WARM_RUNS; i++) await run(url, opts, 0, Math.max(2_000, Math.ceil(warm / WARM_RUNS)), 10);
          execFileSync('callgrind_control', ['-i', 'on', String(g.child.pid)], { stdio: 'ignore' });
          const count = Number(process.env.CG_COUNT ?? 1000);
          await run(url, opts, 0, count, 10);
          execFileSync('callgrind_control', ['-d', String(g.child.pid)], { stdio: 'ignore' });
          g.child.kill('SIGKILL');
          await new Promise((res) => (g.child.exitCode !== null ? res() : g.child.once('exit', res)));
          const dump = readdirSync(dir).find((f) => join(dir, f).startsWith(`${file}.out.`));
          const { text, total, compiler, gc } = callgrindTotals(join(dir, dump));
          writeFileSync(`${file}.txt`, text);
          if (process.env.CG_PERF === '1') console.error(`${label} round ${r}: ${join(dir, dump)} /tmp/perf-${g.child.pid}.map`);
          row = { value: (total - compiler - gc) / count, compiler: compiler / count, gc: gc / count };
          // Compiler work in the window means the code was still warming up: the count is not the steady state's.
          if (compiler > 0.05 * total)
            console.error(`${label}: the optimizing compiler ran ${Math.round((100 * compiler) / total)}% of the window; warm up longer (count not steady)`);
        } else {
          const out = `${file}.json`;
          const g = await start(script, arg, { nodeArgs: ['--import', join(here, 'proxy', 'heap-sampling.mjs')], env: { ...env, AF_HEAP_OUT: out } });
          const url = `http://127.0.0.1:${g.info.port}${path}`;
          await run(url, opts, 0, warm, connections);
          g.child.kill('SIGUSR2');
          await new Promise((res) => setTimeout(res, 200));
          const count = 20_000;
          await run(url, opts, 0, count, connections);
          g.child.kill('SIGUSR2');
          for (let i = 0; i < 100 && !existsSync(out); i++) await new Promise((res) => setTimeout(res, 100));
          g.child.kill('SIGTERM');
          const { total } = JSON.parse((await import('node:fs')).readFileSync(out, 'utf8'));
          row = { value: total / count, compiler: NaN };
        }
        (rows[label] ??= []).push(row);
      }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const unit = kind === 'callgrind' ? 'instructions per request (compiler and GC apart)' : 'bytes allocated per request';
  const base = rows.plain !== undefined ? 'plain' : Object.keys(rows)[0];
  const v = (label) => median(rows[label].map((x) => x.value));
  console.log(`| target | ${unit}, median of ${rounds} | vs ${base} | each run |${kind === 'callgrind' ? " GC's, each run | compiler's, each run |" : ''}`);
  console.log(`| --- | ---: | ---: | --- |${kind === 'callgrind' ? ' --- | --- |' : ''}`);
  const each = (label, field) => rows[label].map((x) => Math.round(x[field])).join(', ');
  for (const label of Object.keys(rows))
    console.log(
      `| ${label} | ${Math.round(v(label))} | ${(v(label) / v(base)).toFixed(3)} | ${each(label, 'value')} |${kind === 'callgrind' ? ` ${each(label, 'gc')} | ${each(label, 'compiler')} |` : ''}`,
    );
  console.log(`\nPer-function detail: ${dir}`);
}
const gateways = { ours: await start('policies-server.mjs', { upstream: `http://127.0.0.1:${upstream.info.port}` }) };
if (withFastify) gateways.fastify = await start('fastify-policies-server.mjs', { upstream: `http://127.0.0.1:${upstream.info.port}` });
const key = { 'x-api-key': 'bench-key' };

/** One response of `url` as the client got it: status, raw headers and body. */
function fetchRaw(url, headers) {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.rawHeaders, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

// The ceiling answers what our hit path answers: the second request of the hit URL is a hit.
const hitUrl = `http://127.0.0.1:${gateways.ours.info.port}/pol/small`;
await fetchRaw(hitUrl, key);
const hit = await fetchRaw(hitUrl, key);
if (!/hit/.test(hit.headers[hit.headers.findIndex((h) => h.toLowerCase() === 'cache-status') + 1] ?? ''))
  throw new Error('bench/policies.mjs: the second request of /pol/small was not a cache hit');
gateways.bare = await start('bare-constant-server.mjs', { status: hit.status, headers: hit.headers, body: hit.body.toString('base64') });
const bearer = { authorization: 'Bearer bench-key' };
const targets = [['bare', 'bare', `http://127.0.0.1:${gateways.bare.info.port}/pol/small`, { headers: key }]];
for (const [gw, prefix, credential] of [
  ['ours', '', key],
  ['fastify', 'fastify-', bearer],
]) {
  if (gateways[gw] === undefined) continue;
  const base = `http://127.0.0.1:${gateways[gw].info.port}`;
  targets.push(
    [prefix + 'plain', gw, `${base}/plain/small`, {}],
    [prefix + 'authrl', gw, `${base}/authrl/small`, { headers: credential }],
    [prefix + 'miss', gw, `${base}/pol/small`, { unique: true, headers: credential }],
    [prefix + 'hit', gw, `${base}/pol/small`, { headers: credential }],
    // Measured again last: the first target also pays for the process's warm-up.
    [prefix + 'plain', gw, `${base}/plain/small`, {}],
  );
}
// ONLY=hit,bare,...: only those targets in the timed mode too (e.g. a hit in a fresh gateway, not one after the miss run).
if (process.env.ONLY !== undefined) {
  const only = process.env.ONLY.split(',');
  for (let i = targets.length - 1; i >= 0; i--) if (!only.includes(targets[i][0])) targets.splice(i, 1);
}
const results = {};
const cpu = async (gw) => (await (await fetch(`http://127.0.0.1:${gateways[gw].info.port}/__cpu`)).json()).cpuUs;
try {
  for (const [name, gw, url, opts] of targets) {
    await run(url, opts, 2);
    const cpu0 = await cpu(gw);
    const r = await run(url, opts);
    const cpu1 = await cpu(gw);
    if (results[name] !== undefined && results[name].reqPerSec >= r.requests.average) continue;
    results[name] = {
      reqPerSec: Math.round(r.requests.average),
      cpuUsPerReq: Math.round((cpu1 - cpu0) / r.requests.total),
      p99ms: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors,
    };
  }
} finally {
  for (const g of Object.values(gateways)) g.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
}
// null when ONLY left a target out.
const ratio = (a, b) => (results[a] && results[b] ? Math.round((results[a].reqPerSec / results[b].reqPerSec) * 100) / 100 : null);
const cpuRatio = (a, b) => (results[a] && results[b] ? Math.round((results[b].cpuUsPerReq / results[a].cpuUsPerReq) * 100) / 100 : null);
const ratios = (prefix) => ({
  reqPerSec: {
    hitOverPlain: ratio(prefix + 'hit', prefix + 'plain'),
    hitOverBare: ratio(prefix + 'hit', 'bare'),
    bareOverPlain: ratio('bare', prefix + 'plain'),
    missOverPlain: ratio(prefix + 'miss', prefix + 'plain'),
    authRateLimitOverPlain: ratio(prefix + 'authrl', prefix + 'plain'),
  },
  byCpu: {
    hitOverPlain: cpuRatio(prefix + 'hit', prefix + 'plain'),
    hitOverBare: cpuRatio(prefix + 'hit', 'bare'),
    bareOverPlain: cpuRatio('bare', prefix + 'plain'),
    missOverPlain: cpuRatio(prefix + 'miss', prefix + 'plain'),
    authRateLimitOverPlain: cpuRatio(prefix + 'authrl', prefix + 'plain'),
  },
});
const oursOverFastify = (name) => ratio(name, 'fastify-' + name);
console.log(
  JSON.stringify(
    {
      seconds,
      connections,
      results,
      ...ratios(''),
      ...(withFastify
        ? {
            fastify: ratios('fastify-'),
            oursOverFastifyReqPerSec: { plain: oursOverFastify('plain'), authrl: oursOverFastify('authrl'), miss: oursOverFastify('miss'), hit: oursOverFastify('hit') },
          }
        : {}),
    },
    null,
    2,
  ),
);
