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
 * Usage: node bench/proxy/observability.mjs [seconds=5] [rounds=2] [connections=50]
 */
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

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
const { port } = JSON.parse((await firstLine(upstream, /^(\{.*\})\n/))[1]);
const table = JSON.stringify({ '/api/*': `http://127.0.0.1:${port}` });

const configs = {
  off: ['--access-log', 'off'],
  json: ['--access-log', 'json'],
  metrics: ['--access-log', 'off', '--admin-port', '0'],
  'json+metrics': ['--access-log', 'json', '--admin-port', '0'],
  'json+metrics, 2 workers': ['--access-log', 'json', '--admin-port', '0', '--workers', '2'],
};

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

async function measure(args) {
  // stdout (where the access log goes) is read and discarded; stderr to /dev/null.
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'serve', table, '--port', '0', '--no-watch', ...args], { stdio: ['ignore', 'pipe', devnull] });
  const m = await firstLine(child, /Listening on (http:\/\/[^\s"\\]+)/);
  const url = m[1] + '/api/small';
  await new Promise((r, j) => autocannon({ url, connections, duration: 1 }, (e) => (e ? j(e) : r())));
  const cpu0 = cpuTicks(child.pid);
  const res = await new Promise((r, j) => autocannon({ url, connections, duration: seconds, pipelining: 1 }, (e, x) => (e ? j(e) : r(x))));
  const cpuUs = (cpuTicks(child.pid) - cpu0) * TICK_US;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${args.join(' ')}: ${res.non2xx} non-2xx, ${res.errors} errors`);
  return { rps: res.requests.average, usPerRequest: cpuUs / res.requests.total };
}

const results = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const [name, args] of Object.entries(configs)) results[name].push(await measure(args));
upstream.kill('SIGTERM');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rps = (name) => median(results[name].map((x) => x.rps));
const cpu = (name) => median(results[name].map((x) => x.usPerRequest));
console.log(`| configuration | req/s (median of ${rounds} x ${seconds}s, ${connections} connections) | vs off | gateway CPU µs per request | vs off |`);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const name of Object.keys(results))
  console.log(`| ${name} | ${Math.round(rps(name))} | ${(rps(name) / rps('off')).toFixed(3)} | ${cpu(name).toFixed(0)} | ${(cpu(name) / cpu('off')).toFixed(3)} |`);
