/**
 * The routers under test, each given the SAME table in its own syntax.
 *
 * Every implementation answers with a route id: the index of the winning pattern in our
 * table (-1 for no match), so answers can be compared path by path before anything is timed.
 *
 * Translation rules (same meaning where the peer can express it):
 *  - parameters are renamed positionally (`:p<segment>`), because medley/memoirist require
 *    one name per tree position; names do not change which route wins.
 *  - our trailing `*` (zero or more segments) is `*` in find-my-way, memoirist and
 *    @medley/router, which need at least the `/`: so `/api/*` is also registered as `/api`
 *    (same id) unless the table already has that path as a route. rou3 gets `**`, which
 *    already matches zero segments.
 *  - the regex scan is the naive first implementation: one anchored regex per pattern, tried
 *    in order of specificity (static < parameter < catch-all per segment, a pattern ending at
 *    the path before a catch-all matching nothing there; the same order as test/oracle.ts).
 *  - the Map floor holds the static routes only and is timed on static hits only.
 *
 * `loop` is the source of the statement timed per lookup (path `p`, accumulator `s`, router
 * `r`, helper `h`); bench/lookup.mjs turns each into its own function (`new Function`), so
 * every implementation gets its own call sites and type feedback.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Our package, imported by its own name: exactly the built artifact users get (dist/). */
export async function loadOurs() {
  return import('@alternatefutures/routing-core');
}

function segmentsOf(pattern) {
  return pattern.split('/').slice(1);
}

/** Pattern in a peer's syntax: positional parameter names, catch-all written `star`. */
export function translate(pattern, star) {
  const segs = segmentsOf(pattern).map((s, i, all) => {
    if (s.startsWith(':')) return `:p${i}`;
    if (s === '*' && i === all.length - 1) return star;
    if (s === '*') return `:p${i}`;
    return s;
  });
  return '/' + segs.join('/');
}

