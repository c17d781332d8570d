/**
 * `isHopByHop` (the per-header test on the proxy's every request and response, issue 18) must
 * say exactly what `HOP_BY_HOP_HEADERS.has` says, for any lower-case name: the members, their
 * neighbours in length and spelling, and arbitrary names.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOP_BY_HOP_HEADERS, isHopByHop } from '../src/pipeline/headers.js';

const MEMBERS = [...HOP_BY_HOP_HEADERS];
/** Names one edit away from a member (same length or one longer/shorter), and common end-to-end names. */
const NEAR = [
  ...MEMBERS.flatMap((m) => [m.slice(1), m + 's', 'x' + m.slice(1), m.slice(0, -1) + 'x', m.toUpperCase()]),
  'host',
  'content-length',
  'content-type',
  'date',
  'cookie',
  'x-forwarded-for',
  'authorization',
  'tk',
  'upgrades',
  '',
];

describe('isHopByHop', () => {
  it('is true for every member of HOP_BY_HOP_HEADERS', () => {
    for (const m of MEMBERS) expect(isHopByHop(m)).toBe(true);
  });

  it('equals HOP_BY_HOP_HEADERS.has for names near a member and for common names', () => {
    for (const n of NEAR) expect(isHopByHop(n), n).toBe(HOP_BY_HOP_HEADERS.has(n));
  });

  it('equals HOP_BY_HOP_HEADERS.has for any name', () => {
    const name = fc.oneof(fc.constantFrom(...MEMBERS, ...NEAR), fc.string({ maxLength: 24 }), fc.stringMatching(/^[a-z0-9-]{0,20}$/));
    fc.assert(
      fc.property(name, (n) => isHopByHop(n) === HOP_BY_HOP_HEADERS.has(n)),
      { numRuns: 2_000 },
    );
  });
});
