/**
 * Linear-time matching (issue 5): a lookup costs time proportional to the path, whatever the
 * table, and adversarial tables (many overlapping parameters and catch-alls) cause no
 * backtracking blow-up.
 *
 * Work is counted, not timed, where the code exposes a counter: the TypeScript interpreter
 * counts nodes entered plus characters compared, scanned or tested (`countWork()`), and the
 * Rust tree counts its steps. Counts are exact, so their bounds are tight (a 10x input may cost
 * at most 11x) and cannot flake on a noisy machine. The generated TypeScript matcher has no
 * counter; one wall-clock sanity check covers it (below), measured as follows.
 *
 * The wall-clock check measures two inputs in the same process, interleaved,
 * after a warm-up, in CPU time, takes the minimum of several rounds (the machine is noisy),
 * and asserts the ratio of their costs is below 30 (linear gives ~10 for a 10x input;
 * quadratic ~100). Each side is batched until one batch takes >= 2 ms, and the cost is per
 * call, so the clock's resolution does not matter and a slow side does not make the test slow.
 *
 * Paths: every family is measured at 1x and 10x its length, and the families of many segments
 * have 10,000 segments or more at 1x. Counted work needs no large inputs (100 K characters at
 * 1x); the wall-clock check uses 4 M -> 40 M characters, on the flat part of the memory-cost
 * curve (a 1 MB string fits the 2 MB L2 here and reads 3x cheaper per character than one past
 * it), so that its ratio measures the algorithm and not the cache hierarchy.
 *
 * Tables: the largest allowed (10,000 routes) built like a multi-tenant gateway, and an
 * adversarial 10,000-route table: parameter chains `/:a/:b/.../x`, catch-alls after every
 * depth `/a/*`, `/a/:b/*`, ..., and every combination of `a` and `:p` over 12 levels, so that
 * a path of `a`s makes the matcher try and abandon thousands of branches.
 */
import { describe, expect, it } from 'vitest';
import { compile, validateRoutes, type Router } from '../src/index.js';
import { loadNativeAddon } from '../src/match/native.js';
import { createJsBackend } from '../src/match/tree.js';

const nativeRequired = process.env.CI === 'true' || process.env.ROUTING_CORE_REQUIRE_NATIVE === '1';

const RATIO = 40; // linear work reads ~10x at 10x input; quadratic would read ~100x
const MB = 1 << 20;

/**
 * The clock: this process's CPU time (user + system, ms; microsecond resolution). On a loaded
 * machine, wall time inflates long calls more than short ones (they are preempted more often),
 * which made 10x ratios read 40-130 for linear work; CPU time does not.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Cost per call of `fn` (CPU ms) with a given batch size: the minimum over `rounds` batches. */
function perCall(fn: () => void, batch: number, rounds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = cpuMs();
    for (let i = 0; i < batch; i++) fn();
    best = Math.min(best, cpuMs() - t);
  }
  return best / batch;
}

/** The batch size at which one batch of `fn` takes at least 2 ms. */
function batchFor(fn: () => void): number {
  let batch = 1;
  while (batch < 1 << 20 && perCall(fn, batch, 1) * batch < 2) batch *= 2;
  return batch;
}

/** Cost ratio big/small per call, measured interleaved after a warm-up. */
function costRatio(small: () => void, big: () => void): { small: number; big: number; ratio: number } {
  const warm = cpuMs();
  for (let i = 0; i < 2_000 && cpuMs() - warm < 300; i++) {
    small();
    big();
  }
  const bs = batchFor(small);
  const bb = batchFor(big);
  let s = Infinity;
  let b = Infinity;
  for (let round = 0; round < 7; round++) {
    s = Math.min(s, perCall(small, bs, 1));
    b = Math.min(b, perCall(big, bb, 1));
  }
  return { small: s, big: b, ratio: b / s };
}

const fmt = (r: { small: number; big: number; ratio: number }) => `${(r.small * 1000).toFixed(1)} us -> ${(r.big * 1000).toFixed(1)} us (x${r.ratio.toFixed(1)})`;

