/**
 * SPEC 11 + 12: the route cache above the attempt loop. A cached route with three targets
 * (round-robin) and retries, on the fetch handler and on the Node attempt loop: a hit reaches no
 * target, a miss reaches exactly one, a 503 that is retried and then answered 200 stores the
 * 200 (never the 503), revalidation goes through the loop, and every answer says Cache-Status.
 * Real upstreams on loopback, each counting its requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compile, createFetchHandler, createGateway, createUndiciTransport } from '../src/index.js';
import type { Router } from '../src/match/types.js';
import type { RoutingEvent } from '../src/telemetry/events.js';
import { closedPort, rawRequest, startServer, type TestServer } from './support/servers.js';

/** The next N requests for a path, whichever target they reach, are answered 503. */
const failNext = new Map<string, number>();

/** A target that records the paths it was asked for. */
interface Target extends TestServer {
  seen: string[];
}

async function target(name: string): Promise<Target> {
  const seen: string[] = [];
  const s = await startServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    seen.push(path);
    const left = failNext.get(path) ?? 0;
    if (left > 0) {
      failNext.set(path, left - 1);
      // /flaky's 503s would be storable (max-age) were they the answer: only the retried 200 may be stored.
      res.writeHead(503, { ...(path.startsWith('/flaky') ? { 'cache-control': 'max-age=60' } : {}), 'content-type': 'text/plain' });
      res.end(`busy ${name}`);
      return;
    }
    if (path.startsWith('/etag')) {
      if (req.headers['if-none-match'] === '"e1"') {
        res.writeHead(304, { etag: '"e1"', 'cache-control': 'max-age=0' });
        res.end();
        return;
      }
      res.writeHead(200, { etag: '"e1"', 'cache-control': 'max-age=0', 'content-type': 'text/plain' });
      res.end(`etag from ${name}`);
      return;
    }
    res.writeHead(200, { 'cache-control': path.startsWith('/flaky-nostore') ? 'no-store' : 'max-age=60', 'content-type': 'text/plain' });
    res.end(`${path} from ${name}`);
  });
  return Object.assign(s, { seen });
}

let targets: Target[];
let dead: string[];
beforeAll(async () => {
  targets = await Promise.all(['a', 'b', 'c'].map(target));
  dead = [`http://127.0.0.1:${await closedPort()}`, `http://127.0.0.1:${await closedPort()}`];
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
});
afterEach(() => {
  for (const t of targets) t.seen.length = 0;
  failNext.clear();
});

const table = () =>
  compile(
    {
      '/r/*': { targets: targets.map((t) => t.url), loadBalancer: 'round-robin', retry: { attempts: 2, on: ['gateway-error'] }, cache: true },
      '/dead/*': { targets: dead, retry: { attempts: 1, on: ['connect-failure'] }, cache: true },
    } as never,
    { backend: 'js' },
  );

const reached = (path: string) => targets.map((t) => t.seen.filter((p) => p === path).length);
const total = (path: string) => reached(path).reduce((a, b) => a + b, 0);

interface Answer {
  status: number;
  cacheStatus: string | null;
  body: string;
}

/** The Node proxy (a standalone gateway on a real server): a cached multi-target route goes through its attempt loop. */
async function nodeLoop(
  router: Router,
  events: RoutingEvent[],
): Promise<{ call: (path: string, headers?: Record<string, string>) => Promise<Answer>; close: () => Promise<void> }> {
  const gateway = createGateway({ router, blockPrivateNetworks: false, events: { emit: (e: RoutingEvent) => events.push(e) } });
  const server = await startServer(gateway.handler);
  return {
    call: async (path, headers = {}) => {
      const r = await rawRequest(server.url, { path, headers });
      return { status: r.status, cacheStatus: (r.headers['cache-status'] as string | undefined) ?? null, body: r.body.toString() };
    },
    close: async () => {
      await server.close();
      await gateway.close();
    },
  };
}

/** The fetch handler over the undici transport, called with real `Request`s. */
async function fetchLoop(
  router: Router,
  events: RoutingEvent[],
): Promise<{ call: (path: string, headers?: Record<string, string>) => Promise<Answer>; close: () => Promise<void> }> {
  const transport = createUndiciTransport();
  const handler = createFetchHandler({ router, transport, events: { emit: (e) => events.push(e) } });
  return {
    call: async (path, headers = {}) => {
      const r = (await handler(new Request(`http://gw.test${path}`, { headers }), { clientAddress: '127.0.0.1' }))!;
      return { status: r.status, cacheStatus: r.headers.get('cache-status'), body: await r.text() };
    },
    close: async () => {
      handler.close?.();
      await transport.close();
    },
  };
}

