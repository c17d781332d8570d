/**
 * fast-check arbitraries for the extended route form (SPEC 10-12): route objects and arrays
 * of variants built from curated field values, mostly valid, sometimes broken, near each
 * other. Values avoid the relations no JSON Schema can state (see src/schema/routes.ts) unless
 * they are listed in RELATIONAL_CODES, so schema and validator can be compared exactly.
 */
import fc from 'fast-check';
import type { IssueCode } from '../src/index.js';

export const HASH = 'sha256:' + '0123456789abcdef'.repeat(4);

/** Codes of rules that relate several values (or need a regex or URL parser): the validator alone finds them. */
export const RELATIONAL_CODES = new Set<IssueCode>(['conflict', 'target-unknown-placeholder', 'target-invalid-url', 'regex-invalid', 'variant-unreachable', 'name-duplicate']);

/** A field's curated values: `valid` ones, and `broken` ones (each breaks one rule). */
interface Pick<T> {
  valid: fc.Arbitrary<T>;
  broken: fc.Arbitrary<T>;
  any: fc.Arbitrary<T>;
}
const pick = <T>(valid: readonly T[], broken: readonly T[]): Pick<T> => ({
  valid: fc.constantFrom(...valid),
  broken: fc.constantFrom(...broken),
  any: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constantFrom(...broken) }),
});

const durations = pick<unknown>([250, 1000, '250ms', '15s', '2m', '1h', '1.5s'], ['soon', -1, 0, 1.5, '15 s', '1d', null, 2 ** 31, 'ms']);
const sizes = pick<unknown>([0, 1024, '64KB', '5MB', '1 mb', '512B'], ['64XB', -1, 1.5, 'big', null, '1TB']);
const headerNames = ['x-a', 'x-b', 'authorization', 'x-tenant'];
const matchers = pick<unknown>(
  ['1', '', true, false, { prefix: 'Bearer ' }, { regex: 'v[0-9]+' }],
  [5, null, { prefix: '' }, { prefix: 'a', regex: 'b' }, {}, { rgx: 'a' }, { regex: '(a)\\1' }, { regex: 'a'.repeat(257) }, [], { regex: 5 }],
);
const fieldsOf = (names: readonly string[], broken: readonly string[]): Pick<unknown> => ({
  valid: fc.dictionary(fc.constantFrom(...names), matchers.valid, { minKeys: 1, maxKeys: 3 }),
  broken: fc.oneof(
    fc.dictionary(fc.constantFrom(...broken), matchers.valid, { minKeys: 1, maxKeys: 2 }),
    fc.dictionary(fc.constantFrom(...names), matchers.broken, { minKeys: 1, maxKeys: 2 }),
    fc.constantFrom<unknown>({}, 'x-a', null),
  ),
  any: fc.constant(null),
});

const methods = pick<unknown>([['GET'], ['POST', 'PUT'], ['GET', 'HEAD', 'DELETE'], ['PURGE']], [[], ['get'], 'GET', ['G ET'], [1], null]);
const hosts = pick<unknown>(
  ['api.example.com', 'API.Example.COM', '*.example.com', '[::1]', ['a.com', '*.b.com'], [{ regex: '[a-z]+\\.example\\.com' }], 'xn--caf-dma.com'],
  ['a.com:8080', '*', 'a..com', 'a.*.com', '', 5, [], ['ok.com', 'b c'], 'café.com', { rgx: 'a' }, { regex: '(' }],
);
const loadBalancers = pick<unknown>(
  ['round-robin', 'least-request', 'random', { hash: 'ip' }, { hash: 'header:x-user' }, { hash: 'cookie:sid' }, { hash: 'query:u' }],
  ['fastest', { hash: 'body:x' }, { hsah: 'ip' }, { hash: 'header:bad name' }, 5, { hash: '' }],
);
const healthChecks = pick<unknown>(
  [
    {},
    { passive: {} },
    { passive: { consecutiveFailures: 3, baseEjection: '10s', maxEjectedPercent: 100 } },
    { active: { path: '/healthz' } },
    { active: { path: '/h', interval: '10s', timeout: '1s', expectStatus: ['200-299', 404] } },
  ],
  [
    { passive: { maxEjectedPercent: 101 } },
    { passive: { consecutiveFailures: 0 } },
    { active: { path: 'healthz' } },
    { active: {} },
    { active: { path: '/h', expectStatus: '600' } },
    { activ: {} },
    'on',
  ],
);
const retries = pick<unknown>(
  [{}, { attempts: 0 }, { attempts: 5, on: ['gateway-error', 429] }, { methods: ['POST'], perTryTimeout: '2s', bufferLimit: '1MB' }],
  [{ attempts: 6 }, { attempts: -1 }, { on: ['5xx'] }, { on: [] }, { methods: ['get'] }, { attemps: 1 }, 3, { bufferLimit: '64XB' }],
);
const auths = pick<unknown>(
  [
    { type: 'apiKey', keys: [HASH] },
    { type: 'apiKey', in: 'query', name: 'api key', keys: [HASH.toUpperCase().replace('SHA256', 'sha256')] },
    { type: 'jwt', jwksUri: 'https://issuer.example.com/jwks.json', algorithms: ['RS256', 'ES256'], clockTolerance: '5s', forwardClaims: { sub: 'x-user' } },
    { type: 'jwt', publicKey: { kty: 'OKP', crv: 'Ed25519', x: 'x' }, issuer: ['a', 'b'], audience: 'api' },
    { type: 'forward', url: 'https://auth.example.com/check', requestHeaders: ['authorization'] },
  ],
  [
    { type: 'apiKey', keys: ['plain-key'] },
    { type: 'apiKey', keys: [] },
    { type: 'apiKey', keys: [HASH], name: 'bad name' },
    { type: 'basic' },
    { type: 'jwt' },
    { type: 'jwt', jwksUri: 'https://i/j', algorithms: ['none'] },
    { type: 'jwt', jwksUri: 'https://i/j', algorithms: ['HS256'] },
    { type: 'jwt', publicKey: { kty: 'oct', k: 'c2VjcmV0' } },
    { type: 'jwt', publicKey: { kty: 'RSA', n: 'n', e: 'AQAB', d: 'd' } },
    { type: 'jwt', jwksUri: 'ftp://x' },
    { type: 'jwt', jwksUri: 'https://i/j', forwardClaims: { sub: 'host' } },
    { type: 'forward' },
    'apiKey',
  ],
);
const rateLimits = pick<unknown>(
  [
    { requests: 100, per: '1m' },
    { requests: 5, per: 1000, burst: 10, key: 'header:x-tenant' },
    { requests: 1, per: '1s', key: 'route' },
  ],
  [{ requests: 0, per: '1s' }, { requests: 1 }, { requests: 1, per: '1s', key: 'user' }, { requests: 1, per: '1s', key: 'jwt:sub' }, { requests: 1, per: '1s', burst: 0 }, 100],
);
const caches = pick<unknown>(
  [true, false, { ttl: '60s' }, { methods: ['GET'], maxEntrySize: '64KB' }],
  ['yes', { methods: ['POST'] }, { maxEntrySize: 0 }, { ttl: 'forever' }, { tll: 1 }, null],
);
const headerRules = pick<unknown>(
  [{ set: { 'x-env': 'prod' } }, { add: { via: 'gw' }, remove: ['x-powered-by'] }, {}],
  [{ set: { host: 'x' } }, { add: { 'Content-Length': '1' } }, { remove: ['Transfer-Encoding'] }, { set: { 'x-a': 'a\r\nb' } }, { sett: {} }, { remove: 'x' }, []],
);
const names = pick<unknown>(['orders-read', 'api.v1', 'x_y'], ['has space', 'x'.repeat(65), '', 5]);

