/**
 * Hostile input and memory (issue 5): what a router keeps after serving hostile paths must
 * not grow with the paths an attacker chooses. In the runtime up to 1,000 routers are cached
 * (one per function), so per-router retention multiplies.
 *
 * Measured as `process.memoryUsage().arrayBuffers` after a forced GC (typed arrays the
 * TypeScript matchers keep live there; the native addon's buffers are Rust heap and its own
 * tests cover them: it drops a path buffer over 64 K units after the lookup).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compile, type CompileOptions } from '../src/index.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function arrayBuffersAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

const JS_VARIANTS: [string, CompileOptions][] = [
  ['js', { backend: 'js' }],
  ['js interpreter', { backend: 'js', codegen: false }],
];

const MB = 1 << 20;

describe('memory a router keeps after hostile paths', () => {
  for (const [name, options] of JS_VARIANTS) {
    it(`${name}: does not grow with the longest path the router has seen`, () => {
      // A parameter at the root: its segment is the whole path, long enough to be remembered.
      const limits = { maxPathLength: 8 * MB };
      const table = { '/:id': 'https://a.example/:id', '/x/*': 'https://b.example' };
      const short = compile(table, { ...options, limits });
      const long = compile(table, { ...options, limits });
      const base = arrayBuffersAfterGc();
      short.match('/' + 'v'.repeat(8_000)); // the default path limit
      short.match('/x');
      const afterShort = arrayBuffersAfterGc() - base;
      long.match('/' + 'v'.repeat(4 * MB));
      long.match('/x');
      const afterLong = arrayBuffersAfterGc() - base - afterShort;
      // Both routers stay alive (they are used below), so what they keep is counted.
      expect(short.match('/x')?.pattern).toBe('/x/*');
      expect(long.match('/x')?.pattern).toBe('/x/*');
      expect(afterLong, `kept after an 8 K path: ${(afterShort / 1024).toFixed(0)} KB; after a 4 M path: ${(afterLong / MB).toFixed(1)} MB`).toBeLessThan(afterShort + MB);
    });
  }

  it('1,000 cached routers (the runtime default) each served one 8 KB path keep less than 16 MB', () => {
    const routers = Array.from({ length: 1_000 }, (_, i) => compile({ '/:id': 'https://a.example/:id', [`/f${i}/*`]: 'https://b.example' }, { backend: 'js' }));
    const base = arrayBuffersAfterGc();
    const path = '/' + 'v'.repeat(8_190);
    for (const r of routers) r.match(path);
    const kept = arrayBuffersAfterGc() - base;
    expect(routers.every((r) => r.match('/x')?.pattern === '/:id')).toBe(true);
    expect(kept, `${(kept / MB).toFixed(1)} MB kept by 1,000 routers`).toBeLessThan(16 * MB);
  });
});
