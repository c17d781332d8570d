/**
 * Issue 17, end to end: two `af-routes serve` processes (the built CLI) share one real Redis
 * (`--rate-limit-store redis://...`), each with its own admin port for /metrics, in front of a
 * real upstream on 127.0.0.1. Everything here is counted, not timed:
 *   (a) Redis up: a limit of N per key is one bucket for both gateways, so N + k requests split
 *       unevenly across them get exactly k refusals (429) in total;
 *   (b) Redis stopped: every request is let through (200: no 429, no 5xx), and each gateway's
 *       `routing.rate_limit.store_errors` rises by exactly the requests it served meanwhile;
 *   (c) Redis started again on the same port: the clients reconnect and the limit is shared again.
 *
 * The window is a day, not a minute, so that refill cannot add a token while a phase runs
 * (100 per 24 h is one token per 14.4 min): the counts are then exact, whatever the machine's load.
 */
import parse from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, ensureCliBuilt } from './support/cli-process.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { rawRequest, sleep, startServer, type TestServer } from './support/servers.js';

const LIMIT = 100;
const REQUESTS = 300;
const OUTAGE_REQUESTS = 60;
const CONCURRENCY = 8;
/** The Prometheus name of `routing.rate_limit.store_errors` (a counter: `_total`). */
const STORE_ERRORS = 'routing_rate_limit_store_errors_total';

interface Gateway {
  name: string;
  process: CliProcess;
  url: string;
  admin: string;
}

let redis: RedisServer;
let upstream: TestServer;
const gateways: Gateway[] = [];
let probes = 0;

const rateLimit = { requests: LIMIT, per: '24h', key: 'header:x-client' };

/** Request i goes to gateway A twice as often as to B: sharing must not depend on an even split. */
const gatewayFor = (i: number): Gateway => gateways[i % 3 === 2 ? 1 : 0]!;

/** Sends `count` GET /limited with one client key, CONCURRENCY at a time; the statuses per gateway. */
async function burst(count: number, client: string): Promise<Map<string, number[]>> {
  const statuses = new Map<string, number[]>(gateways.map((g) => [g.name, []]));
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const g = gatewayFor(next++);
        const res = await rawRequest(g.url, { path: '/limited', headers: { 'x-client': client } });
        statuses.get(g.name)!.push(res.status);
      }
    }),
  );
  return statuses;
}

const tally = (statuses: number[]): Record<number, number> => {
  const t: Record<number, number> = {};
  for (const s of statuses) t[s] = (t[s] ?? 0) + 1;
  return t;
};

/** This gateway's store errors for `route`, read from its /metrics (0 before the first one). */
async function storeErrors(g: Gateway, route: string): Promise<number> {
  const res = await rawRequest(g.admin, { path: '/metrics' });
  expect(res.status).toBe(200);
  const family = parse(res.body.toString()).find((f) => f.name === STORE_ERRORS);
  if (family === undefined) return 0;
  return family.metrics.filter((m) => m.labels?.http_route === route).reduce((n, m) => n + Number(m.value), 0);
}

/**
 * Waits until the gateway's store answers again: a request to /probe (a route of its own, and a
 * fresh key each time, so it touches no counted bucket) that adds no store error. Polled by
 * outcome, not by a sleep long enough for ioredis's reconnection backoff.
 */
async function untilStoreAnswers(g: Gateway): Promise<number> {
  for (let attempt = 1; attempt <= 400; attempt++) {
    const before = await storeErrors(g, '/probe');
    const res = await rawRequest(g.url, { path: '/probe', headers: { 'x-client': `probe-${probes++}` } });
    expect(res.status).toBe(200);
    if ((await storeErrors(g, '/probe')) === before) return attempt;
    await sleep(25);
  }
  throw new Error(`gateway ${g.name}: the Redis store did not answer again\nstderr:\n${g.process.err}`);
}

