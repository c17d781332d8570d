/**
 * What logging and metrics cost `af-routes serve` (issue 15; not run in CI): autocannon against
 * the built CLI in several configurations, each its own process, the same upstream process,
 * interleaved rounds, median req/s per configuration:
 *   off        --access-log off, no admin port (no SDK: the library's no-op path)
 *   json       --access-log json (stdout to /dev/null)
 *   metrics    --admin-port 0 (the OpenTelemetry SDK records every request)
 *   json+metrics
 *   workers2   json+metrics with --workers 2
 * Usage: node bench/proxy/observability.mjs [seconds=5] [rounds=2] [connections=50]
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [seconds = 5, rounds = 2, connections = 50] = process.argv.slice(2).map(Number);

function firstLine(child, re) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = re.exec(out);
      if (m) resolve(m);
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

async function measure(args) {
  // JSON lines go to /dev/null; the "Listening" line is read from stderr-free stdout only in text mode, so ask /readyz-free: poll the port.
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'serve', table, '--port', '0', '--no-watch', ...args], { stdio: ['ignore', 'pipe', devnull] });
  const m = await firstLine(child, /Listening on (http:\/\/[^ "\\]+)/);
  const url = m[1] + '/api/small';
  await new Promise((r, j) => autocannon({ url, connections, duration: 1 }, (e) => (e ? j(e) : r())));
  const res = await new Promise((r, j) => autocannon({ url, connections, duration: seconds, pipelining: 1 }, (e, x) => (e ? j(e) : r(x))));
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${args.join(' ')}: ${res.non2xx} non-2xx, ${res.errors} errors`);
  return res.requests.average;
}

const results = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) for (const [name, args] of Object.entries(configs)) results[name].push(await measure(args));
upstream.kill('SIGTERM');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results.off);
console.log(`| configuration | req/s (median of ${rounds} x ${seconds}s, ${connections} connections) | vs off |`);
console.log('| --- | ---: | ---: |');
for (const [name, xs] of Object.entries(results)) console.log(`| ${name} | ${Math.round(median(xs))} | ${(median(xs) / base).toFixed(3)} |`);
