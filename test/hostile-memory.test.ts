/**
 * Hostile input and memory (issue 5, issue 11): what a router keeps after serving hostile
 * paths must not grow with the paths an attacker chooses. In the runtime up to 1,000 routers
 * are cached (one per function), so per-router retention multiplies.
 *
 * What could grow is the TypeScript matchers' memo of long segment ends (`SegmentEnds`, a Map
 * on the JS heap, emptied when a lookup ends). Heap or `arrayBuffers` figures cannot show a Map
 * of a few numbers reliably, so this file counts instead: every Map, Set, array, typed array
 * and string reachable from the router object, by entries. A count is exact, so the
 * assertion is equality, not a threshold. (The native addon's buffers are Rust heap; its own
 * tests cover them: it drops a path buffer over 64 K units after the lookup.)
 */
import { describe, expect, it } from 'vitest';
import { compile, type CompileOptions, type Router } from '../src/index.js';
import { SegmentEnds } from '../src/match/segments.js';

interface Retained {
  /** Entries of every Map, Set, array and typed array plus characters of every string reachable. */
  units: number;
  /** How many SegmentEnds memos the walk reached: 0 means the count cannot see the memo. */
  memos: number;
}

/**
 * Walks own data properties (never getters, never prototypes) and collection contents from
 * `root`. Closures are opaque to it, which is why `memos` is reported: the memo must stay
 * reachable from the router object (today as the TypeScript matcher's field) for the count to
 * mean anything.
 */
function retained(root: unknown): Retained {
  const seen = new Set<object>();
  const queue: unknown[] = [root];
  let units = 0;
  let memos = 0;
  while (queue.length > 0) {
    const value = queue.pop();
    if (typeof value === 'string') units += value.length;
    if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) continue;
    seen.add(value);
    if (value instanceof SegmentEnds) memos++;
    if (ArrayBuffer.isView(value)) {
      units += value.byteLength;
      continue;
    }
    if (value instanceof Map) {
      units += value.size;
      for (const [k, v] of value as Map<unknown, unknown>) queue.push(k, v);
    } else if (value instanceof Set) {
      units += value.size;
      for (const v of value as Set<unknown>) queue.push(v);
    } else if (Array.isArray(value)) {
      units += value.length;
    }
    for (const key of Reflect.ownKeys(value)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
      if (descriptor !== undefined && 'value' in descriptor) queue.push(descriptor.value);
    }
  }
  return { units, memos };
}

const JS_VARIANTS: [string, CompileOptions][] = [
  ['js', { backend: 'js', codegenAfter: 0 }],
  ['js interpreter', { backend: 'js', codegen: false }],
];

const MB = 1 << 20;
/** Parameters at every level, so each long segment of a path is scanned and remembered. */
const TABLE = {
  '/:id': 'https://a.example/:id',
  '/:id/:sub': 'https://a.example/:id/:sub',
  '/:id/:sub/:leaf': 'https://a.example/:id/:sub/:leaf',
  '/x/*': 'https://b.example',
};

/** Ordinary lookups first, so whatever a router builds lazily is in the baseline. */
function warmed(options: CompileOptions): Router {
  const router = compile(TABLE, { ...options, limits: { maxPathLength: 8 * MB } });
  for (const path of ['/x', '/x/y', '/a', '/a/b', '/a/b/c', '/a/b/c/d']) router.match(path);
  return router;
}

describe('memory a router keeps after hostile paths', () => {
  for (const [name, options] of JS_VARIANTS) {
    it(`${name}: keeps exactly what it kept before, whatever the paths it has served`, () => {
      const router = warmed(options);
      const before = retained(router);
      expect(before.memos, 'the segment-end memo is no longer reachable from the router object, so this count cannot see it').toBeGreaterThan(0);
      const long = 'v'.repeat(2 * MB);
      // Long segments at every level, then one more level than any route: the lookup scans and
      // remembers each segment's end, backtracks through every branch and fails.
      for (const path of ['/' + long, `/${long}/${long}`, `/${long}/${long}/${long}`, `/${long}/${long}/${long}/${long}`, '/' + 'w/'.repeat(100_000) + long]) router.match(path);
      expect(router.match('/x/y')?.pattern).toBe('/x/*');
      expect(retained(router)).toEqual(before);
    });
  }

  it('1,000 cached routers (the runtime default) each served one 8 KB path keep what they kept before', () => {
    const routers = Array.from({ length: 1_000 }, (_, i) => compile({ '/:id': 'https://a.example/:id', [`/f${i}/*`]: 'https://b.example' }, { backend: 'js' }));
    for (const r of routers) r.match('/x');
    const before = retained(routers);
    const path = '/' + 'v'.repeat(8_190);
    for (const r of routers) r.match(path);
    expect(routers.every((r) => r.match('/x')?.pattern === '/:id')).toBe(true);
    expect(retained(routers)).toEqual(before);
  });
});
