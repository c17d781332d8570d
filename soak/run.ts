/**
 * Load and soak of the Node gateway (issue 5): `npm run soak`.
 *
 * Processes, all on 127.0.0.1:
 *   - the upstream (soak/upstream.mjs): a real HTTP server on a fixed port;
 *   - the gateway (soak/gateway.ts): `createGateway` from src/proxy behind node:http, in its own
 *     process so its file descriptors and memory are read from /proc/<pid>;
 *   - this process: the client (an undici Pool of 100 connections, 100 concurrent workers).
 *
 * Phase 1 (steady): N requests (default 100,000) at concurrency 100; every answer must be the
 *   expected one (2xx, or the 400/404/414 a deliberately bad request gets), zero errors.
 * Phase 2 (faults): the same load while the upstream is killed (SIGKILL) and restarted every
 *   few seconds, and sometimes frozen (SIGSTOP) past the gateway's header timeout: every
 *   request must be answered, 2xx or 502/504 (or its 4xx), no client-side error other than a
 *   streamed body cut short because the upstream died mid-body (counted apart), and no
 *   unhandled rejection or uncaught exception in the gateway.
 * After each phase (client closed, idle, GC): the gateway's open fds and sockets must be back
 *   to the fresh baseline (+2), and its RSS near the warmed-up baseline (+max(32 MB, 25%)).
 *
 * Options (env): SOAK_REQUESTS (default 100000), SOAK_CONCURRENCY (default 100),
 * SOAK_MAX_SECONDS per phase (default 300), SOAK_FAULT_PERIOD_MS (upstream uptime between
 * faults, default 1500), SOAK_UPSTREAM_KEEPALIVE_MS (default 5000). Exit code 0 when every
 * check passes. A quick version (about 25 s): SOAK_REQUESTS=6000 SOAK_CONCURRENCY=50
 * SOAK_FAULT_PERIOD_MS=400 SOAK_UPSTREAM_KEEPALIVE_MS=500 npm run soak.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const REQUESTS = Number(process.env.SOAK_REQUESTS ?? 100_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 100);
const MAX_SECONDS = Number(process.env.SOAK_MAX_SECONDS ?? 300);
const WARMUP = Math.min(2_000, REQUESTS);
/** Time the upstream runs between two faults (ms); the quick CI run shortens it. */
const FAULT_PERIOD = Number(process.env.SOAK_FAULT_PERIOD_MS ?? 1_500);
/** The upstream server's keep-alive timeout (ms): how long idle upstream sockets linger after a phase. */
const UPSTREAM_KEEPALIVE = Number(process.env.SOAK_UPSTREAM_KEEPALIVE_MS ?? 5_000);

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const parentFaults = { unhandledRejections: 0, uncaughtExceptions: 0 };
process.on('unhandledRejection', (r) => {
  parentFaults.unhandledRejections++;
  console.error('soak: unhandled rejection in the client process:', r);
});

