/**
 * Validation of the extended form (SPEC 10, 10.2, 11, 12): value forms, variants, conditions,
 * parameter constraints, upstream and policy fields, each problem with its own code, the
 * route, the variant and the field; and the normalized values carried on the compiled route.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateRoutes, type RouteIssue } from '../src/index.js';
import { resolveMatchOptions } from '../src/options.js';
import type { Routes as RouteTable } from '../src/table/input.js';
import { ROUTE_FIELDS } from '../src/validate/route-value.js';
import { analyzeRoutes } from '../src/validate/validate.js';

const HASH = `sha256:${'ab'.repeat(32)}` as const;
const analyze = (routes: unknown, options = {}) => analyzeRoutes(routes, resolveMatchOptions(options));
const errors = (routes: unknown, options = {}) => validateRoutes(routes, options).errors;
const codes = (issues: RouteIssue[]) => issues.map((i) => i.code);
/** The one issue of a one-route table whose value is `value`, as [code, field, variant]. */
const problem = (value: unknown, pattern = '/a/:id/*') => errors({ [pattern]: value }).map((e) => [e.code, e.field, e.variant]);

const SPEC_EXAMPLE: RouteTable = {
  '/api/users/*': 'https://users.svc',
  '/api/orders/*': [
    {
      name: 'orders-read',
      methods: ['GET'],
      targets: ['https://orders-a.svc', { url: 'https://orders-b.svc', weight: 3 }],
      retry: { attempts: 2 },
      cache: true,
    },
    { methods: ['POST', 'PUT'], headers: { 'x-beta': '1' }, target: 'https://orders-beta.svc' },
    'https://orders.svc',
  ],
  '/v1/files/:id([0-9a-f]{24})': { target: 'https://files.svc/:id', auth: { type: 'apiKey', keys: [HASH] } },
};

