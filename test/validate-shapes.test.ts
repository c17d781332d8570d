/**
 * The conflict check's shape index (src/validate/shapes.ts). The law: `add` answers exactly what
 * a Map keyed by an injective text of each shape (JSON) answers: the number of the first equal
 * shape added, else -1 and the shape gets the next number. It must hold whatever the hash does:
 * with the seeded hash, with every shape colliding (the index then moves to its Map, never
 * quadratic), and past the size it was told to expect.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRoutes } from '../src/index.js';
import { ShapeIndex } from '../src/validate/shapes.js';

/** The reference: a Map from each shape's JSON to the number it got. */
function reference(shapes: readonly (readonly string[])[]): number[] {
  const seen = new Map<string, number>();
  return shapes.map((shape) => {
    const key = JSON.stringify(shape);
    const earlier = seen.get(key);
    if (earlier !== undefined) return earlier;
    seen.set(key, seen.size);
    return -1;
  });
}

// Few distinct pieces, so equal shapes (conflicts) are common; "/" and "\0" inside a segment, and
// the empty segment, are the cases a joined key would confuse (["a/b"] and ["a", "b"]).
const segment = fc.constantFrom('', 'a', 'b', 'a/b', ':', ':[0-9]+', ':a/b', '*', '\0', 'users', 'Users');
const shapes = fc.array(fc.array(segment, { maxLength: 4 }), { maxLength: 60 });

describe('ShapeIndex', () => {
  it('answers as a Map keyed by each shape JSON (seeded hash)', () => {
    fc.assert(
      fc.property(shapes, fc.nat(80), (list, expected) => {
        const index = new ShapeIndex(expected);
        expect(list.map((s) => index.add(s))).toEqual(reference(list));
        expect(index.size).toBe(new Set(list.map((s) => JSON.stringify(s))).size);
      }),
    );
  });

  it('answers alike when every shape hashes alike, and falls back to its Map', () => {
    fc.assert(
      fc.property(shapes, (list) => {
        const index = new ShapeIndex(list.length, () => 7);
        expect(list.map((s) => index.add(s))).toEqual(reference(list));
      }),
    );
    // 2,000 distinct shapes on one hash: linear probing alone would take ~2 million steps.
    const many = Array.from({ length: 2_000 }, (_, i) => ['t' + i, ':']);
    const index = new ShapeIndex(many.length, () => 0);
    const answers = many.map((s) => index.add(s));
    expect(index.degraded).toBe(true);
    expect(answers.every((a) => a === -1)).toBe(true);
    expect(index.add(['t1999', ':'])).toBe(1999);
    expect(index.add(['t0', ':'])).toBe(0);
  });

  it('answers for empty shapes, and from an index told to expect none', () => {
    const index = new ShapeIndex(0);
    expect([index.add([]), index.add([]), index.add(['']), index.add([''])]).toEqual([-1, 0, -1, 1]);
    index.reset(0);
    expect([index.add(['a']), index.add(['a'])]).toEqual([-1, 0]);
  });

  it('grows past the size it expected', () => {
    const index = new ShapeIndex(1);
    const list = Array.from({ length: 500 }, (_, i) => [String(i % 300)]);
    expect(list.map((s) => index.add(s))).toEqual(reference(list));
    expect(index.degraded).toBe(false);
  });
});

describe('conflicts through validateRoutes', () => {
  it('shapes that differ only where a joined key would not are no conflict; equal ones are', () => {
    // `[^/]+` puts a "/" inside a shape segment; "//" merges into one "/" (equal shapes).
    const result = validateRoutes({
      '/a/:x([^/]+)': 'http://a.internal',
      '/a/:y([^/]+)/b': 'http://a.internal',
      '/a/:z([^/]+)': 'http://a.internal',
      '/a//b': 'http://a.internal',
      '/a/b': 'http://a.internal',
    });
    expect(result.errors.map((e) => [e.code, e.pattern, e.conflictsWith])).toEqual([
      ['conflict', '/a/:z([^/]+)', '/a/:x([^/]+)'],
      ['conflict', '/a/b', '/a//b'],
    ]);
  });
});

describe('one index shared by validations', () => {
  it('a validation started inside another (a getter in the table) gets its own index', () => {
    let inner: ReturnType<typeof validateRoutes> | undefined;
    const outer: Record<string, unknown> = { '/x': 'http://a.internal' };
    Object.defineProperty(outer, '/y', {
      enumerable: true,
      get() {
        inner = validateRoutes({ '/y': 'http://a.internal', '/z': 'http://a.internal', '//z': 'http://b.internal' });
        return 'http://a.internal';
      },
    });
    outer['//x'] = 'http://b.internal'; // the same shape as "/x" ("//" merges)
    const result = validateRoutes(outer);
    expect(result.errors.map((e) => [e.code, e.pattern, e.conflictsWith])).toEqual([['conflict', '//x', '/x']]);
    expect(inner!.errors.map((e) => [e.code, e.pattern, e.conflictsWith])).toEqual([['conflict', '//z', '/z']]);
    // And the next validation starts empty.
    expect(validateRoutes({ '/x': 'http://a.internal', '/z': 'http://a.internal' }).errors).toEqual([]);
  });
});
