/**
 * Route objects end to end (SPEC 10.1, 10.2): random tables mixing strings, route objects and
 * arrays of variants with methods, host, header and query conditions and constrained
 * parameters, matched with random requests. Every backend must give what the oracle gives:
 * among the patterns that match the path and have a variant accepting the request, the one of
 * lowest rank (test/oracle.ts), served by its first accepting variant; and when nothing
 * matches, `allowedMethods` is the union of the methods of the variants that failed on
 * methods alone. The oracle's condition checks are written here from SPEC text, sharing no
 * code with src/match/conditions.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile, validateRoutes, type MatchRequest, type Router } from '../src/index.js';
import { BACKENDS } from './helpers.js';
import { oracleMatch } from './oracle.js';

const STATIC = ['a', 'b', 'api', 'v1', '12'];
const REGEXES = ['[0-9]+', '[a-z]+', 'v[0-9]', '(?i)A'];
const VALUES = ['a', 'b', 'A', '12', '7', 'v1', 'api', 'x'];
const METHODS = ['GET', 'POST', 'DELETE', 'PURGE'];

type Seg = { kind: 'static'; text: string } | { kind: 'param' } | { kind: 'constrained'; regex: string } | { kind: 'star' };
const segArb: fc.Arbitrary<Seg> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...STATIC).map((text) => ({ kind: 'static', text }) as Seg) },
  { weight: 2, arbitrary: fc.constant({ kind: 'param' } as Seg) },
  { weight: 2, arbitrary: fc.constantFrom(...REGEXES).map((regex) => ({ kind: 'constrained', regex }) as Seg) },
  { weight: 1, arbitrary: fc.constant({ kind: 'star' } as Seg) },
);
const patternArb = fc.tuple(fc.array(segArb, { maxLength: 3 }), fc.boolean()).map(([segs, catchAll]) => {
  let n = 0;
  const parts = segs.map((s) => (s.kind === 'static' ? s.text : s.kind === 'param' ? `:p${n++}` : s.kind === 'constrained' ? `:p${n++}(${s.regex})` : '*'));
  if (catchAll) parts.push('*');
  return '/' + parts.join('/');
});

const matcherArb = fc.constantFrom<unknown>('1', true, false, { prefix: 'v' }, { regex: 'v[0-9]+' });
const variantArb = fc
  .record(
    {
      methods: fc.subarray(METHODS, { minLength: 1 }),
      host: fc.constantFrom<unknown>('a.test', '*.b.test', ['a.test', 'c.test']),
      headers: fc.record({ 'x-a': matcherArb }),
      query: fc.record({ q: matcherArb }),
    },
    { requiredKeys: [] },
  )
  .map((conditions) => ({ target: 'https://v.example', ...conditions }));
const valueArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant<unknown>('https://s.example') },
  { weight: 3, arbitrary: variantArb },
  {
    weight: 3,
    arbitrary: fc.array(fc.oneof({ weight: 4, arbitrary: variantArb }, { weight: 1, arbitrary: fc.constant<unknown>('https://last.example') }), { minLength: 1, maxLength: 3 }),
  },
);

/** A table that validates: random entries, keeping those the validator accepts (conflicts and unreachable variants dropped). */
const tableArb = fc.uniqueArray(fc.tuple(patternArb, valueArb), { minLength: 1, maxLength: 8, selector: ([p]) => p }).map((entries) => {
  const table = Object.fromEntries(entries);
  const bad = new Set(validateRoutes(table).errors.map((e) => e.pattern));
  return Object.fromEntries(entries.filter(([p]) => !bad.has(p)));
});

const requestArb: fc.Arbitrary<MatchRequest | undefined> = fc.option(
  fc.record(
    {
      method: fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE', 'PURGE', 'PATCH'),
      host: fc.constantFrom('a.test', 'x.b.test', 'b.test', 'A.TEST:8080', 'c.test'),
      headers: fc.record({ 'x-a': fc.constantFrom('1', 'v1', 'va', 'w') }, { requiredKeys: [] }),
      query: fc.constantFrom('', 'q=1', 'q=v2&q=1', 'q=%76%31', 'q', 'r=1'),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);
const pathArb = fc.array(fc.constantFrom(...VALUES, ...STATIC), { maxLength: 4 }).map((segs) => '/' + segs.join('/'));

// ---- the oracle's own reading of a variant (SPEC 10) ----
type Variant = { methods?: string[]; host?: string | string[]; headers?: Record<string, unknown>; query?: Record<string, unknown> };

function valueHolds(matcher: unknown, value: string | null): boolean {
  if (matcher === true) return value !== null;
  if (matcher === false) return value === null;
  if (typeof matcher === 'string') return value === matcher;
  const m = matcher as { prefix?: string; regex?: string };
  if (value === null) return false;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  return new RegExp(`^(?:${m.regex})$`).test(value);
}

function hostOf(request: MatchRequest): string | null {
  if (request.host === undefined) return null;
  return request.host.toLowerCase().replace(/:\d+$/, '');
}

function acceptsIgnoringMethod(v: Variant, request: MatchRequest | undefined): boolean {
  const conditional = v.methods !== undefined || v.host !== undefined || v.headers !== undefined || v.query !== undefined;
  if (!conditional) return true;
  if (request === undefined) return false;
  if (v.host !== undefined) {
    const host = hostOf(request);
    const ok = (typeof v.host === 'string' ? [v.host] : v.host).some((h) =>
      h.startsWith('*.') ? host !== null && host.endsWith(h.slice(1)) && host.length > h.length - 1 : host === h,
    );
    if (!ok) return false;
  }
  const headers = (request.headers ?? {}) as Record<string, string | undefined>;
  for (const [name, m] of Object.entries(v.headers ?? {})) if (!valueHolds(m, headers[name] ?? null)) return false;
  const query = new URLSearchParams(request.query ?? '');
  for (const [name, m] of Object.entries(v.query ?? {})) if (!valueHolds(m, query.get(name))) return false;
  return true;
}

function methodHolds(v: Variant, request: MatchRequest | undefined): boolean {
  if (v.methods === undefined) return true;
  const m = request?.method;
  return m !== undefined && (v.methods.includes(m) || (m === 'HEAD' && v.methods.includes('GET')));
}

function variantsOf(value: unknown): Variant[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? {} : (v as Variant)));
}