describe('value forms and variants (SPEC 10)', () => {
  it('compiles the SPEC example into routes and variants', () => {
    const a = analyze(SPEC_EXAMPLE);
    expect(a.errors).toEqual([]);
    const [users, orders, files] = a.routes;
    expect(users!.variants).toHaveLength(1);
    expect(users!.variants[0]).toMatchObject({ index: 0, name: '/api/users/*', target: 'https://users.svc', methods: null, upstream: {}, policies: {} });
    expect(orders!.target).toBe('https://orders-a.svc');
    expect(orders!.variants.map((v) => v.name)).toEqual(['orders-read', '/api/orders/*#2', '/api/orders/*#3']);
    expect(orders!.variants.map((v) => v.index)).toEqual([0, 1, 2]);
    const read = orders!.variants[0]!;
    expect(read.methods).toEqual(['GET', 'HEAD']);
    expect(read.targets.map((t) => [t.url, t.weight])).toEqual([
      ['https://orders-a.svc', 1],
      ['https://orders-b.svc', 3],
    ]);
    expect(read.upstream.retry).toEqual({
      attempts: 2,
      on: ['connect-failure', 'reset', 'timeout'],
      methods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'],
      bufferLimit: 65536,
    });
    expect(read.policies.cache).toEqual({ methods: ['GET', 'HEAD'], maxEntrySize: 1024 * 1024 });
    expect(orders!.variants[1]!.headers).toEqual([{ name: 'x-beta', matcher: { kind: 'equals', value: '1' } }]);
    expect(orders!.variants[2]).toMatchObject({ name: '/api/orders/*#3', target: 'https://orders.svc', methods: null, headers: null });
    expect(files!.canonical).toBe('/v1/files/:id([0-9a-f]{24})');
    expect(files!.shape).toEqual(['v1', 'files', ':[0-9a-f]{24}']);
    expect(files!.paramNames).toEqual(['id']);
    expect(files!.variants[0]!.policies.auth).toEqual({ type: 'apiKey', in: 'header', name: 'x-api-key', keys: ['ab'.repeat(32)] });
    expect(files!.template.parts).not.toBeNull();
  });

  it('a string and a single object have one variant; an array names them #1, #2, ...', () => {
    const a = analyze({ '/s': 'https://s', '/o': { target: 'https://o' }, '/arr': [{ methods: ['POST'], target: 'https://p' }, 'https://q'] });
    expect(a.routes.map((r) => r.variants.map((v) => v.name))).toEqual([['/s'], ['/o'], ['/arr#1', '/arr#2']]);
  });

  it('array bounds, unreachable variants and elements of the wrong type', () => {
    expect(problem([])).toEqual([['variants-empty', undefined, undefined]]);
    expect(problem(Array.from({ length: 33 }, () => 'https://a'))).toEqual([['too-many-variants', undefined, undefined]]);
    expect(errors({ '/a': Array.from({ length: 32 }, (_, i) => ({ headers: { 'x-n': String(i) }, target: 'https://a' })) })).toEqual([]);
    expect(problem(['https://a', { methods: ['GET'], target: 'https://b' }, 'https://c'])).toEqual([
      ['variant-unreachable', undefined, 1],
      ['variant-unreachable', undefined, 2],
    ]);
    expect(
      problem([
        { target: 'https://a', retry: { attempts: 1 } },
        { methods: ['GET'], target: 'https://b' },
      ]),
    ).toEqual([['variant-unreachable', undefined, 1]]);
    expect(problem([{ methods: ['GET'], target: 'https://b' }, 42])).toEqual([['variant-invalid', '[1]', 1]]);
  });

  it('exactly one of target and targets; targets 1-64 with weights 1-1000', () => {
    expect(problem({})).toEqual([['route-target-missing', 'target', 0]]);
    expect(problem({ target: 'https://a', targets: ['https://b'] })).toEqual([['route-target-ambiguous', 'targets', 0]]);
    expect(problem({ target: 5 })).toEqual([['target-not-string', 'target', 0]]);
    expect(problem({ targets: [] })).toEqual([['targets-invalid', 'targets', 0]]);
    expect(problem({ targets: Array.from({ length: 65 }, () => 'https://a') })).toEqual([['targets-invalid', 'targets', 0]]);
    expect(errors({ '/a': { targets: Array.from({ length: 64 }, () => 'https://a') } })).toEqual([]);
    for (const weight of [0, 1001, 1.5, '3', null]) expect(problem({ targets: [{ url: 'https://a', weight }] })).toEqual([['weight-invalid', 'targets[0].weight', 0]]);
    expect(problem({ targets: [{ url: 'https://a', wieght: 2 }] })).toEqual([['route-unknown-field', 'targets[0].wieght', 0]]);
    expect(problem({ targets: ['https://a', 7] })).toEqual([['targets-invalid', 'targets[1]', 0]]);
  });

  it('every target follows SPEC 6-7, with the legacy messages, in every variant', () => {
    const e = errors({ '/a/:id': [{ methods: ['GET'], target: 'ftp://x' }, { targets: ['https://ok/:id', 'https://b/:nope'] }] });
    expect(e.map((i) => [i.code, i.variant, i.field])).toEqual([
      ['target-bad-protocol', 0, 'target'],
      ['target-unknown-placeholder', 1, 'targets[1]'],
    ]);
    expect(e[0]!.message).toBe('Invalid target URL "ftp://x" for path "/a/:id". Must use http:// or https:// protocol');
    expect(problem({ target: 'not a url' })[0]![0]).toBe('target-invalid-url');
    expect(problem({ target: 'https://a/#x' })[0]![0]).toBe('target-fragment');
  });

  it('unknown fields say which known field was meant', () => {
    const e = errors({ '/a': { target: 'https://a', tiemout: '5s', method: ['GET'], retry: { attemps: 2 }, url: 'https://x' } });
    expect(e.map((i) => [i.code, i.field, i.hint])).toEqual([
      ['route-unknown-field', 'tiemout', expect.stringContaining('"timeout"')],
      ['route-unknown-field', 'method', expect.stringContaining('"methods"')],
      ['route-unknown-field', 'url', expect.stringContaining('"target"')],
      ['route-unknown-field', 'retry.attemps', expect.stringContaining('"attempts"')],
    ]);
    expect(errors({ '/a': { target: 'https://a', zzzzzzzzzz: 1 } })[0]!.hint).toMatch(/Known fields here: name, target/);
  });

  it('names: syntax, and unique across the table', () => {
    expect(problem({ name: 'has space', target: 'https://a' })).toEqual([['name-invalid', 'name', 0]]);
    expect(problem({ name: 'x'.repeat(65), target: 'https://a' })).toEqual([['name-invalid', 'name', 0]]);
    const e = errors({ '/a': { name: 'api', target: 'https://a' }, '/b': [{ methods: ['GET'], name: 'api', target: 'https://b' }, 'https://c'] });
    expect(e.map((i) => [i.code, i.pattern, i.variant])).toEqual([['name-duplicate', '/b', 0]]);
  });

  it('every problem at once, each with the pattern, the variant, the field and a hint', () => {
    const e = errors({
      '/a': [
        { methods: ['get'], headers: { 'bad name': '1' }, target: 'https://a', timeout: -1 },
        { host: 'a.com:8080', target: 'ftp://b' },
      ],
    });
    expect(codes(e)).toEqual(['methods-invalid', 'headers-invalid', 'duration-invalid', 'target-bad-protocol', 'host-invalid']);
    for (const i of e) {
      expect(i.pattern).toBe('/a');
      expect(i.variant).toBeTypeOf('number');
      expect(i.field).toBeTypeOf('string');
      expect(i.hint!.length).toBeGreaterThan(5);
    }
  });

  it("a bad pattern with an object value still reports the object's problems", () => {
    expect(codes(errors({ 'a/x': { target: 'https://a', tiemout: 1 } }))).toEqual(['pattern-no-leading-slash', 'route-unknown-field']);
  });
});

