/**
 * src/regex/linear.ts: RE2 syntax through re2js, whole-value (anchored) semantics, the
 * 256-character limit, never a throw, and linear time on inputs that make backtracking
 * engines explode.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RE2JS } from 're2js';
import { compileLinearRegex, isRegexError, MAX_REGEX_LENGTH } from '../src/regex/linear.js';
import { expandedSize } from '../src/regex/size.js';
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

  it('bounds the expanded size, so compiling and matching cost a bounded program', () => {
    for (const source of ['x{1001}', 'x{1000}y{1000}z{1000}', '((a{10}){10}){10}', '(a|b){600}', '(?:[0-9]{100}){11}', 'a{2,1001}']) {
      expect(compileLinearRegex(source), source).toMatchObject({ tooLong: true, error: expect.stringContaining('expands to') });
    }
    for (const source of [
      'x{1000}',
      '[0-9a-f]{24}',
      '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
      '.{200}',
      '(a{10}){10}',
      '\\Q{1001}\\E',
      '[{1001}]',
      '(?i)[a-z]{500}',
    ]) {
      expect(isRegexError(compileLinearRegex(source)), source).toBe(false);
    }
  });

  it("the size estimate is close to RE2's program size and never far below it", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '.', '[0-9]', '\\d', '(', ')', '|', '*', '+', '?', '{3}', '{2,5}', '{4,}', '(?:', '(?i)', '\\pL'), { maxLength: 16 }),
        (parts) => {
          const source = parts.join('');
          let program: number;
          try {
            program = RE2JS.compile(source).programSize();
          } catch {
            return; // not RE2 syntax: the size rule does not apply
          }
          const estimate = expandedSize(source);
          // Within a factor of 2 (RE2 adds a few instructions of its own: match, loop heads).
          expect(2 * estimate + 8, source).toBeGreaterThanOrEqual(program);
        },
      ),
      { numRuns: 3000 },
    );
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
