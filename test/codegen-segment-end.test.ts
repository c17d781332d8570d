/**
 * src/match/codegen-lookup.ts enters a parameter's node (plain or constrained) at its segment's
 * end and reads no character there: below `end` it can only be the `/` the scan stopped at, so
 * the node emits its `/` child and its catch-all without a `charCodeAt` or a `switch`. The law:
 * the generated lookup answers exactly what the interpreter answers, on random tables where
 * parameters are followed by literals, by other parameters, by catch-alls and by the path's end,
 * for paths with empty segments, doubled and trailing slashes, and segments of 64+ characters
 * (the segment-end memo's side of the walk).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../src/index.js';
import { lookupSource } from '../src/match/codegen-lookup.js';
import { jsTree } from '../src/match/tree.js';
import { assertGeneratedAsInterpreted } from './helpers.js';

const segmentArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'ab', 'abc', 'repos', 'x') },
  { weight: 3, arbitrary: fc.constantFrom(':p', ':q') },
  { weight: 1, arbitrary: fc.constantFrom(':n([0-9]+)', ':h([a-f]+)') },
);
const patternArb = fc.tuple(fc.array(segmentArb, { minLength: 1, maxLength: 5 }), fc.constantFrom('', '', '/*')).map(([segments, tail]) => {
  let n = 0;
  return '/' + segments.map((s) => (s.startsWith(':') ? `:v${n++}${s.slice(2)}` : s)).join('/') + tail;
});
const LONG = 'z'.repeat(70);
const pathSegmentArb = fc.oneof(fc.constantFrom('a', 'ab', 'abc', 'repos', 'x', '', '12', 'ff', 'A', LONG, `${LONG}9`), fc.stringMatching(/^[a-z0-9%]{1,4}$/));
const pathArb = fc.tuple(fc.array(pathSegmentArb, { minLength: 0, maxLength: 6 }), fc.boolean()).map(([s, slash]) => '/' + s.join('/') + (slash ? '/' : ''));

describe('generated code at a parameter segment end', () => {
  it("reads no character at a parameter's end: the `/` child and the catch-all follow directly", () => {
    const router = compile({ '/files/:bucket/*': 'http://a', '/files/:bucket/meta': 'http://b', '/u/:id/:name': 'http://c' }, { backend: 'js', codegenAfter: 0 });
    const source = lookupSource(jsTree(router.routes.map((r) => r.shape)).root, false, false, null)!;
    // After `o[1] = e` (the end of the first parameter) the next read is at e + 1, never at e.
    const afterFirst = source.slice(source.indexOf('o[1] = '));
    const end = /o\[1\] = (e\d+);/.exec(afterFirst)![1]!;
    expect(afterFirst).not.toContain(`charCodeAt(${end})`);
    expect(afterFirst).toContain(`const p`);
    expect(router.match('/files/b1/meta')?.pattern).toBe('/files/:bucket/meta');
    expect(router.match('/files/b1/x/y')).toMatchObject({ pattern: '/files/:bucket/*', remainder: '/x/y' });
    expect(router.match('/u/1/n')?.params).toEqual({ id: '1', name: 'n' });
  });

  it("reads no character at the root (the caller checked the path's leading `/`): `/`, `/*` and paths that do not start with `/`", () => {
    const table = { '/': 'http://root', '/*': 'http://all', '/:id': 'http://id', '/a/*': 'http://a' };
    const source = lookupSource(jsTree(compile(table, { backend: 'js' }).routes.map((r) => r.shape)).root, false, false, null)!;
    const root = source.slice(source.indexOf('function n0('));
    expect(root.slice(0, root.indexOf('const p1 = p + 1;'))).not.toContain('charCodeAt');
    for (const ignoreTrailingSlash of [false, true]) {
      const generated = compile(table, { backend: 'js', codegenAfter: 0, ignoreTrailingSlash });
      const interpreted = compile(table, { backend: 'js', codegen: false, ignoreTrailingSlash });
      for (const path of ['/', '//', '///', '/a', '/a/', '/a//b', '/x/y', '', 'a', 'a/b', '%2F']) {
        const view = (m: ReturnType<typeof generated.match>) => (m === null ? null : { pattern: m.pattern, params: { ...m.params }, remainder: m.remainder });
        expect(view(generated.match(path)), `${path} ${String(ignoreTrailingSlash)}`).toEqual(view(interpreted.match(path)));
      }
    }
  });

  it('reads no character where only parameters can follow: an empty segment is a scan that stops where it started', () => {
    const table = { '/u/:id': 'http://u', '/u/:id/:name': 'http://n' };
    const source = lookupSource(jsTree(compile(table, { backend: 'js' }).routes.map((r) => r.shape)).root, false, false, null)!;
    // The only character reads left are the literal compare's (`eq`).
    expect(source.slice(source.indexOf('function n0(')).match(/charCodeAt/g)).toBeNull();
    const router = compile(table, { backend: 'js', codegenAfter: 0 });
    expect(router.match('/u/7')?.params).toEqual({ id: '7' });
    expect(router.match('/u/7/x')?.params).toEqual({ id: '7', name: 'x' });
    for (const path of ['/u/', '/u//', '/u//x', '/u/7/', '/u/7//']) expect(router.match(path), path).toBeNull();
  });

  it('answers what the interpreter answers on tables of parameters, constrained parameters and catch-alls', () => {
    assertGeneratedAsInterpreted(patternArb, pathArb, (p) => p.replace(/:\w+(\([^)]*\))?/g, '7').replace('*', 'r/s'), 1_500);
  });
});