describe.each([
  ['the Node proxy (its attempt loop)', nodeLoop],
  ['the fetch handler', fetchLoop],
] as const)('a cached route with 3 round-robin targets and retries, through %s', (_name, make) => {
  const events: RoutingEvent[] = [];
  let gw: Awaited<ReturnType<typeof nodeLoop>>;
  beforeAll(async () => {
    gw = await make(table(), events);
  });
  afterAll(async () => {
    await gw.close();
  });

  it('a miss reaches exactly one target; hits reach none', async () => {
    const miss = await gw.call('/r/doc');
    expect(miss.status).toBe(200);
    expect(miss.cacheStatus).toBe('af-routes; fwd=uri-miss');
    expect(total('/doc')).toBe(1);
    for (let i = 0; i < 6; i++) {
      const hit = await gw.call('/r/doc');
      expect(hit.cacheStatus).toBe('af-routes; hit');
      expect(hit.body).toBe(miss.body);
    }
    expect(total('/doc')).toBe(1);
    // Distinct URLs are balanced over the targets: each miss reaches one of them.
    for (let i = 0; i < 6; i++) await gw.call(`/r/spread${i}`);
    const spread = targets.map((t) => t.seen.filter((p) => p.startsWith('/spread')).length);
    expect(spread.reduce((a, b) => a + b, 0)).toBe(6);
    expect(spread.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('a 503 retried on another target then answered 200 stores the 200, never the 503', async () => {
    failNext.set('/flaky', 1);
    const first = await gw.call('/r/flaky');
    expect(first.status).toBe(200);
    expect(first.body).toMatch(/^\/flaky from [abc]$/);
    expect(first.cacheStatus).toBe('af-routes; fwd=uri-miss');
    expect(total('/flaky')).toBe(2); // one 503, one 200
    expect(events.some((e) => e.type === 'retry')).toBe(true);
    const again = await gw.call('/r/flaky');
    expect(again.status).toBe(200);
    expect(again.body).toBe(first.body);
    expect(again.cacheStatus).toBe('af-routes; hit');
    expect(total('/flaky')).toBe(2);
  });

  it('a storable 503 that was retried is never stored, even when the final answer is not storable', async () => {
    failNext.set('/flaky-nostore', 1);
    const first = await gw.call('/r/flaky-nostore');
    expect(first.status).toBe(200);
    expect(total('/flaky-nostore')).toBe(2);
    const again = await gw.call('/r/flaky-nostore');
    expect(again.status).toBe(200);
    expect(again.cacheStatus).toBe('af-routes; fwd=uri-miss');
    expect(total('/flaky-nostore')).toBe(3);
  });

  it('a 503 (without freshness) that stays after every retry is relayed and not stored', async () => {
    failNext.set('/down', 6);
    const a = await gw.call('/r/down');
    expect(a.status).toBe(503);
    expect(a.cacheStatus).toBe('af-routes; fwd=uri-miss');
    const before = total('/down');
    expect(before).toBe(3); // attempts: 1 + 2 retries
    const b = await gw.call('/r/down');
    expect(b.status).toBe(503);
    expect(total('/down')).toBe(before + 3);
  });

  it('revalidates a stale entry through the loop (one target) and serves the stored body on 304', async () => {
    const a = await gw.call('/r/etag');
    const b = await gw.call('/r/etag');
    expect(b.status).toBe(200);
    expect(b.body).toBe(a.body);
    expect(b.cacheStatus).toBe('af-routes; fwd=stale');
    expect(total('/etag')).toBe(2);
  });

  it('an upstream failure on a cached route is answered 502 and still says Cache-Status', async () => {
    const r = await gw.call('/dead/x');
    expect(r.status).toBe(502);
    expect(r.cacheStatus).toBe('af-routes; fwd=uri-miss');
  });

  it('a request with no-store goes forward and says so', async () => {
    await gw.call('/r/ns');
    const b = await gw.call('/r/ns', { 'cache-control': 'no-store' });
    expect(b.cacheStatus).toBe('af-routes; fwd=request');
    expect(total('/ns')).toBe(2);
  });
});