function expected(router: Router, table: Record<string, unknown>, path: string, request: MatchRequest | undefined) {
  const variants = router.routes.map((r) => variantsOf(table[r.pattern]));
  const accepting = (i: number) => variants[i]!.findIndex((v) => methodHolds(v, request) && acceptsIgnoringMethod(v, request));
  const m = oracleMatch(router.routes, path, router.options, (i) => accepting(i) >= 0);
  if (m !== null) {
    const route = router.routes[m.index]!;
    return { match: { pattern: route.pattern, variant: accepting(m.index), params: m.params, remainder: m.remainder }, allow: [] as string[] };
  }
  const allow = new Set<string>();
  router.routes.forEach((route, i) => {
    if (oracleMatch([route], path, router.options) === null) return;
    for (const v of variants[i]!) if (v.methods !== undefined && acceptsIgnoringMethod(v, request)) for (const x of v.methods) allow.add(x);
  });
  return { match: null, allow: [...allow].sort() };
}

function actual(router: Router, path: string, request: MatchRequest | undefined) {
  const m = router.match(path, request);
  if (m !== null) return { match: { pattern: m.pattern, variant: m.variant.index, params: { ...m.params }, remainder: m.remainder }, allow: [] as string[] };
  return {
    match: null,
    allow: router
      .allowedMethods(path, request)
      .filter((x) => x !== 'HEAD')
      .sort(),
  };
}

describe.each(BACKENDS)('route objects on the $name matcher', (backend) => {
  it('match and allowedMethods equal the oracle on random tables of conditions, variants and constraints', () => {
    fc.assert(
      fc.property(tableArb, fc.array(fc.tuple(pathArb, requestArb), { minLength: 1, maxLength: 10 }), (table, requests) => {
        if (Object.keys(table).length === 0) return;
        const router = compile(table as unknown, backend.options);
        for (const [path, request] of requests) {
          const got = actual(router, path, request);
          // The router lists HEAD wherever GET is allowed (GET implies HEAD); the oracle's table does not say HEAD.
          const want = expected(router, table, path, request);
          expect(got, `${path} ${JSON.stringify(request)} in ${JSON.stringify(table)}`).toEqual(want);
        }
      }),
      { numRuns: backend.name === 'native' ? 4_000 : 3_000 },
    );
  });
});

it('a GET variant answers HEAD, and Allow lists HEAD beside GET', () => {
  const router = compile({ '/x': { methods: ['GET'], target: 'https://x.example' } });
  expect(router.match('/x', { method: 'HEAD' })?.pattern).toBe('/x');
  expect(router.allowedMethods('/x', { method: 'POST' }).sort()).toEqual(['GET', 'HEAD']);
});

describe('hostile request values (SPEC 10.1: linear in what conditions read, never a throw)', () => {
  const table = {
    '/h/*': [
      { headers: { 'x-a': { regex: '(a|b)*c' } }, target: 'https://re.example' },
      { headers: { 'x-a': { prefix: 'v' } }, query: { q: { regex: '[0-9]+' } }, target: 'https://q.example' },
      { host: ['*.b.test', { regex: '[a-z]+\\.c\\.test' }], methods: ['GET'], target: 'https://host.example' },
      'https://rest.example',
    ],
  };
  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.constantFrom('\u0000', '\uD800', 'a'.repeat(5000), '%ZZ%', '+'.repeat(100)),
  );

  it.each(BACKENDS)('$name: arbitrary header, host and query values never throw, and every backend gives the same answer', (backend) => {
    const router = compile(table as unknown, backend.options);
    const reference = compile(table as unknown, { backend: 'js', codegen: false });
    fc.assert(
      fc.property(hostile, hostile, hostile, fc.constantFrom('GET', 'POST', ''), (header, host, query, method) => {
        const request = { method, host, headers: { 'x-a': header }, query };
        const got = router.match('/h/x', request);
        expect(got?.variant.index).toBe(reference.match('/h/x', request)?.variant.index);
      }),
      { numRuns: 500 },
    );
  });

  it.each(BACKENDS)('$name: a megabyte header and a query of 100,000 repetitions are matched (each read once)', (backend) => {
    const router = compile(table as unknown, backend.options);
    const big = 'ab'.repeat(1 << 19); // 1 MB, no trailing "c": the regex reads it all and fails
    const query = 'q=1&'.repeat(100_000) + 'q=x';
    let reads = 0;
    const headers = (name: string) => (reads++, name === 'x-a' ? big : null);
    expect(router.match('/h/x', { method: 'POST', headers, query })?.variant.index).toBe(3);
    // One read per header condition that was evaluated (two variants read x-a), not one per character or per repetition.
    expect(reads).toBe(2);
    expect(router.match('/h/x', { method: 'GET', headers: { 'x-a': 'v' + '1'.repeat(1 << 20) }, query })?.variant.index).toBe(1);
  });
});
