/**
 * Turns the raw results into the issue's targets, the CI gate and a markdown report.
 * Every comparison is a ratio between figures of the SAME run.
 */

const KIND_TITLES = { static: 'static hit', param: 'param hit', 'catch-all': 'catch-all hit', 'not-allowed': '405 (method not allowed)', miss: 'miss', mixed: 'mixed' };
/** The methods table's target (issue 12): ours at most half of find-my-way's time per lookup. */
const METHODS_LIMIT = 0.5;
/**
 * The CI gate on that table: the target plus a margin for a noisy 2-core machine, so it fails on
 * a regression, not on noise; the targets table still reports the 0.5x target as met or not.
 * Measured on one quiet machine with the same build, run after run: 0.54x, 0.59x, 0.61x, 0.62x
 * (find-my-way's own time moved 534-845 ns between runs), and 0.37x-0.56x under load.
 */
const METHODS_GATE = 0.75;
/**
 * Issue 18's lookup goal, `auto` <= 0.5x the fastest JS peer, is met on the table where `auto`
 * picks native (multi-tenant, session 25: 0.45x and 0.48x in full runs, 0.39-0.46x in one
 * process; before the match-result work of that session it read 0.74x). Gated with the same
 * margin as the methods table, so it fails on a regression back to where it was, not on noise.
 */
const PEER_GATE = 0.75;
const PEER_LIMIT = 0.5;
const CONDITION_BACKENDS = [
  ['ours-js', 'ours (js, generated)'],
  ['ours-js-interp', 'ours (js, interpreter)'],
  ['ours-native', 'ours (native)'],
];
const fmt = (ns) => (ns === undefined || ns === null ? '' : ns >= 100_000 ? `${(ns / 1000).toFixed(0)} µs` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)}`);
const fmtNs = (ns) => (ns >= 1000 ? fmt(ns) : `${fmt(ns)} ns`);
const ratio = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(2)}x`);
const IMPL_NAMES = { 'ours-js': 'ours (js)', 'ours-js-interp': 'ours (js, interpreter)', 'ours-native': 'ours (native)', 'find-my-way': 'find-my-way' };
const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;

const mismatchesOf = (impl) => Object.values(impl.verification ?? {}).reduce((n, v) => n + v.mismatched, 0);
const mixedOf = (table, key) => table.impls.find((i) => i.key === key && i.available)?.ns.mixed ?? null;

/**
 * How much slower than the other backend `auto`'s pick may read before the gate fails. Where the
 * two are close, this harness cannot order them: on the GitHub table with methods (fresh request
 * objects, session 24) js / native read 0.80x in one clean-clone CI run and 1.10x (re-run 1.18x)
 * in the next, on the same commit, and 1.07x (re-run 0.88x) in a full run, while one process
 * (bench/request-ab.mjs, AB_OLD_BACKEND=native) reads 0.64x (lower quartiles 0.80x). A pick
 * within 25% of the other backend costs nothing this harness can show; a misplaced rule (a table
 * where one backend is 1.5-3x the other, as native on small tables or the interpreter on big
 * ones) still fails.
 */
export const AUTO_PICK_MARGIN = 1.25;

/** The fastest JavaScript peer on a table's mixed corpus, among those that agreed with us. */
export function fastestPeer(table) {
  let best = null;
  for (const impl of table.impls) {
    if (impl.group !== 'peer' || !impl.available || impl.ns.mixed === undefined) continue;
    if (mismatchesOf(impl) > 0) continue;
    if (best === null || impl.ns.mixed < best.ns.mixed) best = impl;
  }
  return best;
}

/**
 * CI gate: only gross regressions, ratios within one run. The interpreter (no codegen) check
 * is reported but does not gate: the default TypeScript backend is the generated one, and
 * the interpreter currently sits at find-my-way's speed, where noise alone decides.
 *
 * Backends: `compile`'s `auto` picks the generated TypeScript matcher for tables within the
 * code generator's budget (one native crossing costs about what that whole lookup costs) and
 * the native tree beyond it. The gate checks that the backend `auto` picks is not slower than
 * the other one on each table (beyond AUTO_PICK_MARGIN: noise), so the rule and the native
 * backend are both held to it.
 */
