/**
 * Hostile and arbitrary input to the route-object validator (SPEC 7, 10-12): it never throws,
 * answers megabyte strings, deep nesting and 10,000-element arrays in any field with issues
 * in bounded time, and every issue it gives carries a known code, the pattern and a hint.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRoutes, type IssueCode, type RouteIssue } from '../src/index.js';
import { HASH, routeValueArb } from './route-object-arbitraries.js';

/** Every code of IssueCode (the type is checked: a code added there must be added here). */
const CODES: Record<IssueCode, true> = {
  'routes-not-object': true,
  'routes-empty': true,
  'pattern-no-leading-slash': true,
  'target-not-string': true,
  'target-invalid-url': true,
  'target-bad-protocol': true,
  'param-name-invalid': true,
  'param-name-duplicate': true,
  'wildcard-misplaced': true,
  'pattern-invalid-character': true,
  'pattern-invalid-escape': true,
  'pattern-dot-segment': true,
  conflict: true,
  'target-fragment': true,
  'target-unknown-placeholder': true,
  'too-many-routes': true,
  'pattern-too-long': true,
  'pattern-too-many-segments': true,
  'target-too-long': true,
  'regex-invalid': true,
  'regex-too-long': true,
  'variants-empty': true,
  'too-many-variants': true,
  'variant-invalid': true,
  'variant-unreachable': true,
  'route-unknown-field': true,
  'route-target-missing': true,
  'route-target-ambiguous': true,
  'targets-invalid': true,
  'weight-invalid': true,
  'name-invalid': true,
  'name-duplicate': true,
  'methods-invalid': true,
  'host-invalid': true,
  'headers-invalid': true,
  'query-invalid': true,
  'duration-invalid': true,
  'size-invalid': true,
  'load-balancer-invalid': true,
  'health-check-invalid': true,
  'retry-invalid': true,
  'auth-invalid': true,
  'api-key-not-hashed': true,
  'jwt-algorithm-refused': true,
  'rate-limit-invalid': true,
  'cache-invalid': true,
  'header-rules-invalid': true,
  'header-forbidden': true,
  'params-unused': true,
  'remainder-dropped': true,
  'target-credentials': true,
};

const FIELDS = [
  'name',
  'target',
  'targets',
  'methods',
  'host',
  'headers',
  'query',
  'loadBalancer',
  'healthCheck',
  'retry',
  'timeout',
  'idleTimeout',
  'auth',
  'rateLimit',
  'cache',
  'requestHeaders',
  'responseHeaders',
];

function checkIssue(issue: RouteIssue, patterns: readonly string[]): void {
  expect(CODES[issue.code], `unknown code ${issue.code}`).toBe(true);
  expect(issue.code).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
  expect(issue.message.length, issue.code).toBeGreaterThan(10);
  expect(issue.message.length, issue.code).toBeLessThan(2000); // never a megabyte echoed back
  expect(issue.hint?.length ?? 0, issue.code).toBeGreaterThan(5);
  expect(issue.hint!.length, issue.code).toBeLessThan(2000);
  if (issue.code !== 'routes-not-object' && issue.code !== 'routes-empty' && issue.code !== 'too-many-routes') {
    expect(patterns, issue.code).toContain(issue.pattern);
  }
  if (issue.variant !== undefined) expect(Number.isInteger(issue.variant) && issue.variant >= 0).toBe(true);
}

/** A route object with `value` in one field (or at a deeper spot of it). */
const objectWith = (field: string, value: unknown) => ({ target: 'https://a.com', [field]: value });

