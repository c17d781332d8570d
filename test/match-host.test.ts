/**
 * src/match/conditions.ts: the hot path's host matching (`RequestView.hostIs`, in place,
 * folding ASCII case, no lower-cased copy) gives the same answer as matching the normalized
 * host (`normalizeHost`, then `hostMatches`), for every raw host a client could send.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileLinearRegex, isRegexError } from '../src/regex/linear.js';
import { hostMatches, normalizeHost, RequestView } from '../src/match/conditions.js';
import type { HostMatcher } from '../src/table/route.js';

const regex = compileLinearRegex('[a-z]+\\.c\\.test');
if (isRegexError(regex)) throw new Error(regex.error);
const MATCHERS: HostMatcher[][] = [[{ exact: 'a.test' }], [{ suffix: '.b.test' }], [{ exact: '[::1]' }, { suffix: '.test' }], [{ regex }], [{ exact: 'k.test' }, { regex }]];
/** Pieces of hosts: case, ports, brackets, spaces, trailing dots, and non-ASCII letters whose lower case is ASCII (Kelvin sign, dotted capital I). */
const PIECES = ['a', 'A', 'b', 'B', 'x', '.', 'test', 'TEST', 'c', ':', '8080', '[', ']', '::1', ' ', '\t', 'K', 'k', 'İ', 'é', '\u212a', '\u00a0'];
const rawHost = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((parts) => parts.join(''));

describe('host matching in place', () => {
  it('equals matching the normalized host, whether the host comes from `host` or the Host header', () => {
    fc.assert(
      fc.property(rawHost, fc.boolean(), (raw, asHeader) => {
        const expected = normalizeHost(raw);
        for (const matchers of MATCHERS) {
          const view = new RequestView(asHeader ? { headers: { host: raw } } : { host: raw });
          expect(view.hostIs(matchers), `${JSON.stringify(raw)} ${JSON.stringify(matchers)}`).toBe(hostMatches(matchers, expected));
          // A reused view answers for its new request, not the old one.
          view.reset({ host: 'a.test' });
          expect(view.hostIs(matchers)).toBe(hostMatches(matchers, 'a.test'));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the usual forms', () => {
    const view = new RequestView({ host: ' API.B.Test.:443 ' });
    expect(view.hostIs([{ suffix: '.b.test' }])).toBe(true);
    expect(view.hostIs([{ exact: 'api.b.test' }])).toBe(true);
    expect(new RequestView({ host: '\u212a.test' }).hostIs([{ exact: 'k.test' }])).toBe(normalizeHost('\u212a.test') === 'k.test');
    expect(new RequestView({}).hostIs([{ exact: 'a.test' }])).toBe(false);
  });
});
