/**
 * SPEC 11 balancer overhead (not in CI): autocannon against our gateway with
 *   - a single-target route (the single-dispatch path),
 *   - a single-target route with a `timeout` (the attempt loop, one pool: the loop's own cost),
 *   - three single-target routes, one per port, requests cycling over them (three pools, no
 *     balancer: what spreading the load over three origins costs by itself),
 *   - a 3-target round-robin route (the attempt loop: pick, accounting, deadline timer),
 *   - the same 3-target route with one target dead (nothing listens on its port),
 * all forwarding to ONE upstream process listening on three ports, small JSON responses.
 * Rounds alternate the configurations (single, rr, single, rr, ...) so background load does
 * not land on one only; the median round is kept. On a shared machine req/s swings with
 * the neighbours' load, so the gateway process's CPU time per request is reported too (the
 * overhead figure to trust). Usage:
 *   npx tsup && node bench/upstreams.mjs [seconds=5] [rounds=3] [connections=50] [configs=all]
 * (configs: a comma-separated list; RATE=n in the environment: a fixed offered load, see below; of the names below, e.g. `single,round-robin x3`.)
 *
 * The fair comparison for the balancer's own overhead is "round-robin x3" against "3 pools,
 * no balancer": both spread the requests over three origins, hence three undici pools and
 * three sets of keep-alive connections; "single" keeps every connection in one pool.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));
const [seconds = 5, rounds = 3, connections = 50] = process.argv.slice(2, 5).map(Number);
// RATE=n (env): a fixed offered load of n req/s instead of as fast as possible. CPU per request
// at a fixed rate below saturation moves less with the neighbours' load than at saturation,
// where the batching per event-loop turn (and so the cost per request) follows the CPU share.
const RATE = Number(process.env.RATE ?? 0);
const chosen = process.argv[5]?.split(',') ?? null;

function start(script, arg) {
  const child = spawn(process.execPath, [join(here, 'proxy', script), ...(arg ? [JSON.stringify(arg)] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (line) => resolve({ child, info: JSON.parse(line), stderr: () => stderr }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${stderr}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
  });
}

// `paths`: requests cycle over them on every connection (autocannon's `requests`).
const load = (url, duration, paths) =>
  new Promise((resolve, reject) =>
    autocannon(
      { url, connections, duration, pipelining: 1, ...(RATE > 0 ? { overallRate: RATE } : {}), ...(paths ? { requests: paths.map((path) => ({ path })) } : {}) },
      (e, r) => (e ? reject(e) : resolve(r)),
    ),
  );

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

const upstream = await start('multi-upstream.mjs');
const [p1, p2, p3] = upstream.info.ports;
const dead = await freePort();
const all = {
  single: { '/*': `http://127.0.0.1:${p1}` },
  'single+timeout': { '/*': { target: `http://127.0.0.1:${p1}`, timeout: '30s' } },
  '3 pools, no balancer': { '/a/*': `http://127.0.0.1:${p1}`, '/b/*': `http://127.0.0.1:${p2}`, '/c/*': `http://127.0.0.1:${p3}` },
  'round-robin x3': { '/*': { targets: [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`, `http://127.0.0.1:${p3}`] } },
  'x3, one dead': { '/*': { targets: [`http://127.0.0.1:${p1}`, `http://127.0.0.1:${p2}`, `http://127.0.0.1:${dead}`] } },
};
const configs = Object.fromEntries(Object.entries(all).filter(([name]) => name === 'single' || chosen === null || chosen.includes(name)));
const PATHS = { '3 pools, no balancer': ['/a/small', '/b/small', '/c/small'] };
const results = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
for (let round = 0; round < rounds; round++) {
  for (const [name, routes] of Object.entries(configs)) {
    const gw = await start('routes-server.mjs', { routes });
    const url = `http://127.0.0.1:${gw.info.port}/small`;
    await load(url, 2, PATHS[name]); // warm-up: JIT, keep-alive pools, the dead target's ejection
    gw.child.kill('SIGUSR2'); // start counting the gateway's CPU time
    await new Promise((r) => setTimeout(r, 50));
    const r = await load(url, seconds, PATHS[name]);
    await stop(gw.child);
    const report = JSON.parse(gw.stderr().trim().split('\n').pop() || '{}');
    results[name].push({
      rps: r.requests.average,
      p99: r.latency.p99,
      errors: r.errors + r.non2xx,
      timeouts: r.timeouts,
      events: report.events ?? {},
      cpu: report.cpuUsPerRequest ?? NaN,
    });
  }
}
await stop(upstream.child);
const median = (runs) => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];
const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const single = median(results.single).rps;
const singleCpu = medianOf(results.single.map((r) => r.cpu));
console.log(`${connections} connections, ${seconds} s per run, median of ${rounds} rounds, node ${process.version}`);
for (const [name, runs] of Object.entries(results)) {
  const m = median(runs);
  const delta = name === 'single' ? '' : ` (${(((m.rps - single) / single) * 100).toFixed(1)}% vs single)`;
  const cpu = medianOf(runs.map((r) => r.cpu));
  const cpuDelta = name === 'single' ? '' : ` (${(((cpu - singleCpu) / singleCpu) * 100).toFixed(1)}%)`;
  console.log(
    `${name.padEnd(21)} gateway CPU ${cpu.toFixed(1)} us/request${cpuDelta}; ${Math.round(m.rps)} req/s${delta}, p99 ${m.p99} ms, errors ${m.errors}, retries ${m.events.retry ?? 0}, ejections ${m.events.ejection ?? 0}; all rounds: ${runs.map((x) => Math.round(x.rps)).join(', ')}`,
  );
}
