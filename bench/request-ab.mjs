/**
 * In-process A/B of two builds of the package on a table of route objects, with peers timed
 * in the same process for ratios: on a shared machine, figures from separate processes (or
 * separate minutes) cannot be compared, interleaved rounds in one process can.
 *
 *   node bench/request-ab.mjs <old dist dir> [table] [rounds] [kind] [backend] [pollute]
 *
 * <old dist dir>: a copy of an earlier `dist/` (e.g. `cp -r dist /tmp/old/`), whose imports
 * must resolve (a `node_modules` symlink next to it, or the copy inside this repository; for
 * `native`, only a copy inside the repository finds bindings/);
 * "new" is ./dist. table: github-methods (default), gateway-conditions, or a path-only table
 * of bench/tables.mjs (github, gateway, tenants); kind: a corpus
 * (default mixed); backend: js (default) or native; pollute: `pollute` also builds, with each build,
 * ours (js, interpreter) and ours (native) on the same table and runs them through the whole
 * corpus and the warm-up rounds, as bench/lookup.mjs (so bench/run.mjs) does: code shared
 * by every router (RouterImpl, the matchers' classes) then sees several routers' types, as in
 * the full benchmark, where one router alone would leave every call site monomorphic.
 *
 * Environment: AB_BATCH=300 cuts the strings in batches of that many (as bench/lookup.mjs does;
 * default: one batch of 40,000, cold in the caches); AB_OLD_BACKEND=native|js makes "old" use
 * that backend (pass ./dist as the old dir to compare two backends of one build);
 * AB_FRESH_REQUESTS=1 (see there); AB_NEW_DIST=<dir> makes "new" that build instead of ./dist.
 *
 * Rules (issue 18): both builds and every peer answer the WHOLE corpus first and must pick the
 * same route as new; each round cuts fresh strings (latin1Slice of one Buffer, as from Node's
 * HTTP parser) for the same slice of the corpus for every contestant, in a rotated order; the
 * figure is the median over rounds of CPU time (process.cpuUsage, user + system) per lookup,
 * which other processes' load distorts less than wall-clock time.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { REQUEST_TABLES, buildRequestTable, freshRequest } from './request-tables.mjs';
import { implementationsFor } from './request-peers.mjs';
import { buildTable, packPaths, routesObject } from './tables.mjs';
import { IMPLEMENTATIONS } from './peers.mjs';

const [oldDir, tableName = 'github-methods', roundsArg = '15', kind = 'mixed', backend = 'js', pollute = ''] = process.argv.slice(2);
if (!oldDir) throw new Error('usage: node bench/request-ab.mjs <old dist dir> [table] [rounds] [kind] [backend]');
const builds = {
  old: await import(pathToFileURL(resolve(oldDir, 'index.js')).href),
  // AB_NEW_DIST=<dir>: "new" is that build instead of ./dist (e.g. an esbuild bundle of a variant's src).
  new: await import(process.env.AB_NEW_DIST ? pathToFileURL(resolve(process.env.AB_NEW_DIST, 'index.js')).href : new URL('../dist/index.js', import.meta.url).href),
};
// A path-only table (bench/tables.mjs) has no requests: `q` is undefined and the loops ignore it.
const withRequests = REQUEST_TABLES.includes(tableName);
const table = withRequests ? buildRequestTable(tableName, 50_000) : buildTable(tableName, 50_000);
table.routes ??= routesObject(table.patterns);
const paths = table.corpora[kind];
const requests = withRequests ? table.requests[kind] : paths.map(() => undefined);
const defs = withRequests ? implementationsFor(table) : IMPLEMENTATIONS;
const ourKey = `ours-${backend}`;
const peerKeys = table.family === 'conditions' ? [] : ['find-my-way', 'medley'];

const contestants = [];
// AB_OLD_BACKEND=native (or js): "old" uses that backend instead, e.g. to compare js with
// native of one build in one process (pass ./dist as the old dist dir).
const oldBackend = process.env.AB_OLD_BACKEND || backend;
for (const [label, build] of Object.entries(builds)) {
  const key = label === 'old' ? `ours-${oldBackend}` : ourKey;
  const def = defs.find((d) => d.key === key);
  contestants.push({ name: `${label} (${label === 'old' ? oldBackend : backend})`, def, state: await def.build(table.patterns, table.routes, build, table) });
}
// Other routers of each build, run untimed (see `pollute` above).
const polluters = [];
if (pollute === 'pollute') {
  for (const build of Object.values(builds)) {
    for (const key of ['ours-js-interp', 'ours-native'].filter((k) => k !== ourKey && k !== `ours-${oldBackend}`)) {
      const def = defs.find((d) => d.key === key);
      polluters.push({ name: key, def, state: await def.build(table.patterns, table.routes, build, table) });
    }
  }
}
for (const key of peerKeys) {
  const def = defs.find((d) => d.key === key);
  contestants.push({ name: def.name, def, state: await def.build(table.patterns, table.routes, builds.new, table) });
}

// Same answers on the whole corpus (per variant), and equal matches between the two builds.
const summary = (m) => (m === null ? null : JSON.stringify([m.pattern, m.target, m.variant.index, m.params, m.remainder]));
const reference = contestants[1];
for (let j = 0; j < paths.length; j++) {
  const want = reference.def.answer(reference.state, paths[j], requests[j]);
  for (const c of contestants) {
    const got = c.def.answer(c.state, paths[j], requests[j]);
    if (got !== want) throw new Error(`${c.name} answers ${got}, new answers ${want} for ${requests[j]?.method ?? ''} ${paths[j]}`);
  }
  for (const c of polluters) {
    const got = c.def.answer(c.state, paths[j], requests[j]);
    if (got !== want) throw new Error(`${c.name} answers ${got}, new answers ${want} for ${requests[j]?.method ?? ''} ${paths[j]}`);
  }
  if (summary(contestants[0].state.r.match(paths[j], requests[j])) !== summary(reference.state.r.match(paths[j], requests[j])))
    throw new Error(`old and new differ on ${requests[j]?.method ?? ''} ${paths[j]}`);
}

const { packed, offsets } = packPaths(paths);
const N = 40_000;
// AB_BATCH: lookups per timed batch (strings cut just before it). 40,000 (default) leaves the
// paths cold in the caches; a few hundred, as bench/lookup.mjs cuts them, leaves them in L1.
const B = Math.min(N, Number(process.env.AB_BATCH ?? N));
// AB_FRESH_REQUESTS=1: each batch gets fresh copies of its request objects (freshRequest, as
// bench/lookup.mjs always does: a server's request, just allocated by the HTTP parser, sits in
// the cache) instead of the corpus's own objects, which a shuffled corpus visits in random
// memory order (a cache miss per lookup).
const freshRequests = process.env.AB_FRESH_REQUESTS === '1';
const batch = new Array(B);
const qbatch = new Array(B);
function refill(start) {
  let i = start;
  for (let k = 0; k < B; k++) {
    batch[k] = packed.latin1Slice(offsets[i], offsets[i + 1]);
    qbatch[k] = freshRequests && requests[i] !== undefined ? freshRequest(requests[i]) : requests[i];
    if (++i === paths.length) i = 0;
  }
}
for (const c of [...contestants, ...polluters]) {
  // Its own function per contestant: own call sites and type feedback.
  c.loop = new Function(
    'r',
    'h',
    'batch',
    'qbatch',
    `/* ${c.name} */ return function loop(n) { let s = 0; for (let k = 0; k < n; k++) { const p = batch[k]; const q = qbatch[k]; ${c.def.loop} } return s; };`,
  )(c.state.r, c.state.h, batch, qbatch);
  c.ns = [];
}
let sink = 0;
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const rounds = Number(roundsArg);
let cursor = 0;
for (let round = -3; round < rounds; round++) {
  // Three untimed rounds first (tier-up), then each round a new slice, in a rotated order.
  const start = cursor;
  cursor = (cursor + N) % paths.length;
  for (let k = 0; k < contestants.length; k++) {
    const c = contestants[(k + Math.max(round, 0)) % contestants.length];
    let us = 0;
    for (let done = 0; done + B <= N; done += B) {
      refill((start + done) % paths.length);
      const t = cpu();
      sink ^= c.loop(B);
      us += cpu() - t;
    }
    if (round >= 0) c.ns.push((us * 1000) / (N - (N % B)));
  }
  if (round < 0) {
    for (const c of polluters) {
      for (let done = 0; done + B <= N; done += B) {
        refill((start + done) % paths.length);
        sink ^= c.loop(B);
      }
    }
  }
}
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const quartile = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 4)];
for (const c of contestants) {
  c.median = median(c.ns);
  c.q1 = quartile(c.ns);
}
const fmw = contestants.find((c) => c.def.key === 'find-my-way');
const medley = contestants.find((c) => c.def.key === 'medley');
console.log(
  `${table.title}, ${kind}${polluters.length > 0 ? ' (polluted)' : ''}, ${rounds} rounds of ${N} lookups in batches of ${B}, CPU ns per lookup, median over rounds (sink ${sink & 1})`,
);
for (const c of contestants) {
  const ratios = [fmw && `${(c.median / fmw.median).toFixed(2)}x find-my-way`, medley && `${(c.median / medley.median).toFixed(2)}x medley`].filter(Boolean).join(', ');
  console.log(`  ${c.name.padEnd(16)} ${c.median.toFixed(0).padStart(5)} ns (lower quartile ${c.q1.toFixed(0).padStart(5)})  ${ratios}`);
}
console.log(`  new/old: ${(contestants[1].median / contestants[0].median).toFixed(3)} (lower quartiles ${(contestants[1].q1 / contestants[0].q1).toFixed(3)})`);