describe('examples/gateway-routes.json', () => {
  it('validates, and uses every field and every condition form', () => {
    const table = JSON.parse(readFileSync(new URL('../examples/gateway-routes.json', import.meta.url), 'utf8')) as RouteTable;
    const a = analyze(table);
    expect(a.errors).toEqual([]);
    expect(a.warnings).toEqual([]);
    const variants = a.routes.flatMap((r) => r.variants);
    const written = new Set(
      Object.values(table)
        .flatMap((v) => (Array.isArray(v) ? v : [v]))
        .flatMap((v) => (typeof v === 'string' ? [] : Object.keys(v))),
    );
    expect([...ROUTE_FIELDS].filter((f) => !written.has(f))).toEqual([]);
    const hosts = variants.flatMap((v) => v.host ?? []).map((h) => Object.keys(h)[0]);
    expect(new Set(hosts)).toEqual(new Set(['exact', 'suffix', 'regex']));
    const matchers = variants.flatMap((v) => [...(v.headers ?? []), ...(v.query ?? [])]).map((c) => c.matcher.kind);
    expect(new Set(matchers)).toEqual(new Set(['equals', 'present', 'absent', 'prefix', 'regex']));
    expect(new Set(variants.map((v) => v.policies.auth?.type).filter(Boolean))).toEqual(new Set(['apiKey', 'jwt', 'forward']));
    expect(a.routes.filter((r) => r.shape.some((s) => s.length > 1 && s.startsWith(':'))).map((r) => r.pattern)).toEqual([
      '/v1/files/:id([0-9a-f]{24})',
      '/v1/files/:name([^/]+\\.(?:png|jpe?g))',
    ]);
  });
});