// ---------------------------------------------------------------------------------------
// Processes.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function waitListening(child: ChildProcess, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 30 s`)), 30_000);
    child.on('message', function onMessage(msg: { type?: string; port?: number }) {
      if (msg?.type === 'listening') {
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(msg.port!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited before listening (${code ?? signal})`));
    });
  });
}

let upstream: ChildProcess | null = null;

async function startUpstream(port: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const child = fork(here('./upstream.mjs'), [String(port), String(UPSTREAM_KEEPALIVE)], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    try {
      await waitListening(child, 'upstream');
      upstream = child;
      return;
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt >= 20) throw new Error(`${(err as Error).message}: ${stderr}`);
      await sleep(100); // the port may still be held for a moment after a kill
    }
  }
}

function killUpstream(signal: NodeJS.Signals): Promise<void> {
  const child = upstream;
  upstream = null;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

interface GatewayStats {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  resources: Record<string, number>;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  faults: { unhandledRejections: number; uncaughtExceptions: number; last: string };
  connections: number;
}

interface Snapshot {
  fds: number;
  sockets: number;
  rssKb: number;
  gw: GatewayStats;
}

function gatewayStats(gw: ChildProcess): Promise<GatewayStats> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('gateway stats timed out')), 10_000);
    gw.on('message', function onMessage(msg: GatewayStats & { type?: string }) {
      if (msg?.type === 'stats') {
        clearTimeout(timer);
        gw.off('message', onMessage);
        resolve(msg);
      }
    });
    gw.send({ type: 'stats' });
  });
}

/** Open fds and sockets of a process, read from /proc (outside the process). */
function fdCounts(pid: number): { fds: number; sockets: number } {
  let fds = 0;
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    fds++;
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
    } catch {
      // closed while we looked
    }
  }
  return { fds, sockets };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : -1;
}

async function snapshot(gw: ChildProcess): Promise<Snapshot> {
  const stats = await gatewayStats(gw); // forces a GC first
  return { ...fdCounts(gw.pid!), rssKb: rssKb(gw.pid!), gw: stats };
}

/** Waits until the gateway's fds are back to `target` (idle keep-alive sockets time out), at most `ms`. */
async function settle(gw: ChildProcess, target: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end && fdCounts(gw.pid!).fds > target) await sleep(250);
  await sleep(250);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Samples the gateway's fds, sockets and RSS every 250 ms; `stop()` returns the peaks. */
function samplePeaks(pid: number) {
  const peak = { fds: 0, sockets: 0, rssKb: 0 };
  const take = () => {
    try {
      const c = fdCounts(pid);
      peak.fds = Math.max(peak.fds, c.fds);
      peak.sockets = Math.max(peak.sockets, c.sockets);
      peak.rssKb = Math.max(peak.rssKb, rssKb(pid));
    } catch {
      // the process is gone; the checks will say so
    }
  };
  const timer = setInterval(take, 250);
  return {
    stop() {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Load.

type Kind = 'get' | 'post' | 'stream' | 'hop' | 'bad-400' | 'not-found-404' | 'too-long-414';

interface Spec {
  kind: Kind;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** The status a healthy upstream produces. */
  expect: number;
  /** Whether the upstream is involved (so 502/504 are acceptable under faults). */
  upstream: boolean;
}

const postBody = Buffer.alloc(4096, 'p');
const longPath = '/' + 'a'.repeat(9_000);

function spec(i: number): Spec {
  switch (i % 100) {
    case 0:
      return { kind: 'bad-400', method: 'GET', path: '/api/%2e%2e%2Fetc', expect: 400, upstream: false };
    case 1:
      return { kind: 'not-found-404', method: 'GET', path: `/nope/${i}`, expect: 404, upstream: false };
    case 2:
      return { kind: 'too-long-414', method: 'GET', path: longPath, expect: 414, upstream: false };
    case 3:
      return { kind: 'post', method: 'POST', path: '/api/upload', body: postBody, headers: { 'content-type': 'application/octet-stream' }, expect: 200, upstream: true };
    case 4:
    case 54:
      return { kind: 'stream', method: 'GET', path: `/stream/32`, expect: 200, upstream: true };
    case 5:
      return { kind: 'hop', method: 'GET', path: `/api/hop/${i}`, headers: { connection: 'keep-alive, x-secret', 'x-secret': '1', te: 'trailers', 'proxy-authorization': 'Basic eA==' }, expect: 200, upstream: true };
    default:
      switch (i % 3) {
        case 0:
          return { kind: 'get', method: 'GET', path: `/items/${i}`, expect: 200, upstream: true };
        case 1:
          return { kind: 'get', method: 'GET', path: `/api/v1/users/${i}?x=${i}&y=%20`, expect: 200, upstream: true };
        default:
          return { kind: 'get', method: 'GET', path: `/t/tenant-${i % 97}/orders/${i}/../${i}`, expect: 200, upstream: true };
      }
  }
}

interface PhaseResult {
  requests: number;
  completed: number;
  seconds: number;
  byStatus: Record<string, number>;
  /** Answers that are fine: key is "<kind> <status>". */
  expected: Record<string, number>;
  /** Anything else: key says what. */
  unexpected: Record<string, number>;
  /** Streamed 200s whose body was cut because the upstream died mid-body (faults phase only). */
  bodyCut: number;
  examples: string[];
}

async function runLoad(gatewayPort: number, requests: number, faults: boolean): Promise<PhaseResult> {
  const pool = new Pool(`http://127.0.0.1:${gatewayPort}`, {
    connections: CONCURRENCY,
    pipelining: 1,
    headersTimeout: 20_000,
    bodyTimeout: 20_000,
    keepAliveTimeout: 4_000,
  });
  const result: PhaseResult = { requests, completed: 0, seconds: 0, byStatus: {}, expected: {}, unexpected: {}, bodyCut: 0, examples: [] };
  const bump = (o: Record<string, number>, k: string) => (o[k] = (o[k] ?? 0) + 1);
  const note = (what: string, detail: string) => {
    bump(result.unexpected, what);
    if (result.examples.length < 10) result.examples.push(`${what}: ${detail}`);
  };
  const started = Date.now();
  const deadline = started + MAX_SECONDS * 1000;
  let next = 0;

  async function one(i: number): Promise<void> {
    const s = spec(i);
    let status = 0;
    try {
      const res = await pool.request({ method: s.method, path: s.path, headers: s.headers, body: s.body });
      status = res.statusCode;
      bump(result.byStatus, String(status));
      let bodyError: unknown = null;
      try {
        await res.body.arrayBuffer();
      } catch (err) {
        bodyError = err;
      }
      const okStatus = status === s.expect || (faults && s.upstream && (status === 502 || status === 504));
      if (bodyError !== null) {
        if (faults && s.kind === 'stream' && status === 200) result.bodyCut++;
        else note(`body error after ${status} (${s.kind})`, `${s.path.slice(0, 60)}: ${String((bodyError as Error).message ?? bodyError)}`);
      } else if (okStatus) {
        bump(result.expected, `${s.kind} ${status}`);
      } else {
        note(`status ${status} for ${s.kind} (expected ${s.expect}${faults && s.upstream ? '/502/504' : ''})`, s.path.slice(0, 60));
      }
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).name;
      note(`client error ${code} (${s.kind})`, `${s.path.slice(0, 60)}: ${(err as Error).message}`);
    }
    result.completed++;
  }

  async function worker(): Promise<void> {
    while (next < requests && Date.now() < deadline) await one(next++);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  result.seconds = (Date.now() - started) / 1000;
  await pool.close();
  if (result.completed < requests) note('not run (phase time limit)', `${requests - result.completed} requests`);
  return result;
}

/** Kills and restarts (or freezes) the upstream every few seconds until `stop()`. */
function injectFaults(port: number) {
  let running = true;
  const counts = { kills: 0, freezes: 0, restarts: 0 };
  const loop = (async () => {
    let cycle = 0;
    while (running) {
      await sleep(FAULT_PERIOD + (cycle % 3) * (FAULT_PERIOD / 3));
      if (!running) break;
      cycle++;
      if (cycle % 4 === 0 && upstream) {
        // Frozen past the gateway's 1.5 s header timeout: in-flight and new requests get 504.
        const child = upstream;
        child.kill('SIGSTOP');
        counts.freezes++;
        await sleep(2_000);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGCONT');
      } else {
        await killUpstream('SIGKILL');
        counts.kills++;
        await sleep(300 + (cycle % 5) * 100); // down: connections refused
        await startUpstream(port);
        counts.restarts++;
      }
    }
  })();
  return {
    counts,
    async stop() {
      running = false;
      await loop;
      if (!upstream) await startUpstream(port);
    },
  };
}

// ---------------------------------------------------------------------------------------
// Report.

const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const mbB = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const fmtCounts = (o: Record<string, number>) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || '(none)';

function printPhase(name: string, r: PhaseResult, before: Snapshot, after: Snapshot, extra = '') {
  console.log(`\n== ${name} ==`);
  console.log(`requests ${r.requests}, completed ${r.completed} in ${r.seconds.toFixed(1)} s (${Math.round(r.completed / r.seconds)} req/s), concurrency ${CONCURRENCY}${extra}`);
  console.log(`client statuses   ${fmtCounts(r.byStatus)}`);
  console.log(`expected answers  ${fmtCounts(r.expected)}`);
  console.log(`unexpected        ${fmtCounts(r.unexpected)} (total ${total(r.unexpected)})`);
  if (r.bodyCut > 0) console.log(`streamed 200s cut short by an upstream death mid-body: ${r.bodyCut}`);
  for (const e of r.examples) console.log(`  e.g. ${e}`);
  const statusDelta = Object.fromEntries(Object.entries(after.gw.statuses).map(([k, v]) => [k, v - (before.gw.statuses[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
  const errorDelta = Object.fromEntries(Object.entries(after.gw.errors).map(([k, v]) => [k, v - (before.gw.errors[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
  console.log(`gateway log       statuses ${fmtCounts(statusDelta as Record<string, number>)}`);
  console.log(`gateway errors    ${fmtCounts(errorDelta as Record<string, number>)}`);
}

async function main(): Promise<void> {
  const upstreamPort = await freePort();
  await startUpstream(upstreamPort);
  const gw = fork(here('./gateway.ts'), [String(upstreamPort)], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const gatewayPort = await waitListening(gw, 'gateway');
  const checks: [string, boolean, string][] = [];
  try {
    const fresh = await snapshot(gw);
    console.log(`gateway pid ${gw.pid} on 127.0.0.1:${gatewayPort}, upstream on 127.0.0.1:${upstreamPort}`);
    console.log(`fresh:     fds ${fresh.fds} (sockets ${fresh.sockets}), RSS ${mb(fresh.rssKb)}, heap ${mbB(fresh.gw.heapUsed)}`);

    const warm = await runLoad(gatewayPort, WARMUP, false);
    await settle(gw, fresh.fds, 10_000);
    const base = await snapshot(gw);
    console.log(`warmed up (${warm.completed} requests, ${total(warm.unexpected)} unexpected): fds ${base.fds} (sockets ${base.sockets}), RSS ${mb(base.rssKb)}, heap ${mbB(base.gw.heapUsed)}`);

    // Phase 1: steady load.
    const s1 = samplePeaks(gw.pid!);
    const p1 = await runLoad(gatewayPort, REQUESTS, false);
    const p1Peak = s1.stop();
    await settle(gw, fresh.fds, 10_000);
    const after1 = await snapshot(gw);
    printPhase(`phase 1: steady load`, p1, base, after1);

    // Phase 2: the same with the upstream killed/frozen and restarted every few seconds.
    const faults = injectFaults(upstreamPort);
    const s2 = samplePeaks(gw.pid!);
    const p2 = await runLoad(gatewayPort, REQUESTS, true);
    const p2Peak = s2.stop();
    await faults.stop();
    await settle(gw, fresh.fds, 10_000);
    const after2 = await snapshot(gw);
    printPhase(`phase 2: upstream killed and restarted every few seconds`, p2, after1, after2, `; upstream SIGKILLed ${faults.counts.kills}x (restarted ${faults.counts.restarts}x), frozen ${faults.counts.freezes}x`);

    console.log('\n== resources of the gateway process (after a forced GC; fds from /proc/<pid>/fd) ==');
    const row = (name: string, s: { fds: number; sockets?: number; rssKb: number }, heap?: number) =>
      console.log(`${name.padEnd(24)} fds ${String(s.fds).padStart(4)}  sockets ${String(s.sockets ?? '-').padStart(4)}  RSS ${mb(s.rssKb).padStart(9)}${heap !== undefined ? `  heap ${mbB(heap)}` : ''}`);
    row('fresh', fresh, fresh.gw.heapUsed);
    row('warmed up (baseline)', base, base.gw.heapUsed);
    row('phase 1 peak', p1Peak);
    row('after phase 1 (idle)', after1, after1.gw.heapUsed);
    row('phase 2 peak', p2Peak);
    row('after phase 2 (idle)', after2, after2.gw.heapUsed);
    console.log(`active handles after: ${fmtCounts(after2.gw.resources)}; open client connections: ${after2.gw.connections}`);
    console.log(`gateway: unhandled rejections ${after2.gw.faults.unhandledRejections}, uncaught exceptions ${after2.gw.faults.uncaughtExceptions}${after2.gw.faults.last ? ` (last: ${after2.gw.faults.last.slice(0, 200)})` : ''}`);
    console.log(`client process: unhandled rejections ${parentFaults.unhandledRejections}`);

    const rssSlack = (s: Snapshot) => Math.max(32 * 1024, s.rssKb * 0.25);
    checks.push(['phase 1: every request completed', p1.completed === REQUESTS, `${p1.completed}/${REQUESTS}`]);
    checks.push(['phase 1: zero unexpected answers or errors', total(p1.unexpected) === 0, `${total(p1.unexpected)}`]);
    checks.push(['phase 2: every request completed', p2.completed === REQUESTS, `${p2.completed}/${REQUESTS}`]);
    checks.push(['phase 2: every request answered (2xx/502/504 or its 4xx)', total(p2.unexpected) === 0, `${total(p2.unexpected)} unexpected`]);
    checks.push(['phase 2: the upstream was really killed', faults.counts.kills > 0, `${faults.counts.kills} kills`]);
    checks.push(['phase 2: 502s and 2xx both seen', (p2.byStatus['502'] ?? 0) > 0 && (p2.byStatus['200'] ?? 0) > 0, `502: ${p2.byStatus['502'] ?? 0}, 504: ${p2.byStatus['504'] ?? 0}`]);
    checks.push(['no unhandled rejection or uncaught exception (gateway, client)', after2.gw.faults.unhandledRejections + after2.gw.faults.uncaughtExceptions + parentFaults.unhandledRejections === 0, '']);
    checks.push(['fds back to fresh (+2) after phase 1', after1.fds <= fresh.fds + 2, `${fresh.fds} -> ${after1.fds}`]);
    checks.push(['fds back to fresh (+2) after phase 2', after2.fds <= fresh.fds + 2, `${fresh.fds} -> ${after2.fds}`]);
    checks.push(['sockets back to fresh after phase 2', after2.sockets <= fresh.sockets, `${fresh.sockets} -> ${after2.sockets}`]);
    checks.push(['RSS near baseline after phase 1', after1.rssKb <= base.rssKb + rssSlack(base), `${mb(base.rssKb)} -> ${mb(after1.rssKb)}`]);
    checks.push(['RSS near baseline after phase 2', after2.rssKb <= base.rssKb + rssSlack(base), `${mb(base.rssKb)} -> ${mb(after2.rssKb)}`]);
    checks.push(['heap near baseline after phase 2 (+16 MB)', after2.gw.heapUsed <= base.gw.heapUsed + 16 * 1048576, `${mbB(base.gw.heapUsed)} -> ${mbB(after2.gw.heapUsed)}`]);
  } finally {
    gw.send({ type: 'close' });
    await Promise.race([new Promise((r) => gw.once('exit', r)), sleep(7_000)]);
    if (gw.exitCode === null && gw.signalCode === null) gw.kill('SIGKILL');
    await killUpstream('SIGKILL');
  }
  console.log('\n== checks ==');
  for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}`);
  const failed = checks.filter(([, ok]) => !ok).length;
  console.log(failed === 0 ? '\nsoak: all checks passed' : `\nsoak: ${failed} check(s) failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error('soak: failed to run:', err);
  process.exitCode = 2;
  void killUpstream('SIGKILL');
});