// ---------------------------------------------------------------------------------------
// Tables of 10,000 routes (the default maximum).

/** A multi-tenant gateway: 2,000 tenants, 5 routes each. */
function gatewayTable(): Record<string, string> {
  const t: Record<string, string> = {};
  for (let i = 0; i < 2_000; i++) {
    const tenant = `tenant-${i.toString(36)}`;
    t[`/${tenant}/api/v1/users/:id`] = `https://${tenant}.users.svc/v1/:id`;
    t[`/${tenant}/api/v1/users/:id/orders/*`] = `https://${tenant}.orders.svc/:id/*`;
    t[`/${tenant}/api/:version/*`] = `https://${tenant}.api.svc/:version/*`;
    t[`/${tenant}/static/*`] = `https://cdn.example/${tenant}`;
    t[`/${tenant}/*`] = `https://${tenant}.fn.example`;
  }
  return t;
}

/** Every combination of `a` / `:pN` over k levels, then `/:q/z` (2^k routes). */
function combos(k: number): Record<string, string> {
  const t: Record<string, string> = {};
  for (let m = 0; m < 1 << k; m++) {
    const segs: string[] = [];
    for (let i = 0; i < k; i++) segs.push(m & (1 << i) ? `:p${i}` : 'a');
    t['/' + segs.join('/') + '/:q/z'] = 'https://c.example';
  }
  return t;
}

/** Overlapping parameters and catch-alls; padded to 10,000 routes. */
function adversarialTable(): Record<string, string> {
  const T = 'https://adv.example';
  // a path of 12 `a`s visits all 4,096 combinations
  const t: Record<string, string> = combos(12);
  // parameter chains `/:p1/.../:pk/x<i>` and anonymous ones `/*/*/.../y<i>`
  for (let k = 1; k <= 40; k++) {
    for (let i = 0; i < 40; i++) {
      t['/' + Array.from({ length: k }, (_, j) => `:p${j}`).join('/') + `/x${i}`] = T;
      t['/' + '*/'.repeat(k) + `y${i}`] = T;
    }
  }
  // catch-alls after every depth: `/a/*`, `/a/*/*`, ... (anonymous parameters keep the
  // patterns under the length limit) and `/b/b/.../*`
  for (let k = 0; k <= 200; k++) {
    t['/a/' + '*/'.repeat(k) + '*'] = T;
    t['/b/' + 'b/'.repeat(k) + '*'] = T;
  }
  // pad with `/a/a/.../:p/w<i>`
  for (let i = 0; Object.keys(t).length < 10_000; i++) t['/a'.repeat((i % 12) + 1) + `/:p/w${i}`] = T;
  return t;
}

const TABLES: { name: string; table: Record<string, string> }[] = [
  { name: 'multi-tenant gateway', table: gatewayTable() },
  { name: 'adversarial overlap', table: adversarialTable() },
];

/** 1x length in characters, per backend (see the header). */
const UNIT = { js: 4 * MB };

/** Path families: (u) => path of about u characters. */
const FAMILIES: { name: string; path: (u: number) => string; unit?: number; onlyFor?: string }[] = [
  { name: 'one long segment under a tenant', path: (u) => '/tenant-1/api/v1/users/' + 'v'.repeat(u) },
  { name: 'one long segment at the root', path: (u) => '/' + 'v'.repeat(u) },
  { name: '100-character segments (10,000+ of them)', path: (u) => ('/' + 'v'.repeat(99)).repeat(u / 100) },
  { name: 'segments of `a`', path: (u) => '/a'.repeat(u / 2) },
  { name: 'segments under a tenant', path: (u) => '/tenant-1/api/v1/users/7' + '/o'.repeat(u / 2) },
  { name: 'segments of `b` (catch-all chain)', path: (u) => '/b'.repeat(u / 2) },
  { name: 'empty segments', path: (u) => '/'.repeat(u) },
  // Under 12 `a`s, the 4,096 branches of the adversarial table all reach this segment: 8 KB
  // (the default path limit) is the 1x here (see the width test below for why not 1 MB).
  { name: '8 KB segment under 12 `a`s', path: (u) => '/a'.repeat(12) + '/' + 'v'.repeat(u), unit: 8_000, onlyFor: 'adversarial overlap' },
];