describe('conditions (SPEC 10)', () => {
  const variant = (value: Record<string, unknown>) => analyze({ '/a': { target: 'https://a', ...value } }).routes[0]!.variants[0]!;

  it('methods: upper-case tokens, GET implies HEAD, duplicates merged', () => {
    expect(variant({ methods: ['GET'] }).methods).toEqual(['GET', 'HEAD']);
    expect(variant({ methods: ['POST', 'POST', 'PURGE'] }).methods).toEqual(['POST', 'PURGE']);
    expect(variant({ methods: ['HEAD', 'GET'] }).methods).toEqual(['HEAD', 'GET']);
    for (const methods of [[], 'GET', ['get'], ['G ET'], [1], Array.from({ length: 33 }, (_, i) => 'M' + i)]) {
      expect(problem({ target: 'https://a', methods })[0]![0], JSON.stringify(methods)).toBe('methods-invalid');
    }
  });

  it('host: lower-cased, wildcards as suffixes, regexes, no ports', () => {
    expect(variant({ host: 'API.Example.com' }).host).toEqual([{ exact: 'api.example.com' }]);
    const [w, r, v6] = variant({ host: ['*.Example.com', { regex: '[a-z]+\\.example\\.com' }, '[::1]'] }).host!;
    expect(w).toEqual({ suffix: '.example.com' });
    expect((r as { regex: { test(v: string): boolean } }).regex.test('api.example.com')).toBe(true);
    expect(v6).toEqual({ exact: '[::1]' });
    for (const host of ['a.com:8080', '*', 'a..com', 'a.*.com', '', 5, [], ['ok.com', 'b c'], 'café.com', { regex: '(' }, { rgx: 'a' }]) {
      const p = problem({ target: 'https://a', host });
      expect(p.length, JSON.stringify(host)).toBeGreaterThan(0);
      expect(['host-invalid', 'regex-invalid', 'route-unknown-field']).toContain(p[0]![0]);
    }
  });

  it('headers and query: names, matchers, duplicates after lower-casing', () => {
    const v = variant({ headers: { 'X-Beta': '1', authorization: { prefix: 'Bearer ' }, 'x-on': true, 'x-off': false, 'x-v': { regex: 'v[0-9]+' } }, query: { Debug: 'on' } });
    expect(v.headers!.map((c) => [c.name, c.matcher.kind])).toEqual([
      ['x-beta', 'equals'],
      ['authorization', 'prefix'],
      ['x-on', 'present'],
      ['x-off', 'absent'],
      ['x-v', 'regex'],
    ]);
    expect(v.query).toEqual([{ name: 'Debug', matcher: { kind: 'equals', value: 'on' } }]);
    const re = v.headers![4]!.matcher as { kind: 'regex'; regex: { test(s: string): boolean } };
    expect([re.regex.test('v12'), re.regex.test('xv12'), re.regex.test('v12x')]).toEqual([true, false, false]);
    expect(problem({ target: 'https://a', headers: { 'X-A': '1', 'x-a': '2' } })).toEqual([['headers-invalid', 'headers["x-a"]', 0]]);
    expect(problem({ target: 'https://a', headers: {} })).toEqual([['headers-invalid', 'headers', 0]]);
    expect(problem({ target: 'https://a', headers: { a: 5 } })).toEqual([['headers-invalid', 'headers["a"]', 0]]);
    expect(problem({ target: 'https://a', headers: { a: { prefix: 'x', regex: 'y' } } })).toEqual([['headers-invalid', 'headers["a"]', 0]]);
    expect(problem({ target: 'https://a', query: { q: { regex: '(a)\\1' } } })).toEqual([['regex-invalid', 'query["q"].regex', 0]]);
    expect(problem({ target: 'https://a', query: { q: { regex: 'a'.repeat(257) } } })).toEqual([['regex-too-long', 'query["q"].regex', 0]]);
    expect(problem({ target: 'https://a', query: { '': '1' } })).toEqual([['query-invalid', 'query[""]', 0]]);
  });
});

