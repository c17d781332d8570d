/**
 * Floors of a lookup (issue 18): what no router can go below on this runtime, next to ours and
 * the fastest JS peers, for ONE table per process.
 *
 *   node bench/floors-lookup.mjs [table=github|gateway|tenants] [rounds=7] [kind=mixed]
 *   node bench/floors-lookup.mjs --lengths [rounds=7]
 *   ... [--base=<dir>] [--rows=<regex>]
 *
 * `--base=<dir>`: also time another build (`<dir>/dist`, `<dir>/bindings`, e.g. a copy of main's)
 * in the same process: its whole native match and its addon's `lookup` (rows `BASE ...`).
 * `--rows=<regex>`: time only the rows whose name matches (plus ours (js) and the peers).
 *
 * Timed, per lookup, on fresh strings (cut from a Buffer with latin1Slice before each batch,
 * untimed, as Node's HTTP parser hands a path over; distinct paths from bench/tables.mjs):
 * - `ours (js)`, `ours (auto)`, `ours (native)`: `router.match(p)`, the full match object.
 * - `native lookup only`: the addon's `lookup(p)` on the same shapes, no match object: what a
 *   native lookup costs before JavaScript reads the offsets; `+ routes[i].variants read` adds
 *   the loads of the route object and its variants array that building a match does (on a big
 *   table, cache misses). `js lookup only`: the same for
 *   the TypeScript backend (`createJsBackend` from src/, bundled with esbuild first: generated
 *   code where the tree fits, the interpreter elsewhere). The two walks, compared directly.
 * - `floor (js)`: straight-line JavaScript that is NOT a matcher: the route of every path is
 *   known beforehand (an Int32Array read per lookup), so it only does what any matcher
 *   returning the same information must still do: read the path's characters once (an
 *   `indexOf('/')` scan recording segment starts), slice each parameter (and the catch-all
 *   remainder), allocate the result `{ route, params, remainder }` (params: an object literal
 *   with the route's names; one shared empty object for routes without parameters). It is
 *   checked to return ours' params and remainder on a sample before timing.
 * - crossing probes (native/src/probe.rs, same signature as `lookup`): `empty` (the call
 *   alone), `readUtf16` (plus the path copied as UTF-16, as `lookup` reads it today),
 *   `readLatin1` (copied one byte per unit), `object` (plus a 2-property object built natively).
 * - the fastest JS peers (@medley/router, memoirist), their public `find`.
 * `--lengths` times the probes on strings of 8 to 2048 characters: per-call vs per-unit cost.
 *
 * Each implementation is its own function (`new Function`), batches of 256 lookups timed with
 * hrtime, rounds interleaved in a rotated order; the figure is the median over rounds of the
 * per-round median batch. Every result feeds an escaping accumulator.
 */
import { build as esbuild } from 'esbuild';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildTable, routesObject } from './tables.mjs';
import { loadOurs, translate } from './peers.mjs';

/**
 * The floor program for `paths` (see above): `match` (ours' `router.match`) is the oracle of each
 * path's route; returns the straight-line function `floor(p, shape, route, sl, E)`, per path its
 * shape id (`ids`, -1: no match) and route object (`routeOf`), the scratch `sl` and shared empty
 * params `E` it is called with, and `checked` (paths compared with ours). Exported for
 * bench/lookup-counts.mjs (its `floor` row), so both tools count and time one program.
 */
