/**
 * The API key stage's per-connection memory (session 26): a connection's next request that
 * presents the key accepted last on it is not hashed again; nothing else changes. Only accepted
 * keys are kept, compared with `sameKey` (equality without an early exit), per stage (a table
 * reload forgets them) and per connection.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, createNodeProxy } from '../src/index.js';
import { apiKeyStage, sameKey } from '../src/policies/auth/api-key.js';
import { MemoryRateLimitStore } from '../src/policies/rate-limit/memory-store.js';
import { emptyRecord } from '../src/policies/record.js';
import { nodeHeaderRecord } from '../src/proxy/node-policies.js';
import type { PolicyContext, PolicyEnvironment } from '../src/policies/types.js';
import { rawExchange, startServer, type TestServer } from './support/servers.js';

const hex = (key: string) => createHash('sha256').update(key).digest('hex');

describe('sameKey', () => {
  it('is string equality, for prefixes, extensions and any characters too', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(3), (a, b, how) => {
        // Half the cases related strings: equal, a prefix, an extension (with a NUL: `charCodeAt` past the end is NaN).
        const other = how === 0 ? a : how === 1 ? a.slice(0, b.length % (a.length + 1)) : how === 2 ? a + '\0' + b : b;
        expect(sameKey(a, other)).toBe(a === other);
        expect(sameKey(other, a)).toBe(a === other);
      }),
    );
  });
});

describe('the API key stage, per connection', () => {
  const config = { type: 'apiKey', in: 'header', name: 'x-api-key', keys: [hex('right'), hex('second')] } as const;
  let hashed: string[] = [];
  const env: PolicyEnvironment = {
    rateLimitStore: new MemoryRateLimitStore(),
    now: Date.now,
    fetch: globalThis.fetch,
    authTimeout: 1_000,
    sha256: (text) => {
      hashed.push(text);
      return createHash('sha256').update(text).digest().toString('latin1');
    },
  };
  const ctxOf = (key: string | undefined, connection: object | undefined): PolicyContext => {
    const headers = emptyRecord<string>();
    if (key !== undefined) headers['x-api-key'] = key;
    return {
      route: 'r',
      pattern: '/*',
      method: 'GET',
      path: '/',
      query: '',
      headers,
      clientAddress: '127.0.0.1',
      host: null,
      protocol: 'http',
      removeHeaders: [],
      setHeaders: emptyRecord<string>(),
      responseHeaders: emptyRecord<string>(),
      ...(connection !== undefined ? { connection } : {}),
    };
  };
  const statusOf = (answer: unknown) => (answer === undefined ? 200 : (answer as { status: number }).status);

  it("hashes a connection's repeated accepted key once, and every other key each time", () => {
    hashed = [];
    const stage = apiKeyStage(config);
    const a = {};
    const b = {};
    const seen: [number, string | undefined][] = [];
    for (const [key, conn] of [
      ['right', a],
      ['right', a], // remembered
      ['righ', a], // a prefix: hashed, refused
      ['rightt', a], // an extension: hashed, refused
      ['right', a], // still remembered (refusals do not replace it)
      ['right', b], // another connection: hashed
      ['second', a], // another valid key: hashed, now remembered for a
      ['second', a],
      ['right', a], // hashed again
      ['right', undefined], // no connection: always hashed
      ['right', undefined],
    ] as const) {
      const ctx = ctxOf(key, conn);
      seen.push([statusOf(stage(ctx, env)), ctx.identity]);
    }
    expect(seen.map(([s]) => s)).toEqual([200, 200, 401, 401, 200, 200, 200, 200, 200, 200, 200]);
    expect(seen[1]![1]).toBe(`key:${hex('right')}`);
    expect(seen[7]![1]).toBe(`key:${hex('second')}`);
    expect(hashed).toEqual(['right', 'righ', 'rightt', 'right', 'second', 'right', 'right', 'right']);
  });

  it('keeps nothing for a refused key, and a new stage (a reload) remembers nothing', () => {
    hashed = [];
    const conn = {};
    const stage = apiKeyStage(config);
    expect(statusOf(stage(ctxOf('wrong', conn), env))).toBe(401);
    expect(statusOf(stage(ctxOf('wrong', conn), env))).toBe(401);
    expect(statusOf(stage(ctxOf('right', conn), env))).toBe(200);
    const rotated = apiKeyStage({ ...config, keys: [hex('new')] });
    expect(statusOf(rotated(ctxOf('right', conn), env))).toBe(401);
    expect(hashed).toEqual(['wrong', 'wrong', 'right', 'right']);
  });
});

describe('on the Node proxy (one keep-alive connection, pipelined requests)', () => {
  let upstream: TestServer | undefined;
  let gateway: TestServer | undefined;
  let closeProxy: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await gateway?.close();
    await closeProxy?.();
    await upstream?.close();
    gateway = upstream = closeProxy = undefined;
  });

  it('answers each request by its own key, and no credential reaches the upstream', async () => {
    const seenKeys: (string | undefined)[] = [];
    upstream = await startServer((req, res) => {
      seenKeys.push(req.headers['x-api-key'] as string | undefined);
      res.end('ok');
    });
    const table = (key: string) => compile({ '/*': { target: upstream!.url, auth: { type: 'apiKey', keys: ['sha256:' + hex(key)] } } } as never, { backend: 'js' });
    let router = table('right');
    const proxy = createNodeProxy({ router: () => router, blockPrivateNetworks: false });
    closeProxy = () => proxy.close(100);
    gateway = await startServer((req, res) => proxy.handler(req, res));
    const request = (key: string, last = false) => `GET /x HTTP/1.1\r\nHost: a\r\nx-api-key: ${key}\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
    const statuses = (text: string) => [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    const text = await rawExchange(gateway.port, ['right', 'right', 'righ', 'right', 'rightx', 'right'].map((k, i, all) => request(k, i === all.length - 1)).join(''));
    expect(statuses(text)).toEqual([200, 200, 401, 200, 401, 200]);
    expect(seenKeys).toEqual([undefined, undefined, undefined, undefined]);
    // A reloaded table (new keys): its stage knows nothing of the old key.
    router = table('other');
    expect(statuses(await rawExchange(gateway.port, request('right') + request('other') + request('right', true)))).toEqual([401, 200, 401]);
  });
});

describe("the Node context's header record", () => {
  it('has no Object.prototype in its chain: `constructor`, `toString` and `__proto__` are ordinary header names', async () => {
    let seen: Record<string, unknown> | undefined;
    const server = await startServer((req, res) => {
      void req.headers.host;
      seen = nodeHeaderRecord(req);
      res.end('ok');
    });
    try {
      await rawExchange(server.port, 'GET /x HTTP/1.1\r\nHost: a\r\nx-api-key: k\r\nConnection: close\r\n\r\n');
      expect(seen!['x-api-key']).toBe('k');
      for (const name of ['constructor', 'toString', 'hasOwnProperty', '__proto__']) expect(name in seen!).toBe(false);
      await rawExchange(server.port, 'GET /x HTTP/1.1\r\nHost: a\r\nconstructor: c\r\ntoString: t\r\nConnection: close\r\n\r\n');
      expect([seen!['constructor'], seen!['tostring']]).toEqual(['c', 't']);
    } finally {
      await server.close();
    }
  });
});