export function gate(lookups) {
  const checks = [];
  for (const t of lookups) {
    // The conditions table has no peer: its cost is reported (conditionsCost), not gated.
    if (t.family === 'conditions') continue;
    const js = mixedOf(t, 'ours-js');
    const fmw = mixedOf(t, 'find-my-way');
    const native = mixedOf(t, 'ours-native');
    const interp = mixedOf(t, 'ours-js-interp');
    if (t.family === 'methods') {
      // Issue 12: with methods on every route, ours (js) and ours (auto) at most half of
      // find-my-way. When auto picks js, the one check covers both.
      const auto = t.autoBackend === 'native' ? '' : ", auto's pick here,";
      if (js !== null && fmw !== null)
        checks.push({
          table: t.table,
          title: t.title,
          check: `ours (js)${auto} ≤ ${METHODS_GATE}x find-my-way (target ${METHODS_LIMIT}x)`,
          keys: ['ours-js', 'find-my-way'],
          ratio: js / fmw,
          pass: js <= METHODS_GATE * fmw,
        });
      if (t.autoBackend === 'native' && native !== null && fmw !== null)
        checks.push({
          table: t.table,
          title: t.title,
          check: `ours (native), auto's pick here, ≤ ${METHODS_GATE}x find-my-way (target ${METHODS_LIMIT}x)`,
          keys: ['ours-native', 'find-my-way'],
          ratio: native / fmw,
          pass: native <= METHODS_GATE * fmw,
        });
    } else if (js !== null && fmw !== null)
      checks.push({ table: t.table, title: t.title, check: 'ours (js) not slower than find-my-way', keys: ['ours-js', 'find-my-way'], ratio: js / fmw, pass: js <= fmw });
    const peer = t.family === undefined && t.autoBackend === 'native' ? fastestPeer(t) : null;
    if (peer !== null && native !== null)
      checks.push({
        table: t.table,
        title: t.title,
        check: `ours (native), auto's pick here, ≤ ${PEER_GATE}x the fastest JS peer (${peer.name}; target ${PEER_LIMIT}x, issue 18)`,
        keys: ['ours-native', peer.key],
        ratio: native / peer.ns.mixed,
        pass: native <= PEER_GATE * peer.ns.mixed,
      });
    if (interp !== null && fmw !== null)
      checks.push({
        table: t.table,
        title: t.title,
        check: 'ours (js, interpreter) not slower than find-my-way',
        keys: ['ours-js-interp', 'find-my-way'],
        ratio: interp / fmw,
        pass: interp <= fmw,
        informational: true,
      });
    if (native !== null && js !== null) {
      const picked = t.autoBackend === 'native' ? ['ours-native', 'ours-js'] : ['ours-js', 'ours-native'];
      const [a, b] = picked.map((k) => (k === 'ours-native' ? native : js));
      checks.push({
        table: t.table,
        title: t.title,
        check:
          t.autoBackend === 'native'
            ? `ours (native), auto's pick here, not slower than ours (js) beyond ${AUTO_PICK_MARGIN}x`
            : `ours (js), auto's pick here, not slower than ours (native) beyond ${AUTO_PICK_MARGIN}x`,
        keys: picked,
        ratio: a / b,
        pass: a <= b * AUTO_PICK_MARGIN,
      });
    }
  }
  return checks;
}

/** Per backend: ns per lookup on the table with conditions and on the same table without them. */
export function conditionsCost(t) {
  return CONDITION_BACKENDS.map(([key, name]) => {
    const withC = mixedOf(t, key);
    const without = mixedOf(t, `${key}-plain`);
    return {
      key,
      name,
      with: withC,
      without,
      extra: withC !== null && without !== null ? withC - without : null,
      ratio: withC !== null && without !== null ? withC / without : null,
    };
  });
}

/**
 * Tables without conditions against the previous full results (bench/results/latest.json):
 * each of ours' mixed figures and its ratio to find-my-way then and now. Absolute figures
 * move with the machine's load; the ratio to find-my-way (same run) is the comparable one.
 */