/** [peerPattern, id] pairs, with `/x` aliases for `/x/*` where the peer's `*` needs the slash. */
function peerRoutes(patterns, star, aliasZeroSegment) {
  const out = patterns.map((p, id) => [translate(p, star), id]);
  if (aliasZeroSegment) {
    const taken = new Set(out.map(([p]) => p));
    patterns.forEach((p, id) => {
      if (!p.endsWith('/*') || p === '/*') return;
      const alias = translate(p.slice(0, -2), star);
      if (!taken.has(alias)) {
        taken.add(alias);
        out.push([alias, id]);
      }
    });
  }
  return out;
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function regexOf(pattern) {
  const segs = segmentsOf(pattern);
  let src = '^';
  segs.forEach((s, i) => {
    if (s === '*' && i === segs.length - 1) src += '(/.*)?';
    else if (s === '*' || s.startsWith(':')) src += '/([^/]+)';
    else src += '/' + escapeRe(s);
  });
  return new RegExp(src + '$');
}

function rank(pattern) {
  const segs = segmentsOf(pattern);
  const r = segs.map((s, i) => (s === '*' && i === segs.length - 1 ? 2 : s === '*' || s.startsWith(':') ? 1 : 0));
  if (segs[segs.length - 1] !== '*') r.push(-1);
  return r;
}

function compareRank(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/**
 * Implementations. `group`: 'ours' | 'peer' (a JavaScript router: counts for the targets) |
 * 'baseline' (regex scan, Map floor). `build(patterns, routes, ours)` returns { r, h } or throws.
 */
export const IMPLEMENTATIONS = [
  {
    name: 'ours (js)',
    key: 'ours-js',
    group: 'ours',
    build: (patterns, routes, ours) => ({ r: ours.compile(routes, { backend: 'js', limits: { maxRoutes: 1_000_000 } }) }),
    loop: 'const m = r.match(p); s ^= m === null ? -1 : m.route.index;',
    answer: ({ r }, p) => {
      const m = r.match(p);
      return m === null ? -1 : m.route.index;
    },
  },
  {
    // The interpreter: what runtimes that forbid code generation from strings get.
    name: 'ours (js, interpreter)',
    key: 'ours-js-interp',
    group: 'ours',
    build: (patterns, routes, ours) => ({ r: ours.compile(routes, { backend: 'js', codegen: false, limits: { maxRoutes: 1_000_000 } }) }),
    loop: 'const m = r.match(p); s ^= m === null ? -1 : m.route.index;',
    answer: ({ r }, p) => {
      const m = r.match(p);
      return m === null ? -1 : m.route.index;
    },
  },
  {
    name: 'ours (native)',
    key: 'ours-native',
    group: 'ours',
    build: (patterns, routes, ours) => {
      const r = ours.compile(routes, { backend: 'native', limits: { maxRoutes: 1_000_000 } });
      if (r.backend !== 'native') throw new Error(`asked for native, got ${r.backend}`);
      return { r };
    },
    loop: 'const m = r.match(p); s ^= m === null ? -1 : m.route.index;',
    answer: ({ r }, p) => {
      const m = r.match(p);
      return m === null ? -1 : m.route.index;
    },
  },
  {
    name: 'find-my-way',
    key: 'find-my-way',
    group: 'peer',
    build: (patterns) => {
      const r = require('find-my-way')();
      const handler = () => {};
      for (const [p, id] of peerRoutes(patterns, '*', true)) r.on('GET', p, handler, { id });
      return { r };
    },
    loop: "const m = r.find('GET', p); s ^= m === null ? -1 : m.store.id;",
    answer: ({ r }, p) => {
      const m = r.find('GET', p);
      return m === null ? -1 : m.store.id;
    },
  },
  {
    name: 'memoirist',
    key: 'memoirist',
    group: 'peer',
    build: (patterns) => {
      const { Memoirist } = require('memoirist');
      const r = new Memoirist();
      for (const [p, id] of peerRoutes(patterns, '*', true)) r.add('GET', p, { id });
      return { r };
    },
    loop: "const m = r.find('GET', p); s ^= m === null ? -1 : m.store.id;",
    answer: ({ r }, p) => {
      const m = r.find('GET', p);
      return m === null ? -1 : m.store.id;
    },
  },
  {
    name: '@medley/router',
    key: 'medley',
    group: 'peer',
    build: (patterns) => {
      const Router = require('@medley/router');
      const r = new Router();
      for (const [p, id] of peerRoutes(patterns, '*', true)) r.register(p).id = id;
      return { r };
    },
    loop: 'const m = r.find(p); s ^= m === null ? -1 : m.store.id;',
    answer: ({ r }, p) => {
      const m = r.find(p);
      return m === null ? -1 : m.store.id;
    },
  },
  {
    name: 'rou3',
    key: 'rou3',
    group: 'peer',
    build: async (patterns) => {
      const { createRouter, addRoute, findRoute } = await import('rou3');
      const r = createRouter();
      for (const [p, id] of peerRoutes(patterns, '**', false)) addRoute(r, 'GET', p, { id });
      return { r, h: findRoute };
    },
    loop: "const m = h(r, 'GET', p); s ^= m === undefined ? -1 : m.data.id;",
    answer: ({ r, h }, p) => {
      const m = h(r, 'GET', p);
      return m === undefined ? -1 : m.data.id;
    },
  },
  {
    name: 'rou3 (compiled)',
    key: 'rou3-compiled',
    group: 'peer',
    build: async (patterns) => {
      const { createRouter, addRoute } = await import('rou3');
      const { compileRouter } = await import('rou3/compiler');
      const router = createRouter();
      for (const [p, id] of peerRoutes(patterns, '**', false)) addRoute(router, 'GET', p, { id });
      return { r: compileRouter(router) };
    },
    loop: "const m = r('GET', p); s ^= m === undefined ? -1 : m.data.id;",
    answer: ({ r }, p) => {
      const m = r('GET', p);
      return m === undefined ? -1 : m.data.id;
    },
  },
  {
    name: 'regex scan',
    key: 'regex-scan',
    group: 'baseline',
    verifyBudget: 2_000_000, // route x path checks per corpus
    build: (patterns) => {
      const order = patterns.map((p, id) => ({ p, id, rank: rank(p) })).sort((a, b) => compareRank(a.rank, b.rank));
      return { r: order.map((o) => regexOf(o.p)), h: Int32Array.from(order.map((o) => o.id)) };
    },
    loop: 'let id = -1; for (let j = 0; j < r.length; j++) { if (r[j].exec(p) !== null) { id = h[j]; break; } } s ^= id;',
    answer: ({ r, h }, p) => {
      for (let j = 0; j < r.length; j++) if (r[j].exec(p) !== null) return h[j];
      return -1;
    },
  },
  {
    name: 'Map.get floor',
    key: 'map-floor',
    group: 'baseline',
    staticOnly: true,
    build: (patterns) => {
      const r = new Map();
      patterns.forEach((p, id) => {
        if (!p.includes(':') && !p.includes('*')) r.set(p, id);
      });
      return { r };
    },
    loop: 'const v = r.get(p); s ^= v === undefined ? -1 : v;',
    answer: ({ r }, p) => {
      const v = r.get(p);
      return v === undefined ? -1 : v;
    },
  },
];