function summary(r: Router, path: string) {
  const m = r.match(path);
  return m === null ? null : { pattern: m.pattern, params: Object.keys(m.params).length, remainder: m.remainder?.length };
}

describe('linear time: the largest tables are valid', () => {
  it('both tables have 10,000 routes and validate', () => {
    for (const { table } of TABLES) {
      expect(Object.keys(table)).toHaveLength(10_000);
      expect(validateRoutes(table).errors).toEqual([]);
    }
  });
});

/** A backend that counts its work: lookup(path) -> work. */
interface Counter {
  name: string;
  /** The route index and the work of one lookup. */
  run(path: string): { index: number; work: number };
}

function shapesOf(table: Record<string, string>): string[][] {
  return compile(table, { backend: 'js' }).routes.map((r) => [...r.shape]);
}

function counters(table: Record<string, string>): Counter[] {
  const shapes = shapesOf(table);
  const js = createJsBackend(shapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: false });
  js.countWork();
  const out: Counter[] = [{ name: 'js interpreter', run: (p) => ({ index: js.lookup(p), work: js.steps }) }];
  const addon = loadNativeAddon();
  if (addon !== null) {
    // The Rust tree counts one step per node entered or alternative popped, plus one per code unit scanned, compared or given to a regex.
    const nb = addon.createMatcher(shapes, { caseSensitive: true, ignoreTrailingSlash: false, countSteps: true });
    out.push({ name: 'native', run: (p) => ({ index: nb.lookup(p), work: nb.lastSteps() }) });
  } else if (nativeRequired) {
    throw new Error('the native addon is required here but did not load');
  }
  return out;
}

/** Counted work stays linear: a 10x path costs at most 11x (plus the fixed cost of the tree walk's head). */
const WORK_RATIO = 11;
/** 1x path length for counted work: no caches to avoid, so 100 K characters suffice. */
const COUNT_UNIT = 100_000;

describe('linear work (counted)', () => {
  for (const { name, table } of TABLES) {
    it(`${name}: every path family costs at most ~10x the work at 10x the length, on every counting backend`, () => {
      for (const counter of counters(table)) {
        for (const family of FAMILIES) {
          if (family.onlyFor !== undefined && family.onlyFor !== name) continue;
          const u = family.unit ?? COUNT_UNIT;
          const small = counter.run(family.path(u));
          const big = counter.run(family.path(10 * u));
          expect(big.index, `${counter.name} / ${family.name}`).toBe(small.index);
          const report = `${counter.name} / ${name} / ${family.name}: work ${small.work} -> ${big.work}`;
          if (process.env.LINEAR_REPORT) console.log(report);
          expect(small.work, report).toBeGreaterThan(0);
          expect(big.work, report).toBeLessThanOrEqual(WORK_RATIO * small.work);
        }
      }
    });
  }

  it('long parameter chains against long and deep paths: no blow-up from trying every alignment', () => {
    const T = 'https://chain.example';
    const table: Record<string, string> = {};
    for (let k = 0; k < 200; k++) {
      table['/' + '*/'.repeat(k + 1) + 'x'] = T;
      table['/c/' + '*/'.repeat(k) + '*'] = T;
    }
    const p = (n: number) => '/c' + '/v'.repeat(n);
    for (const counter of counters(table)) {
      const a = counter.run(p(10_000));
      const b = counter.run(p(100_000));
      expect(b.work, counter.name).toBeLessThanOrEqual(WORK_RATIO * a.work);
      const d20 = counter.run('/v'.repeat(20) + '/y');
      const d200 = counter.run('/v'.repeat(200) + '/y');
      expect(d200.work, counter.name).toBeLessThanOrEqual(WORK_RATIO * d20.work);
    }
  });

  it('a long segment is scanned once, not once per branch that reaches it (work is not width x length)', () => {
    // 512 branches (every combination of `a` / `:p` over 9 levels) reach the 10th segment of
    // `/a/a/.../a/<segment>` at one position. The extra work of a long last segment over a
    // one-character one must be about one scan of it, as for a table of a single such branch;
    // rescanning it per branch would be 512 scans.
    const long = '/a'.repeat(9) + '/' + 'v'.repeat(COUNT_UNIT);
    const short = '/a'.repeat(9) + '/v';
    const wide = counters(combos(9));
    const narrow = counters({ ['/a'.repeat(9) + '/:q/z']: 'https://c.example' });
    wide.forEach((w, i) => {
      const extraWide = w.run(long).work - w.run(short).work;
      const extraNarrow = narrow[i]!.run(long).work - narrow[i]!.run(short).work;
      const report = `${w.name}: extra work of the long segment, 512 branches ${extraWide}, 1 branch ${extraNarrow}`;
      expect(extraNarrow, report).toBeGreaterThan(0);
      expect(extraWide, report).toBeLessThan(2 * extraNarrow);
    });
  });
});

