/**
 * src/regex/linear.ts: RE2 syntax through re2js, whole-value (anchored) semantics, the
 * 256-character limit, never a throw, and linear time on inputs that make backtracking
 * engines explode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLinearRegex, isRegexError, MAX_REGEX_LENGTH } from '../src/regex/linear.js';
import type { LinearRegex } from '../src/table/route.js';

function compiled(source: string): LinearRegex {
  const r = compileLinearRegex(source);
  if (isRegexError(r)) throw new Error(r.error);
  return r;
}

describe('compileLinearRegex', () => {
  it('matches whole values only, as if anchored at both ends', () => {
    const hex = compiled('[0-9a-f]{24}');
    expect(hex.source).toBe('[0-9a-f]{24}');
    expect(hex.test('0123456789abcdef01234567')).toBe(true);
    expect(hex.test('x0123456789abcdef01234567')).toBe(false);
    expect(hex.test('0123456789abcdef01234567x')).toBe(false);
    // Alternation binds inside the anchors: `a|b` is `^(?:a|b)$`, never `^a` or `b$`.
    const alt = compiled('a|bc');
    expect(['a', 'bc'].map((v) => alt.test(v))).toEqual([true, true]);
    expect(['ab', 'abc', 'xbc', 'bcx'].map((v) => alt.test(v))).toEqual([false, false, false, false]);
    expect(compiled('[^/]+').test('a/b')).toBe(false);
    expect(compiled('(?i)abc').test('ABC')).toBe(true);
  });

  it('refuses what needs backtracking, with the engine reason, and the length limit', () => {
    for (const source of ['(a)\\1', '(?=a)a', '(?!a)b', '(?<=a)b', 'a(', '[z-a]', '*a']) {
      const r = compileLinearRegex(source);
      expect(isRegexError(r), source).toBe(true);
      expect((r as { error: string }).error.length, source).toBeGreaterThan(5);
    }
    expect(isRegexError(compileLinearRegex(''))).toBe(true);
    expect(isRegexError(compileLinearRegex('a'.repeat(MAX_REGEX_LENGTH)))).toBe(false);
    const long = compileLinearRegex('a'.repeat(MAX_REGEX_LENGTH + 1));
    expect(long).toMatchObject({ tooLong: true });
    expect(MAX_REGEX_LENGTH).toBe(256);
  });

  it('never throws, whatever source or value it is given', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (source, value) => {
        const r = compileLinearRegex(source);
        if (!isRegexError(r)) expect(typeof r.test(value)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
    const r = compiled('.*');
    expect(r.test('\ud800')).toBe(true); // a lone surrogate is still a value
    expect(r.test(42 as unknown as string)).toBe(false);
  });

  it('runs in linear time on a megabyte value that defeats backtracking engines', () => {
    const evil = compiled('(a|aa)*b');
    const small = 'a'.repeat(10_000);
    const big = 'a'.repeat(1_000_000);
    evil.test(small); // warm up
    const t0 = performance.now();
    expect(evil.test(small)).toBe(false);
    const t1 = performance.now();
    expect(evil.test(big)).toBe(false);
    const t2 = performance.now();
    // 100x the input: a linear engine takes about 100x; allow noise, never quadratic (10,000x).
    expect(t2 - t1).toBeLessThan(Math.max(2000, (t1 - t0) * 1000));
  });
});
