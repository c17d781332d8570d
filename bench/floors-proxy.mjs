/**
 * The floor of proxied / direct throughput on this machine (issue 18: proxy >= 0.5x direct).
 *
 *   node bench/floors-proxy.mjs [seconds=5] [rounds=3] [connections=50] [--body=small|64k] [--targets=bare,ours,fastify]
 *
 * Direct, every request costs one client exchange (autocannon, in this process) and one server
 * exchange (bench/proxy/upstream.mjs, a bare node:http server answering a constant body).
 * Through ANY proxy on the same cores it costs those two plus at least one more server
 * exchange (the proxy accepting the request and writing the response) and one more client
 * exchange (the proxy sending it upstream and reading the answer). Each process is one
 * thread and the machine has 2 cores, so a request takes at least T = max(the busiest
 * process's CPU time, half the total) per request, and
 *
 *   best proxied/direct = T(A, U) / T(A, U, S + C)
 *
 * with A = autocannon's CPU µs per request, U = the upstream's, S = a bare node:http server's
 * (U itself: the upstream is one) and C = a bare undici client's (measured here: a client
 * process dispatching with the same Agent settings as ours, 50 requests in flight).
 * This script measures A, U and C, then runs autocannon through the bare undici proxy
 * (bench/proxy/bare-undici.mjs) to check the bound against a real proxy, in rounds:
 *   direct | undici client alone | bare proxy
 * CPU figures come from /proc/<pid>/stat (utime + stime), this process's from process.cpuUsage.
 *
 * `--body=64k` does the same for the 64 KB body (upstream /big): there a request's cost is
 * mostly moving the bytes (socket reads and writes, kernel copies), which every process on the
 * path pays once per hop, so each process's user and system time are reported apart (system =
 * the kernel's side of the socket calls, the per-byte work no proxy code can avoid).
 * `--targets=bare,ours,fastify` adds our gateway and @fastify/http-proxy (bench/proxy/server.mjs)
 * to each round, measured the same way, so one table holds every process's CPU for every proxy.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

if (process.argv[2] === '--client') {
  // The client alone: `connections` requests in flight through an undici Agent (ours'
  // settings, src/proxy/upstream-agent.ts), each body read to its end, for `seconds`.
  const { Agent } = await import('undici');
  const [url, seconds, connections] = [process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const { origin, pathname } = new URL(url);
  const agent = new Agent({ connections: 128, keepAliveTimeout: 4_000, pipelining: 1 });
  const headers = { host: new URL(url).host, 'user-agent': 'floors' };
  let done = 0;
  let stop = false;
  const one = () =>
    new Promise((resolve, reject) => {
      agent.dispatch(
        { origin, path: pathname, method: 'GET', headers },
        {
          onRequestStart() {},
          onResponseStart() {},
          onResponseData() {},
          onResponseEnd() {
            done++;
            resolve();
          },
          onResponseError(c, err) {
            reject(err);
          },
        },
      );
    });
  const worker = async () => {
    while (!stop) await one();
  };
  // Warm-up, then the measured window.
  const warm = Array.from({ length: connections }, worker);
  await new Promise((r) => setTimeout(r, 1000));
  const c0 = process.cpuUsage();
  const d0 = done;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(c0);
  const requests = done - d0;
  const wall = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(warm);
  process.stdout.write(
    JSON.stringify({ requests, rps: requests / wall, cpuUsPerReq: (cpu.user + cpu.system) / requests, userUsPerReq: cpu.user / requests, systemUsPerReq: cpu.system / requests }) +
      '\n',
  );
  await agent.close();
  process.exit(0);
}

const autocannon = (await import('autocannon')).default;
const flags = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => a.slice(2).split('=')),
);
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const seconds = Number(positional[0] ?? 5);
const rounds = Number(positional[1] ?? 3);
const connections = Number(positional[2] ?? 50);
const bodyKey = flags.body ?? 'small';
const PATHS = { small: '/small', '64k': '/big' };
if (!(bodyKey in PATHS)) throw new Error(`--body=${bodyKey}: expected small or 64k`);
const bodyPath = PATHS[bodyKey];
const proxyTargets = (flags.targets ?? 'bare').split(',');
for (const t of proxyTargets) if (!['bare', 'ours', 'fastify'].includes(t)) throw new Error(`--targets: unknown target ${t} (bare, ours, fastify)`);

const CLOCK_TICKS = 100;
/** [user, system] CPU seconds of a process so far. */
function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) / CLOCK_TICKS, Number(f[12]) / CLOCK_TICKS];
}
const cpuSeconds = (pid) => cpuTimes(pid).reduce((a, b) => a + b, 0);

