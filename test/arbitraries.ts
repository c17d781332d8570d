/**
 * fast-check generators shared by the property tests: route tables with heavy overlap
 * (so precedence and backtracking are exercised) and request paths biased toward
 * near-misses of those tables.
 */
import fc from 'fast-check';

const STATIC = ['a', 'b', 'ab', 'A', 'api', 'v1', 'caf%C3%A9', 'café', '%7E', 'x.json', 'abc:run', 'Users'];
const VALUES = ['a', 'b', 'ab', 'A', 'x1', '%C3%A9', 'caf%C3%A9', 'v1', 'api', '%20', 'Users', 'users'];

type Seg = { kind: 'static'; text: string } | { kind: 'param' } | { kind: 'star' };

const segArb: fc.Arbitrary<Seg> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...STATIC).map((text) => ({ kind: 'static', text }) as Seg) },
  { weight: 3, arbitrary: fc.constant({ kind: 'param' } as Seg) },
  { weight: 2, arbitrary: fc.constant({ kind: 'star' } as Seg) },
);

/** A pattern in the project's syntax: statics, `:pN` params, anonymous `*`, catch-all, trailing `/`. */
export const patternArb: fc.Arbitrary<string> = fc.tuple(fc.array(segArb, { maxLength: 5 }), fc.boolean()).map(([segs, trailing]) => {
  let n = 0;
  const parts = segs.map((s) => (s.kind === 'static' ? s.text : s.kind === 'param' ? `:p${n++}` : '*'));
  const last = parts.at(-1);
  return '/' + parts.join('/') + (trailing && parts.length > 0 && last !== '*' ? '/' : '');
});

/** A table of up to `max` routes (may hold conflicts: callers filter with the validator). */
export const tableArb = (max = 12) =>
  fc.uniqueArray(patternArb, { minLength: 1, maxLength: max }).map((patterns) => Object.fromEntries(patterns.map((p, i) => [p, `https://svc${i}.example.com/base`])));

const valueArb = fc.constantFrom(...VALUES);

/** A request path made from a pattern, then possibly mutated into a near-miss. */
export function pathFromPattern(pattern: string): fc.Arbitrary<string> {
  const segs = pattern.slice(1).split('/');
  const pieces = segs.map((s, i) => {
    if (s === '*' && i === segs.length - 1) return fc.array(valueArb, { maxLength: 3 }).map((vs) => vs.map((v) => '/' + v).join(''));
    if (s === '*' || s.startsWith(':')) return valueArb.map((v) => '/' + v);
    return fc.constantFrom('/' + s, '/' + s.toUpperCase(), '/' + s.toLowerCase());
  });
  const base = fc.tuple(...pieces).map((ps) => ps.join('') || '/');
  const mutation = fc.constantFrom('none', 'none', 'drop', 'append', 'slash', 'unslash', 'empty-seg');
  return fc.tuple(base, mutation, valueArb).map(([p, m, v]) => {
    switch (m) {
      case 'drop':
        return p.slice(0, Math.max(1, p.lastIndexOf('/'))) || '/';
      case 'append':
        return (p === '/' ? '' : p) + '/' + v;
      case 'slash':
        return p.endsWith('/') ? p : p + '/';
      case 'unslash':
        return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
      case 'empty-seg':
        return p + '//' + v;
      default:
        return p;
    }
  });
}

/** Paths for a table: mostly near-misses of its patterns, some free-form. */
export function pathsFor(table: Record<string, string>): fc.Arbitrary<string[]> {
  const patterns = Object.keys(table);
  const near = fc.constantFrom(...patterns).chain(pathFromPattern);
  const free = fc.array(valueArb, { maxLength: 4 }).map((vs) => '/' + vs.join('/'));
  return fc.array(fc.oneof({ weight: 4, arbitrary: near }, { weight: 1, arbitrary: free }), { minLength: 1, maxLength: 12 });
}

export const optionsArb = fc.record({ caseSensitive: fc.boolean(), ignoreTrailingSlash: fc.boolean() });
