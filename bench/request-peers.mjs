/**
 * The implementations for the tables of route objects (bench/request-tables.mjs), in the
 * shape of bench/peers.mjs: `build(patterns, routes, ours, table)` returns { r, h }, `loop` is
 * the statement timed per lookup (path `p`, request `q`, accumulator `s`, router `r`, helper
 * `h`), `answer(state, p, q)` the route id (per variant; -1 for no match, a 405 included).
 *
 * Methods table: every router gets the same method+path pairs and reads the method from the
 * same request object (`q.method`, as from Node's `req`): ours `r.match(p, q)`; find-my-way,
 * memoirist and rou3 their per-method `find`; @medley/router one store per path, a property
 * per method (its documented way of doing methods). Parameters are renamed positionally, as in
 * peers.mjs (memoirist and medley require one name per tree position).
 *
 * Conditions table: ours only, on the table with conditions and on the same table without
 * them (`-plain`), each plain one checked against ours (js) on the plain table.
 */
import { createRequire } from 'node:module';
import { translate } from './peers.mjs';

const require = createRequire(import.meta.url);
const LIMITS = { limits: { maxRoutes: 1_000_000 } };

/** [peer pattern, method, id] for every method+path pair of the methods table. */
const pairsOf = (table) => table.variants.map((v, id) => [translate(v.pattern, '*'), v.method, id]);

function ours(name, key, options) {
  return {
    name,
    key,
    group: 'ours',
    build: (patterns, routes, o, table) => {
      const r = o.compile(routes, { ...options, ...LIMITS });
      if (options.backend === 'native' && r.backend !== 'native') throw new Error(`asked for native, got ${r.backend}`);
      return { r, h: table.base };
    },
    // The variant's id: first id of the route plus the variant's position.
    loop: 'const m = r.match(p, q); s ^= m === null ? -1 : h[m.route.index] + m.variant.index;',
    answer: ({ r, h }, p, q) => {
      const m = r.match(p, q);
      return m === null ? -1 : h[m.route.index] + m.variant.index;
    },
  };
}

export const METHOD_IMPLEMENTATIONS = [
  ours('ours (js)', 'ours-js', { backend: 'js' }),
  ours('ours (js, interpreter)', 'ours-js-interp', { backend: 'js', codegen: false }),
  ours('ours (native)', 'ours-native', { backend: 'native' }),
  {
    name: 'find-my-way',
    key: 'find-my-way',
    group: 'peer',
    build: (patterns, routes, o, table) => {
      const r = require('find-my-way')();
      const handler = () => {};
      for (const [p, method, id] of pairsOf(table)) r.on(method, p, handler, { id });
      return { r };
    },
    loop: 'const m = r.find(q.method, p); s ^= m === null ? -1 : m.store.id;',
    answer: ({ r }, p, q) => {
      const m = r.find(q.method, p);
      return m === null ? -1 : m.store.id;
    },
  },
  {
    name: 'memoirist',
    key: 'memoirist',
    group: 'peer',
    build: (patterns, routes, o, table) => {
      const { Memoirist } = require('memoirist');
      const r = new Memoirist();
      for (const [p, method, id] of pairsOf(table)) r.add(method, p, { id });
      return { r };
    },
    loop: 'const m = r.find(q.method, p); s ^= m === null ? -1 : m.store.id;',
    answer: ({ r }, p, q) => {
      const m = r.find(q.method, p);
      return m === null ? -1 : m.store.id;
    },
  },
  {
    name: '@medley/router',
    key: 'medley',
    group: 'peer',
    build: (patterns, routes, o, table) => {
      const Router = require('@medley/router');
      const r = new Router();
      for (const [p, method, id] of pairsOf(table)) r.register(p)[method] = id;
      return { r };
    },
    loop: 'const m = r.find(p); const id = m === null ? undefined : m.store[q.method]; s ^= id === undefined ? -1 : id;',
    answer: ({ r }, p, q) => {
      const m = r.find(p);
      const id = m === null ? undefined : m.store[q.method];
      return id === undefined ? -1 : id;
    },
  },
  {
    name: 'rou3',
    key: 'rou3',
    group: 'peer',
    build: async (patterns, routes, o, table) => {
      const { createRouter, addRoute, findRoute } = await import('rou3');
      const r = createRouter();
      for (const [p, method, id] of pairsOf(table)) addRoute(r, method, p, { id });
      return { r, h: findRoute };
    },
    loop: 'const m = h(r, q.method, p); s ^= m === undefined ? -1 : m.data.id;',
    answer: ({ r, h }, p, q) => {
      const m = h(r, q.method, p);
      return m === undefined ? -1 : m.data.id;
    },
  },
  {
    name: 'rou3 (compiled)',
    key: 'rou3-compiled',
    group: 'peer',
    build: async (patterns, routes, o, table) => {
      const { createRouter, addRoute } = await import('rou3');
      const { compileRouter } = await import('rou3/compiler');
      const router = createRouter();
      for (const [p, method, id] of pairsOf(table)) addRoute(router, method, p, { id });
      return { r: compileRouter(router) };
    },
    loop: 'const m = r(q.method, p); s ^= m === undefined ? -1 : m.data.id;',
    answer: ({ r }, p, q) => {
      const m = r(q.method, p);
      return m === undefined ? -1 : m.data.id;
    },
  },
];

/** Ours on the conditioned table, or (`plain`) on the same table without conditions. */
function oursConditions(plain, name, key, options) {
  return {
    name: `${name}${plain ? ', no conditions' : ''}`,
    key: plain ? `${key}-plain` : key,
    group: 'ours',
    reference: plain ? 'ours-js-plain' : 'ours-js',
    build: (patterns, routes, o, table) => {
      const r = o.compile(plain ? table.plainRoutes : routes, { ...options, ...LIMITS });
      if (options.backend === 'native' && r.backend !== 'native') throw new Error(`asked for native, got ${r.backend}`);
      return { r };
    },
    // Route and variant in one id (at most 32 variants per route).
    // Both runs read the request (each lookup's fresh copy, in cache as a server's just-parsed
    // `req`): the plain one would otherwise skip the one touch of it the conditioned one makes.
    loop: 'const m = r.match(p, q); s ^= q.method.length ^ (m === null ? -1 : (m.route.index << 5) | m.variant.index);',
    answer: ({ r }, p, q) => {
      const m = r.match(p, q);
      return m === null ? -1 : (m.route.index << 5) | m.variant.index;
    },
  };
}

export const CONDITION_IMPLEMENTATIONS = [false, true].flatMap((plain) => [
  oursConditions(plain, 'ours (js)', 'ours-js', { backend: 'js' }),
  oursConditions(plain, 'ours (js, interpreter)', 'ours-js-interp', { backend: 'js', codegen: false }),
  oursConditions(plain, 'ours (native)', 'ours-native', { backend: 'native' }),
]);

export const implementationsFor = (table) => (table.family === 'methods' ? METHOD_IMPLEMENTATIONS : CONDITION_IMPLEMENTATIONS);
