/**
 * Proxy throughput: autocannon (programmatic) against
 *   - the upstream directly,
 *   - our gateway (createGateway, bench/proxy/server.mjs),
 *   - a bare undici proxy of ~20 lines (bench/proxy/bare-undici.mjs): the floor of what a
 *     proxy on undici costs, so "what our code adds" is a figure of the same run,
 *   - fastify + @fastify/http-proxy,
 * all forwarding to the SAME upstream process, for a small JSON response and a 64 KB one.
 *
 * Layout: upstream and each proxy run in their own processes; the load generator runs in
 * this process. On a 2-core machine all three compete for the cores, exactly as in
 * PERFORMANCE-NOTES.md; the direct run has one process fewer, which is the point of
 * comparing against it. Only one proxy is up at a time. Every (target, body) pair gets a
 * warm-up run (JIT, keep-alive pools) before the measured one; with `rounds` > 1 the
 * targets are measured in turn (direct, ours, fastify, direct, ...) so a burst of background
 * load does not land on one target only, and the run with the median req/s is kept (use an
 * odd number of rounds).
 *
 * Besides req/s, each run reports the CPU time per request of the proxy process and of the
 * upstream process (utime + stime from /proc/<pid>/stat over the measured run, divided by the
 * requests autocannon completed): req/s swings with the neighbours' load on a shared machine,
 * CPU per request much less. On a system without /proc the CPU figures are null.
 *
 * By hand: `node bench/proxy.mjs [seconds=5] [rounds=3] [bodies=small,64k] [targets=direct,ours,bare,fastify]` prints the table (targets measured in the order given)
 * with the ratios of the same run (after `npx tsup`: ours is the built package).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is no /proc. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
// USER_HZ: 100 on every Linux build this runs on (getconf CLK_TCK); 10 ms granularity over a
// run of several seconds and ~100,000 requests.
const CLOCK_TICKS = 100;

function startProcess(script, arg) {
  const child = spawn(process.execPath, [join(here, 'proxy', script), ...(arg ? [JSON.stringify(arg)] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), 20_000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      const info = JSON.parse(line);
      resolve({ child, info });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
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

// RATE=n (env, by hand only): a fixed offered load of n req/s instead of saturation. CPU per
// request below saturation moves less with the neighbours' load (at saturation the batching per
// event-loop turn, and so the cost per request, follows the CPU share the proxy gets).
const RATE = Number(process.env.RATE ?? 0);

function load(url, seconds, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1, ...(RATE > 0 ? { overallRate: RATE } : {}) }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const BODIES = [
  { key: 'small', path: '/small', title: 'small JSON' },
  { key: '64k', path: '/big', title: '64 KB' },
];

export async function runProxy({ seconds = 5, warmupSeconds = 1, connections = 50, rounds = 1, bodies = BODIES.map((b) => b.key), only = null, log = () => {} } = {}) {
  const measured = BODIES.filter((b) => bodies.includes(b.key));
  const upstream = await startProcess('upstream.mjs');
  const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`;
  const targets = [
    { key: 'direct', name: 'upstream directly' },
    { key: 'ours', name: 'ours (createGateway)' },
    { key: 'bare', name: 'bare undici proxy (~20 lines)', script: 'bare-undici.mjs' },
    // BASE_DIST=/abs/path/to/other/dist/index.js (env, by hand): the same gateway from another build, in the same run.
    ...(process.env.BASE_DIST ? [{ key: 'ours-base', name: 'ours, BASE_DIST build', arg: { kind: 'ours', dist: process.env.BASE_DIST } }] : []),
    { key: 'fastify', name: '@fastify/http-proxy' },
  ]
    .filter((t) => only === null || only.includes(t.key))
    // In the order `only` lists them (by hand: `bare,ours` measures the bare proxy first in each round, to see an order effect).
    .sort((a, b) => (only === null ? 0 : only.indexOf(a.key) - only.indexOf(b.key)));
  const runs = Object.fromEntries(targets.map((t) => [t.key, Object.fromEntries(BODIES.map((b) => [b.key, []]))]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        let proc = null;
        let base = upstreamUrl;
        if (target.key !== 'direct') {
          try {
            proc = await startProcess(target.script ?? 'server.mjs', { kind: target.key, ...target.arg, upstream: upstreamUrl });
          } catch (e) {
            target.reason = e.message;
            continue;
          }
          if (proc.info.error) {
            target.reason = proc.info.error;
            await stop(proc.child);
            continue;
          }
          if (proc.info.backend) target.backend = proc.info.backend;
          base = `http://127.0.0.1:${proc.info.port}`;
        }
        try {
          for (const body of measured) {
            if (warmupSeconds > 0) await load(base + body.path, warmupSeconds, connections);
            const proxyCpu = proc ? cpuSeconds(proc.child.pid) : null;
            const upstreamCpu = cpuSeconds(upstream.child.pid);
            const r = await load(base + body.path, seconds, connections);
            const done = Math.max(1, r.requests.total);
            const perRequest = (pid, from) => (from === null ? null : ((cpuSeconds(pid) - from) * 1e6) / done);
            const run = {
              proxyCpuUs: proc ? perRequest(proc.child.pid, proxyCpu) : null,
              upstreamCpuUs: perRequest(upstream.child.pid, upstreamCpu),
              reqPerSec: r.requests.average,
              p50Ms: r.latency.p50,
              p99Ms: r.latency.p99,
              errors: r.errors + r.timeouts,
              non2xx: r.non2xx,
              requests: r.requests.total,
            };
            log(
              `  proxy ${target.key} ${body.key}: ${Math.round(run.reqPerSec)} req/s${run.proxyCpuUs !== null ? `, proxy CPU ${run.proxyCpuUs.toFixed(1)} us/req` : ''}, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms${run.errors || run.non2xx ? `, ${run.errors} errors, ${run.non2xx} non-2xx` : ''}`,
            );
            runs[target.key][body.key].push(run);
          }
        } finally {
          if (proc) await stop(proc.child);
        }
      }
    }
  } finally {
    await stop(upstream.child);
  }
  const pickMedian = (list) => {
    if (list.length === 0) return null;
    const sorted = [...list].sort((a, b) => a.reqPerSec - b.reqPerSec);
    return sorted[(sorted.length - 1) >> 1];
  };
  return {
    connections,
    seconds,
    rounds,
    bodies: measured,
    targets: targets.map((t) => ({
      key: t.key,
      name: t.name,
      available: !t.reason,
      reason: t.reason ?? null,
      backend: t.backend ?? null,
      results: Object.fromEntries(measured.map((b) => [b.key, pickMedian(runs[t.key][b.key])])),
      // Median over the rounds, separately from req/s (the steadier figure on a shared machine).
      proxyCpuUs: Object.fromEntries(measured.map((b) => [b.key, medianOf(runs[t.key][b.key].map((r) => r.proxyCpuUs))])),
    })),
  };
}

function medianOf(values) {
  const xs = values.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return xs.length === 0 ? null : xs[(xs.length - 1) >> 1];
}

// By hand: prints every round as it goes, then the medians and the ratios of this run.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [seconds = 5, rounds = 3] = process.argv.slice(2, 4).map(Number);
  const bodies = (process.argv[4] ?? 'small,64k').split(',');
  const only = process.argv[5]?.split(',').concat(process.env.BASE_DIST ? ['ours-base'] : []) ?? null;
  const r = await runProxy({ seconds, rounds, warmupSeconds: 1, bodies, only, log: (line) => console.log(line) });
  console.log(`\n${r.connections} connections, ${seconds} s per run, median of ${rounds} rounds, node ${process.version}`);
  for (const body of r.bodies) {
    const rps = (key) => r.targets.find((t) => t.key === key)?.results[body.key]?.reqPerSec ?? NaN;
    for (const t of r.targets) {
      const x = t.results[body.key];
      if (!x) continue;
      const cpu = t.proxyCpuUs[body.key];
      console.log(
        `${body.key.padEnd(6)} ${t.key.padEnd(8)} ${String(Math.round(x.reqPerSec)).padStart(6)} req/s  p99 ${String(x.p99Ms).padStart(3)} ms  ` +
          `${cpu === null ? '' : `proxy CPU ${cpu.toFixed(1)} us/req  `}x direct ${(x.reqPerSec / rps('direct')).toFixed(2)}  x fastify ${(x.reqPerSec / rps('fastify')).toFixed(2)}  x bare ${(x.reqPerSec / rps('bare')).toFixed(2)}${cpu !== null && t.proxyCpuUs[body.key] && r.targets.find((u) => u.key === 'bare')?.proxyCpuUs[body.key] ? `  CPU x bare ${(cpu / r.targets.find((u) => u.key === 'bare').proxyCpuUs[body.key]).toFixed(2)}` : ''}`,
      );
    }
  }
}