describe('route objects: arbitrary JSON never throws', () => {
  it('any JSON value as a route value, or in any field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 3 }), (field, inField, asValue) => {
        const table = { '/a/:id/*': objectWith(field, inField), '/b': asValue, '/c': [objectWith(field, inField), asValue] };
        const r = validateRoutes(table);
        for (const i of [...r.errors, ...r.warnings]) checkIssue(i, Object.keys(table));
      }),
      { numRuns: 1500 },
    );
  });

  it('arbitrary JSON inside each nested object of the form', () => {
    const nested: [string, (v: unknown) => unknown][] = [
      ['retry', (v) => ({ attempts: v, on: [v], methods: [v], perTryTimeout: v, bufferLimit: v })],
      [
        'healthCheck',
        (v) => ({
          passive: { consecutiveFailures: v, baseEjection: v, maxEjectedPercent: v },
          active: { path: v, interval: v, timeout: v, healthyThreshold: v, unhealthyThreshold: v, expectStatus: v },
        }),
      ],
      ['auth', (v) => ({ type: 'apiKey', in: v, name: v, keys: [v, HASH] })],
      ['auth', (v) => ({ type: 'jwt', issuer: v, audience: v, jwksUri: v, algorithms: [v], clockTolerance: v, forwardClaims: { sub: v } })],
      ['auth', (v) => ({ type: 'jwt', publicKey: v })],
      ['auth', (v) => ({ type: 'forward', url: v, requestHeaders: [v], responseHeaders: v })],
      ['rateLimit', (v) => ({ requests: v, per: v, burst: v, key: v })],
      ['cache', (v) => ({ ttl: v, methods: [v], maxEntrySize: v })],
      ['requestHeaders', (v) => ({ set: { 'x-a': v }, add: v, remove: [v] })],
      ['headers', (v) => ({ 'x-a': v, 'x-b': { prefix: v }, 'x-c': { regex: v } })],
      ['host', (v) => [v, { regex: v }]],
      ['loadBalancer', (v) => ({ hash: v })],
      ['targets', (v) => [v, { url: 'https://a.com', weight: v }, { url: v }]],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...nested), fc.jsonValue({ maxDepth: 3 }), ([field, build], v) => {
        const table = { '/a/:id': objectWith(field, build(v)) };
        for (const i of validateRoutes(table).errors) checkIssue(i, ['/a/:id']);
      }),
      { numRuns: 1500 },
    );
  });

  it('generated tables mixing every form: every issue has a known code, the pattern and a hint', () => {
    const target = fc.constantFrom('https://a.com', 'https://a.com/:id', 'ftp://x', 'https://', 'https://a.com/#f', 'https://u:p@a.com');
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('/a', '/a/:id', '/b/*', '/c/:id([0-9]+)', 'x', '/d/:id((?=a))'), routeValueArb(target), { minKeys: 1, maxKeys: 4 }), (table) => {
        const r = validateRoutes(table);
        for (const i of [...r.errors, ...r.warnings]) checkIssue(i, Object.keys(table));
        expect(r.valid).toBe(r.errors.length === 0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('route objects: hostile values are answered with issues in bounded time', () => {
  const MB = 'a'.repeat(1 << 20);
  let deep: unknown = 'https://a.com';
  for (let i = 0; i < 10_000; i++) deep = i % 2 ? [deep] : { x: deep };
  const many = (v: unknown) => Array.from({ length: 10_000 }, () => v);
  const manyKeys = (v: unknown) => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, v]));

  const cases: [string, unknown][] = [
    ['megabyte target', { target: 'https://a.com/' + MB }],
    ['megabyte name', { target: 'https://a.com', name: MB }],
    ['megabyte method', { target: 'https://a.com', methods: [MB] }],
    ['megabyte host', { target: 'https://a.com', host: MB }],
    ['megabyte header name', { target: 'https://a.com', headers: { [MB]: '1' } }],
    ['megabyte header regex', { target: 'https://a.com', headers: { 'x-a': { regex: MB } } }],
    ['megabyte query regex that would backtrack', { target: 'https://a.com', query: { q: { regex: '(a|aa)*'.repeat(40_000) } } }],
    ['megabyte duration', { target: 'https://a.com', timeout: MB }],
    ['megabyte size', { target: 'https://a.com', retry: { bufferLimit: '1' + '0'.repeat(1 << 20) + 'KB' } }],
    ['megabyte api key', { target: 'https://a.com', auth: { type: 'apiKey', keys: [MB] } }],
    ['megabyte jwks URI', { target: 'https://a.com', auth: { type: 'jwt', jwksUri: 'https://a.com/' + MB } }],
    ['megabyte hash key', { target: 'https://a.com', loadBalancer: { hash: 'header:' + MB } }],
    ['megabyte header value', { target: 'https://a.com', responseHeaders: { set: { 'x-a': MB } } }],
    ['megabyte unknown field', { target: 'https://a.com', [MB]: 1 }],
    ['megabyte expectStatus', { target: 'https://a.com', healthCheck: { active: { path: '/h', expectStatus: '200,'.repeat(200_000) + '200' } } }],
    ['deep nesting as a target', { target: deep }],
    ['deep nesting in targets', { targets: [deep] }],
    ['deep nesting as a public key', { target: 'https://a.com', auth: { type: 'jwt', publicKey: { kty: 'RSA', n: deep } } }],
    ['deep nesting in headers', { target: 'https://a.com', headers: { 'x-a': deep } }],
    ['deep nesting as retry', { target: 'https://a.com', retry: deep }],
    ['10,000 methods', { target: 'https://a.com', methods: many('GET') }],
    ['10,000 targets', { targets: many('https://a.com') }],
    ['10,000 hosts', { target: 'https://a.com', host: many('a.com') }],
    ['10,000 header conditions', { target: 'https://a.com', headers: manyKeys('1') }],
    ['10,000 query conditions', { target: 'https://a.com', query: manyKeys(true) }],
    ['10,000 unknown fields', { target: 'https://a.com', ...manyKeys(1) }],
    ['10,000 api keys', { target: 'https://a.com', auth: { type: 'apiKey', keys: many('plain') } }],
    ['10,000 retry triggers', { target: 'https://a.com', retry: { on: many('oops') } }],
    ['10,000 statuses', { target: 'https://a.com', healthCheck: { active: { path: '/h', expectStatus: many('600') } } }],
    ['10,000 header rules', { target: 'https://a.com', requestHeaders: { set: manyKeys('v'), remove: many('host') } }],
    ['10,000 forwarded claims', { target: 'https://a.com', auth: { type: 'jwt', jwksUri: 'https://i/j', forwardClaims: manyKeys('x-a') } }],
    ['10,000 algorithms', { target: 'https://a.com', auth: { type: 'jwt', jwksUri: 'https://i/j', algorithms: many('none') } }],
    ['10,000 variants', many({ methods: ['GET'], target: 'https://a.com' })],
    ['10,000 broken variants', many(42)],
  ];

  it.each(cases)('%s', (_, value) => {
    const t0 = performance.now();
    const r = validateRoutes({ '/a/:id': value });
    const ms = performance.now() - t0;
    expect(r.valid).toBe(false);
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.length).toBeLessThanOrEqual(40); // an answer, not an echo of the input
    for (const i of r.errors) checkIssue(i, ['/a/:id']);
    expect(ms).toBeLessThan(1000);
  });

  it('a megabyte pattern with a constraint and 10,000 routes of route objects', () => {
    const t0 = performance.now();
    expect(validateRoutes({ ['/a/:id(' + MB + ')']: { target: 'https://a.com' } }).errors.map((e) => e.code)).toEqual(['pattern-too-long']);
    const table = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [
        `/r${i}/:id([0-9]+)`,
        [{ methods: ['GET'], name: `r${i}`, targets: ['https://a.com/:id', { url: 'https://b.com/:id', weight: 2 }] }, 'https://c.com/:id'],
      ]),
    );
    const r = validateRoutes(table);
    expect(r.errors).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('10,000 distinct large regexes: the table budget bounds the compile work', () => {
    const table = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [`/r${i}/:id(.{${500 + (i % 500)}})`, { target: 'https://a.com/:id', headers: { 'x-v': { regex: `v.{${400 + (i % 600)}}` } } }]),
    );
    const t0 = performance.now();
    const r = validateRoutes(table);
    const ms = performance.now() - t0;
    expect(r.valid).toBe(false);
    const codes = new Set(r.errors.map((e) => e.code));
    expect([...codes]).toEqual(['regex-too-long']);
    expect(r.errors[0]!.message).toMatch(/together expand to more than 100000 elements/);
    for (const e of r.errors.slice(0, 50)) checkIssue(e, Object.keys(table));
    expect(ms).toBeLessThan(10_000);
  });
});