export function versusPrevious(results) {
  const prev = results.previous;
  if (!prev) return [];
  const rows = [];
  for (const t of results.lookups) {
    if (t.family) continue;
    const before = prev.lookups.find((x) => x.table === t.table && !x.family);
    if (!before) continue;
    const fmwNow = mixedOf(t, 'find-my-way');
    const fmwThen = mixedOf(before, 'find-my-way');
    for (const key of ['ours-js', 'ours-js-interp', 'ours-native']) {
      const now = mixedOf(t, key);
      const then = mixedOf(before, key);
      if (now === null || then === null) continue;
      rows.push({ title: t.title, name: IMPL_NAMES[key], then, now, ratioThen: fmwThen ? then / fmwThen : null, ratioNow: fmwNow ? now / fmwNow : null });
    }
  }
  return rows;
}

export function targets(results) {
  const out = [];
  for (const t of results.lookups) {
    if (t.family === 'methods') {
      const fmw = mixedOf(t, 'find-my-way');
      for (const [key, scope] of [
        ['ours-js', 'ours (js)'],
        [t.autoBackend === 'native' ? 'ours-native' : 'ours-js', `ours (auto = ${t.autoBackend})`],
      ]) {
        const ns = mixedOf(t, key);
        if (ns !== null && fmw !== null)
          out.push({
            target: `methods on every route: ≤ ${METHODS_LIMIT}x find-my-way (issue 12)`,
            scope: `${t.title}, ${scope}`,
            measured: `${fmtNs(ns)} vs ${fmtNs(fmw)} = ${ratio(ns / fmw)}`,
            met: ns <= METHODS_LIMIT * fmw,
          });
      }
      continue;
    }
    if (t.family === 'conditions') {
      for (const c of conditionsCost(t)) {
        if (c.extra !== null)
          out.push({
            target: 'cost of host/header conditions and constraints per lookup (issue 12, reported)',
            scope: c.name,
            measured: `${fmtNs(c.without)} → ${fmtNs(c.with)}: ${c.extra >= 0 ? '+' : ''}${c.extra.toFixed(0)} ns (${ratio(c.ratio)})`,
            met: null,
          });
      }
      continue;
    }
    const js = mixedOf(t, 'ours-js');
    const best = fastestPeer(t);
    if (js !== null && best) {
      out.push({
        target: 'TS backend ≤ 0.5x fastest JS peer',
        scope: t.title,
        measured: `${fmtNs(js)} vs ${best.name} ${fmtNs(best.ns.mixed)} = ${ratio(js / best.ns.mixed)}`,
        met: js <= 0.5 * best.ns.mixed,
      });
      // Issue 18's wording: the backend `compile` picks by default (auto), whichever it is.
      const auto = t.autoBackend === 'native' ? mixedOf(t, 'ours-native') : js;
      if (auto !== null)
        out.push({
          target: '`auto` ≤ 0.5x fastest JS peer (issue 18)',
          scope: `${t.title}, auto = ${t.autoBackend}`,
          measured: `${fmtNs(auto)} vs ${best.name} ${fmtNs(best.ns.mixed)} = ${ratio(auto / best.ns.mixed)}`,
          met: auto <= 0.5 * best.ns.mixed,
        });
      const interp = mixedOf(t, 'ours-js-interp');
      if (interp !== null)
        out.push({
          target: 'TS backend ≤ 0.5x fastest JS peer',
          scope: `${t.title}, interpreter (no codegen)`,
          measured: `${fmtNs(interp)} vs ${best.name} ${fmtNs(best.ns.mixed)} = ${ratio(interp / best.ns.mixed)}`,
          met: interp <= 0.5 * best.ns.mixed,
        });
    }
    const native = mixedOf(t, 'ours-native');
    if (native !== null && js !== null) {
      out.push({ target: 'native faster than TS backend', scope: t.title, measured: `${fmtNs(native)} vs ${fmtNs(js)} = ${ratio(native / js)}`, met: native < js });
    } else {
      const reason = t.impls.find((i) => i.key === 'ours-native')?.reason ?? 'not run';
      out.push({ target: 'native faster than TS backend', scope: t.title, measured: `native n/a: ${reason}`, met: null });
    }
  }
  out.push({
    target: 'native on GitHub set within 3x of (empty native call + tree walk)',
    scope: 'GitHub API',
    measured: 'not measured here: needs an empty-call export and a Rust-side walk timing from the addon',
    met: null,
  });
  const c10k = (results.compile ?? []).filter((c) => c.routes === 10_000 && c.available);
  const ours10k = c10k.find((c) => c.impl === 'ours-js');
  const fmw10k = c10k.find((c) => c.impl === 'find-my-way');
  if (ours10k && fmw10k) {
    const interp10k = c10k.find((c) => c.impl === 'ours-js-interp');
    if (interp10k)
      out.push({
        target: 'compile 10,000 routes ≤ 0.25x find-my-way',
        scope: 'ours (js, interpreter)',
        measured: `${interp10k.warmMs.toFixed(0)} ms vs ${fmw10k.warmMs.toFixed(0)} ms = ${ratio(interp10k.warmMs / fmw10k.warmMs)} (first compile: ${ratio(interp10k.coldMs / fmw10k.coldMs)})`,
        met: interp10k.warmMs <= 0.25 * fmw10k.warmMs,
      });
    out.push({
      target: 'compile 10,000 routes ≤ 0.25x find-my-way',
      scope: 'ours (js)',
      measured: `${ours10k.warmMs.toFixed(0)} ms vs ${fmw10k.warmMs.toFixed(0)} ms = ${ratio(ours10k.warmMs / fmw10k.warmMs)} (first compile: ${ratio(ours10k.coldMs / fmw10k.coldMs)})`,
      met: ours10k.warmMs <= 0.25 * fmw10k.warmMs,
    });
    const nat10k = c10k.find((c) => c.impl === 'ours-native');
    if (nat10k)
      out.push({
        target: 'compile 10,000 routes ≤ 0.25x find-my-way',
        scope: 'ours (native)',
        measured: `${nat10k.warmMs.toFixed(0)} ms vs ${fmw10k.warmMs.toFixed(0)} ms = ${ratio(nat10k.warmMs / fmw10k.warmMs)}`,
        met: nat10k.warmMs <= 0.25 * fmw10k.warmMs,
      });
  }
  if (results.proxy) {
    const byKey = Object.fromEntries(results.proxy.targets.map((t) => [t.key, t]));
    for (const body of results.proxy.bodies) {
      const ours = byKey.ours?.available ? byKey.ours.results[body.key] : null;
      const fst = byKey.fastify?.available ? byKey.fastify.results[body.key] : null;
      const direct = byKey.direct?.results[body.key];
      if (!ours) {
        out.push({ target: 'proxy ≥ 1.5x @fastify/http-proxy, ≥ 0.5x direct (issue 18)', scope: body.title, measured: `ours n/a: ${byKey.ours?.reason ?? 'not run'}`, met: null });
        continue;
      }
      if (fst)
        out.push({
          target: 'proxy ≥ 1.5x @fastify/http-proxy req/s (issue 18; an earlier goal was 1.3x)',
          scope: body.title,
          measured: `${Math.round(ours.reqPerSec)} vs ${Math.round(fst.reqPerSec)} = ${ratio(ours.reqPerSec / fst.reqPerSec)}`,
          met: ours.reqPerSec >= 1.5 * fst.reqPerSec,
        });
      if (direct)
        out.push({
          target: 'proxy ≥ 0.5x upstream direct req/s (issue 18)',
          scope: body.title,
          measured: `${Math.round(ours.reqPerSec)} vs ${Math.round(direct.reqPerSec)} = ${ratio(ours.reqPerSec / direct.reqPerSec)}`,
          met: ours.reqPerSec >= 0.5 * direct.reqPerSec,
        });
    }
  } else {
    out.push({ target: 'proxy ≥ 1.5x @fastify/http-proxy, ≥ 0.5x direct (issue 18)', scope: 'all', measured: 'proxy not run', met: null });
  }
  return out;
}