describe('parameter constraints (SPEC 10.2)', () => {
  it('splits around a constraint holding "/", "(" and ")" and keeps the source as written', () => {
    const a = analyze({
      '/f/:id([0-9a-f]{24})': 'https://f/:id',
      '/p/:rest([^/]+)/x': 'https://p/:rest',
      '/g/:v((a|b)\\)[)(]+)/:w': 'https://g/:v/:w',
      '/h/:k([[:alpha:]]+)': 'https://h/:k',
    });
    expect(a.errors).toEqual([]);
    expect(a.routes.map((r) => [r.canonical, r.shape, r.paramNames])).toEqual([
      ['/f/:id([0-9a-f]{24})', ['f', ':[0-9a-f]{24}'], ['id']],
      ['/p/:rest([^/]+)/x', ['p', ':[^/]+', 'x'], ['rest']],
      ['/g/:v((a|b)\\)[)(]+)/:w', ['g', ':(a|b)\\)[)(]+', ':'], ['v', 'w']],
      ['/h/:k([[:alpha:]]+)', ['h', ':[[:alpha:]]+'], ['k']],
    ]);
  });

  it('a different REGEX is a different shape; a different name is not', () => {
    expect(errors({ '/u/:id([0-9]+)': 'https://a', '/u/:id([a-z]+)': 'https://b', '/u/:id': 'https://c' })).toEqual([]);
    expect(codes(errors({ '/u/:id([0-9]+)': 'https://a', '/u/:n([0-9]+)': 'https://b' }))).toEqual(['conflict']);
    // "/" inside a REGEX never makes two shapes look alike.
    expect(errors({ '/u/:a(x/y)': 'https://a', '/u/:a(x)/y': 'https://b' })).toEqual([]);
  });

  it('refuses bad constraints with the engine reason', () => {
    const cases: [string, string][] = [
      ['/a/:id([0-9]+', 'regex-invalid'],
      ['/a/:id((a)\\1)', 'regex-invalid'],
      ['/a/:id((?=a)a)', 'regex-invalid'],
      ['/a/:id()', 'regex-invalid'],
      ['/a/:id([0-9]+)x', 'regex-invalid'],
      ['/a/:id(' + 'a'.repeat(257) + ')', 'regex-too-long'],
      ['/a/:9(x)', 'param-name-invalid'],
      ['/a/:id/:id(x)', 'param-name-duplicate'],
      ['/a/*([0-9]+)', 'wildcard-misplaced'],
    ];
    for (const [pattern, code] of cases) {
      const e = errors({ [pattern]: 'https://a' });
      expect(codes(e), pattern).toEqual([code]);
      expect(e[0]!.pattern).toBe(pattern);
      expect(e[0]!.hint).toBeTruthy();
    }
    expect(errors({ '/a/:id((?=a)a)': 'https://a' })[0]!.message).toMatch(/invalid or unsupported Perl syntax/);
    expect(errors({ ['/a/:id(' + 'a'.repeat(256) + ')']: 'https://a/:id' })).toEqual([]);
  });

  it('static segments keep the plain split: "/a(b/c)" is two static segments, as before', () => {
    expect(analyze({ '/a(b/c)': 'https://a' }).routes[0]!.shape).toEqual(['a(b', 'c)']);
  });
});