/** Starts a script that prints `{"port": N}` first, or (with `lines`) collects its JSON lines. */
function start(args) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const rl = createInterface({ input: child.stdout });
  const first = new Promise((resolve, reject) => {
    rl.on('line', (line) => {
      lines.push(JSON.parse(line));
      if (lines.length === 1) resolve(lines[0]);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
  return { child, first };
}

function load(url, secs) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: secs, pipelining: 1 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** autocannon against `url` for `seconds`: req/s and CPU µs per request of each process (total, and [user, system]). */
async function measure(url, pids) {
  await load(url, 1); // warm-up: JIT, keep-alive pools
  const before = pids.map(cpuTimes);
  const c0 = process.cpuUsage();
  const r = await load(url, seconds);
  const own = process.cpuUsage(c0);
  const requests = r.requests.total;
  const per = (s) => (s * 1e6) / requests;
  const split = pids.map((pid, i) => cpuTimes(pid).map((x, k) => per(x - before[i][k])));
  return {
    rps: r.requests.average,
    autocannonUs: (own.user + own.system) / requests,
    autocannonSplit: [own.user / requests, own.system / requests],
    processUs: split.map(([u, s]) => u + s),
    processSplit: split,
    non2xx: r.non2xx,
  };
}

const upstream = start([join(here, 'proxy', 'upstream.mjs')]);
const { port: upPort } = await upstream.first;
const upstreamUrl = `http://127.0.0.1:${upPort}`;
// Every proxy stays up for the whole run (each is measured only in its turn, idle otherwise).
const proxies = {};
for (const t of proxyTargets) {
  const argv =
    t === 'bare'
      ? [join(here, 'proxy', 'bare-undici.mjs'), JSON.stringify({ upstream: upstreamUrl })]
      : [join(here, 'proxy', 'server.mjs'), JSON.stringify({ kind: t, upstream: upstreamUrl })];
  const p = start(argv);
  const info = await p.first;
  if (info.error) throw new Error(`${t}: ${info.error}`);
  proxies[t] = { child: p.child, port: info.port };
}
const bare = proxies.bare;

const rows = { direct: [], client: [], ...Object.fromEntries(proxyTargets.map((t) => [t, []])) };
try {
  for (let round = 0; round < rounds; round++) {
    rows.direct.push(await measure(`${upstreamUrl}${bodyPath}`, [upstream.child.pid]));
    const up0 = cpuSeconds(upstream.child.pid);
    const client = start([fileURLToPath(import.meta.url), '--client', `${upstreamUrl}${bodyPath}`, String(seconds), String(connections)]);
    const c = await client.first;
    c.upstreamUs = ((cpuSeconds(upstream.child.pid) - up0) * 1e6) / c.requests; // includes its warm-up second: indicative
    rows.client.push(c);
    for (const t of proxyTargets) rows[t].push(await measure(`http://127.0.0.1:${proxies[t].port}${bodyPath}`, [proxies[t].child.pid, upstream.child.pid]));
  }
} finally {
  upstream.child.kill('SIGTERM');
  for (const p of Object.values(proxies)) p.child.kill('SIGTERM');
}

const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const A = med(rows.direct.map((r) => r.autocannonUs));
const U = med(rows.direct.map((r) => r.processUs[0]));
const C = med(rows.client.map((r) => r.cpuUsPerReq));
const direct = med(rows.direct.map((r) => r.rps));
const fmt = (x) => x.toFixed(1);
// user + system = total, each the median over the rounds (so the parts need not add up exactly).
const us = (list, total, split) => `${fmt(med(list.map(total)))} (${fmt(med(list.map((r) => split(r)[0])))} + ${fmt(med(list.map((r) => split(r)[1])))})`;
console.log(
  `## Proxy floor: ${rounds} rounds of ${seconds} s, ${connections} connections, ${bodyKey === 'small' ? 'small JSON' : '64 KB'} body, load ${loadavg()[0].toFixed(1)}, node ${process.version}`,
);
console.log('| run | req/s (each round) | autocannon CPU µs/req (user + sys) | upstream CPU µs/req (user + sys) | proxy or client CPU µs/req (user + sys) |');
console.log('| --- | --- | ---: | ---: | ---: |');
const each = (list) => list.map((r) => Math.round(r.rps)).join(' / ');
console.log(
  `| direct | ${each(rows.direct)} | ${us(
    rows.direct,
    (r) => r.autocannonUs,
    (r) => r.autocannonSplit,
  )} | ${us(
    rows.direct,
    (r) => r.processUs[0],
    (r) => r.processSplit[0],
  )} | |`,
);
console.log(
  `| undici client alone (no autocannon) | ${each(rows.client)} | | ${fmt(med(rows.client.map((r) => r.upstreamUs)))} | ${us(
    rows.client,
    (r) => r.cpuUsPerReq,
    (r) => [r.userUsPerReq, r.systemUsPerReq],
  )} |`,
);
for (const t of proxyTargets) {
  const name = { bare: 'bare undici proxy', ours: 'ours (createGateway)', fastify: '@fastify/http-proxy' }[t];
  console.log(
    `| ${name} | ${each(rows[t])} | ${us(
      rows[t],
      (r) => r.autocannonUs,
      (r) => r.autocannonSplit,
    )} | ${us(
      rows[t],
      (r) => r.processUs[1],
      (r) => r.processSplit[1],
    )} | ${us(
      rows[t],
      (r) => r.processUs[0],
      (r) => r.processSplit[0],
    )} |`,
  );
}
if (!bare) process.exit(0);
const bareRps = med(rows.bare.map((r) => r.rps));
const bareUs = med(rows.bare.map((r) => r.processUs[0]));
// Each process is one thread, and the machine has 2 cores: a request takes at least the CPU
// time of the busiest process (it cannot use both cores) and at least half of the total.
const perRequest = (...cpu) => Math.max(...cpu, cpu.reduce((a, b) => a + b, 0) / 2);
const tDirect = perRequest(A, U);
const ideal = tDirect / perRequest(A, U, U + C);
const withBare = tDirect / perRequest(A, U, bareUs);
console.log(`\nper request on 2 cores, one thread per process: T = max(busiest process, total / 2)`);
console.log(`direct: T = max(${fmt(A)}, ${fmt(U)}, ${fmt((A + U) / 2)}) = ${fmt(tDirect)} µs`);
console.log(`ideal proxy (S + C = ${fmt(U + C)} µs): best proxied/direct = **${ideal.toFixed(2)}x**`);
console.log(
  `the bare undici proxy's own CPU (${fmt(bareUs)} µs): bound ${withBare.toFixed(2)}x; measured ${Math.round(bareRps)} / ${Math.round(direct)} req/s = ${(bareRps / direct).toFixed(2)}x`,
);
// Against @fastify/http-proxy (issue 18: >= 1.5x its req/s): with every process's CPU per
// request measured, the same T bounds each proxy's throughput; the ideal proxy (S + C, nothing
// but the two exchanges) against fastify's measured T is the best ratio ANY proxy could reach
// here, and each real proxy's own T gives the ratio its CPU allows.
if (rows.fastify) {
  const tOf = (t) => perRequest(med(rows[t].map((r) => r.autocannonUs)), med(rows[t].map((r) => r.processUs[1])), med(rows[t].map((r) => r.processUs[0])));
  const tFastify = tOf('fastify');
  const fastifyRps = med(rows.fastify.map((r) => r.rps));
  console.log(
    `fastify: T = ${fmt(tFastify)} µs; ideal proxy T = ${fmt(perRequest(A, U, U + C))} µs: best any proxy / fastify = **${(tFastify / perRequest(A, U, U + C)).toFixed(2)}x**`,
  );
  for (const t of proxyTargets.filter((x) => x !== 'fastify')) {
    const rps = med(rows[t].map((r) => r.rps));
    console.log(
      `${t}: T = ${fmt(tOf(t))} µs: bound / fastify ${(tFastify / tOf(t)).toFixed(2)}x; measured ${Math.round(rps)} / ${Math.round(fastifyRps)} req/s = ${(rps / fastifyRps).toFixed(2)}x`,
    );
  }
}