export function floorProgram(match, paths) {
  const shapes = new Map(); // shape key -> { id, names, segs, rest }
  const ids = new Int32Array(paths.length); // shape id per path (-1: no match)
  const routeOf = new Array(paths.length);
  const R = [];
  for (let j = 0; j < paths.length; j++) {
    const m = match(paths[j]);
    if (m === null) {
      ids[j] = -1;
      continue;
    }
    const segs = m.pattern.split('/').slice(1);
    const names = [];
    const at = [];
    segs.forEach((s, i) => {
      if (s.startsWith(':')) {
        names.push(s.slice(1).replace(/\(.*$/, ''));
        at.push(i);
      }
    });
    const rest = segs[segs.length - 1] === '*' ? segs.length - 1 : -1;
    const key = `${names.join(',')}|${at.join(',')}|${rest}`;
    if (!shapes.has(key)) shapes.set(key, { id: shapes.size, names, at, rest });
    if (R[m.route.index] === undefined) R[m.route.index] = m.route;
    // Two arrays: the shape picks the straight-line case, the route is what the result holds.
    ids[j] = shapes.get(key).id;
    routeOf[j] = m.route;
  }
  let cases = '';
  for (const { id, names, at, rest } of shapes.values()) {
    const params = names.length ? `{ ${names.map((nm, i) => `${JSON.stringify(nm)}: p.slice(sl[${at[i]}] + 1, sl[${at[i] + 1}])`).join(', ')} }` : 'E';
    cases += `case ${id}: return { route, params: ${params}, remainder: ${rest >= 0 ? `p.slice(sl[${rest}])` : 'undefined'} };\n`;
  }
  const floorSource = `
    // One pass over the characters, recording where each segment starts: indexOf scans in
    // native code (a charCodeAt loop costs ~3 ns per character here, several times more).
    const len = p.length;
    let n = 0;
    for (let j = 0; j >= 0 && j < len; j = p.indexOf('/', j + 1)) sl[n++] = j;
    sl[n] = len;
    sl[n + 1] = len;
    switch (shape) {
  ${cases}    default: return null;
    }`;
  const floor = new Function('p', 'shape', 'route', 'sl', 'E', floorSource);
  const sl = new Int32Array(4096);
  const E = Object.freeze({});

  // The floor returns ours' information (route, params, remainder) on a sample.
  let checked = 0;
  for (let j = 0; j < paths.length; j += 7) {
    const m = match(paths[j]);
    const f = ids[j] < 0 ? null : floor(paths[j], ids[j], routeOf[j], sl, E);
    const want = m && JSON.stringify([m.route.index, m.params, m.remainder ?? null]);
    const got = f && JSON.stringify([f.route.index, f.params, f.remainder ?? null]);
    if (want !== got) throw new Error(`floor differs on ${paths[j]}: ours ${want}, floor ${got}`);
    checked++;
  }
  return { floor, ids, routeOf, sl, E, checked };
}

// Run as a script (not when bench/lookup-counts.mjs imports `floorProgram`).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();

async function main() {
  const require = createRequire(import.meta.url);
  const flags = new Map(
    process.argv
      .slice(2)
      .filter((a) => /^--(base|rows)=/.test(a))
      .map((a) => [a.slice(2, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
  );
  const args = process.argv.slice(2).filter((a) => !/^--(base|rows)=/.test(a));
  const lengthsMode = args[0] === '--lengths';
  const tableName = lengthsMode ? null : (args[0] ?? 'github');
  const rounds = Number((lengthsMode ? args[1] : args[1]) ?? 7);
  const kind = (!lengthsMode && args[2]) || 'mixed';
  const BATCH = 256;
  const ROUND_MS = 150;

  const median = (xs) => {
    const a = [...xs].sort((x, y) => x - y);
    const m = a.length >> 1;
    return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
  };

  const bindings = require('../bindings/index.cjs');
  const probe = bindings.createCrossingProbe();

  /** A timed loop over fresh strings: `body` sees `p` (the path), `k` (its corpus index), `s`. */
  function loopOf(name, body, env, paths) {
    const factory = new Function(
      'env',
      'buf',
      'off',
      'n',
      `/* ${name} */
      const { r, h, ids, sl, R, E } = env;
      let i = 0, s = 0;
      const batch = new Array(${BATCH});
      const idx = new Int32Array(${BATCH});
      return {
        refill() {
          for (let b = 0; b < ${BATCH}; b++) {
            batch[b] = buf.latin1Slice(off[i], off[i + 1]);
            idx[b] = i;
            if (++i === n) i = 0;
          }
        },
        run() {
          for (let b = 0; b < ${BATCH}; b++) {
            const p = batch[b];
            const k = idx[b];
            ${body}
          }
        },
        sink() { return s; },
      };`,
    );
    const offsets = new Int32Array(paths.length + 1);
    let total = 0;
    paths.forEach((p, j) => {
      offsets[j] = total;
      total += p.length;
    });
    offsets[paths.length] = total;
    return factory(env, Buffer.from(paths.join(''), 'latin1'), offsets, paths.length);
  }

  function time(impls) {
    const rows = impls.map((impl) => ({ ...impl, rounds: [] }));
    // Warm-up: every loop runs for a while first (optimized code, background JIT done).
    for (const row of rows) {
      const until = performance.now() + 300;
      while (performance.now() < until) {
        row.loop.refill();
        row.loop.run();
      }
    }
    for (let round = 0; round < rounds; round++) {
      const shift = round % rows.length;
      for (const row of [...rows.slice(shift), ...rows.slice(0, shift)]) {
        const batches = [];
        const until = performance.now() + ROUND_MS;
        while (performance.now() < until) {
          row.loop.refill();
          const t = process.hrtime.bigint();
          row.loop.run();
          batches.push(Number(process.hrtime.bigint() - t) / BATCH);
        }
        row.rounds.push(median(batches));
      }
    }
    let sink = 0;
    for (const row of rows) {
      row.ns = median(row.rounds);
      sink ^= row.loop.sink();
    }
    return { rows, sink };
  }

  const fmt = (ns) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);

  if (lengthsMode) {
    // Per-call vs per-unit cost of the crossing: the probes on ASCII paths of growing length.
    const out = [];
    for (const len of [8, 32, 128, 512, 2048]) {
      const paths = Array.from({ length: 4096 }, (_, j) => ('/' + j.toString(36) + 'abcdefghij'.repeat(205)).slice(0, len));
      const env = { r: probe };
      const impls = [
        { name: 'empty', loop: loopOf('empty', 's ^= r.empty(p);', env, paths) },
        { name: 'readUtf16', loop: loopOf('utf16', 's ^= r.readUtf16(p);', env, paths) },
        { name: 'readLatin1', loop: loopOf('latin1', 's ^= r.readLatin1(p);', env, paths) },
        { name: 'js charCodeAt pass', loop: loopOf('js pass', 'let x = 0; for (let j = 0; j < p.length; j++) x ^= p.charCodeAt(j); s ^= x;', env, paths) },
        { name: 'js indexOf scan', loop: loopOf('js scan', "let x = 0; for (let j = 0; j >= 0; j = p.indexOf('/', j + 1)) x++; s ^= x;", env, paths) },
      ];
      const { rows } = time(impls);
      out.push({ len, ...Object.fromEntries(rows.map((r) => [r.name, r.ns])) });
    }
    console.log(`load ${(await import('node:os')).loadavg()[0].toFixed(1)}; ASCII paths with one '/' (the indexOf scan finds no other)`);
    console.log('| path length | empty call | + read UTF-16 | + read Latin-1 | JS charCodeAt pass | JS indexOf scan |');
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const o of out)
      console.log(`| ${o.len} | ${fmt(o.empty)} | ${fmt(o.readUtf16)} | ${fmt(o.readLatin1)} | ${fmt(o['js charCodeAt pass'])} | ${fmt(o['js indexOf scan'])} |`);
    process.exit(0);
  }

  const ours = await loadOurs();
  const table = buildTable(tableName, 50_000);
  const routes = routesObject(table.patterns);
  const paths = table.corpora[kind];
  const limits = { limits: { maxRoutes: 1_000_000 } };
  const js = ours.compile(routes, { backend: 'js', ...limits });
  const auto = ours.compile(routes, limits);
  const native = ours.compile(routes, { backend: 'native', ...limits });

  // --- the oracle: every path's route, and what the floor must return for it -------------
  const { floor, ids, routeOf: routeArr, sl, E, checked } = floorProgram((p) => js.match(p), paths);

  // The addon's lookup alone, on the shapes ours hands it (route index = pattern index).
  const rawShapes = table.patterns.map((pt) =>
    pt
      .split('/')
      .slice(1)
      .map((s) => (s.startsWith(':') ? ':' : s)),
  );
  const raw = bindings.createMatcher(rawShapes, { caseSensitive: true, ignoreTrailingSlash: false });
  for (let j = 0; j < paths.length; j += 97) {
    const m = js.match(paths[j]);
    if (raw.lookup(paths[j]) !== (m ? m.route.index : -1)) throw new Error(`native lookup differs on ${paths[j]}`);
  }

  // The TypeScript backend's lookup alone, from src/ (not exported by the package).
  const dir = mkdtempSync(join(tmpdir(), 'floors-lookup-'));
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  writeFileSync(join(dir, 'entry.ts'), `export { createJsBackend } from ${JSON.stringify(join(root, 'src/match/tree.ts'))};`);
  await esbuild({ entryPoints: [join(dir, 'entry.ts')], bundle: true, format: 'esm', platform: 'node', outfile: join(dir, 'tree.mjs'), logLevel: 'error', absWorkingDir: root });
  const { createJsBackend } = await import(pathToFileURL(join(dir, 'tree.mjs')).href);
  const jsRaw = createJsBackend(rawShapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: true });
  for (let j = 0; j < paths.length; j += 97) {
    const m = js.match(paths[j]);
    if (jsRaw.lookup(paths[j]) !== (m ? m.route.index : -1)) throw new Error(`js lookup differs on ${paths[j]}`);
  }

  // Peers, as bench/peers.mjs builds them (positional names, `/x` aliases for `/x/*`).
  const Medley = require('@medley/router');
  const medley = new Medley();
  const { Memoirist } = require('memoirist');
  const memoirist = new Memoirist();
  const taken = new Set();
  const peerPairs = table.patterns.map((pt, id) => [translate(pt, '*'), id]);
  for (const [pt] of peerPairs) taken.add(pt);
  table.patterns.forEach((pt, id) => {
    if (pt.endsWith('/*') && pt !== '/*' && !taken.has(translate(pt.slice(0, -2), '*'))) peerPairs.push([translate(pt.slice(0, -2), '*'), id]);
  });
  for (const [pt, id] of peerPairs) {
    medley.register(pt).id = id;
    memoirist.add('GET', pt, { id });
  }
  for (let j = 0; j < paths.length; j += 97) {
    const m = js.match(paths[j]);
    const want = m ? m.route.index : -1;
    const a = medley.find(paths[j]);
    const b = memoirist.find('GET', paths[j]);
    if ((a ? a.store.id : -1) !== want || (b ? b.store.id : -1) !== want) throw new Error(`a peer differs on ${paths[j]}`);
  }

  const matchBody = 'const m = r.match(p); s ^= m === null ? -1 : m.route.index;';
  const impls = [
    { name: 'ours (js)', loop: loopOf('ours-js', matchBody, { r: js }, paths) },
    { name: `ours (auto = ${auto.backend})`, loop: loopOf('ours-auto', matchBody, { r: auto }, paths) },
    { name: 'ours (native)', loop: loopOf('ours-native', matchBody, { r: native }, paths) },
    { name: 'native lookup only (route index)', loop: loopOf('raw', 's ^= r.lookup(p);', { r: raw }, paths) },
    {
      // What the match builder reads besides the offsets: the route object and its variants array
      // (two objects among 10,001 routes' on the multi-tenant table: cache misses, not work).
      name: 'native lookup + routes[i].variants read',
      loop: loopOf('raw-route', 'const i = r.lookup(p); s ^= i < 0 ? -1 : R[i].variants.length;', { r: raw, R: native.routes }, paths),
    },
    { name: `js lookup only (route index, ${jsRaw.engine})`, loop: loopOf('js-raw', 's ^= r.lookup(p);', { r: jsRaw }, paths) },
    {
      name: 'floor (js): read chars once, slice params, allocate result',
      loop: loopOf('floor', 'const m = h(p, ids[k], R[k], sl, E); s ^= m === null ? -1 : m.route.index;', { h: floor, ids, R: routeArr, sl, E }, paths),
    },
    { name: 'probe: empty crossing', loop: loopOf('empty', 's ^= r.empty(p);', { r: probe }, paths) },
    { name: 'probe: crossing + read UTF-16', loop: loopOf('utf16', 's ^= r.readUtf16(p);', { r: probe }, paths) },
    { name: 'probe: crossing + read Latin-1', loop: loopOf('latin1', 's ^= r.readLatin1(p);', { r: probe }, paths) },
    { name: 'probe: crossing + Latin-1 + native object', loop: loopOf('object', 's ^= r.object(p).end;', { r: probe }, paths) },
    { name: '@medley/router', loop: loopOf('medley', 'const m = r.find(p); s ^= m === null ? -1 : m.store.id;', { r: medley }, paths) },
    { name: 'memoirist', loop: loopOf('memoirist', "const m = r.find('GET', p); s ^= m === null ? -1 : m.store.id;", { r: memoirist }, paths) },
  ];
  if (flags.has('base')) {
    // The before of an A/B in one process: another build's dist/ and bindings/ (e.g. a copy of
    // main's), its whole native match and its addon's lookup alone on the same shapes.
    const base = resolve(flags.get('base'));
    const baseOurs = await import(pathToFileURL(join(base, 'dist/index.js')).href);
    const baseNative = baseOurs.compile(routes, { backend: 'native', ...limits });
    const baseRaw = require(join(base, 'bindings/index.cjs')).createMatcher(rawShapes, { caseSensitive: true, ignoreTrailingSlash: false });
    for (let j = 0; j < paths.length; j += 97) {
      const want = raw.lookup(paths[j]);
      if (baseRaw.lookup(paths[j]) !== want || (baseNative.match(paths[j])?.route.index ?? -1) !== want) throw new Error(`the base build differs on ${paths[j]}`);
    }
    impls.push(
      { name: 'BASE ours (native)', loop: loopOf('base-native', matchBody, { r: baseNative }, paths) },
      { name: 'BASE native lookup only', loop: loopOf('base-raw', 's ^= r.lookup(p);', { r: baseRaw }, paths) },
    );
  }
  // `--rows=<regex>`: time only the rows whose name matches (the peers are always kept).
  const keep = flags.has('rows') ? new RegExp(flags.get('rows')) : null;
  const timed = keep ? impls.filter((i) => keep.test(i.name) || i.name === '@medley/router' || i.name === 'memoirist' || i.name === 'ours (js)') : impls;
  const { rows, sink } = time(timed);
  const peer = Math.min(...rows.filter((r) => r.name === '@medley/router' || r.name === 'memoirist').map((r) => r.ns));
  const jsNs = rows[0].ns;
  console.log(
    `## ${table.title}, ${kind} corpus (${paths.length} paths, ${new Set(paths).size} distinct); floor checked on ${checked} paths; ${rounds} rounds; load ${(await import('node:os')).loadavg()[0].toFixed(1)}`,
  );
  console.log('| implementation | ns per lookup | vs fastest JS peer | vs ours (js) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.ns)} | ${(r.ns / peer).toFixed(2)}x | ${(r.ns / jsNs).toFixed(2)}x |`);
  console.log(`(sink ${sink & 1})`);
}
