/**
 * Route tables and request paths for comparing runtimes: the SPEC's examples, and a random
 * corpus generated here in Node (fast-check, fixed seed) from the property tests' generators.
 */
import fc from 'fast-check';
import { optionsArb, pathsFor, tableArb } from '../arbitraries.js';
import type { Case } from './harness.js';

const SEED_TABLE = {
  '/api/users/*': 'https://users-service.com',
  '/api/products/*': 'https://products-service.com',
  '/*': 'https://default.com',
};

/** The SPEC's examples (sections 1 to 7), as tables and raw request targets. */
export function specCases(): Case[] {
  return [
    {
      name: 'section 1: the seed table, section 6: forwarding',
      routes: SEED_TABLE,
      paths: ['/api/users/42', '/api/users', '/api/users/', '/api/products/7/reviews?sort=new', '/about', '/', '/apix', '/api/users/42?a=1&b=2#frag'],
    },
    { name: 'section 2: catch-all', routes: { '/api/*': 'https://a.svc' }, paths: ['/api', '/api/', '/api/x', '/api/x/y', '/apix'] },
    {
      name: 'section 2: parameters and colons',
      routes: { '/u/:id': 'https://a/:id', '/f/*/x/*/y': 'https://b', '/v1/abc:run': 'https://c' },
      paths: ['/u/42', '/u/caf%C3%A9', '/f/p/x/q/y', '/v1/abc:run', '/u/', '/u/42/x'],
    },
    { name: 'section 2: trailing slash significant', routes: { '/docs': 'https://a', '/files/': 'https://b' }, paths: ['/docs', '/docs/', '/files', '/files/'] },
    {
      name: 'section 2: ignoreTrailingSlash',
      routes: { '/docs': 'https://a', '/files/': 'https://b', '/api/*': 'https://c', '/u/:id': 'https://d/:id' },
      options: { ignoreTrailingSlash: true },
      paths: ['/docs/', '/files', '/u/7/', '/api/x/', '/api/'],
    },
    { name: 'section 3: static beats catch-all', routes: { '/api/users': 'https://a', '/api/*': 'https://b' }, paths: ['/api/users', '/api/other'] },
    { name: 'section 3: static b beats :x', routes: { '/api/:x/c': 'https://a/:x', '/api/b/*': 'https://b' }, paths: ['/api/b/c', '/api/z/c'] },
    { name: 'section 3: backtracking', routes: { '/a/:x/c': 'https://a/:x', '/a/*': 'https://b' }, paths: ['/a/b/d', '/a/b/c'] },
    { name: 'section 3: longest prefix', routes: { '/api/*': 'https://a', '/api/v2/*': 'https://b', '/*': 'https://c' }, paths: ['/api/v2/users/1', '/api/v1', '/x'] },
    { name: 'section 3: end of path', routes: { '/api/*': 'https://b', '/api': 'https://a', '/api/:id': 'https://c/:id' }, paths: ['/api', '/api/', '/api/7'] },
    {
      name: 'section 4: normalization',
      routes: SEED_TABLE,
      paths: [
        '/a//../b',
        '/../../etc/passwd',
        '/api/users/%2e%2e/products/1',
        '/api/users/%7Euser',
        '/api/users/%c3%a9',
        '/api%2Fusers',
        '/a\\b',
        '/a b',
        '/%00',
        '/%C3',
        '/caf\u00e9',
        'no-slash',
        '/x?q=a b',
        '/x?q=%20',
      ],
    },
    {
      name: 'section 4: case-insensitive',
      routes: { '/Api/Users/:id': 'https://a/:id', '/caf%C3%A9': 'https://b', '/café/x': 'https://c' },
      options: { caseSensitive: false },
      paths: ['/api/USERS/AbC', '/CAF%c3%a9', '/caf%C3%A9/x'],
    },
    {
      name: 'section 6: target URLs',
      routes: {
        '/users/:id/*': 'https://u.svc/v2/:id/*',
        '/login': 'https://a.svc/auth/login',
        '/q/*': 'https://q.svc/base/?k=v',
        '/enc/:v': 'https://e.svc/x/:v',
        '/drop/:id/*': 'https://d.svc/:id',
      },
      paths: ['/users/7/orders', '/users/7', '/login?next=/home', '/q/a/b?z=1', '/q', '/enc/a%20b', '/enc/caf%C3%A9', '/drop/1/rest/of/it', '/users/x/%2F'],
    },
    { name: 'section 6: origin never changes', routes: { '/*': 'https://default.com' }, paths: ['//evil.com', '/@evil.com', '/\\evil', '/%5Cevil', '/.//evil.com/x'] },
    { name: 'section 7: not an object', routes: ['/a'], paths: [] },
    { name: 'section 7: empty', routes: {}, paths: [] },
    { name: 'section 7: bad patterns', routes: { api: 'https://a', '/files/*.png': 'https://b', '/u/:id/:id': 'https://c', '/a/./b': 'https://d' }, paths: [] },
    { name: 'section 7: bad targets', routes: { '/a': 'ftp://x', '/b': 'not a url', '/c': 3, '/d': { url: 'https://x' }, '/e': 'https://x/#f' }, paths: [] },
    { name: 'section 7: conflict', routes: { '/u/:id': 'https://a', '/u/:name': 'https://b' }, paths: [] },
    { name: 'section 7: warnings', routes: { '/u/:id': 'https://a', '/v/:id/*': 'https://b/:id' }, paths: ['/u/1', '/v/1/x'] },
    { name: 'section 7: null', routes: null, paths: [] },
  ];
}

const RAW_VARIANTS = ['', '?q=1', '?a=b&c=d', '#frag', '?x=%20'];

/** `count` random tables (overlapping, with options) with near-miss paths, some raw (queries, dot segments, escapes). */
export function randomCases(count: number, seed: number): Case[] {
  const caseArb = tableArb(10).chain((routes) =>
    fc.record({
      routes: fc.constant(routes),
      options: optionsArb,
      paths: pathsFor(routes),
      raw: fc.array(fc.tuple(fc.constantFrom(...RAW_VARIANTS), fc.constantFrom('', '/./', '//', '/../', '/x/..')), { minLength: 12, maxLength: 12 }),
    }),
  );
  return fc.sample(caseArb, { numRuns: count, seed }).map((c, i) => ({
    name: `random ${i}`,
    routes: c.routes,
    options: c.options,
    paths: c.paths.flatMap((p, j) => {
      const [suffix, infix] = c.raw[j % c.raw.length]!;
      const mangled = infix && p.length > 1 ? p.replace(/\/(?=[^/]*$)/, infix) : p;
      return [p, mangled + suffix];
    }),
  }));
}
