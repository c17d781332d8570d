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
 */
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 5);
const connections = Number(process.argv[3] ?? 32);
const withFastify = process.argv[4] !== 'ours';

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
const ratio = (a, b) => Math.round((results[a].reqPerSec / results[b].reqPerSec) * 100) / 100;
const cpuRatio = (a, b) => Math.round((results[b].cpuUsPerReq / results[a].cpuUsPerReq) * 100) / 100;
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