describe('linear time (one wall-clock sanity check, for the generated matcher that has no counter)', () => {
  it('adversarial overlap: segments of `a` 10x as long cost at most ~10x as much', () => {
    const { table } = TABLES[1]!;
    const router = compile(table, { backend: 'js', codegenAfter: 0 });
    const family = FAMILIES.find((f) => f.name === 'segments of `a`')!;
    const small = family.path(UNIT.js);
    const big = family.path(10 * UNIT.js);
    expect(summary(router, big)?.pattern ?? null).toBe(summary(router, small)?.pattern ?? null);
    const r = costRatio(
      () => router.match(small),
      () => router.match(big),
    );
    expect(r.ratio, fmt(r)).toBeLessThan(RATIO);
  });
});

describe('linear work with conditions (counted): a refused candidate never restarts the walk', () => {
  it('4,096 candidates that all refuse the request cost one walk, not one walk each', () => {
    // Every route of combos(12) matches `/a/.../a/q/z`; each has a condition the request fails.
    const shapes = shapesOf(combos(12));
    const path = '/a'.repeat(12) + '/q/z';
    const everyRoute = { methods: new Int32Array(shapes.length).fill(-1), checked: new Uint8Array(shapes.length).fill(1) };
    let asked = 0;
    const js = createJsBackend(shapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: false }, { ...everyRoute, accept: () => (asked++, false) });
    js.countWork();
    expect(js.lookup(path)).toBe(-1);
    const refusedWork = js.steps;
    expect(asked).toBe(4_096);
    const plain = createJsBackend(shapes, { caseSensitive: true, ignoreTrailingSlash: false, codegen: false });
    plain.countWork();
    const visited: number[] = [];
    plain.enumerate(path, (r) => (visited.push(r), false));
    // Refusing all 4,096 costs what visiting all 4,096 once costs: the same single walk.
    expect(visited).toHaveLength(4_096);
    expect(refusedWork).toBeLessThanOrEqual(plain.steps);

    const addon = loadNativeAddon();
    if (addon === null) {
      if (nativeRequired) throw new Error('the native addon is required here but did not load');
      return;
    }
    const nb = addon.createMatcher(shapes, { caseSensitive: true, ignoreTrailingSlash: false, countSteps: true }, everyRoute);
    let resumes = 0;
    for (let r = nb.lookup(path, 1); r >= 0; r = nb.resume()) resumes++;
    const nativeRefused = nb.lastSteps();
    expect(resumes).toBe(4_096);
    const whole = addon.createMatcher(shapes, { caseSensitive: true, ignoreTrailingSlash: false, countSteps: true });
    let all = 0;
    for (let r = whole.lookupAll(path); r >= 0; r = whole.resume()) all++;
    expect(all).toBe(4_096);
    expect(nativeRefused).toBeLessThanOrEqual(whole.lastSteps() + 16);
  });
});
