/**
 * SPEC 11 through the Node gateway against real upstreams on 127.0.0.1: balancing, passive
 * and active health, retries and the total deadline, with the faults of issue 13 (a target
 * SIGKILLed mid-run, one that never answers, one answering 503, one resetting mid-body).
 */
import { fork } from 'node:child_process';
import http, { type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, createGateway, type AccessLogEntry, type Router } from '../src/index.js';
import type { RoutingEvent } from '../src/telemetry/events.js';
import { startGateway, type RunningGateway } from './support/gateway.js';
import { closeAfterEachAndCheckSockets } from './support/leaks.js';
import { closedPort, eventually, rawRequest, sleep, startServer, type TestServer } from './support/servers.js';

const track = closeAfterEachAndCheckSockets();

function table(value: unknown): Router {
  return compile({ '/api/*': value } as Record<string, string>, { backend: 'js' });
}

/** An upstream answering its name (and counting requests). */
async function named(name: string, status = 200): Promise<TestServer & { hits: () => number; setStatus(s: number): void }> {
  let hits = 0;
  let code = status;
  const s = await track(
    startServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hits++;
        res.writeHead(code, { 'content-type': 'text/plain' });
        res.end(name);
      });
    }),
  );
  return Object.assign(s, { hits: () => hits, setStatus: (c: number) => void (code = c) });
}

async function gatewayWith(router: Router, events: RoutingEvent[] = [], timeouts?: { headers?: number }): Promise<RunningGateway> {
  return track(startGateway(router, { events: { emit: (e) => events.push(e) }, ...(timeouts ? { timeouts } : {}) }));
}

