/**
 * The duplicate-name check of a pattern's parameters (src/validate/pattern.ts) scans the names
 * of a short pattern and moves to a Set past 32 of them. The law: the issues (codes and messages)
 * are the same on either side of that line, for plain and constrained parameters and next to
 * anonymous captures, compared with a model that counts the names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateRoutes } from '../src/index.js';

const NAME_POOL = Array.from({ length: 60 }, (_, i) => `p${i}`);
const segment = fc.oneof(
  fc.constantFrom(...NAME_POOL).map((n) => ({ text: `:${n}`, name: n })),
  fc.constantFrom(...NAME_POOL).map((n) => ({ text: `:${n}([0-9]+)`, name: n })),
  fc.constant({ text: '*', name: null }),
  fc.constant({ text: 's', name: null }),
);

describe('duplicate parameter names', () => {
  it('reported once per repeat, in path order, for short and long patterns alike', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 70 }), (segments) => {
        const pattern = '/' + segments.map((s) => s.text).join('/');
        const seen = new Set<string>();
        const expected: string[] = [];
        for (const s of segments) {
          if (s.name === null) continue;
          if (seen.has(s.name)) expected.push(`Parameter ":${s.name}" appears twice in path pattern "${pattern}"`);
          seen.add(s.name);
        }
        const result = validateRoutes({ [pattern]: 'http://a.internal' }, { limits: { maxSegments: 100 } });
        expect(result.errors.filter((e) => e.code === 'param-name-duplicate').map((e) => e.message)).toEqual(expected);
        expect(result.errors.filter((e) => e.code !== 'param-name-duplicate')).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});
