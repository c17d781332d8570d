/**
 * What logging and metrics cost `af-routes serve` (issue 15; not run in CI): autocannon against
 * the built CLI in several configurations, each its own process, the same upstream process,
 * interleaved rounds, median req/s per configuration, and the gateway's CPU time per request
 * (its processes' utime + stime from /proc, Linux only): on a machine shared with other work,
 * req/s follows the neighbours' load, CPU time per request much less.
 * Configurations:
 *   off        --access-log off, no admin port (no SDK: the library's no-op path)
 *   json       --access-log json (stdout to /dev/null)
 *   metrics    --admin-port 0 (the OpenTelemetry SDK records every request)
 *   json+metrics
 *   workers2   json+metrics with --workers 2
 *   fastify    @fastify/http-proxy with its logger on (./fastify-logged.mjs), the same upstream:
 *              ours at equal logging is `json` (both write JSON lines through pino)
 * Every server's stdout (the access log) goes to /dev/null, so the figures are the cost of
 * producing the lines, not of a reader keeping up with them.
 * Usage: node bench/proxy/observability.mjs [seconds=5] [rounds=2] [connections=50]
 *   ONLY=off,json,fastify node bench/proxy/observability.mjs ...   runs only those configurations
 *   AF_ROUTES_CLI=path/to/cli.js ...                                  another build than dist/cli.js
 *   BEFORE=path/to/old/cli.js ...     adds "<name> [before]" rows: the same configurations with an older build
 *   CALLGRIND=1 ...   instead of req/s, instructions per request (all threads, user space) under
 *                     valgrind's callgrind, counted only over CALLGRIND_N (default 1,000) requests per
 *                     round after a 5,000-request warm-up (the JIT's tiers reached): independent of the machine's
 *                     load, which moves req/s and CPU time by 2-4x on a shared machine. Slow
 *                     (~1 minute per configuration and round). The optimizing compiler's own
 *                     instructions are reported apart (it may still run in the window).
 *                     The young generation is pinned at 16 MB (V8's default maximum) in this mode: a
 *                     scavenge costs thousands of instructions per request of a 1,000-request window,
 *                     and with the heap's own sizing one window saw 1 and the next 6 (CALLGRIND_N=3000
 *                     averages more of them).
 *                     The dump of each run stays in a /tmp/af-callgrind-* directory (printed on stderr)
 *                     for `callgrind_annotate`.
 *   HEAP=1 ...        instead of req/s, bytes allocated per request (V8's sampling heap profiler,
 *                     objects later collected included), over <rounds x 5000> requests after the same
 *                     warm-up, and the functions that allocate most (single-process configurations).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { callgrindTotals } from './callgrind.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [seconds = 5, rounds = 2, connections = 50] = process.argv.slice(2).map(Number);

function firstLine(child, re) {
  return new Promise((resolve, reject) => {
    let out = '';
    let found = false;
    // Keeps reading stdout after the match (the access log must not fill the pipe), discarding it.
    child.stdout.on('data', (d) => {
      if (found) return;
      out += d;
      const m = re.exec(out);
      if (m) {
        found = true;
        resolve(m);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

const upstream = spawn(process.execPath, [join(here, 'upstream.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
const { port: port0 } = JSON.parse((await firstLine(upstream, /^(\{.*\})\n/))[1]);
const table = JSON.stringify({ '/api/*': `http://127.0.0.1:${port0}` });

/** A port free now (the server under test binds it next; stdout is /dev/null, so no line tells it). */
function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200 (the server under test is up). */
async function ready(url, child, tries = 200) {
  let exited = null;
  child.once('exit', (code) => (exited = code));
  for (let i = 0; i < tries; i++) {
    if (exited !== null) throw new Error(`server exited ${exited} before answering`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer within ${(tries * 50) / 1000} s`);
}

const cli = process.env.AF_ROUTES_CLI ?? join(root, 'dist', 'cli.js');
const serveWith =
  (path) =>
  (...args) =>
  (port) => [path, 'serve', table, '--port', String(port), '--no-watch', ...args];
const serve = serveWith(cli);
const allConfigs = {
  off: serve('--access-log', 'off'),
  json: serve('--access-log', 'json'),
  metrics: serve('--access-log', 'off', '--admin-port', '0'),
  'json+metrics': serve('--access-log', 'json', '--admin-port', '0'),
  'json+metrics, 2 workers': serve('--access-log', 'json', '--admin-port', '0', '--workers', '2'),
  'fastify (logger on)': (port) => [join(here, 'fastify-logged.mjs'), JSON.stringify({ upstream: `http://127.0.0.1:${port0}`, port })],
};
const only = process.env.ONLY?.split(',');
const configs = Object.fromEntries(Object.entries(allConfigs).filter(([name]) => only === undefined || only.some((o) => name === o || name.startsWith(o + ' '))));
// BEFORE=path/to/old/cli.js: every `serve` configuration also runs with that build, in the same
// interleaved rounds (a change's before and after under the same neighbours' load).
if (process.env.BEFORE !== undefined) {
  const before = serveWith(process.env.BEFORE);
  const args = {
    off: ['--access-log', 'off'],
    json: ['--access-log', 'json'],
    metrics: ['--access-log', 'off', '--admin-port', '0'],
    'json+metrics': ['--access-log', 'json', '--admin-port', '0'],
  };
  for (const [name, a] of Object.entries(args)) if (configs[name] !== undefined) configs[`${name} [before]`] = before(...a);
}

/** utime + stime (clock ticks) of `pid` and its children (cluster workers). */
function cpuTicks(pid) {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesized command: state ppid ... utime(14) stime(15), 1-based overall.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(entry) === pid || Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks;
}
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

async function measure(argv) {
  const devnull = openSync('/dev/null', 'w');
  const port = await freePort();
  const child = spawn(process.execPath, argv(port), { stdio: ['ignore', devnull, devnull] });
  const url = `http://127.0.0.1:${port}/api/small`;
  await ready(url, child);
  await new Promise((r, j) => autocannon({ url, connections, duration: 1 }, (e) => (e ? j(e) : r())));
  const cpu0 = cpuTicks(child.pid);
  const res = await new Promise((r, j) => autocannon({ url, connections, duration: seconds, pipelining: 1 }, (e, x) => (e ? j(e) : r(x))));
  const cpuUs = (cpuTicks(child.pid) - cpu0) * TICK_US;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${argv(port).join(' ')}: ${res.non2xx} non-2xx, ${res.errors} errors`);
  return { rps: res.requests.average, usPerRequest: cpuUs / res.requests.total };
}

/** Instructions per request under callgrind (see CALLGRIND above): total, and the optimizing compiler's share. */
async function instructions(argv) {
  const dir = mkdtempSync(join(tmpdir(), 'af-callgrind-'));
  const out = join(dir, 'cg.out');
  const port = await freePort();
  const semiSpace = ['--min-semi-space-size=16', '--max-semi-space-size=16'];
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, process.execPath, ...semiSpace, ...argv(port)], {
    stdio: ['ignore', openSync('/dev/null', 'w'), openSync('/dev/null', 'w')],
  });
  const url = `http://127.0.0.1:${port}/api/small`;
  // Under valgrind the CLI takes 5 to 30 s to start.
  await ready(url, child, 1200);
  await new Promise((r, j) => autocannon({ url, connections: 10, amount: 5000 }, (e) => (e ? j(e) : r())));
  execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
  const n = Number(process.env.CALLGRIND_N ?? 1000);
  await new Promise((r, j) => autocannon({ url, connections: 10, amount: n }, (e) => (e ? j(e) : r())));
  execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const dump = readdirSync(dir).find((f) => f.startsWith('cg.out.'));
  console.error(`callgrind dump: ${join(dir, dump)}`);
  const { total, compiler } = callgrindTotals(join(dir, dump));
  return { rps: NaN, usPerRequest: (total - compiler) / n, compiler: compiler / n };
}

/**
 * Preloaded into the gateway for HEAP=1: SIGUSR2 starts V8's sampling heap profiler (every
 * allocation, even of objects collected since, is a candidate sample), a second SIGUSR2 stops it
 * and writes the profile where AF_HEAP_OUT says.
 */
const HEAP_HOOK = `
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const session = new Session();
session.connect();
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    session.post('HeapProfiler.enable', () =>
      session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }));
  } else session.post('HeapProfiler.stopSampling', (err, r) => writeFileSync(process.env.AF_HEAP_OUT, err ? JSON.stringify({ error: String(err) }) : JSON.stringify(r.profile)));
});
`;

/** Bytes allocated per request (see HEAP above), and the functions allocating most (bytes per request). */
async function heapBytes(argv) {
  const dir = mkdtempSync(join(tmpdir(), 'af-heap-'));
  const hook = join(dir, 'hook.cjs');
  writeFileSync(hook, HEAP_HOOK);
  const out = join(dir, 'profile.json');
  const port = await freePort();
  const child = spawn(process.execPath, ['--require', hook, ...argv(port)], {
    stdio: ['ignore', openSync('/dev/null', 'w'), 'inherit'],
    env: { ...process.env, AF_HEAP_OUT: out },
  });
  const url = `http://127.0.0.1:${port}/api/small`;
  await ready(url, child);
  await new Promise((r, j) => autocannon({ url, connections: 10, amount: 5000 }, (e) => (e ? j(e) : r())));
  child.kill('SIGUSR2');
  // Starting the profiler is asynchronous: give it a moment before the counted requests.
  await new Promise((r) => setTimeout(r, 300));
  const n = 5000 * rounds;
  await new Promise((r, j) => autocannon({ url, connections: 10, amount: n }, (e) => (e ? j(e) : r())));
  child.kill('SIGUSR2');
  let profile;
  for (let i = 0; i < 100 && profile === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      profile = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      // Not written (completely) yet.
    }
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  if (profile === undefined || profile.error !== undefined) throw new Error(`no heap profile: ${profile?.error ?? 'timed out'}`);
  const byFunction = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  writeFileSync(join(dir, 'by-function.json'), JSON.stringify(Object.fromEntries([...byFunction].map(([k, v]) => [k, v / n]))));
  console.error(`heap profile: ${out}, bytes per request by function: ${join(dir, 'by-function.json')}`);
  const top = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 12);
  return { bytes: total / n, top: top.map(([k, v]) => [k, v / n]) };
}

const results = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
if (process.env.HEAP === '1') {
  for (const [name, args] of Object.entries(configs)) {
    if (name.includes('workers') || name.startsWith('fastify')) continue;
    const { bytes, top } = await heapBytes(args);
    console.log(`\n${name}: ${Math.round(bytes)} bytes allocated per request (${5000 * rounds} requests); by function:`);
    for (const [k, v] of top) console.log(`  ${Math.round(v).toString().padStart(6)}  ${k}`);
  }
  upstream.kill('SIGTERM');
  process.exit(0);
}
if (process.env.CALLGRIND === '1') {
  for (let r = 0; r < rounds; r++) for (const [name, args] of Object.entries(configs)) results[name].push(await instructions(args));
  upstream.kill('SIGTERM');
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = results.off !== undefined ? 'off' : Object.keys(results)[0];
  const ir = (name) => median(results[name].map((x) => x.usPerRequest));
  console.log(`| configuration | instructions per request (median of ${rounds}; compiler excluded) | vs off | each run | compiler's, each run |`);
  console.log('| --- | ---: | ---: | --- | --- |');
  for (const name of Object.keys(results))
    console.log(
      `| ${name} | ${Math.round(ir(name))} | ${(ir(name) / ir(base)).toFixed(3)} | ${results[name].map((x) => Math.round(x.usPerRequest)).join(', ')} | ${results[name].map((x) => Math.round(x.compiler)).join(', ')} |`,
    );
  process.exit(0);
}
for (let r = 0; r < rounds; r++) for (const [name, args] of Object.entries(configs)) results[name].push(await measure(args));
upstream.kill('SIGTERM');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rps = (name) => median(results[name].map((x) => x.rps));
const cpu = (name) => median(results[name].map((x) => x.usPerRequest));
console.log(`| configuration | req/s (median of ${rounds} x ${seconds}s, ${connections} connections) | vs off | gateway CPU µs per request | vs off |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
const base = results.off !== undefined ? 'off' : Object.keys(results)[0];
for (const name of Object.keys(results))
  console.log(`| ${name} | ${Math.round(rps(name))} | ${(rps(name) / rps(base)).toFixed(3)} | ${cpu(name).toFixed(0)} | ${(cpu(name) / cpu(base)).toFixed(3)} |`);
if (results.json !== undefined && results['fastify (logger on)'] !== undefined) {
  const f = 'fastify (logger on)';
  console.log(
    `\nAt equal logging (JSON lines through pino): ours (json) / fastify = ${(rps('json') / rps(f)).toFixed(2)}x req/s, ${(cpu(f) / cpu('json')).toFixed(2)}x less CPU per request (goal: >= 1.5x req/s)`,
  );
}
if (results['json+metrics'] !== undefined && results['json+metrics, 2 workers'] !== undefined)
  console.log(`--workers 2 / 1 (json+metrics): ${(rps('json+metrics, 2 workers') / rps('json+metrics')).toFixed(2)}x req/s`);
if (results.off !== undefined && results['json+metrics'] !== undefined)
  console.log(
    `Logging + metrics cost: ${((1 - rps('json+metrics') / rps('off')) * 100).toFixed(1)}% of req/s (goal: <= 10%), ${(cpu('json+metrics') - cpu('off')).toFixed(0)} µs CPU per request`,
  );
