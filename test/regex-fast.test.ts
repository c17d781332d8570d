/**
 * src/regex/fast.ts: every source the class-loop fast path claims gets exactly re2js's
 * whole-value answer, on generated sources (of the claimed forms and just outside them) and
 * generated values; and the common constraint forms are claimed.
 */
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compileFastRegex } from '../src/regex/fast.js';
import { compileLinearRegex, isRegexError } from '../src/regex/linear.js';

const ATOMS = ['a', 'b', 'x', '0', '9', '-', '_', '\\.', '\\d', '\\w', '\\s', '[0-9]', '[a-z]', '[0-9a-f]', '[a-z0-9-]', '[-a]', '[a-]', '[.x]', '[A-Z_]', '.', '[^/]', '(a|b)'];
const QUANTIFIERS = ['', '', '?', '*', '+', '{2}', '{0,3}', '{1,}', '{1,32}', '+?', '{,2}'];
/** Values over characters every class above touches, plus upper case, space, a non-ASCII letter and an astral one. */
const ALPHABET = ['a', 'b', 'x', 'f', 'z', 'A', 'Z', '0', '9', '-', '_', '.', ' ', '\t', '\v', '/', 'é', '😀'];

const sourceArb = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...ATOMS), fc.constantFrom(...QUANTIFIERS)), { minLength: 1, maxLength: 4 }).map((items) => items.map(([a, q]) => a + q).join('')),
  fc.array(fc.stringMatching(/^[a-z0-9-]{1,4}$/), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('|')),
  fc.array(fc.stringMatching(/^[a-z0-9]{1,3}$/), { minLength: 1, maxLength: 3 }).map((parts) => `(?:${parts.join('|')})`),
);
const valueArb = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 10 }).map((cs) => cs.join(''));

function re2(source: string): RE2JS | null {
  try {
    return RE2JS.compile(source);
  } catch {
    return null;
  }
}

describe('the class-loop fast path', () => {
  it('claims the common constraint forms', () => {
    for (const source of [
      '[0-9]+',
      '\\d+',
      '[0-9a-f]{24}',
      '[a-z0-9-]+',
      '[a-z][a-z0-9]{0,38}',
      'tenant-[0-9]+',
      'v1|v2|beta',
      '(?:json|xml)',
      '[0-9]{1,4}',
      '[A-Za-z0-9_-]{8,64}',
    ]) {
      expect(compileFastRegex(source), source).not.toBeNull();
    }
  });

  it('leaves to re2js what it cannot prove exact', () => {
    for (const source of ['.+', '[^/]+', '(?i)abc', '[a-z]+[a-z0-9]', 'a+?', '\\pN+', '^a$', '(a|b)+', '[[:alpha:]]+', 'é+', 'a{,2}', '[]a]']) {
      expect(compileFastRegex(source), source).toBeNull();
    }
  });

  it('agrees with re2js on every source it claims, for whole values and ranges of a longer string', () => {
    let claimed = 0;
    fc.assert(
      fc.property(sourceArb, fc.array(valueArb, { minLength: 1, maxLength: 12 }), valueArb, valueArb, (source, values, before, after) => {
        const engine = re2(source);
        const fast = compileFastRegex(source);
        if (engine === null || fast === null) return;
        claimed++;
        for (const value of values) {
          const expected = engine.matches(value);
          expect(fast(value, 0, value.length), `${source} on ${JSON.stringify(value)}`).toBe(expected);
          const padded = before + value + after;
          expect(fast(padded, before.length, before.length + value.length), `${source} on ${JSON.stringify(value)} inside ${JSON.stringify(padded)}`).toBe(expected);
        }
      }),
      { numRuns: 3000 },
    );
    // The generator must exercise the fast path, not only the fallback.
    expect(claimed).toBeGreaterThan(1000);
  });

  it('serves compileLinearRegex: test and testRange give the same answers as re2js for a claimed source and a refused one', () => {
    for (const source of ['[0-9]+', '[^/]+']) {
      const compiled = compileLinearRegex(source);
      if (isRegexError(compiled)) throw new Error(compiled.error);
      const engine = RE2JS.compile(source);
      for (const value of ['123', '12a', '', 'a/b', 'é1', '٣']) {
        expect(compiled.test(value), `${source} ${value}`).toBe(engine.matches(value));
        expect(compiled.testRange(`/${value}/`, 1, 1 + value.length), `${source} ${value}`).toBe(engine.matches(value));
      }
    }
  });
});