/**
 * A route object: optional fields, one of target/targets (sometimes neither or both), now
 * and then a misspelt field. `target` is any target arbitrary (strings and broken values).
 */
export function routeObjectArb(target: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  const weights = pick<unknown>([1, 3, 1000], [0, 1001, 1.5, '3']);
  const targetEntry = fc.oneof(target, fc.record({ url: target, weight: weights.any }, { requiredKeys: ['url'] }));
  const targets = fc.oneof(
    { weight: 10, arbitrary: fc.record({ target }) },
    { weight: 4, arbitrary: fc.record({ targets: fc.array(targetEntry, { minLength: 1, maxLength: 3 }) }) },
    { weight: 1, arbitrary: fc.constantFrom<Record<string, unknown>>({}, { target: 'https://a.com', targets: ['https://b.com'] }, { targets: [] }, { targets: 'https://a.com' }) },
  );
  const fields: Record<string, Pick<unknown>> = {
    name: names,
    methods,
    host: hosts,
    headers: fieldsOf(headerNames, ['bad name', '']),
    query: fieldsOf(['q', 'Debug', 'a b'], ['']),
    loadBalancer: loadBalancers,
    healthCheck: healthChecks,
    retry: retries,
    timeout: durations,
    idleTimeout: durations,
    auth: auths,
    rateLimit: rateLimits,
    cache: caches,
    requestHeaders: headerRules,
    responseHeaders: headerRules,
  };
  const validFields = fc.record(Object.fromEntries(Object.entries(fields).map(([k, p]) => [k, p.valid])), { requiredKeys: [] });
  // At most one broken field per object (else nearly every object is broken), sometimes a typo.
  const broken = fc.oneof(
    { weight: 6, arbitrary: fc.constant(null) },
    { weight: 3, arbitrary: fc.constantFrom(...Object.keys(fields)).chain((k) => fields[k]!.broken.map((v) => [k, v] as const)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('tiemout', 'method', 'url', 'header'), sizes.any) },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constant('retry'),
        sizes.any.map((b) => ({ bufferLimit: b })),
      ),
    },
  );
  return fc.tuple(targets, validFields, broken).map(([t, f, b]) => {
    const out: Record<string, unknown> = { ...t, ...f };
    if (b !== null) out[b[0]] = b[1];
    return out;
  });
}

/** A route value: a string, a route object, or an array of both (variants), sometimes out of bounds. */
export function routeValueArb(target: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const object = routeObjectArb(target);
  return fc.oneof(
    { weight: 6, arbitrary: target },
    { weight: 4, arbitrary: object },
    { weight: 3, arbitrary: fc.array(fc.oneof({ weight: 1, arbitrary: target }, { weight: 3, arbitrary: object }), { minLength: 1, maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        [],
        Array.from({ length: 33 }, () => 'https://a.com'),
        [42],
        [null],
        [['https://a.com']],
      ),
    },
  );
}