describe('upstream fields (SPEC 11)', () => {
  const upstream = (value: Record<string, unknown>, pattern = '/a/:id/*') => analyze({ [pattern]: { target: 'https://a/:id/*', ...value } }).routes[0]!.variants[0]!.upstream;

  it('normalizes balancers, health checks, retries and timeouts', () => {
    expect(upstream({ loadBalancer: 'least-request' }).loadBalancer).toEqual({ kind: 'least-request' });
    expect(upstream({ loadBalancer: { hash: 'header:X-User' } }).loadBalancer).toEqual({ kind: 'hash', key: 'header:x-user' });
    expect(upstream({ loadBalancer: { hash: 'param:id' } }).loadBalancer).toEqual({ kind: 'hash', key: 'param:id' });
    expect(upstream({ healthCheck: { passive: {}, active: { path: '/healthz' } } }).healthCheck).toEqual({
      passive: { consecutiveFailures: 5, baseEjection: 30_000, maxEjectedPercent: 50 },
      active: { path: '/healthz', interval: 10_000, timeout: 2_000, healthyThreshold: 2, unhealthyThreshold: 3, expectStatus: [[200, 399]] },
    });
    expect(upstream({ healthCheck: { active: { path: '/h', expectStatus: ['200-299', '404', 503], interval: '1m', timeout: '1.5s' } } }).healthCheck!.active).toMatchObject({
      expectStatus: [
        [200, 299],
        [404, 404],
        [503, 503],
      ],
      interval: 60_000,
      timeout: 1_500,
    });
    expect(upstream({ retry: { attempts: 0, on: ['gateway-error', 429], methods: ['POST'], perTryTimeout: '2s', bufferLimit: '1MB' }, timeout: '15s', idleTimeout: 250 })).toEqual({
      retry: { attempts: 0, on: ['gateway-error', 429], methods: ['POST'], perTryTimeout: 2_000, bufferLimit: 1024 * 1024 },
      timeout: 15_000,
      idleTimeout: 250,
    });
  });

  it.each<[Record<string, unknown>, string, string]>([
    [{ loadBalancer: 'fastest' }, 'load-balancer-invalid', 'loadBalancer'],
    [{ loadBalancer: { hash: 'param:nope' } }, 'load-balancer-invalid', 'loadBalancer.hash'],
    [{ loadBalancer: { hash: 'body:x' } }, 'load-balancer-invalid', 'loadBalancer.hash'],
    [{ loadBalancer: { hsah: 'ip' } }, 'route-unknown-field', 'loadBalancer.hsah'],
    [{ healthCheck: { passive: { maxEjectedPercent: 101 } } }, 'health-check-invalid', 'healthCheck.passive.maxEjectedPercent'],
    [{ healthCheck: { passive: { consecutiveFailures: 0 } } }, 'health-check-invalid', 'healthCheck.passive.consecutiveFailures'],
    [{ healthCheck: { active: { path: 'healthz' } } }, 'health-check-invalid', 'healthCheck.active.path'],
    [{ healthCheck: { active: { path: '/h', expectStatus: '399-200' } } }, 'health-check-invalid', 'healthCheck.active.expectStatus'],
    [{ healthCheck: { active: { path: '/h', expectStatus: '600' } } }, 'health-check-invalid', 'healthCheck.active.expectStatus'],
    [{ healthCheck: { active: { path: '/h', interval: '1s', timeout: '2s' } } }, 'health-check-invalid', 'healthCheck.active.timeout'],
    [{ retry: { attempts: 6 } }, 'retry-invalid', 'retry.attempts'],
    [{ retry: { attempts: -1 } }, 'retry-invalid', 'retry.attempts'],
    [{ retry: { on: ['5xx'] } }, 'retry-invalid', 'retry.on[0]'],
    [{ retry: { on: [] } }, 'retry-invalid', 'retry.on'],
    [{ retry: { methods: ['get'] } }, 'retry-invalid', 'retry.methods[0]'],
    [{ retry: { bufferLimit: '64XB' } }, 'size-invalid', 'retry.bufferLimit'],
    [{ retry: 3 }, 'retry-invalid', 'retry'],
    [{ timeout: 0 }, 'duration-invalid', 'timeout'],
    [{ timeout: '15 s' }, 'duration-invalid', 'timeout'],
    [{ timeout: 2 ** 31 }, 'duration-invalid', 'timeout'],
    [{ idleTimeout: 1.5 }, 'duration-invalid', 'idleTimeout'],
  ])('%j -> %s at %s', (value, code, field) => {
    expect(problem({ target: 'https://a/:id/*', ...value })).toEqual([[code, field, 0]]);
  });
});

