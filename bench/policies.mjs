/**
 * Cost of per-route policies (SPEC 12), not run in CI:
 *   node bench/policies.mjs [seconds=5] [connections=32]
 * against one upstream (bench/proxy/upstream.mjs) and one gateway process
 * (bench/proxy/policies-server.mjs), autocannon in this process:
 *   - plain: a route without policies (the proxied baseline);
 *   - authrl: apiKey + rateLimit, no cache (the stages' own cost);
 *   - miss:  apiKey + rateLimit + cache, every request a new URL (lookup, upstream, store);
 *   - hit:   the same route, one URL (served from the cache).
 * Goals (issue 14): hit >= 3x plain; miss >= 0.85x plain (policies cost <= 15%).
 * Each target gets a warm-up run first; plain runs first and last, and its better run counts. Build first (`npx tsup`): it imports the package.
 * Besides req/s it reports the gateway process's CPU time per request (`cpuUsPerReq`), which a
 * machine shared with other load distorts far less than throughput.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 32);

function start(script, arg) {
  const child = spawn(process.execPath, [join(here, 'proxy', script), ...(arg ? [JSON.stringify(arg)] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function run(url, { unique = false, headers = {} } = {}, duration = seconds) {
  let n = 0;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections,
        duration,
        headers,
        ...(unique ? { requests: [{ setupRequest: (req) => ({ ...req, path: `${new URL(url).pathname}?u=${n++}` }) }] } : {}),
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

const upstream = await start('upstream.mjs');
const gateway = await start('policies-server.mjs', { upstream: `http://127.0.0.1:${upstream.info.port}` });
const base = `http://127.0.0.1:${gateway.info.port}`;
const key = { 'x-api-key': 'bench-key' };
const targets = [
  ['plain', `${base}/plain/small`, {}],
  ['authrl', `${base}/authrl/small`, { headers: key }],
  ['miss', `${base}/pol/small`, { unique: true, headers: key }],
  ['hit', `${base}/pol/small`, { headers: key }],
  // Measured again last: the first target also pays for the process's warm-up.
  ['plain', `${base}/plain/small`, {}],
];
const results = {};
const cpu = async () => (await (await fetch(`${base}/__cpu`)).json()).cpuUs;
try {
  for (const [name, url, opts] of targets) {
    await run(url, opts, 2);
    const cpu0 = await cpu();
    const r = await run(url, opts);
    const cpu1 = await cpu();
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
  gateway.child.kill('SIGTERM');
  upstream.child.kill('SIGTERM');
}
const ratio = (a, b) => Math.round((results[a].reqPerSec / results[b].reqPerSec) * 100) / 100;
const cpuRatio = (a, b) => Math.round((results[b].cpuUsPerReq / results[a].cpuUsPerReq) * 100) / 100;
console.log(
  JSON.stringify(
    {
      seconds,
      connections,
      results,
      reqPerSec: { hitOverPlain: ratio('hit', 'plain'), missOverPlain: ratio('miss', 'plain'), authRateLimitOverPlain: ratio('authrl', 'plain') },
      byCpu: { hitOverPlain: cpuRatio('hit', 'plain'), missOverPlain: cpuRatio('miss', 'plain'), authRateLimitOverPlain: cpuRatio('authrl', 'plain') },
    },
    null,
    2,
  ),
);
