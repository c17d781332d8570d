/**
 * src/match/codegen-lookup.ts compares the literals of a case-sensitive table (3+ characters) with
 * one shared loop, `eq`, over the characters of every literal in one Uint16Array, instead of an
 * unrolled `charCodeAt` compare per character (the code size: notes-lookup.md, Session 27). The
 * law: the generated lookup answers exactly what the interpreter answers, on random tables whose
 * literals share prefixes of every length (1 to past UNROLL), with parameters and catch-alls,
 * for paths that stop inside, run past, or differ at any character of a literal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { lookupSource } from '../src/match/codegen-lookup.js';
import { jsTree } from '../src/match/tree.js';
import { assertGeneratedAsInterpreted } from './helpers.js';

/** Words sharing prefixes of every length, one past UNROLL (12) characters after its first. */
const WORDS = ['r', 're', 'rep', 'repo', 'repos', 'report', 'reports', 'repository-settings-x', 'repository-settings-y', 'a', 'ab', 'abc', 'abcd'];

const segmentArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...WORDS) }, { weight: 1, arbitrary: fc.constantFrom(':id', ':name') });
const patternArb = fc.tuple(fc.array(segmentArb, { minLength: 1, maxLength: 4 }), fc.constantFrom('', '', '/*')).map(([segments, tail]) => {
  // Parameter names must differ within a pattern.
  let n = 0;
  return '/' + segments.map((s) => (s.startsWith(':') ? `${s}${n++}` : s)).join('/') + tail;
});

/** Path segments: the words, their near misses (one character changed, cut short, run on), parameter values. */
const pathSegmentArb = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.constantFrom(...WORDS).chain((w) => fc.nat(w.length - 1).map((i) => w.slice(0, i) + (w[i] === 'x' ? 'y' : 'x') + w.slice(i + 1))),
  fc.constantFrom(...WORDS).chain((w) => fc.nat(w.length).map((i) => w.slice(0, i))),
  fc.constantFrom(...WORDS).map((w) => w + 'z'),
  fc.constantFrom(...WORDS).map((w) => w.toUpperCase()),
  fc.stringMatching(/^[a-z0-9%]{1,5}$/),
);
const pathArb = fc.tuple(fc.array(pathSegmentArb, { minLength: 0, maxLength: 5 }), fc.boolean()).map(([s, slash]) => '/' + s.join('/') + (slash ? '/' : ''));

describe('generated literal compares (the shared eq loop)', () => {
  it('emits eq for a case-sensitive table and leaves short literals unrolled', () => {
    const router = compile({ '/repos/:id': 'http://a', '/re': 'http://b', '/reports/*': 'http://c' }, { backend: 'js', codegenAfter: 0 });
    const source = lookupSource(jsTree(router.routes.map((r) => r.shape)).root, false, false, null)!;
    expect(source).toContain('function eq(path, p, k, n)');
    expect(source).toMatch(/eq\(path, p\d* \+ 1, \d+, \d+\)/);
    // Case-insensitive tables keep their folded compares.
    expect(lookupSource(jsTree(router.routes.map((r) => r.shape)).root, true, false, null)).not.toContain('function eq(');
  });

  it('answers what the interpreter answers on random tables with shared prefixes', () => {
    assertGeneratedAsInterpreted(patternArb, pathArb, (p) => p.replace(/:\w+/g, 'v').replace('*', 'rest'), 2_000);
  });
});