beforeAll(async () => {
  const built = ensureCliBuilt();
  redis = await startRedis();
  upstream = await startServer((_req, res) => res.end('ok'));
  const table = JSON.stringify({
    '/limited': { target: `${upstream.url}/limited`, rateLimit },
    '/probe': { target: `${upstream.url}/probe`, rateLimit },
  });
  await built;
  for (const name of ['A', 'B']) {
    const p = new CliProcess(['serve', table, '--port', '0', '--admin-port', '0', '--access-log', 'off', '--rate-limit-store', redis.url]);
    const [, url] = (await p.waitFor(/Listening on (http:\/\/127\.0\.0\.1:\d+)/)) as unknown as [string, string];
    const [, admin] = (await p.waitFor(/Admin endpoints on (http:\/\/127\.0\.0\.1:\d+)/)) as unknown as [string, string];
    await p.waitFor(/Rate limits shared in Redis at redis:\/\/127\.0\.0\.1:\d+/);
    gateways.push({ name, process: p, url, admin });
  }
  for (const g of gateways) await untilStoreAnswers(g);
}, 120_000);

afterAll(async () => {
  for (const g of gateways) await g.process.stop();
  await upstream?.close();
  await redis?.destroy();
});

describe('two af-routes serve processes, one Redis (--rate-limit-store)', () => {
  it('share one limit; let every request through while Redis is down, counting it per gateway; share it again once Redis is back', async () => {
    // (a) Redis up: one bucket for both. Alone, each gateway would accept 100 (200 in all).
    const shared = await burst(REQUESTS, 'client-1');
    const a = { A: tally(shared.get('A')!), B: tally(shared.get('B')!) };
    console.log(`(a) Redis up, limit ${LIMIT}, ${REQUESTS} requests: A ${JSON.stringify(a.A)}, B ${JSON.stringify(a.B)}`);
    expect(Object.keys({ ...a.A, ...a.B }).sort()).toEqual(['200', '429']);
    expect((a.A[200] ?? 0) + (a.B[200] ?? 0)).toBe(LIMIT);
    expect((a.A[429] ?? 0) + (a.B[429] ?? 0)).toBe(REQUESTS - LIMIT);
    for (const g of gateways) expect(await storeErrors(g, '/limited')).toBe(0);

    // (b) Redis stopped: fail open, counted by the gateway that served the request.
    const before = await Promise.all(gateways.map((g) => storeErrors(g, '/limited')));
    await redis.stop();
    const outage = await burst(OUTAGE_REQUESTS, 'client-1');
    const rises = (await Promise.all(gateways.map((g) => storeErrors(g, '/limited')))).map((n, k) => n - before[k]!);
    console.log(
      `(b) Redis down, ${OUTAGE_REQUESTS} requests: A ${JSON.stringify(tally(outage.get('A')!))} store_errors +${rises[0]}, B ${JSON.stringify(tally(outage.get('B')!))} store_errors +${rises[1]}`,
    );
    for (const [k, g] of gateways.entries()) {
      const served = outage.get(g.name)!;
      expect(served.length).toBeGreaterThan(0);
      expect(served.every((s) => s === 200)).toBe(true);
      expect(rises[k]).toBe(served.length);
    }
    expect(rises[0]! + rises[1]!).toBe(OUTAGE_REQUESTS);

    // (c) Redis back on the same port (empty: it keeps nothing on disk): ioredis reconnects,
    // and the bucket is shared again.
    await redis.start();
    const probesNeeded = [];
    for (const g of gateways) probesNeeded.push(await untilStoreAnswers(g));
    const errorsBack = await Promise.all(gateways.map((g) => storeErrors(g, '/limited')));
    const again = await burst(REQUESTS, 'client-1');
    const c = { A: tally(again.get('A')!), B: tally(again.get('B')!) };
    console.log(`(c) Redis restarted (reconnected after ${probesNeeded.join(' and ')} probes), ${REQUESTS} requests: A ${JSON.stringify(c.A)}, B ${JSON.stringify(c.B)}`);
    expect(Object.keys({ ...c.A, ...c.B }).sort()).toEqual(['200', '429']);
    expect((c.A[200] ?? 0) + (c.B[200] ?? 0)).toBe(LIMIT);
    expect((c.A[429] ?? 0) + (c.B[429] ?? 0)).toBe(REQUESTS - LIMIT);
    // Every one of them reached Redis: no store error while counting.
    expect(await Promise.all(gateways.map((g) => storeErrors(g, '/limited')))).toEqual(errorsBack);
    for (const g of gateways) expect(g.process.alive).toBe(true);
  }, 120_000);
});