function lookupSection(t) {
  const lines = [];
  const kinds = t.kinds;
  const fmw = t.impls.find((i) => i.key === 'find-my-way' && i.available);
  lines.push(`### ${t.title}: ${t.distinctPaths.toLocaleString('en-US')} distinct ${t.family ? 'requests' : 'request paths'}`);
  lines.push('');
  if (t.family === 'methods')
    lines.push(
      'Ours: `router.match(path, { method })`; peers: the same method+path pairs, `find(method, path)` (@medley/router: one store per path, a property per method). 405s (a path whose routes lack the method) count as misses for every router. Ours auto picks the ' +
        t.autoBackend +
        ' backend here.',
      '',
    );
  if (t.family === 'conditions')
    lines.push(
      'Ours only: `router.match(path, { method, headers })` (a Node headers record) on the table with conditions, and on the same table without them ("no conditions"; same paths and requests). A refused condition passes the lookup on to the next candidate, so some requests end on another route than in the plain table.',
      '',
    );
  lines.push(`| implementation | ${kinds.map((k) => KIND_TITLES[k] ?? k).join(' | ')} |`);
  lines.push(`| --- | ${kinds.map(() => '---:').join(' | ')} |`);
  const notes = [];
  for (const impl of t.impls) {
    if (impl.available && kinds.every((k) => impl.ns[k] === undefined)) continue; // e.g. the Map floor without a static corpus
    if (!impl.available) {
      lines.push(`| ${impl.name} | ${kinds.map(() => 'n/a').join(' | ')} |`);
      notes.push(`${impl.name}: n/a (${impl.reason})`);
      continue;
    }
    const cells = kinds.map((k) => {
      const ns = impl.ns[k];
      if (ns === undefined) return '';
      const v = impl.verification?.[k];
      const flag = v && v.mismatched > 0 ? ' ‡' : '';
      const rel = fmw && fmw.ns[k] ? ` (${ratio(ns / fmw.ns[k])})` : '';
      return `${fmt(ns)}${rel}${flag}`;
    });
    lines.push(`| ${impl.name} | ${cells.join(' | ')} |`);
    for (const [k, v] of Object.entries(impl.verification ?? {})) {
      if (v.mismatched > 0)
        notes.push(
          `‡ ${impl.name}, ${k}: ${v.mismatched} of ${v.checked} sampled paths answered differently from ours, e.g. ${v.examples.map((e) => `\`${e.path}\` ours \`${e.ours}\` theirs \`${e.theirs}\``).join('; ')}`,
        );
    }
  }
  const checked = t.impls.filter((i) => i.available && i.key !== 'ours-js');
  const total = checked.reduce((n, i) => n + Object.values(i.verification ?? {}).reduce((m, v) => m + v.checked, 0), 0);
  if (!notes.some((n) => n.startsWith('‡')))
    notes.push(
      `Verified before timing: every implementation picked the same route as ours (js) on all ${total.toLocaleString('en-US')} sampled (implementation, path) pairs${t.impls.some((i) => i.key === 'ours-native' && i.available) ? '; ours (native) returned equal matches' : ''}.`,
    );
  for (const [k, v] of Object.entries(t.corpusErrors ?? {})) notes.push(`corpus check: ${v.count} "${k}" paths are not what the name says, e.g. ${JSON.stringify(v.examples)}`);
  lines.push('');
  for (const n of notes) lines.push(`- ${n}`);
  lines.push('');
  if (t.family === 'conditions') {
    lines.push('Cost of the conditions (mixed corpus, this run):', '');
    lines.push('| backend | without conditions | with conditions | cost per lookup |');
    lines.push('| --- | ---: | ---: | ---: |');
    for (const c of conditionsCost(t))
      lines.push(
        `| ${c.name} | ${c.without === null ? 'n/a' : fmtNs(c.without)} | ${c.with === null ? 'n/a' : fmtNs(c.with)} | ${c.extra === null ? 'n/a' : `${c.extra >= 0 ? '+' : ''}${c.extra.toFixed(0)} ns (${ratio(c.ratio)})`} |`,
      );
    lines.push('');
  }
  return lines;
}

export function renderMarkdown(results) {
  const L = [];
  const m = results.meta;
  L.push(`# routing-core benchmarks (${m.mode} run)`);
  L.push('');
  L.push(`${m.date} · Node ${m.node} · ${m.cpus}x ${m.cpu} · commit ${m.commit}${m.dirty ? ' (working tree modified)' : ''} · total ${m.totalSeconds.toFixed(0)} s`);
  L.push('');
  L.push('Noisy shared machine: compare figures within this run only. Every ratio below is between figures of this run.');
  L.push('');
  L.push('## Lookup latency: median ns per lookup (ratio to find-my-way)');
  L.push('');
  L.push(
    `Distinct request paths per corpus (\`mixed\` is the shuffled union of the others); every lookup gets a fresh string, as from the HTTP parser (cut before the timed batch), and on the tables with methods or conditions a fresh copy of its request object, made with the batch (a server's \`req\` is new, so in cache, when the router reads it), the same for every implementation; a batch of lookups per timed iteration, after a warm-up; median over ${results.lookups[0]?.rounds ?? '?'} interleaved rounds. \`ours\` is \`router.match(path)\` (full match object); peers are their public \`find\`. "miss" in the gateway and multi-tenant tables falls through to the \`/*\` default route.`,
  );
  L.push('');
  for (const t of results.lookups) L.push(...lookupSection(t));
  if (results.lookupsReused?.length) {
    L.push('### For comparison: the same corpora replayed as the same string objects');
    L.push('');
    L.push(
      "Replaying the same string objects, as most router benchmarks do, changes two things at once: V8 has cached each string's hash inside it after its first hash lookup (so `Map`/hash-based lookups get cheaper: see the Map floor), and the strings are old objects scattered over the heap instead of freshly allocated ones (so every lookup that reads the path pays cache misses). A request path is always a fresh, never-hashed string: the tables above measure that. Median ns per lookup (fewer rounds than above), this run:",
    );
    L.push('');
    const names = [...new Set(results.lookupsReused.flatMap((t) => t.impls.filter((i) => i.available).map((i) => i.name)))];
    L.push(`| implementation | ${results.lookupsReused.map((t) => `${t.title.replace(/ \(.*/, '')}: static fresh → replayed | mixed fresh → replayed`).join(' | ')} |`);
    L.push(`| --- | ${results.lookupsReused.map(() => '---: | ---:').join(' | ')} |`);
    for (const name of names) {
      const cells = results.lookupsReused.map((t) => {
        const reused = t.impls.find((i) => i.name === name && i.available);
        const fresh = results.lookups.find((x) => x.table === t.table)?.impls.find((i) => i.name === name && i.available);
        const cell = (k) => (reused?.ns[k] !== undefined && fresh?.ns[k] !== undefined ? `${fmt(fresh.ns[k])} → ${fmt(reused.ns[k])}` : '');
        return `${cell('static')} | ${cell('mixed')}`;
      });
      L.push(`| ${name} | ${cells.join(' | ')} |`);
    }
    L.push('');
  }

  if (results.compile?.length) {
    L.push('## Compile cost and retained memory (multi-tenant shape)');
    L.push('');
    L.push(
      '| routes | implementation | compile (median of warm runs, after untimed warm-up compiles) | first compile | vs find-my-way | first 50k lookups after it, per lookup | retained V8 heap | RSS growth |',
    );
    L.push('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    const sizes = [...new Set(results.compile.map((c) => c.routes))];
    for (const n of sizes) {
      const rows = results.compile.filter((c) => c.routes === n);
      const fmw = rows.find((c) => c.impl === 'find-my-way' && c.available);
      for (const c of rows) {
        if (!c.available) {
          L.push(`| ${n.toLocaleString('en-US')} | ${IMPL_NAMES[c.impl] ?? c.impl} | n/a | | | | | |`);
          continue;
        }
        L.push(
          `| ${n.toLocaleString('en-US')} | ${IMPL_NAMES[c.impl] ?? c.impl} | ${c.warmMs.toFixed(1)} ms | ${c.coldMs.toFixed(1)} ms | ${fmw ? ratio(c.warmMs / fmw.warmMs) : 'n/a'} | ${fmtNs(c.firstLookupsNs)} | ${mb(c.heapBytes)} | ${mb(c.rssBytes)} |`,
        );
      }
    }
    const na = results.compile.find((c) => !c.available);
    if (na) L.push('', `- n/a: ${IMPL_NAMES[na.impl] ?? na.impl}: ${na.reason}`);
    L.push(
      '',
      '- The native backend keeps its tree in Rust memory: the V8 heap misses it, RSS growth is the coarse figure for it.',
      '- "first 50k lookups": mean cost of the first 50,000 lookups (distinct paths) right after the cold compile, in the same process: lazy compilation and JIT warm-up of the compiled router (generated code included) land here, not in the compile time. Compare with the steady-state lookup tables above.',
      '',
    );
  }

  if (results.proxy) {
    const p = results.proxy;
    L.push(`## Proxy throughput (autocannon, ${p.connections} connections, ${p.seconds} s per run after a warm-up, median of ${p.rounds} round${p.rounds > 1 ? 's' : ''})`);
    L.push('');
    L.push(`| target | ${p.bodies.map((b) => `${b.title} req/s | p50 | p99`).join(' | ')} |`);
    L.push(`| --- | ${p.bodies.map(() => '---: | ---: | ---:').join(' | ')} |`);
    for (const t of p.targets) {
      if (!t.available) {
        L.push(`| ${t.name} | ${p.bodies.map(() => 'n/a | | ').join(' | ')} |`);
        continue;
      }
      L.push(
        `| ${t.backend ? t.name.replace(/\)$/, `, ${t.backend} backend)`) : t.name} | ${p.bodies
          .map((b) => {
            const r = t.results[b.key];
            return r
              ? `${Math.round(r.reqPerSec).toLocaleString('en-US')}${r.errors || r.non2xx ? ` (${r.errors} errors, ${r.non2xx} non-2xx)` : ''} | ${r.p50Ms} ms | ${r.p99Ms} ms`
              : 'n/a | | ';
          })
          .join(' | ')} |`,
      );
    }
    for (const t of p.targets) if (!t.available) L.push('', `- ${t.name}: n/a (${t.reason})`);
    L.push('', '- Upstream, proxy and load generator are separate processes sharing the same 2 cores; "directly" has one process fewer.', '');
  }

  const prevRows = versusPrevious(results);
  if (prevRows.length) {
    L.push(
      `## Tables without conditions vs the previous results (${results.previous.source}, ${results.previous.mode} run of ${results.previous.date}, commit ${results.previous.commit})`,
    );
    L.push('');
    L.push(
      'Mixed corpus, ns per lookup and ratio to find-my-way in the same run. Reported, not gated (the gate compares with find-my-way in this run); on this shared machine only a change of the ratio well beyond ±0.1 means something.',
    );
    L.push('');
    L.push('| table | implementation | then | now | ratio to find-my-way then → now |');
    L.push('| --- | --- | ---: | ---: | ---: |');
    for (const r of prevRows) L.push(`| ${r.title} | ${r.name} | ${fmtNs(r.then)} | ${fmtNs(r.now)} | ${ratio(r.ratioThen)} → ${ratio(r.ratioNow)} |`);
    L.push('');
  }
  L.push('## Targets (issues 4 and 12)');
  L.push('');
  L.push('| target | scope | measured | met |');
  L.push('| --- | --- | --- | --- |');
  for (const t of results.targets) L.push(`| ${t.target} | ${t.scope} | ${t.measured} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
  L.push('');
  L.push("## CI gate (mixed corpus: gross regressions, and the methods table's 0.5x target)");
  L.push('');
  L.push('| table | check | ratio | result |');
  L.push('| --- | --- | ---: | --- |');
  for (const g of results.gate)
    L.push(
      `| ${g.title} | ${g.check}${g.informational ? ' (informational)' : ''} | ${ratio(g.ratio)}${g.confirmRatio !== undefined ? ` (re-run: ${ratio(g.confirmRatio)})` : ''} | ${g.informational ? (g.pass ? 'ok' : 'slower (not gating)') : g.pass ? 'pass' : '**FAIL**'} |`,
    );
  L.push('');
  return L.join('\n');
}