describe('policy fields (SPEC 12)', () => {
  const policies = (value: Record<string, unknown>) => analyze({ '/a': { target: 'https://a', ...value } }).routes[0]!.variants[0]!.policies;

  it('normalizes auth, rate limits, cache and header rules', () => {
    expect(policies({ auth: { type: 'apiKey', in: 'query', name: 'api_key', keys: [HASH.toUpperCase().replace('SHA256', 'sha256')] } }).auth).toEqual({
      type: 'apiKey',
      in: 'query',
      name: 'api_key',
      keys: ['ab'.repeat(32)],
    });
    const jwk = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' };
    expect(
      policies({ auth: { type: 'jwt', publicKey: jwk, issuer: 'https://i', audience: ['a', 'b'], algorithms: ['ES256'], clockTolerance: '5s', forwardClaims: { sub: 'X-User' } } })
        .auth,
    ).toEqual({
      type: 'jwt',
      publicKey: jwk,
      issuer: 'https://i',
      audience: ['a', 'b'],
      algorithms: ['ES256'],
      clockTolerance: 5_000,
      forwardClaims: { sub: 'x-user' },
    });
    expect(policies({ auth: { type: 'forward', url: 'https://auth.svc/check', requestHeaders: ['Authorization'] } }).auth).toEqual({
      type: 'forward',
      url: 'https://auth.svc/check',
      requestHeaders: ['authorization'],
      responseHeaders: [],
    });
    expect(policies({ rateLimit: { requests: 100, per: '1m' } }).rateLimit).toEqual({ requests: 100, per: 60_000, burst: 100, key: 'ip' });
    expect(policies({ rateLimit: { requests: 5, per: 1000, burst: 10, key: 'header:X-Tenant' } }).rateLimit).toEqual({ requests: 5, per: 1000, burst: 10, key: 'header:x-tenant' });
    expect(policies({ cache: true }).cache).toEqual({ methods: ['GET', 'HEAD'], maxEntrySize: 1_048_576 });
    expect(policies({ cache: false })).toEqual({});
    expect(policies({ cache: { ttl: '60s', methods: ['GET'], maxEntrySize: '64KB' } }).cache).toEqual({ ttl: 60_000, methods: ['GET'], maxEntrySize: 65_536 });
    expect(policies({ requestHeaders: { set: { 'X-Env': 'prod' }, add: { via: 'gw' }, remove: ['X-Powered-By'] } }).requestHeaders).toEqual({
      set: { 'x-env': 'prod' },
      add: { via: 'gw' },
      remove: ['x-powered-by'],
    });
  });

  it('a plain API key is refused, never echoed, with a hint that shows how to hash it', () => {
    const e = errors({ '/a': { target: 'https://a', auth: { type: 'apiKey', keys: ['my-very-secret-key', HASH, 'sha256:abc'] } } });
    expect(e.map((i) => [i.code, i.field])).toEqual([
      ['api-key-not-hashed', 'auth.keys[0]'],
      ['api-key-not-hashed', 'auth.keys[2]'],
    ]);
    expect(JSON.stringify(e)).not.toContain('my-very-secret-key');
    expect(e[0]!.hint).toContain('sha256sum');
  });

  it.each<[Record<string, unknown>, string, string]>([
    [{ auth: { type: 'basic' } }, 'auth-invalid', 'auth.type'],
    [{ auth: 'apiKey' }, 'auth-invalid', 'auth'],
    [{ auth: { type: 'apiKey', keys: [] } }, 'auth-invalid', 'auth.keys'],
    [{ auth: { type: 'apiKey', keys: [HASH], in: 'cookie' } }, 'auth-invalid', 'auth.in'],
    [{ auth: { type: 'apiKey', keys: [HASH], kyes: [] } }, 'route-unknown-field', 'auth.kyes'],
    [{ auth: { type: 'jwt' } }, 'auth-invalid', 'auth'],
    [{ auth: { type: 'jwt', jwksUri: 'https://i/jwks', publicKey: { kty: 'RSA' } } }, 'auth-invalid', 'auth'],
    [{ auth: { type: 'jwt', jwksUri: 'file:///jwks' } }, 'auth-invalid', 'auth.jwksUri'],
    [{ auth: { type: 'jwt', jwksUri: 'https://i/jwks', algorithms: ['none'] } }, 'jwt-algorithm-refused', 'auth.algorithms[0]'],
    [{ auth: { type: 'jwt', jwksUri: 'https://i/jwks', algorithms: ['HS256'] } }, 'jwt-algorithm-refused', 'auth.algorithms[0]'],
    [{ auth: { type: 'jwt', jwksUri: 'https://i/jwks', algorithms: ['XS1'] } }, 'auth-invalid', 'auth.algorithms[0]'],
    [{ auth: { type: 'jwt', publicKey: { kty: 'oct', k: 'c2VjcmV0' } } }, 'jwt-algorithm-refused', 'auth.publicKey'],
    [{ auth: { type: 'jwt', publicKey: { kty: 'RSA', n: 'n', e: 'AQAB', d: 'private' } } }, 'auth-invalid', 'auth.publicKey'],
    [{ auth: { type: 'jwt', jwksUri: 'https://i/jwks', forwardClaims: { sub: 'host' } } }, 'header-forbidden', 'auth.forwardClaims.sub'],
    [{ auth: { type: 'forward' } }, 'auth-invalid', 'auth.url'],
    [{ rateLimit: { requests: 0, per: '1s' } }, 'rate-limit-invalid', 'rateLimit.requests'],
    [{ rateLimit: { requests: 1 } }, 'rate-limit-invalid', 'rateLimit.per'],
    [{ rateLimit: { requests: 1, per: '1s', burst: 0 } }, 'rate-limit-invalid', 'rateLimit.burst'],
    [{ rateLimit: { requests: 1, per: '1s', key: 'user' } }, 'rate-limit-invalid', 'rateLimit.key'],
    [{ rateLimit: { requests: 1, per: '1s', key: 'jwt:sub' } }, 'rate-limit-invalid', 'rateLimit.key'],
    [{ cache: 'yes' }, 'cache-invalid', 'cache'],
    [{ cache: { methods: ['POST'] } }, 'cache-invalid', 'cache.methods[0]'],
    [{ cache: { maxEntrySize: 0 } }, 'size-invalid', 'cache.maxEntrySize'],
    [{ cache: { ttl: 'forever' } }, 'duration-invalid', 'cache.ttl'],
    [{ requestHeaders: { set: { host: 'x' } } }, 'header-forbidden', 'requestHeaders.set["host"]'],
    [{ requestHeaders: { add: { 'Content-Length': '1' } } }, 'header-forbidden', 'requestHeaders.add["Content-Length"]'],
    [{ responseHeaders: { remove: ['Transfer-Encoding'] } }, 'header-forbidden', 'responseHeaders.remove[0]'],
    [{ responseHeaders: { remove: ['Connection'] } }, 'header-forbidden', 'responseHeaders.remove[0]'],
    [{ responseHeaders: { set: { 'x-a': 'a\r\nInjected: 1' } } }, 'header-rules-invalid', 'responseHeaders.set["x-a"]'],
    [{ responseHeaders: { sett: {} } }, 'route-unknown-field', 'responseHeaders.sett'],
  ])('%j -> %s at %s', (value, code, field) => {
    expect(problem({ target: 'https://a', ...value }, '/a')).toEqual([[code, field, 0]]);
  });

  it('rateLimit keyed on a JWT claim is valid beside JWT auth', () => {
    expect(errors({ '/a': { target: 'https://a', auth: { type: 'jwt', jwksUri: 'https://i/jwks' }, rateLimit: { requests: 10, per: '1s', key: 'jwt:sub' } } })).toEqual([]);
  });
});
