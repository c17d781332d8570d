/**
 * Proxy throughput: autocannon (programmatic) against
 *   - the upstream directly,
 *   - our gateway (createGateway, bench/proxy/server.mjs),
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
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import autocannon from 'autocannon';

const here = dirname(fileURLToPath(import.meta.url));

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

function load(url, seconds, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: seconds, pipelining: 1 }, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

const BODIES = [
  { key: 'small', path: '/small', title: 'small JSON' },
  { key: '64k', path: '/big', title: '64 KB' },
];

export async function runProxy({ seconds = 5, warmupSeconds = 1, connections = 50, rounds = 1, log = () => {} } = {}) {
  const upstream = await startProcess('upstream.mjs');
  const upstreamUrl = `http://127.0.0.1:${upstream.info.port}`;
  const targets = [
    { key: 'direct', name: 'upstream directly' },
    { key: 'ours', name: 'ours (createGateway)' },
    { key: 'fastify', name: '@fastify/http-proxy' },
  ];
  const runs = Object.fromEntries(targets.map((t) => [t.key, Object.fromEntries(BODIES.map((b) => [b.key, []]))]));
  try {
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        let proc = null;
        let base = upstreamUrl;
        if (target.key !== 'direct') {
          try {
            proc = await startProcess('server.mjs', { kind: target.key, upstream: upstreamUrl });
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
          for (const body of BODIES) {
            if (warmupSeconds > 0) await load(base + body.path, warmupSeconds, connections);
            const r = await load(base + body.path, seconds, connections);
            const run = {
              reqPerSec: r.requests.average,
              p50Ms: r.latency.p50,
              p99Ms: r.latency.p99,
              errors: r.errors + r.timeouts,
              non2xx: r.non2xx,
              requests: r.requests.total,
            };
            log(
              `  proxy ${target.key} ${body.key}: ${Math.round(run.reqPerSec)} req/s, p50 ${run.p50Ms} ms, p99 ${run.p99Ms} ms${run.errors || run.non2xx ? `, ${run.errors} errors, ${run.non2xx} non-2xx` : ''}`,
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
    bodies: BODIES,
    targets: targets.map((t) => ({
      key: t.key,
      name: t.name,
      available: !t.reason,
      reason: t.reason ?? null,
      backend: t.backend ?? null,
      results: Object.fromEntries(BODIES.map((b) => [b.key, pickMedian(runs[t.key][b.key])])),
    })),
  };
}