/** `n` GETs at `concurrency` over keep-alive connections: status counts and body counts. */
async function load(url: string, n: number, concurrency: number, path = '/api/x'): Promise<{ statuses: Map<number, number>; bodies: Map<string, number>; errors: number }> {
  const pool = new Pool(url, { connections: concurrency });
  const statuses = new Map<number, number>();
  const bodies = new Map<string, number>();
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      try {
        const r = await pool.request({ path, method: 'GET' });
        const text = await r.body.text();
        statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
        bodies.set(text, (bodies.get(text) ?? 0) + 1);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return { statuses, bodies, errors };
}

describe('balancing through the gateway', () => {
  it('weighted round-robin: 5/3/1 within 1% (in fact exactly) over 10,000 requests at concurrency 50', async () => {
    const [a, b, c] = await Promise.all([named('a'), named('b'), named('c')]);
    const gw = await gatewayWith(table({ targets: [{ url: a.url, weight: 5 }, { url: b.url, weight: 3 }, c.url] }));
    const r = await load(gw.url, 9_999, 50);
    expect(r.errors).toBe(0);
    const shares = [r.bodies.get('a')!, r.bodies.get('b')!, r.bodies.get('c')!];
    console.info(`weighted round-robin 5/3/1 through the gateway, 9,999 requests at concurrency 50: ${shares.join('/')}`);
    [5, 3, 1].forEach((w, i) => expect(Math.abs(shares[i]! / 9_999 - w / 9)).toBeLessThan(0.01));
    expect(shares).toEqual([5_555, 3_333, 1_111]);
    expect(gw.log.every((e) => e.attempts === 1 && [a.url, b.url, c.url].includes(e.target!))).toBe(true);
  }, 60_000);

  it('least-request sends fewer requests to a slow target', async () => {
    const fast = await named('fast');
    const slow = await track(startServer((req, res) => void setTimeout(() => res.end('slow'), 60)));
    const gw = await gatewayWith(table({ targets: [fast.url, slow.url], loadBalancer: 'least-request' }));
    const r = await load(gw.url, 600, 12);
    expect(r.errors).toBe(0);
    console.info(`least-request, 600 requests at concurrency 12: fast ${r.bodies.get('fast')}, slow (60 ms) ${r.bodies.get('slow')}`);
    expect(r.bodies.get('slow')!).toBeLessThan(r.bodies.get('fast')! / 3);
  });

  it('hashes on a header: one key keeps its target', async () => {
    const [a, b, c] = await Promise.all([named('a'), named('b'), named('c')]);
    const gw = await gatewayWith(table({ targets: [a.url, b.url, c.url], loadBalancer: { hash: 'header:x-user' } }));
    for (const user of ['u1', 'u2', 'u3', 'u4']) {
      const seen = new Set<string>();
      for (let i = 0; i < 5; i++) seen.add((await rawRequest(gw.url, { path: '/api/x', headers: { 'x-user': user } })).body.toString());
      expect(seen.size).toBe(1);
    }
  });
});

describe('faults', () => {
  let child: ReturnType<typeof fork> | null = null;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = null;
  });

  it('4 targets, one dead from the start and one SIGKILLed mid-run: 10,000 GETs at concurrency 50, 0 errors', async () => {
    const [a, b] = await Promise.all([named('a'), named('b')]);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    child = fork(fileURLToPath(new URL('./support/upstream-child.ts', import.meta.url)), [], {
      env: { ...process.env, NAME: 'child' },
      execArgv: ['--import', 'tsx'],
      stdio: 'ignore',
    });
    const port = await new Promise<number>((resolve) => child!.once('message', (m: { port: number }) => resolve(m.port)));
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ targets: [a.url, b.url, dead, `http://127.0.0.1:${port}`], retry: { attempts: 2, on: ['connect-failure', 'reset'] } }), events);
    const running = load(gw.url, 10_000, 50);
    await eventually(() => gw.log.length >= 2_000, 20_000, '2,000 requests');
    child.kill('SIGKILL');
    const r = await running;
    console.info(
      `10,000 GETs, 4 targets (1 dead, 1 SIGKILLed at ~2,000): errors ${r.errors}, statuses ${JSON.stringify([...r.statuses])}, bodies ${JSON.stringify([...r.bodies])}, retries ${events.filter((e) => e.type === 'retry').length}, ejections ${events.filter((e) => e.type === 'ejection').length}`,
    );
    expect(r.errors).toBe(0);
    expect([...r.statuses]).toEqual([[200, 10_000]]);
    // Both bad targets were ejected (the cap, 50% of 4, allows two).
    expect(new Set(events.filter((e) => e.type === 'ejection').map((e) => (e as { target: string }).target))).toEqual(new Set([dead, `http://127.0.0.1:${port}`]));
  }, 60_000);

  it('3 targets with one dead, default policy (1 retry on connect-failure): 10,000 GETs at concurrency 50, 0 errors', async () => {
    const [a, b] = await Promise.all([named('a'), named('b')]);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ targets: [a.url, dead, b.url] }), events);
    const r = await load(gw.url, 10_000, 50);
    expect(r.errors).toBe(0);
    expect([...r.statuses]).toEqual([[200, 10_000]]);
    expect(events.filter((e) => e.type === 'ejection').length).toBeGreaterThanOrEqual(1);
    const retried = gw.log.filter((e) => e.attempts === 2);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried.every((e) => e.target !== dead)).toBe(true);
  }, 60_000);

  it('a target that accepts and never answers: per-try timeout, retry elsewhere, ejected', async () => {
    const good = await named('good');
    const hang = await track(startServer(() => {}));
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(
      table({ targets: [hang.url, good.url], retry: { attempts: 1, on: ['timeout'], perTryTimeout: '150ms' }, healthCheck: { passive: { consecutiveFailures: 2 } } }),
      events,
    );
    const r = await load(gw.url, 40, 4);
    expect(r.errors).toBe(0);
    expect([...r.statuses]).toEqual([[200, 40]]);
    expect(events.some((e) => e.type === 'ejection' && e.target === hang.url)).toBe(true);
    expect(events.filter((e) => e.type === 'retry').every((e) => (e as { reason: string }).reason === 'timeout')).toBe(true);
  });

  it('a target answering 503: retried on gateway-error, then ejected', async () => {
    const good = await named('good');
    const bad = await named('bad', 503);
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ targets: [bad.url, good.url], retry: { attempts: 1, on: ['gateway-error'] } }), events);
    // One at a time: at higher concurrency a 6th request can be on its way to the bad target
    // before the 5th failure ejects it (a race of the load, not of the gateway).
    const r = await load(gw.url, 200, 1);
    expect([...r.statuses]).toEqual([[200, 200]]);
    expect(bad.hits()).toBe(5); // 5 failures in a row eject it for 30 s
    expect(events.filter((e) => e.type === 'ejection')).toEqual([{ type: 'ejection', route: '/api/*', target: bad.url, forMs: 30_000 }]);
    expect(events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason)).toEqual(Array(5).fill('status-503'));
  });

  it('a target resetting mid-body: the client sees the failure, nothing is retried after the response started', async () => {
    const good = await named('good');
    const reset = await track(
      startServer((req, res) => {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial');
        setTimeout(() => res.socket?.destroy(), 20);
      }),
    );
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ targets: [reset.url, good.url], retry: { attempts: 3, on: ['reset', 'connect-failure', 'gateway-error'] } }), events);
    await expect(rawRequest(gw.url, { path: '/api/x' })).rejects.toThrow();
    await eventually(() => gw.log.length === 1);
    expect(gw.log[0]).toMatchObject({ target: reset.url, attempts: 1, upstreamStatus: 200, error: 'upstream-connection-reset' });
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    expect(good.hits()).toBe(0);
  });

  it('a POST with a 1 MB body is streamed once and never replayed; a small one is replayed', async () => {
    const seen: string[] = [];
    const resetAfterBody = await track(
      startServer((req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => {
          seen.push(`reset:${n}`);
          res.socket?.destroy();
        });
      }),
    );
    const good = await track(
      startServer((req, res) => {
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => {
          seen.push(`good:${n}`);
          res.end(String(n));
        });
      }),
    );
    const events: RoutingEvent[] = [];
    // Hash on a header so both requests go to the resetting target first.
    const router = table({ targets: [resetAfterBody.url, good.url], loadBalancer: { hash: 'header:x-k' }, retry: { attempts: 2, on: ['reset'], methods: ['POST'] } });
    const gw = await gatewayWith(router, events);
    let key = 0;
    const up = router.routes[0]!.variants[0]!;
    // Find a key the ring sends to the resetting target (index 0).
    const { HashRing } = await import('../src/upstream/hash-ring.js');
    const ring = new HashRing(up.targets);
    while (ring.lookup(`k${key}`, () => true) !== 0) key++;
    const big = Buffer.alloc(1024 * 1024, 7);
    const r1 = await rawRequest(gw.url, { method: 'POST', path: '/api/x', headers: { 'x-k': `k${key}`, 'content-length': big.length }, body: big });
    expect(r1.status).toBe(502);
    expect(seen).toEqual([`reset:${big.length}`]);
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
    const small = Buffer.alloc(10_000, 1);
    const r2 = await rawRequest(gw.url, { method: 'POST', path: '/api/x', headers: { 'x-k': `k${key}`, 'content-length': small.length }, body: small });
    expect(r2.status).toBe(200);
    expect(r2.body.toString()).toBe('10000');
    expect(seen.slice(1)).toEqual(['reset:10000', 'good:10000']);
    expect(gw.log[1]).toMatchObject({ attempts: 2, target: good.url, status: 200 });
  });

  it('an ejected target returns when its ejection ends, and active checks see it healthy', async () => {
    const good = await named('good');
    const flaky = await named('flaky', 503);
    let healthy = false;
    const health = await track(startServer((req, res) => res.writeHead(healthy ? 200 : 503).end()));
    void health;
    // The flaky target's health endpoint is its own server: route it via a path on the same origin.
    (flaky.server as Server).removeAllListeners('request');
    let flakyHits = 0;
    (flaky.server as Server).on('request', (req, res) => {
      req.resume();
      if (req.url === '/healthz') return void res.writeHead(healthy ? 200 : 503).end();
      flakyHits++;
      res.writeHead(healthy ? 200 : 503).end('flaky');
    });
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(
      table({
        targets: [flaky.url, good.url],
        retry: { attempts: 1, on: ['gateway-error'] },
        healthCheck: {
          passive: { consecutiveFailures: 1, baseEjection: '300ms' },
          // A timeout far above a loopback answer: a probe slowed by a loaded machine must not flap the verdict.
          active: { path: '/healthz', interval: '150ms', timeout: '140ms', unhealthyThreshold: 1, healthyThreshold: 2 },
        },
      }),
      events,
    );
    await load(gw.url, 4, 1);
    await eventually(() => events.some((e) => e.type === 'health' && e.source === 'active' && !e.healthy), 2_000, 'active checks to fail');
    expect(events).toContainEqual({ type: 'ejection', route: '/api/*', target: flaky.url, forMs: 300 });
    healthy = true;
    await eventually(() => events.some((e) => e.type === 'health' && e.source === 'active' && e.healthy), 2_000, 'active checks to pass');
    await sleep(320);
    const before = flakyHits;
    const r = await load(gw.url, 10, 1);
    expect([...r.statuses]).toEqual([[200, 10]]);
    expect(flakyHits - before).toBe(5);
    expect(events).toContainEqual({ type: 'health', route: '/api/*', target: flaky.url, healthy: true, source: 'passive' });
  });

  it('the route timeout holds across retries: 504, with fewer retries than allowed', async () => {
    const h1 = await track(startServer(() => {}));
    const h2 = await track(startServer(() => {}));
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ targets: [h1.url, h2.url], timeout: '450ms', retry: { attempts: 5, on: ['timeout'], perTryTimeout: '100ms' } }), events);
    const r = await rawRequest(gw.url, { path: '/api/x' });
    expect(r.status).toBe(504);
    const retries = events.filter((e) => e.type === 'retry');
    // Every try lasts at least 100 ms, so within 450 ms at most 4 retries can start, not the 5
    // allowed; the per-try timer (100 ms) fires well before the deadline, so at least one does.
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.length).toBeLessThanOrEqual(4);
    await eventually(() => gw.log.length === 1);
    expect(gw.log[0]).toMatchObject({ status: 504, error: 'upstream-timeout' });
    // A retry decided just before the deadline may never start (the deadline ends its backoff).
    expect([retries.length, retries.length + 1]).toContain(gw.log[0]!.attempts);
  });

  it('the deadline passing while a retried 503 is drained still answers 504', async () => {
    const slow503 = await track(
      startServer((_req, res) => {
        res.writeHead(503, { 'content-length': '100' });
        res.write('partial');
      }),
    );
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ target: slow503.url, timeout: '300ms', retry: { attempts: 2, on: ['gateway-error'] } }), events);
    const r = await rawRequest(gw.url, { path: '/api/x' });
    expect(r.status).toBe(504);
    expect(events.filter((e) => e.type === 'retry')).toEqual([]);
  });

  it('a hot reload (a new router with the same route name and targets) keeps an ejection', async () => {
    const good = await named('good');
    const dead = `http://127.0.0.1:${await closedPort()}`;
    const value = { name: 'api', targets: [dead, good.url] };
    let router = table(value);
    const events: RoutingEvent[] = [];
    // A router getter, as `serve` passes: each request reads the current table.
    const gateway = createGateway({ router: () => router, events: { emit: (e) => events.push(e) } });
    const server = await track(startServer(gateway.handler));
    try {
      const r1 = await load(server.url, 20, 1);
      expect(r1.errors).toBe(0);
      expect(events.filter((e) => e.type === 'ejection').length).toBe(1);
      router = table({ ...value });
      const retriesBefore = events.filter((e) => e.type === 'retry').length;
      const r2 = await load(server.url, 20, 1);
      expect([...r2.statuses]).toEqual([[200, 20]]);
      // The dead target stayed ejected across the reload: nothing had to be retried.
      expect(events.filter((e) => e.type === 'retry').length).toBe(retriesBefore);
    } finally {
      await server.close();
      await gateway.close();
    }
  });

  it('a client that leaves during the retries stops them (499 logged, no socket left)', async () => {
    const h1 = await track(startServer(() => {}));
    const h2 = await track(startServer(() => {}));
    const events: RoutingEvent[] = [];
    const gw = await gatewayWith(table({ targets: [h1.url, h2.url], retry: { attempts: 5, on: ['timeout'], perTryTimeout: '100ms' } }), events);
    const req = http.request({ host: '127.0.0.1', port: gw.port, path: '/api/x', agent: false });
    req.on('error', () => {});
    req.end();
    await eventually(() => events.some((e) => e.type === 'retry'), 2_000, 'a first retry');
    req.destroy();
    await eventually(() => gw.log.length === 1, 2_000, 'the access log entry');
    expect(gw.log[0]).toMatchObject({ status: 499, error: 'client-closed-request' });
    const retries = events.filter((e) => e.type === 'retry').length;
    await sleep(400);
    expect(events.filter((e) => e.type === 'retry').length).toBe(retries);
  });

  it('no route timeout: the proxy default (timeouts.headers) is the deadline', async () => {
    const h1 = await track(startServer(() => {}));
    const h2 = await track(startServer(() => {}));
    const gw = await gatewayWith(table({ targets: [h1.url, h2.url] }), [], { headers: 300 });
    const r = await rawRequest(gw.url, { path: '/api/x' });
    expect(r.status).toBe(504);
    await eventually(() => gw.log.length === 1);
    expect((gw.log[0] as AccessLogEntry).attempts).toBe(1);
  });
});
